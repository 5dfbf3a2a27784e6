package indicators

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/indicators/table"
)

// impFixture is a database with a few real areas and the indicators the
// test tables deliver: Thüringen with the Landkreis Saalfeld-Rudolstadt
// and five of its Gemeinden (Cursdorf gets no data), the Wartburgkreis
// without Gemeinden, and Schleswig-Holstein with the Kreise and Gemeinden
// of the GV100AD excerpt except Brickeln (010515163010).
func impFixture(t *testing.T) (*pgxpool.Pool, *Store) {
	t.Helper()
	pool := pgtest.NewDB(t)
	stmts := []string{
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
			('kreis', '16073', 'Saalfeld-Rudolstadt', 'land', '16'),
			('gemeinde', '160735054001', 'Allendorf', 'kreis', '16073'),
			('gemeinde', '160735051002', 'Altenbeuthen', 'kreis', '16073'),
			('gemeinde', '160730005005', 'Bad Blankenburg, Stadt', 'kreis', '16073'),
			('gemeinde', '160735054006', 'Bechstedt', 'kreis', '16073'),
			('gemeinde', '160735012013', 'Cursdorf', 'kreis', '16073'),
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
		`INSERT INTO indicator (key, position, title, category, polarity, kind) VALUES
			('einwohner', 1, 'Einwohner', 'Demografie', 'neutral', 'count'),
			('maennlich', 2, 'Männlich', 'Demografie', 'neutral', 'count'),
			('ew_unter6', 3, 'Unter 6', 'Demografie', 'neutral', 'count'),
			('flaeche', 5, 'Fläche', 'Fläche/Siedlung', 'neutral', 'value')`,
		`INSERT INTO indicator (key, position, title, category, polarity, kind, numerator, denominator, scale) VALUES
			('anteil_maennlich', 4, 'Anteil männlich', 'Demografie', 'neutral', 'rate', 'maennlich', 'einwohner', 100),
			('maennlich_je_kind', 6, 'Männer je Kind', 'Demografie', 'neutral', 'rate', 'maennlich', 'ew_unter6', 1)`,
		`INSERT INTO indicator_group (key, title, total) VALUES ('geschlecht', 'Geschlecht', 'einwohner')`,
		`INSERT INTO indicator_group_member (group_key, indicator) VALUES ('geschlecht', 'maennlich')`,
	}
	for _, s := range stmts {
		if _, err := pool.Exec(context.Background(), s); err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}
	return pool, NewStore(pool, geo.NewStore(pool))
}

func impTable(name string) string { return filepath.Join("testdata", "tables", name) }

func impDay(s string) *time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &d
}

