package main

import (
	"context"
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
		} `json:"collections"`
	}
	getJSON(t, srv.URL+"/collections", &cs)
	titles := map[string]string{}
	for _, c := range cs.Collections {
		titles[c.ID] = c.Title
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
