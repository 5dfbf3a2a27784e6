package table

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func testdata(name string) string { return filepath.Join("..", "testdata", "tables", name) }

var day2022 = time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)

// brief renders cells compactly for exact comparison.
func brief(cells []Cell) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		v := "NULL"
		if c.Value != nil {
			v = fmt.Sprint(*c.Value)
		}
		out[i] = fmt.Sprintf("%d %s %s %s %s %s=%s %s", c.Line, c.Ref, c.Area, c.AreaName, c.Period.Format(time.DateOnly), c.Indicator, v, c.Status)
	}
	return out
}

func equalLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadLongCSV(t *testing.T) {
	tab, err := Read(testdata("long.csv"), Options{Placeholders: []string{"-9999"}})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Decimal != ',' || tab.Wide || tab.AreaColumn != "area" || tab.IndicatorColumn != "indicator" || tab.PeriodColumn != "period" {
		t.Fatalf("table = decimal %q wide %v columns %q %q %q", tab.Decimal, tab.Wide, tab.AreaColumn, tab.IndicatorColumn, tab.PeriodColumn)
	}
	equalLines(t, brief(tab.Cells), []string{
		"2 value 160735054001  2022-12-31 einwohner=338 measured",
		"3 value 160735054001  2022-12-31 maennlich=167 measured",
		"4 value 160735051002  2022-12-31 einwohner=213 measured",
		"5 value 160735051002  2022-12-31 maennlich=108 measured",
		"6 value 160730005005  2022-12-31 einwohner=6029 measured",
		"7 value 160730005005  2022-12-31 maennlich=3014 measured",
		"8 value 160735054006  2022-12-31 einwohner=148 measured",
		"9 value 160735054006  2022-12-31 maennlich=NULL suppressed",
		"10 value 160735054001  2022-12-31 flaeche=12.5 provisional",
		"11 value 160735051002  2022-12-31 flaeche=NULL missing",
	})
}

