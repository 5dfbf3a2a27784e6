package pmtiles

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// Options tune a Writer.
type Options struct {
	// SpoolDir holds the temporary file in which tile contents wait for
	// Finish; "" means os.TempDir().
	SpoolDir string
}

// Writer builds an archive from tiles added in any order. Tile contents
// go to a spool file as they arrive, each distinct content once; Finish
// lays them out in tile-ID order behind header and directories. A Writer
// is not safe for concurrent use.
type Writer struct {
	out      io.Writer
	spool    *os.File
	spoolLen uint64
	byHash   map[[sha256.Size]byte]int32
	blobs    []blob
	tiles    []tileRef
	extent   [MaxZoom + 1]tileRange
	done     bool
}

// blob is one distinct tile content in the spool file.
type blob struct {
	offset uint64
	length uint32
}

type tileRef struct {
	id   uint64
	blob int32
}

// tileRange is the x/y extent of the tiles added at one zoom.
type tileRange struct {
	any                    bool
	minX, minY, maxX, maxY uint32
}

// NewWriter returns a Writer whose archive goes to out on Finish.
// Close removes its spool file; after Finish, Close is a no-op.
func NewWriter(out io.Writer, opts Options) (*Writer, error) {
	spool, err := os.CreateTemp(opts.SpoolDir, "pmtiles-spool-*")
	if err != nil {
		return nil, fmt.Errorf("pmtiles: spool file: %w", err)
	}
	return &Writer{out: out, spool: spool, byHash: map[[sha256.Size]byte]int32{}}, nil
}

// Add stores tile z/x/y. data is a gzip-compressed MVT tile; an empty
// tile is skipped, since a missing tile already reads as empty. Identical
// contents are stored once.
func (w *Writer) Add(z, x, y uint32, data []byte) error {
	if w.done {
		return errors.New("pmtiles: Add after Finish or Close")
	}
	id, err := TileID(z, x, y)
	if err != nil {
		return fmt.Errorf("pmtiles: %w", err)
	}
	if len(data) == 0 {
		return nil
	}
	// The header declares tile compression gzip (spec 3.3); a tile without
	// the gzip magic bytes would be unreadable to every client.
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return fmt.Errorf("pmtiles: tile %d/%d/%d: not gzip-compressed", z, x, y)
	}
	if len(data) > math.MaxUint32 {
		return fmt.Errorf("pmtiles: tile %d/%d/%d: %d bytes, at most %d fit an entry", z, x, y, len(data), uint32(math.MaxUint32))
	}
	sum := sha256.Sum256(data)
	b, ok := w.byHash[sum]
	if !ok {
		if _, err := w.spool.Write(data); err != nil {
			return fmt.Errorf("pmtiles: tile %d/%d/%d: spool: %w", z, x, y, err)
		}
		b = int32(len(w.blobs))
		w.blobs = append(w.blobs, blob{offset: w.spoolLen, length: uint32(len(data))})
		w.spoolLen += uint64(len(data))
		w.byHash[sum] = b
	}
	w.tiles = append(w.tiles, tileRef{id: id, blob: b})
	r := &w.extent[z]
	if !r.any {
		*r = tileRange{any: true, minX: x, minY: y, maxX: x, maxY: y}
	} else {
		r.minX, r.maxX = min(r.minX, x), max(r.maxX, x)
		r.minY, r.maxY = min(r.minY, y), max(r.maxY, y)
	}
	return nil
}

