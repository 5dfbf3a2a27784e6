package main

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sozialatlas/sozialatlas/indicators"
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
	renderOutput(t, out, &res)
	api := sameProfile(t, srv.URL, "kreis", "16053", "2022-12-31", res.Profile)

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
	Parent              map[string]*float64
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

// profileAPI is the part of the profile API's answer the page's values
// are compared with.
type profileAPI struct {
	Indicators []struct {
		Key        string
		Value      *float64
		Comparison map[string]struct{ Value *float64 }
	}
}

// sameProfile checks that the page shows the profile API's values of the
// area in the period, and returns the API's answer.
func sameProfile(t *testing.T, base, level, code, period string, p viewerProfile) profileAPI {
	t.Helper()
	var api profileAPI
	getJSON(t, fmt.Sprintf("%s/areas/%s/%s/profile?period=%s", base, level, code, period), &api)
	if p.Code != code || p.Period != period || len(p.Values) != len(api.Indicators) || len(api.Indicators) == 0 {
		t.Fatalf("profile of %s on %s with %d values, want %s's of %s with the API's %d", p.Code, p.Period, len(p.Values), code, period, len(api.Indicators))
	}
	for _, e := range api.Indicators {
		if got := p.Values[e.Key]; (got == nil) != (e.Value == nil) || (got != nil && *got != *e.Value) {
			t.Errorf("%s: page %v, API %v", e.Key, got, e.Value)
		}
	}
	return api
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
		out := render(t, node, srv.URL+"/", shot, "profile=planungsraum/"+tt.code, "axe")
		var res struct {
			Profile viewerProfile
			Axe     []axeViolation
		}
		renderOutput(t, out, &res)
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
		noSeriousViolation(t, res.Axe)
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
		Axe         []axeViolation
		AriaLabels  []string
		HiddenShown []string
	}
	renderOutput(t, out, &res)
	// nothing marked hidden shows (a label without its control, say)
	if len(res.HiddenShown) > 0 {
		t.Errorf("elements marked hidden but shown: %q", res.HiddenShown)
	}
	// the map's own controls speak German too
	for _, label := range []string{"Vergrößern", "Verkleinern", "Karte: mit den Pfeiltasten verschieben, mit + und − vergrößern und verkleinern"} {
		if !slices.Contains(res.AriaLabels, label) {
			t.Errorf("no element labelled %q among %q", label, res.AriaLabels)
		}
	}
	for _, label := range res.AriaLabels {
		if label == "Zoom in" || label == "Map" {
			t.Errorf("English label %q", label)
		}
	}
	want := map[string]string{"level": "kreis", "indicator": "einwohner", "period": "2018-12-31",
		"method": "jenks", "k": "4", "view": "values", "filter": "einwohner > 500000", "map": "9.00/50.9272/11.5863",
		"period2": "2018-12-31"}
	if fmt.Sprint(res.Result.State) != fmt.Sprint(want) {
		t.Errorf("state %v, want the link's %v", res.Result.State, want)
	}
	var api struct{ Classes []struct{ Label string } }
	getJSON(t, srv.URL+"/indicators/einwohner/classes?level=kreis&period=2018-12-31&method=jenks&k=4", &api)
	if fmt.Sprint(res.Result.Classes) != fmt.Sprint(api.Classes) || len(api.Classes) != 4 {
		t.Errorf("legend %v, want the API's %v", res.Result.Classes, api.Classes)
	}
	noSeriousViolation(t, res.Axe)
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

// legendClass is a class of the legend as the page reports it.
type legendClass struct {
	Label  string
	Count  int
	Colour string
	Lower  float64
}

