package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestViewerShowsDensity opens the atlas at the root in headless Chromium,
// as a browser after make run does: without a chosen map it shows the
// Kreise by population density. The legend must be the classification
// API's, the area under the map's centre (Jena) must carry its published
// density, and its pixel must have the colour of its class. The
// screenshot is kept as a test artifact (go test -artifacts).
func TestViewerShowsDensity(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)

	shot := filepath.Join(t.ArtifactDir(), "viewer-kreise-dichte.png")
	// Jena's market square in the middle of the map
	out := render(t, node, srv.URL+"/#map=9/50.9272/11.5863", shot)
	var res struct {
		Result struct {
			State   map[string]string
			Classes []struct {
				Label  string
				Count  int
				Colour string
				Lower  float64
			}
			Center   struct{ X, Y float64 }
			Features []map[string]any
		}
	}
	pageResult(t, out, &res.Result)
	st := res.Result.State
	if st["level"] != "kreis" || st["indicator"] != "dichte" || st["period"] != "2022-12-31" || st["method"] != "quantile" || st["k"] != "5" {
		t.Errorf("state %v, want the Kreise by density of 2022-12-31 in 5 quantiles", st)
	}

	var api struct {
		Classes []struct {
			Label  string
			Count  int
			Colour string
			Lower  float64
		}
	}
	getJSON(t, srv.URL+"/indicators/dichte/classes?level=kreis&period=2022-12-31&method=quantile&k=5", &api)
	if fmt.Sprint(res.Result.Classes) != fmt.Sprint(api.Classes) || len(api.Classes) != 5 {
		t.Errorf("legend %v, want the API's %v", res.Result.Classes, api.Classes)
	}

	var values struct {
		Rows []struct {
			Code  string   `json:"code"`
			Value *float64 `json:"value"`
		} `json:"rows"`
	}
	getJSON(t, srv.URL+"/indicators/dichte/values?level=kreis&period=2022-12-31", &values)
	var jenaDensity float64
	for _, r := range values.Rows {
		if r.Code == "16053" && r.Value != nil {
			jenaDensity = *r.Value
		}
	}
	fs := res.Result.Features
	if len(fs) != 1 || fs[0]["code"] != "16053" || fs[0]["dichte"] != jenaDensity || jenaDensity == 0 {
		t.Fatalf("features under the centre: %v, want Jena (16053) with density %v", fs, jenaDensity)
	}
	class := 0
	for i, c := range api.Classes {
		if jenaDensity >= c.Lower {
			class = i
		}
	}
	if got := pixelAt(t, shot, res.Result.Center.X, res.Result.Center.Y); got != api.Classes[class].Colour {
		t.Errorf("colour at Jena: %s, want %s of class %q", got, api.Classes[class].Colour, api.Classes[class].Label)
	}
}

