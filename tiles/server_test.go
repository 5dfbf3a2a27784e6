package tiles

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// sqlFixture builds, around tile 8/136/85 (eastern Thuringia), areas drawn
// in that tile's units (x right, y down, 0–4096), their band geometry and
// published cells:
//
//	Alpha  gemeinde  x 0–2048, y 0–4096      einwohner 1234 (2022), 1000 (2021); quote 12.345
//	Beta   gemeinde  x 2048–4096, y 0–2048   einwohner 2, withheld (primary); no quote
//	Gamma  gemeinde  x 2048–4096, y 2048–4096, valid until 2020-12-31
//	Delta  gemeinde  x 4200–5000, beyond the tile's buffer
//	Kappa  kreis     the whole tile
const sqlFixture = `
CREATE TEMP TABLE fx (code text, level text, name text, x0 int, y0 int, x1 int, y1 int, valid_to date);
INSERT INTO fx VALUES
	('a', 'gemeinde', 'Alpha', 0, 0, 2048, 4096, NULL),
	('b', 'gemeinde', 'Beta', 2048, 0, 4096, 2048, NULL),
	('c', 'gemeinde', 'Gamma', 2048, 2048, 4096, 4096, '2020-12-31'),
	('d', 'gemeinde', 'Delta', 4200, 0, 5000, 4096, NULL),
	('k', 'kreis', 'Kappa', 0, 0, 4096, 4096, NULL);

WITH e AS (SELECT ST_XMin(t) AS x, ST_YMax(t) AS y, (ST_XMax(t) - ST_XMin(t)) / 4096 AS u
	FROM ST_TileEnvelope(8, 136, 85) t),
g AS (SELECT fx.*, ST_Multi(ST_MakeEnvelope(e.x + x0 * e.u, e.y - y1 * e.u, e.x + x1 * e.u, e.y - y0 * e.u, 3857)) AS m
	FROM fx, e)
INSERT INTO area (level, code, name, valid_to, geom, geom_3857, label_point, area_km2)
SELECT level, code, name, valid_to, ST_Transform(m, 4326), m, ST_Transform(ST_Centroid(m), 4326), 1
FROM g;

INSERT INTO tile_geom (area_id, band, geom)
SELECT a.id, b, a.geom_3857 FROM area a, unnest(ARRAY[4, 6, 8, 10, 12, 14]) b;

INSERT INTO indicator (key, position, title, unit, category, polarity, source, decimals, kind) VALUES
	('einwohner', 0, 'Einwohner', 'Personen', 'Demografie', 'neutral', 'Testamt', 0, 'count'),
	('quote', 1, 'Quote', '%', 'Demografie', 'neutral', 'Testamt', 1, 'value');

INSERT INTO cell (indicator, area_id, period, value, status, suppressed)
SELECT v.indicator, a.id, v.period::date, v.value, v.status, v.suppressed
FROM (VALUES
	('einwohner', 'a', '2022-12-31', 1234, 'measured', NULL),
	('einwohner', 'a', '2021-12-31', 1000, 'measured', NULL),
	('einwohner', 'b', '2022-12-31', 2, 'measured', 'primary'),
	('einwohner', 'c', '2020-12-31', 77, 'measured', NULL),
	('quote', 'a', '2022-12-31', 12.345, 'estimated', NULL)) v(indicator, code, period, value, status, suppressed)
JOIN area a ON a.code = v.code AND a.level = 'gemeinde';

INSERT INTO cell_extent (indicator, level, period) VALUES
	('einwohner', 'gemeinde', '2022-12-31'), ('einwohner', 'gemeinde', '2021-12-31'),
	('einwohner', 'gemeinde', '2020-12-31'), ('quote', 'gemeinde', '2022-12-31');
`