// Finish writes the archive: header, root directory, metadata, leaf
// directories and tile data, in the order the spec recommends (spec 2).
// The tile data is clustered: blobs follow the tile IDs that first use
// them.
func (w *Writer) Finish(meta Metadata) (err error) {
	if w.done {
		return errors.New("pmtiles: Finish after Finish or Close")
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	if len(w.tiles) == 0 {
		return errors.New("pmtiles: no tiles added; an archive needs at least one (spec 4.2)")
	}
	slices.SortFunc(w.tiles, func(a, b tileRef) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	entries, order, err := w.layout()
	if err != nil {
		return err
	}
	root, leaves, err := buildDirectories(entries)
	if err != nil {
		return err
	}
	minZoom, maxZoom := w.zoomRange()
	if err := w.defaults(&meta, minZoom, maxZoom); err != nil {
		return err
	}
	metaJSON, err := metadataJSON(meta, int(minZoom), int(maxZoom))
	if err != nil {
		return err
	}
	metaGz, err := Gzip(metaJSON, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("pmtiles: metadata: %w", err)
	}
	var dataLen, addressed uint64
	for _, b := range order {
		dataLen += uint64(w.blobs[b].length)
	}
	for _, e := range entries {
		addressed += uint64(e.RunLength)
	}
	h := Header{
		RootOffset:          HeaderLen,
		RootLength:          uint64(len(root)),
		MetadataOffset:      HeaderLen + uint64(len(root)),
		MetadataLength:      uint64(len(metaGz)),
		LeafLength:          uint64(len(leaves)),
		DataLength:          dataLen,
		AddressedTiles:      addressed,
		TileEntries:         uint64(len(entries)),
		TileContents:        uint64(len(order)),
		Clustered:           true,
		InternalCompression: CompressionGzip,
		TileCompression:     CompressionGzip,
		TileType:            TileTypeMVT,
		MinZoom:             minZoom,
		MaxZoom:             maxZoom,
		MinLon:              meta.Bounds[0],
		MinLat:              meta.Bounds[1],
		MaxLon:              meta.Bounds[2],
		MaxLat:              meta.Bounds[3],
		CenterLon:           meta.Center[0],
		CenterLat:           meta.Center[1],
		CenterZoom:          uint8(meta.Center[2]),
	}
	h.LeafOffset = h.MetadataOffset + h.MetadataLength
	h.DataOffset = h.LeafOffset + h.LeafLength

	bw := bufio.NewWriterSize(w.out, 1<<16)
	for _, part := range [][]byte{encodeHeader(h), root, metaGz, leaves} {
		if _, err := bw.Write(part); err != nil {
			return fmt.Errorf("pmtiles: write: %w", err)
		}
	}
	for _, b := range order {
		bl := w.blobs[b]
		if _, err := io.Copy(bw, io.NewSectionReader(w.spool, int64(bl.offset), int64(bl.length))); err != nil {
			return fmt.Errorf("pmtiles: write tile data: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("pmtiles: write: %w", err)
	}
	return nil
}

// layout turns the sorted tiles into tile entries, one per run of
// consecutive tile IDs with the same content (spec 4.1, "RunLength"), and
// gives every blob its offset in the tile data: the next free one when a
// tile first uses it, so offsets only ever continue the previous blob or
// point back, as a clustered archive requires (spec 3.2, "Clustered").
func (w *Writer) layout() ([]entry, []int32, error) {
	offsets := make([]int64, len(w.blobs))
	for i := range offsets {
		offsets[i] = -1
	}
	var (
		entries []entry
		order   []int32
		next    uint64
		last    int32
	)
	for i, t := range w.tiles {
		if i > 0 && t.id == w.tiles[i-1].id {
			z, x, y, _ := TileZXY(t.id)
			return nil, nil, fmt.Errorf("pmtiles: tile %d/%d/%d added twice", z, x, y)
		}
		if n := len(entries); n > 0 && t.blob == last {
			e := &entries[n-1]
			if e.TileID+uint64(e.RunLength) == t.id && e.RunLength < math.MaxUint32 {
				e.RunLength++
				continue
			}
		}
		if offsets[t.blob] < 0 {
			offsets[t.blob] = int64(next)
			next += uint64(w.blobs[t.blob].length)
			order = append(order, t.blob)
		}
		entries = append(entries, entry{
			TileID:    t.id,
			Offset:    uint64(offsets[t.blob]),
			Length:    w.blobs[t.blob].length,
			RunLength: 1,
		})
		last = t.blob
	}
	return entries, order, nil
}

// buildDirectories puts all entries into the root directory when header
// and root fit into the first 16 KiB (spec 4); otherwise it splits them
// into leaf directories of equal entry counts, doubling the count until
// the root of leaf pointers fits. One level of leaves suffices: the spec
// discourages deeper ones.
func buildDirectories(entries []entry) (root, leaves []byte, err error) {
	root, err = encodeDirectory(entries)
	if err != nil {
		return nil, nil, fmt.Errorf("pmtiles: root directory: %w", err)
	}
	if HeaderLen+len(root) <= rootLimit {
		return root, nil, nil
	}
	for perLeaf := 4096; ; perLeaf *= 2 {
		leaves = leaves[:0]
		var pointers []entry
		for start := 0; start < len(entries); start += perLeaf {
			chunk := entries[start:min(start+perLeaf, len(entries))]
			leaf, err := encodeDirectory(chunk)
			if err != nil {
				return nil, nil, fmt.Errorf("pmtiles: leaf directory: %w", err)
			}
			pointers = append(pointers, entry{
				TileID: chunk[0].TileID,
				Offset: uint64(len(leaves)),
				Length: uint32(len(leaf)),
			})
			leaves = append(leaves, leaf...)
		}
		root, err = encodeDirectory(pointers)
		if err != nil {
			return nil, nil, fmt.Errorf("pmtiles: root directory: %w", err)
		}
		if HeaderLen+len(root) <= rootLimit {
			return root, leaves, nil
		}
	}
}

func (w *Writer) zoomRange() (minZoom, maxZoom uint8) {
	minZoom = MaxZoom
	for z, r := range w.extent {
		if r.any {
			minZoom = min(minZoom, uint8(z))
			maxZoom = max(maxZoom, uint8(z))
		}
	}
	return minZoom, maxZoom
}

// defaults fills unset bounds with the extent of the highest zoom's tiles,
// the finest outline of the data the archive knows, and an unset center
// with the middle of the bounds at the lowest zoom.
func (w *Writer) defaults(m *Metadata, minZoom, maxZoom uint8) error {
	if m.Bounds == [4]float64{} {
		r := w.extent[maxZoom]
		n := float64(uint64(1) << maxZoom)
		m.Bounds = [4]float64{
			float64(r.minX)/n*360 - 180,
			tileLat(float64(r.maxY+1) / n),
			float64(r.maxX+1)/n*360 - 180,
			tileLat(float64(r.minY) / n),
		}
	}
	b := m.Bounds
	if !(-180 <= b[0] && b[0] < b[2] && b[2] <= 180 && -90 <= b[1] && b[1] < b[3] && b[3] <= 90) {
		return fmt.Errorf("pmtiles: bounds %v: want west < east within ±180 and south < north within ±90", b)
	}
	if m.Center == [3]float64{} {
		m.Center = [3]float64{(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, float64(minZoom)}
	}
	c := m.Center
	if c[0] < -180 || c[0] > 180 || c[1] < -90 || c[1] > 90 || c[2] < 0 || c[2] > MaxZoom || c[2] != math.Trunc(c[2]) {
		return fmt.Errorf("pmtiles: center %v: want longitude, latitude and a whole zoom 0–%d", c, MaxZoom)
	}
	return nil
}

// tileLat is the latitude of the Web Mercator tile edge at fraction f of
// the world's height from the north.
func tileLat(f float64) float64 {
	return math.Atan(math.Sinh(math.Pi*(1-2*f))) * 180 / math.Pi
}

// Close discards the spool file. It is safe to call more than once, and
// after Finish.
func (w *Writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	name := w.spool.Name()
	err := w.spool.Close()
	if rerr := os.Remove(name); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("pmtiles: spool file: %w", err)
	}
	return nil
}
