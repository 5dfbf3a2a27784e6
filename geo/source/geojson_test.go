package source

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestGeoJSONDistricts(t *testing.T) {
	ds, err := Open("../../data/demo/berlin-lor/districts.geojson", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Features) != 12 {
		t.Fatalf("%d features, want 12", len(ds.Features))
	}
	if want := []string{"id", "name", "area", "bounding_box"}; !reflect.DeepEqual(ds.Fields, want) {
		t.Errorf("fields %q, want %q", ds.Fields, want)
	}
	if want := (CRS{SRID: 4326, Name: "urn:ogc:def:crs:OGC:1.3:CRS84"}); ds.CRS != want {
		t.Errorf("CRS %+v, want %+v", ds.CRS, want)
	}
	if ds.Layer != "districts" {
		t.Errorf("layer %q", ds.Layer)
	}
	ids := map[string]string{}
	for i, f := range ds.Features {
		if f.Number != i+1 {
			t.Errorf("feature %d has number %d", i+1, f.Number)
		}
		ids[f.Attrs["id"]] = f.Attrs["name"]
		if typ := wkbType(t, f.WKB); typ != 6 {
			t.Errorf("feature %d: WKB type %d, want 6 (MultiPolygon)", f.Number, typ)
		}
	}
	for i := 1; i <= 12; i++ {
		if _, ok := ids[twoDigits(i)]; !ok {
			t.Errorf("no district %s", twoDigits(i))
		}
	}
	if ids["09"] != "Treptow-Köpenick" {
		t.Errorf("district 09 is %q", ids["09"])
	}
	first := ds.Features[0]
	if first.Attrs["name"] != "Reinickendorf" || first.Attrs["area"] != "89190000" ||
		first.Attrs["bounding_box"] != "[13.201615766772154,52.5488063524014,13.389281658499934,52.66073867694934]" {
		t.Errorf("feature 1 attributes %q", first.Attrs)
	}
	// First position of the first ring: byte order, type and polygon count
	// (9 bytes), then the polygon's byte order, type, ring count and the
	// ring's point count (13 bytes).
	x, y := wkbFloat(first.WKB, 22), wkbFloat(first.WKB, 30)
	if x != 13.320744327762688 || y != 52.6265990635977 {
		t.Errorf("first position (%v %v), want (13.320744327762688 52.6265990635977)", x, y)
	}
}

func TestGeoJSONLegacyEPSG4326IsLonLat(t *testing.T) {
	ds, err := Open("../../data/demo/berlin-lor/forecast-areas-until-2020.geojson", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Features) != 60 {
		t.Fatalf("%d features, want 60", len(ds.Features))
	}
	if want := (CRS{SRID: 4326, Name: "urn:ogc:def:crs:EPSG::4326"}); ds.CRS != want {
		t.Errorf("CRS %+v, want %+v", ds.CRS, want)
	}
	f := ds.Features[0]
	if f.Attrs["id"] != "0101" || f.Attrs["name"] != "Zentrum" || f.Attrs["area"] != "15844742.357640002" {
		t.Errorf("feature 1 attributes %q", f.Attrs)
	}
	x, y := wkbFloat(f.WKB, 22), wkbFloat(f.WKB, 30)
	if x != 13.369527620096454 || y != 52.49886950964859 {
		t.Errorf("first position (%v %v), want lon/lat (13.369527620096454 52.49886950964859)", x, y)
	}
}

