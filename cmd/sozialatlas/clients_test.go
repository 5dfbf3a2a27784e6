package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/demo"
	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func repoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// demoDB is a private copy of a database holding the whole demo atlas,
// which is loaded once per test run.
func demoDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pgtest.NewDBWith(t, "demo atlas", func(ctx context.Context, pool *pgxpool.Pool) error {
		areas, ind := stores(pool)
		return demo.Load(ctx, areas, ind, filepath.Join(repoDir(), "data", "demo"), slog.New(slog.DiscardHandler))
	})
}

// newRouterOn is the service's router on a pool, wired as serve wires it.
func newRouterOn(pool *pgxpool.Pool, f serveFlags, log *slog.Logger) http.Handler {
	areas, ind := stores(pool)
	return newRouter(areas, ind, f, log)
}

// syncBuffer collects the access log while the server writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// demoServer serves the demo atlas through the service's own router.
func demoServer(t testing.TB) (*httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	// the connections the service answers with (servingConfig)
	srv := httptest.NewServer(newRouterOn(servingPoolOf(t, demoDB(t)), serveFlags{maxLimit: 20000}, log))
	t.Cleanup(srv.Close)
	return srv, logs
}

// tool finds a client program; CI must have it (make test installs it),
// elsewhere its absence skips the test.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed; make test installs it", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

func runTool(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_DEBUG=OFF")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, res.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

type featureCollection struct {
	NumberMatched  int `json:"numberMatched"`
	NumberReturned int `json:"numberReturned"`
	Features       []struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
		Geometry   *struct {
			Type string `json:"type"`
		} `json:"geometry"`
	} `json:"features"`
}

// saalfeldBBox encloses the Kreis Saalfeld-Rudolstadt (lon/lat).
const saalfeldBBox = "11.0,50.45,11.65,50.8"

func TestDemoAtlasOverHTTP(t *testing.T) {
	srv, _ := demoServer(t)

	var cols struct {
		Collections []struct {
			ID string `json:"id"`
		} `json:"collections"`
	}
	getJSON(t, srv.URL+"/collections", &cols)
	var ids []string
	for _, c := range cols.Collections {
		ids = append(ids, c.ID)
	}
	for _, want := range []string{"staat", "land", "kreis", "gemeinde", "bezirk", "prognoseraum"} {
		if !slices.Contains(ids, want) {
			t.Errorf("collections %v lack %s", ids, want)
		}
	}

	// On VG5000's Gebietsstand (2021-01-01) the demo has all of its areas;
	// today Eisenach is part of the Wartburgkreis (one Kreis less, the
	// Gemeinde re-keyed) and the Gemeindeverzeichnis 2023 added 26
	// Gemeinden from mergers, known without boundaries.
	for _, tc := range []struct {
		level, datetime string
		want            int
	}{
		{"staat", "", 1}, {"land", "", 16},
		{"kreis", "2021-01-01", 401}, {"gemeinde", "2021-01-01", 10997},
		{"kreis", "", 400}, {"gemeinde", "", 10997 + 26},
		{"bezirk", "", 12}, {"prognoseraum", "", 58}, {"bezirksregion", "", 143}, {"planungsraum", "", 542},
	} {
		var fc featureCollection
		getJSON(t, srv.URL+"/collections/"+tc.level+"/items?limit=1&datetime="+tc.datetime, &fc)
		if fc.NumberMatched != tc.want {
			t.Errorf("%s on %q: numberMatched %d, want %d", tc.level, tc.datetime, fc.NumberMatched, tc.want)
		}
	}

	var rudolstadt struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
	}
	getJSON(t, srv.URL+"/collections/gemeinde/items/160730076076", &rudolstadt)
	if p := rudolstadt.Properties; p["name"] != "Rudolstadt" || p["parent"] != "16073" || p["parent_level"] != "kreis" {
		t.Errorf("Rudolstadt: %v", p)
	}

	for _, tc := range []struct {
		datetime string
		want     int
	}{{"2020-06-30", 60}, {"2022-06-30", 58}} {
		var fc featureCollection
		getJSON(t, srv.URL+"/collections/prognoseraum/items?limit=100&datetime="+tc.datetime, &fc)
		if fc.NumberMatched != tc.want || len(fc.Features) != tc.want {
			t.Errorf("datetime=%s: %d matched, %d returned, want %d", tc.datetime, fc.NumberMatched, len(fc.Features), tc.want)
		}
	}

	var fc featureCollection
	getJSON(t, srv.URL+"/collections/gemeinde/items?limit=1000&bbox="+saalfeldBBox, &fc)
	inKreis := 0
	for _, f := range fc.Features {
		if f.Properties["parent"] == "16073" {
			inKreis++
		}
	}
	if inKreis != 26 {
		t.Errorf("bbox around Saalfeld-Rudolstadt: %d of its Gemeinden among %d, want all 26", inKreis, len(fc.Features))
	}

	res, err := http.Get(srv.URL + "/no/such/path")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown path: %s %s, want 404 problem", res.Status, res.Header.Get("Content-Type"))
	}
}