type fixture struct {
	pool  *pgxpool.Pool
	srv   *httptest.Server
	tiles *Server
	ids   map[string]uint64
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, sqlFixture); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	f := &fixture{pool: pool, ids: map[string]uint64{}}
	rows, err := pool.Query(ctx, `SELECT code, id FROM area WHERE level = 'gemeinde'`)
	if err != nil {
		t.Fatal(err)
	}
	var code string
	var id int64
	for rows.Next() {
		if err := rows.Scan(&code, &id); err != nil {
			t.Fatal(err)
		}
		f.ids[code] = uint64(id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	areas := geo.NewStore(pool)
	ind := indicators.NewStore(pool, areas)
	if cfg.VersionMaxAge == 0 {
		cfg.VersionMaxAge = -1
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	r := chi.NewRouter()
	f.tiles = New(areas, ind, cfg)
	f.tiles.Routes(r)
	f.srv = httptest.NewServer(r)
	t.Cleanup(f.srv.Close)
	return f
}

// get requests path; gzip asks for a compressed answer, which is then
// checked and decompressed.
func (f *fixture) get(t *testing.T, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Without this, Go's transport asks for gzip itself and hides it.
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return res, b
}

func (f *fixture) tile(t *testing.T, path string) map[string]mvtLayer {
	t.Helper()
	res, body := f.get(t, path, "Accept-Encoding", "gzip")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", path, res.Status, body)
	}
	if ct, ce := res.Header.Get("Content-Type"), res.Header.Get("Content-Encoding"); ct != MediaType || ce != "gzip" {
		t.Fatalf("GET %s: Content-Type %q, Content-Encoding %q", path, ct, ce)
	}
	layers, err := decodeMVT(body)
	if err != nil {
		t.Fatalf("GET %s: decode: %v", path, err)
	}
	out := map[string]mvtLayer{}
	for _, l := range layers {
		out[l.Name] = l
	}
	return out
}

// features are a layer's features by id.
func features(l mvtLayer) map[uint64]mvtFeature {
	out := map[uint64]mvtFeature{}
	for _, f := range l.Features {
		out[f.ID] = f
	}
	return out
}

func TestTileFeaturesAndValues(t *testing.T) {
	f := newFixture(t, Config{})
	layers := f.tile(t, "/tiles/gemeinde/8/136/85.mvt?indicators=einwohner,quote")
	if len(layers) != 2 {
		t.Fatalf("layers %v, want gemeinde and gemeinde_labels", len(layers))
	}
	g, labels := layers["gemeinde"], layers["gemeinde_labels"]
	if g.Version != 2 || g.Extent != 4096 || labels.Extent != 4096 {
		t.Errorf("layer version %d, extents %d and %d; want 2, 4096", g.Version, g.Extent, labels.Extent)
	}
	feats := features(g)
	if len(feats) != 2 {
		t.Fatalf("gemeinde features %v, want Alpha and Beta only (Gamma expired, Delta beyond the buffer)", feats)
	}
	want := map[string]map[string]any{
		"a": {"code": "a", "name": "Alpha", "einwohner": int64(1234), "einwohner_status": "measured",
			"quote": 12.3, "quote_status": "estimated"},
		// The withheld count is absent; its status and reason say why.
		"b": {"code": "b", "name": "Beta", "einwohner_status": "suppressed", "einwohner_suppressed": "primary"},
	}
	boxes := map[string][4]int{"a": {0, 0, 2048, 4096}, "b": {2048, 0, 4096, 2048}}
	for code, props := range want {
		ft, ok := feats[f.ids[code]]
		if !ok {
			t.Errorf("%s (id %d) missing", code, f.ids[code])
			continue
		}
		if !reflect.DeepEqual(ft.Props, props) {
			t.Errorf("%s: properties %v, want %v", code, ft.Props, props)
		}
		if ft.Type != 3 || len(ft.Geom) != 1 || ringBox(ft.Geom[0]) != boxes[code] || ringArea(ft.Geom[0]) <= 0 {
			t.Errorf("%s: type %d, rings %v; want one exterior ring spanning %v", code, ft.Type, ft.Geom, boxes[code])
		}
	}
	lf := features(labels)
	wantLabels := map[string][2]int{"a": {1024, 2048}, "b": {3072, 1024}}
	if len(lf) != len(wantLabels) {
		t.Errorf("labels %v, want %v", lf, wantLabels)
	}
	for code, p := range wantLabels {
		ft := lf[f.ids[code]]
		if ft.Type != 1 || len(ft.Geom) != 1 || ft.Geom[0][0] != p || ft.Props["name"] != want[code]["name"] || len(ft.Props) != 2 {
			t.Errorf("label of %s: %+v, want point %v with code and name", code, ft, p)
		}
	}
}

func TestTileParameters(t *testing.T) {
	f := newFixture(t, Config{})
	for _, tc := range []struct {
		query string
		want  map[string]map[string]any // by code
	}{
		{"?indicators=einwohner&period=2021-12-31", map[string]map[string]any{
			"a": {"code": "a", "name": "Alpha", "einwohner": int64(1000), "einwohner_status": "measured"},
			"b": {"code": "b", "name": "Beta"}}},
		{"", map[string]map[string]any{"a": {"code": "a", "name": "Alpha"}, "b": {"code": "b", "name": "Beta"}}},
		// On 2020-06-30 Gamma is valid too; the latest period with values
		// at the areas of that day is still 2022.
		{"?indicators=einwohner&datetime=2020-06-30", map[string]map[string]any{
			"a": {"code": "a", "name": "Alpha", "einwohner": int64(1234), "einwohner_status": "measured"},
			"b": {"code": "b", "name": "Beta", "einwohner_status": "suppressed", "einwohner_suppressed": "primary"},
			"c": {"code": "c", "name": "Gamma"}}},
		// the change since 2021 from the published figures; Beta's 2022
		// figure is withheld, so is its change
		{"?indicators=einwohner_change,einwohner&period2=2021-12-31", map[string]map[string]any{
			"a": {"code": "a", "name": "Alpha", "einwohner_change": int64(234), "einwohner": int64(1234), "einwohner_status": "measured"},
			"b": {"code": "b", "name": "Beta", "einwohner_change_status": "suppressed", "einwohner_status": "suppressed", "einwohner_suppressed": "primary"}}},
		{"?indicators=einwohner&datetime=2020-06-30&period=2020-12-31", map[string]map[string]any{
			"a": {"code": "a", "name": "Alpha"}, "b": {"code": "b", "name": "Beta"},
			"c": {"code": "c", "name": "Gamma", "einwohner": int64(77), "einwohner_status": "measured"}}},
	} {
		layers := f.tile(t, "/tiles/gemeinde/8/136/85.mvt"+tc.query)
		got := map[string]map[string]any{}
		for _, ft := range layers["gemeinde"].Features {
			got[ft.Props["code"].(string)] = ft.Props
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.query, got, tc.want)
		}
	}
}

