package indicators

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

type classesAnswerDoc struct {
	Indicator  map[string]any
	Level      string
	Period     string
	Method     string
	K          int
	KRequested int `json:"k_requested"`
	Scheme     string
	Mean, SD   *float64
	Breaks     []float64
	Classes    []struct {
		Class         int
		Lower, Upper  float64
		Count         int
		Colour, Label string
	}
	Suppressed, Missing struct {
		Count   int
		Colour  string
		Pattern string
		Label   string
		Filter  json.RawMessage
	}
	Property string
	MapLibre json.RawMessage
}

// TestClassesJSON: the fixture's SGB II quota of the Gemeinden is 10.0,
// 8.0 and 5.0 where published and withheld for two (4.0 and 0.7, which
// must not take part: the lowest break is 5); its polarity is
// higher_worse, so the default colours are YlOrRd.
func TestClassesJSON(t *testing.T) {
	srv, _ := outputServer(t)
	const yl1, yl2, yl3 = "#ffeda0", "#feb24c", "#f03b20" // YlOrRd, 3 classes
	// the published quotas' mean and sample standard deviation, two-pass
	mean := (5.0 + 8 + 10) / 3
	sd := math.Sqrt(((5-mean)*(5-mean) + (8-mean)*(8-mean) + (10-mean)*(10-mean)) / 2)
	for _, tt := range []struct {
		path        string
		method      string
		k, asked    int
		scheme      string
		breaks      []float64
		counts      []int
		colours     []string
		labels      []string
		suppressed  int
		missing     int
		maplibre    string
		level, year string
	}{
		// three distinct values for five classes: one class each
		{"/indicators/sgb2_quote/classes?level=gemeinde", "quantile", 3, 5, "YlOrRd",
			[]float64{5, 6.5, 9, 10}, []int{1, 1, 1}, []string{yl1, yl2, yl3},
			[]string{"5,0 bis unter 6,5 %", "6,5 bis unter 9,0 %", "9,0 bis 10,0 %"}, 2, 0,
			`["case",["has","sgb2_quote"],["step",["get","sgb2_quote"],"#ffeda0",6.5,"#feb24c",9,"#f03b20"],` +
				`["==",["get","sgb2_quote_status"],"suppressed"],"#969696","#d9d9d9"]`, "gemeinde", "2022-12-31"},
		{"/indicators/sgb2_quote/classes?level=gemeinde&method=equal&k=2", "equal", 2, 2, "YlOrRd",
			[]float64{5, 7.5, 10}, []int{1, 2}, []string{yl1, yl3},
			[]string{"5,0 bis unter 7,5 %", "7,5 bis 10,0 %"}, 2, 0,
			`["case",["has","sgb2_quote"],["step",["get","sgb2_quote"],"#ffeda0",7.5,"#f03b20"],` +
				`["==",["get","sgb2_quote_status"],"suppressed"],"#969696","#d9d9d9"]`, "gemeinde", "2022-12-31"},
		// {5} {8, 10}: 2 against 4.5 for {5, 8} {10}
		{"/indicators/sgb2_quote/classes?level=gemeinde&method=jenks&k=2&scheme=Greens_r", "jenks", 2, 2, "Greens_r",
			[]float64{5, 6.5, 10}, []int{1, 2}, []string{"#31a354", "#e5f5e0"},
			[]string{"5,0 bis unter 6,5 %", "6,5 bis 10,0 %"}, 2, 0, "", "gemeinde", "2022-12-31"},
		{"/indicators/sgb2_quote/classes?level=gemeinde&method=manual&breaks=6,9", "manual", 3, 3, "YlOrRd",
			[]float64{5, 6, 9, 10}, []int{1, 1, 1}, []string{yl1, yl2, yl3},
			[]string{"unter 6,0 %", "6,0 bis unter 9,0 %", "9,0 % und mehr"}, 2, 0,
			`["case",["has","sgb2_quote"],["step",["get","sgb2_quote"],"#ffeda0",6,"#feb24c",9,"#f03b20"],` +
				`["==",["get","sgb2_quote_status"],"suppressed"],"#969696","#d9d9d9"]`, "gemeinde", "2022-12-31"},
		// mean 7.667, sd 2.517: breaks at ±½ sd; higher is worse, so blue
		// below the mean and red above (RdBu reversed)
		{"/indicators/sgb2_quote/classes?level=gemeinde&method=stddev&k=3", "stddev", 3, 3, "RdBu_r",
			[]float64{5, mean + -0.5*sd, mean + 0.5*sd, 10}, []int{1, 1, 1},
			[]string{"#67a9cf", "#f7f7f7", "#ef8a62"},
			[]string{"5,0 bis unter 6,5 %", "6,5 bis unter 9,0 %", "9,0 bis 10,0 %"}, 2, 0, "", "gemeinde", "2022-12-31"},
		// a count; the kind does not matter
		{"/indicators/sgb2/classes?level=gemeinde&method=jenks&k=2", "jenks", 2, 2, "YlOrRd",
			[]float64{40, 70, 120}, []int{1, 2}, []string{yl1, yl3},
			[]string{"40 bis unter 70 Personen", "70 bis 120 Personen"}, 2, 0, "", "gemeinde", "2022-12-31"},
		// a neutral count on the Kreise of 2020, one without a value
		{"/indicators/einwohner/classes?level=kreis&period=2018-12-31&datetime=2020-01-01&method=equal&k=2", "equal", 2, 2, "Blues",
			[]float64{3535, 61767.5, 120000}, []int{2, 1}, []string{"#deebf7", "#3182bd"},
			[]string{"3.535 bis unter 61.768 Personen", "61.768 bis 120.000 Personen"}, 0, 1,
			`["case",["has","einwohner"],["step",["get","einwohner"],"#deebf7",61767.5,"#3182bd"],` +
				`["==",["get","einwohner_status"],"suppressed"],"#969696","#d9d9d9"]`, "kreis", "2018-12-31"},
		// every value withheld but one: a single class, no step
		{"/indicators/einwohner/classes?level=land&period=2018-12-31&method=jenks", "jenks", 1, 5, "Blues",
			[]float64{3535, 3535}, []int{1}, []string{"#9ecae1"}, []string{"3.535 Personen"}, 0, 2,
			`["case",["has","einwohner"],"#9ecae1",["==",["get","einwohner_status"],"suppressed"],"#969696","#d9d9d9"]`, "land", "2018-12-31"},
	} {
		var doc classesAnswerDoc
		fetchJSON(t, srv.URL+tt.path, &doc)
		var values valuesDoc
		vpath := strings.Replace(tt.path, "/classes?", "/values?", 1)
		if i := strings.Index(vpath, "&method"); i > 0 {
			vpath = vpath[:i]
		}
		fetchJSON(t, srv.URL+vpath, &values)
		if doc.Method != tt.method || doc.K != tt.k || doc.KRequested != tt.asked || doc.Scheme != tt.scheme ||
			doc.Level != tt.level || doc.Period != tt.year || doc.Indicator["key"] != doc.Property || doc.Property == "" {
			t.Errorf("%s: method %s k %d of %d scheme %s level %s period %s property %s", tt.path, doc.Method, doc.K, doc.KRequested,
				doc.Scheme, doc.Level, doc.Period, doc.Property)
		}
		if !floatsEqual(doc.Breaks, tt.breaks) {
			t.Errorf("%s: breaks %v, want %v", tt.path, doc.Breaks, tt.breaks)
		}
		var counts []int
		var colours, labels []string
		total := doc.Suppressed.Count + doc.Missing.Count
		for i, c := range doc.Classes {
			counts, colours, labels = append(counts, c.Count), append(colours, c.Colour), append(labels, c.Label)
			total += c.Count
			if c.Class != i+1 || c.Lower != doc.Breaks[i] || c.Upper != doc.Breaks[i+1] {
				t.Errorf("%s: class %+v", tt.path, c)
			}
		}
		if str(counts) != str(tt.counts) || str(colours) != str(tt.colours) || str(labels) != str(tt.labels) {
			t.Errorf("%s: counts %v colours %v labels %q, want %v %v %q", tt.path, counts, colours, labels, tt.counts, tt.colours, tt.labels)
		}
		if doc.Suppressed.Count != tt.suppressed || doc.Missing.Count != tt.missing || total != len(values.Rows) {
			t.Errorf("%s: %d withheld, %d missing, %d areas in all; want %d, %d and the level's %d",
				tt.path, doc.Suppressed.Count, doc.Missing.Count, total, tt.suppressed, tt.missing, len(values.Rows))
		}
		if tt.maplibre != "" && string(doc.MapLibre) != tt.maplibre {
			t.Errorf("%s: maplibre\n%s\nwant\n%s", tt.path, doc.MapLibre, tt.maplibre)
		}
		key := doc.Property
		if doc.Suppressed.Colour != "#969696" || doc.Suppressed.Pattern != "hatch" || doc.Suppressed.Label != "gesperrt (Geheimhaltung)" ||
			string(doc.Suppressed.Filter) != `["==",["get","`+key+`_status"],"suppressed"]` ||
			doc.Missing.Colour != "#d9d9d9" || doc.Missing.Label != "keine Daten" ||
			string(doc.Missing.Filter) != `["all",["!",["has","`+key+`"]],["!",["==",["get","`+key+`_status"],"suppressed"]]]` {
			t.Errorf("%s: left out %+v %+v", tt.path, doc.Suppressed, doc.Missing)
		}
		if (doc.Method == "stddev") != (doc.Mean != nil && doc.SD != nil) {
			t.Errorf("%s: mean %v sd %v", tt.path, doc.Mean, doc.SD)
		}
	}
}

func floatsEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestClassesStddevJSON: the classes' bounds in standard deviations.
func TestClassesStddevJSON(t *testing.T) {
	srv, _ := outputServer(t)
	body := fetchJSON(t, srv.URL+"/indicators/sgb2_quote/classes?level=gemeinde&method=stddev&k=3", &struct{}{})
	s := string(body)
	for _, want := range []string{`"mean":7.666666666666667,`, `"sd":2.516611478423583,`,
		`"label":"5,0 bis unter 6,5 %","sd_upper":-0.5}`,
		`"label":"6,5 bis unter 9,0 %","sd_lower":-0.5,"sd_upper":0.5}`,
		`"label":"9,0 bis 10,0 %","sd_lower":0.5}`} {
		if !strings.Contains(s, want) {
			t.Errorf("no %s in %s", want, s)
		}
	}
}

func TestClassesCSV(t *testing.T) {
	srv, _ := outputServer(t)
	res, body := fetch(t, srv.URL+"/indicators/sgb2_quote/classes?level=gemeinde&method=manual&breaks=6,9.25&f=csv", "")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8; header=present" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="sgb2_quote_gemeinde_2022-12-31_klassen.csv"` {
		t.Errorf("%d %v", res.StatusCode, res.Header)
	}
	want := "\uFEFFKlasse;Untergrenze;Obergrenze;Anzahl;Farbe;Beschriftung\r\n" +
		"1;5;6;1;#ffeda0;unter 6,0 %\r\n" +
		"2;6;9,25;1;#feb24c;6,0 bis unter 9,3 %\r\n" +
		"3;9,25;10;1;#f03b20;9,3 % und mehr\r\n" +
		";;;2;#969696;gesperrt (Geheimhaltung)\r\n" +
		";;;0;#d9d9d9;keine Daten\r\n"
	if string(body) != want {
		t.Errorf("\n%q\nwant\n%q", body, want)
	}
	res, _ = fetch(t, srv.URL+"/indicators/sgb2_quote/classes?level=gemeinde", "text/csv")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("Accept: text/csv: %d %v", res.StatusCode, res.Header)
	}
}

