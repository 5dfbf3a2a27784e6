package main

import (
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// browserDir holds the pinned MapLibre GL JS and Playwright (make test runs
// npm ci there) and the test page.
const browserDir = "testdata/browser"

// browser returns node and checks that Chromium and the pinned packages
// are there; CI must have them, elsewhere their absence skips the test.
func browser(t *testing.T) string {
	t.Helper()
	tool(t, "chromium")
	node := tool(t, "node")
	for _, p := range []string{"node_modules/maplibre-gl/dist/maplibre-gl.mjs", "node_modules/playwright-core/package.json"} {
		if _, err := os.Stat(filepath.Join(browserDir, p)); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing; make test runs npm ci in %s", p, browserDir)
			}
			t.Skipf("%s is missing (npm ci --prefix %s)", p, browserDir)
		}
	}
	return node
}

// pageServer serves the test page and MapLibre, and passes everything else
// to the service, so that the page and the tiles share an origin.
func pageServer(t *testing.T, service string) *httptest.Server {
	t.Helper()
	target, err := url.Parse(service)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/maplibre/", http.StripPrefix("/maplibre/",
		http.FileServer(http.Dir(filepath.Join(browserDir, "node_modules/maplibre-gl/dist")))))
	mux.HandleFunc("/map.html", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(browserDir, "map.html"))
	})
	// without it the browser's favicon request is a console error
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestMapLibreDrawsChoropleth draws the Gemeinden's population from the
// service's TileJSON in headless Chromium and checks the colour of Jena
// against the class its value from /indicators/einwohner/values falls in.
func TestMapLibreDrawsChoropleth(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	page := pageServer(t, srv.URL)

	const jena = "160530000000"
	var values struct {
		Rows []struct {
			Code  string   `json:"code"`
			Value *float64 `json:"value"`
		} `json:"rows"`
	}
	getJSON(t, srv.URL+"/indicators/einwohner/values?level=gemeinde", &values)
	var want float64
	for _, r := range values.Rows {
		if r.Code == jena && r.Value != nil {
			want = *r.Value
		}
	}
	if want == 0 {
		t.Fatalf("no population of Jena in /indicators/einwohner/values")
	}

	breaks := []float64{10000, 50000, 100000}
	colours := []string{"#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"}
	class := 0
	for class < len(breaks) && want >= breaks[class] {
		class++
	}
	q := url.Values{
		"tilejson":  {"/tiles/gemeinde.json?indicators=einwohner"},
		"layer":     {"gemeinde"},
		"indicator": {"einwohner"},
		"breaks":    {"10000,50000,100000"},
		"colours":   {"#ffffcc,#a1dab4,#41b6c4,#225ea8"},
		"missing":   {"#bdbdbd"},
		"center":    {"11.59,50.93"},
		"zoom":      {"9"},
		// Jena's market square, inside the city's boundary
		"at": {"11.5863,50.9272"},
	}
	shot := filepath.Join(t.TempDir(), "map.png")
	cmd := exec.Command(node, "render.mjs", page.URL+"/map.html?"+q.Encode(), shot)
	cmd.Dir = browserDir
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("render.mjs: %v\n%s\n%s", err, out, msg)
	}
	var res struct {
		Result struct {
			X, Y     float64
			Features []map[string]any
		}
		Errors []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("render.mjs said %s: %v", out, err)
	}
	if len(res.Errors) > 0 {
		t.Errorf("console errors: %q", res.Errors)
	}
	if len(res.Result.Features) != 1 || res.Result.Features[0]["code"] != jena || res.Result.Features[0]["einwohner"] != want {
		t.Errorf("features at Jena's market square: %v, want %s with einwohner %v", res.Result.Features, jena, want)
	}

	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	r, g, b, _ := img.At(int(res.Result.X), int(res.Result.Y)).RGBA()
	got := fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
	if got != colours[class] {
		t.Errorf("colour at Jena (%.0f, %.0f): %s, want %s (class %d of %v for %s)",
			res.Result.X, res.Result.Y, got, colours[class], class, breaks, strconv.FormatFloat(want, 'f', -1, 64))
	}
}