func TestTileEmptyIs204(t *testing.T) {
	f := newFixture(t, Config{})
	for _, path := range []string{
		"/tiles/gemeinde/8/0/0.mvt?indicators=einwohner",
		"/tiles/gemeinde/8/0/0.mvt?indicators=einwohner", // cached
		"/collections/gemeinde/tiles/WebMercatorQuad/8/0/0",
		"/tiles/planungsraum/8/136/85.mvt",
	} {
		res, body := f.get(t, path, "Accept-Encoding", "gzip")
		if res.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Errorf("GET %s: %s with %d bytes, want 204 and none", path, res.Status, len(body))
		}
	}
}

func TestTileCacheETagAndVersion(t *testing.T) {
	f := newFixture(t, Config{})
	path := "/tiles/gemeinde/8/136/85.mvt?indicators=einwohner"
	res, body := f.get(t, path, "Accept-Encoding", "gzip")
	etag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || !strings.HasSuffix(etag, `-gz"`) || res.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("first: %s, ETag %q, Cache-Control %q", res.Status, etag, res.Header.Get("Cache-Control"))
	}
	if got := f.get304(t, path, etag); got != http.StatusNotModified {
		t.Errorf("If-None-Match %s: %d, want 304", etag, got)
	}
	// The same tile without gzip: same bytes, another tag.
	res2, plain := f.get(t, path)
	if res2.Header.Get("Content-Encoding") != "" || string(plain) != string(body) || res2.Header.Get("ETag") == etag {
		t.Errorf("identity: encoding %q, %d bytes (gzip: %d), ETag %q", res2.Header.Get("Content-Encoding"), len(plain), len(body), res2.Header.Get("ETag"))
	}
	if n := f.tiles.Cache().Stats(); n.Entries != 1 {
		t.Errorf("cache holds %d entries, want 1", n.Entries)
	}

	// A publish changes a value and bumps the data version.
	ctx := context.Background()
	if _, err := f.pool.Exec(ctx, `UPDATE cell SET value = 4321
		WHERE indicator = 'einwohner' AND period = '2022-12-31' AND area_id = $1`, int64(f.ids["a"])); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `UPDATE data_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if got := f.get304(t, path, etag); got != http.StatusOK {
		t.Errorf("after publish, If-None-Match the old tag: %d, want 200", got)
	}
	layers := f.tile(t, path)
	if v := features(layers["gemeinde"])[f.ids["a"]].Props["einwohner"]; v != int64(4321) {
		t.Errorf("after publish: einwohner of Alpha %v, want 4321", v)
	}
}

func (f *fixture) get304(t *testing.T, path, etag string) int {
	t.Helper()
	res, _ := f.get(t, path, "Accept-Encoding", "gzip", "If-None-Match", etag)
	return res.StatusCode
}

func TestTileErrors(t *testing.T) {
	f := newFixture(t, Config{})
	for _, tc := range []struct {
		path   string
		status int
		detail string
	}{
		{"/tiles/gemeinde/15/0/0.mvt", 400, "zoom 15 is outside the zoom levels 0 to 14"},
		{"/tiles/gemeinde/8/256/0.mvt", 400, "tile 256/0 is outside zoom 8, which has tiles 0 to 255 each way"},
		{"/tiles/gemeinde/8/x/0.mvt", 400, `query parameter x: "x" is not a whole number`},
		{"/tiles/gemeinde/8/1/1.mvt?indicators=nix", 400, `query parameter indicators: "nix" is not an indicator; /indicators lists them`},
		{"/tiles/gemeinde/8/1/1.mvt?indicators=einwohner&period=2022-13-01", 400, `query parameter period: "2022-13-01" is not a date (2022-12-31)`},
		{"/tiles/gemeinde/8/1/1.mvt?indicator=einwohner", 400, `query parameter "indicator": unknown; tiles take indicators, period, period2, datetime`},
		{"/tiles/gemeinde/8/1/1.mvt?indicators=einwohner_change", 400, `query parameter period2: missing; a change (_change) needs the period it is counted from`},
		{"/tiles/gemeinde/8/1/1.mvt?indicators=einwohner&period2=2021-12-31", 400, `query parameter period2: only with a change, e.g. indicators=einwohner_change`},
		{"/tiles/gemeinde/8/1/1.mvt?indicators=einwohner_change&period2=2019-12-31", 404,
			`Indicator "einwohner" has no values for level "gemeinde" in period 2019-12-31`},
		{"/tiles/gemeinde/8/1/1.mvt?indicators=einwohner&period=2019-12-31", 404,
			`Indicator "einwohner" has no values for level "gemeinde" in period 2019-12-31`},
		{"/tiles/dorf/8/1/1.mvt", 404, `There is no level "dorf"; /collections lists them.`},
		{"/tiles/dorf.json", 404, `There is no level "dorf"; /collections lists them.`},
		{"/collections/gemeinde/tiles/WebMercatorQuad/15/0/0", 404, "There is no such tile: zoom 15 is outside the zoom levels 0 to 14."},
	} {
		res, body := f.get(t, tc.path)
		var p struct {
			Title  string `json:"title"`
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("GET %s: %v\n%s", tc.path, err, body)
			continue
		}
		if res.StatusCode != tc.status || p.Status != tc.status || res.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.HasPrefix(p.Detail, tc.detail) {
			t.Errorf("GET %s: %d %s %+v, want %d with detail %q", tc.path, res.StatusCode, res.Header.Get("Content-Type"), p, tc.status, tc.detail)
		}
	}
}

func TestTileJSONAndTileset(t *testing.T) {
	f := newFixture(t, Config{Attribution: "© Testgrenzen"})
	res, body := f.get(t, "/tiles/gemeinde.json?indicators=einwohner,quote")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("TileJSON: %s\n%s", res.Status, body)
	}
	var tj struct {
		TileJSON     string    `json:"tilejson"`
		Tiles        []string  `json:"tiles"`
		MinZoom      int       `json:"minzoom"`
		MaxZoom      int       `json:"maxzoom"`
		Bounds       []float64 `json:"bounds"`
		Center       []float64 `json:"center"`
		Attribution  string    `json:"attribution"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	if err := json.Unmarshal(body, &tj); err != nil {
		t.Fatal(err)
	}
	wantTiles := f.srv.URL + "/tiles/gemeinde/{z}/{x}/{y}.mvt?indicators=einwohner%2Cquote"
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != wantTiles || tj.MinZoom != 0 || tj.MaxZoom != 14 {
		t.Errorf("TileJSON %+v; want tiles %s, zooms 0–14", tj, wantTiles)
	}
	if tj.Attribution != "© Testgrenzen; Testamt" {
		t.Errorf("attribution %q", tj.Attribution)
	}
	// The fixture's Gemeinden span tile 8/136/85 and Delta east of it:
	// 11.25° to 12.9°E (x 0 to 5000 of 4096 units of 1.40625°).
	if len(tj.Bounds) != 4 || tj.Bounds[0] != 11.25 || tj.Bounds[2] != round6(11.25+5000.0/4096*1.40625) || len(tj.Center) != 3 {
		t.Errorf("bounds %v, center %v", tj.Bounds, tj.Center)
	}
	wantFields := map[string]map[string]string{
		"gemeinde": {"code": "String", "name": "String", "einwohner": "Number", "einwohner_status": "String",
			"einwohner_suppressed": "String", "quote": "Number", "quote_status": "String", "quote_suppressed": "String"},
		"gemeinde_labels": {"code": "String", "name": "String"},
	}
	if len(tj.VectorLayers) != 2 {
		t.Fatalf("vector_layers %+v", tj.VectorLayers)
	}
	for _, l := range tj.VectorLayers {
		if !reflect.DeepEqual(l.Fields, wantFields[l.ID]) {
			t.Errorf("layer %s fields %v, want %v", l.ID, l.Fields, wantFields[l.ID])
		}
	}

	var ts struct {
		DataType         string `json:"dataType"`
		TileMatrixSetURI string `json:"tileMatrixSetURI"`
		Limits           []struct {
			TileMatrix                                     string
			MinTileRow, MaxTileRow, MinTileCol, MaxTileCol int
		} `json:"tileMatrixSetLimits"`
		Links []struct {
			Href, Rel, Type string
			Templated       bool
		} `json:"links"`
	}
	res, body = f.get(t, "/collections/gemeinde/tiles/WebMercatorQuad?indicators=einwohner")
	if err := json.Unmarshal(body, &ts); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("tileset: %s %v\n%s", res.Status, err, body)
	}
	if ts.DataType != "vector" || ts.TileMatrixSetURI != tmsURI || len(ts.Limits) != 15 {
		t.Errorf("tileset %+v", ts)
	}
	if l := ts.Limits[8]; l.TileMatrix != "8" || l.MinTileCol != 136 || l.MaxTileCol != 137 || l.MinTileRow != 85 || l.MaxTileRow != 85 {
		t.Errorf("limits of zoom 8: %+v, want columns 136–137, row 85", l)
	}
	item := ""
	for _, l := range ts.Links {
		if l.Rel == "item" && l.Type == MediaType && l.Templated {
			item = l.Href
		}
	}
	if want := f.srv.URL + "/collections/gemeinde/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}?indicators=einwohner"; item != want {
		t.Errorf("item link %q, want %q", item, want)
	}

	// The OGC path (row before column) serves the same tile.
	_, xyz := f.get(t, "/tiles/gemeinde/8/136/85.mvt?indicators=einwohner")
	_, ogc := f.get(t, "/collections/gemeinde/tiles/WebMercatorQuad/8/85/136?indicators=einwohner")
	if len(xyz) == 0 || string(xyz) != string(ogc) {
		t.Errorf("OGC tile 8/85/136 (%d bytes) differs from XYZ tile 8/136/85 (%d bytes)", len(ogc), len(xyz))
	}

	var tms struct {
		ID           string `json:"id"`
		Identifier   string `json:"identifier"`
		TileMatrices []struct {
			ID               string     `json:"id"`
			ScaleDenominator float64    `json:"scaleDenominator"`
			PointOfOrigin    [2]float64 `json:"pointOfOrigin"`
			MatrixWidth      int        `json:"matrixWidth"`
		} `json:"tileMatrices"`
	}
	_, body = f.get(t, "/tileMatrixSets/WebMercatorQuad")
	if err := json.Unmarshal(body, &tms); err != nil {
		t.Fatal(err)
	}
	if tms.ID != "WebMercatorQuad" || tms.Identifier != "WebMercatorQuad" || len(tms.TileMatrices) != 15 ||
		tms.TileMatrices[8].MatrixWidth != 256 || tms.TileMatrices[8].ScaleDenominator != 559082264.0287178/256 ||
		tms.TileMatrices[0].PointOfOrigin != [2]float64{-20037508.3427892, 20037508.3427892} {
		t.Errorf("tile matrix set %+v", tms)
	}
}