// impCounts is the state an import must leave alone when it fails.
func impCounts(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var obs, cells, areas, batches, version int64
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM observation), (SELECT count(*) FROM published_cell), (SELECT count(*) FROM area),
		(SELECT count(*) FROM import_batch), (SELECT version FROM data_version)`).Scan(&obs, &cells, &areas, &batches, &version)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("observation %d, cell %d, area %d, import_batch %d, data_version %d", obs, cells, areas, batches, version)
}

// impObservations lists observations as "indicator code period value status batch".
func impObservations(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT o.indicator || ' ' || a.code || ' ' || o.period || ' ' || coalesce(o.value::text, 'NULL') || ' ' || o.status
		FROM observation o JOIN area a ON a.id = o.area_id
		ORDER BY a.code, o.indicator, o.period`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func impEqual(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\ngot\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func impWrite(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func impMust(t *testing.T, s *Store, in TableImport) TableReport {
	t.Helper()
	rep, err := s.ImportTable(context.Background(), in)
	if err != nil {
		t.Fatalf("import %s: %v", filepath.Base(in.Path), err)
	}
	return rep
}

// impCell is a published cell's value and status, "absent" without one.
func impCell(t *testing.T, pool *pgxpool.Pool, ind, level, code, period string) string {
	t.Helper()
	var s string
	err := pool.QueryRow(context.Background(), `
		SELECT coalesce(c.value::text, 'NULL') || ' ' || c.status
		FROM published_cell c JOIN area a ON a.id = c.area_id
		WHERE c.indicator = $1 AND a.level = $2 AND a.code = $3 AND c.period = $4`, ind, level, code, period).Scan(&s)
	if err != nil {
		return "absent"
	}
	return s
}

func TestImportLongCSV(t *testing.T) {
	pool, s := impFixture(t)
	rep := impMust(t, s, TableImport{Path: impTable("long.csv"), Level: "gemeinde", Placeholders: []string{"-9999"}})

	if rep.Batch == 0 || rep.Checked || rep.AlreadyImported != 0 {
		t.Fatalf("report: batch %d checked %v already %d", rep.Batch, rep.Checked, rep.AlreadyImported)
	}
	got := fmt.Sprintf("%d obs; %v; %v; gs %v; measured %d provisional %d suppressed %d missing %d; decimal %s; without %d %v",
		rep.Observations, rep.Indicators, rep.Periods, rep.Gebietsstand, rep.Measured, rep.Provisional, rep.Suppressed, rep.Missing,
		rep.Decimal, rep.WithoutData, rep.WithoutDataCodes)
	want := "10 obs; [einwohner maennlich flaeche]; [2022-12-31]; gs [2022-12-31]; measured 7 provisional 1 suppressed 1 missing 1; decimal ,; without 13 [010010000000 010020000000 010030000000 010040000000 010515163003 010515169005 010515169008 010515175001 010515175002 010515175004]"
	if got != want {
		t.Fatalf("report\ngot  %s\nwant %s", got, want)
	}
	impEqual(t, "observations", impObservations(t, pool), []string{
		"einwohner 160730005005 2022-12-31 6029 measured",
		"maennlich 160730005005 2022-12-31 3014 measured",
		"einwohner 160735051002 2022-12-31 213 measured",
		"flaeche 160735051002 2022-12-31 NULL missing",
		"maennlich 160735051002 2022-12-31 108 measured",
		"einwohner 160735054001 2022-12-31 338 measured",
		"flaeche 160735054001 2022-12-31 12.5 provisional",
		"maennlich 160735054001 2022-12-31 167 measured",
		"einwohner 160735054006 2022-12-31 148 measured",
		"maennlich 160735054006 2022-12-31 NULL suppressed",
	})
	var kind, source, digest string
	if err := pool.QueryRow(context.Background(), `SELECT kind, source, options->>'digest' FROM import_batch WHERE id = $1`, rep.Batch).
		Scan(&kind, &source, &digest); err != nil {
		t.Fatal(err)
	}
	if kind != "indicators" || source != "long.csv" || len(digest) != 64 {
		t.Fatalf("batch: %s %s %q", kind, source, digest)
	}
	// Published in the same transaction: the Kreis sums its Gemeinden.
	if c := impCell(t, pool, "einwohner", "kreis", "16073", "2022-12-31"); c != "6728 derived" {
		t.Fatalf("kreis 16073 einwohner: %s", c)
	}
}

func TestImportWideCSVWindows1252(t *testing.T) {
	pool, s := impFixture(t)
	rep := impMust(t, s, TableImport{Path: impTable("wide.csv"), Level: "gemeinde", AreaColumn: "ARS", NameColumn: "Name",
		Columns: map[string]string{"Gesamt": "einwohner", "männlich": "maennlich", "unter 6": "ew_unter6"},
		Period:  impDay("2022-12-31"), Placeholders: []string{"-9999"}})
	if rep.Observations != 12 || rep.Missing != 2 || rep.WithoutData != 13 {
		t.Fatalf("report: %+v", rep)
	}
	impEqual(t, "observations", impObservations(t, pool)[:3], []string{
		"einwohner 160730005005 2022-12-31 6029 measured",
		"ew_unter6 160730005005 2022-12-31 NULL missing",
		"maennlich 160730005005 2022-12-31 3014 measured",
	})
	if c := impCell(t, pool, "anteil_maennlich", "gemeinde", "160735054001", "2022-12-31"); !strings.HasPrefix(c, "49.40") {
		t.Fatalf("rate from imported counts: %s", c)
	}
}

func TestImportXLSX(t *testing.T) {
	pool, s := impFixture(t)
	f := excelize.NewFile()
	rows := [][]any{
		{"Gemeindeschlüssel", "Einwohner", "davon männlich"},
		{"160735054001", 338, 167},
		{"160735051002", "213", "."},
		{"160730005005", 6029, "3.014 p"},
	}
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("B%d", i+2), &r); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "einwohner.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	f.Close()
	in := TableImport{Path: p, Level: "gemeinde", AreaColumn: "Gemeindeschlüssel", Period: impDay("2022-12-31"),
		Columns: map[string]string{"Einwohner": "einwohner", "davon männlich": "maennlich"}}
	rep := impMust(t, s, in)
	if rep.Format != "xlsx" || rep.Observations != 6 || rep.Suppressed != 1 || rep.Provisional != 1 {
		t.Fatalf("report: %+v", rep)
	}
	impEqual(t, "observations", impObservations(t, pool), []string{
		"einwohner 160730005005 2022-12-31 6029 measured",
		"maennlich 160730005005 2022-12-31 3014 provisional",
		"einwohner 160735051002 2022-12-31 213 measured",
		"maennlich 160735051002 2022-12-31 NULL suppressed",
		"einwohner 160735054001 2022-12-31 338 measured",
		"maennlich 160735054001 2022-12-31 167 measured",
	})

	// A bad cell is named by its reference.
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Sheet1", "D5", "3014 Personen"); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.xlsx")
	if err := f.SaveAs(bad); err != nil {
		t.Fatal(err)
	}
	f.Close()
	in.Path = bad
	_, err = s.ImportTable(context.Background(), in)
	want := bad + `: sheet "Sheet1", row 5, cell D5, column "davon männlich": not a number: "3014 Personen"`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

// gv100Mapping is the catalogue's mapping of the Gemeindeverzeichnis.
func gv100Mapping() *TableMapping {
	return &TableMapping{Key: "destatis_gv100ad", Format: GV100AD, Level: "gemeinde", AreaColumn: "ars", NameColumn: "name",
		Period: *impDay("2022-12-31"), Gebietsstand: *impDay("2023-11-30"), Decimal: "auto", Encoding: "utf-8",
		Columns: []ColumnMapping{
			{Column: "population", Indicator: "einwohner", Factor: 1},
			{Column: "male", Indicator: "maennlich", Factor: 1},
			{Column: "area_ha", Indicator: "flaeche", Factor: 0.01},
		}}
}

func TestImportGV100ADCreatesMissingAreas(t *testing.T) {
	pool, s := impFixture(t)
	ctx := context.Background()
	before := impCounts(t, pool)

	// Without --create-missing-areas the unknown codes are errors.
	_, err := s.ImportTable(ctx, TableImport{Path: impTable("GV100AD_excerpt.txt"), Mapping: gv100Mapping()})
	p := impTable("GV100AD_excerpt.txt")
	want := []string{
		p + `: line 30, column "ars" (characters 11–15 + 19–22 + 16–18): unknown gemeinde code "010515163010" on the Gebietsstand 2023-11-30 (use --create-missing-areas to create it)`,
		p + `: line 32, column "ars" (characters 11–15 + 19–22 + 16–18): unknown gemeinde code "160630105105" on the Gebietsstand 2023-11-30 (use --create-missing-areas to create it)`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	impEqual(t, "errors", strings.Split(err.Error(), "\n"), want)
	if got := impCounts(t, pool); got != before {
		t.Fatalf("database changed: %s, was %s", got, before)
	}

	rep := impMust(t, s, TableImport{Path: impTable("GV100AD_excerpt.txt"), Mapping: gv100Mapping(), CreateMissingAreas: true})
	if rep.Table != "destatis_gv100ad" || rep.Observations != 42 || strings.Join(rep.Gebietsstand, ",") != "2023-11-30" {
		t.Fatalf("report: %+v", rep)
	}
	created := fmt.Sprint(rep.CreatedAreas)
	if created != "[{010515163010 Brickeln kreis 01051 2023-11-30  30} {160630105105 Eisenach, Stadt kreis 16063 2023-11-30  32}]" {
		t.Fatalf("created areas: %s", created)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM area WHERE batch_id = $1 AND geom IS NULL AND level = 'gemeinde'
		AND valid_from = '2023-11-30' AND valid_to IS NULL`, rep.Batch).Scan(&n); err != nil || n != 2 {
		t.Fatalf("created area rows: %d, %v", n, err)
	}
	obs := impObservations(t, pool)
	impEqual(t, "Flensburg", obs[0:3], []string{
		"einwohner 010010000000 2022-12-31 92550 measured",
		"flaeche 010010000000 2022-12-31 56.73 measured",
		"maennlich 010010000000 2022-12-31 45874 measured",
	})
	impEqual(t, "Eisenach", obs[len(obs)-3:], []string{
		"einwohner 160630105105 2022-12-31 42408 measured",
		"flaeche 160630105105 2022-12-31 104.17 measured",
		"maennlich 160630105105 2022-12-31 20848 measured",
	})
	// Every Thüringen Gemeinde of the fixture is without data, on the
	// table's Gebietsstand.
	if rep.WithoutData != 5 || strings.Join(rep.WithoutDataCodes, ",") != "160730005005,160735012013,160735051002,160735054001,160735054006" {
		t.Fatalf("without data: %d %v", rep.WithoutData, rep.WithoutDataCodes)
	}
}

func TestImportMissingParentIsAnError(t *testing.T) {
	pool, s := impFixture(t)
	before := impCounts(t, pool)
	p := impWrite(t, "neu.csv", "area;indicator;period;value\n160735054001;einwohner;2022-12-31;338\n169990001001;einwohner;2022-12-31;12\n")
	_, err := s.ImportTable(context.Background(), TableImport{Path: p, Level: "gemeinde", CreateMissingAreas: true})
	want := p + `: line 3, column "area": unknown gemeinde code "169990001001" on the Gebietsstand 2022-12-31, and its parent kreis "16999" does not exist then either`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if got := impCounts(t, pool); got != before {
		t.Fatalf("database changed: %s, was %s", got, before)
	}
}

func TestParentCandidates(t *testing.T) {
	gemeinde := []string{"kreis", "land", "staat"}
	tests := []struct {
		code   string
		levels []string
		prefix []int
		want   string
	}{
		{"160630105105", gemeinde, []int{5, 2, 0}, "[{kreis 16063}]"},
		// Rheinland-Pfalz' share of the German-Luxembourg condominium is in
		// no Kreis: Kreis digits 000.
		{"070009999999", gemeinde, []int{5, 2, 0}, "[{kreis 07000} {land 07}]"},
		{"070109999999", gemeinde, []int{5, 2, 0}, "[{kreis 07010}]"},
		{"01100101", []string{"bezirksregion", "prognoseraum", "bezirk", "gemeinde"}, []int{6, 4, 2, 0}, "[{bezirksregion 011001}]"},
		{"01000000", []string{"bezirksregion", "prognoseraum", "bezirk", "gemeinde"}, []int{6, 4, 2, 0}, "[{bezirksregion 010000} {prognoseraum 0100} {bezirk 01}]"},
		{"16063", gemeinde, []int{5, 2, 0}, "[]"},
		{"123456", []string{"a", "b"}, []int{2, 4}, "[{a 12}]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(parentCandidates(tc.code, tc.levels, tc.prefix)); got != tc.want {
			t.Errorf("parentCandidates(%s) = %s, want %s", tc.code, got, tc.want)
		}
	}
}

func TestImportCreatesAreaUnderLandWithoutKreis(t *testing.T) {
	pool, s := impFixture(t)
	p := impWrite(t, "kuestengewaesser.csv", "area;name;indicator;period;value\n160009999999;Küstengewässer;einwohner;2022-12-31;–\n")
	rep := impMust(t, s, TableImport{Path: p, Level: "gemeinde", NameColumn: "name", CreateMissingAreas: true})
	if got := fmt.Sprint(rep.CreatedAreas); got != "[{160009999999 Küstengewässer land 16 2022-12-31  2}]" {
		t.Fatalf("created: %s", got)
	}
	var parent string
	if err := pool.QueryRow(context.Background(), `SELECT parent_level || ' ' || parent_code FROM area WHERE code = '160009999999'`).Scan(&parent); err != nil || parent != "land 16" {
		t.Fatalf("parent %q (%v)", parent, err)
	}
}

func TestImportRejectsBadFileWhole(t *testing.T) {
	pool, s := impFixture(t)
	ctx := context.Background()
	// Something imported already, so that "unchanged" is not just "empty".
	impMust(t, s, TableImport{Path: impTable("wide.csv"), Level: "gemeinde", AreaColumn: "ARS",
		Columns: map[string]string{"unter 6": "ew_unter6"}, Period: impDay("2022-12-31"), Placeholders: []string{"-9999"}})
	before := impCounts(t, pool)

	const head = "area;indicator;period;value\n"
	good := "160735054001;einwohner;2022-12-31;338\n160735054001;maennlich;2022-12-31;167\n"
	tests := []struct {
		name string
		in   TableImport
		csv  string
		want []string
	}{
		{"not a number", TableImport{}, head + good + "160735051002;einwohner;2022-12-31;21x\n",
			[]string{`line 4, column "value": not a number: "21x"`}},
		{"unknown area", TableImport{}, head + good + "160735099999;einwohner;2022-12-31;5\n",
			[]string{`line 4, column "area": unknown gemeinde code "160735099999" on the Gebietsstand 2022-12-31 (use --create-missing-areas to create it)`}},
		{"area on another Gebietsstand", TableImport{Gebietsstand: impDay("2023-11-30")}, head + "010515163010;einwohner;2022-12-31;198\n",
			[]string{`line 2, column "area": unknown gemeinde code "010515163010" on the Gebietsstand 2023-11-30 (use --create-missing-areas to create it)`}},
		{"unknown indicator", TableImport{}, head + good + "160735051002;einwohnerinnen;2022-12-31;5\n",
			[]string{`line 4, column "indicator": unknown indicator "einwohnerinnen" (not in the catalogue)`}},
		{"a rate", TableImport{}, head + good + "160735051002;anteil_maennlich;2022-12-31;50,7\n",
			[]string{`line 4, column "indicator": indicator "anteil_maennlich" is a rate (maennlich ÷ einwohner): rates are computed, import its numerator and denominator instead`}},
		{"duplicate", TableImport{}, head + good + "160735054001;einwohner;31.12.2022;339\n",
			[]string{`line 4, column "value": duplicate: einwohner of 160735054001 for 2022-12-31 is also on line 2 (value)`}},
		{"numerator above denominator", TableImport{}, head + good + "160735051002;einwohner;2022-12-31;100\n160735051002;maennlich;2022-12-31;108\n",
			[]string{`line 5, column "value": maennlich 108 is above its whole, einwohner 100 (line 4, value): the denominator of the share anteil_maennlich and the total of group geschlecht`}},
		{"values are read before codes and indicators are looked up", TableImport{}, head + good + "160735051002;einwohner;2022-12-31;21x\n160735099999;einwohner;2022-12-31;5\n160735051002;quote;2022-12-31;5\n",
			[]string{
				`line 4, column "value": not a number: "21x"`,
			}},
		{"conflict with an earlier batch", TableImport{}, head + good + "160735054001;ew_unter6;2022-12-31;13\n",
			[]string{`line 4, column "value": ew_unter6 of 160735054001 for 2022-12-31 is already imported by batch 1 (wide.csv): revert that batch first ('sozialatlas import revert 1')`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := impWrite(t, "bad.csv", tc.csv)
			in := tc.in
			in.Path, in.Level = p, "gemeinde"
			_, err := s.ImportTable(ctx, in)
			if err == nil {
				t.Fatal("no error")
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, p+": "+w)
			}
			impEqual(t, "errors", strings.Split(err.Error(), "\n"), want)
			if got := impCounts(t, pool); got != before {
				t.Fatalf("database changed: %s, was %s", got, before)
			}
		})
	}
	// Problems of indicators and areas come together, after those of values
	// (which stop the reading).
	p := impWrite(t, "bad.csv", head+good+"160735099999;einwohner;2022-12-31;5\n160735051002;quote;2022-12-31;5\n")
	_, err := s.ImportTable(ctx, TableImport{Path: p, Level: "gemeinde"})
	impEqual(t, "errors", strings.Split(fmt.Sprint(err), "\n"), []string{
		p + `: line 5, column "indicator": unknown indicator "quote" (not in the catalogue)`,
		p + `: line 4, column "area": unknown gemeinde code "160735099999" on the Gebietsstand 2022-12-31 (use --create-missing-areas to create it)`,
	})
	var te *table.Error
	if !errors.As(err, &te) {
		t.Fatalf("%T does not hold a *table.Error", err)
	}
}

func TestImportCheckWritesNothing(t *testing.T) {
	pool, s := impFixture(t)
	before := impCounts(t, pool)
	rep := impMust(t, s, TableImport{Path: impTable("GV100AD_excerpt.txt"), Mapping: gv100Mapping(), CreateMissingAreas: true, Check: true})
	if !rep.Checked || rep.Batch != 0 || rep.Observations != 42 || len(rep.CreatedAreas) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	if !strings.HasSuffix(rep.String(), "checked: nothing written") {
		t.Fatalf("report text: %s", rep)
	}
	if got := impCounts(t, pool); got != before {
		t.Fatalf("database changed: %s, was %s", got, before)
	}
}

func TestImportPlaceholdersAndSecretsAreNeverNumbers(t *testing.T) {
	pool, s := impFixture(t)
	p := impWrite(t, "mss.csv", "area;indicator;period;value\n"+
		"160735054001;ew_unter6;2020-12-31;-9999\n"+
		"160735051002;ew_unter6;2020-12-31;-9.999\n"+
		"160730005005;ew_unter6;2020-12-31;.\n"+
		"160735054006;ew_unter6;2020-12-31;x\n"+
		"160735012013;ew_unter6;2020-12-31;1.234,5\n")
	impMust(t, s, TableImport{Path: p, Level: "gemeinde", Placeholders: []string{"-9999"}})
	impEqual(t, "observations", impObservations(t, pool), []string{
		"ew_unter6 160730005005 2020-12-31 NULL suppressed",
		"ew_unter6 160735012013 2020-12-31 1234.5 measured",
		"ew_unter6 160735051002 2020-12-31 NULL missing",
		"ew_unter6 160735054001 2020-12-31 NULL missing",
		"ew_unter6 160735054006 2020-12-31 NULL missing",
	})
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM observation WHERE value < 0 OR (status IN ('missing', 'suppressed')) <> (value IS NULL))
		+ (SELECT count(*) FROM published_cell WHERE value < 0)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d negative or inconsistent values (%v)", n, err)
	}
}

func TestImportIdempotentAndRevert(t *testing.T) {
	pool, s := impFixture(t)
	ctx := context.Background()
	in := TableImport{Path: impTable("GV100AD_excerpt.txt"), Mapping: gv100Mapping(), CreateMissingAreas: true}
	first := impMust(t, s, in)
	afterFirst := impCounts(t, pool)

	again := impMust(t, s, in)
	if again.AlreadyImported != first.Batch || again.Batch != 0 {
		t.Fatalf("re-import: %+v", again)
	}
	if !strings.Contains(again.String(), fmt.Sprintf("already imported as batch %d: nothing changed", first.Batch)) {
		t.Fatalf("re-import report: %s", again)
	}
	if got := impCounts(t, pool); got != afterFirst {
		t.Fatalf("re-import changed the database: %s, was %s", got, afterFirst)
	}

	// A copy under another name is the same content: also nothing.
	data, err := os.ReadFile(in.Path)
	if err != nil {
		t.Fatal(err)
	}
	other := impWrite(t, "GV100AD_copy.txt", string(data))
	if rep := impMust(t, s, TableImport{Path: other, Mapping: gv100Mapping(), CreateMissingAreas: true}); rep.AlreadyImported != first.Batch {
		t.Fatalf("copy: %+v", rep)
	}

	// Different content overlapping the same keys is a conflict.
	changed := impWrite(t, "kiel.csv", "area;indicator;period;value\n010020000000;einwohner;2022-12-31;247718\n")
	_, err = s.ImportTable(ctx, TableImport{Path: changed, Level: "gemeinde"})
	want := fmt.Sprintf(`%s: line 2, column "value": einwohner of 010020000000 for 2022-12-31 is already imported by batch %d (GV100AD_excerpt.txt): revert that batch first ('sozialatlas import revert %d')`,
		changed, first.Batch, first.Batch)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}

	// Revert: observations and created areas go, cells are republished.
	if c := impCell(t, pool, "einwohner", "kreis", "01002", "2022-12-31"); c != "247717 derived" {
		t.Fatalf("before revert: %s", c)
	}
	rev, err := s.RevertBatch(ctx, first.Batch)
	if err != nil {
		t.Fatal(err)
	}
	if rev.String() != fmt.Sprintf("batch %d (GV100AD_excerpt.txt) reverted: 42 observations removed, 2 areas it created removed", first.Batch) {
		t.Fatalf("revert: %s", rev)
	}
	if c := impCell(t, pool, "einwohner", "kreis", "01002", "2022-12-31"); c != "absent" {
		t.Fatalf("after revert: %s", c)
	}
	var obs, areas, reverted, extents int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM observation), (SELECT count(*) FROM area WHERE code IN ('010515163010', '160630105105')),
		(SELECT count(*) FROM import_batch WHERE reverted_at IS NOT NULL),
		(SELECT count(*) FROM observation_extent) + (SELECT count(*) FROM cell_extent)`).Scan(&obs, &areas, &reverted, &extents); err != nil {
		t.Fatal(err)
	}
	if obs != 0 || areas != 0 || reverted != 1 || extents != 0 {
		t.Fatalf("after revert: %d observations, %d created areas, %d reverted batches, %d extent rows", obs, areas, reverted, extents)
	}
	if _, err := s.RevertBatch(ctx, first.Batch); err == nil || !strings.Contains(err.Error(), "already reverted") {
		t.Fatalf("second revert: %v", err)
	}
	if _, err := s.RevertBatch(ctx, 999); !errors.Is(err, geo.ErrNotFound) {
		t.Fatalf("unknown batch: %v", err)
	}

	// After the revert the same file imports again, as a new batch, and the
	// other file can go in too.
	third := impMust(t, s, in)
	if third.Batch <= first.Batch || third.AlreadyImported != 0 {
		t.Fatalf("import after revert: %+v", third)
	}
	if _, err := s.RevertBatch(ctx, third.Batch); err != nil {
		t.Fatal(err)
	}
	impMust(t, s, TableImport{Path: changed, Level: "gemeinde"})

	list, err := s.ListBatches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, b := range list {
		lines = append(lines, fmt.Sprintf("%d %s %s reverted=%v obs=%d areas=%d", b.ID, b.Kind, b.Source, b.RevertedAt != nil, b.Observations, b.Areas))
	}
	impEqual(t, "batches", lines, []string{
		fmt.Sprintf("%d indicators GV100AD_excerpt.txt reverted=true obs=0 areas=0", first.Batch),
		fmt.Sprintf("%d indicators GV100AD_excerpt.txt reverted=true obs=0 areas=0", third.Batch),
		fmt.Sprintf("%d indicators kiel.csv reverted=false obs=1 areas=0", third.Batch+1),
	})
}

func TestRawValues(t *testing.T) {
	pool, s := impFixture(t)
	impMust(t, s, TableImport{Path: impTable("long.csv"), Level: "gemeinde", Placeholders: []string{"-9999"}})
	_ = pool
	vals, err := s.RawValues(context.Background(), "maennlich", "gemeinde", *impDay("2022-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vals {
		val := "NULL"
		if v.Value != nil {
			val = fmt.Sprint(*v.Value)
		}
		sup := ""
		if v.Suppressed != nil {
			sup = string(*v.Suppressed)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s", v.Code, val, v.Status, sup))
	}
	impEqual(t, "raw values", got, []string{
		"160730005005 3014 measured ",
		// Withheld so that Bechstedt's secret cannot be recovered within
		// the group geschlecht: the export still shows the values.
		"160735051002 108 measured secondary",
		"160735054001 167 measured secondary",
		"160735054006 NULL suppressed source",
	})
	if _, err := s.RawValues(context.Background(), "nichts", "gemeinde", *impDay("2022-12-31")); !errors.Is(err, geo.ErrNotFound) {
		t.Fatalf("unknown indicator: %v", err)
	}
}

// The keys of observations are checked by the import; what could break
// them afterwards is refused by the database (migration 00006).
func TestObservationKeysStayValid(t *testing.T) {
	pool, s := impFixture(t)
	ctx := context.Background()
	rep := impMust(t, s, TableImport{Path: impWrite(t, "kiel.csv", "area;indicator;period;value\n010020000000;einwohner;2022-12-31;247717\n"), Level: "gemeinde"})
	var extent string
	if err := pool.QueryRow(ctx, `SELECT concat_ws(' ', batch_id, indicator, period, level, rows) FROM observation_extent`).Scan(&extent); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d einwohner 2022-12-31 gemeinde 1", rep.Batch); extent != want {
		t.Errorf("observation_extent: %s, want %s", extent, want)
	}
	for _, c := range []struct{ sql, want string }{
		{`DELETE FROM area WHERE code = '010020000000'`, "still has observations of einwohner"},
		{`DELETE FROM indicator WHERE key = 'einwohner'`, "observation_extent_indicator_fkey"},
		// without the extent, the observations themselves hold on
		{`DELETE FROM observation_extent; DELETE FROM indicator WHERE key = 'einwohner'`, "indicator einwohner still has observations"},
		{`DELETE FROM observation_extent; DELETE FROM cell_extent; UPDATE indicator SET key = 'bevoelkerung' WHERE key = 'einwohner'`, "indicator einwohner still has observations"},
	} {
		// several statements in one string run as one transaction
		_, err := pool.Exec(ctx, c.sql)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "23503") {
			t.Errorf("%s: %v, want %q (foreign_key_violation)", c.sql, err, c.want)
		}
	}
	// A deleted batch takes its observations along, as before.
	if _, err := pool.Exec(ctx, `DELETE FROM import_batch WHERE id = $1`, rep.Batch); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM observation) + (SELECT count(*) FROM observation_extent)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("after deleting the batch: %d observation and extent rows (%v)", n, err)
	}
}
