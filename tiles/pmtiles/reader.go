package pmtiles

import (
	"fmt"
	"io"
	"sort"
	"sync"
)

// maxDepth bounds the directory levels a lookup follows: root plus leaves
// is what writers produce, the spec discourages more (spec 4), and a
// corrupt archive must not loop.
const maxDepth = 4

// leafCacheSize bounds the decoded leaf directories a Reader keeps: a
// lookup otherwise decompresses and decodes a leaf of thousands of entries
// for one tile. At about 4096 entries a leaf, 64 leaves cover a quarter
// million tiles in some 6 MiB.
const leafCacheSize = 64

// Reader reads tiles and metadata from an archive. It keeps header, root
// directory and the most recently read leaf directories in memory and is
// safe for concurrent use when src is.
type Reader struct {
	src    io.ReaderAt
	header Header
	root   []entry

	mu     sync.Mutex
	leaves map[uint64][]entry // by offset in the leaf section
}

// Open reads header and root directory from src.
func Open(src io.ReaderAt) (*Reader, error) {
	hb := make([]byte, HeaderLen)
	if _, err := src.ReadAt(hb, 0); err != nil {
		return nil, fmt.Errorf("pmtiles: read header: %w", err)
	}
	h, err := decodeHeader(hb)
	if err != nil {
		return nil, fmt.Errorf("pmtiles: %w", err)
	}
	if h.InternalCompression != CompressionGzip {
		return nil, fmt.Errorf("pmtiles: internal compression %d, only gzip (2) is supported", h.InternalCompression)
	}
	r := &Reader{src: src, header: h, leaves: map[uint64][]entry{}}
	r.root, err = r.directory(h.RootOffset, h.RootLength)
	if err != nil {
		return nil, fmt.Errorf("pmtiles: root %w", err)
	}
	return r, nil
}

// Header returns the decoded header.
func (r *Reader) Header() Header { return r.header }

func (r *Reader) section(off, n uint64) ([]byte, error) {
	if n > 1<<30 {
		return nil, fmt.Errorf("section at %d: length %d too large", off, n)
	}
	b := make([]byte, n)
	if _, err := r.src.ReadAt(b, int64(off)); err != nil {
		return nil, fmt.Errorf("section at %d, %d bytes: %w", off, n, err)
	}
	return b, nil
}

func (r *Reader) directory(off, n uint64) ([]entry, error) {
	b, err := r.section(off, n)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	return decodeDirectory(b)
}

// Tile returns the stored bytes of tile z/x/y, as added to the Writer
// (still compressed as the header's TileCompression says), and whether
// the archive has it.
func (r *Reader) Tile(z, x, y uint32) ([]byte, bool, error) {
	id, err := TileID(z, x, y)
	if err != nil {
		return nil, false, fmt.Errorf("pmtiles: %w", err)
	}
	dir := r.root
	for depth := 0; depth < maxDepth; depth++ {
		e, ok := findEntry(dir, id)
		if !ok {
			return nil, false, nil
		}
		if e.RunLength > 0 {
			b, err := r.section(r.header.DataOffset+e.Offset, uint64(e.Length))
			if err != nil {
				return nil, false, fmt.Errorf("pmtiles: tile %d/%d/%d: %w", z, x, y, err)
			}
			return b, true, nil
		}
		dir, err = r.leaf(e)
		if err != nil {
			return nil, false, fmt.Errorf("pmtiles: tile %d/%d/%d: leaf %w", z, x, y, err)
		}
	}
	return nil, false, fmt.Errorf("pmtiles: tile %d/%d/%d: more than %d directory levels", z, x, y, maxDepth)
}

// leaf returns the leaf directory e points to, from the cache if it is
// there. A full cache is emptied rather than kept in order: lookups of a
// map viewer or an export move through an area and rarely come back.
func (r *Reader) leaf(e entry) ([]entry, error) {
	r.mu.Lock()
	dir, ok := r.leaves[e.Offset]
	r.mu.Unlock()
	if ok {
		return dir, nil
	}
	dir, err := r.directory(r.header.LeafOffset+e.Offset, uint64(e.Length))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if len(r.leaves) >= leafCacheSize {
		clear(r.leaves)
	}
	r.leaves[e.Offset] = dir
	r.mu.Unlock()
	return dir, nil
}

// findEntry returns the entry covering id: the last one starting at or
// before it, if it is a leaf pointer or its run reaches id.
func findEntry(dir []entry, id uint64) (entry, bool) {
	i := sort.Search(len(dir), func(i int) bool { return dir[i].TileID > id }) - 1
	if i < 0 {
		return entry{}, false
	}
	e := dir[i]
	if e.RunLength == 0 || id-e.TileID < uint64(e.RunLength) {
		return e, true
	}
	return entry{}, false
}

// Metadata returns the JSON metadata, with Bounds and Center from the
// header.
func (r *Reader) Metadata() (Metadata, error) {
	b, err := r.section(r.header.MetadataOffset, r.header.MetadataLength)
	if err != nil {
		return Metadata{}, fmt.Errorf("pmtiles: metadata: %w", err)
	}
	raw, err := Gunzip(b)
	if err != nil {
		return Metadata{}, fmt.Errorf("pmtiles: metadata: %w", err)
	}
	m, err := parseMetadata(raw)
	if err != nil {
		return Metadata{}, fmt.Errorf("pmtiles: %w", err)
	}
	h := r.header
	m.Bounds = [4]float64{h.MinLon, h.MinLat, h.MaxLon, h.MaxLat}
	m.Center = [3]float64{h.CenterLon, h.CenterLat, float64(h.CenterZoom)}
	return m, nil
}

// Walk calls fn for every tile in tile-ID order, with the stored bytes;
// a tile of a run is reported once per tile ID, all with the same data
// slice, which fn must not modify. It stops at fn's first error and
// returns it.
func (r *Reader) Walk(fn func(z, x, y uint32, data []byte) error) error {
	return r.walk(r.root, 0, fn)
}

func (r *Reader) walk(dir []entry, depth int, fn func(z, x, y uint32, data []byte) error) error {
	if depth >= maxDepth {
		return fmt.Errorf("pmtiles: more than %d directory levels", maxDepth)
	}
	for _, e := range dir {
		if e.RunLength == 0 {
			leaf, err := r.directory(r.header.LeafOffset+e.Offset, uint64(e.Length))
			if err != nil {
				return fmt.Errorf("pmtiles: leaf %w", err)
			}
			if err := r.walk(leaf, depth+1, fn); err != nil {
				return err
			}
			continue
		}
		b, err := r.section(r.header.DataOffset+e.Offset, uint64(e.Length))
		if err != nil {
			return fmt.Errorf("pmtiles: tile id %d: %w", e.TileID, err)
		}
		for id := e.TileID; id < e.TileID+uint64(e.RunLength); id++ {
			z, x, y, err := TileZXY(id)
			if err != nil {
				return fmt.Errorf("pmtiles: %w", err)
			}
			if err := fn(z, x, y, b); err != nil {
				return err
			}
		}
	}
	return nil
}
