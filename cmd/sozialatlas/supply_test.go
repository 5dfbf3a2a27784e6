package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/indicators"
	"github.com/sozialatlas/sozialatlas/indicators/supply"
)

// sqlHandKita computes, independently of the facility's stored area and
// of publish, per area of a level: the places of the Kitas valid on
// 2022-12-31 that lie inside the area's own polygon, and the children
// under 6 of 2022-06-30 summed from the Planungsräume whose code starts
// with the area's code (the LOR codes nest: Bezirk 2 digits, Prognoseraum
// 4, Planungsraum 8).
const sqlHandKita = `
SELECT a.code,
       (SELECT coalesce(sum(f.capacity), 0)::double precision FROM facility f
        WHERE f.type = 'kita' AND f.valid_from <= '2022-12-31' AND coalesce(f.valid_to, '2022-12-31') >= '2022-12-31'
          AND ST_Contains(a.geom, f.geom)),
       (SELECT sum(o.value) FROM observation o JOIN area p ON p.id = o.area_id
        WHERE o.indicator = 'ew_unter6' AND o.period = '2022-06-30'
          AND p.level = 'planungsraum' AND p.code LIKE a.code || '%')
FROM area a
WHERE a.level = $1 AND coalesce(a.valid_from, '2022-12-31') <= '2022-12-31'
  AND coalesce(a.valid_to, '2022-12-31') >= '2022-12-31'
ORDER BY a.code`

type handKita struct {
	places, children float64
}

