package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

type valuesDoc struct {
	Indicator struct {
		Decimals int `json:"decimals"`
	} `json:"indicator"`
	Level  string `json:"level"`
	Period string `json:"period"`
	Rows   []struct {
		Code        string   `json:"code"`
		Name        string   `json:"name"`
		Value       *float64 `json:"value"`
		Status      string   `json:"status"`
		Suppressed  *string  `json:"suppressed"`
		Incomplete  bool     `json:"incomplete"`
		Numerator   *float64 `json:"numerator"`
		Denominator *float64 `json:"denominator"`
	} `json:"rows"`
}

func values(t *testing.T, base, key, query string) valuesDoc {
	t.Helper()
	var d valuesDoc
	getJSON(t, base+"/indicators/"+key+"/values?"+query, &d)
	return d
}

// TestBerlinSharesAreRecomputed checks the first acceptance criterion of
// the indicators: Berlin's share of residents aged 65 and over is the sum
// of the 65+ counts over the sum of residents of its 542 Planungsräume
// (19.0229 %), not the mean of their shares.
func TestBerlinSharesAreRecomputed(t *testing.T) {
	srv, _ := demoServer(t)
	d := values(t, srv.URL, "anteil_65plus", "level=gemeinde&period=2022-06-30")
	var berlin *float64
	for _, r := range d.Rows {
		if r.Code == "110000000000" {
			berlin = r.Value
			if r.Status != "derived" || r.Numerator == nil || *r.Numerator != 727032 || r.Denominator == nil || *r.Denominator != 3821881 {
				t.Errorf("Berlin 65+: %+v, want derived from 727032 / 3821881", r)
			}
		}
	}
	// 727032 / 3821881 × 100 = 19.0229 %, published with the catalogue's decimals.
	scale := math.Pow(10, float64(d.Indicator.Decimals))
	if want := math.Round(727032.0/3821881.0*100*scale) / scale; berlin == nil || *berlin != want {
		t.Fatalf("Berlin 65+ share = %v, want %v (19.0229 %% to %d decimals)", berlin, want, d.Indicator.Decimals)
	}
	// The mean of the Planungsräume's shares is something else.
	plr := values(t, srv.URL, "anteil_65plus", "level=planungsraum&period=2022-06-30")
	sum, n := 0.0, 0
	for _, r := range plr.Rows {
		if r.Value != nil {
			sum += *r.Value
			n++
		}
	}
	if n == 0 || math.Abs(sum/float64(n)-19.0229) < 0.1 {
		t.Errorf("mean of %d Planungsraum shares %.4f is too close to the recomputed share to tell them apart", n, sum/float64(n))
	}
	// Every level between agrees on the same sums.
	for _, level := range []string{"bezirk", "prognoseraum", "bezirksregion"} {
		d := values(t, srv.URL, "einwohner", "level="+level+"&period=2022-06-30")
		total := 0.0
		for _, r := range d.Rows {
			if r.Value == nil {
				t.Errorf("%s %s: no value (%s)", level, r.Code, r.Status)
				continue
			}
			total += *r.Value
		}
		if total != 3821881 {
			t.Errorf("%s: residents sum to %.0f, want 3821881", level, total)
		}
	}
}

type seriesDoc struct {
	Points []struct {
		Period string   `json:"period"`
		Value  *float64 `json:"value"`
		Status string   `json:"status"`
	} `json:"series"`
}

