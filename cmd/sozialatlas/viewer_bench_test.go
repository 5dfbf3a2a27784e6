package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
)

// BenchmarkViewerLoad measures how long the atlas takes to show its first
// map in a browser with an empty cache: each load starts a fresh headless
// Chromium, and the time runs from navigation to the page's first
// report (classes fetched, tiles drawn, the map idle). The floor is the
// same MapLibre from the same server drawing only the Länder lines
// (testdata/browser/floor.html). The first load finds the server's tile
// cache cold and is reported on its own; the median is over the loads
// after it. Run: go run ./data/pgtest/run -- go test -run '^$' -bench ViewerLoad -benchtime 5x ./cmd/sozialatlas/
func BenchmarkViewerLoad(b *testing.B) {
	node := browser(b)
	srv, _ := demoServer(b)
	pages := pageServer(b, srv.URL)
	shot := filepath.Join(b.TempDir(), "load.png")
	load := func(path string) float64 {
		var res struct{ Result struct{ LoadedMs float64 } }
		out := render(b, node, pages.URL+path, shot)
		if err := json.Unmarshal(out, &res); err != nil || res.Result.LoadedMs <= 0 {
			b.Fatalf("render.mjs said %s: %v", out, err)
		}
		return res.Result.LoadedMs
	}
	cold := load("/")
	var viewer, floor []float64
	b.ResetTimer()
	for range b.N {
		viewer = append(viewer, load("/"))
		floor = append(floor, load("/floor.html"))
	}
	b.StopTimer()
	median := func(xs []float64) float64 {
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	v, f := median(viewer), median(floor)
	b.ReportMetric(v, "ms-viewer")
	b.ReportMetric(f, "ms-floor")
	b.ReportMetric(v/f, "viewer/floor")
	b.ReportMetric(cold, "ms-cold-server")
}