func TestGDALReadsTheAPI(t *testing.T) {
	ogrinfo := tool(t, "ogrinfo")
	ogr2ogr := tool(t, "ogr2ogr")
	srv, logs := demoServer(t)
	oapif := "OAPIF:" + srv.URL

	out := runTool(t, ogrinfo, "-so", oapif, "gemeinde")
	if !strings.Contains(out, "Feature Count: 11023") {
		t.Errorf("ogrinfo gemeinde:\n%s", out)
	}

	// ogr2ogr pages through rel=next with GDAL's own page size.
	gpkg := filepath.Join(t.TempDir(), "kreis.gpkg")
	runTool(t, ogr2ogr, "-f", "GPKG", gpkg, oapif, "kreis")
	out = runTool(t, ogrinfo, "-q", "-dialect", "sqlite", "-sql",
		"SELECT count(*) AS n, sum(ST_IsValid(geom)) AS valid, count(DISTINCT code) AS codes, "+
			"sum(GeometryType(geom) = 'MULTIPOLYGON') AS multi FROM kreis", gpkg)
	for _, want := range []string{"n (Integer) = 400", "valid (Integer) = 400", "codes (Integer) = 400", "multi (Integer) = 400"} {
		if !strings.Contains(out, want) {
			t.Errorf("kreis.gpkg: want %q in\n%s", want, out)
		}
	}

	// A spatial filter reaches the server as bbox.
	gpkg = filepath.Join(t.TempDir(), "saalfeld.gpkg")
	runTool(t, ogr2ogr, "-f", "GPKG", "-spat", "11.0", "50.45", "11.65", "50.8", gpkg, oapif, "gemeinde")
	out = runTool(t, ogrinfo, "-q", "-dialect", "sqlite", "-sql",
		"SELECT sum(parent = '16073') AS in_kreis FROM gemeinde", gpkg)
	if !strings.Contains(out, "in_kreis (Integer) = 26") {
		t.Errorf("Gemeinden of Saalfeld-Rudolstadt in the bbox:\n%s", out)
	}
	if !strings.Contains(logs.String(), `"path":"/collections/gemeinde/items","query":"`) || !strings.Contains(logs.String(), "bbox=") {
		t.Errorf("GDAL's spatial filter did not reach the server as bbox")
	}
}

// qgisPython is the Python with QGIS's bindings; CI must have them (make
// test installs them), elsewhere their absence skips the test.
func qgisPython(t *testing.T) string {
	t.Helper()
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import qgis.core").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("QGIS's Python bindings are not installed (python3-qgis); make test installs them")
		}
		t.Skip("QGIS's Python bindings are not installed")
	}
	return python
}

// runQGIS runs a script of testdata with QGIS offscreen and decodes its
// JSON answer into v.
func runQGIS(t *testing.T, python, script string, v any, args ...string) {
	t.Helper()
	cmd := exec.Command(python, append([]string{filepath.Join("testdata", script)}, args...)...)
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "XDG_RUNTIME_DIR="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("%s said %q: %v", script, out, err)
	}
}