// TestWartburgkreisAcrossTheMerger: the Wartburgkreis population of 2018
// on today's boundaries is Wartburgkreis 2018 plus Eisenach 2018 (Destatis:
// 123,025 + 42,370), derived, and its change to 2022 is on the same
// boundaries.
func TestWartburgkreisAcrossTheMerger(t *testing.T) {
	srv, _ := demoServer(t)
	res, err := http.Get(srv.URL + "/indicators/einwohner/series?level=kreis&code=16063")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var doc seriesDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	val := map[string]float64{}
	for _, p := range doc.Points {
		if p.Value != nil {
			got[p.Period] = p.Status
			val[p.Period] = *p.Value
		}
	}
	if val["2018-12-31"] != 123025+42370 || got["2018-12-31"] != "derived" {
		t.Errorf("Wartburgkreis 2018 on today's boundaries: %v (%s), want 165395 derived\n%s", val["2018-12-31"], got["2018-12-31"], body)
	}
	if _, ok := val["2022-12-31"]; !ok {
		t.Fatalf("Wartburgkreis has no 2022 value:\n%s", body)
	}
	t.Logf("Wartburgkreis on today's boundaries: 2018 %.0f, 2022 %.0f, change %+.0f",
		val["2018-12-31"], val["2022-12-31"], val["2022-12-31"]-val["2018-12-31"])

	// On the boundaries of 2018, Eisenach is its own Kreis.
	d := values(t, srv.URL, "einwohner", "level=kreis&period=2018-12-31&datetime=2018-12-31")
	for _, r := range d.Rows {
		if (r.Code == "16056" && (r.Value == nil || *r.Value != 42370)) || (r.Code == "16063" && (r.Value == nil || *r.Value != 123025)) {
			t.Errorf("2018 on the boundaries of 2018: %s = %v", r.Code, r.Value)
		}
	}
	if len(d.Rows) != 401 {
		t.Errorf("2018 boundaries: %d Kreise, want 401", len(d.Rows))
	}
}

