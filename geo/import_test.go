package geo_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// demoDir is the repository's demo data, which the tests use as real input.
func demoDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "data", "demo")
}

func day(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func vg5000(t testing.TB, layer string) string {
	return filepath.Join(demoDir(t), "vg5000-2021", "VG5000_"+layer+".shp")
}

func lor(t testing.TB, file string) string {
	return filepath.Join(demoDir(t), "berlin-lor", file)
}

func mustImport(t testing.TB, s *geo.Store, in geo.AreaImport) geo.ImportReport {
	t.Helper()
	rep, err := s.ImportAreas(context.Background(), in)
	if err != nil {
		t.Fatalf("import %s: %v", filepath.Base(in.Path), err)
	}
	return rep
}

// importUpperLevels loads Staat, Länder and Kreise of VG5000, land parts only.
func importUpperLevels(t testing.TB, s *geo.Store) {
	t.Helper()
	land := map[string]string{"GF": "9"}
	mustImport(t, s, geo.AreaImport{Path: vg5000(t, "STA"), Level: "staat", CodeField: "NUTS", NameField: "GEN", Where: land})
	mustImport(t, s, geo.AreaImport{Path: vg5000(t, "LAN"), Level: "land", CodeField: "ARS", NameField: "GEN", Where: land,
		Parent: geo.ParentRule{Code: "DE"}})
	mustImport(t, s, geo.AreaImport{Path: vg5000(t, "KRS"), Level: "kreis", CodeField: "ARS", NameField: "GEN", Where: land,
		Parent: geo.ParentRule{Prefix: 2}})
}

func count(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestImportVG5000Hierarchy(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	importUpperLevels(t, s)
	rep := mustImport(t, s, geo.AreaImport{Path: vg5000(t, "GEM"), Level: "gemeinde", CodeField: "ARS", NameField: "GEN",
		Where: map[string]string{"GF": "9"}, Parent: geo.ParentRule{Prefix: 5}})
	if rep.Read != 10997 || rep.Imported != 10997 || rep.SRID != 31467 {
		t.Errorf("gemeinde report = %+v, want 10997 read and imported from EPSG:31467", rep)
	}
	t.Logf("gemeinde: %s", rep)

	for level, want := range map[string]int{"staat": 1, "land": 16, "kreis": 401, "gemeinde": 10997} {
		if got := count(t, pool, `SELECT count(*) FROM area WHERE level = $1`, level); got != want {
			t.Errorf("%s: %d areas, want %d", level, got, want)
		}
	}
	// Every area below the Staat has a parent of the next coarser level.
	if n := count(t, pool, `
		SELECT count(*) FROM area a LEFT JOIN area p ON p.level = a.parent_level AND p.code = a.parent_code
		WHERE a.level <> 'staat' AND (p.id IS NULL OR (a.level, p.level) NOT IN
		      (('land','staat'), ('kreis','land'), ('gemeinde','kreis')))`); n != 0 {
		t.Errorf("%d areas with a missing or wrong parent", n)
	}
	var name, parent, parentLevel string
	err := pool.QueryRow(context.Background(), `
		SELECT a.name, p.code, p.level FROM area a JOIN area p ON p.level = a.parent_level AND p.code = a.parent_code
		WHERE a.level = 'gemeinde' AND a.code = '160730076076'`).Scan(&name, &parent, &parentLevel)
	if err != nil || name != "Rudolstadt" || parent != "16073" || parentLevel != "kreis" {
		t.Errorf("Rudolstadt = %q under %s %s (%v), want Rudolstadt under kreis 16073", name, parentLevel, parent, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM area a JOIN area p ON p.level = a.parent_level AND p.code = a.parent_code
		WHERE p.level = 'kreis' AND p.code = '16073'`); n != 26 {
		t.Errorf("Saalfeld-Rudolstadt has %d Gemeinden, want 26", n)
	}
	// Geometry: valid, both projections, label point inside, geodesic area.
	if n := count(t, pool, `SELECT count(*) FROM area WHERE NOT ST_IsValid(geom) OR NOT ST_IsValid(geom_3857)
		OR NOT ST_Intersects(label_point, geom) OR area_km2 <= 0`); n != 0 {
		t.Errorf("%d areas with invalid geometry, label point outside or no area", n)
	}
	// Germany's land area is 357,588 km² (Destatis, 2021); the 1:5,000,000
	// generalization comes within half a percent.
	var km2 float64
	if err := pool.QueryRow(context.Background(), `SELECT sum(area_km2) FROM area WHERE level = 'kreis'`).Scan(&km2); err != nil {
		t.Fatal(err)
	}
	if km2 < 357588*0.995 || km2 > 357588*1.005 {
		t.Errorf("Kreise cover %.0f km², want about 357,588", km2)
	}
}

func TestImportBerlinLORVersions(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	importUpperLevels(t, s)
	mustImport(t, s, geo.AreaImport{Path: vg5000(t, "GEM"), Level: "gemeinde", CodeField: "ARS", NameField: "GEN",
		Where: map[string]string{"ARS": "110000000000"}, Parent: geo.ParentRule{Prefix: 5}})
	mustImport(t, s, geo.AreaImport{Path: lor(t, "districts.geojson"), Level: "bezirk", CodeField: "id", NameField: "name",
		Parent: geo.ParentRule{Code: "110000000000"}})
	old := mustImport(t, s, geo.AreaImport{Path: lor(t, "forecast-areas-until-2020.geojson"), Level: "prognoseraum",
		CodeField: "id", NameField: "name", Parent: geo.ParentRule{Prefix: 2}})
	if old.Imported != 60 || old.SRID != 4326 {
		t.Errorf("old Prognoseräume: %+v", old)
	}
	renewed := mustImport(t, s, geo.AreaImport{Path: lor(t, "forecast-areas-from-2021.geojson"), Level: "prognoseraum",
		CodeField: "id", NameField: "name", Parent: geo.ParentRule{Prefix: 2}, ValidFrom: day("2021-01-01")})
	if renewed.Imported != 58 || renewed.Closed != 60 {
		t.Errorf("new Prognoseräume: imported %d, closed %d; want 58 and 60", renewed.Imported, renewed.Closed)
	}
	// Every old Prognoseraum passes on to the new ones it overlaps, its
	// shares summing to one; the reform redrew them, so few pass whole.
	if n := count(t, pool, `SELECT count(DISTINCT predecessor_id) FROM area_succession`); n != 60 {
		t.Errorf("%d old Prognoseräume have successors, want 60", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM (SELECT predecessor_id FROM area_succession
		GROUP BY predecessor_id HAVING abs(sum(share) - 1) > 1e-9) x`); n != 0 {
		t.Errorf("%d predecessors whose shares do not sum to 1", n)
	}
	if renewed.Successions != count(t, pool, `SELECT count(*) FROM area_succession`) {
		t.Errorf("report says %d successions", renewed.Successions)
	}
	for _, tc := range []struct {
		day  string
		want int
	}{{"2020-06-30", 60}, {"2020-12-31", 60}, {"2021-01-01", 58}, {"2022-06-30", 58}} {
		n := count(t, pool, `SELECT count(*) FROM area WHERE level = 'prognoseraum'
			AND daterange(valid_from, valid_to, '[]') @> $1::date`, tc.day)
		if n != tc.want {
			t.Errorf("Prognoseräume valid on %s: %d, want %d", tc.day, n, tc.want)
		}
	}
	// Bezirk codes 01–12 are also Land codes: addressed by level and code.
	if n := count(t, pool, `SELECT count(*) FROM area WHERE code = '11'`); n != 2 {
		t.Errorf("code 11 names %d areas, want 2 (Land Berlin and Bezirk Lichtenberg)", n)
	}
	// The largest overlap finds the same Bezirke as the code prefix.
	mustImport(t, s, geo.AreaImport{Path: lor(t, "forecast-areas-until-2020.geojson"), Level: "bezirksregion",
		CodeField: "id", NameField: "name", Parent: geo.ParentRule{Overlap: true, Level: "bezirk"}, ValidTo: day("2020-12-31")})
	if n := count(t, pool, `SELECT count(*) FROM area r JOIN area p ON p.level = r.parent_level AND p.code = r.parent_code
		WHERE r.level = 'bezirksregion' AND p.code = left(r.code, 2)`); n != 60 {
		t.Errorf("overlap parents agree with prefix parents for %d of 60", n)
	}
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const square = `{"type":"Polygon","coordinates":[[[13.1,52.4],[13.2,52.4],[13.2,52.5],[13.1,52.5],[13.1,52.4]]]}`
const bowtie = `{"type":"Polygon","coordinates":[[[13.1,52.4],[13.2,52.5],[13.2,52.4],[13.1,52.5],[13.1,52.4]]]}`

func featureCollection(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

func feature(code, name, geometry string) string {
	return `{"type":"Feature","properties":{"code":"` + code + `","name":"` + name + `"},"geometry":` + geometry + `}`
}

// snapshot is what the database holds, to show a failed import changed nothing.
func snapshot(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	err := pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM area) || '/' || (SELECT count(*) FROM import_batch) || '/' ||
		       coalesce((SELECT string_agg(level || code || coalesce(valid_to::text, '-'), ',' ORDER BY id) FROM area), '')
	`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestImportRejectsBadInputWhole(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	mustImport(t, s, geo.AreaImport{Path: lor(t, "districts.geojson"), Level: "bezirk", CodeField: "id", NameField: "name"})
	mustImport(t, s, geo.AreaImport{Path: lor(t, "forecast-areas-until-2020.geojson"), Level: "prognoseraum",
		CodeField: "id", NameField: "name", Parent: geo.ParentRule{Prefix: 2}})

	truncated := filepath.Join(t.TempDir(), "cut.shp")
	copyShapefile(t, vg5000(t, "KRS"), truncated)
	if err := os.Truncate(truncated, 300000); err != nil {
		t.Fatal(err)
	}
	noPrj := filepath.Join(t.TempDir(), "noprj.shp")
	copyShapefile(t, vg5000(t, "KRS"), noPrj)
	if err := os.Remove(strings.TrimSuffix(noPrj, ".shp") + ".prj"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		in   geo.AreaImport
		want []string // all must appear in the message
	}{
		{"duplicate code", geo.AreaImport{
			Path:  writeFile(t, "dup.geojson", featureCollection(feature("0601", "A", square), feature("0602", "B", square), feature("0601", "C", square))),
			Level: "prognoseraum", CodeField: "code", NameField: "name", Parent: geo.ParentRule{Prefix: 2}, ValidFrom: day("2021-01-01")},
			[]string{"dup.geojson", "feature 3", `field "code"`, `duplicate code "0601" (also feature 1)`}},
		{"missing field", geo.AreaImport{Path: lor(t, "districts.geojson"), Level: "bezirk", CodeField: "schluessel", NameField: "name"},
			[]string{"districts.geojson", `field "schluessel"`, "no such field"}},
		{"missing parent", geo.AreaImport{
			Path:  writeFile(t, "orphan.geojson", featureCollection(feature("0601", "A", square), feature("1301", "B", square))),
			Level: "prognoseraum", CodeField: "code", NameField: "name", Parent: geo.ParentRule{Prefix: 2}, ValidFrom: day("2021-01-01")},
			[]string{"orphan.geojson", "feature 2", `field "code"`, `parent bezirk "13" does not exist`}},
		{"invalid geometry, strict", geo.AreaImport{
			Path:  writeFile(t, "bowtie.geojson", featureCollection(feature("0601", "A", square), feature("0602", "B", bowtie))),
			Level: "prognoseraum", CodeField: "code", NameField: "name", Parent: geo.ParentRule{Prefix: 2}, ValidFrom: day("2021-01-01"), Strict: true},
			[]string{"bowtie.geojson", "feature 2", `field "geometry"`, "invalid geometry", "Self-intersection"}},
		{"empty geometry", geo.AreaImport{
			Path:  writeFile(t, "empty.geojson", featureCollection(feature("0601", "A", square), feature("0602", "B", "null"))),
			Level: "prognoseraum", CodeField: "code", NameField: "name", Parent: geo.ParentRule{Prefix: 2}, ValidFrom: day("2021-01-01")},
			[]string{"empty.geojson", "feature 2", `field "geometry"`, "empty geometry"}},
		{"not a polygon", geo.AreaImport{
			Path:  writeFile(t, "point.geojson", featureCollection(feature("0601", "A", `{"type":"Point","coordinates":[13.1,52.4]}`))),
			Level: "prognoseraum", CodeField: "code", NameField: "name", Parent: geo.ParentRule{Prefix: 2}, ValidFrom: day("2021-01-01")},
			[]string{"point.geojson", "feature 1", "not a polygon"}},
		{"unknown CRS", geo.AreaImport{
			Path:  writeFile(t, "crs.geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::999999"}},"features":[`+feature("0601", "A", square)+`]}`),
			Level: "prognoseraum", CodeField: "code", NameField: "name", Parent: geo.ParentRule{Prefix: 2}, ValidFrom: day("2021-01-01")},
			[]string{"999999"}},
		{"no CRS at all", geo.AreaImport{Path: noPrj, Level: "kreis", CodeField: "ARS", NameField: "GEN"},
			[]string{"noprj.shp", "--crs"}},
		{"truncated shapefile", geo.AreaImport{Path: truncated, Level: "kreis", CodeField: "ARS", NameField: "GEN"},
			[]string{"cut.shp", "record"}},
		{"version conflict", geo.AreaImport{Path: lor(t, "forecast-areas-until-2020.geojson"), Level: "prognoseraum",
			CodeField: "id", NameField: "name", Parent: geo.ParentRule{Prefix: 2}},
			[]string{"forecast-areas-until-2020.geojson", "feature 1", `"0101" already exists`}},
		{"unknown level", geo.AreaImport{Path: lor(t, "districts.geojson"), Level: "ortsteil", CodeField: "id", NameField: "name"},
			[]string{`unknown level "ortsteil"`}},
		{"parent level not coarser", geo.AreaImport{Path: lor(t, "districts.geojson"), Level: "bezirk", CodeField: "id", NameField: "name",
			Parent: geo.ParentRule{Code: "0101", Level: "prognoseraum"}},
			[]string{`parent level "prognoseraum" is not coarser than "bezirk"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, pool)
			_, err := s.ImportAreas(context.Background(), tc.in)
			if err == nil {
				t.Fatal("import succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if after := snapshot(t, pool); after != before {
				t.Errorf("database changed by a failed import:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestImportRepairsInvalidGeometry(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	mustImport(t, s, geo.AreaImport{Path: lor(t, "districts.geojson"), Level: "bezirk", CodeField: "id", NameField: "name"})
	rep := mustImport(t, s, geo.AreaImport{
		Path:  writeFile(t, "bowtie.geojson", featureCollection(feature("0601", "A", square), feature("0602", "B", bowtie))),
		Level: "prognoseraum", CodeField: "code", NameField: "name", Parent: geo.ParentRule{Prefix: 2}})
	if rep.Imported != 2 || rep.Repaired != 1 {
		t.Errorf("report %+v, want 2 imported, 1 repaired", rep)
	}
	if n := count(t, pool, `SELECT count(*) FROM area WHERE level = 'prognoseraum' AND ST_IsValid(geom)
		AND ST_GeometryType(geom) = 'ST_MultiPolygon' AND code = '0602' AND ST_NumGeometries(geom) = 2`); n != 1 {
		t.Errorf("the bow tie was not repaired into two triangles")
	}
}

func TestImportCSVWithoutGeometry(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	mustImport(t, s, geo.AreaImport{Path: lor(t, "districts.geojson"), Level: "bezirk", CodeField: "id", NameField: "name"})
	mustImport(t, s, geo.AreaImport{Path: lor(t, "forecast-areas-from-2021.geojson"), Level: "prognoseraum",
		CodeField: "id", NameField: "name", Parent: geo.ParentRule{Prefix: 2}})
	csv := "\ufeffPlanungsraum;Name;Prognoseraum\n01100101;Stülerstraße;0110\n01100102;Großer Tiergarten;0110\n12601235;Märkisches Zentrum;1260\n"
	rep := mustImport(t, s, geo.AreaImport{Path: writeFile(t, "plr.csv", csv), Level: "planungsraum",
		CodeField: "Planungsraum", NameField: "Name", Parent: geo.ParentRule{Field: "Prognoseraum", Level: "prognoseraum"}})
	if rep.Imported != 3 || rep.WithoutGeometry != 3 {
		t.Errorf("report %+v", rep)
	}
	var name string
	if err := pool.QueryRow(context.Background(), `SELECT a.name FROM area a JOIN area p ON p.level = a.parent_level AND p.code = a.parent_code
		WHERE a.level = 'planungsraum' AND a.code = '01100101' AND p.code = '0110' AND a.geom IS NULL`).Scan(&name); err != nil || name != "Stülerstraße" {
		t.Errorf("Planungsraum 01100101 = %q (%v)", name, err)
	}
}

func TestImportScheme(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	importUpperLevels(t, s)
	mustImport(t, s, geo.AreaImport{Path: vg5000(t, "GEM"), Level: "gemeinde", CodeField: "ARS", NameField: "GEN",
		Where: map[string]string{"SN_L": "16"}, Parent: geo.ParentRule{Prefix: 5}})
	// Two Sozialräume of Saalfeld-Rudolstadt and one across two Kreise.
	csv := "gemeinde;sr;sr_name\n" +
		"160730076076;SR1;Rudolstadt und Umland\n" +
		"160730005005;SR1;Rudolstadt und Umland\n" +
		"160730077077;SR2;Saalfeld\n" +
		"160530000000;SR3;Jena und Saale-Holzland\n" +
		"160740044044;SR3;Jena und Saale-Holzland\n"
	rep, err := s.ImportScheme(context.Background(), geo.SchemeImport{Path: writeFile(t, "sr.csv", csv),
		Scheme: "sozialraum", Title: "Sozialräume", MemberLevel: "gemeinde",
		MemberField: "gemeinde", CodeField: "sr", NameField: "sr_name"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 3 {
		t.Errorf("imported %d scheme areas, want 3", rep.Imported)
	}
	rows, err := pool.Query(context.Background(), `
		SELECT a.code, p.level, p.code, (SELECT count(*) FROM area_member m WHERE m.group_id = a.id),
		       abs(a.area_km2 - (SELECT sum(g.area_km2) FROM area_member m JOIN area g ON g.id = m.member_id WHERE m.group_id = a.id)) < 0.01
		FROM area a JOIN area p ON p.level = a.parent_level AND p.code = a.parent_code WHERE a.level = 'sozialraum' ORDER BY a.code`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var code, plevel, pcode string
		var members int
		var areaMatches bool
		if err := rows.Scan(&code, &plevel, &pcode, &members, &areaMatches); err != nil {
			t.Fatal(err)
		}
		got = append(got, code+" "+plevel+" "+pcode+" "+strings.Repeat("m", members)+map[bool]string{true: " area=sum", false: " area≠sum"}[areaMatches])
	}
	want := []string{"SR1 kreis 16073 mm area=sum", "SR2 kreis 16073 m area=sum", "SR3 land 16 mm area=sum"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("scheme areas\n got %v\nwant %v", got, want)
	}

	// A member that does not exist rejects the whole table.
	before := snapshot(t, pool)
	_, err = s.ImportScheme(context.Background(), geo.SchemeImport{Path: writeFile(t, "bad.csv", "gemeinde;sr;sr_name\n160730076076;X1;Eins\n169999999999;X1;Eins\n"),
		Scheme: "jugendraum", Title: "Jugendhilferäume", MemberLevel: "gemeinde", MemberField: "gemeinde", CodeField: "sr", NameField: "sr_name"})
	if err == nil || !strings.Contains(err.Error(), `bad.csv: line 3: field "gemeinde": gemeinde "169999999999" does not exist`) {
		t.Errorf("error = %v", err)
	}
	if after := snapshot(t, pool); after != before {
		t.Errorf("failed scheme import changed the database")
	}
	if n := count(t, pool, `SELECT count(*) FROM level WHERE name = 'jugendraum'`); n != 0 {
		t.Errorf("failed scheme import left its level behind")
	}
}

func copyShapefile(t testing.TB, src, dst string) {
	t.Helper()
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		b, err := os.ReadFile(strings.TrimSuffix(src, ".shp") + ext)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(strings.TrimSuffix(dst, ".shp")+ext, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestImportFormatsAndCRSs imports the same three Kreise from every file
// format in several CRSs — an ESRI-style .prj without an authority code
// (EPSG:25832, as GDAL and ArcGIS write it), a zip, a GeoPackage, a GeoJSON
// with a legacy crs member (EPSG:25833) — and compares them with the
// original VG5000 import in EPSG:31467.
func TestImportFormatsAndCRSs(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	ctx := context.Background()
	for i, l := range []string{"fmt_shp", "fmt_zip", "fmt_gpkg", "fmt_geojson"} {
		if err := s.AddLevel(ctx, geo.Level{Name: l, Title: l, Rank: ptr(100 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	mustImport(t, s, geo.AreaImport{Path: vg5000(t, "KRS"), Level: "kreis", CodeField: "ARS", NameField: "GEN",
		Where: map[string]string{"GF": "9"}})
	for _, tc := range []struct {
		level, path string
		srid        int
	}{
		{"fmt_shp", filepath.Join("testdata", "kreise-25832", "kreise.shp"), 25832},
		{"fmt_zip", filepath.Join("testdata", "kreise-25832.zip"), 25832},
		{"fmt_gpkg", filepath.Join("source", "testdata", "gpkg", "kreise-25832.gpkg"), 25832},
		{"fmt_geojson", filepath.Join("testdata", "kreise-25833.geojson"), 25833},
	} {
		rep := mustImport(t, s, geo.AreaImport{Path: tc.path, Level: tc.level, CodeField: "ARS", NameField: "GEN"})
		if rep.Imported != 3 || rep.SRID != tc.srid {
			t.Errorf("%s: imported %d from EPSG:%d, want 3 from EPSG:%d", tc.path, rep.Imported, rep.SRID, tc.srid)
		}
		// Same names, areas and boundaries: PostGIS and GDAL (which wrote
		// the fixtures) use the same PROJ transformation from DHDN, so
		// the boundaries agree to the GeoJSON fixture's millimetres.
		rows, err := pool.Query(ctx, `
			SELECT f.code, f.name = k.name, abs(f.area_km2 / k.area_km2 - 1) < 1e-3,
			       ST_HausdorffDistance(ST_Transform(f.geom, 25832), ST_Transform(k.geom, 25832))
			FROM area f JOIN area k ON k.level = 'kreis' AND k.code = f.code
			WHERE f.level = $1 ORDER BY f.code`, tc.level)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var code string
			var sameName, sameArea bool
			var hausdorff float64
			if err := rows.Scan(&code, &sameName, &sameArea, &hausdorff); err != nil {
				t.Fatal(err)
			}
			n++
			if !sameName || !sameArea || hausdorff > 0.01 {
				t.Errorf("%s %s: same name %v, same area %v, Hausdorff distance %.2f m", tc.level, code, sameName, sameArea, hausdorff)
			}
		}
		if n != 3 {
			t.Errorf("%s: %d Kreise matched the original, want 3", tc.level, n)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestImportChangesEisenach(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	importUpperLevels(t, s)
	mustImport(t, s, geo.AreaImport{Path: vg5000(t, "GEM"), Level: "gemeinde", CodeField: "ARS", NameField: "GEN",
		Where: map[string]string{"SN_L": "16"}, Parent: geo.ParentRule{Prefix: 5}})
	changes := filepath.Join(demoDir(t), "changes", "eisenach-2021-07-01.csv")

	// A list that ends the Kreis Eisenach but forgets its Gemeinde is refused whole.
	before := snapshot(t, pool)
	orphaning := writeFile(t, "partial.csv", "gültig ab;Ebene;alter Schlüssel;neuer Schlüssel;neuer Name;übergeordnet\n"+
		"01.07.2021;kreis;16063;16063;Wartburgkreis;16\n01.07.2021;kreis;16056;16063;Wartburgkreis;16\n")
	if _, err := s.ImportChanges(context.Background(), orphaning); err == nil ||
		!strings.Contains(err.Error(), `gemeinde "160560000000" would be left under kreis "16056", which ends before 2021-07-01`) {
		t.Errorf("orphaning change list: %v", err)
	}
	unknown := writeFile(t, "unknown.csv", "valid_from;level;old_code;new_code;new_name\n2021-07-01;kreis;16099;16063;X\n")
	if _, err := s.ImportChanges(context.Background(), unknown); err == nil ||
		!strings.Contains(err.Error(), `unknown.csv: line 2: field "old_code": kreis "16099" is not valid on 2021-06-30`) {
		t.Errorf("unknown predecessor: %v", err)
	}
	if after := snapshot(t, pool); after != before {
		t.Errorf("a refused change list changed the database")
	}

	rep, err := s.ImportChanges(context.Background(), changes)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 2 || rep.Closed != 3 {
		t.Errorf("report %+v, want 2 new versions and 3 closed", rep)
	}
	var got []string
	rows, err := pool.Query(context.Background(), `
		SELECT level || ' ' || code || ' ' || coalesce(valid_from::text, '…') || '–' || coalesce(valid_to::text, '…')
		FROM area WHERE code IN ('16056', '16063', '160560000000', '160630105105') ORDER BY level, code, valid_from NULLS FIRST`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		got = append(got, s)
	}
	want := []string{
		"gemeinde 160560000000 …–2021-06-30", "gemeinde 160630105105 2021-07-01–…",
		"kreis 16056 …–2021-06-30", "kreis 16063 …–2021-06-30", "kreis 16063 2021-07-01–…"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("versions\n got %v\nwant %v", got, want)
	}
	// The new Wartburgkreis is the old one plus Eisenach; both pass whole.
	if n := count(t, pool, `
		SELECT count(*) FROM area n WHERE n.level = 'kreis' AND n.code = '16063' AND n.valid_from = '2021-07-01'
		AND abs(n.area_km2 - (SELECT sum(o.area_km2) FROM area_succession s JOIN area o ON o.id = s.predecessor_id
		                      WHERE s.successor_id = n.id AND s.exact AND s.share = 1)) < 0.01`); n != 1 {
		t.Error("the new Wartburgkreis is not the union of its two predecessors")
	}
	if n := count(t, pool, `SELECT count(*) FROM area_succession WHERE exact AND method = 'change'`); n != 3 {
		t.Errorf("%d exact successions, want 3", n)
	}
	// Today the Gemeinden of the Wartburgkreis include Eisenach, under the new version.
	if n := count(t, pool, `SELECT count(*) FROM area WHERE level = 'gemeinde' AND parent_code = '16063'
		AND daterange(valid_from, valid_to, '[]') @> current_date`); n != 1+count(t, pool,
		`SELECT count(*) FROM area WHERE level = 'gemeinde' AND code LIKE '16063%' AND valid_from IS NULL`) {
		t.Errorf("Gemeinden of the Wartburgkreis today do not include Eisenach")
	}
}

func TestImportCrosswalk(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	ctx := context.Background()
	mustImport(t, s, geo.AreaImport{Path: lor(t, "districts.geojson"), Level: "bezirk", CodeField: "id", NameField: "name"})
	mustImport(t, s, geo.AreaImport{Path: lor(t, "forecast-areas-until-2020.geojson"), Level: "prognoseraum",
		CodeField: "id", NameField: "name", Parent: geo.ParentRule{Prefix: 2}})
	mustImport(t, s, geo.AreaImport{Path: lor(t, "forecast-areas-from-2021.geojson"), Level: "prognoseraum",
		CodeField: "id", NameField: "name", Parent: geo.ParentRule{Prefix: 2}, ValidFrom: day("2021-01-01")})

	// The old Prognoseraum the reform split the most.
	var old string
	if err := pool.QueryRow(ctx, `SELECT o.code FROM area_succession x JOIN area o ON o.id = x.predecessor_id
		GROUP BY o.code ORDER BY count(*) DESC, o.code LIMIT 1`).Scan(&old); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT n.code FROM area_succession x JOIN area o ON o.id = x.predecessor_id
		JOIN area n ON n.id = x.successor_id WHERE o.code = $1 ORDER BY n.code`, old)
	if err != nil {
		t.Fatal(err)
	}
	var succ []string
	for rows.Next() {
		var c string
		_ = rows.Scan(&c)
		succ = append(succ, c)
	}
	if len(succ) < 2 {
		t.Fatalf("old %s has successors %v, want several", old, succ)
	}
	// Population shares, German style: decimal comma.
	csv := "Ebene;alter Schlüssel;neuer Schlüssel;Anteil\n"
	rest := 1.0
	for i, c := range succ {
		share := 0.5
		if i > 0 {
			share = 0.5 / float64(len(succ)-1)
		}
		if i == len(succ)-1 {
			share = rest
		}
		rest -= share
		csv += "prognoseraum;" + old + ";" + c + ";" + strings.Replace(strconv.FormatFloat(share, 'f', -1, 64), ".", ",", 1) + "\n"
	}
	before := snapshot(t, pool)
	bad := writeFile(t, "bad.csv", "Ebene;alter Schlüssel;neuer Schlüssel;Anteil\nprognoseraum;"+old+";"+succ[0]+";0,9\n")
	if _, err := s.ImportCrosswalk(ctx, bad); err == nil || !strings.Contains(err.Error(), "bad.csv: line 2: field \"Anteil\": the shares of this old area sum to 0.9, not 1") {
		t.Errorf("shares not summing to 1: %v", err)
	}
	if snapshot(t, pool) != before {
		t.Error("a refused crosswalk changed the database")
	}
	rep, err := s.ImportCrosswalk(ctx, writeFile(t, "weights.csv", csv))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != len(succ) || rep.Replaced != len(succ) {
		t.Errorf("report %+v", rep)
	}
	if n := count(t, pool, `SELECT count(*) FROM area_succession x JOIN area o ON o.id = x.predecessor_id
		WHERE o.code = $1 AND x.method = 'weight' AND NOT x.exact`, old); n != len(succ) {
		t.Errorf("%d weighted successions of %s, want %d", n, old, len(succ))
	}
	var first float64
	if err := pool.QueryRow(ctx, `SELECT x.share FROM area_succession x JOIN area o ON o.id = x.predecessor_id
		JOIN area n ON n.id = x.successor_id WHERE o.code = $1 AND n.code = $2`, old, succ[0]).Scan(&first); err != nil || first != 0.5 {
		t.Errorf("share of %s = %v (%v), want 0.5", succ[0], first, err)
	}
}

// Writers take turns: an import waits while another writing transaction
// holds the write lock, and goes through when it ends.
func TestImportsWaitForOtherWriters(t *testing.T) {
	pool := pgtest.NewDB(t)
	s := geo.NewStore(pool)
	ctx := context.Background()
	first, err := geo.BeginWrite(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.ImportAreas(ctx, geo.AreaImport{Path: lor(t, "districts.geojson"), Level: "bezirk", CodeField: "id", NameField: "name"})
		done <- err
	}()
	// Wait until the import is seen waiting for the advisory lock.
	for {
		var waiting int
		if err := first.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the import finished while another writer held the lock: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM area`); n != 0 {
		t.Errorf("%d areas while the import waits", n)
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM area WHERE level = 'bezirk'`); n != 12 {
		t.Errorf("%d Bezirke after the wait, want 12", n)
	}
}
