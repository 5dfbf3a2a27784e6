package oapif

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// server serves the API over the areas of ../testdata/query_areas.sql,
// mounted under /features as a service would.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	pool := pgtest.NewDB(t)
	sql, err := os.ReadFile("../testdata/query_areas.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), string(sql)); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	logger := slog.New(slog.DiscardHandler)
	h := New(geo.NewStore(pool), Config{Title: "Testatlas", Description: "Gebiete zum Testen", Logger: logger})
	r := chi.NewRouter()
	r.Use(web.RequestID, web.Recoverer(logger))
	r.Route("/features", h.Routes)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

// get fetches url and decodes its JSON body into v (when not nil).
func get(t *testing.T, rawURL string, header map[string]string, v any) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range header {
		req.Header.Set(k, val)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v in %s", rawURL, err, body)
		}
	}
	res.Body = io.NopCloser(strings.NewReader(string(body)))
	return res
}

type featureCollection struct {
	Type           string
	NumberMatched  int
	NumberReturned int
	TimeStamp      string
	Links          []Link
	Features       []struct {
		Type     string
		ID       string
		Geometry *struct {
			Type        string
			Coordinates [][][][2]float64
		}
		Properties map[string]any
	}
}

func (fc featureCollection) ids() []string {
	var out []string
	for _, f := range fc.Features {
		out = append(out, f.ID)
	}
	return out
}

