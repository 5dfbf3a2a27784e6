package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mssHand is the MSS 2021 computed independently of the indicators
// package, with plain loops over the shipped CSV, as the senate documents
// the method: areas with at least 300 residents, without the outlier;
// z-values with the population standard deviation; the sum of the z-values
// standardised again.
type mssHand struct {
	codes            []string
	zStatus, zDyn    [][3]float64 // per area: zS1, zS3, zS4 / zD1, zD3, zD4
	status, dynamics []float64
}

func mssHandComputation(t *testing.T) mssHand {
	t.Helper()
	f, err := os.Open(filepath.Join(repoDir(), "data", "demo", "berlin-lor", "mss-2021-index-indicators-plr.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var h mssHand
	var sVals, dVals [][3]float64
	for _, r := range recs[1:] {
		ew, err := strconv.ParseFloat(r[col["EW"]], 64)
		if err != nil || ew < 300 || r[col["PLR_ID"]] == "10100205" {
			continue
		}
		var s, d [3]float64
		for i, c := range []string{"S1", "S3", "S4"} {
			s[i], _ = strconv.ParseFloat(r[col[c]], 64)
		}
		for i, c := range []string{"D1", "D3", "D4"} {
			d[i], _ = strconv.ParseFloat(r[col[c]], 64)
		}
		h.codes = append(h.codes, r[col["PLR_ID"]])
		sVals, dVals = append(sVals, s), append(dVals, d)
	}
	zscores := func(x []float64) []float64 {
		var sum float64
		for _, v := range x {
			sum += v
		}
		mean := sum / float64(len(x))
		var ss float64
		for _, v := range x {
			ss += (v - mean) * (v - mean)
		}
		sd := math.Sqrt(ss / float64(len(x)))
		z := make([]float64, len(x))
		for i, v := range x {
			z[i] = (v - mean) / sd
		}
		return z
	}
	index := func(vals [][3]float64) ([][3]float64, []float64) {
		zs := make([][3]float64, len(vals))
		for k := range 3 {
			x := make([]float64, len(vals))
			for i := range vals {
				x[i] = vals[i][k]
			}
			for i, z := range zscores(x) {
				zs[i][k] = z
			}
		}
		sums := make([]float64, len(vals))
		for i := range zs {
			sums[i] = zs[i][0] + zs[i][1] + zs[i][2]
		}
		return zs, zscores(sums)
	}
	h.zStatus, h.status = index(sVals)
	h.zDyn, h.dynamics = index(dVals)
	return h
}

// mssStatusClass and mssDynamicsClass: −1,0 … +1,0 is mittel or stabil,
// bounds included.
func mssStatusClass(v float64) int {
	switch {
	case v < -1:
		return 1
	case v <= 1:
		return 2
	case v <= 1.5:
		return 3
	}
	return 4
}

func mssDynamicsClass(v float64) int {
	switch {
	case v < -1:
		return 1
	case v <= 1:
		return 2
	}
	return 3
}

// TestMSS2021 checks the demo's MSS 2021 indices against the hand
// computation, the class counts Sozialatlas reports in its README, and
// figures of the senate's own table.
func TestMSS2021(t *testing.T) {
	ctx := context.Background()
	pool := demoDB(t)
	_, ind := stores(pool)
	h := mssHandComputation(t)
	if len(h.codes) != 536 {
		t.Fatalf("hand computation scores %d areas, want 536", len(h.codes))
	}

	// The senate's Table 3 (MSS 2021, Tabellen, "3. Index-Indikatoren nach
	// Status und Dynamik – standardisierte Anteilswerte (z-Werte)"), two
	// decimals: they hold only with the population standard deviation
	// (with n − 1, Heidestraße's zD1 would be −2.84 and its index −4.79).
	published := []struct {
		code             string
		zS               [3]string
		status           string
		statusClass      string
		zD               [3]string
		dynamics         string
		dynamicsClass    string
		statusN, dynamN  int
		statusLabelGroup string
	}{
		{"01100101", [3]string{"-0.25", "-0.41", "-0.31"}, "-0.33", "mittel", [3]string{"0.41", "0.91", "1.31"}, "1.27", "negativ", 2, 3, "2.3 mittel / negativ"},
		{"01200624", [3]string{"-0.49", "-0.22", "-0.17"}, "-0.30", "mittel", [3]string{"-2.85", "-4.36", "-2.78"}, "-4.80", "positiv", 2, 1, "2.1 mittel / positiv"},
		{"03601450", [3]string{"2.94", "1.69", "1.56"}, "2.10", "sehr niedrig", [3]string{"3.91", "3.28", "4.27"}, "5.51", "negativ", 4, 3, "4.3 sehr niedrig / negativ"},
		{"11100102", [3]string{"-0.41", "0.45", "0.38"}, "0.14", "mittel", [3]string{"1.09", "6.56", "5.10"}, "6.13", "negativ", 2, 3, "2.3 mittel / negativ"},
		{"01100415", [3]string{"-0.99", "-0.91", "-1.05"}, "-1.00", "mittel", [3]string{"-0.60", "0.59", "0.19"}, "0.08", "stabil", 2, 2, "2.2 mittel / stabil"},
		{"06300631", [3]string{"-1.05", "-0.98", "-0.93"}, "-1.01", "hoch", [3]string{"-0.99", "0.23", "-0.46"}, "-0.59", "stabil", 1, 2, "1.2 hoch / stabil"},
		{"04200310", [3]string{"-0.53", "-0.69", "-0.67"}, "-0.64", "mittel", [3]string{"0.33", "0.94", "0.82"}, "1.00", "negativ", 2, 3, "2.3 mittel / negativ"},
		{"12500825", [3]string{"0.01", "-0.12", "-0.02"}, "-0.04", "mittel", [3]string{"-0.29", "-0.33", "-1.45"}, "-1.00", "stabil", 2, 2, "2.2 mittel / stabil"},
		{"08100521", [3]string{"4.36", "3.63", "3.01"}, "3.72", "sehr niedrig", [3]string{"4.17", "-2.40", "-0.15"}, "0.78", "stabil", 4, 2, "4.2 sehr niedrig / stabil"},
		// every other area within 0.012 of a threshold of either index
		{"05100316", [3]string{"0.81", "0.97", "1.17"}, "1.00", "mittel", [3]string{"-0.07", "-0.37", "0.38"}, "-0.03", "stabil", 2, 2, "2.2 mittel / stabil"},
		{"04300414", [3]string{"-0.49", "-0.49", "-0.67"}, "-0.56", "mittel", [3]string{"-0.57", "-0.57", "-0.95"}, "-1.00", "positiv", 2, 1, "2.1 mittel / positiv"},
		{"09501838", [3]string{"-0.94", "-1.04", "-1.00"}, "-1.00", "hoch", [3]string{"-0.40", "0.97", "0.88"}, "0.70", "stabil", 1, 2, "1.2 hoch / stabil"},
		{"08100417", [3]string{"1.76", "1.29", "1.42"}, "1.51", "sehr niedrig", [3]string{"1.88", "-1.27", "-0.43"}, "0.09", "stabil", 4, 2, "4.2 sehr niedrig / stabil"},
		{"05100103", [3]string{"0.52", "0.56", "0.50"}, "0.54", "mittel", [3]string{"-0.50", "-1.07", "-1.56"}, "-1.51", "positiv", 2, 1, "2.1 mittel / positiv"},
		{"08200832", [3]string{"0.42", "0.06", "0.50"}, "0.33", "mittel", [3]string{"1.17", "0.80", "1.18"}, "1.51", "negativ", 2, 3, "2.3 mittel / negativ"},
		{"01400940", [3]string{"0.99", "0.80", "1.13"}, "0.99", "mittel", [3]string{"1.38", "-1.41", "-0.49"}, "-0.25", "stabil", 2, 2, "2.2 mittel / stabil"},
		{"10100207", [3]string{"0.53", "0.74", "0.90"}, "0.74", "mittel", [3]string{"0.10", "-1.42", "-0.77"}, "-1.01", "positiv", 2, 1, "2.1 mittel / positiv"},
	}
	two := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	for _, p := range published {
		i := slices.Index(h.codes, p.code)
		if i < 0 {
			t.Fatalf("%s not scored by hand", p.code)
		}
		for k := range 3 {
			if got := two(h.zStatus[i][k]); got != p.zS[k] {
				t.Errorf("%s: hand zS%d %s, published %s", p.code, []int{1, 3, 4}[k], got, p.zS[k])
			}
			if got := two(h.zDyn[i][k]); got != p.zD[k] {
				t.Errorf("%s: hand zD%d %s, published %s", p.code, []int{1, 3, 4}[k], got, p.zD[k])
			}
		}
		if two(h.status[i]) != p.status || two(h.dynamics[i]) != p.dynamics {
			t.Errorf("%s: hand indices %s / %s, published %s / %s", p.code, two(h.status[i]), two(h.dynamics[i]), p.status, p.dynamics)
		}
	}

	raw := func(key string) map[string]float64 {
		t.Helper()
		vals, err := ind.RawValues(ctx, key, "planungsraum", mssPeriod)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]float64{}
		for _, v := range vals {
			if v.Value != nil {
				m[v.Code] = *v.Value
			}
		}
		return m
	}
	status, statusClass := raw("mss_status"), raw("mss_status_klasse")
	dynamics, dynamicsClass := raw("mss_dynamik"), raw("mss_dynamik_klasse")
	groups := raw("mss_status_dynamik")
	for name, m := range map[string]map[string]float64{"status": status, "status class": statusClass,
		"dynamics": dynamics, "dynamics class": dynamicsClass, "groups": groups} {
		if len(m) != 536 {
			t.Errorf("%s: %d areas scored, want 536", name, len(m))
		}
	}
	sCount, dCount, gCount := make([]int, 4), make([]int, 3), make([]int, 12)
	for i, code := range h.codes {
		if math.Abs(status[code]-h.status[i]) > 1e-9 || math.Abs(dynamics[code]-h.dynamics[i]) > 1e-9 {
			t.Errorf("%s: indices %v / %v, by hand %v / %v", code, status[code], dynamics[code], h.status[i], h.dynamics[i])
		}
		sc, dc := mssStatusClass(h.status[i]), mssDynamicsClass(h.dynamics[i])
		if int(statusClass[code]) != sc || int(dynamicsClass[code]) != dc || int(groups[code]) != (sc-1)*3+dc {
			t.Errorf("%s: classes %v / %v / %v, by hand %d / %d / %d", code, statusClass[code], dynamicsClass[code],
				groups[code], sc, dc, (sc-1)*3+dc)
		}
		sCount[int(statusClass[code])-1]++
		dCount[int(dynamicsClass[code])-1]++
		gCount[int(groups[code])-1]++
	}
	// The counts stated in the README.
	if want := []int{75, 366, 46, 49}; !slices.Equal(sCount, want) {
		t.Errorf("status hoch/mittel/niedrig/sehr niedrig: %v, want %v", sCount, want)
	}
	if want := []int{48, 436, 52}; !slices.Equal(dCount, want) {
		t.Errorf("dynamics positiv/stabil/negativ: %v, want %v", dCount, want)
	}
	if want := []int{1, 73, 1, 36, 296, 34, 8, 31, 7, 3, 36, 10}; !slices.Equal(gCount, want) {
		t.Errorf("groups 1.1 … 4.3: %v, want %v", gCount, want)
	}

	srv, _ := demoServer(t)
	var values struct {
		Period string `json:"period"`
		Rows   []struct {
			Code  string   `json:"code"`
			Value *float64 `json:"value"`
			Label *string  `json:"label"`
		} `json:"rows"`
	}
	getJSON(t, srv.URL+"/indicators/mss_status_klasse/values?level=planungsraum", &values)
	labelled := map[string]string{}
	for _, r := range values.Rows {
		if r.Label != nil {
			labelled[r.Code] = *r.Label
		}
	}
	if values.Period != "2020-12-31" || len(values.Rows) != 542 || len(labelled) != 536 {
		t.Errorf("status class values: period %s, %d rows, %d labelled; want 2020-12-31, 542, 536",
			values.Period, len(values.Rows), len(labelled))
	}
	getJSON(t, srv.URL+"/indicators/mss_status/values?level=planungsraum", &values)
	shown := map[string]float64{}
	for _, r := range values.Rows {
		if r.Value != nil {
			shown[r.Code] = *r.Value
		}
	}
	for _, p := range published {
		if labelled[p.code] != p.statusClass {
			t.Errorf("%s: status class label %q, published %q", p.code, labelled[p.code], p.statusClass)
		}
		if two(shown[p.code]) != p.status {
			t.Errorf("%s: status index shown %v, published %s", p.code, shown[p.code], p.status)
		}
	}

	var classes struct {
		Classes []struct {
			Count int `json:"count"`
		} `json:"classes"`
	}
	// The map's classes are of the values as shown (two decimals): at the
	// MSS's own thresholds they would put Rahnsdorf (−1.0047, shown −1.00)
	// into mittel, where the senate has hoch. The class indicator holds the
	// MSS classes; breaks between its values show them.
	getJSON(t, srv.URL+"/indicators/mss_status_klasse/classes?level=planungsraum&method=manual&breaks=1.5,2.5,3.5", &classes)
	var counts []int
	for _, c := range classes.Classes {
		counts = append(counts, c.Count)
	}
	if want := []int{75, 366, 46, 49}; !slices.Equal(counts, want) {
		t.Errorf("classes of mss_status_klasse: %v, want %v", counts, want)
	}

	var profile struct {
		Indicators []struct {
			Key   string   `json:"key"`
			Value *float64 `json:"value"`
			Label *string  `json:"label"`
		} `json:"indicators"`
	}
	for _, p := range published {
		getJSON(t, srv.URL+"/areas/planungsraum/"+p.code+"/profile?period=2020-12-31", &profile)
		got := map[string]string{}
		for _, e := range profile.Indicators {
			if e.Label != nil {
				got[e.Key] = *e.Label
			} else if e.Value != nil {
				got[e.Key] = two(*e.Value)
			}
		}
		want := map[string]string{"mss_status": p.status, "mss_status_klasse": p.statusClass,
			"mss_dynamik": p.dynamics, "mss_dynamik_klasse": p.dynamicsClass, "mss_status_dynamik": p.statusLabelGroup}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("profile of %s: %s %q, want %q", p.code, k, got[k], w)
			}
		}
	}

	var index struct {
		Version int    `json:"version"`
		Period  string `json:"period"`
		Scored  int    `json:"scored"`
		Classes []struct {
			Label    string `json:"label"`
			Interval string `json:"interval"`
			Count    int    `json:"count"`
		} `json:"classes"`
		Excluded []struct {
			Code   string `json:"code"`
			Reason string `json:"reason"`
		} `json:"excluded"`
	}
	getJSON(t, srv.URL+"/indices/mss_status", &index)
	var got []string
	for _, c := range index.Classes {
		got = append(got, fmt.Sprintf("%s (%s): %d", c.Label, c.Interval, c.Count))
	}
	wantClasses := []string{"hoch (x < -1): 75", "mittel (-1 ≤ x ≤ 1): 366", "niedrig (1 < x ≤ 1,5): 46", "sehr niedrig (x > 1,5): 49"}
	if index.Version != 1 || index.Period != "2020-12-31" || index.Scored != 536 || !slices.Equal(got, wantClasses) {
		t.Errorf("/indices/mss_status: version %d, period %s, scored %d, classes %q", index.Version, index.Period, index.Scored, got)
	}
	var excluded []string
	for _, x := range index.Excluded {
		excluded = append(excluded, x.Code+": "+x.Reason)
	}
	wantExcluded := []string{
		"03300515: weniger als 300 Einwohner",
		"03400831: Einwohnerzahl fehlt oder ist gesperrt",
		"04400725: weniger als 300 Einwohner",
		"05300838: weniger als 300 Einwohner",
		"06200418: weniger als 300 Einwohner",
		"10100205: ausgeschlossen: Ausreißer (MSS 2021, Gewerbegebiet Bitterfelder Straße)",
	}
	if !slices.Equal(excluded, wantExcluded) {
		t.Errorf("excluded:\n%s\nwant:\n%s", strings.Join(excluded, "\n"), strings.Join(wantExcluded, "\n"))
	}
	getJSON(t, srv.URL+"/indices/mss_status_dynamik", &index)
	if len(index.Classes) != 12 || index.Classes[0].Label != "1.1 hoch / positiv" || index.Classes[11].Label != "4.3 sehr niedrig / negativ" ||
		index.Classes[4].Count != 296 {
		t.Errorf("/indices/mss_status_dynamik classes: %+v", index.Classes)
	}
	var list struct {
		Indices []struct {
			Key     string   `json:"key"`
			Periods []string `json:"periods"`
		} `json:"indices"`
	}
	getJSON(t, srv.URL+"/indices", &list)
	var keys []string
	for _, x := range list.Indices {
		keys = append(keys, x.Key+" "+strings.Join(x.Periods, ","))
	}
	if want := []string{"mss_dynamik 2020-12-31", "mss_status 2020-12-31", "mss_status_dynamik 2020-12-31"}; !slices.Equal(keys, want) {
		t.Errorf("/indices: %q, want %q", keys, want)
	}

	for _, c := range []struct {
		path   string
		status int
		detail string
	}{
		{"/indices/nope", http.StatusNotFound, `There is no index \"nope\"`},
		{"/indices/mss_status?period=2019-12-31", http.StatusNotFound, "was not computed for period 2019-12-31"},
		{"/indices/mss_status?period=31.12.2020", http.StatusBadRequest, "period"},
		{"/indices/mss_status?version=2", http.StatusBadRequest, "versions 1 to 1"},
		{"/indices/mss_status?perod=2020-12-31", http.StatusBadRequest, `\"perod\": unknown`},
	} {
		code, body := get(t, srv.URL+c.path)
		if code != c.status || !strings.Contains(body, c.detail) {
			t.Errorf("GET %s: %d %s, want %d containing %s", c.path, code, body, c.status, c.detail)
		}
	}
}

var mssPeriod = time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC)
