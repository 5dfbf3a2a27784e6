package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/sozialatlas/sozialatlas/tiles/pmtiles"
)

// tiles export writes a complete archive of the demo's Kreise, or nothing.
func TestTilesExportCommand(t *testing.T) {
	pool := demoDB(t)
	url := pool.Config().ConnString() + " dbname=" + pool.Config().ConnConfig.Database
	out := filepath.Join(t.TempDir(), "kreis.pmtiles")
	stdout, stderr, err := cli(t, url, "tiles", "export", "--level", "kreis", "--maxzoom", "5",
		"--indicators", "einwohner", "--out", out, "--json")
	if err != nil {
		t.Fatalf("tiles export: %v\n%s", err, stderr)
	}
	var rep struct {
		Tiles, Filled, Empty int
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report %s: %v", stdout, err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ar, err := pmtiles.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	h := ar.Header()
	// Germany at zoom 0–5: one tile each at zooms 0–4, four at zoom 5
	// (every one holds Kreise).
	if rep.Tiles != 9 || rep.Filled != 9 || h.AddressedTiles != 9 || h.MinZoom != 0 || h.MaxZoom != 5 {
		t.Errorf("report %+v; archive of %d tiles, zoom %d–%d", rep, h.AddressedTiles, h.MinZoom, h.MaxZoom)
	}
	if _, ok, err := ar.Tile(5, 17, 10); err != nil || !ok {
		t.Errorf("tile 5/17/10 (the north-east of Germany): %v %v", ok, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("left in the directory: %v", entries)
	}

	// An unknown level writes nothing, not even a partial file.
	bad := filepath.Join(t.TempDir(), "dorf.pmtiles")
	if _, _, err := cli(t, url, "tiles", "export", "--level", "dorf", "--out", bad); err == nil {
		t.Error("tiles export --level dorf: no error")
	}
	if entries, _ := os.ReadDir(filepath.Dir(bad)); len(entries) != 0 {
		t.Errorf("left behind after a failed export: %v", entries)
	}
}