func TestSeed(t *testing.T) {
	f := newFixture(t, Config{})
	rep, err := Seed(context.Background(), SeedConfig{BaseURL: f.srv.URL, Level: "gemeinde", MaxZoom: 9,
		Query: url.Values{"indicators": {"einwohner"}}})
	if err != nil {
		t.Fatal(err)
	}
	// The level's extent, read back from lon/lat, reaches a hair beyond
	// the edges of tile 8/136/85 and Delta's 8/137/85, so its neighbours
	// are requested too; each holds the edges of the fixture's areas in its
	// buffer, so none is empty.
	want := SeedReport{Tiles: 27, Filled: 27, Empty: 0, PerLevel: []int{1, 1, 1, 1, 1, 1, 1, 2, 6, 12}}
	if rep.Tiles != want.Tiles || rep.Filled != want.Filled || rep.Empty != want.Empty || !reflect.DeepEqual(rep.PerLevel, want.PerLevel) || rep.Bytes <= 0 {
		t.Errorf("seed %+v, want %+v", rep, want)
	}
	if s := f.tiles.Cache().Stats(); s.Entries != want.Tiles {
		t.Errorf("cache holds %d tiles after seeding, want %d", s.Entries, want.Tiles)
	}
}

// An indicator import publishes; the next request for a cached tile gets
// the new value under a new ETag.
func TestTileAfterIndicatorImport(t *testing.T) {
	f := newFixture(t, Config{})
	path := "/tiles/gemeinde/8/136/85.mvt?indicators=einwohner"
	res, _ := f.get(t, path, "Accept-Encoding", "gzip")
	etag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("before: %s", res.Status)
	}
	// Alpha's count for 2023 arrives by import: the map's default period
	// becomes 2023.
	csv := filepath.Join(t.TempDir(), "alpha.csv")
	if err := os.WriteFile(csv, []byte("area;indicator;period;value\na;einwohner;31.12.2023;4.711\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ind := indicators.NewStore(f.pool, geo.NewStore(f.pool))
	if _, err := ind.ImportTable(context.Background(), indicators.TableImport{Path: csv, Level: "gemeinde"}); err != nil {
		t.Fatal(err)
	}
	res, _ = f.get(t, path, "Accept-Encoding", "gzip", "If-None-Match", etag)
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == etag {
		t.Errorf("after the import: %s, ETag %s (was %s)", res.Status, res.Header.Get("ETag"), etag)
	}
	if v := features(f.tile(t, path)["gemeinde"])[f.ids["a"]].Props["einwohner"]; v != int64(4711) {
		t.Errorf("after the import: einwohner of Alpha %v, want 4711", v)
	}
}
