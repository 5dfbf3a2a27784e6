package tiles

import (
	"encoding/binary"
	"fmt"
	"math"
)

// A small decoder of Mapbox Vector Tiles (vector_tile.proto of the MVT 2.1
// specification) for the tests: layers, features, their ids, properties and
// geometry in tile units.

type mvtLayer struct {
	Name     string
	Version  int
	Extent   int
	Features []mvtFeature
}

type mvtFeature struct {
	ID    uint64
	Type  int // 1 point, 2 line, 3 polygon
	Props map[string]any
	// Rings (polygons) or points, in tile units.
	Geom [][][2]int
}

type pbReader struct {
	b []byte
}

func (r *pbReader) varint() (uint64, error) {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		return 0, fmt.Errorf("bad varint")
	}
	r.b = r.b[n:]
	return v, nil
}

// next reads a field: its number, wire type, and value (varint or bytes).
func (r *pbReader) next() (field int, wire int, v uint64, b []byte, err error) {
	key, err := r.varint()
	if err != nil {
		return 0, 0, 0, nil, err
	}
	field, wire = int(key>>3), int(key&7)
	switch wire {
	case 0:
		v, err = r.varint()
	case 1:
		if len(r.b) < 8 {
			return 0, 0, 0, nil, fmt.Errorf("short fixed64")
		}
		v, r.b = binary.LittleEndian.Uint64(r.b), r.b[8:]
	case 2:
		var n uint64
		if n, err = r.varint(); err == nil {
			if uint64(len(r.b)) < n {
				return 0, 0, 0, nil, fmt.Errorf("short bytes")
			}
			b, r.b = r.b[:n], r.b[n:]
		}
	case 5:
		if len(r.b) < 4 {
			return 0, 0, 0, nil, fmt.Errorf("short fixed32")
		}
		v, r.b = uint64(binary.LittleEndian.Uint32(r.b)), r.b[4:]
	default:
		err = fmt.Errorf("wire type %d", wire)
	}
	return field, wire, v, b, err
}

func packed(b []byte) ([]uint64, error) {
	r := &pbReader{b}
	var out []uint64
	for len(r.b) > 0 {
		v, err := r.varint()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func zigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

func decodeMVT(tile []byte) ([]mvtLayer, error) {
	var layers []mvtLayer
	r := &pbReader{tile}
	for len(r.b) > 0 {
		f, _, _, b, err := r.next()
		if err != nil {
			return nil, err
		}
		if f != 3 {
			continue
		}
		l, err := decodeLayer(b)
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	return layers, nil
}

func decodeLayer(b []byte) (mvtLayer, error) {
	l := mvtLayer{Extent: 4096}
	var keys []string
	var values []any
	var raw [][]byte
	r := &pbReader{b}
	for len(r.b) > 0 {
		f, _, v, b, err := r.next()
		if err != nil {
			return l, err
		}
		switch f {
		case 1:
			l.Name = string(b)
		case 2:
			raw = append(raw, b)
		case 3:
			keys = append(keys, string(b))
		case 4:
			val, err := decodeValue(b)
			if err != nil {
				return l, err
			}
			values = append(values, val)
		case 5:
			l.Extent = int(v)
		case 15:
			l.Version = int(v)
		}
	}
	for _, fb := range raw {
		feat := mvtFeature{Props: map[string]any{}}
		r := &pbReader{fb}
		for len(r.b) > 0 {
			f, _, v, b, err := r.next()
			if err != nil {
				return l, err
			}
			switch f {
			case 1:
				feat.ID = v
			case 2:
				tags, err := packed(b)
				if err != nil {
					return l, err
				}
				for i := 0; i+1 < len(tags); i += 2 {
					feat.Props[keys[tags[i]]] = values[tags[i+1]]
				}
			case 3:
				feat.Type = int(v)
			case 4:
				cmds, err := packed(b)
				if err != nil {
					return l, err
				}
				feat.Geom = decodeGeometry(cmds)
			}
		}
		l.Features = append(l.Features, feat)
	}
	return l, nil
}

func decodeValue(b []byte) (any, error) {
	r := &pbReader{b}
	var out any
	for len(r.b) > 0 {
		f, _, v, b, err := r.next()
		if err != nil {
			return nil, err
		}
		switch f {
		case 1:
			out = string(b)
		case 2:
			out = float64(math.Float32frombits(uint32(v)))
		case 3:
			out = math.Float64frombits(v)
		case 4:
			out = int64(v)
		case 5:
			out = int64(v)
		case 6:
			out = zigzag(v)
		case 7:
			out = v != 0
		}
	}
	return out, nil
}

// decodeGeometry follows the command stream: each MoveTo starts a ring (or
// a group of points).
func decodeGeometry(cmds []uint64) [][][2]int {
	var out [][][2]int
	x, y := 0, 0
	for i := 0; i < len(cmds); {
		id, count := cmds[i]&7, int(cmds[i]>>3)
		i++
		switch id {
		case 1, 2:
			for range count {
				x += int(zigzag(cmds[i]))
				y += int(zigzag(cmds[i+1]))
				i += 2
				if id == 1 {
					out = append(out, nil)
				}
				out[len(out)-1] = append(out[len(out)-1], [2]int{x, y})
			}
		case 7:
		}
	}
	return out
}

// ringArea is the surveyor's formula in tile coordinates: positive for the
// exterior rings of MVT 2 (clockwise as seen with y pointing down).
func ringArea(ring [][2]int) int {
	a := 0
	for i := range ring {
		j := (i + 1) % len(ring)
		a += ring[i][0]*ring[j][1] - ring[j][0]*ring[i][1]
	}
	return a / 2
}

// ringBox is a ring's bounding box: min x, min y, max x, max y.
func ringBox(ring [][2]int) [4]int {
	b := [4]int{math.MaxInt, math.MaxInt, math.MinInt, math.MinInt}
	for _, p := range ring {
		b[0], b[1] = min(b[0], p[0]), min(b[1], p[1])
		b[2], b[3] = max(b[2], p[0]), max(b[3], p[1])
	}
	return b
}

// LayerRings decodes the rings of every feature of one layer of a tile, for
// the tests of package tiles_test.
func LayerRings(tile []byte, layer string) ([][][][2]int, error) {
	layers, err := decodeMVT(tile)
	if err != nil {
		return nil, err
	}
	var out [][][][2]int
	for _, l := range layers {
		if l.Name == layer {
			for _, f := range l.Features {
				out = append(out, f.Geom)
			}
		}
	}
	return out, nil
}