// valueOf reads the published value of one area from /values.
func valueOf(t *testing.T, base, key, level, period, code string) float64 {
	t.Helper()
	var doc struct {
		Rows []struct {
			Code  string
			Value *float64
		}
	}
	getJSON(t, fmt.Sprintf("%s/indicators/%s/values?level=%s&period=%s", base, key, level, period), &doc)
	for _, r := range doc.Rows {
		if r.Code == code && r.Value != nil {
			return *r.Value
		}
	}
	t.Fatalf("%s has no published %s at %s in %s", code, key, level, period)
	return 0
}

// classOf is the class of v: the last whose lower bound v reaches.
func classOf(classes []legendClass, v float64) legendClass {
	c := classes[0]
	for _, k := range classes {
		if v >= k.Lower {
			c = k
		}
	}
	return c
}

// TestViewerChangeAndExport opens the change map of the Kreise's
// residents from 2018 to 2022 and exports it as PNG: the legend must be
// the classification API's classes of the change, Jena's change the
// difference of its two published figures, its pixel the colour of its
// class, and the exported picture must carry the legend's colours where
// the page says it drew them.
func TestViewerChangeAndExport(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-change.png")
	out := render(t, node, srv.URL+"/#view=change&indicator=einwohner&period2=2018-12-31&map=9/50.9272/11.5863", shot, "export")
	var res struct {
		Result struct {
			State    map[string]string
			Classes  []legendClass
			Center   struct{ X, Y float64 }
			Features []map[string]any
		}
		Exported struct {
			Name          string
			Width, Height int
			Swatches      []struct {
				X, Y   float64
				Colour string
			}
		}
	}
	renderOutput(t, out, &res)
	if st := res.Result.State; st["view"] != "change" || st["period"] != "2022-12-31" || st["period2"] != "2018-12-31" {
		t.Errorf("state %v, want the change from 2018-12-31 to 2022-12-31", st)
	}
	var api struct {
		Scheme  string
		Classes []legendClass
	}
	getJSON(t, srv.URL+"/indicators/einwohner/classes?level=kreis&period=2022-12-31&period2=2018-12-31&method=quantile&k=5", &api)
	if fmt.Sprint(res.Result.Classes) != fmt.Sprint(api.Classes) || len(api.Classes) != 6 || api.Scheme != "Oranges_r|Purples" {
		t.Errorf("legend %v, want the API's %v (%s)", res.Result.Classes, api.Classes, api.Scheme)
	}
	change := valueOf(t, srv.URL, "einwohner", "kreis", "2022-12-31", "16053") - valueOf(t, srv.URL, "einwohner", "kreis", "2018-12-31", "16053")
	fs := res.Result.Features
	if len(fs) != 1 || fs[0]["code"] != "16053" || fs[0]["einwohner_change"] != change {
		t.Fatalf("features under the centre: %v, want Jena (16053) with a change of %v", fs, change)
	}
	class := classOf(api.Classes, change)
	if got := pixelAt(t, shot, res.Result.Center.X, res.Result.Center.Y); got != class.Colour {
		t.Errorf("colour at Jena: %s, want %s of class %q", got, class.Colour, class.Label)
	}

	exported := filepath.Join(t.ArtifactDir(), "viewer-change-export.png")
	if res.Exported.Name != "sozialatlas_kreis_einwohner_change_2022-12-31.png" || res.Exported.Width < 800 || len(res.Exported.Swatches) != len(api.Classes) {
		t.Fatalf("export %+v", res.Exported)
	}
	f, err := os.Open(exported)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != res.Exported.Width || cfg.Height != res.Exported.Height {
		t.Fatalf("exported PNG %+v (%v), want %d×%d", cfg, err, res.Exported.Width, res.Exported.Height)
	}
	for i, s := range res.Exported.Swatches {
		if got := pixelAt(t, exported, s.X, s.Y); s.Colour != api.Classes[i].Colour || got != s.Colour {
			t.Errorf("swatch %d in the PNG: %s, want %s", i+1, got, api.Classes[i].Colour)
		}
	}
}

