package facility_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/facility"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func demoDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "data", "demo")
}

func day(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// berlinDB is a database holding Berlin's 12 Bezirke and its 58
// Prognoseräume of 2021, the finest areas with geometry of the demo.
func berlinDB(t *testing.T) *pgxpool.Pool {
	return pgtest.NewDBWith(t, "facility-berlin", func(ctx context.Context, pool *pgxpool.Pool) error {
		s := geo.NewStore(pool)
		lor := filepath.Join(demoDir(), "berlin-lor")
		if _, err := s.ImportAreas(ctx, geo.AreaImport{Path: filepath.Join(lor, "districts.geojson"),
			Level: "bezirk", CodeField: "id", NameField: "name"}); err != nil {
			return err
		}
		_, err := s.ImportAreas(ctx, geo.AreaImport{Path: filepath.Join(lor, "forecast-areas-from-2021.geojson"),
			Level: "prognoseraum", CodeField: "id", NameField: "name", Parent: geo.ParentRule{Prefix: 2},
			ValidFrom: day("2021-01-01")})
		return err
	})
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func builtin(t *testing.T, name string) facility.Mapping {
	t.Helper()
	m, err := facility.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func kitas() string { return filepath.Join(demoDir(), "facilities", "kitas-2022-12.geojson") }

func TestImportKitas(t *testing.T) {
	pool := berlinDB(t)
	ctx := context.Background()
	rep, err := facility.NewStore(pool).Import(ctx, facility.Import{Path: kitas(), Type: "kita",
		Mapping: builtin(t, "berlin-kita"), ValidFrom: day("2022-12-01")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 2880 || rep.Imported != 2880 || rep.SRID != 25833 || rep.Closed != 0 {
		t.Errorf("report = %+v, want 2880 read and imported from EPSG:25833", rep)
	}
	if got := count(t, pool, `SELECT count(*) FROM facility WHERE type = 'kita'`); got != 2880 {
		t.Errorf("kitas = %d, want 2880", got)
	}
	// Every Kita lies in a Prognoseraum, the finest level with geometry.
	if got := count(t, pool, `SELECT count(*) FROM facility f JOIN area a ON a.id = f.area_id WHERE a.level = 'prognoseraum'`); got != 2880 {
		t.Errorf("kitas in a Prognoseraum = %d, want 2880", got)
	}
	if got := count(t, pool, `SELECT sum(capacity)::int FROM facility WHERE type = 'kita'`); got <= 0 {
		t.Errorf("capacity sum = %d", got)
	}
	var name, street, hnr, carrier, carrierType, unit, area, attr string
	var capacity float64
	var lon, lat float64
	err = pool.QueryRow(ctx, `
SELECT f.name, f.street, f.house_number, f.carrier, f.carrier_type, f.capacity, f.capacity_unit,
       a.level || ' ' || a.code, f.attributes->>'e_tel', ST_X(f.geom), ST_Y(f.geom)
FROM facility f JOIN area a ON a.id = f.area_id WHERE f.source_id = '01010010'`).
		Scan(&name, &street, &hnr, &carrier, &carrierType, &capacity, &unit, &area, &attr, &lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	if name != "Kita F.A.I.R.play" || street != "Albrechtstr." || hnr != "20" || capacity != 69 || unit != "Plätze" ||
		carrierType != "Sonstiger freier Träger" || !strings.HasPrefix(carrier, "GFJ") || attr != "281 64 73" ||
		!strings.HasPrefix(area, "prognoseraum 01") {
		t.Errorf("Kita 01010010 = %q %q %q %q %q %v %q %q %q", name, street, hnr, carrier, carrierType, capacity, unit, area, attr)
	}
	if lon < 13.38 || lon > 13.39 || lat < 52.52 || lat > 52.53 {
		t.Errorf("Kita 01010010 at %v %v, want Albrechtstraße in Mitte", lon, lat)
	}
	var logged string
	if err := pool.QueryRow(ctx, `SELECT report->>'imported' FROM import_batch WHERE id = $1 AND kind = 'facilities'`, rep.Batch).Scan(&logged); err != nil || logged != "2880" {
		t.Errorf("batch report imported = %q, %v", logged, err)
	}
}

// TestDemoFacilities imports the four demo files with their built-in
// mappings: every facility lies in one of Berlin's Prognoseräume.
func TestDemoFacilities(t *testing.T) {
	pool := berlinDB(t)
	s := facility.NewStore(pool)
	for _, c := range []struct {
		file, typ, mapping, from string
		want                     int
	}{
		{"kitas-2022-12.geojson", "kita", "berlin-kita", "2022-12-01", 2880},
		{"pflegeeinrichtungen-2023-07.geojson", "pflege", "berlin-pflege", "2023-07-01", 274},
		{"schulen-2023-10.geojson", "schule", "berlin-schule", "2023-10-01", 902},
		{"jugendfreizeiteinrichtungen-2022-12.geojson", "jugend", "berlin-jugend", "2022-12-01", 407},
	} {
		rep, err := s.Import(context.Background(), facility.Import{Path: filepath.Join(demoDir(), "facilities", c.file),
			Type: c.typ, Mapping: builtin(t, c.mapping), ValidFrom: day(c.from)})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if rep.Imported != c.want {
			t.Errorf("%s: imported %d, want %d", c.file, rep.Imported, c.want)
		}
	}
	if got := count(t, pool, `SELECT count(*) FROM facility WHERE type = 'jugend' AND carrier_type = 'öffentlicher Träger'`); got != 98 {
		t.Errorf("public youth centres = %d, want 98", got)
	}
	if got := count(t, pool, `SELECT count(*) FROM facility WHERE type = 'schule' AND capacity IS NULL AND capacity_unit IS NULL`); got != 902 {
		t.Errorf("schools without capacity = %d, want 902", got)
	}
}

// writeFile writes content to a file of that name in a temporary directory.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// csvMapping maps the columns of the test CSV files.
var csvMapping = facility.Mapping{ID: "nr", Name: "name", Capacity: "plaetze", CarrierType: "traeger", X: "lon", Y: "lat"}

// Each bad input is reported by line or feature and field, and nothing of
// the file is imported.
func TestImportBadInput(t *testing.T) {
	pool := berlinDB(t)
	s := facility.NewStore(pool)
	for _, c := range []struct {
		name, file, content string
		want                []string
	}{
		{"capacity", "kitas.csv", "\ufeffnr;name;plaetze;traeger;lon;lat\n1;Kita Eins;1.250;frei;13,4;52,52\n2;Kita Zwei;12a;frei;13,41;52,52\n",
			[]string{`kitas.csv: line 3: field "plaetze": capacity "12a" is not a number`}},
		{"outside", "kitas.csv", "nr;name;plaetze;traeger;lon;lat\n1;Kita Eins;20;frei;13,4;52,52\n2;Kita Hamburg;20;frei;10,0;53,55\n",
			[]string{`kitas.csv: line 3: field "geometry": point (10 53.55) in EPSG:4326 lies outside every area of the atlas valid on 2022-12-01`}},
		{"swapped", "kitas.csv", "nr;name;plaetze;traeger;lon;lat\n1;Kita Eins;20;frei;52,52;13,4\n",
			[]string{`kitas.csv: line 2: field "geometry": point (52.52 13.4) in EPSG:4326 lies outside every area of the atlas valid on 2022-12-01; the axis order looks swapped: with x and y exchanged it lies in prognoseraum 0110 (Zentrum)`}},
		{"duplicate", "kitas.csv", "nr;name;plaetze;traeger;lon;lat\n1;Kita Eins;20;frei;13,4;52,52\n1;Kita Zwei;20;frei;13,41;52,52\n",
			[]string{`kitas.csv: line 3: field "nr": duplicate id "1" (also line 2)`}},
		{"missing geometry", "kitas.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"nr":"1","name":"A","plaetze":3,"traeger":"frei"},"geometry":{"type":"Point","coordinates":[13.4,52.52]}},
{"type":"Feature","properties":{"nr":"2","name":"B","plaetze":3,"traeger":"frei"},"geometry":null}]}`,
			[]string{`kitas.geojson: feature 2: field "geometry": missing geometry`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := csvMapping
			if strings.HasSuffix(c.file, ".geojson") {
				m.X, m.Y = "", ""
			}
			_, err := s.Import(context.Background(), facility.Import{Path: writeFile(t, c.file, c.content),
				Type: "kita", Mapping: m, ValidFrom: day("2022-12-01")})
			if err == nil {
				t.Fatal("imported, want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nwant it to contain\n%s", err, w)
				}
			}
			if got := count(t, pool, `SELECT count(*) FROM facility`); got != 0 {
				t.Errorf("%d facilities imported, want none", got)
			}
			if got := count(t, pool, `SELECT count(*) FROM import_batch WHERE kind = 'facilities'`); got != 0 {
				t.Errorf("%d batches left, want none", got)
			}
		})
	}
}

// A German CSV: BOM, ';', decimal comma, thousands dot in the capacity.
func TestImportGermanCSV(t *testing.T) {
	pool := berlinDB(t)
	rep, err := facility.NewStore(pool).Import(context.Background(), facility.Import{
		Path: writeFile(t, "beratung.csv", "\ufeffnr;name;plaetze;traeger;lon;lat\n1;Beratung Mitte;1.250;frei;13,4;52,52\n2;Beratung Nord;12,5;öffentlich;13,41;52,52\n"),
		Type: "beratung", Mapping: csvMapping})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 2 || rep.SRID != 4326 {
		t.Errorf("report = %+v", rep)
	}
	if got := count(t, pool, `SELECT (sum(capacity) * 10)::int FROM facility`); got != 12625 {
		t.Errorf("capacity sum × 10 = %d, want 12625 (1,250 + 12.5)", got)
	}
}

// A newer version of the same facilities closes the earlier ones; reverting
// it removes it and reopens them.
func TestRevertReopens(t *testing.T) {
	pool := berlinDB(t)
	ctx := context.Background()
	s := facility.NewStore(pool)
	in := facility.Import{Path: writeFile(t, "kitas.csv", "nr;name;plaetze;traeger;lon;lat\n1;Kita Eins;20;frei;13,4;52,52\n2;Kita Zwei;30;frei;13,41;52,52\n"),
		Type: "kita", Mapping: csvMapping, ValidFrom: day("2022-12-01")}
	first, err := s.Import(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Path = writeFile(t, "kitas.csv", "nr;name;plaetze;traeger;lon;lat\n1;Kita Eins;25;frei;13,4;52,52\n")
	in.ValidFrom = day("2023-12-01")
	second, err := s.Import(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if second.Closed != 1 || second.Imported != 1 {
		t.Errorf("second report = %+v, want 1 imported, 1 closed", second)
	}
	if got := count(t, pool, `SELECT count(*) FROM facility WHERE valid_to = '2023-11-30'`); got != 1 {
		t.Errorf("closed versions = %d, want 1", got)
	}
	// The same validity again overlaps what is there.
	if _, err := s.Import(ctx, in); err == nil || !strings.Contains(err.Error(), `kita "1" is already imported`) {
		t.Errorf("re-import: %v, want an overlap error", err)
	}
	rep, err := s.Revert(ctx, second.Batch)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed != 1 || rep.Reopened != 1 {
		t.Errorf("revert = %+v, want 1 removed, 1 reopened", rep)
	}
	if got := count(t, pool, `SELECT count(*) FROM facility WHERE valid_to IS NULL AND batch_id = $1`, first.Batch); got != 2 {
		t.Errorf("open versions of the first import = %d, want 2", got)
	}
	if _, err := s.Revert(ctx, second.Batch); err == nil || !strings.Contains(err.Error(), "already reverted") {
		t.Errorf("second revert: %v", err)
	}
}

// TestImportGeoPackage reads the nursing homes from a GeoPackage that
// GDAL made of the demo's GeoJSON (EPSG:25833 kept): the same 274 with the
// same places as the GeoJSON import.
func TestImportGeoPackage(t *testing.T) {
	ogr2ogr, err := exec.LookPath("ogr2ogr")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ogr2ogr is not installed; make test installs it")
		}
		t.Skip("ogr2ogr is not installed")
	}
	gpkg := filepath.Join(t.TempDir(), "pflege.gpkg")
	src := filepath.Join(demoDir(), "facilities", "pflegeeinrichtungen-2023-07.geojson")
	if out, err := exec.Command(ogr2ogr, "-f", "GPKG", gpkg, src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	pool := berlinDB(t)
	rep, err := facility.NewStore(pool).Import(context.Background(), facility.Import{Path: gpkg, Type: "pflege",
		Mapping: builtin(t, "berlin-pflege"), ValidFrom: day("2023-07-01")})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 274 || rep.Imported != 274 || rep.SRID != 25833 {
		t.Errorf("report = %+v, want 274 read and imported from EPSG:25833", rep)
	}
	var places, inArea int
	if err := pool.QueryRow(context.Background(), `SELECT sum(capacity)::int, count(area_id)::int FROM facility WHERE type = 'pflege'`).
		Scan(&places, &inArea); err != nil {
		t.Fatal(err)
	}
	// the places of the GeoJSON itself
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties struct{ Platzzahl float64 }
		}
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, f := range fc.Features {
		want += int(f.Properties.Platzzahl)
	}
	if places != want || inArea != 274 || want == 0 {
		t.Errorf("places %d in %d areas, want the file's %d in 274", places, inArea, want)
	}
}