func TestReadWideCSVWindows1252(t *testing.T) {
	tab, err := Read(testdata("wide.csv"), Options{
		Placeholders: []string{"-9999"},
		Layout: Layout{AreaColumn: "ARS", NameColumn: "Name", Period: day2022,
			Columns: map[string]string{"Gesamt": "einwohner", "männlich": "maennlich", "unter 6": "ew_unter6"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, brief(tab.Cells), []string{
		"2 Gesamt 160735054001 Allendorf 2022-12-31 einwohner=338 measured",
		"2 männlich 160735054001 Allendorf 2022-12-31 maennlich=167 measured",
		"2 unter 6 160735054001 Allendorf 2022-12-31 ew_unter6=12 measured",
		"3 Gesamt 160735051002 Altenbeuthen 2022-12-31 einwohner=213 measured",
		"3 männlich 160735051002 Altenbeuthen 2022-12-31 maennlich=108 measured",
		"3 unter 6 160735051002 Altenbeuthen 2022-12-31 ew_unter6=0 measured",
		"4 Gesamt 160730005005 Bad Blankenburg, Stadt 2022-12-31 einwohner=6029 measured",
		"4 männlich 160730005005 Bad Blankenburg, Stadt 2022-12-31 maennlich=3014 measured",
		"4 unter 6 160730005005 Bad Blankenburg, Stadt 2022-12-31 ew_unter6=NULL missing",
		"5 Gesamt 160735054006 Bechstedt 2022-12-31 einwohner=148 measured",
		"5 männlich 160735054006 Bechstedt 2022-12-31 maennlich=78 measured",
		"5 unter 6 160735054006 Bechstedt 2022-12-31 ew_unter6=NULL missing",
	})
}

func TestReadGV100AD(t *testing.T) {
	tab, err := Read(testdata("GV100AD_excerpt.txt"), Options{Layout: Layout{Period: day2022,
		Columns: map[string]string{"population": "einwohner", "male": "maennlich", "area_ha": "flaeche_ha"}}})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Format != GV100AD || tab.Gebietsstand == nil || tab.Gebietsstand.Format(time.DateOnly) != "2023-11-30" {
		t.Fatalf("format %s, Gebietsstand %v", tab.Format, tab.Gebietsstand)
	}
	got := brief(tab.Cells)
	if len(got) != 14*3 {
		t.Fatalf("%d cells, want 42 (14 Gemeinden × 3)", len(got))
	}
	equalLines(t, got[:3], []string{
		"4 area_ha 010010000000 Flensburg, Stadt 2022-12-31 flaeche_ha=5673 measured",
		"4 population 010010000000 Flensburg, Stadt 2022-12-31 einwohner=92550 measured",
		"4 male 010010000000 Flensburg, Stadt 2022-12-31 maennlich=45874 measured",
	})
	// Lübeck: a name with a non-ASCII letter keeps the character positions.
	equalLines(t, got[6:9], []string{
		"10 area_ha 010030000000 Lübeck, Hansestadt 2022-12-31 flaeche_ha=21419 measured",
		"10 population 010030000000 Lübeck, Hansestadt 2022-12-31 einwohner=218095 measured",
		"10 male 010030000000 Lübeck, Hansestadt 2022-12-31 maennlich=104723 measured",
	})
	// A gemeindefreies Gebiet has 0 residents; Eisenach got its new code.
	equalLines(t, got[len(got)-6:], []string{
		"31 area_ha 010539105105 Sachsenwald (Forstgutsbez.),gemfr.Geb. 2022-12-31 flaeche_ha=5849 measured",
		"31 population 010539105105 Sachsenwald (Forstgutsbez.),gemfr.Geb. 2022-12-31 einwohner=0 measured",
		"31 male 010539105105 Sachsenwald (Forstgutsbez.),gemfr.Geb. 2022-12-31 maennlich=0 measured",
		"32 area_ha 160630105105 Eisenach, Stadt 2022-12-31 flaeche_ha=10417 measured",
		"32 population 160630105105 Eisenach, Stadt 2022-12-31 einwohner=42408 measured",
		"32 male 160630105105 Eisenach, Stadt 2022-12-31 maennlich=20848 measured",
	})
}

func TestReadGV100ADWindows1252AndBadRecord(t *testing.T) {
	data, err := os.ReadFile(testdata("GV100AD_excerpt.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	// Line 10 (Lübeck): a letter in the population field.
	rec := []rune(lines[9])
	copy(rec[139:150], []rune("0000021809X"))
	lines[9] = string(rec)
	latin, err := encodeWindows1252(strings.Join(lines, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "GV100AD_bad.txt")
	if err := os.WriteFile(p, latin, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Read(p, Options{Layout: Layout{Period: day2022, Columns: map[string]string{"population": "einwohner"}}})
	want := p + `: line 10, column "population" (characters 140–150): not a number: "0000021809X"`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func encodeWindows1252(s string) ([]byte, error) {
	var b []byte
	for _, r := range s {
		switch {
		case r < 0x80:
			b = append(b, byte(r))
		case r >= 0xA0 && r <= 0xFF:
			b = append(b, byte(r))
		default:
			return nil, fmt.Errorf("%q not in the fixture's alphabet", r)
		}
	}
	return b, nil
}

func TestDecimalDetection(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		decimal byte
		want    []string // values read, or the error
	}{
		{"groups only, by point", []string{"1.234", "567", "12.345"}, 0, []string{"1234", "567", "12345"}},
		{"groups only, by comma", []string{"1,234", "567"}, 0, []string{"1234", "567"}},
		{"decimal comma decides a point group", []string{"1.234", "0,5"}, 0, []string{"1234", "0.5"}},
		{"decimal point decides a point decimal", []string{"1.234", "2.5"}, 0, []string{"1.234", "2.5"}},
		{"long groups decide", []string{"1.234", "1.234.567"}, 0, []string{"1234", "1234567"}},
		{"integers only", []string{"1", "2"}, 0, []string{"1", "2"}},
		{"set by option", []string{"1.234", "1,5"}, '.', nil},
		{"set by option, comma", []string{"1.234", "1,5"}, ',', []string{"1234", "1.5"}},
		{"mixed", []string{"1,5", "2.5"}, 0, nil},
		{"mixed groups", []string{"1,234", "1.234"}, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			csv := "area;indicator;period;value\n"
			for i, v := range tc.values {
				csv += fmt.Sprintf("%02d;x;2022;%s\n", i, v)
			}
			p := writeFile(t, "t.csv", csv)
			tab, err := Read(p, Options{Decimal: tc.decimal})
			if tc.want == nil {
				if err == nil {
					t.Fatalf("read %v: no error", tc.values)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range tab.Cells {
				got = append(got, strconv.FormatFloat(*c.Value, 'f', -1, 64))
			}
			equalLines(t, got, tc.want)
		})
	}
}

func TestMixedDecimalMessage(t *testing.T) {
	p := writeFile(t, "mixed.csv", "area;indicator;period;value\n01;a;2022;1,5\n02;a;2022;7\n03;a;2022;2.5\n")
	_, err := Read(p, Options{})
	want := p + `: the values mix decimal conventions: line 2, column "value" has "1,5" and line 4, column "value" has "2.5"; set the decimal separator`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestReadErrorsNameLineAndColumn(t *testing.T) {
	tests := []struct {
		name, csv string
		opts      Options
		want      []string
	}{
		{"not a number", "area;indicator;period;value\n01;a;2022-12-31;5\n02;a;2022-12-31;5a\n03;a;2022-12-31;7\n04;a;31.12.2022;zwei\n", Options{},
			[]string{`line 3, column "value": not a number: "5a"`, `line 5, column "value": not a number: "zwei"`}},
		{"bad period", "area;indicator;period;value\n01;a;2022-13-31;5\n", Options{},
			[]string{`line 2, column "period": not a date: "2022-13-31" (use YYYY-MM-DD, DD.MM.YYYY or a year)`}},
		{"empty area", "area;indicator;period;value\n;a;2022;5\n", Options{},
			[]string{`line 2, column "area": empty area code`}},
		{"empty indicator", "area;indicator;period;value\n01; ;2022;5\n", Options{},
			[]string{`line 2, column "indicator": empty indicator key`}},
		{"missing columns", "Gebiet;Merkmal;Wert\n01;a;5\n", Options{},
			[]string{
				`no indicator column "indicator"; the table has: Gebiet, Merkmal, Wert`,
				`no value column "value"; the table has: Gebiet, Merkmal, Wert`,
				`no period column "period" and no period given; the table has: Gebiet, Merkmal, Wert`,
				`no area column "area"; the table has: Gebiet, Merkmal, Wert`,
			}},
		{"wide without period", "ARS;Gesamt\n01;5\n", Options{Layout: Layout{AreaColumn: "ARS", Columns: map[string]string{"Gesamt": "einwohner"}}},
			[]string{`a wide table needs a period (the reference date of its values)`}},
		{"wide mapped column absent", "ARS;Gesamt\n01;5\n", Options{Layout: Layout{AreaColumn: "ARS", Period: day2022, Columns: map[string]string{"Insgesamt": "einwohner"}}},
			[]string{`no mapped column "Insgesamt"; the table has: ARS, Gesamt`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "bad.csv", tc.csv)
			_, err := Read(p, tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, p+": "+w)
			}
			equalLines(t, strings.Split(err.Error(), "\n"), want)
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("%T is not a *table.Error", err)
			}
		})
	}
}

func TestReadLongColumnNamesAndPeriods(t *testing.T) {
	p := writeFile(t, "named.csv", "Gebiet,Merkmal,Stichtag,Wert\n01,a,2021,\"1,234.5\"\n02,a,31.12.2020,7\n03,a,2019-06-30,0.25\n")
	tab, err := Read(p, Options{Layout: Layout{AreaColumn: "Gebiet", IndicatorColumn: "Merkmal", PeriodColumn: "Stichtag", ValueColumn: "Wert"}})
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, brief(tab.Cells), []string{
		"2 Wert 01  2021-12-31 a=1234.5 measured",
		"3 Wert 02  2020-12-31 a=7 measured",
		"4 Wert 03  2019-06-30 a=0.25 measured",
	})
	// Without a period column the given period applies.
	p = writeFile(t, "noperiod.csv", "area;indicator;value\n01;a;5\n")
	tab, err = Read(p, Options{Layout: Layout{Period: day2022}})
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, brief(tab.Cells), []string{"2 value 01  2022-12-31 a=5 measured"})
}

// writeXLSX writes a workbook: a notes sheet first, then the data sheet
// with two empty rows above its header; number cells as numbers, signs and
// German-formatted numbers as text.
func writeXLSX(t *testing.T, bad bool) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Hinweise"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetCellValue("Hinweise", "A1", "Quelle: Statistisches Landesamt"))
	_, err := f.NewSheet("Daten")
	must(err)
	rows := [][]any{
		{"ARS", "Name", "Gesamt", "männlich", "Stichtag"},
		{"160735054001", "Allendorf", 338, "167", 44926},
		{"160735051002", "Altenbeuthen", 213.0, ".", "2022-12-31"},
		{"160730005005", "Bad Blankenburg, Stadt", 6029, "3.014", 2022},
		{"160735054006", "Bechstedt", "–", "1.234,5 p", "31.12.2022"},
	}
	if bad {
		rows[3][3] = "3.O14"
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+3)
		must(err)
		must(f.SetSheetRow("Daten", cell, &r))
	}
	p := filepath.Join(t.TempDir(), "tabelle.xlsx")
	must(f.SaveAs(p))
	return p
}

func TestReadXLSX(t *testing.T) {
	p := writeXLSX(t, false)
	tab, err := Read(p, Options{Sheet: "Daten", Layout: Layout{AreaColumn: "ARS", NameColumn: "Name", Period: day2022,
		Columns: map[string]string{"Gesamt": "einwohner", "männlich": "maennlich"}}})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Format != XLSX || tab.Sheet != "Daten" || tab.HeaderLine != 3 || tab.Decimal != ',' {
		t.Fatalf("format %s sheet %q header %d decimal %q", tab.Format, tab.Sheet, tab.HeaderLine, tab.Decimal)
	}
	equalLines(t, brief(tab.Cells), []string{
		"4 C4 160735054001 Allendorf 2022-12-31 einwohner=338 measured",
		"4 D4 160735054001 Allendorf 2022-12-31 maennlich=167 measured",
		"5 C5 160735051002 Altenbeuthen 2022-12-31 einwohner=213 measured",
		"5 D5 160735051002 Altenbeuthen 2022-12-31 maennlich=NULL suppressed",
		"6 C6 160730005005 Bad Blankenburg, Stadt 2022-12-31 einwohner=6029 measured",
		"6 D6 160730005005 Bad Blankenburg, Stadt 2022-12-31 maennlich=3014 measured",
		"7 C7 160735054006 Bechstedt 2022-12-31 einwohner=0 measured",
		"7 D7 160735054006 Bechstedt 2022-12-31 maennlich=1234.5 provisional",
	})

	// Long layout from the same sheet: the period column holds an Excel
	// serial date, ISO and German dates and a year.
	tab, err = Read(p, Options{Sheet: "Daten", Layout: Layout{AreaColumn: "ARS", IndicatorColumn: "Name", ValueColumn: "Gesamt", PeriodColumn: "Stichtag"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range tab.Cells {
		if !c.Period.Equal(day2022) {
			t.Errorf("%s: period %s, want 2022-12-31", c.Ref, c.Period)
		}
	}

	// The first sheet by default: the notes have no area column.
	_, err = Read(p, Options{Layout: Layout{AreaColumn: "ARS", Period: day2022, Columns: map[string]string{"Gesamt": "einwohner"}}})
	if err == nil || !strings.Contains(err.Error(), `sheet "Hinweise"`) {
		t.Fatalf("err = %v, want a problem in sheet Hinweise", err)
	}
	_, err = Read(p, Options{Sheet: "Tabelle 1"})
	if err == nil || err.Error() != p+`: no sheet "Tabelle 1"; the workbook has: Hinweise, Daten` {
		t.Fatalf("err = %v", err)
	}
}

func TestReadXLSXErrorNamesCell(t *testing.T) {
	p := writeXLSX(t, true)
	_, err := Read(p, Options{Sheet: "Daten", Layout: Layout{AreaColumn: "ARS", Period: day2022,
		Columns: map[string]string{"Gesamt": "einwohner", "männlich": "maennlich"}}})
	want := p + `: sheet "Daten", row 6, cell D6, column "männlich": not a number: "3.O14"`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestTableProblems(t *testing.T) {
	tab, err := Read(testdata("wide.csv"), Options{Layout: Layout{AreaColumn: "ARS", Period: day2022,
		Columns: map[string]string{"Gesamt": "einwohner"}}})
	if err != nil {
		t.Fatal(err)
	}
	c := tab.Cells[1]
	p := testdata("wide.csv")
	for _, tc := range []struct{ got, want string }{
		{tab.CellProblem(c, "too big").Error(), p + `: line 3, column "Gesamt": too big`},
		{tab.AreaProblem(c, "unknown").Error(), p + `: line 3, column "ARS": unknown`},
		{tab.IndicatorProblem(c, "a rate").Error(), p + `: line 1, column "Gesamt": a rate`},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s\nwant %s", tc.got, tc.want)
		}
	}
}