// TestViewerSideBySide shows 2022 and 2018 side by side: both maps with
// the breaks of 2022, so that equal colours mean equal values; the
// legend counts 2018's areas in those classes as the API's manual
// classification does, and each map shows Jena with its period's value
// in its class's colour.
func TestViewerSideBySide(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-side-by-side.png")
	out := render(t, node, srv.URL+"/#view=side&indicator=einwohner&period2=2018-12-31&map=9/50.9272/11.5863", shot)
	type mapResult struct {
		Classes  []legendClass
		Center   struct{ X, Y float64 }
		Features []map[string]any
	}
	var res struct {
		mapResult
		Side mapResult
	}
	pageResult(t, out, &res)
	var now, then struct{ Classes []legendClass }
	getJSON(t, srv.URL+"/indicators/einwohner/classes?level=kreis&period=2022-12-31&method=quantile&k=5", &now)
	inner := make([]string, 0, len(now.Classes)-1)
	for _, c := range now.Classes[1:] {
		inner = append(inner, strconv.FormatFloat(c.Lower, 'f', -1, 64))
	}
	getJSON(t, srv.URL+"/indicators/einwohner/classes?level=kreis&period=2018-12-31&method=manual&breaks="+strings.Join(inner, ","), &then)
	if fmt.Sprint(res.Classes) != fmt.Sprint(now.Classes) || len(res.Side.Classes) != len(now.Classes) {
		t.Fatalf("legend %v and %v, want 2022's classes %v", res.Classes, res.Side.Classes, now.Classes)
	}
	for i, c := range res.Side.Classes {
		if c.Count != then.Classes[i].Count {
			t.Errorf("class %d: %d areas in 2018, the API counts %d", i+1, c.Count, then.Classes[i].Count)
		}
	}
	for _, m := range []struct {
		period string
		res    mapResult
	}{{"2022-12-31", res.mapResult}, {"2018-12-31", res.Side}} {
		v := valueOf(t, srv.URL, "einwohner", "kreis", m.period, "16053")
		if fs := m.res.Features; len(fs) != 1 || fs[0]["code"] != "16053" || fs[0]["einwohner"] != v {
			t.Errorf("%s: features under the centre %v, want Jena with %v", m.period, fs, v)
			continue
		}
		class := classOf(now.Classes, v)
		if got := pixelAt(t, shot, m.res.Center.X, m.res.Center.Y); got != class.Colour {
			t.Errorf("%s: colour at Jena %s, want %s of class %q", m.period, got, class.Colour, class.Label)
		}
	}
}

// TestViewerPhone opens the atlas in a phone's viewport: the page must
// not scroll sideways, the map must take the full width and a usable
// height, and axe-core must find no serious violation there either.
func TestViewerPhone(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-phone.png")
	out := render(t, node, srv.URL+"/", shot, "phone", "axe")
	var res struct {
		Result struct{ Classes []legendClass }
		Layout struct {
			InnerWidth, ScrollWidth float64
			Map, Controls           struct{ X, Y, Width, Height float64 }
		}
		Axe []axeViolation
	}
	renderOutput(t, out, &res)
	l := res.Layout
	if l.InnerWidth != 390 || l.ScrollWidth > l.InnerWidth || l.Map.Width != l.InnerWidth || l.Map.Height < 300 || len(res.Result.Classes) != 5 {
		t.Errorf("layout %+v with %d classes: want no sideways scrolling and the map 390 px wide, at least 300 high", l, len(res.Result.Classes))
	}
	noSeriousViolation(t, res.Axe)
}

// renderOutput decodes everything render.mjs printed into v; console
// errors fail the test.
func renderOutput(t *testing.T, out []byte, v any) {
	t.Helper()
	var page struct{ Errors []string }
	if err := json.Unmarshal(out, &page); err != nil {
		t.Fatalf("render.mjs said %s: %v", out, err)
	}
	if len(page.Errors) > 0 {
		t.Errorf("console errors: %q", page.Errors)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("render.mjs said %s: %v", out, err)
	}
}