// TestViewerProfile clicks the area under the map's centre (Jena) in
// headless Chromium at 1366×768: the area profile must show the values the
// profile API gives, chart each indicator over the periods the series API
// gives, point by point, and link a CSV download of itself.
func TestViewerProfile(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-profile-jena.png")
	out := render(t, node, srv.URL+"/#map=9/50.9272/11.5863", shot, "click-center")
	var res struct{ Profile viewerProfile }
	pageOutput(t, out, &res)
	var api struct {
		Indicators []struct {
			Key   string
			Value *float64
		}
	}
	getJSON(t, srv.URL+"/areas/kreis/16053/profile?period=2022-12-31", &api)
	if res.Profile.Code != "16053" || len(res.Profile.Values) != len(api.Indicators) || len(api.Indicators) == 0 {
		t.Fatalf("profile of %q with %d values, want Jena (16053) with the API's %d", res.Profile.Code, len(res.Profile.Values), len(api.Indicators))
	}
	for _, e := range api.Indicators {
		got := res.Profile.Values[e.Key]
		if (got == nil) != (e.Value == nil) || (got != nil && *got != *e.Value) {
			t.Errorf("%s: page %v, API %v", e.Key, got, e.Value)
		}
	}

	// Every indicator with more than one period has its chart, drawn
	// through the series API's values.
	charted := 0
	for _, e := range api.Indicators {
		want := seriesPoints(t, srv.URL, e.Key, "kreis", "16053")
		if len(want) < 2 {
			continue
		}
		charted++
		if got := fmt.Sprint(res.Profile.Series[e.Key]); got != want {
			t.Errorf("chart of %s: %s, series API %s", e.Key, got, want)
		}
	}
	// Jena's density and population, as the demo has them
	for key, want := range map[string]string{
		"dichte":    "[[2018-12-31 971] [2022-12-31 969]]",
		"einwohner": "[[2018-12-31 111407] [2022-12-31 111191]]",
	} {
		if got := fmt.Sprint(res.Profile.Series[key]); got != want {
			t.Errorf("chart of %s: %s, want %s", key, got, want)
		}
	}
	if charted != len(res.Profile.Series) || charted != 6 {
		t.Errorf("%d charts, want the 6 indicators with a series: %v", len(res.Profile.Series), res.Profile.Series)
	}

	// The CSV link gives the profile's table.
	resp, err := http.Get(res.Profile.CSV)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if res.Profile.CSV != srv.URL+"/areas/kreis/16053/profile?period=2022-12-31&f=csv" || resp.StatusCode != 200 ||
		resp.Header.Get("Content-Type") != "text/csv; charset=utf-8; header=present" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="profil_kreis_16053_2022-12-31.csv"` ||
		!strings.HasPrefix(string(body), "\uFEFFKategorie;Indikator;Einheit;Wert Jena (kreis);Status;Sperrgrund;Thüringen (land);Deutschland (staat);Rang;Von\r\n") ||
		!strings.Contains(string(body), "\r\nFläche/Siedlung;Bevölkerungsdichte;Einw./km²;969;") {
		t.Errorf("CSV link %s: %d %v\n%s", res.Profile.CSV, resp.StatusCode, resp.Header, body)
	}
}

// viewerProfile is what the page says its profile shows
// (window.atlasProfile).
type viewerProfile struct {
	Code, Level, Period string
	Values              map[string]*float64
	// Series are the charts' points, [period, value or null]; Gaps name the
	// mark of each point without a value.
	Series  map[string][][]any
	Gaps    map[string][][]string
	Indices []struct {
		Key, Period string
		Value       *float64
		Label       *string
	}
	CSV string
}

// seriesPoints is an indicator's series at an area from the series API,
// written as the page's chart points print.
func seriesPoints(t *testing.T, base, key, level, code string) string {
	t.Helper()
	var api struct {
		Series []struct {
			Period string
			Value  *float64
		}
	}
	getJSON(t, base+"/indicators/"+key+"/series?level="+level+"&code="+code, &api)
	points := [][]any{}
	for _, p := range api.Series {
		var v any
		if p.Value != nil {
			v = *p.Value
		}
		points = append(points, []any{p.Period, v})
	}
	return fmt.Sprint(points)
}

// TestViewerIndexProfile opens the profile of a Berlin Planungsraum, a
// level without geometry, as another view of the page would: it must name
// the classes of the MSS 2021 indices, computed for 2020 while the profile
// shows 2022, and axe-core must find no serious or critical violation with
// the profile open. Pankower Tor had no residents counted for 2020: its
// chart marks that period as missing instead of drawing a value.
func TestViewerIndexProfile(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	for _, tt := range []struct {
		code, indices, series, gaps string
	}{
		{"01100101", "[mss_status 2020-12-31 -0.33 mittel] [mss_dynamik 2020-12-31 1.27 negativ] [mss_status_dynamik 2020-12-31 <nil> 2.3 mittel / negativ]",
			"[[2020-12-31 3419] [2022-06-30 3503]]", "[]"},
		{"03400831", "", "[[2020-12-31 <nil>] [2022-06-30 0]]", "[[2020-12-31 missing]]"},
	} {
		shot := filepath.Join(t.ArtifactDir(), "viewer-profile-planungsraum-"+tt.code+".png")
		out := render(t, node, srv.URL+"/", shot, "profile=planungsraum/"+tt.code+",axe")
		var res struct {
			Profile viewerProfile
			Axe     axeViolations
		}
		pageOutput(t, out, &res)
		p := res.Profile
		var indices []string
		for _, i := range p.Indices {
			v := "<nil>"
			if i.Value != nil {
				v = fmt.Sprint(*i.Value)
			}
			indices = append(indices, fmt.Sprintf("[%s %s %s %s]", i.Key, i.Period, v, strp(i.Label)))
		}
		if p.Code != tt.code || p.Level != "planungsraum" || p.Period != "2022-06-30" || strings.Join(indices, " ") != tt.indices {
			t.Errorf("%s: profile of %s/%s on %s with indices %s, want %s", tt.code, p.Level, p.Code, p.Period, indices, tt.indices)
		}
		if got, api := fmt.Sprint(p.Series["einwohner"]), seriesPoints(t, srv.URL, "einwohner", "planungsraum", tt.code); got != tt.series || got != api {
			t.Errorf("%s: chart of einwohner %s, want %s, series API %s", tt.code, got, tt.series, api)
		}
		if got := fmt.Sprint(p.Gaps["einwohner"]); got != tt.gaps {
			t.Errorf("%s: gaps %s, want %s", tt.code, got, tt.gaps)
		}
		res.Axe.check(t, tt.code)
	}
}

// pageOutput decodes what render.mjs printed into v; the page must have
// logged no error.
func pageOutput(t *testing.T, out []byte, v any) {
	t.Helper()
	var res struct{ Errors []string }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("render.mjs said %s: %v", out, err)
	}
	if len(res.Errors) > 0 {
		t.Errorf("console errors: %q", res.Errors)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("render.mjs said %s: %v", out, err)
	}
}

// axeViolations are the WCAG 2.1 A/AA violations axe-core found.
type axeViolations []struct {
	ID, Impact, Help string
	Nodes            []string
}

// check fails the test on serious and critical violations on the page.
func (vs axeViolations) check(t *testing.T, page string) {
	t.Helper()
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("%s: axe-core: %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
}

func strp(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestViewerSharedLink opens a shared link in a fresh browser: the page
// must restore its level, indicator, period, classification and view, and
// axe-core's WCAG 2.1 A/AA rules must find no serious or critical
// violation.
func TestViewerSharedLink(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	link := "/#level=kreis&indicator=einwohner&period=2018-12-31&method=jenks&k=4&view=values&filter=einwohner%20%3E%20500000&map=9.00%2F50.9272%2F11.5863"
	shot := filepath.Join(t.ArtifactDir(), "viewer-shared-link.png")
	out := render(t, node, srv.URL+link, shot, "axe")
	var res struct {
		Result struct {
			State   map[string]string
			Classes []struct{ Label string }
		}
		Axe axeViolations
	}
	pageOutput(t, out, &res)
	want := map[string]string{"level": "kreis", "indicator": "einwohner", "period": "2018-12-31",
		"method": "jenks", "k": "4", "view": "values", "filter": "einwohner > 500000", "map": "9.00/50.9272/11.5863"}
	if fmt.Sprint(res.Result.State) != fmt.Sprint(want) {
		t.Errorf("state %v, want the link's %v", res.Result.State, want)
	}
	var api struct{ Classes []struct{ Label string } }
	getJSON(t, srv.URL+"/indicators/einwohner/classes?level=kreis&period=2018-12-31&method=jenks&k=4", &api)
	if fmt.Sprint(res.Result.Classes) != fmt.Sprint(api.Classes) || len(api.Classes) != 4 {
		t.Errorf("legend %v, want the API's %v", res.Result.Classes, api.Classes)
	}
	res.Axe.check(t, link)
}

// TestViewerClustersAndFilter opens a link to the LISA clusters of the
// Kreise's density with a filter: the legend must count the clusters of
// /indicators/dichte/local, and the filtered list must be the areas the
// same filter selects through /items.
func TestViewerClustersAndFilter(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-lisa-filter.png")
	out := render(t, node, srv.URL+"/#view=lisa&filter=dichte%20%3E%202000", shot)
	var res struct {
		Classes []struct{ Count int }
		Filter  struct {
			Codes  []string
			Status string
		}
	}
	pageResult(t, out, &res)
	// the demo's 400 Kreise: 25 hh, 76 ll, 7 hl, 1 lh, 291 not significant
	if got := fmt.Sprint(res.Classes); got != "[{25} {76} {7} {1} {291}]" {
		t.Errorf("cluster legend %s", got)
	}
	var fc struct {
		NumberMatched int
		Features      []struct{ Properties struct{ Code string } }
	}
	getJSON(t, srv.URL+"/collections/kreis/items?filter=dichte%20%3E%202000&sortby=name&limit=1000", &fc)
	var want []string
	for _, f := range fc.Features {
		want = append(want, f.Properties.Code)
	}
	if fmt.Sprint(res.Filter.Codes) != fmt.Sprint(want) || len(want) == 0 ||
		res.Filter.Status != fmt.Sprintf("%d Gebiete erfüllen den Filter.", fc.NumberMatched) {
		t.Errorf("filtered %v (%q), want %v", res.Filter.Codes, res.Filter.Status, want)
	}
}

// TestViewerBerlinPrognoseraeume switches to Berlin's 58 Prognoseräume:
// the page offers their indicators, first the catalogue's first with
// values there, and maps the age structure of 30 June 2022.
func TestViewerBerlinPrognoseraeume(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-prognoseraeume.png")
	out := render(t, node, srv.URL+"/#level=prognoseraum&indicator=anteil_65plus&map=10/52.5/13.4", shot)
	var res struct {
		State   map[string]string
		Classes []struct{ Count int }
	}
	pageResult(t, out, &res)
	areas := 0
	for _, c := range res.Classes {
		areas += c.Count
	}
	if res.State["indicator"] != "anteil_65plus" || res.State["period"] != "2022-06-30" || areas != 58 {
		t.Errorf("state %v with %d areas in the legend, want anteil_65plus of 2022-06-30 over 58 Prognoseräume", res.State, areas)
	}
}
