package pmtiles

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// jsReading is what testdata/read-archive.mjs prints.
type jsReading struct {
	Header struct {
		SpecVersion         int     `json:"specVersion"`
		RootDirectoryOffset uint64  `json:"rootDirectoryOffset"`
		RootDirectoryLength uint64  `json:"rootDirectoryLength"`
		JSONMetadataOffset  uint64  `json:"jsonMetadataOffset"`
		JSONMetadataLength  uint64  `json:"jsonMetadataLength"`
		LeafDirectoryOffset uint64  `json:"leafDirectoryOffset"`
		LeafDirectoryLength uint64  `json:"leafDirectoryLength"`
		TileDataOffset      uint64  `json:"tileDataOffset"`
		TileDataLength      uint64  `json:"tileDataLength"`
		NumAddressedTiles   uint64  `json:"numAddressedTiles"`
		NumTileEntries      uint64  `json:"numTileEntries"`
		NumTileContents     uint64  `json:"numTileContents"`
		Clustered           bool    `json:"clustered"`
		InternalCompression uint8   `json:"internalCompression"`
		TileCompression     uint8   `json:"tileCompression"`
		TileType            uint8   `json:"tileType"`
		MinZoom             uint8   `json:"minZoom"`
		MaxZoom             uint8   `json:"maxZoom"`
		MinLon              float64 `json:"minLon"`
		MinLat              float64 `json:"minLat"`
		MaxLon              float64 `json:"maxLon"`
		MaxLat              float64 `json:"maxLat"`
		CenterZoom          uint8   `json:"centerZoom"`
		CenterLon           float64 `json:"centerLon"`
		CenterLat           float64 `json:"centerLat"`
	} `json:"header"`
	Metadata map[string]any     `json:"metadata"`
	Tiles    map[string]*string `json:"tiles"`
	IDs      map[string]uint64  `json:"ids"`
}

// readWithJS runs the reference JavaScript reader (npm package pmtiles,
// pinned in testdata/package-lock.json) on archive. make test installs it
// (`npm ci --prefix tiles/pmtiles/testdata`); elsewhere its absence only
// skips the test, in CI it fails it.
func readWithJS(t *testing.T, archive []byte, keys []string) jsReading {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: archive not checked with the JavaScript reader; make test installs it", what)
		}
		t.Skipf("%s: archive not checked with the JavaScript reader", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
	}
	if _, err := os.Stat(filepath.Join("testdata", "node_modules", "pmtiles")); err != nil {
		missing("testdata/node_modules/pmtiles missing")
	}
	path := filepath.Join(t.TempDir(), "archive.pmtiles")
	if err := os.WriteFile(path, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, append([]string{"read-archive.mjs", path}, keys...)...)
	cmd.Dir = "testdata"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("read-archive.mjs: %v\n%s", err, stderr.Bytes())
	}
	var got jsReading
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("read-archive.mjs output: %v\n%s", err, out)
	}
	return got
}

// checkWithJS compares what the JavaScript reader finds in archive with
// the header the Go reader decodes, the metadata written and the tiles
// added (decompressed, as the JavaScript reader hands them out).
func checkWithJS(t *testing.T, archive []byte, tiles []tile, wantMeta map[string]any) {
	t.Helper()
	keys := make([]string, len(tiles))
	for i, tl := range tiles {
		keys[i] = tl.key()
	}
	got := readWithJS(t, archive, keys)

	r, err := Open(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	js := got.Header
	gotHeader := []any{js.SpecVersion, js.RootDirectoryOffset, js.RootDirectoryLength,
		js.JSONMetadataOffset, js.JSONMetadataLength, js.LeafDirectoryOffset, js.LeafDirectoryLength,
		js.TileDataOffset, js.TileDataLength, js.NumAddressedTiles, js.NumTileEntries, js.NumTileContents,
		js.Clustered, js.InternalCompression, js.TileCompression, js.TileType, js.MinZoom, js.MaxZoom,
		js.MinLon, js.MinLat, js.MaxLon, js.MaxLat, js.CenterZoom, js.CenterLon, js.CenterLat}
	wantHeader := []any{3, h.RootOffset, h.RootLength,
		h.MetadataOffset, h.MetadataLength, h.LeafOffset, h.LeafLength,
		h.DataOffset, h.DataLength, h.AddressedTiles, h.TileEntries, h.TileContents,
		true, uint8(2), uint8(2), uint8(1), h.MinZoom, h.MaxZoom,
		h.MinLon, h.MinLat, h.MaxLon, h.MaxLat, h.CenterZoom, h.CenterLon, h.CenterLat}
	if !reflect.DeepEqual(gotHeader, wantHeader) {
		t.Errorf("header read by JavaScript\n got %v\nwant %v", gotHeader, wantHeader)
	}
	if !reflect.DeepEqual(got.Metadata, wantMeta) {
		t.Errorf("metadata read by JavaScript\n got %v\nwant %v", got.Metadata, wantMeta)
	}
	for _, tl := range tiles {
		key := tl.key()
		id, err := TileID(tl.z, tl.x, tl.y)
		if err != nil {
			t.Fatal(err)
		}
		if got.IDs[key] != id {
			t.Errorf("tile %s: JavaScript tile id %d, Go %d", key, got.IDs[key], id)
		}
		b64 := got.Tiles[key]
		if tl.data == nil {
			if b64 != nil {
				t.Errorf("tile %s: JavaScript finds %q, want none", key, *b64)
			}
			continue
		}
		if b64 == nil {
			t.Errorf("tile %s: JavaScript finds no tile", key)
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(*b64)
		if err != nil {
			t.Fatal(err)
		}
		if want := gzString(t, tl.data); string(raw) != want {
			t.Errorf("tile %s: JavaScript reads %q, want %q", key, raw, want)
		}
	}
}

func TestJSReaderSmallPyramid(t *testing.T) {
	tiles, _ := smallPyramid(t)
	archive := writeArchive(t, tiles, testMetadata())
	// Beyond the archive's zooms too: the reader must find nothing there.
	tiles = append(tiles, tile{5, 16, 10, nil})
	checkWithJS(t, archive, tiles, map[string]any{
		"name":         "gemeinde",
		"description":  "Gemeinden mit Indikatoren",
		"attribution":  "© GeoBasis-DE / BKG (2021)",
		"version":      "1.0.0",
		"type":         "overlay",
		"data_version": float64(17),
		"vector_layers": []any{
			map[string]any{"id": "gemeinde", "minzoom": float64(0), "maxzoom": float64(4),
				"fields": map[string]any{"code": "String", "name": "String", "alq": "Number"}},
			map[string]any{"id": "gemeinde_labels", "minzoom": float64(2), "maxzoom": float64(4),
				"fields": map[string]any{"name": "String"}},
		},
	})
}

func TestJSReaderLeafDirectories(t *testing.T) {
	tiles := scatteredTiles(t, 30000)
	archive := writeArchive(t, tiles, Metadata{Name: "scattered"})
	// Every 100th tile reaches into every leaf; tiles never written on the
	// same zoom must be absent.
	var sample []tile
	for i := 0; i < len(tiles); i += 100 {
		sample = append(sample, tiles[i])
	}
	written := map[string]bool{}
	for _, tl := range tiles {
		written[tl.key()] = true
	}
	for x := uint32(0); x < 1<<12; x += 97 {
		if !written[fmt.Sprintf("12/%d/%d", x, 4095-x)] {
			sample = append(sample, tile{12, x, 4095 - x, nil})
		}
	}
	checkWithJS(t, archive, sample, map[string]any{"name": "scattered", "vector_layers": []any{}})
}
