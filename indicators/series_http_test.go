package indicators

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestSeries(t *testing.T) {
	srv, _ := outputServer(t)
	today := time.Now().Format(time.DateOnly)
	for _, tt := range []struct {
		path, area, datetime, series string
	}{
		// today's Wartburgkreis: 2018 carried over from Eisenach and the
		// Wartburgkreis of then
		{"/indicators/einwohner/series?level=kreis&code=16063", "kreis 16063 Wartburgkreis 2021-07-01 <nil>", today,
			`{"period":"2018-12-31","value":162000,"status":"derived","suppressed":null,"incomplete":false},` +
				`{"period":"2022-12-31","value":158000,"status":"measured","suppressed":null,"incomplete":false}`},
		{"/indicators/einwohner/series?level=kreis&code=16063&datetime=2020-01-01", "kreis 16063 Wartburgkreis <nil> 2021-06-30", "2020-01-01",
			`{"period":"2018-12-31","value":120000,"status":"measured","suppressed":null,"incomplete":false}`},
		{"/indicators/sgb2/series?level=gemeinde&code=010020003", "gemeinde 010020003 Kiel-Süd <nil> <nil>", today,
			`{"period":"2018-12-31","value":3,"status":"measured","suppressed":null,"incomplete":false},` +
				`{"period":"2022-12-31","value":null,"status":"suppressed","suppressed":"primary","incomplete":false}`},
		{"/indicators/sgb2_quote/series?level=gemeinde&code=010020003", "gemeinde 010020003 Kiel-Süd <nil> <nil>", today,
			`{"period":"2018-12-31","value":5.5,"status":"derived","suppressed":null,"incomplete":false,"numerator":3,"denominator":55},` +
				`{"period":"2022-12-31","value":null,"status":"suppressed","suppressed":"primary","incomplete":false,"numerator":null,"denominator":null}`},
		{"/indicators/sgb2/series?level=kreis&code=01003", "kreis 01003 Lübeck <nil> <nil>", today,
			`{"period":"2022-12-31","value":40,"status":"derived","suppressed":null,"incomplete":false}`},
		{"/indicators/sgb2/series?level=kreis&code=16056&datetime=2021-06-30", "kreis 16056 Eisenach <nil> 2021-06-30", "2021-06-30", ``},
	} {
		var doc struct {
			Indicator map[string]any
			Area      map[string]any
			Datetime  string
		}
		body := fetchJSON(t, srv.URL+tt.path, &doc)
		area := strings.Join([]string{str(doc.Area["level"]), str(doc.Area["code"]), str(doc.Area["name"]),
			str(doc.Area["valid_from"]), str(doc.Area["valid_to"])}, " ")
		_, series, _ := strings.Cut(string(body), `"series":[`)
		series = strings.TrimSuffix(series, "]}\n")
		if area != tt.area || doc.Datetime != tt.datetime || series != tt.series || doc.Indicator["key"] == nil {
			t.Errorf("%s: %s %s\n%s\nwant %s %s\n%s", tt.path, area, doc.Datetime, series, tt.area, tt.datetime, tt.series)
		}
	}

	res, body := fetch(t, srv.URL+"/indicators/sgb2_quote/series?level=gemeinde&code=010020003&f=csv", "")
	want := "\uFEFFStichtag;Wert (%);Status;Sperrgrund;unvollständig;Zähler (sgb2);Nenner (einwohner)\r\n" +
		"31.12.2018;5,5;abgeleitet;;nein;3;55\r\n" +
		"31.12.2022;;gesperrt (Geheimhaltung);primär;nein;;\r\n"
	if res.Header.Get("Content-Disposition") != `attachment; filename="sgb2_quote_gemeinde_010020003.csv"` || string(body) != want {
		t.Errorf("csv %v:\n%q\nwant\n%q", res.Header, body, want)
	}

	res, body = fetch(t, srv.URL+"/indicators/einwohner/series?level=kreis&code=16063&f=xlsx", "")
	if res.Header.Get("Content-Type") != outMediaXLSX || res.Header.Get("Content-Disposition") != `attachment; filename="einwohner_kreis_16063.xlsx"` {
		t.Errorf("xlsx headers %v", res.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Einwohnerinnen und Einwohner")
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join(r, "|"))
	}
	wantRows := "Stichtag|Wert (Personen)|Status|Sperrgrund|unvollständig\n" +
		"31.12.2018|162,000|abgeleitet||nein\n" +
		"31.12.2022|158,000|erhoben||nein\n" +
		"\n" +
		"Einwohnerinnen und Einwohner\n" +
		"Quelle: Statistikamt Nord\n" +
		"Lizenz: dl-de/by-2-0\n" +
		"Gebiet: 16063 Wartburgkreis (kreis); Gebietsstand: " + time.Now().Format("02.01.2006") + "\n" +
		"Gesperrte Werte (statistische Geheimhaltung) bleiben leer; der Status nennt den Grund."
	if strings.Join(got, "\n") != wantRows {
		t.Errorf("xlsx rows:\n%s\nwant\n%s", strings.Join(got, "\n"), wantRows)
	}

	for _, tt := range []struct {
		path   string
		status int
		detail string
	}{
		{"/indicators/nope/series?level=gemeinde&code=010020003", 404, `There is no indicator "nope" in the catalogue; /indicators lists them.`},
		{"/indicators/einwohner/series?level=gemeinde", 400, `query parameter code: missing; name the area by its code`},
		{"/indicators/einwohner/series?code=010020003", 400, `query parameter level: missing; name a level such as gemeinde (/collections lists them)`},
		{"/indicators/einwohner/series?level=kreis&code=16056", 404, `Level "kreis" has no area "16056" valid on ` + time.Now().Format(time.DateOnly) + `.`},
		{"/indicators/einwohner/series?level=kreis&code=16056&datetime=2021-07-01", 404, `Level "kreis" has no area "16056" valid on 2021-07-01.`},
		{"/indicators/einwohner/series?level=kreis&code=16063&period=2018-12-31", 400, `query parameter "period": unknown; this resource takes code, datetime, f, level`},
	} {
		checkProblem(t, srv.URL, tt.path, "", tt.status, tt.detail)
	}
}
