package source

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// A minimal shapefile writer for fixtures: it writes exactly the bytes the
// specification describes, so tests can build files with chosen encodings,
// deletion flags, shape types and damage.

type testField struct {
	name     string
	typ      byte
	length   int
	decimals int
}

type testRecord struct {
	deleted bool
	values  []string // raw bytes of each value, unpadded
	shape   []byte   // record content; nil writes a Null shape
}

type testShapefile struct {
	shapeType int
	fields    []testField
	records   []testRecord
	ldid      byte
	cpg       *string
	prj       string
}

// write stores base.shp, base.dbf and, if set, base.cpg and base.prj in dir
// and returns the .shp path.
func (s testShapefile) write(t *testing.T, dir, base string) string {
	t.Helper()
	shp := filepath.Join(dir, base+".shp")
	files := map[string][]byte{
		shp:                             s.shpBytes(),
		filepath.Join(dir, base+".dbf"): s.dbfBytes(),
	}
	if s.cpg != nil {
		files[filepath.Join(dir, base+".cpg")] = []byte(*s.cpg)
	}
	if s.prj != "" {
		files[filepath.Join(dir, base+".prj")] = []byte(s.prj)
	}
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return shp
}

func (s testShapefile) shpBytes() []byte {
	var body bytes.Buffer
	for i, r := range s.records {
		content := r.shape
		if content == nil {
			content = le32(shpNull)
		}
		body.Write(be32(int32(i + 1)))
		body.Write(be32(int32(len(content) / 2)))
		body.Write(content)
	}
	h := make([]byte, shpHeaderSize)
	binary.BigEndian.PutUint32(h[0:], shpFileCode)
	binary.BigEndian.PutUint32(h[24:], uint32((shpHeaderSize+body.Len())/2))
	binary.LittleEndian.PutUint32(h[28:], shpVersion)
	binary.LittleEndian.PutUint32(h[32:], uint32(s.shapeType))
	return append(h, body.Bytes()...)
}

func (s testShapefile) dbfBytes() []byte {
	recLen := 1
	for _, f := range s.fields {
		recLen += f.length
	}
	headerLen := dbfHeaderSize + dbfDescriptorSize*len(s.fields) + 1
	var b bytes.Buffer
	h := make([]byte, dbfHeaderSize)
	h[0] = 0x03
	h[1], h[2], h[3] = 121, 9, 13
	binary.LittleEndian.PutUint32(h[4:], uint32(len(s.records)))
	binary.LittleEndian.PutUint16(h[8:], uint16(headerLen))
	binary.LittleEndian.PutUint16(h[10:], uint16(recLen))
	h[29] = s.ldid
	b.Write(h)
	for _, f := range s.fields {
		d := make([]byte, dbfDescriptorSize)
		copy(d, f.name)
		d[11] = f.typ
		d[16] = byte(f.length)
		d[17] = byte(f.decimals)
		b.Write(d)
	}
	b.WriteByte(dbfDescriptorEnd)
	for _, r := range s.records {
		if r.deleted {
			b.WriteByte(dbfDeleted)
		} else {
			b.WriteByte(dbfLive)
		}
		for i, f := range s.fields {
			v := []byte(r.values[i])
			pad := bytes.Repeat([]byte{' '}, f.length-len(v))
			if f.typ == 'N' || f.typ == 'F' {
				b.Write(pad)
				b.Write(v)
			} else {
				b.Write(v)
				b.Write(pad)
			}
		}
	}
	b.WriteByte(0x1A)
	return b.Bytes()
}

func be32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }
func le32(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }
func leF64(v float64) []byte {
	return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v))
}

// polygonShape encodes rings as a Polygon, PolygonZ or PolygonM record;
// Z and M values are written as the ring index so that they are visible
// if a reader mistook them for coordinates.
func polygonShape(typ int, rings ...[][2]float64) []byte {
	var b bytes.Buffer
	b.Write(le32(int32(typ)))
	b.Write(make([]byte, 32)) // bounding box, unused by the reader
	n := 0
	for _, r := range rings {
		n += len(r)
	}
	b.Write(le32(int32(len(rings))))
	b.Write(le32(int32(n)))
	start := 0
	for _, r := range rings {
		b.Write(le32(int32(start)))
		start += len(r)
	}
	for _, r := range rings {
		for _, p := range r {
			b.Write(leF64(p[0]))
			b.Write(leF64(p[1]))
		}
	}
	extra := 0
	switch typ {
	case shpPolygonZ:
		extra = 2 // Z range and values, then M range and values
	case shpPolygonM:
		extra = 1
	}
	for range extra {
		b.Write(make([]byte, 16))
		for i, r := range rings {
			for range r {
				b.Write(leF64(float64(i + 100)))
			}
		}
	}
	return b.Bytes()
}

func pointShape(typ int, x, y float64) []byte {
	b := append(le32(int32(typ)), leF64(x)...)
	b = append(b, leF64(y)...)
	switch typ {
	case shpPointZ:
		b = append(b, leF64(7)...)
		b = append(b, leF64(8)...)
	case shpPointM:
		b = append(b, leF64(8)...)
	}
	return b
}

func multiPointShape(typ int, pts ...[2]float64) []byte {
	b := append(le32(int32(typ)), make([]byte, 32)...)
	b = append(b, le32(int32(len(pts)))...)
	for _, p := range pts {
		b = append(b, leF64(p[0])...)
		b = append(b, leF64(p[1])...)
	}
	if typ == shpMultiPointZ {
		b = append(b, make([]byte, 16)...)
		for range pts {
			b = append(b, leF64(9)...)
		}
	}
	return b
}

// square returns a closed ring around (x, y) with half side r, clockwise
// (an outer ring) or counter-clockwise (a hole).
func square(x, y, r float64, clockwise bool) [][2]float64 {
	ring := [][2]float64{{x - r, y - r}, {x - r, y + r}, {x + r, y + r}, {x + r, y - r}, {x - r, y - r}}
	if !clockwise {
		for i, j := 0, len(ring)-1; i < j; i, j = i+1, j-1 {
			ring[i], ring[j] = ring[j], ring[i]
		}
	}
	return ring
}
