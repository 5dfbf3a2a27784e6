package source

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"errors"
	"math"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
)

// TestGeoPackageFixture reads three Kreise written by
// `ogr2ogr -f GPKG kreise-25832.gpkg VG5000_KRS.shp -t_srs EPSG:25832
// -where "ARS IN ('16073','14628','09574')" -nln kreise -lco SPATIAL_INDEX=NO`.
func TestGeoPackageFixture(t *testing.T) {
	path := filepath.Join("testdata", "gpkg", "kreise-25832.gpkg")
	ds, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Path != path || ds.Layer != "kreise" {
		t.Errorf("path %q layer %q", ds.Path, ds.Layer)
	}
	if ds.CRS.SRID != 25832 || ds.CRS.Name != "ETRS89 / UTM zone 32N" || !strings.HasPrefix(ds.CRS.WKT, `PROJCS["ETRS89 / UTM zone 32N",GEOGCS["ETRS89"`) {
		t.Errorf("CRS %+v", ds.CRS)
	}
	if !reflect.DeepEqual(ds.Fields, vg5000Fields) {
		t.Errorf("fields %v, want %v", ds.Fields, vg5000Fields)
	}
	tests := []struct {
		ars, gen, beginn, wsk, ade string
		rings                      [][]int
	}{
		{"09574", "Nürnberger Land", "2019-10-04", "2009-01-01", "4", [][]int{{112, 6}}},
		{"14628", "Sächsische Schweiz-Osterzgebirge", "2019-10-04", "2013-04-11", "4", [][]int{{138}}},
		{"16073", "Saalfeld-Rudolstadt", "2020-11-08", "2019-01-01", "4", [][]int{{152}}},
	}
	if len(ds.Features) != len(tests) {
		t.Fatalf("%d features, want %d", len(ds.Features), len(tests))
	}
	for i, tt := range tests {
		f := ds.Features[i]
		got := []string{f.Attrs["ARS"], f.Attrs["GEN"], f.Attrs["BEGINN"], f.Attrs["WSK"], f.Attrs["ADE"]}
		if want := []string{tt.ars, tt.gen, tt.beginn, tt.wsk, tt.ade}; f.Number != i+1 || !reflect.DeepEqual(got, want) {
			t.Errorf("feature %d: %q, want %d %q", f.Number, got, i+1, want)
		}
		if rings, _ := ringStructure(t, f.WKB); !reflect.DeepEqual(rings, tt.rings) {
			t.Errorf("feature %d: rings %v, want %v", f.Number, rings, tt.rings)
		}
	}
}

// gpkgBlob builds a GeoPackage geometry blob around WKB.
func gpkgBlob(order binary.AppendByteOrder, srsID int32, envelope []float64, flags byte, wkbData []byte) []byte {
	b := []byte{'G', 'P', 0, flags}
	if order == binary.LittleEndian {
		b[3] |= 1
	}
	b = order.AppendUint32(b, uint32(srsID))
	for _, v := range envelope {
		b = order.AppendUint64(b, math.Float64bits(v))
	}
	return append(b, wkbData...)
}

func envelopeFlags(n int) byte {
	switch n {
	case 4:
		return 1 << 1
	case 6:
		return 2 << 1
	case 8:
		return 4 << 1
	}
	return 0
}