func TestClassesProblems(t *testing.T) {
	srv, _ := outputServer(t)
	base := "/indicators/sgb2_quote/classes?level=gemeinde"
	for _, tt := range []struct {
		path   string
		status int
		detail string
	}{
		{base + "&method=kmeans", 400, `query parameter method: "kmeans" is not a method; use quantile, equal, jenks, stddev, manual`},
		{base + "&k=1", 400, `query parameter k: "1" is not a number of classes from 2 to 9`},
		{base + "&k=10", 400, `query parameter k: "10" is not a number of classes from 2 to 9`},
		{base + "&k=fünf", 400, `query parameter k: "fünf" is not a number of classes from 2 to 9`},
		{base + "&method=manual", 400, `query parameter breaks: missing; method manual needs the breaks`},
		{base + "&breaks=10", 400, `query parameter breaks: given with method quantile; breaks are for method manual`},
		{base + "&method=manual&breaks=10,5", 400, `query parameter breaks: 5 after 10; give the breaks in increasing order, each once`},
		{base + "&method=manual&breaks=10,10", 400, `query parameter breaks: 10 after 10`},
		{base + "&method=manual&breaks=10,x", 400, `query parameter breaks: "x" is not a number`},
		{base + "&method=manual&breaks=1,NaN", 400, `query parameter breaks: "NaN" is not a number`},
		{base + "&method=manual&breaks=1,2,3,4,5,6,7,8,9", 400, `query parameter breaks: 9 breaks make 10 classes; give at most 8 breaks`},
		{base + "&method=manual&breaks=1,2&k=4", 400, `query parameter k: 4 classes, but the 2 breaks make 3`},
		{base + "&method=manual&breaks=10.01,10.02", 400, `query parameter breaks: no value published with 1 decimal place(s) lies between 10.01 and 10.02`},
		{base + "&scheme=Set1", 400, `query parameter scheme: "Set1" is not a scheme; use one of Blues,`},
		{base + "&f=xlsx", 400, `query parameter f: "xlsx" is not a format of this resource; use json, csv`},
		{base + "&period=2022", 400, `query parameter period: "2022" is not a date`},
		{base + "&colour=red", 400, `query parameter "colour": unknown`},
		{"/indicators/sgb2_quote/classes", 400, `query parameter level: missing`},
		{"/indicators/sgb2_quote/classes?level=ortsteil", 400, `query parameter level: "ortsteil" is not a level`},
		{"/indicators/sgb3/classes?level=gemeinde", 404, `There is no indicator "sgb3" in the catalogue`},
		{base + "&period=2019-12-31", 404, `Indicator "sgb2_quote" has no values for level "gemeinde" in period 2019-12-31`},
		{"/indicators/sgb2_quote/classes?level=land&datetime=2020-01-01&period=2018-12-31", 404, `has no values for level "land"`},
	} {
		res, body := fetch(t, srv.URL+tt.path, "")
		var p struct {
			Status int
			Detail string
		}
		if err := json.Unmarshal(body, &p); err != nil || res.StatusCode != tt.status || p.Status != tt.status ||
			res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, tt.detail) {
			t.Errorf("%s: %d %s\nwant %d with %q", tt.path, res.StatusCode, body, tt.status, tt.detail)
		}
	}
}