// TestNoWithheldValueReachesAnyone checks the real demo data: every
// withheld cell is absent from the values of its level in JSON and CSV, and
// no additive relation (parent and its children, a group's total and its
// members) has exactly one withheld cell, so none can be recovered by
// subtraction.
func TestNoWithheldValueReachesAnyone(t *testing.T) {
	pool := demoDB(t)
	ctx := context.Background()
	srv, _ := demoServer(t)

	var withheld int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM published_cell WHERE suppressed IS NOT NULL`).Scan(&withheld); err != nil {
		t.Fatal(err)
	}
	t.Logf("withheld cells in the demo: %d", withheld)

	rows, err := pool.Query(ctx, `
		SELECT c.indicator, a.level, c.period::text, a.code, c.value
		FROM published_cell c JOIN area a ON a.id = c.area_id
		WHERE c.suppressed IS NOT NULL AND c.value IS NOT NULL
		  AND daterange(a.valid_from, a.valid_to, '[]') @> current_date
		ORDER BY c.indicator, a.level, c.period, a.code LIMIT 40`)
	if err != nil {
		t.Fatal(err)
	}
	type cellKey struct{ ind, level, period, code string }
	hidden := map[cellKey]float64{}
	for rows.Next() {
		var k cellKey
		var v float64
		if err := rows.Scan(&k.ind, &k.level, &k.period, &k.code, &v); err != nil {
			t.Fatal(err)
		}
		hidden[k] = v
	}
	if len(hidden) == 0 {
		t.Fatal("the demo has no withheld cell on today's areas to look for")
	}
	for k, v := range hidden {
		d := values(t, srv.URL, k.ind, "level="+k.level+"&period="+k.period)
		for _, r := range d.Rows {
			if r.Code == k.code && (r.Value != nil || r.Numerator != nil || r.Suppressed == nil) {
				t.Errorf("%v: JSON shows %+v", k, r)
			}
		}
		res, err := http.Get(srv.URL + "/indicators/" + k.ind + "/values?f=csv&level=" + k.level + "&period=" + k.period)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, k.code+";") {
				fields := strings.Split(line, ";")
				if len(fields) > 2 && fields[2] != "" {
					t.Errorf("%v: CSV shows %q (true value %v)", k, line, v)
				}
			}
		}
	}

	// Relations: a parent with its children on the same day.
	var lonely int
	err = pool.QueryRow(ctx, `
		WITH pub AS MATERIALIZED (SELECT * FROM published_cell),
		rel AS (
			SELECT c.indicator, c.period, p.id AS parent,
			       (pc.suppressed IS NOT NULL)::int + count(*) FILTER (WHERE c.suppressed IS NOT NULL) AS withheld
			FROM pub c
			JOIN area a ON a.id = c.area_id
			JOIN area p ON p.level = a.parent_level AND p.code = a.parent_code
			     AND daterange(p.valid_from, p.valid_to, '[]') && daterange(a.valid_from, a.valid_to, '[]')
			JOIN pub pc ON pc.area_id = p.id AND pc.indicator = c.indicator AND pc.period = c.period
			JOIN indicator i ON i.key = c.indicator AND i.kind = 'count'
			GROUP BY c.indicator, c.period, p.id, pc.suppressed
		)
		SELECT count(*) FROM rel WHERE withheld = 1`).Scan(&lonely)
	if err != nil {
		t.Fatal(err)
	}
	if lonely != 0 {
		t.Errorf("%d parent–children relations with exactly one withheld cell", lonely)
	}
	// Groups: the total and its members in one area and period.
	err = pool.QueryRow(ctx, `
		WITH pub AS MATERIALIZED (SELECT * FROM published_cell),
		rel AS (
			SELECT g.key, t.area_id, t.period,
			       (t.suppressed IS NOT NULL)::int + count(*) FILTER (WHERE m.suppressed IS NOT NULL) AS withheld
			FROM indicator_group g
			JOIN pub t ON t.indicator = g.total
			JOIN indicator_group_member gm ON gm.group_key = g.key
			JOIN pub m ON m.indicator = gm.indicator AND m.area_id = t.area_id AND m.period = t.period
			GROUP BY g.key, t.area_id, t.period, t.suppressed
		)
		SELECT count(*) FROM rel WHERE withheld = 1`).Scan(&lonely)
	if err != nil {
		t.Fatal(err)
	}
	if lonely != 0 {
		t.Errorf("%d group relations with exactly one withheld cell", lonely)
	}
}

// TestGDALReadsJoinedIndicators: ogrinfo shows the indicator fields of
// the Kreise with the values of the API.
func TestGDALReadsJoinedIndicators(t *testing.T) {
	ogrinfo := tool(t, "ogrinfo")
	srv, _ := demoServer(t)
	out := runTool(t, ogrinfo, "-ro", "-al", "-q", "-where", "code = '16073'",
		"OAPIF:"+srv.URL+"/collections/kreis?indicators=einwohner,dichte&period=2022-12-31")
	d := values(t, srv.URL, "einwohner", "level=kreis&period=2022-12-31")
	var want string
	for _, r := range d.Rows {
		if r.Code == "16073" && r.Value != nil {
			want = strconv.FormatFloat(*r.Value, 'f', -1, 64)
		}
	}
	if want == "" || !strings.Contains(out, "einwohner (Integer") && !strings.Contains(out, "einwohner (Real") {
		t.Fatalf("ogrinfo output lacks the einwohner field or the API has no value (%q):\n%s", want, out)
	}
	if !strings.Contains(out, "einwohner (Integer) = "+want) && !strings.Contains(out, "einwohner (Real) = "+want) {
		t.Errorf("ogrinfo einwohner of 16073 is not %s:\n%s", want, out)
	}
	// dichte has no decimals in the catalogue, so GDAL may take it as an integer.
	if !strings.Contains(out, "dichte (Real) = ") && !strings.Contains(out, "dichte (Integer) = ") ||
		!strings.Contains(out, "einwohner_status (String) = ") {
		t.Errorf("ogrinfo lacks dichte or the status field:\n%s", out)
	}
}

// TestPublishedTotals compares the sums from below with published figures:
// Germany's population on 31.12.2018 (Destatis: 83,019,213) from the 401
// Kreise, and on 31.12.2022 the sum over all Gemeinden of the
// Gemeindeverzeichnis (84,358,845). The 2022 sum is flagged incomplete: the
// 44 Gemeinden that merged away between 2021 and 2023 are still valid in the
// demo (no boundary data says when they ended) and have no row.
func TestPublishedTotals(t *testing.T) {
	srv, _ := demoServer(t)
	for _, tc := range []struct {
		period     string
		want       float64
		incomplete bool
	}{{"2018-12-31", 83019213, false}, {"2022-12-31", 84358845, true}} {
		d := values(t, srv.URL, "einwohner", "level=staat&period="+tc.period)
		if len(d.Rows) != 1 || d.Rows[0].Value == nil || *d.Rows[0].Value != tc.want ||
			d.Rows[0].Status != "derived" || d.Rows[0].Incomplete != tc.incomplete {
			t.Errorf("Germany %s: %+v, want %.0f derived, incomplete %v", tc.period, d.Rows, tc.want, tc.incomplete)
		}
	}
	d := values(t, srv.URL, "einwohner", "level=kreis&period=2022-12-31")
	incomplete := 0
	for _, r := range d.Rows {
		if r.Incomplete {
			incomplete++
		}
	}
	if incomplete != 16 {
		t.Errorf("%d Kreise flagged incomplete in 2022, want the 16 holding the 44 Gemeinden without data", incomplete)
	}
}