// QGIS draws the Gemeinden from the vector tiles, styled by the einwohner
// value each feature carries: Jena (over 100,000 residents) red, Saalfeld
// (under) blue.
func TestQGISDrawsVectorTiles(t *testing.T) {
	python := qgisPython(t)
	srv, _ := demoServer(t)
	for _, c := range []struct{ place, lon, lat, want string }{
		{"Jena, Markt", "11.5863", "50.9272", "#ff0000"},
		{"Saalfeld/Saale, Markt", "11.3640", "50.6482", "#0000ff"},
	} {
		var got struct {
			Valid  bool   `json:"valid"`
			Colour string `json:"colour"`
		}
		runQGIS(t, python, "qgis_tiles.py", &got, srv.URL, c.lon, c.lat)
		if !got.Valid || got.Colour != c.want {
			t.Errorf("%s: layer valid %v, colour %s, want %s", c.place, got.Valid, got.Colour, c.want)
		}
	}
}

// qgisLayer is what qgis_oapif.py saw of a collection.
type qgisLayer struct {
	Valid           bool     `json:"valid"`
	FeatureCount    int      `json:"feature_count"`
	Features        int      `json:"features"`
	Codes           []string `json:"codes"`
	ValidGeometries int      `json:"valid_geometries"`
	CRS             string   `json:"crs"`
	// Matches are the features named by the script's VALUE.
	Matches []map[string]any `json:"matches"`
}

func TestQGISReadsTheAPI(t *testing.T) {
	python := qgisPython(t)
	srv, _ := demoServer(t)
	// 100 is QGIS's default page size; 7 makes it follow many next links.
	for _, pageSize := range []string{"100", "7"} {
		var got qgisLayer
		runQGIS(t, python, "qgis_oapif.py", &got, srv.URL, "kreis", pageSize)
		if !got.Valid || got.FeatureCount != 400 || got.Features != 400 || len(got.Codes) != 400 ||
			got.ValidGeometries != 400 || got.CRS != "EPSG:4326" {
			t.Errorf("page size %s: QGIS saw %+v (codes: %d)", pageSize, got, len(got.Codes))
		}
	}
}

func TestResponsesAreCompressed(t *testing.T) {
	srv, _ := demoServer(t)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/collections/kreis/items?limit=1000", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip")
	// A transport of its own so that Go does not unpack the answer.
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	zipped, _ := io.ReadAll(res.Body)
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", res.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var fc featureCollection
	if err := json.Unmarshal(plain, &fc); err != nil || fc.NumberReturned != 400 {
		t.Errorf("unpacked answer: %d features (%v)", fc.NumberReturned, err)
	}
	t.Logf("400 Kreise: %d bytes gzipped, %d plain", len(zipped), len(plain))
	if len(zipped)*3 > len(plain) {
		t.Errorf("gzip saved too little: %d of %d bytes", len(zipped), len(plain))
	}
}

// QGIS's OAPIF provider loads the Kitas, as a planner adds them beside the
// areas: every one valid today, a point each, with its name and capacity.
func TestQGISReadsFacilities(t *testing.T) {
	python := qgisPython(t)
	srv, _ := demoServer(t)
	var got qgisLayer
	runQGIS(t, python, "qgis_oapif.py", &got, srv.URL, "facilities-kita", "1000", "source_id", "01010010")
	if !got.Valid || got.FeatureCount != 2880 || got.Features != 2880 || len(got.Codes) != 2880 ||
		got.ValidGeometries != 2880 || got.CRS != "EPSG:4326" {
		t.Errorf("QGIS saw %+v (source ids: %d)", got, len(got.Codes))
	}
	if len(got.Matches) != 1 || got.Matches[0]["name"] != "Kita F.A.I.R.play" || got.Matches[0]["capacity"] != 69.0 ||
		got.Matches[0]["carrier_type"] != "Sonstiger freier Träger" {
		t.Errorf("Kita 01010010 in QGIS: %v", got.Matches)
	}
}
