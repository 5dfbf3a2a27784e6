package indicators

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sozialatlas/sozialatlas/geo/web"
)

type valuesDoc struct {
	Indicator map[string]any
	Level     string
	Period    string
	Datetime  string
	Rows      []map[string]any
}

func TestValuesJSON(t *testing.T) {
	srv, _ := outputServer(t)
	today := time.Now().Format(time.DateOnly)

	var doc valuesDoc
	body := fetchJSON(t, srv.URL+"/indicators/sgb2_quote/values?level=gemeinde", &doc)
	if doc.Level != "gemeinde" || doc.Period != "2022-12-31" || doc.Datetime != today ||
		doc.Indicator["key"] != "sgb2_quote" || doc.Indicator["decimals"] != 1.0 || doc.Indicator["unit"] != "%" ||
		doc.Indicator["kind"] != "rate" || doc.Indicator["numerator"] != "sgb2" || doc.Indicator["source"] != "Bundesagentur für Arbeit; Statistikamt Nord" {
		t.Errorf("head: %+v", doc)
	}
	// Rows are written as they come; the values exactly as published.
	want := `{"code":"010020001","name":"Kiel-Nord","value":10.0,"status":"derived","suppressed":null,"incomplete":false,"numerator":100,"denominator":1000},
{"code":"010020002","name":"Kiel-Mitte","value":8.0,"status":"derived","suppressed":null,"incomplete":false,"numerator":120,"denominator":1500},
{"code":"010020003","name":"Kiel-Süd","value":null,"status":"suppressed","suppressed":"primary","incomplete":false,"numerator":null,"denominator":null},
{"code":"010020004","name":"Kiel-Ost \"Hafen\"; Gaarden","value":null,"status":"suppressed","suppressed":"primary","incomplete":false,"numerator":null,"denominator":null},
{"code":"010030001","name":"Lübeck-Altstadt","value":5.0,"status":"derived","suppressed":null,"incomplete":false,"numerator":40,"denominator":800}
]}
`
	if _, rows, _ := strings.Cut(string(body), `"rows":[`+"\n"); rows != want {
		t.Errorf("rows:\n%s\nwant\n%s", rows, want)
	}

	// Counts have no numerator and denominator; the default period is the
	// latest at the level on today's boundaries; areas without a cell are
	// rows without a status; an incomplete sum says so.
	for _, tt := range []struct {
		path, period string
		rows         string
	}{
		{"/indicators/einwohner/values?level=kreis", "2022-12-31",
			`01002 3550 derived <nil> false|01003 800 derived <nil> false|16063 158000 measured <nil> false`},
		{"/indicators/einwohner/values?level=kreis&period=2018-12-31", "2018-12-31",
			`01002 3535 derived <nil> false|01003 <nil> <nil> <nil> false|16063 162000 derived <nil> false`},
		{"/indicators/einwohner/values?level=kreis&period=2018-12-31&datetime=2020-01-01", "2018-12-31",
			`01002 3535 derived <nil> false|01003 <nil> <nil> <nil> false|16056 42000 measured <nil> false|16063 120000 measured <nil> false`},
		// the latest period at the Kreise of 2020, on which Eisenach and the
		// Wartburgkreis of then have none
		{"/indicators/einwohner/values?level=kreis&datetime=2020-01-01T23:30:00%2B01:00", "2022-12-31",
			`01002 3550 derived <nil> false|01003 800 derived <nil> false|16056 <nil> <nil> <nil> false|16063 <nil> <nil> <nil> false`},
		{"/indicators/einwohner/values?level=land&period=2018-12-31", "2018-12-31",
			`01 3535 derived <nil> true|02 <nil> <nil> <nil> false|16 <nil> <nil> <nil> false`},
		{"/indicators/einwohner/values?level=gemeinde&period=2018-12-31", "2018-12-31",
			`010020001 990 measured <nil> false|010020002 1480 measured <nil> false|010020003 55 measured <nil> false|010020004 1010 measured <nil> false|010030001 <nil> missing <nil> false`},
		{"/indicators/sgb2/values?level=gemeinde&f=json", "2022-12-31",
			`010020001 100 measured <nil> false|010020002 120 measured <nil> false|010020003 <nil> suppressed primary false|010020004 <nil> suppressed secondary false|010030001 40 measured <nil> false`},
	} {
		var doc valuesDoc
		fetchJSON(t, srv.URL+tt.path, &doc)
		var rows []string
		for _, r := range doc.Rows {
			if _, ok := r["numerator"]; ok {
				t.Errorf("%s: a count with a numerator: %v", tt.path, r)
			}
			rows = append(rows, strings.Join([]string{r["code"].(string), str(r["value"]), str(r["status"]),
				str(r["suppressed"]), str(r["incomplete"])}, " "))
		}
		if doc.Period != tt.period || strings.Join(rows, "|") != tt.rows {
			t.Errorf("%s: period %s, rows\n%s\nwant\n%s", tt.path, doc.Period, strings.Join(rows, "|"), tt.rows)
		}
	}
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestValuesCSV(t *testing.T) {
	srv, _ := outputServer(t)
	for _, tt := range []struct {
		path, accept, file, body string
	}{
		{"/indicators/sgb2_quote/values?level=gemeinde&f=csv", "", "sgb2_quote_gemeinde_2022-12-31.csv",
			"\uFEFFSchlüssel;Name;Wert (%);Status;Sperrgrund;unvollständig;Zähler (sgb2);Nenner (einwohner)\r\n" +
				"010020001;Kiel-Nord;10,0;abgeleitet;;nein;100;1000\r\n" +
				"010020002;Kiel-Mitte;8,0;abgeleitet;;nein;120;1500\r\n" +
				"010020003;Kiel-Süd;;gesperrt (Geheimhaltung);primär;nein;;\r\n" +
				"010020004;\"Kiel-Ost \"\"Hafen\"\"; Gaarden\";;gesperrt (Geheimhaltung);primär;nein;;\r\n" +
				"010030001;Lübeck-Altstadt;5,0;abgeleitet;;nein;40;800\r\n"},
		{"/indicators/sgb2/values?level=gemeinde", "text/csv", "sgb2_gemeinde_2022-12-31.csv",
			"\uFEFFSchlüssel;Name;Wert (Personen);Status;Sperrgrund;unvollständig\r\n" +
				"010020001;Kiel-Nord;100;erhoben;;nein\r\n" +
				"010020002;Kiel-Mitte;120;erhoben;;nein\r\n" +
				"010020003;Kiel-Süd;;gesperrt (Geheimhaltung);primär;nein\r\n" +
				"010020004;\"Kiel-Ost \"\"Hafen\"\"; Gaarden\";;gesperrt (Geheimhaltung);sekundär;nein\r\n" +
				"010030001;Lübeck-Altstadt;40;erhoben;;nein\r\n"},
		{"/indicators/einwohner/values?level=land&period=2018-12-31&f=csv", "", "einwohner_land_2018-12-31.csv",
			"\uFEFFSchlüssel;Name;Wert (Personen);Status;Sperrgrund;unvollständig\r\n" +
				"01;Schleswig-Holstein;3535;abgeleitet;;ja\r\n" +
				"02;Hamburg;;keine Daten;;nein\r\n" +
				"16;Thüringen;;keine Daten;;nein\r\n"},
		{"/indicators/sgb2_quote/values?level=kreis&period=2018-12-31&datetime=2020-01-01", "text/csv;q=0.9, application/json;q=0.5", "sgb2_quote_kreis_2018-12-31.csv",
			"\uFEFFSchlüssel;Name;Wert (%);Status;Sperrgrund;unvollständig;Zähler (sgb2);Nenner (einwohner)\r\n" +
				"01002;Kiel;6,6;abgeleitet;;nein;232;3535\r\n" +
				"01003;Lübeck;;keine Daten;;nein;;\r\n" +
				"16056;Eisenach;;keine Daten;;nein;;\r\n" +
				"16063;Wartburgkreis;;keine Daten;;nein;;\r\n"},
	} {
		checkCSV(t, srv.URL+tt.path, tt.accept, tt.file, tt.body)
	}
}

func TestValuesXLSX(t *testing.T) {
	srv, _ := outputServer(t)
	f, got := fetchXLSX(t, srv.URL+"/indicators/sgb2_quote/values?level=gemeinde",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "sgb2_quote_gemeinde_2022-12-31.xlsx", "SGB-II-Quote")
	want := []string{
		"Schlüssel|Name|Wert (%)|Status|Sperrgrund|unvollständig|Zähler (sgb2)|Nenner (einwohner)",
		"010020001|Kiel-Nord|10|abgeleitet||nein|100|1000",
		"010020002|Kiel-Mitte|8|abgeleitet||nein|120|1500",
		"010020003|Kiel-Süd||gesperrt (Geheimhaltung)|primär|nein",
		`010020004|Kiel-Ost "Hafen"; Gaarden||gesperrt (Geheimhaltung)|primär|nein`,
		"010030001|Lübeck-Altstadt|5|abgeleitet||nein|40|800",
		"",
		"SGB-II-Quote",
		"Quelle: Bundesagentur für Arbeit; Statistikamt Nord",
		"Lizenz: dl-de/by-2-0",
		"Stichtag: 31.12.2022; Gebietsstand: " + time.Now().Format("02.01.2006") + "; Ebene: gemeinde",
		"Gesperrte Werte (statistische Geheimhaltung) bleiben leer; der Status nennt den Grund.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Numbers are numbers, shown with the indicator's decimals; codes stay
	// text (leading zeros).
	for _, tt := range []struct {
		cell   string
		typ    excelize.CellType
		format string
		shown  string
	}{
		{"C2", excelize.CellTypeNumber, "#,##0.0", "10.0"},
		{"C6", excelize.CellTypeNumber, "#,##0.0", "5.0"},
		{"G2", excelize.CellTypeNumber, "#,##0", "100"},
		{"A2", excelize.CellTypeSharedString, "", "010020001"},
	} {
		// a cell without a type attribute is a number
		typ, err := f.GetCellType("SGB-II-Quote", tt.cell)
		if typ == excelize.CellTypeUnset {
			typ = excelize.CellTypeNumber
		}
		if err != nil || (typ == excelize.CellTypeNumber) != (tt.typ == excelize.CellTypeNumber) {
			t.Errorf("%s: type %v %v", tt.cell, typ, err)
		}
		shown, _ := f.GetCellValue("SGB-II-Quote", tt.cell)
		format := ""
		if id, err := f.GetCellStyle("SGB-II-Quote", tt.cell); err == nil && id != 0 {
			if st, err := f.GetStyle(id); err == nil && st.CustomNumFmt != nil {
				format = *st.CustomNumFmt
			}
		}
		if format != tt.format || shown != tt.shown {
			t.Errorf("%s: format %q shown %q, want %q %q", tt.cell, format, shown, tt.format, tt.shown)
		}
	}
}

func TestValuesProblems(t *testing.T) {
	srv, _ := outputServer(t)
	for _, tt := range []struct {
		path, accept string
		status       int
		detail       string
	}{
		{"/indicators/nope/values?level=gemeinde", "", 404, `There is no indicator "nope" in the catalogue; /indicators lists them.`},
		{"/indicators/einwohner/values", "", 400, `query parameter level: missing; name a level such as gemeinde (/collections lists them)`},
		{"/indicators/einwohner/values?level=dorf", "", 400, `query parameter level: "dorf" is not a level; /collections lists them`},
		{"/indicators/einwohner/values?level=gemeinde&period=2022", "", 400, `query parameter period: "2022" is not a date (2022-12-31)`},
		{"/indicators/einwohner/values?level=gemeinde&datetime=gestern", "", 400, `query parameter datetime: "gestern" is not a date (2022-12-31) or a date-time (2022-12-31T00:00:00Z)`},
		{"/indicators/einwohner/values?level=gemeinde&perod=2022-12-31", "", 400, `query parameter "perod": unknown; this resource takes datetime, f, level, period`},
		{"/indicators/einwohner/values?level=gemeinde&level=kreis", "", 400, `query parameter level: given 2 times; give it once`},
		{"/indicators/einwohner/values?level=gemeinde&f=ods", "", 400, `query parameter f: "ods" is not a format of this resource; use json, csv, xlsx`},
		{"/indicators/einwohner/values?level=gemeinde", "image/png", 406, `this resource is available as application/json, text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`},
		{"/indicators/einwohner/values?level=gemeinde&period=2020-12-31", "", 404, `Indicator "einwohner" has no values for level "gemeinde" in period 2020-12-31 on the boundaries valid ` + time.Now().Format(time.DateOnly) + `; /indicators/einwohner lists its levels and periods.`},
		{"/indicators/einwohner/values?level=bezirk", "", 404, `Indicator "einwohner" has no values for level "bezirk" on the boundaries valid ` + time.Now().Format(time.DateOnly) + `; /indicators/einwohner lists its levels and periods.`},
		{"/indicators/sgb2/values?level=land&period=2018-12-31&datetime=2020-01-01&f=csv", "", 404, `Indicator "sgb2" has no values for level "land" in period 2018-12-31 on the boundaries valid 2020-01-01; /indicators/sgb2 lists its levels and periods.`},
	} {
		checkProblem(t, srv.URL, tt.path, tt.accept, tt.status, tt.detail)
	}
}

// checkProblem expects an RFC 9457 problem with status and detail.
func checkProblem(t *testing.T, base, path, accept string, status int, detail string) {
	t.Helper()
	res, body := fetch(t, base+path, accept)
	var p web.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Errorf("%s: %v in %s", path, err, body)
		return
	}
	if res.StatusCode != status || res.Header.Get("Content-Type") != web.ProblemMediaType ||
		res.Header.Get("Content-Disposition") != "" || p.Status != status || p.Detail != detail || p.Instance != path {
		t.Errorf("%s: %d %+v\nwant %d %s", path, res.StatusCode, p, status, detail)
	}
}

// TestValueRowsSort: the database sends the rows of /values in no order;
// they go out by code bytewise, versions of one code by id.
func TestValueRowsSort(t *testing.T) {
	var tbl valueRows
	for _, r := range []struct {
		id   int64
		code string
	}{{7, "16063"}, {3, "01002"}, {9, "16056"}, {2, "16063"}, {5, "010020001"}, {1, "Z1"}, {4, "ä1"}, {8, "01003"}} {
		tbl.recs = append(tbl.recs, valueRec{id: r.id, code: tbl.add([]byte(r.code)), name: tbl.add(nil),
			shown: [3][2]int32{{0, -1}, {0, -1}, {0, -1}}})
	}
	tbl.sort()
	var got []string
	var v valueRow
	for i, r := range tbl.recs {
		tbl.row(i, &v)
		got = append(got, fmt.Sprintf("%s#%d", v.Code, r.id))
	}
	want := "01002#3 010020001#5 01003#8 16056#9 16063#2 16063#7 Z1#1 ä1#4"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("order %s, want %s", g, want)
	}
}