// axeViolation is one of axe-core's findings as render.mjs prints them.
type axeViolation struct {
	ID, Impact, Help string
	Nodes            []string
}

// noSeriousViolation fails the test on a serious or critical finding; the
// minor and moderate ones are for people to weigh.
func noSeriousViolation(t *testing.T, vs []axeViolation) {
	t.Helper()
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("axe-core: %s (%s): %s at %v", v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
}

// matrixPage is what the index matrix view reports in window.result.
type matrixPage struct {
	State  map[string]string
	Matrix struct {
		Key, Level, Period string
		Geometry           bool
		Rows, Cols         []string
		Counts             [][]int
		Colours            [][]string
		Scored             int
		Excluded           []struct{ Code, Name, Reason string }
		Selected           *struct {
			Group int
			Label string
			Codes []string
		}
	}
	Center   struct{ X, Y float64 }
	Features []map[string]any
}

// indexAPI is the part of GET /indices/{key} the view shows.
type indexAPI struct {
	Level   string
	Scored  int
	Classes []struct {
		Label string
		Count int
	}
	Excluded []struct{ Code, Name, Reason string }
}

// checkMatrixAgainstAPI compares the page's cross table with the matrix
// index's group counts and its rows' and columns' class counts.
func checkMatrixAgainstAPI(t *testing.T, service string, m matrixPage, rows, cols string) indexAPI {
	t.Helper()
	var matrix, r, c indexAPI
	getJSON(t, service+"/indices/"+m.Matrix.Key, &matrix)
	getJSON(t, service+"/indices/"+rows, &r)
	getJSON(t, service+"/indices/"+cols, &c)
	var flat []int
	rowTotals := make([]int, len(m.Matrix.Counts))
	colTotals := make([]int, len(m.Matrix.Cols))
	for i, row := range m.Matrix.Counts {
		for j, n := range row {
			flat = append(flat, n)
			rowTotals[i] += n
			colTotals[j] += n
		}
	}
	var want []int
	for _, g := range matrix.Classes {
		want = append(want, g.Count)
	}
	if fmt.Sprint(flat) != fmt.Sprint(want) {
		t.Errorf("cells %v, API's groups %v", flat, want)
	}
	for i, cl := range r.Classes {
		if i >= len(rowTotals) || m.Matrix.Rows[i] != cl.Label || rowTotals[i] != cl.Count {
			t.Errorf("rows %v with totals %v, API's %s classes %v", m.Matrix.Rows, rowTotals, rows, r.Classes)
			break
		}
	}
	for j, cl := range c.Classes {
		if j >= len(colTotals) || m.Matrix.Cols[j] != cl.Label || colTotals[j] != cl.Count {
			t.Errorf("columns %v with totals %v, API's %s classes %v", m.Matrix.Cols, colTotals, cols, c.Classes)
			break
		}
	}
	if m.Matrix.Level != matrix.Level || m.Matrix.Scored != matrix.Scored ||
		fmt.Sprint(m.Matrix.Excluded) != fmt.Sprint(matrix.Excluded) {
		t.Errorf("level %s, %d scored, excluded %v; API: %s, %d, %v", m.Matrix.Level, m.Matrix.Scored, m.Matrix.Excluded,
			matrix.Level, matrix.Scored, matrix.Excluded)
	}
	return matrix
}

// TestViewerIndexMatrix opens the MSS 2021's status × dynamics matrix. Its
// Planungsräume have no geometry, so the page shows the cross table: the
// counts of the senate's report and of the index API, the six areas left
// out with their reasons, and, after Enter on a cell, that group's areas
// as /indicators/{key}/values lists them. axe-core checks the page before
// and after.
func TestViewerIndexMatrix(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-index-matrix.png")
	out := render(t, node, srv.URL+"/#view=matrix&index=mss_status_dynamik", shot,
		"axe", `press:#index-matrix td[data-group="6"] button`, "axe")
	var res struct {
		Result, Pressed matrixPage
		Axe             []axeViolation
	}
	renderOutput(t, out, &res)
	m := res.Result
	if m.State["view"] != "matrix" || m.State["index"] != "mss_status_dynamik" || m.Matrix.Geometry {
		t.Errorf("state %v, geometry %v: want the MSS matrix as a table", m.State, m.Matrix.Geometry)
	}
	// MSS 2021: status hoch 75, mittel 366, niedrig 46, sehr niedrig 49;
	// dynamics positiv 48, stabil 436, negativ 52
	if got := fmt.Sprint(m.Matrix.Rows, m.Matrix.Cols, m.Matrix.Counts); got !=
		"[hoch mittel niedrig sehr niedrig] [positiv stabil negativ] [[1 73 1] [36 296 34] [8 31 7] [3 36 10]]" {
		t.Errorf("cross table %s", got)
	}
	checkMatrixAgainstAPI(t, srv.URL, m, "mss_status", "mss_dynamik")
	if len(m.Matrix.Excluded) != 6 || m.Matrix.Scored != 536 {
		t.Errorf("%d scored, %d excluded, want 536 and 6", m.Matrix.Scored, len(m.Matrix.Excluded))
	}
	for _, x := range m.Matrix.Excluded {
		if x.Reason == "" || x.Name == "" {
			t.Errorf("excluded %+v without name or reason", x)
		}
	}

	var values struct {
		Rows []struct {
			Code  string
			Value *float64
		}
	}
	getJSON(t, srv.URL+"/indicators/mss_status_dynamik/values?level=planungsraum&period=2020-12-31", &values)
	var want []string
	for _, r := range values.Rows {
		if r.Value != nil && *r.Value == 6 {
			want = append(want, r.Code)
		}
	}
	sel := res.Pressed.Matrix.Selected
	if sel == nil || sel.Group != 6 || sel.Label != "2.3 mittel / negativ" || fmt.Sprint(sel.Codes) != fmt.Sprint(want) || len(want) != 34 {
		t.Errorf("after Enter on group 6: %+v, want its 34 areas %v", sel, want)
	}
	noSeriousViolation(t, res.Axe)
}

// TestViewerIndexMatrixMap applies a test-only matrix index on Berlin's
// Prognoseräume, which have geometry: the page maps the groups with the
// matrix as legend. The legend's counts must be the API's, the area under
// the map's centre must carry its published group, and its pixel the
// colour of that group's cell.
func TestViewerIndexMatrixMap(t *testing.T) {
	node := browser(t)
	pool := demoDB(t)
	_, ind := stores(pool)
	f, err := indicators.ReadIndexFile(filepath.Join("testdata", "indices", "prognoseraum-matrix.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ind.ApplyIndices(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newRouterOn(servingPoolOf(t, pool), serveFlags{maxLimit: 20000}, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)

	shot := filepath.Join(t.ArtifactDir(), "viewer-index-matrix-map.png")
	out := render(t, node, srv.URL+"/#view=matrix&index=test_pgr_matrix", shot, "axe")
	var res struct {
		Result matrixPage
		Axe    []axeViolation
	}
	renderOutput(t, out, &res)
	m := res.Result
	if !m.Matrix.Geometry || m.State["level"] != "prognoseraum" || len(m.Matrix.Counts) != 4 || len(m.Matrix.Cols) != 3 {
		t.Fatalf("state %v, geometry %v, %d × %d: want the Prognoseräume mapped in 4 × 3 groups",
			m.State, m.Matrix.Geometry, len(m.Matrix.Counts), len(m.Matrix.Cols))
	}
	checkMatrixAgainstAPI(t, srv.URL, m, "test_pgr_status", "test_pgr_dynamik")

	if len(m.Features) != 1 {
		t.Fatalf("features under the centre: %v, want one Prognoseraum", m.Features)
	}
	code, _ := m.Features[0]["code"].(string)
	var values struct {
		Rows []struct {
			Code  string
			Value *float64
		}
	}
	getJSON(t, srv.URL+"/indicators/test_pgr_matrix/values?level=prognoseraum&period="+m.Matrix.Period, &values)
	group := 0
	for _, r := range values.Rows {
		if r.Code == code && r.Value != nil {
			group = int(*r.Value)
		}
	}
	if group == 0 || m.Features[0]["test_pgr_matrix"] != float64(group) {
		t.Fatalf("area under the centre %v, want %s's group %d", m.Features[0], code, group)
	}
	cols := len(m.Matrix.Cols)
	want := m.Matrix.Colours[(group-1)/cols][(group-1)%cols]
	if got := pixelAt(t, shot, m.Center.X, m.Center.Y); got != want {
		t.Errorf("colour at %s (group %d): %s, want %s", code, group, got, want)
	}
	noSeriousViolation(t, res.Axe)
}

// TestViewerControls drives the page as a planner does: it picks the
// residents in the indicator list, changes the period to 2018, and clicks
// Jena. The legend must be the API's classes of that choice, the map
// Jena's 2018 figure, and the profile the API's profile of 2018.
func TestViewerControls(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-controls.png")
	out := render(t, node, srv.URL+"/#map=9/50.9272/11.5863", shot,
		"select:#indicator=einwohner", "select:#period=2018-12-31", "click-center")
	var res struct {
		Final struct {
			State    map[string]string
			Classes  []legendClass
			Features []map[string]any
		}
		Profile viewerProfile
	}
	renderOutput(t, out, &res)
	if st := res.Final.State; st["indicator"] != "einwohner" || st["period"] != "2018-12-31" {
		t.Fatalf("state %v, want einwohner of 2018-12-31", st)
	}
	var classes struct{ Classes []legendClass }
	getJSON(t, srv.URL+"/indicators/einwohner/classes?level=kreis&period=2018-12-31&method=quantile&k=5", &classes)
	if fmt.Sprint(res.Final.Classes) != fmt.Sprint(classes.Classes) || len(classes.Classes) != 5 {
		t.Errorf("legend %v, want the API's %v", res.Final.Classes, classes.Classes)
	}
	v := valueOf(t, srv.URL, "einwohner", "kreis", "2018-12-31", "16053")
	if fs := res.Final.Features; len(fs) != 1 || fs[0]["code"] != "16053" || fs[0]["einwohner"] != v || v != 111407 {
		t.Errorf("features under the centre %v, want Jena with its 111407 residents of 2018", fs)
	}
	sameProfile(t, srv.URL, "kreis", "16053", "2018-12-31", res.Profile)
}

// TestViewerFilterBuilder builds the filter with the builder's
// lists on Berlin's Prognoseräume — "Altenquotient größer als 40 und
// Einwohner sinkend" — as a keyboard and mouse user would: the page must
// write the CQL2 expression, count the change from the latest earlier
// period of the residents (31.12.2020), list the same areas /items
// selects, and open the profile of a listed area from the keyboard.
func TestViewerFilterBuilder(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-filter-builder.png")
	out := render(t, node, srv.URL+"/#level=prognoseraum&indicator=altenquotient&map=10/52.5/13.4", shot,
		"click:#add-condition", "select:#cond-prop-1=altenquotient", "fill:#cond-value-1=40",
		"click:#add-condition", "select:#cond-prop-2=einwohner", "select:#cond-op-2=falling",
		"open:#filter-list li:nth-child(2) button", "axe")
	var res struct {
		Final struct {
			State  map[string]string
			Filter struct {
				Codes  []string
				Status string
			}
		}
		Profile viewerProfile
		Axe     []axeViolation
	}
	renderOutput(t, out, &res)
	const filter = "altenquotient > 40 AND einwohner_change < 0"
	if st := res.Final.State; st["filter"] != filter || st["period"] != "2022-06-30" || st["period2"] != "2020-12-31" {
		t.Errorf("state %v, want the filter %q from 2020-12-31 to 2022-06-30", st, filter)
	}
	var fc struct {
		NumberMatched int
		Features      []struct{ Properties struct{ Code string } }
	}
	getJSON(t, srv.URL+"/collections/prognoseraum/items?period=2022-06-30&period2=2020-12-31&sortby=name&limit=1000&filter="+url.QueryEscape(filter), &fc)
	var want []string
	for _, f := range fc.Features {
		want = append(want, f.Properties.Code)
	}
	// Charlottenburg West, Mariendorf, Wilmersdorf Süd
	if fmt.Sprint(res.Final.Filter.Codes) != fmt.Sprint(want) || fmt.Sprint(want) != "[0420 0750 0440]" ||
		res.Final.Filter.Status != "3 Gebiete erfüllen den Filter." {
		t.Errorf("listed %v (%q), want %v", res.Final.Filter.Codes, res.Final.Filter.Status, want)
	}
	sameProfile(t, srv.URL, "prognoseraum", "0750", "2022-06-30", res.Profile)
	noSeriousViolation(t, res.Axe)
}

// facilityReport is what the viewer's facility layers report.
type facilityReport struct {
	Legend []struct {
		Key    string
		Count  int
		Colour string
	}
	Bounds []float64
	Inside map[string]int
	Center []string
	Near   string
}

// TestViewerFacilities opens a link with the Kitas over the Prognoseräume
// at Kita 01010010: the legend counts today's Kitas as the items do, the
// points drawn inside the map are those the items find in its bounds, the
// hover text at the centre names the Kita, its carrier and its places, and
// the nursing homes follow from the keyboard.
func TestViewerFacilities(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	link := "/#level=prognoseraum&indicator=anteil_65plus&facilities=kita&map=15.00%2F52.5225%2F13.3844"
	shot := filepath.Join(t.ArtifactDir(), "viewer-facilities.png")
	out := render(t, node, srv.URL+link, shot, "axe", `space:#facility-types input[value="pflege"]`, "export")
	var res struct {
		Result struct {
			State      map[string]string
			Facilities facilityReport
		}
		Final struct {
			State      map[string]string
			Facilities facilityReport
		}
		Exported struct {
			FacilitySwatches []struct {
				X, Y   float64
				Colour string
			}
		}
		Axe []axeViolation
	}
	renderOutput(t, out, &res)
	fr := res.Result.Facilities
	var all struct{ NumberMatched int }
	getJSON(t, srv.URL+"/collections/facilities-kita/items?limit=1", &all)
	if len(fr.Legend) != 1 || fr.Legend[0].Key != "kita" || fr.Legend[0].Count != all.NumberMatched || all.NumberMatched != 2880 {
		t.Errorf("facility legend %+v, want the Kitas' %d", fr.Legend, all.NumberMatched)
	}
	if len(fr.Bounds) != 4 {
		t.Fatalf("bounds %v", fr.Bounds)
	}
	var inside struct{ NumberMatched int }
	getJSON(t, fmt.Sprintf("%s/collections/facilities-kita/items?limit=1&bbox=%v,%v,%v,%v", srv.URL,
		fr.Bounds[0], fr.Bounds[1], fr.Bounds[2], fr.Bounds[3]), &inside)
	if fr.Inside["facility-kita"] != inside.NumberMatched || inside.NumberMatched != 3 {
		t.Errorf("Kitas drawn inside the map: %d, items in its bounds %d, want 3", fr.Inside["facility-kita"], inside.NumberMatched)
	}
	want := "Kita F.A.I.R.play · Träger: GFJ - gemeinnützige Gesellschaft für Familien- und Jugendhilfe mbH (Sonstiger freier Träger) · 69 Plätze"
	if len(fr.Center) != 1 || fr.Center[0] != want {
		t.Errorf("at the centre %q, want %q", fr.Center, want)
	}
	// what keyboard users, who move the map with the arrow keys, are told
	if fr.Near != "In der Kartenmitte: "+want {
		t.Errorf("status line %q, want the Kita at the centre", fr.Near)
	}
	if res.Result.State["facilities"] != "kita" || res.Final.State["facilities"] != "kita,pflege" {
		t.Errorf("facilities in the link: %q, after ticking the nursing homes %q", res.Result.State["facilities"], res.Final.State["facilities"])
	}
	var pflege struct{ NumberMatched int }
	getJSON(t, srv.URL+"/collections/facilities-pflege/items?limit=1", &pflege)
	if l := res.Final.Facilities.Legend; len(l) != 2 || l[1].Key != "pflege" || l[1].Count != pflege.NumberMatched || pflege.NumberMatched != 274 ||
		l[0].Colour == l[1].Colour {
		t.Errorf("legend after ticking the nursing homes %+v, want theirs %d in a colour of their own", l, pflege.NumberMatched)
	}
	// the PNG export's legend has a dot of each shown type's colour
	exported := strings.TrimSuffix(shot, ".png") + "-export.png"
	if s := res.Exported.FacilitySwatches; len(s) != 2 {
		t.Errorf("exported facility legend %+v, want Kitas and nursing homes", s)
	}
	for i, s := range res.Exported.FacilitySwatches {
		if got := pixelAt(t, exported, s.X, s.Y); got != s.Colour || s.Colour != strings.ToLower(res.Final.Facilities.Legend[i].Colour) {
			t.Errorf("facility dot %d in the PNG: %s, want %s", i+1, got, res.Final.Facilities.Legend[i].Colour)
		}
	}
	noSeriousViolation(t, res.Axe)
}

// TestViewerSupply maps Berlin's Kita places per 100 children under 6 over
// the Prognoseräume with the Kitas on top, and clicks the area at the
// centre: its profile must show its supply ratio, the places missing to
// the target and its Bezirk's ratio beside it, as the profile API gives
// them.
func TestViewerSupply(t *testing.T) {
	node := browser(t)
	srv, _ := demoServer(t)
	shot := filepath.Join(t.ArtifactDir(), "viewer-supply.png")
	out := render(t, node, srv.URL+"/#level=prognoseraum&indicator=kita_plaetze_je_100_u6&facilities=kita&map=12/52.5225/13.3844", shot, "click-center")
	var res struct {
		Result struct {
			State   map[string]string
			Classes []legendClass
		}
		Profile viewerProfile
	}
	renderOutput(t, out, &res)
	if st := res.Result.State; st["indicator"] != "kita_plaetze_je_100_u6" || st["period"] != "2022-12-31" || len(res.Result.Classes) != 5 {
		t.Errorf("state %v with %d classes, want the Kita ratio of 2022-12-31 in 5", st, len(res.Result.Classes))
	}
	p := res.Profile
	api := sameProfile(t, srv.URL, "prognoseraum", p.Code, "2022-12-31", p)
	for _, key := range []string{"kita_plaetze_je_100_u6", "kita_luecke", "kita_2sfca"} {
		if p.Values[key] == nil {
			t.Errorf("%s: no value in the profile of %s", key, p.Code)
		}
	}
	for _, e := range api.Indicators {
		want := e.Comparison["parent"].Value
		if got := p.Parent[e.Key]; (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Errorf("%s of the parent: page %v, API %v", e.Key, got, want)
		}
	}
	if m := p.Parent["kita_plaetze_je_100_u6"]; len(api.Indicators) == 0 || m == nil || *m != 93.0 {
		t.Errorf("Mitte's Kita places per 100 children under 6 beside %s: %v, want 93.0", p.Code, m)
	}
}
