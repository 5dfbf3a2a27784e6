package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The demo's facilities: every file's count, each facility in exactly one
// Prognoseraum (the finest level with geometry).
func TestDemoFacilities(t *testing.T) {
	pool := demoDB(t)
	rows, err := pool.Query(context.Background(), `
SELECT f.type, count(*), count(*) FILTER (WHERE a.level = 'prognoseraum')
FROM facility f LEFT JOIN area a ON a.id = f.area_id GROUP BY f.type ORDER BY f.type`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][2]int{}
	for rows.Next() {
		var typ string
		var n, inPGR int
		if err := rows.Scan(&typ, &n, &inPGR); err != nil {
			t.Fatal(err)
		}
		got[typ] = [2]int{n, inPGR}
	}
	want := map[string][2]int{"jugend": {407, 407}, "kita": {2880, 2880}, "pflege": {274, 274}, "schule": {902, 902}}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %v facilities (in a Prognoseraum), want %v", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("types %v, want %v", got, want)
	}
}

// The facility types are OGC API Features collections beside the levels,
// with filters over their properties and output in other CRSs.
func TestFacilityCollections(t *testing.T) {
	srv, _ := demoServer(t)
	var cs struct {
		Collections []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
			Links []struct{ Href, Rel string }
		} `json:"collections"`
	}
	getJSON(t, srv.URL+"/collections", &cs)
	titles := map[string]string{}
	for _, c := range cs.Collections {
		titles[c.ID] = c.Title
		if c.ID != "facilities-kita" {
			continue
		}
		// a client finds the points' tiles from the collection, as a level's
		tilesets := ""
		for _, l := range c.Links {
			if l.Rel == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector" {
				tilesets = l.Href
			}
		}
		if tilesets != srv.URL+"/collections/facilities-kita/tiles" {
			t.Errorf("facilities-kita links to its tilesets at %q", tilesets)
		} else if res, err := http.Get(tilesets); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %v %v", tilesets, err, res)
		} else {
			res.Body.Close()
		}
	}
	for id, title := range map[string]string{"facilities-kita": "Kindertagesstätten", "facilities-pflege": "Pflegeheime",
		"facilities-schule": "Schulen", "facilities-jugend": "Jugendfreizeiteinrichtungen"} {
		if titles[id] != title {
			t.Errorf("collection %s: title %q, want %q", id, titles[id], title)
		}
	}

	type feature struct {
		ID         int64                           `json:"id"`
		Geometry   struct{ Coordinates []float64 } `json:"geometry"`
		Properties map[string]any                  `json:"properties"`
	}
	var fc struct {
		NumberMatched int       `json:"numberMatched"`
		Features      []feature `json:"features"`
	}
	q := url.Values{"filter": {"carrier_type = 'öffentlicher Träger'"}, "limit": {"1000"}}
	getJSON(t, srv.URL+"/collections/facilities-jugend/items?"+q.Encode(), &fc)
	if fc.NumberMatched != 98 || len(fc.Features) != 98 {
		t.Errorf("public youth centres: matched %d, returned %d, want 98", fc.NumberMatched, len(fc.Features))
	}

	q = url.Values{"filter": {"source_id = '01010010'"}, "crs": {"http://www.opengis.net/def/crs/EPSG/0/25833"}}
	getJSON(t, srv.URL+"/collections/facilities-kita/items?"+q.Encode(), &fc)
	if len(fc.Features) != 1 {
		t.Fatalf("Kita 01010010: %d features", len(fc.Features))
	}
	f := fc.Features[0]
	want := map[string]any{"source_id": "01010010", "name": "Kita F.A.I.R.play", "street": "Albrechtstr.",
		"house_number": "20", "postcode": "10117", "place": "Berlin",
		"carrier":      "GFJ - gemeinnützige Gesellschaft für Familien- und Jugendhilfe mbH",
		"carrier_type": "Sonstiger freier Träger", "target_group": nil, "capacity": 69.0, "capacity_unit": "Plätze",
		"valid_from": "2022-12-01", "valid_to": nil, "area_level": "prognoseraum", "area_code": "0110"}
	for k, v := range want {
		if f.Properties[k] != v {
			t.Errorf("Kita 01010010 %s = %#v, want %#v", k, f.Properties[k], v)
		}
	}
	if c := f.Geometry.Coordinates; len(c) != 2 || c[0] != 390387.4 || c[1] != 5820383.1 {
		t.Errorf("Kita 01010010 in EPSG:25833 at %v, want [390387.4 5820383.1] as in the file", c)
	}

	// A bbox around Albrechtstraße and a validity before the file's.
	getJSON(t, srv.URL+"/collections/facilities-kita/items?datetime=2021-06-30", &fc)
	if fc.NumberMatched != 0 {
		t.Errorf("Kitas valid on 2021-06-30: %d, want 0", fc.NumberMatched)
	}
	var schema struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	getJSON(t, srv.URL+"/collections/facilities-kita/queryables", &schema)
	if schema.Properties["capacity"]["type"] != "number" || schema.Properties["geometry"]["format"] != "geometry-point" {
		t.Errorf("queryables: %v", schema.Properties)
	}
}