func link(links []Link, rel string) string {
	for _, l := range links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

func TestItemsAPI(t *testing.T) {
	srv := server(t)
	base := srv.URL + "/features"

	var fc featureCollection
	res := get(t, base+"/collections/kreis/items", nil, &fc)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/geo+json" ||
		res.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
		t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
	}
	if fc.Type != "FeatureCollection" || fc.NumberMatched != 5 || fc.NumberReturned != 5 ||
		!slices.Equal(fc.ids(), []string{"01001", "01002", "01003", "01099", "02000"}) {
		t.Errorf("kreis today: %d/%d %v", fc.NumberReturned, fc.NumberMatched, fc.ids())
	}
	if link(fc.Links, "self") != base+"/collections/kreis/items" || link(fc.Links, "next") != "" || link(fc.Links, "prev") != "" {
		t.Errorf("links %+v", fc.Links)
	}
	wantProps := map[string]any{"code": "01002", "name": "Kiel", "parent": "01", "parent_level": "land",
		"valid_from": "2021-01-01", "valid_to": nil, "area_km2": fc.Features[1].Properties["area_km2"]}
	if !mapsEqual(fc.Features[1].Properties, wantProps) || fc.Features[1].Properties["area_km2"].(float64) < 250 {
		t.Errorf("Kiel properties %v", fc.Features[1].Properties)
	}
	if f := fc.Features[3]; f.Geometry != nil || f.Properties["area_km2"] != nil {
		t.Errorf("area without geometry: %+v", f)
	}
	if g := fc.Features[0].Geometry; g == nil || g.Type != "MultiPolygon" || g.Coordinates[0][0][0] != [2]float64{9.4, 54.75} {
		t.Errorf("Flensburg geometry %+v", g)
	}

	// Paging through next links yields every feature once, in order.
	var all featureCollection
	get(t, base+"/collections/gemeinde/items?limit=100", nil, &all)
	if all.NumberMatched != 12 || len(all.Features) != 12 {
		t.Fatalf("gemeinde: %d matched, %d features", all.NumberMatched, len(all.Features))
	}
	for _, limit := range []string{"1", "3", "10"} {
		var got []string
		next := base + "/collections/gemeinde/items?limit=" + limit + "&crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/25832")
		pages := 0
		for next != "" && pages < 20 {
			var page featureCollection
			res := get(t, next, nil, &page)
			if res.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/25832>" || page.NumberMatched != 12 ||
				page.NumberReturned != len(page.Features) {
				t.Errorf("limit %s page %d: %v %d/%d", limit, pages, res.Header.Get("Content-Crs"), page.NumberReturned, page.NumberMatched)
			}
			got = append(got, page.ids()...)
			next = link(page.Links, "next")
			if pages > 0 && link(page.Links, "prev") == "" {
				t.Errorf("limit %s page %d: no prev link", limit, pages)
			}
			pages++
		}
		if !slices.Equal(got, all.ids()) {
			t.Errorf("limit %s: pages gave %v, want %v", limit, got, all.ids())
		}
	}

	// A bbox selects the same areas in CRS84, EPSG:4326 (lat/lon) and EPSG:25832.
	for _, q := range []string{
		"bbox=9.3,54.2,10.5,54.9",
		"bbox=54.2,9.3,54.9,10.5&bbox-crs=" + url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4326"),
		"bbox=519000,6005000,598000,6085000&bbox-crs=EPSG:25832",
		"bbox=9.3,54.2,0,10.5,54.9,100",
	} {
		var fc featureCollection
		get(t, base+"/collections/kreis/items?"+q, nil, &fc)
		if fc.NumberMatched != 2 || !slices.Equal(fc.ids(), []string{"01001", "01002"}) {
			t.Errorf("%s: %d %v", q, fc.NumberMatched, fc.ids())
		}
	}

	// crs=EPSG:4326 writes latitude first.
	get(t, base+"/collections/kreis/items?limit=1&crs=EPSG:4326", nil, &fc)
	if fc.Features[0].Geometry.Coordinates[0][0][0] != [2]float64{54.75, 9.4} {
		t.Errorf("EPSG:4326 first position %v", fc.Features[0].Geometry.Coordinates[0][0][0])
	}
	// A clamped limit is no error.
	get(t, base+"/collections/kreis/items?limit=50000", nil, &fc)
	if fc.NumberReturned != 5 {
		t.Errorf("limit 50000: %d returned", fc.NumberReturned)
	}

	// datetime picks versions.
	for q, want := range map[string][]string{
		"datetime=2005-06-01":                            {"01001", "01002", "01003", "01004", "01099", "02000"},
		"datetime=2020-12-31T22:00:00Z":                  {"01001", "01002", "01003", "01099", "02000"},
		"datetime=2020-01-01/2021-06-30":                 {"01001", "01002", "01002", "01003", "01099", "02000"},
		"datetime=../1999-12-31&bbox=9.8,53.9,10.2,54.2": {"01004"},
	} {
		var fc featureCollection
		get(t, base+"/collections/kreis/items?"+q, nil, &fc)
		if !slices.Equal(fc.ids(), want) {
			t.Errorf("%s: %v, want %v", q, fc.ids(), want)
		}
	}
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestFeatureAndAreaAPI(t *testing.T) {
	srv := server(t)
	base := srv.URL + "/features"

	var f struct {
		Type       string
		ID         string
		Properties map[string]any
		Links      []Link
	}
	res := get(t, base+"/collections/kreis/items/01002?datetime=2020-06-01", nil, &f)
	if res.StatusCode != 200 || f.ID != "01002" || f.Properties["valid_to"] != "2020-12-31" ||
		link(f.Links, "collection") != base+"/collections/kreis" {
		t.Errorf("Kiel 2020: %d %+v", res.StatusCode, f)
	}

	var a struct {
		Area     areaJSON
		Parents  []areaJSON
		Children []areaJSON
		Members  []areaJSON
	}
	get(t, base+"/areas/gemeinde/010020005", nil, &a)
	if a.Area.Code != "010020005" || len(a.Parents) != 3 || a.Parents[0].Code != "01002" || a.Parents[1].Code != "01" ||
		a.Parents[2].Code != "DE" || len(a.Children) != 0 || a.Members != nil {
		t.Errorf("gemeinde area: %+v", a)
	}
	get(t, base+"/areas/kreis/01002?datetime=2020-06-01", nil, &a)
	if a.Area.ValidTo == nil || *a.Area.ValidTo != "2020-12-31" || len(a.Children) != 1 || a.Children[0].Code != "010020000" ||
		a.Children[0].Href != base+"/areas/gemeinde/010020000" {
		t.Errorf("old Kiel: %+v", a)
	}
	a.Members = nil
	get(t, base+"/areas/sozialraum/SR1", nil, &a)
	if len(a.Members) != 2 || a.Members[0].Code != "010020001" || a.Members[1].Code != "010020002" {
		t.Errorf("scheme members: %+v", a.Members)
	}
}

