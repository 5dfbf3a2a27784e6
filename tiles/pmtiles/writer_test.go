package pmtiles

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func gz(t testing.TB, s string) []byte {
	t.Helper()
	return gzipWith(t, gzip.NewWriter(nil), s)
}

// gzipWith compresses s with zw, reset for it: a new gzip.Writer costs
// more than the compression of a short tile.
func gzipWith(t testing.TB, zw *gzip.Writer, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw.Reset(&buf)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type tile struct {
	z, x, y uint32
	data    []byte
}

func (t tile) key() string { return fmt.Sprintf("%d/%d/%d", t.z, t.x, t.y) }

// smallPyramid is every tile of zooms 0 to 4 (341), with contents chosen so
// that the archive's counts are known:
//   - tile 1/0/1 (id 2) is empty and must be skipped;
//   - tile 1/1/1 (id 3) has the shared content "sea";
//   - the first 100 tiles of zoom 4 along the curve (ids 85–184) are "sea"
//     too: one entry with run length 100 pointing back at id 3's blob;
//   - every other tile has content of its own.
//
// So: 340 addressed tiles, 84 + 1 + 156 = 241 entries, 83 + 1 + 156 = 240
// distinct contents.
func smallPyramid(t testing.TB) (tiles []tile, sea []byte) {
	sea = gz(t, "sea")
	for z := uint32(0); z <= 4; z++ {
		for x := range uint32(1) << z {
			for y := range uint32(1) << z {
				id, err := TileID(z, x, y)
				if err != nil {
					t.Fatal(err)
				}
				data := gz(t, fmt.Sprintf("tile %d/%d/%d", z, x, y))
				switch {
				case id == 2:
					data = nil
				case id == 3, id >= 85 && id < 185:
					data = sea
				}
				tiles = append(tiles, tile{z, x, y, data})
			}
		}
	}
	return tiles, sea
}

// writeArchive adds tiles in a shuffled order and returns the archive.
func writeArchive(t testing.TB, tiles []tile, meta Metadata) []byte {
	t.Helper()
	shuffled := append([]tile(nil), tiles...)
	rand.New(rand.NewPCG(4, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	var out bytes.Buffer
	w, err := NewWriter(&out, Options{SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, tl := range shuffled {
		if err := w.Add(tl.z, tl.x, tl.y, tl.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(meta); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func testMetadata() Metadata {
	return Metadata{
		Name:        "gemeinde",
		Description: "Gemeinden mit Indikatoren",
		Attribution: "© GeoBasis-DE / BKG (2021)",
		Version:     "1.0.0",
		Type:        "overlay",
		VectorLayers: []VectorLayer{
			{ID: "gemeinde", Fields: map[string]string{"code": "String", "name": "String", "alq": "Number"}},
			{ID: "gemeinde_labels", Fields: map[string]string{"name": "String"}, MinZoom: 2, MaxZoom: 4},
		},
		Extra:  map[string]any{"data_version": float64(17)},
		Bounds: [4]float64{5.8663153, 47.2701114, 15.0418087, 55.099161},
		Center: [3]float64{10.4541194, 51.1642292, 3},
	}
}

func TestWriteReadSmallPyramid(t *testing.T) {
	tiles, sea := smallPyramid(t)
	archive := writeArchive(t, tiles, testMetadata())
	r, err := Open(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}

	h := r.Header()
	wantHeader := Header{
		RootOffset:          127,
		RootLength:          h.RootLength,
		MetadataOffset:      127 + h.RootLength,
		MetadataLength:      h.MetadataLength,
		LeafOffset:          127 + h.RootLength + h.MetadataLength,
		LeafLength:          0,
		DataOffset:          127 + h.RootLength + h.MetadataLength,
		DataLength:          uint64(len(archive)) - (127 + h.RootLength + h.MetadataLength),
		AddressedTiles:      340,
		TileEntries:         241,
		TileContents:        240,
		Clustered:           true,
		InternalCompression: CompressionGzip,
		TileCompression:     CompressionGzip,
		TileType:            TileTypeMVT,
		MinZoom:             0,
		MaxZoom:             4,
		MinLon:              5.8663153,
		MinLat:              47.2701114,
		MaxLon:              15.0418087,
		MaxLat:              55.099161,
		CenterZoom:          3,
		CenterLon:           10.4541194,
		CenterLat:           51.1642292,
	}
	if h != wantHeader {
		t.Errorf("header\n got %+v\nwant %+v", h, wantHeader)
	}
	if string(archive[:8]) != "PMTiles\x03" {
		t.Errorf("archive starts %q, want magic and version 3", archive[:8])
	}

	var wantData int
	seen := map[string]bool{}
	for _, tl := range tiles {
		got, ok, err := r.Tile(tl.z, tl.x, tl.y)
		if err != nil {
			t.Fatalf("tile %s: %v", tl.key(), err)
		}
		if tl.data == nil {
			if ok {
				t.Errorf("tile %s: empty tile stored as %d bytes", tl.key(), len(got))
			}
			continue
		}
		if !ok || !bytes.Equal(got, tl.data) {
			t.Errorf("tile %s: got %q (found %v), want %q", tl.key(), got, ok, tl.data)
		}
		if !seen[string(tl.data)] {
			seen[string(tl.data)] = true
			wantData += len(tl.data)
		}
	}
	if h.DataLength != uint64(wantData) {
		t.Errorf("tile data length %d, want %d: every distinct content once", h.DataLength, wantData)
	}

	// The directory itself: runs and back references as planned.
	root, err := decodeDirectory(archive[h.RootOffset : h.RootOffset+h.RootLength])
	if err != nil {
		t.Fatal(err)
	}
	if len(root) != 241 {
		t.Fatalf("root has %d entries, want 241", len(root))
	}
	if root[2].TileID != 3 || root[2].RunLength != 1 || root[2].Length != uint32(len(sea)) {
		t.Errorf("root[2] = %+v, want tile id 3 with the sea blob", root[2])
	}
	run := root[84]
	if run.TileID != 85 || run.RunLength != 100 || run.Offset != root[2].Offset || run.Length != root[2].Length {
		t.Errorf("root[84] = %+v, want tile id 85, run length 100, offset and length of root[2] %+v", run, root[2])
	}
	if root[85].TileID != 185 || root[85].RunLength != 1 {
		t.Errorf("root[85] = %+v, want tile id 185, run length 1", root[85])
	}
	// Clustered: an offset continues the previous new blob or points back.
	var next uint64
	for i, e := range root {
		if e.Offset == next {
			next += uint64(e.Length)
		} else if e.Offset > next {
			t.Errorf("entry %d %+v skips ahead of offset %d", i, e, next)
		}
	}

	// Walk expands the run: 340 tiles, 101 of them sea.
	var walked, seaTiles int
	err = r.Walk(func(z, x, y uint32, data []byte) error {
		walked++
		if bytes.Equal(data, sea) {
			seaTiles++
		}
		return nil
	})
	if err != nil || walked != 340 || seaTiles != 101 {
		t.Errorf("Walk: %d tiles, %d sea, error %v; want 340, 101", walked, seaTiles, err)
	}

	if _, ok, err := r.Tile(5, 0, 0); ok || err != nil {
		t.Errorf("tile 5/0/0 beyond the written zooms: found %v, error %v", ok, err)
	}
	if _, _, err := r.Tile(2, 4, 0); err == nil || err.Error() != "pmtiles: tile 2/4/0: x and y must be below 4 at zoom 2" {
		t.Errorf("tile 2/4/0: error %v", err)
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	tiles, _ := smallPyramid(t)
	r, err := Open(bytes.NewReader(writeArchive(t, tiles, testMetadata())))
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	want := testMetadata()
	// Layers without their own zoom range get the archive's.
	want.VectorLayers[0].MinZoom, want.VectorLayers[0].MaxZoom = 0, 4
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metadata\n got %+v\nwant %+v", got, want)
	}
}

// TestDefaultBoundsAndCenter: without bounds, the archive's outline is the
// extent of its highest zoom's tiles, and the center its middle at the
// lowest zoom.
func TestDefaultBoundsAndCenter(t *testing.T) {
	tiles := []tile{
		{6, 33, 20, gz(t, "a")}, // 5.625–11.25 °E, 52.482–55.776 °N
		{7, 67, 42, gz(t, "b")}, // 8.4375–11.25 °E, 50.736–52.482 °N
		{7, 68, 41, gz(t, "c")}, // 11.25–14.0625 °E, 52.482–54.162 °N
	}
	r, err := Open(bytes.NewReader(writeArchive(t, tiles, Metadata{})))
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	got := [7]float64{h.MinLon, h.MinLat, h.MaxLon, h.MaxLat, h.CenterLon, h.CenterLat, float64(h.CenterZoom)}
	want := [7]float64{8.4375, 50.7364551, 14.0625, 54.162434, 11.25, 52.4494446, 6}
	if got != want {
		t.Errorf("bounds and center %v, want %v", got, want)
	}
	if h.MinZoom != 6 || h.MaxZoom != 7 || h.AddressedTiles != 3 || h.TileEntries != 3 || h.TileContents != 3 {
		t.Errorf("header %+v: want zooms 6–7 and 3 tiles, entries, contents", h)
	}
	m, err := r.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "" || m.VectorLayers == nil || len(m.VectorLayers) != 0 || m.Extra != nil {
		t.Errorf("metadata %+v: want only an empty vector_layers", m)
	}
}

// TestLeafDirectories writes enough scattered tiles that the root
// directory alone would not fit into the first 16 KiB.
func TestLeafDirectories(t *testing.T) {
	tiles := scatteredTiles(t, 30000)
	archive := writeArchive(t, tiles, Metadata{Name: "scattered"})
	r, err := Open(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.LeafLength == 0 {
		t.Fatal("no leaf directories")
	}
	if h.RootOffset+h.RootLength > 16384 {
		t.Errorf("root directory ends at byte %d, beyond the first 16384", h.RootOffset+h.RootLength)
	}
	root, err := decodeDirectory(archive[h.RootOffset : h.RootOffset+h.RootLength])
	if err != nil {
		t.Fatal(err)
	}
	// 30000 entries in leaves of 4096: 8 leaves.
	if len(root) != 8 {
		t.Errorf("root has %d entries, want 8 leaf pointers", len(root))
	}
	var leafBytes uint64
	for i, e := range root {
		if e.RunLength != 0 {
			t.Errorf("root entry %d %+v is not a leaf pointer", i, e)
		}
		leafBytes += uint64(e.Length)
	}
	if leafBytes != h.LeafLength {
		t.Errorf("leaves add up to %d bytes, header says %d", leafBytes, h.LeafLength)
	}
	if h.AddressedTiles != 30000 || h.TileEntries != 30000 || h.TileContents != 30000 {
		t.Errorf("header counts %d/%d/%d, want 30000 each", h.AddressedTiles, h.TileEntries, h.TileContents)
	}
	for _, tl := range tiles {
		got, ok, err := r.Tile(tl.z, tl.x, tl.y)
		if err != nil || !ok || !bytes.Equal(got, tl.data) {
			t.Fatalf("tile %s: got %q, found %v, error %v; want %q", tl.key(), got, ok, err, tl.data)
		}
	}
	// Tiles between the written ones and before the first are absent.
	written := map[string]bool{}
	for _, tl := range tiles {
		written[tl.key()] = true
	}
	var absent int
	for x := uint32(0); x < 1<<12 && absent < 200; x += 37 {
		key := fmt.Sprintf("12/%d/%d", x, x)
		if written[key] {
			continue
		}
		absent++
		if _, ok, err := r.Tile(12, x, x); ok || err != nil {
			t.Errorf("tile %s was never written: found %v, error %v", key, ok, err)
		}
	}
	if _, ok, err := r.Tile(0, 0, 0); ok || err != nil {
		t.Errorf("tile 0/0/0 before the first entry: found %v, error %v", ok, err)
	}

	// Walk visits every tile once, in tile-ID order.
	var n int
	var last uint64
	err = r.Walk(func(z, x, y uint32, data []byte) error {
		id, err := TileID(z, x, y)
		if err != nil {
			return err
		}
		if n > 0 && id <= last {
			return fmt.Errorf("tile %d/%d/%d (id %d) after id %d", z, x, y, id, last)
		}
		if want := gzString(t, data); want != fmt.Sprintf("tile %d/%d/%d", z, x, y) {
			return fmt.Errorf("tile %d/%d/%d holds %q", z, x, y, want)
		}
		n, last = n+1, id
		return nil
	})
	if err != nil || n != 30000 {
		t.Errorf("Walk: %d tiles, error %v; want 30000", n, err)
	}
}

// scatteredTiles is n distinct tiles at random places on zoom 12, each
// with its own content.
func scatteredTiles(t testing.TB, n int) []tile {
	rng := rand.New(rand.NewPCG(1, 2))
	zw := gzip.NewWriter(nil)
	seen := map[[2]uint32]bool{}
	tiles := make([]tile, 0, n)
	for len(tiles) < n {
		x, y := rng.Uint32N(1<<12), rng.Uint32N(1<<12)
		if seen[[2]uint32{x, y}] {
			continue
		}
		seen[[2]uint32{x, y}] = true
		tiles = append(tiles, tile{12, x, y, gzipWith(t, zw, fmt.Sprintf("tile 12/%d/%d", x, y))})
	}
	return tiles
}

func gzString(t testing.TB, b []byte) string {
	t.Helper()
	s, err := Gunzip(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(s)
}

func TestWriterErrors(t *testing.T) {
	ok := gz(t, "x")
	tests := []struct {
		name  string
		tiles []tile
		meta  Metadata
		want  string
	}{
		{"zoom too high", []tile{{32, 0, 0, ok}}, Metadata{}, "pmtiles: tile 32/0/0: zoom above 31"},
		{"x out of range", []tile{{2, 4, 1, ok}}, Metadata{}, "pmtiles: tile 2/4/1: x and y must be below 4 at zoom 2"},
		{"not gzip", []tile{{2, 1, 1, []byte("\x1a\x02hi")}}, Metadata{}, "pmtiles: tile 2/1/1: not gzip-compressed"},
		{"twice", []tile{{3, 1, 2, ok}, {3, 2, 2, ok}, {3, 1, 2, gz(t, "y")}}, Metadata{}, "pmtiles: tile 3/1/2 added twice"},
		{"no tiles", []tile{{3, 1, 2, nil}}, Metadata{}, "pmtiles: no tiles added; an archive needs at least one (spec 4.2)"},
		{"bounds", []tile{{0, 0, 0, ok}}, Metadata{Bounds: [4]float64{15, 47, 5, 55}}, "pmtiles: bounds [15 47 5 55]: want west < east within ±180 and south < north within ±90"},
		{"center zoom", []tile{{0, 0, 0, ok}}, Metadata{Center: [3]float64{10, 51, 2.5}}, "pmtiles: center [10 51 2.5]: want longitude, latitude and a whole zoom 0–31"},
		{"type", []tile{{0, 0, 0, ok}}, Metadata{Type: "choropleth"}, `metadata: type "choropleth", want overlay or baselayer`},
		{"layer id", []tile{{0, 0, 0, ok}}, Metadata{VectorLayers: []VectorLayer{{ID: "a"}, {}}}, "metadata: vector layer 1: empty id"},
		{"extra key", []tile{{0, 0, 0, ok}}, Metadata{Extra: map[string]any{"name": "x"}}, `metadata: extra key "name" is a Metadata field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var out bytes.Buffer
			w, err := NewWriter(&out, Options{SpoolDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			for _, tl := range tt.tiles {
				if err = w.Add(tl.z, tl.x, tl.y, tl.data); err != nil {
					break
				}
			}
			if err == nil {
				err = w.Finish(tt.meta)
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("%d bytes written on error", out.Len())
			}
			w.Close()
			if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
				t.Errorf("spool files left behind: %v", left)
			}
		})
	}
}

func TestWriterAfterFinish(t *testing.T) {
	var out bytes.Buffer
	w, err := NewWriter(&out, Options{SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(0, 0, 0, gz(t, "x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(Metadata{}); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(1, 0, 0, gz(t, "y")); err == nil || err.Error() != "pmtiles: Add after Finish or Close" {
		t.Errorf("Add after Finish: error %v", err)
	}
	if err := w.Finish(Metadata{}); err == nil || err.Error() != "pmtiles: Finish after Finish or Close" {
		t.Errorf("Finish twice: error %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close after Finish: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	tiles, _ := smallPyramid(t)
	good := writeArchive(t, tiles, Metadata{})
	tests := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"short", []byte("PMTiles\x03"), "pmtiles: read header: EOF"},
		{"magic", append([]byte("MBTiles"), good[7:]...), "pmtiles: not a PMTiles archive: magic number missing"},
		{"version", append([]byte("PMTiles\x02"), good[8:]...), "pmtiles: header: spec version 2, only 3 is supported"},
		{"truncated root", good[:130], "pmtiles: root directory: section at 127, "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(tt.archive))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