func handKitaLevel(t *testing.T, ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, level string) map[string]handKita {
	t.Helper()
	rows, err := q.Query(ctx, sqlHandKita, level)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]handKita{}
	var code string
	var h handKita
	if _, err := pgx.ForEachRow(rows, []any{&code, &h.places, &h.children}, func() error {
		out[code] = h
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

type supplyValues struct {
	Period string `json:"period"`
	Rows   []struct {
		Code        string   `json:"code"`
		Name        string   `json:"name"`
		Value       *float64 `json:"value"`
		Numerator   *float64 `json:"numerator"`
		Denominator *float64 `json:"denominator"`
		Status      string   `json:"status"`
		Incomplete  bool     `json:"incomplete"`
	} `json:"rows"`
}

// TestSupplyKitaBezirke is the acceptance test of issue 8: Kita places per
// 100 children under 6 of each Berlin Bezirk equal the sum of e_platz of
// the Kitas inside it over its children under 6, × 100, rounded to the
// indicator's one decimal.
func TestSupplyKitaBezirke(t *testing.T) {
	ctx := context.Background()
	pool := demoDB(t)
	hand := handKitaLevel(t, ctx, pool, "bezirk")
	if len(hand) != 12 {
		t.Fatalf("%d Bezirke, want 12", len(hand))
	}
	srv, _ := demoServer(t)
	var doc supplyValues
	getJSON(t, srv.URL+"/indicators/kita_plaetze_je_100_u6/values?level=bezirk&period=2022-12-31", &doc)
	if len(doc.Rows) != 12 {
		t.Fatalf("%d rows, want 12", len(doc.Rows))
	}
	var places float64
	for _, r := range doc.Rows {
		h := hand[r.Code]
		places += h.places
		want := math.Round(h.places/h.children*100*10) / 10
		if r.Value == nil || *r.Value != want || *r.Numerator != h.places || *r.Denominator != h.children {
			t.Errorf("%s %s: got %v = %v / %v, want %v = %v / %v", r.Code, r.Name,
				deref(r.Value), deref(r.Numerator), deref(r.Denominator), want, h.places, h.children)
		}
		if r.Status != "derived" || r.Incomplete {
			t.Errorf("%s: status %s, incomplete %v", r.Code, r.Status, r.Incomplete)
		}
		t.Logf("%s %-28s %6.1f = %6.0f / %6.0f", r.Code, r.Name, want, h.places, h.children)
	}
	// Every Kita of the file is inside one Bezirk.
	var all float64
	if err := pool.QueryRow(ctx, `SELECT sum(capacity) FROM facility WHERE type = 'kita'`).Scan(&all); err != nil {
		t.Fatal(err)
	}
	if places != all {
		t.Errorf("the Bezirke hold %v places, the file %v", places, all)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestSupplyGap checks the Kita gap of every Prognoseraum against the
// hand computation and that a Bezirk's gap is the sum of its
// Prognoseräume's, and that the gap filters with CQL2 like any indicator.
func TestSupplyGap(t *testing.T) {
	ctx := context.Background()
	pool := demoDB(t)
	hand := handKitaLevel(t, ctx, pool, "prognoseraum")
	srv, _ := demoServer(t)
	var doc supplyValues
	getJSON(t, srv.URL+"/indicators/kita_luecke/values?level=prognoseraum&period=2022-12-31", &doc)
	if len(doc.Rows) != 58 {
		t.Fatalf("%d Prognoseräume, want 58", len(doc.Rows))
	}
	byBezirk := map[string]float64{}
	withGap := 0
	for _, r := range doc.Rows {
		h := hand[r.Code]
		want := max(0, math.Ceil(83.3*h.children/100-1e-9)-h.places)
		if r.Value == nil || *r.Value != want {
			t.Errorf("%s %s: gap %v, want %v (%v places, %v children)", r.Code, r.Name, deref(r.Value), want, h.places, h.children)
		}
		byBezirk[r.Code[:2]] += want
		if want > 0 {
			withGap++
		}
	}
	getJSON(t, srv.URL+"/indicators/kita_luecke/values?level=bezirk&period=2022-12-31", &doc)
	for _, r := range doc.Rows {
		if r.Value == nil || *r.Value != byBezirk[r.Code] {
			t.Errorf("Bezirk %s: gap %v, want the sum %v", r.Code, deref(r.Value), byBezirk[r.Code])
		}
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	q := url.Values{"indicators": {"kita_luecke"}, "period": {"2022-12-31"}, "filter": {"kita_luecke > 0"}, "limit": {"100"}}
	getJSON(t, srv.URL+"/collections/prognoseraum/items?"+q.Encode(), &fc)
	if len(fc.Features) != withGap || withGap == 0 {
		t.Errorf("filter kita_luecke > 0: %d features, want %d", len(fc.Features), withGap)
	}
	t.Logf("%d of 58 Prognoseräume lack Kita places", withGap)
}

// TestSupplyTwoStepStored checks that the stored 2SFCA values and nearest
// distances are those of indicators/supply on the same database inputs,
// and that they carry their method and parameters.
func TestSupplyTwoStepStored(t *testing.T) {
	ctx := context.Background()
	pool := demoDB(t)
	f, err := indicators.ReadSupplyFile(filepath.Join(repoDir(), "data", "demo", "supply", "berlin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	d := &f.Supply[0]
	if d.Catchment == nil {
		t.Fatal("the first definition has no catchment")
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	facilities, demand, err := indicators.SupplyInput(ctx, tx, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(demand) != 58 || len(facilities) != 2880 {
		t.Fatalf("%d demand points, %d facilities; want 58 and 2880", len(demand), len(facilities))
	}
	params := supply.Params{Radius: d.Catchment.RadiusM, Decay: d.Catchment.Decay}
	res, err := supply.TwoStep(ctx, facilities, demand, params)
	if err != nil {
		t.Fatal(err)
	}
	near, err := supply.Nearest(ctx, facilities, demand)
	if err != nil {
		t.Fatal(err)
	}
	stored := func(key string) map[string]float64 {
		rows, err := tx.Query(ctx, `SELECT area_id::text, value FROM observation WHERE indicator = $1 AND period = '2022-12-31'`, key)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		var id string
		var v float64
		if _, err := pgx.ForEachRow(rows, []any{&id, &v}, func() error { out[id] = v; return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	access, dist := stored("kita_2sfca"), stored("kita_entfernung")
	if len(access) != len(res.Areas) || len(dist) != len(near) {
		t.Fatalf("stored %d access and %d distances, computed %d and %d", len(access), len(dist), len(res.Areas), len(near))
	}
	var shared, reached float64
	for i, a := range res.Areas {
		if got, want := access[a.AreaID], a.Access*100; math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("area %s: stored %v, TwoStep %v", a.AreaID, got, want)
		}
		shared += demand[i].Population * a.Access
	}
	unreached := map[string]bool{}
	for _, id := range res.Unreached {
		unreached[id] = true
	}
	for _, fa := range facilities {
		if !unreached[fa.ID] {
			reached += fa.Capacity
		}
	}
	if math.Abs(shared-reached) > 1e-9*reached {
		t.Errorf("Σ P_i A_i = %v, Σ S_j of reached facilities = %v", shared, reached)
	}
	for _, n := range near {
		if dist[n.AreaID] != n.Distance {
			t.Errorf("area %s: stored distance %v, Nearest %v", n.AreaID, dist[n.AreaID], n.Distance)
		}
	}
	t.Logf("2SFCA at %g m: %d of %d Kitas out of reach of every Prognoseraum label point, %d unserved areas",
		d.Catchment.RadiusM, len(res.Unreached), len(facilities), len(res.Unserved))

	var meta indicators.SupplyMeta
	if err := tx.QueryRow(ctx, `SELECT meta FROM supply_result WHERE indicator = 'kita_2sfca' AND period = '2022-12-31'`).Scan(&meta); err != nil {
		t.Fatal(err)
	}
	c := meta.Catchment
	if c == nil || c.Method != "2sfca" || c.RadiusM != d.Catchment.RadiusM || c.Distance != "euclidean" ||
		c.DemandIndicator != "kita_nachfrage_u6" || c.DemandPeriod != "2022-06-30" || c.SupplyType != "kita" ||
		c.SupplyPeriod != "2022-12-31" || meta.SRID != 25833 {
		t.Errorf("metadata of kita_2sfca: %+v %+v", meta, c)
	}
	if err := tx.QueryRow(ctx, `SELECT meta FROM supply_result WHERE indicator = 'kita_plaetze_je_100_u6' AND period = '2022-12-31'`).Scan(&meta); err != nil {
		t.Fatal(err)
	}
	if meta.DemandPeriod != "2022-06-30" || meta.Scale != 100 {
		t.Errorf("metadata of the ratio: %+v", meta)
	}
}

// TestSupplyProfile checks that the supply ratio appears in a
// Prognoseraum's profile next to its Bezirk's.
func TestSupplyProfile(t *testing.T) {
	srv, _ := demoServer(t)
	var prof struct {
		Indicators []struct {
			Key        string `json:"key"`
			Value      *float64
			Comparison map[string]*struct {
				Value *float64 `json:"value"`
			} `json:"comparison"`
		} `json:"indicators"`
	}
	// 0110 Zentrum in Mitte
	getJSON(t, srv.URL+"/areas/prognoseraum/0110/profile?period=2022-12-31", &prof)
	var bez supplyValues
	getJSON(t, srv.URL+"/indicators/kita_plaetze_je_100_u6/values?level=bezirk&period=2022-12-31", &bez)
	var pr supplyValues
	getJSON(t, srv.URL+"/indicators/kita_plaetze_je_100_u6/values?level=prognoseraum&period=2022-12-31", &pr)
	find := func(doc supplyValues, code string) *float64 {
		for _, r := range doc.Rows {
			if r.Code == code {
				return r.Value
			}
		}
		return nil
	}
	for _, e := range prof.Indicators {
		if e.Key != "kita_plaetze_je_100_u6" {
			continue
		}
		own, parent := find(pr, "0110"), find(bez, "01")
		if e.Value == nil || own == nil || *e.Value != *own || e.Comparison["parent"] == nil ||
			e.Comparison["parent"].Value == nil || *e.Comparison["parent"].Value != *parent {
			t.Errorf("profile: %v next to %v; want %v next to %v", deref(e.Value), e.Comparison["parent"], deref(own), deref(parent))
		}
		t.Logf("Zentrum %s, Mitte %s", strconv.FormatFloat(*e.Value, 'f', 1, 64), fmt.Sprint(*parent))
		return
	}
	t.Error("kita_plaetze_je_100_u6 is not in the profile of Prognoseraum 0110")
}

// TestSupplyMetadataHTTP checks that /indicators/{key} says how a supply
// indicator was made.
func TestSupplyMetadataHTTP(t *testing.T) {
	srv, _ := demoServer(t)
	var doc struct {
		Derivations []struct {
			Period string                `json:"period"`
			Meta   indicators.SupplyMeta `json:"meta"`
		} `json:"derivations"`
	}
	getJSON(t, srv.URL+"/indicators/kita_2sfca", &doc)
	if len(doc.Derivations) != 1 || doc.Derivations[0].Period != "2022-12-31" {
		t.Fatalf("derivations %+v", doc.Derivations)
	}
	if c := doc.Derivations[0].Meta.Catchment; c == nil || c.Method != "2sfca" || c.RadiusM != 4000 || c.DemandPeriod != "2022-06-30" {
		t.Errorf("catchment metadata %+v", c)
	}
	doc.Derivations = nil
	getJSON(t, srv.URL+"/indicators/jugend_luecke", &doc)
	if len(doc.Derivations) != 1 || doc.Derivations[0].Meta.Target == nil || doc.Derivations[0].Meta.Target.Value != 11.4 {
		t.Errorf("gap metadata %+v", doc.Derivations)
	}
	doc.Derivations = nil
	getJSON(t, srv.URL+"/indicators/einwohner", &doc)
	if len(doc.Derivations) != 0 {
		t.Errorf("an imported indicator has derivations %+v", doc.Derivations)
	}
}

// TestSupplyCommand recomputes the demo's supply from the definitions its
// batches keep and checks the report and that the values stay the same;
// a bad file is refused before any database is touched.
func TestSupplyCommand(t *testing.T) {
	ctx := context.Background()
	pool := demoDB(t)
	url := pool.Config().ConnString() + " dbname=" + pool.Config().ConnConfig.Database
	sum := func() (n int, total float64) {
		// summed in numeric: a float sum depends on the rows' order
		err := pool.QueryRow(ctx, `SELECT count(*), round(sum(value::numeric), 6)::float8 FROM observation
			WHERE indicator IN ('kita_plaetze', 'kita_2sfca', 'jugend_luecke')`).Scan(&n, &total)
		if err != nil {
			t.Fatal(err)
		}
		return n, total
	}
	n, total := sum()
	out, _, err := cli(t, url, "supply", "compute")
	if err != nil {
		t.Fatalf("supply compute: %v", err)
	}
	for _, want := range []string{"kita    2022-12-31  2880", "2022-06-30", "schule  2023-10-31  902         902"} {
		if !strings.Contains(out, want) {
			t.Errorf("supply compute: no %q in\n%s", want, out)
		}
	}
	if n2, total2 := sum(); n2 != n || total2 != total {
		t.Errorf("recomputed: %d values summing to %v, before %d and %v", n2, total2, n, total)
	}
	var batches int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM import_batch WHERE kind = 'supply'`).Scan(&batches); err != nil || batches != 4 {
		t.Errorf("%d supply batches, want 4 (%v)", batches, err)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("supply:\n  - type: kita\n    period: 31.12.2022\n    count: x\n    radius: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, url, "supply", "apply", bad); err == nil || !strings.Contains(err.Error(), "field radius not found") {
		t.Errorf("a misspelt field: %v", err)
	}
	if err := os.WriteFile(bad, []byte("supply:\n  - type: kita\n    period: 31.12.2022\n    count: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, url, "supply", "apply", bad); err == nil || !strings.Contains(err.Error(), `period "31.12.2022" is not a date`) {
		t.Errorf("a German date: %v", err)
	}
	if err := os.WriteFile(bad, []byte("supply:\n  - type: kita\n    period: 2022-12-31\n    count: kita_plaetze_je_100_u6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, url, "supply", "apply", bad); err == nil || !strings.Contains(err.Error(), `indicator "kita_plaetze_je_100_u6" is a rate, want a count`) {
		t.Errorf("a rate as count: %v", err)
	}
}