func TestGeoPackageWKB(t *testing.T) {
	pt := mustWKB(t, geom.NewPointFlat(geom.XY, []float64{1, 2}))
	ptZ := mustWKB(t, geom.NewPointFlat(geom.XYZ, []float64{1, 2, 3}))
	ptBig, err := wkb.Marshal(geom.NewPointFlat(geom.XY, []float64{1, 2}), wkb.XDR)
	if err != nil {
		t.Fatal(err)
	}
	emptyPt := mustWKB(t, geom.NewPointFlat(geom.XY, []float64{math.NaN(), math.NaN()}))
	sq := square(0, 0, 10, true)
	hole := square(0, 0, 1, false)
	poly := geom.NewPolygon(geom.XY).MustSetCoords([][]geom.Coord{ringCoords(sq), ringCoords(hole)})
	polyZM := geom.NewPolygon(geom.XYZM).MustSetCoords([][]geom.Coord{
		{{-10, -10, 5, 6}, {-10, 10, 5, 6}, {10, 10, 5, 6}, {10, -10, 5, 6}, {-10, -10, 5, 6}},
	})
	multi := mustWKB(t, geom.NewMultiPolygon(geom.XY).MustSetCoords([][][]geom.Coord{{ringCoords(sq), ringCoords(hole)}}))
	multiSq := mustWKB(t, geom.NewMultiPolygon(geom.XY).MustSetCoords([][][]geom.Coord{{ringCoords(sq)}}))
	line := mustWKB(t, geom.NewLineStringFlat(geom.XYM, []float64{0, 0, 1, 5, 5, 2}))
	line2D := mustWKB(t, geom.NewLineStringFlat(geom.XY, []float64{0, 0, 5, 5}))
	le, be := binary.AppendByteOrder(binary.LittleEndian), binary.AppendByteOrder(binary.BigEndian)

	tests := []struct {
		name string
		blob []byte
		want []byte
	}{
		{"point, no envelope", gpkgBlob(le, 4326, nil, 0, pt), pt},
		{"point, big-endian header and WKB", gpkgBlob(be, 4326, nil, 0, ptBig), pt},
		{"point Z with XYZ envelope", gpkgBlob(le, 4326, []float64{1, 1, 2, 2, 3, 3}, envelopeFlags(6), ptZ), pt},
		{"polygon becomes a multipolygon", gpkgBlob(le, 1, []float64{-10, 10, -10, 10}, envelopeFlags(4), mustWKB(t, poly)), multi},
		{"polygon ZM with XYZM envelope", gpkgBlob(le, 1, make([]float64, 8), envelopeFlags(8), mustWKB(t, polyZM)), multiSq},
		{"multipolygon stays", gpkgBlob(le, 1, nil, 0, multi), multi},
		{"line string M", gpkgBlob(le, 1, nil, 0, line), line2D},
		{"empty flag", gpkgBlob(le, 1, nil, gpkgFlagEmpty, pt), nil},
		{"empty point as NaN", gpkgBlob(le, 1, nil, 0, emptyPt), nil},
		{"empty polygon", gpkgBlob(le, 1, nil, 0, mustWKB(t, geom.NewPolygon(geom.XY))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gpkgWKB(tt.blob)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("WKB\n got %x\nwant %x", got, tt.want)
			}
		})
	}

	errTests := []struct {
		name string
		blob []byte
		want string
	}{
		{"no GP magic", append([]byte("XX\x00\x01\x00\x00\x00\x00"), pt...), "geometry is not a GeoPackage binary (no GP header)"},
		{"plain WKB", pt, "geometry is not a GeoPackage binary (no GP header)"},
		{"version 2", append([]byte("GP\x01\x01\x00\x00\x00\x00"), pt...), "unsupported GeoPackage binary version 2"},
		{"extended type", gpkgBlob(le, 1, nil, gpkgFlagExtended, pt), "extended GeoPackage geometry types are not supported"},
		{"envelope indicator 5", gpkgBlob(le, 1, nil, 5<<1, pt), "invalid envelope indicator 5"},
		{"envelope cut", gpkgBlob(le, 1, []float64{1, 2}, envelopeFlags(4), nil), "geometry blob of 24 bytes is shorter than its header"},
		{"WKB cut", gpkgBlob(le, 1, nil, 0, pt[:10]), "invalid WKB: the data ends early"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gpkgWKB(tt.blob)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// The GeoPackage core tables, reduced to the columns the reader uses.
const testGPKGSchema = `
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, srs_id INTEGER);
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined Cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
  ('ETRS89 / UTM zone 33N', 25833, 'epsg', 25833, 'PROJCS["ETRS89 / UTM zone 33N"]', NULL),
  ('Lokal', 900001, 'ACME', 7, ' LOCAL_CS["Lokal"] ', NULL);
INSERT INTO gpkg_contents VALUES
  ('Kitas', 'features', 'Kitas', 25833),
  ('areas', 'features', 'areas', 900001),
  ('plan', 'features', 'plan', -1),
  ('notes', 'attributes', 'notes', NULL);
INSERT INTO gpkg_geometry_columns VALUES
  ('Kitas', 'shape', 'POINT', 25833, 0, 0),
  ('areas', 'geom', 'MULTIPOLYGON', 900001, 0, 0),
  ('plan', 'geom', 'POLYGON', -1, 0, 0);
CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);
CREATE TABLE "Kitas" (id INTEGER PRIMARY KEY, name TEXT, places INTEGER, share REAL, open BOOLEAN,
  since DATE, updated DATETIME, shape POINT, photo BLOB);
CREATE TABLE areas (code TEXT PRIMARY KEY, geom MULTIPOLYGON);
CREATE TABLE plan (fid INTEGER PRIMARY KEY, geom POLYGON);
`

func writeTestGPKG(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(testGPKGSchema); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	pt := func(x, y float64) []byte {
		return gpkgBlob(le, 25833, nil, 0, mustWKB(t, geom.NewPointFlat(geom.XY, []float64{x, y})))
	}
	kitas := []struct {
		id     int
		values []any
	}{
		{3, []any{"Kita Sonnenschein", 120, 0.1, 1, "2021-01-01", "2023-07-01T12:00:00.000Z", pt(390000.5, 5820000.25), []byte{0xca, 0xfe}}},
		{1, []any{"Kita Zwergenland", 45, 1234567.5, 0, "1999-12-31", nil, pt(391000, 5821000), nil}},
		{2, []any{nil, nil, 1e-7, nil, nil, nil, nil, nil}},
		{7, []any{"Leer", -3, 2.0, nil, nil, nil, gpkgBlob(le, 25833, nil, gpkgFlagEmpty, nil), nil}},
	}
	for _, k := range kitas {
		if _, err := db.Exec(`INSERT INTO "Kitas" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{k.id}, k.values...)...); err != nil {
			t.Fatal(err)
		}
	}
	sq := mustWKB(t, geom.NewPolygon(geom.XY).MustSetCoords([][]geom.Coord{ringCoords(square(0, 0, 1, true))}))
	for _, code := range []string{"b", "a"} {
		if _, err := db.Exec(`INSERT INTO areas VALUES (?, ?)`, code, gpkgBlob(le, 900001, nil, 0, sq)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO plan VALUES (1, ?)`, []byte("GP\x00\x01\x00\x00\x00\x00\x01")); err != nil {
		t.Fatal(err)
	}
}

func TestGeoPackageLayers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.gpkg")
	writeTestGPKG(t, path)
	pt := func(x, y float64) []byte { return mustWKB(t, geom.NewPointFlat(geom.XY, []float64{x, y})) }

	ds, err := Open(path, Options{Layer: "kitas"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"name", "places", "share", "open", "since", "updated", "photo"}; !reflect.DeepEqual(ds.Fields, want) {
		t.Errorf("fields %v, want %v", ds.Fields, want)
	}
	if want := (CRS{SRID: 25833, WKT: `PROJCS["ETRS89 / UTM zone 33N"]`, Name: "ETRS89 / UTM zone 33N"}); ds.Layer != "Kitas" || ds.CRS != want {
		t.Errorf("layer %q, CRS %+v; want Kitas, %+v", ds.Layer, ds.CRS, want)
	}
	assertFeatures(t, ds.Features, []Feature{
		{Number: 1, WKB: pt(391000, 5821000), Attrs: map[string]string{"name": "Kita Zwergenland", "places": "45",
			"share": "1234567.5", "open": "false", "since": "1999-12-31", "updated": "", "photo": ""}},
		{Number: 2, Attrs: map[string]string{"name": "", "places": "", "share": "1e-07", "open": "", "since": "", "updated": "", "photo": ""}},
		{Number: 3, WKB: pt(390000.5, 5820000.25), Attrs: map[string]string{"name": "Kita Sonnenschein", "places": "120",
			"share": "0.1", "open": "true", "since": "2021-01-01", "updated": "2023-07-01T12:00:00.000Z", "photo": "cafe"}},
		{Number: 4, Attrs: map[string]string{"name": "Leer", "places": "-3", "share": "2", "open": "", "since": "", "updated": "", "photo": ""}},
	})

	areas, err := Open(path, Options{Layer: "areas"})
	if err != nil {
		t.Fatal(err)
	}
	// A text primary key is an attribute and orders the features.
	if !reflect.DeepEqual(areas.Fields, []string{"code"}) || len(areas.Features) != 2 ||
		areas.Features[0].Attrs["code"] != "a" || areas.Features[1].Attrs["code"] != "b" {
		t.Errorf("areas: fields %v, features %v", areas.Fields, areas.Features)
	}
	if want := (CRS{WKT: `LOCAL_CS["Lokal"]`, Name: "Lokal"}); areas.CRS != want {
		t.Errorf("areas: CRS %+v, want %+v", areas.CRS, want)
	}

	errTests := []struct {
		name, layer string
		err         Error
	}{
		{"several feature tables without layer", "", Error{Path: path,
			Reason: "the GeoPackage has 3 feature tables (Kitas, areas, plan); choose one as the layer"}},
		{"unknown layer", "schools", Error{Path: path, Reason: `no feature table "schools"; the GeoPackage has: Kitas, areas, plan`}},
		{"attribute table is no layer", "notes", Error{Path: path, Reason: `no feature table "notes"; the GeoPackage has: Kitas, areas, plan`}},
		{"broken geometry", "plan", Error{Path: path, Feature: 1, Field: "geom", Reason: "invalid WKB: the data ends early"}},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(path, Options{Layer: tt.layer})
			var e *Error
			if !errors.As(err, &e) || *e != tt.err {
				t.Errorf("error %v, want %v", err, &tt.err)
			}
		})
	}
}

func TestGeoPackageNotAGeoPackage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.gpkg")
	if _, err := Open(missing, Options{}); err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing file: error %v", err)
	}
	notGPKG := filepath.Join(vg5000, "VG5000_KRS.dbf")
	if _, err := readGeoPackage(notGPKG, Options{}); err == nil || !strings.HasPrefix(err.Error(), notGPKG+": not a GeoPackage: ") {
		t.Errorf("dBase file: error %v", err)
	}
}