func TestProblems(t *testing.T) {
	srv := server(t)
	base := srv.URL + "/features"
	tests := []struct {
		path   string
		status int
		detail string
	}{
		{"/collections/nope", 404, `collection "nope" does not exist; /collections lists them`},
		{"/collections/nope/items", 404, `collection "nope" does not exist; /collections lists them`},
		{"/collections/kreis/items/01004", 404, `collection "kreis" has no feature "01004" valid today`},
		{"/collections/kreis/items/01004?datetime=2021-01-01", 404, `collection "kreis" has no feature "01004" valid on 2021-01-01`},
		{"/areas/kreis/01004?datetime=2021-01-01/..", 404, `level "kreis" has no area "01004" valid in 2021-01-01/..`},
		{"/collections/kreis/items?limit=ten", 400, `query parameter limit: "ten" is not a whole number of at least 1`},
		{"/collections/kreis/items?limit=0", 400, `query parameter limit: "0" is not a whole number of at least 1`},
		{"/collections/kreis/items?offset=-1", 400, `query parameter offset: "-1" is not a whole number of at least 0`},
		{"/collections/kreis/items?bbox=1,2,3", 400, `query parameter bbox: "1,2,3" has 3 numbers; give 4 (minx,miny,maxx,maxy) or 6`},
		{"/collections/kreis/items?bbox=10,54,9,55", 400, `query parameter bbox: "10,54,9,55": the lower corner comes first, each of its values at most the upper corner's`},
		{"/collections/kreis/items?bbox=a,2,3,4", 400, `query parameter bbox: "a" is not a number`},
		{"/collections/kreis/items?bbox=9,54,10,95", 400, `query parameter bbox: "9,54,10,95" lies outside longitude -180..180, latitude -90..90 (CRS84 order: longitude, latitude)`},
		{"/collections/kreis/items?crs=EPSG:31467", 400, `query parameter crs: "EPSG:31467" is not a supported CRS; use one of http://www.opengis.net/def/crs/OGC/1.3/CRS84, http://www.opengis.net/def/crs/EPSG/0/4326, http://www.opengis.net/def/crs/EPSG/0/3857, http://www.opengis.net/def/crs/EPSG/0/25832, http://www.opengis.net/def/crs/EPSG/0/25833`},
		{"/collections/kreis/items?bbox-crs=nonsense", 400, `query parameter bbox-crs: "nonsense" is not a supported CRS; use one of http://www.opengis.net/def/crs/OGC/1.3/CRS84, http://www.opengis.net/def/crs/EPSG/0/4326, http://www.opengis.net/def/crs/EPSG/0/3857, http://www.opengis.net/def/crs/EPSG/0/25832, http://www.opengis.net/def/crs/EPSG/0/25833`},
		{"/collections/kreis/items?datetime=2021-13-01", 400, `query parameter datetime: "2021-13-01" is not a date (2021-12-31), a date-time (2021-12-31T00:00:00Z) or an interval (start/end, '..' for open)`},
		{"/collections/kreis/items?datetime=2021-01-01/2020-01-01", 400, `query parameter datetime: "2021-01-01/2020-01-01" ends before it starts`},
		{"/collections/kreis/items?datetime=2021-01-01/x", 400, `query parameter datetime: "2021-01-01/x" is not an interval of dates or date-times (start/end, '..' for open)`},
		{"/collections/kreis/items?precision=16", 400, `query parameter precision: "16" is not a whole number from 0 to 15 (decimal digits of coordinates)`},
		{"/collections/kreis/items?simplify=-1", 400, `query parameter simplify: "-1" is not a number of metres from 0 to 100000`},
		{"/collections/kreis/items?lmit=10", 400, `query parameter "lmit": unknown; this resource takes bbox, bbox-crs, crs, datetime, f, filter, filter-crs, filter-lang, limit, offset, precision, simplify, sortby`},
		{"/collections/kreis/items?limit=1&limit=2", 400, `query parameter limit: given 2 times; give it once`},
		{"/collections/kreis/items?f=xml", 400, `query parameter f: "xml" is not a format of this resource; use json or csv`},
		{"/collections?bbox=1,2,3,4", 400, `query parameter "bbox": unknown; this resource takes f`},
	}
	for _, tt := range tests {
		var p web.Problem
		res := get(t, base+tt.path, nil, &p)
		if res.StatusCode != tt.status || res.Header.Get("Content-Type") != web.ProblemMediaType ||
			p.Status != tt.status || p.Detail != tt.detail || p.Instance != "/features"+tt.path || p.RequestID == "" {
			t.Errorf("%s: %d %+v\nwant %d %s", tt.path, res.StatusCode, p, tt.status, tt.detail)
		}
	}
	var p web.Problem
	res := get(t, base+"/collections", map[string]string{"Accept": "image/png"}, &p)
	if res.StatusCode != 406 || p.Detail != "this resource is available as application/json" {
		t.Errorf("Accept image/png: %d %+v", res.StatusCode, p)
	}
}