// GDAL's OAPIF driver, as QGIS uses it, counts the Kitas and sends a
// -where to the server as a CQL2 filter.
func TestGDALReadsFacilities(t *testing.T) {
	ogrinfo := tool(t, "ogrinfo")
	srv, logs := demoServer(t)
	out := runTool(t, ogrinfo, "-so", "OAPIF:"+srv.URL, "facilities-kita")
	if !strings.Contains(out, "Feature Count: 2880") || !strings.Contains(out, "Geometry: Point") {
		t.Errorf("ogrinfo facilities-kita:\n%s", out)
	}
	out = runTool(t, ogrinfo, "-q", "-al", "-where", "carrier_type = 'öffentlicher Träger'",
		"OAPIF:"+srv.URL+"/collections/facilities-jugend")
	if n := strings.Count(out, "OGRFeature("); n != 98 {
		t.Errorf("public youth centres through GDAL: %d, want 98", n)
	}
	if !strings.Contains(logs.String(), `"path":"/collections/facilities-jugend/items"`) || !strings.Contains(logs.String(), "filter=") {
		t.Errorf("GDAL's -where did not reach the server as a filter:\n%s", logs.String())
	}
}

// A facility collection as a table for spreadsheets, and one of its
// features by the number its items carry.
func TestFacilityCSVAndItem(t *testing.T) {
	srv, _ := demoServer(t)
	var fc struct {
		Features []struct {
			ID int64 `json:"id"`
		} `json:"features"`
	}
	q := url.Values{"filter": {"source_id = '01010010'"}}
	getJSON(t, srv.URL+"/collections/facilities-kita/items?"+q.Encode(), &fc)
	if len(fc.Features) != 1 {
		t.Fatalf("Kita 01010010: %d features", len(fc.Features))
	}
	id := fc.Features[0].ID

	q.Set("f", "csv")
	q.Set("crs", "http://www.opengis.net/def/crs/EPSG/0/25833")
	status, body, h := call(t, http.MethodGet, srv.URL+"/collections/facilities-kita/items?"+q.Encode(), "", "", nil)
	want := "\uFEFFid;source_id;name;street;house_number;postcode;place;carrier;carrier_type;target_group;capacity;capacity_unit;valid_from;valid_to;area_level;area_code;x;y\r\n" +
		fmt.Sprintf("%d;01010010;Kita F.A.I.R.play;Albrechtstr.;20;10117;Berlin;GFJ - gemeinnützige Gesellschaft für Familien- und Jugendhilfe mbH;Sonstiger freier Träger;;69;Plätze;2022-12-01;;prognoseraum;0110;390387,4;5820383,1\r\n", id)
	if status != http.StatusOK || string(body) != want || h.Get("OGC-NumberMatched") != "1" ||
		h.Get("Content-Type") != "text/csv; charset=utf-8; header=present" {
		t.Errorf("CSV: %d %v\n%q\nwant\n%q", status, h, body, want)
	}
	// Every Kita, one row each below the header.
	status, body, h = call(t, http.MethodGet, srv.URL+"/collections/facilities-kita/items?f=csv&limit=5000", "", "", nil)
	if rows := strings.Count(string(body), "\r\n"); status != http.StatusOK || rows != 2881 || h.Get("OGC-NumberMatched") != "2880" {
		t.Errorf("CSV of every Kita: %d, %d lines, %s matched; want 2881 lines, 2880", status, rows, h.Get("OGC-NumberMatched"))
	}

	var f struct {
		ID         int64                           `json:"id"`
		Geometry   struct{ Coordinates []float64 } `json:"geometry"`
		Properties map[string]any                  `json:"properties"`
		Links      []struct{ Rel, Href string }    `json:"links"`
	}
	getJSON(t, fmt.Sprintf("%s/collections/facilities-kita/items/%d?crs=%s", srv.URL, id,
		url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/25833")), &f)
	if f.ID != id || f.Properties["name"] != "Kita F.A.I.R.play" || f.Properties["capacity"] != 69.0 ||
		len(f.Geometry.Coordinates) != 2 || f.Geometry.Coordinates[0] != 390387.4 || f.Geometry.Coordinates[1] != 5820383.1 ||
		len(f.Links) != 2 || f.Links[1].Href != srv.URL+"/collections/facilities-kita" {
		t.Errorf("feature %d: %+v", id, f)
	}
	for path, want := range map[string]int{
		fmt.Sprintf("/collections/facilities-pflege/items/%d", id):                   404, // a Kita is no nursing home
		"/collections/facilities-kita/items/0":                                       404,
		"/collections/facilities-kita/items/01010010":                                404, // the source's id is no feature id
		fmt.Sprintf("/collections/facilities-kita/items/%d?datetime=2022-12-31", id): 400,
	} {
		if status, body, _ := call(t, http.MethodGet, srv.URL+path, "", "", nil); status != want {
			t.Errorf("GET %s: %d, want %d: %.200s", path, status, want, body)
		}
	}
}