func TestGeoJSONEPSG25833(t *testing.T) {
	ds, err := Open("testdata/geojson/epsg25833.geojson", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (CRS{SRID: 25833, Name: "urn:ogc:def:crs:EPSG::25833"}); ds.CRS != want {
		t.Errorf("CRS %+v, want %+v", ds.CRS, want)
	}
	wantFields := []string{"id", "name", "platz", "anteil", "gross", "offen", "traeger", "adresse", "tags", "bezirk"}
	if !reflect.DeepEqual(ds.Fields, wantFields) {
		t.Errorf("fields %q, want %q", ds.Fields, wantFields)
	}
	want := []Feature{
		{Number: 1, Attrs: map[string]string{
			"id": "7", "name": "Kita Sonnenschein", "platz": "45", "anteil": "1.50", "gross": "1e3",
			"offen": "true", "traeger": "", "adresse": `{"str":"Müllerstraße","nr":"12a"}`, "tags": `[1,"zwei"]`, "bezirk": "",
		}, WKB: mustHex(t, "01010000000000000002ed17410000001098335641")},
		{Number: 2, Attrs: map[string]string{
			"id": "0815", "name": "Kita Regenbogen", "platz": "", "anteil": "", "gross": "",
			"offen": "", "traeger": "", "adresse": "", "tags": "", "bezirk": "Treptow-Köpenick",
		}, WKB: mustHex(t, "0103000000010000000400000000000000000000000000000000000000000000000000244000000000000000000000000000002440000000000000244000000000000000000000000000000000")},
		{Number: 3, Attrs: map[string]string{
			"id": "", "name": "", "platz": "", "anteil": "", "gross": "",
			"offen": "", "traeger": "", "adresse": "", "tags": "", "bezirk": "",
		}},
	}
	if !reflect.DeepEqual(ds.Features, want) {
		t.Errorf("features\n%+v\nwant\n%+v", ds.Features, want)
	}
}

func TestGeoJSONSingleFeature(t *testing.T) {
	// A top-level Feature with a byte order mark, the id member after the
	// properties and 3D positions, which become 2D.
	ds, err := Open("testdata/geojson/single-feature.geojson", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Dataset{
		Path:   "testdata/geojson/single-feature.geojson",
		Layer:  "single-feature",
		Fields: []string{"id", "name"},
		CRS:    CRS{SRID: 4326},
		Features: []Feature{{Number: 1, Attrs: map[string]string{"id": "3", "name": "Spree"},
			WKB: mustHex(t, "0102000000020000003333333333332a40cdcccccccc0c4a406666666666662a409a99999999194a40")}},
	}
	if !reflect.DeepEqual(ds, want) {
		t.Errorf("got\n%+v\nwant\n%+v", ds, want)
	}
}

func TestGeoJSONErrors(t *testing.T) {
	tests := []struct {
		name, path string
		want       Error
	}{
		{"unknown crs", "testdata/geojson/unknown-crs.geojson", Error{Field: "crs",
			Reason: `CRS name "urn:ogc:def:crs:EPSG::Gauss-Krueger": EPSG code "Gauss-Krueger" is not a positive number`}},
		{"bad geometry", "testdata/geojson/bad-geometry.geojson", Error{Feature: 2,
			Reason: "geometry: Polygon coordinates are not nested as that type requires"}},
	}
	for _, tt := range tests {
		_, err := Open(tt.path, Options{})
		tt.want.Path = tt.path
		checkError(t, tt.name, err, tt.want)
	}
}

func TestGeoJSONInvalidInput(t *testing.T) {
	const point = `{"type": "Point", "coordinates": [1, 2]}`
	collection := func(features string) string {
		return `{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": ` + point + `}, ` + features + `]}`
	}
	feature := func(geometry string) string {
		return collection(`{"type": "Feature", "properties": {"a": 1}, "geometry": ` + geometry + `}`)
	}
	tests := []struct {
		name, json string
		want       Error
	}{
		{"unknown geometry type", feature(`{"type": "Polygonx", "coordinates": []}`),
			Error{Feature: 2, Reason: `geometry: type "Polygonx" is not a GeoJSON geometry type`}},
		{"no coordinates", feature(`{"type": "MultiPolygon"}`),
			Error{Feature: 2, Reason: `geometry: MultiPolygon has no "coordinates" member`}},
		{"no geometry type", feature(`{"coordinates": [1, 2]}`),
			Error{Feature: 2, Reason: `geometry: no "type" member`}},
		{"one-dimensional position", feature(`{"type": "Point", "coordinates": [1]}`),
			Error{Feature: 2, Reason: `geometry: a position has 1 coordinate(s), at least 2 are needed`}},
		{"mixed dimensions", feature(`{"type": "LineString", "coordinates": [[1, 2], [3, 4, 5]]}`),
			Error{Feature: 2, Reason: `geometry: LineString positions differ in their number of coordinates (2 and 3)`}},
		{"open ring", feature(`{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}`),
			Error{Feature: 2, Reason: `geometry: ring 1 is not closed: it starts at [0 0] and ends at [0 1]`}},
		{"short ring", feature(`{"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[0, 0], [1, 1], [0, 0]]]]}`),
			Error{Feature: 2, Reason: `geometry: polygon 2: ring 1 has 3 positions, a closed ring needs at least 4`}},
		{"geometry not an object", feature(`[1, 2]`),
			Error{Feature: 2, Reason: `geometry: not a geometry object`}},
		{"not a feature", collection(`{"type": "Point", "coordinates": [1, 2]}`),
			Error{Feature: 2, Reason: `type "Point": expected "Feature"`}},
		{"properties not an object", collection(`{"type": "Feature", "properties": [1], "geometry": null}`),
			Error{Feature: 2, Reason: `properties is not an object`}},
		{"feature not an object", collection(`17`),
			Error{Feature: 2, Reason: `not a Feature object`}},
		{"syntax error in a feature", collection(`{"type": "Feature", "properties": {"a": tru}}`),
			Error{Feature: 2, Reason: `invalid JSON: invalid character '}' in literal true (expecting 'e')`}},
		{"truncated", `{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"a": 1`,
			Error{Feature: 1, Reason: `file ends inside the feature (truncated?)`}},
		{"syntax error at the top", `{"type": "FeatureCollection" "features": []}`,
			Error{Reason: `top-level object: invalid JSON: invalid character '"' after object key:value pair`}},
		{"bare geometry", point,
			Error{Reason: `GeoJSON type "Point": expected a FeatureCollection or a Feature`}},
		{"not an object", `[]`,
			Error{Reason: `expected a GeoJSON object at byte 1, found [`}},
		{"empty file", ``,
			Error{Reason: `expected a GeoJSON object: file ends too early (truncated?)`}},
		{"collection without features", `{"type": "FeatureCollection"}`,
			Error{Reason: `FeatureCollection has no "features" member`}},
		{"trailing data", `{"type": "FeatureCollection", "features": []} {}`,
			Error{Reason: `unexpected data after the GeoJSON object at byte 47`}},
		{"link crs", `{"type": "FeatureCollection", "features": [], "crs": {"type": "link", "properties": {"href": "x.prj"}}}`,
			Error{Field: "crs", Reason: `crs type "link" is not supported: expected {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::…"}}`}},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(dir, "input.geojson")
		if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path, Options{})
		tt.want.Path = path
		checkError(t, tt.name, err, tt.want)
	}
}

func TestGeoJSONCRSMember(t *testing.T) {
	tests := []struct {
		member string
		want   CRS
	}{
		{``, CRS{SRID: 4326}},
		{`"crs": null,`, CRS{SRID: 4326}},
		{`"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC::CRS84"}},`, CRS{SRID: 4326, Name: "urn:ogc:def:crs:OGC::CRS84"}},
		{`"crs": {"type": "name", "properties": {"name": "EPSG:4326"}},`, CRS{SRID: 4326, Name: "EPSG:4326"}},
		{`"crs": {"type": "name", "properties": {"name": "EPSG:25832"}},`, CRS{SRID: 25832, Name: "EPSG:25832"}},
		{`"crs": {"type": "name", "properties": {"name": "http://www.opengis.net/def/crs/EPSG/0/25832"}},`, CRS{SRID: 25832, Name: "http://www.opengis.net/def/crs/EPSG/0/25832"}},
		{`"crs": {"type": "EPSG", "properties": {"code": 31467}},`, CRS{SRID: 31467, Name: "EPSG:31467"}},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(dir, "crs.json")
		if err := os.WriteFile(path, []byte(`{"type": "FeatureCollection", `+tt.member+` "features": []}`), 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := Open(path, Options{})
		if err != nil {
			t.Errorf("%s: %v", tt.member, err)
			continue
		}
		if ds.CRS != tt.want {
			t.Errorf("%s: CRS %+v, want %+v", tt.member, ds.CRS, tt.want)
		}
	}
}

// checkError asserts err is an *Error equal to want.
func checkError(t *testing.T, name string, err error, want Error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("%s: error %v, want *Error %v", name, err, &want)
		return
	}
	if *e != want {
		t.Errorf("%s: error\n%+v\nwant\n%+v", name, *e, want)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wkbType(t *testing.T, b []byte) uint32 {
	t.Helper()
	if len(b) < 5 || b[0] != 1 {
		t.Fatalf("not little-endian WKB: %x", b[:min(len(b), 5)])
	}
	return binary.LittleEndian.Uint32(b[1:5])
}

func wkbFloat(b []byte, off int) float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(b[off:]))
}

func twoDigits(i int) string {
	return string(rune('0'+i/10)) + string(rune('0'+i%10))
}
