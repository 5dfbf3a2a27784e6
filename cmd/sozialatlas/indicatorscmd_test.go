package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// TestIndicatorCommands runs import indicators, import list, import revert
// and export against the demo catalogue and the Gemeindeverzeichnis excerpt
// of the indicator tests.
func TestIndicatorCommands(t *testing.T) {
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	// The pool's connection string names the maintenance database; the
	// test's own database is set apart from it.
	url := pool.Config().ConnString() + " dbname=" + pool.Config().ConnConfig.Database
	catalogue := filepath.Join(repoDir(), "data", "demo", "catalogue.yaml")
	excerpt := filepath.Join(repoDir(), "indicators", "testdata", "tables", "GV100AD_excerpt.txt")

	cat, err := indicators.ReadCatalogue(catalogue)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := indicators.NewStore(pool, geo.NewStore(pool)).LoadCatalogue(ctx, cat); err != nil {
		t.Fatal(err)
	}
	// Schleswig-Holstein's Kreise and the excerpt's Gemeinden but Brickeln;
	// the Wartburgkreis without its new Gemeinde Eisenach.
	for _, s := range []string{
		`INSERT INTO area (level, code, name) VALUES ('staat', 'DE', 'Deutschland')`,
		`INSERT INTO area (level, code, name, parent_level, parent_code) VALUES
			('land', '01', 'Schleswig-Holstein', 'staat', 'DE'),
			('land', '16', 'Thüringen', 'staat', 'DE'),
			('kreis', '01001', 'Flensburg', 'land', '01'),
			('kreis', '01002', 'Kiel', 'land', '01'),
			('kreis', '01003', 'Lübeck', 'land', '01'),
			('kreis', '01004', 'Neumünster', 'land', '01'),
			('kreis', '01051', 'Dithmarschen', 'land', '01'),
			('kreis', '01053', 'Herzogtum Lauenburg', 'land', '01'),
			('kreis', '16063', 'Wartburgkreis', 'land', '16'),
			('gemeinde', '010010000000', 'Flensburg, Stadt', 'kreis', '01001'),
			('gemeinde', '010020000000', 'Kiel, Landeshauptstadt', 'kreis', '01002'),
			('gemeinde', '010030000000', 'Lübeck, Hansestadt', 'kreis', '01003'),
			('gemeinde', '010040000000', 'Neumünster, Stadt', 'kreis', '01004'),
			('gemeinde', '010515175001', 'Albersdorf', 'kreis', '01051'),
			('gemeinde', '010515175002', 'Arkebek', 'kreis', '01051'),
			('gemeinde', '010515163003', 'Averlak', 'kreis', '01051'),
			('gemeinde', '010515175004', 'Bargenstedt', 'kreis', '01051'),
			('gemeinde', '010515169005', 'Barkenholm', 'kreis', '01051'),
			('gemeinde', '010515175006', 'Barlt', 'kreis', '01051'),
			('gemeinde', '010515169008', 'Bergewöhrden', 'kreis', '01051'),
			('gemeinde', '010539105105', 'Sachsenwald', 'kreis', '01053')`,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	gv := []string{"import", "indicators", excerpt, "--table", "destatis_gv100ad", "--catalogue", catalogue, "--create-missing-areas"}

	out, _, err := cli(t, url, append(gv, "--check")...)
	if err != nil || !strings.HasPrefix(out, "GV100AD_excerpt.txt → gemeinde: 42 observations of flaeche_km2, einwohner, einwohner_maennlich for 2022-12-31 (Gebietsstand 2023-11-30): measured 42") ||
		!strings.Contains(out, "created areas 2: 010515163010 Brickeln (under kreis 01051), 160630105105 Eisenach, Stadt (under kreis 16063)") ||
		!strings.HasSuffix(out, "checked: nothing written\n") {
		t.Fatalf("--check: %v\n%s", err, out)
	}

	out, _, err = cli(t, url, append(gv, "--json")...)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	var rep indicators.TableReport
	// Batch ids come from a sequence, which the rolled-back check advanced.
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Batch == 0 || rep.Observations != 42 || len(rep.CreatedAreas) != 2 {
		t.Fatalf("import report %s (%v)", out, err)
	}
	out, _, err = cli(t, url, gv...)
	batch := strconv.FormatInt(rep.Batch, 10)
	if err != nil || !strings.HasSuffix(out, "already imported as batch "+batch+": nothing changed\n") {
		t.Fatalf("re-import: %v\n%s", err, out)
	}

	// A count of 2 (withheld from everyone else) shows in the export, marked.
	dir := t.TempDir()
	small := filepath.Join(dir, "klein.csv")
	if err := os.WriteFile(small, []byte("Gebiet;Merkmal;Stichtag;Wert\n010515175002;einwohner;2021-12-31;2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, url, "import", "indicators", small, "--level", "gemeinde",
		"--area-column", "Gebiet", "--indicator-column", "Merkmal", "--period-column", "Stichtag", "--value-column", "Wert"); err != nil {
		t.Fatalf("import long: %v", err)
	}
	out, _, err = cli(t, url, "export", "--indicator", "einwohner", "--level", "gemeinde", "--period", "2021-12-31")
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	want := "\ufeffSchlüssel;Name;gültig ab;gültig bis;Wert;Zähler;Nenner;Status;unvollständig;gesperrt\r\n" +
		"010515175002;Arkebek;;;2;;;measured;;primary\r\n"
	if out != want {
		t.Fatalf("export:\n%q\nwant\n%q", out, want)
	}
	out, _, err = cli(t, url, "export", "--indicator", "flaeche_km2", "--level", "gemeinde", "--period", "2022-12-31")
	if err != nil || !strings.Contains(out, "\r\n010010000000;Flensburg, Stadt;;;56,73;;;measured;;\r\n") ||
		!strings.Contains(out, "\r\n160630105105;Eisenach, Stadt;30.11.2023;;104,17;;;measured;;\r\n") {
		t.Fatalf("export areas: %v\n%s", err, out)
	}

	// One bad line rejects the file, naming line and column.
	bad := filepath.Join(dir, "falsch.csv")
	if err := os.WriteFile(bad, []byte("area;indicator;period;value\n010020000000;einwohner_weiblich;2021-12-31;1.234\n010030000000;einwohner_weiblich;2021-12-31;12 Tsd.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = cli(t, url, "import", "indicators", bad, "--level", "gemeinde")
	if err == nil || exitCode(err) != 1 || err.Error() != bad+`: line 3, column "value": not a number: "12 Tsd."` {
		t.Fatalf("bad file: %v", err)
	}

	out, _, err = cli(t, url, "import", "list", "--json")
	var list []indicators.Batch
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 ||
		list[0].Source != "GV100AD_excerpt.txt" || list[0].Observations != 42 || list[0].Areas != 2 || list[1].Source != "klein.csv" {
		t.Fatalf("import list: %v\n%s", err, out)
	}
	out, _, err = cli(t, url, "import", "revert", batch)
	if err != nil || out != "batch "+batch+" (GV100AD_excerpt.txt) reverted: 42 observations removed, 2 areas it created removed\n" {
		t.Fatalf("revert: %v\n%s", err, out)
	}
	out, _, err = cli(t, url, "import", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID  KIND") ||
		!strings.HasPrefix(lines[1], batch+"   indicators") || strings.Contains(lines[1], " - ") || !strings.HasSuffix(lines[1], " 0             0      GV100AD_excerpt.txt") ||
		!strings.Contains(lines[2], " - ") {
		t.Fatalf("import list:\n%s", out)
	}
	if _, _, err := cli(t, url, "import", "revert", batch); err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "already reverted") {
		t.Fatalf("second revert: %v", err)
	}

	for _, args := range [][]string{
		{"import", "indicators", bad},
		{"import", "indicators", "--level", "gemeinde"},
		{"import", "indicators", bad, "--level", "gemeinde", "--map", "Gesamt"},
		{"import", "indicators", bad, "--level", "gemeinde", "--format", "ods"},
		{"import", "revert", "eins"},
		{"export", "--indicator", "einwohner", "--level", "gemeinde"},
		{"export", "--indicator", "einwohner", "--level", "gemeinde", "--period", "2022-12-31", "--format", "xlsx"},
	} {
		if _, _, err := cli(t, url, args...); err == nil || exitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