func TestDocuments(t *testing.T) {
	srv := server(t)
	base := srv.URL + "/features"

	var landing landingPage
	get(t, base+"/", nil, &landing)
	if landing.Title != "Testatlas" || link(landing.Links, "service-desc") != base+"/api" ||
		link(landing.Links, "conformance") != base+"/conformance" || link(landing.Links, "data") != base+"/collections" {
		t.Errorf("landing %+v", landing)
	}
	res := get(t, base+"/", map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, nil)
	body, _ := io.ReadAll(res.Body)
	if res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.Contains(string(body), `<a href="`+base+`/collections/kreis/items?f=json">Kreise und kreisfreie Städte</a> (5 aktuell gültige Gebiete)`) {
		t.Errorf("HTML landing page: %s", body)
	}
	res = get(t, base+"/?f=json", map[string]string{"Accept": "text/html"}, &landing)
	if res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("f=json beats Accept: %v", res.Header.Get("Content-Type"))
	}

	var conf struct{ ConformsTo []string }
	get(t, base+"/conformance", nil, &conf)
	if !slices.Equal(conf.ConformsTo, conformsTo) || len(conf.ConformsTo) != 11 {
		t.Errorf("conformance %v", conf.ConformsTo)
	}

	var cs struct {
		Collections []collection
	}
	get(t, base+"/collections", nil, &cs)
	var ids []string
	for _, c := range cs.Collections {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []string{"staat", "land", "kreis", "gemeinde", "bezirk", "prognoseraum", "bezirksregion", "planungsraum", "sozialraum"}) {
		t.Errorf("collections %v", ids)
	}
	kreis := cs.Collections[2]
	if kreis.Extent == nil || kreis.Extent.Spatial.BBox[0] != [4]float64{9.4, 53.4, 10.9, 54.82} ||
		kreis.Extent.Temporal.Interval[0] != [2]*string{nil, nil} || kreis.ItemType != "feature" ||
		kreis.StorageCRS != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" || len(kreis.CRS) != 5 ||
		link(kreis.Links, "items") != base+"/collections/kreis/items" {
		t.Errorf("kreis collection %+v", kreis)
	}
	if bezirk := cs.Collections[4]; bezirk.Extent != nil || link(bezirk.Links, "self") != base+"/collections/bezirk" {
		t.Errorf("empty collection %+v", bezirk)
	}
	var sr collection
	get(t, base+"/collections/sozialraum", nil, &sr)
	if sr.Extent == nil || *sr.Extent.Temporal.Interval[0][0] != "2021-01-01T00:00:00Z" || sr.Extent.Temporal.Interval[0][1] != nil {
		t.Errorf("sozialraum %+v", sr.Extent)
	}

	var api map[string]any
	res = get(t, base+"/api", nil, &api)
	if res.Header.Get("Content-Type") != mediaOpenAPI || api["openapi"] != "3.0.3" {
		t.Fatalf("api: %v %v", res.Header.Get("Content-Type"), api["openapi"])
	}
	paths := api["paths"].(map[string]any)
	for _, l := range ids {
		for _, p := range []string{"/collections/" + l, "/collections/" + l + "/items", "/collections/" + l + "/items/{featureId}"} {
			if _, ok := paths[p]; !ok {
				t.Errorf("api lacks path %s", p)
			}
		}
	}
	if servers := api["servers"].([]any); servers[0].(map[string]any)["url"] != base {
		t.Errorf("servers %v", servers)
	}
	validateOpenAPI(t, base+"/api")
}
