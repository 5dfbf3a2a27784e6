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
	"strings"
	"testing"
)

// browserDir holds the pinned MapLibre GL JS, OpenLayers and Playwright
// (make test runs npm ci there) and the test pages.
const browserDir = "testdata/browser"

// browser returns node and checks that Chromium and the pinned packages
// are there; CI must have them, elsewhere their absence skips the test.
func browser(t testing.TB) string {
	t.Helper()
	tool(t, "chromium")
	node := tool(t, "node")
	for _, p := range []string{"node_modules/maplibre-gl/dist/maplibre-gl.mjs", "node_modules/ol/dist/ol.js", "node_modules/playwright-core/package.json", "node_modules/axe-core/axe.min.js"} {
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
func pageServer(t testing.TB, service string) *httptest.Server {
	t.Helper()
	target, err := url.Parse(service)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/maplibre/", http.StripPrefix("/maplibre/",
		http.FileServer(http.Dir(filepath.Join(browserDir, "node_modules/maplibre-gl/dist")))))
	mux.Handle("/ol/", http.StripPrefix("/ol/",
		http.FileServer(http.Dir(filepath.Join(browserDir, "node_modules/ol/dist")))))
	mux.Handle("/ol/ol.css", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(browserDir, "node_modules/ol/ol.css"))
	}))
	for _, page := range []string{"map.html", "ogc.html", "floor.html"} {
		mux.HandleFunc("/"+page, func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, filepath.Join(browserDir, page))
		})
	}
	// without it the browser's favicon request is a console error
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

const jena = "160530000000"

// jenaPopulation is Jena's published population as the API lists it.
func jenaPopulation(t *testing.T, service string) float64 {
	t.Helper()
	var values struct {
		Rows []struct {
			Code  string   `json:"code"`
			Value *float64 `json:"value"`
		} `json:"rows"`
	}
	getJSON(t, service+"/indicators/einwohner/values?level=gemeinde", &values)
	for _, r := range values.Rows {
		if r.Code == jena && r.Value != nil {
			return *r.Value
		}
	}
	t.Fatalf("no population of Jena in /indicators/einwohner/values")
	return 0
}

// TestMapLibreDrawsChoropleth draws the Gemeinden's population from the
// service's TileJSON in headless Chromium and checks the colour of Jena
// against the class its value from /indicators/einwohner/values falls in.
func TestMapLibreDrawsChoropleth(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	page := pageServer(t, srv.URL)

	want := jenaPopulation(t, srv.URL)

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
	out := render(t, node, page.URL+"/map.html?"+q.Encode(), shot)
	var res struct {
		Result struct {
			X, Y     float64
			Features []map[string]any
		}
	}
	pageResult(t, out, &res.Result)
	if len(res.Result.Features) != 1 || res.Result.Features[0]["code"] != jena || res.Result.Features[0]["einwohner"] != want {
		t.Errorf("features at Jena's market square: %v, want %s with einwohner %v", res.Result.Features, jena, want)
	}

	got := pixelAt(t, shot, res.Result.X, res.Result.Y)
	if got != colours[class] {
		t.Errorf("colour at Jena (%.0f, %.0f): %s, want %s (class %d of %v for %s)",
			res.Result.X, res.Result.Y, got, colours[class], class, breaks, strconv.FormatFloat(want, 'f', -1, 64))
	}
}

// pageResult reads what render.mjs printed: the page's window.result into
// result; console errors fail the test.
func pageResult(t *testing.T, out []byte, result any) {
	t.Helper()
	var res struct {
		Result json.RawMessage
		Errors []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("render.mjs said %s: %v", out, err)
	}
	if len(res.Errors) > 0 {
		t.Errorf("console errors: %q", res.Errors)
	}
	if err := json.Unmarshal(res.Result, result); err != nil {
		t.Fatalf("window.result %s: %v", res.Result, err)
	}
}

// pixelAt is the colour (#rrggbb) of the screenshot's pixel at x, y.
func pixelAt(t *testing.T, shot string, x, y float64) string {
	t.Helper()
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	r, g, b, _ := img.At(int(x), int(y)).RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}

// render opens url in headless Chromium (render.mjs) and returns what the
// page reported, saving a screenshot to shot; action is render.mjs's
// optional third argument.
func render(t testing.TB, node, url, shot string, action ...string) []byte {
	t.Helper()
	cmd := exec.Command(node, append([]string{"render.mjs", url, shot}, action...)...)
	cmd.Dir = browserDir
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("render.mjs: %v\n%s\n%s", err, out, msg)
	}
	return out
}

// TestOpenLayersFindsOGCTiles: OpenLayers, given only the OGC API – Tiles
// tileset of the Gemeinden, finds the tile matrix set and the tiles by
// itself (its OGCVectorTile source) and shows Jena with its population.
// GDAL cannot be this client: Debian's GDAL 3.6.2 builds its OGCAPI driver
// without the vector tile part (OSGeo/gdal#7993, fixed in 3.7.1).
func TestOpenLayersFindsOGCTiles(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	page := pageServer(t, srv.URL)

	want := jenaPopulation(t, srv.URL)
	q := url.Values{
		"tileset": {"/collections/gemeinde/tiles/WebMercatorQuad?indicators=einwohner"},
		"center":  {"11.59,50.93"},
		"zoom":    {"9"},
		"at":      {"11.5863,50.9272"},
	}
	out := render(t, node, page.URL+"/ogc.html?"+q.Encode(), filepath.Join(t.TempDir(), "ogc.png"))
	var res struct {
		Result struct {
			Features []map[string]any
			Requests []string
		}
		Errors []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("render.mjs said %s: %v", out, err)
	}
	if len(res.Errors) > 0 {
		t.Errorf("console errors: %q", res.Errors)
	}
	if len(res.Result.Features) != 1 || res.Result.Features[0]["code"] != jena ||
		res.Result.Features[0]["einwohner"] != want || res.Result.Features[0]["layer"] != "gemeinde" {
		t.Errorf("features at Jena's market square: %v, want %s with einwohner %v in layer gemeinde", res.Result.Features, jena, want)
	}
	// the way there: tileset, tile matrix set, tiles of zoom 9 by row and column
	seen := map[string]bool{}
	for _, p := range res.Result.Requests {
		switch {
		case p == "/collections/gemeinde/tiles/WebMercatorQuad", p == "/tileMatrixSets/WebMercatorQuad":
			seen[p] = true
		case strings.HasPrefix(p, "/collections/gemeinde/tiles/WebMercatorQuad/9/"):
			seen["tiles"] = true
		}
	}
	if len(seen) != 3 {
		t.Errorf("requests %q: want the tileset, the tile matrix set and zoom-9 tiles", res.Result.Requests)
	}
}