// TestGeoPackageFromGDAL converts VG5000 shapefiles with ogr2ogr and
// checks that the GeoPackage reads exactly like the shapefile. GDAL does
// not accept the ESRI .prj as EPSG:31467 and would register it under an
// id of its own, so the code is assigned.
func TestGeoPackageFromGDAL(t *testing.T) {
	ogr2ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		t.Skip("ogr2ogr not installed")
	}
	path := filepath.Join(t.TempDir(), "vg5000.gpkg")
	for _, args := range [][]string{
		{"-f", "GPKG", "-a_srs", "EPSG:31467", path, filepath.Join(vg5000, "VG5000_KRS.shp")},
		{"-update", "-a_srs", "EPSG:31467", path, filepath.Join(vg5000, "VG5000_LAN.shp")},
		{"-update", "-a_srs", "EPSG:31467", path, filepath.Join(vg5000, "VG5000_GEM.shp")},
	} {
		if out, err := exec.Command(ogr2ogr, args...).CombinedOutput(); err != nil {
			t.Fatalf("ogr2ogr %v: %v\n%s", args, err, out)
		}
	}
	_, err = Open(path, Options{})
	want := &Error{Path: path, Reason: "the GeoPackage has 3 feature tables (VG5000_GEM, VG5000_KRS, VG5000_LAN); choose one as the layer"}
	var e *Error
	if !errors.As(err, &e) || *e != *want {
		t.Errorf("error %v, want %v", err, want)
	}

	for _, layer := range []string{"VG5000_KRS", "VG5000_LAN", "VG5000_GEM"} {
		t.Run(layer, func(t *testing.T) {
			gp, err := Open(path, Options{Layer: layer})
			if err != nil {
				t.Fatal(err)
			}
			shp := readVG5000(t, layer)
			if gp.CRS.SRID != 31467 || !reflect.DeepEqual(gp.Fields, shp.Fields) || len(gp.Features) != len(shp.Features) {
				t.Fatalf("SRID %d, fields %v, %d features", gp.CRS.SRID, gp.Fields, len(gp.Features))
			}
			for i, f := range gp.Features {
				s := shp.Features[i]
				if f.Number != s.Number || !sameAttrs(f.Attrs, s.Attrs) {
					t.Errorf("feature %d: %d %v, shapefile %d %v", i, f.Number, f.Attrs, s.Number, s.Attrs)
				}
				if !bytes.Equal(f.WKB, s.WKB) {
					gr, _ := ringStructure(t, f.WKB)
					sr, _ := ringStructure(t, s.WKB)
					t.Errorf("feature %d (%s): geometry differs: GeoPackage rings %v, shapefile %v", f.Number, f.Attrs["GEN"], gr, sr)
				}
			}
		})
	}
}
