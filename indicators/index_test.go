package indicators

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// idxDefinition is a small index over x1 (raising) and x2 (lowering) at
// level planungsraum, with a matrix of it and a second index over x2.
const idxDefinition = `
indices:
  - key: idx
    title: Testindex
    category: Arbeit/Armut
    polarity: higher_worse
    decimals: 2
    level: planungsraum
    areas:
      population: ew
      min_population: %s
      exclude: [{code: p6, reason: Ausreißer}]
    indicators:
      - {indicator: x1, weight: 2}
      - {indicator: x2, direction: -1}
    standardize: {deviation: sample}
    combine: mean
    restandardize: false
    classes:
      title: Testklasse
      labels: [gut, schlecht]
      cuts: [{at: 0, equal: above}]
  - key: idx2
    title: Zweiter Index
    category: Arbeit/Armut
    polarity: neutral
    level: planungsraum
    indicators: [{indicator: x2}]
    standardize: {deviation: population}
    combine: sum
    restandardize: true
    classes:
      title: Klasse 2
      labels: [niedrig, hoch]
      cuts: [{at: 0, equal: below}]
  - key: idxm
    title: Matrix
    category: Arbeit/Armut
    polarity: neutral
    matrix: {rows: idx, columns: idx2}
`

// idxFixture: six Planungsräume p1 … p6 with residents ew and two values;
// p4 has 200 residents, p5's x1 is kept secret at the source, p6 is on the
// exclusion list.
func idxFixture(t *testing.T) (*pgxpool.Pool, *Store) {
	t.Helper()
	pool := pgtest.NewDB(t)
	stmts := []string{pubBatch, pubCount("ew", 3)}
	for _, k := range []string{"x1", "x2"} {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO indicator (key, position, title, category, polarity, kind)
			VALUES ('%s', 1, '%s', 'Arbeit/Armut', 'higher_worse', 'value')`, k, k))
	}
	data := []struct{ code, ew, x1, x2 string }{
		{"p1", "500", "1", "5"}, {"p2", "400", "2", "3"}, {"p3", "1000", "3", "4"},
		{"p4", "200", "4", "1"}, {"p5", "600", "", "2"}, {"p6", "700", "10", "9"}, {"p7", "800", "4", "2.5"},
	}
	for _, d := range data {
		stmts = append(stmts, pubArea("planungsraum", d.code, "", "", "", ""),
			pubObs("ew", "planungsraum", d.code, "2020-12-31", "2020-12-31", d.ew),
			pubObs("x1", "planungsraum", d.code, "2020-12-31", "2020-12-31", d.x1),
			pubObs("x2", "planungsraum", d.code, "2020-12-31", "2020-12-31", d.x2))
	}
	pubFixture(t, pool, stmts...)
	publishNow(t, pool)
	return pool, NewStore(pool, nil)
}

func idxApply(t *testing.T, s *Store, minPopulation string) IndexApplyReport {
	t.Helper()
	f, err := ParseIndexFile("test.yaml", []byte(fmt.Sprintf(idxDefinition, minPopulation)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.ApplyIndices(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// idxCells lists the cells of an indicator as "code value".
func idxCells(t *testing.T, pool *pgxpool.Pool, key string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT a.code, c.value, c.status FROM cell c JOIN area a ON a.id = c.area_id
		WHERE c.indicator = $1 AND c.period = '2020-12-31' ORDER BY a.code`, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var code, status string
		var v float64
		if err := rows.Scan(&code, &v, &status); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %.6f %s", code, v, status))
	}
	return out
}

func TestIndexComputeAndVersions(t *testing.T) {
	ctx := context.Background()
	pool, s := idxFixture(t)
	rep := idxApply(t, s, "300")
	if !slices.Equal(rep.New, []string{"idx", "idx2", "idxm"}) {
		t.Fatalf("new versions %v", rep.New)
	}

	// By hand: p1, p2, p3, p7 are scored (p4 under 300, p5 without x1, p6
	// excluded). Sample deviation, unweighted.
	x1 := []float64{1, 2, 3, 4}
	x2 := []float64{5, 3, 4, 2.5}
	z := func(x []float64) []float64 {
		var m, ss float64
		for _, v := range x {
			m += v / float64(len(x))
		}
		for _, v := range x {
			ss += (v - m) * (v - m)
		}
		sd := math.Sqrt(ss / float64(len(x)-1))
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = (v - m) / sd
		}
		return out
	}
	z1, z2 := z(x1), z(x2)
	codes := []string{"p1", "p2", "p3", "p7"}
	var want, wantClass []string
	for i, c := range codes {
		v := (2*z1[i] - z2[i]) / 3
		want = append(want, fmt.Sprintf("%s %.6f derived", c, v))
		class := 1.0
		if v > 0 {
			class = 2
		}
		wantClass = append(wantClass, fmt.Sprintf("%s %.6f derived", c, class))
	}
	if got := idxCells(t, pool, "idx"); !slices.Equal(got, want) {
		t.Errorf("idx cells %q, want %q", got, want)
	}
	if got := idxCells(t, pool, "idx_klasse"); !slices.Equal(got, wantClass) {
		t.Errorf("idx_klasse cells %q, want %q", got, wantClass)
	}
	// idx2 scores p4 and p5 too (no minimum, only x2); p6 is scored as
	// well, having no exclusion list. The matrix takes the areas of both.
	if got := idxCells(t, pool, "idx2"); len(got) != 7 {
		t.Errorf("idx2 cells %q, want 7", got)
	}
	if got := idxCells(t, pool, "idxm"); len(got) != 4 {
		t.Errorf("idxm cells %q, want 4", got)
	}

	var runs []string
	for _, r := range rep.Computed {
		runs = append(runs, fmt.Sprintf("%s v%d %s scored %d excluded %d %v", r.Key, r.Version, r.Period, r.Scored, r.Excluded, r.Classes))
	}
	wantRuns := []string{
		"idx v1 2020-12-31 scored 4 excluded 3 [2 2]",
		"idx2 v1 2020-12-31 scored 7 excluded 0 [4 3]",
		"idxm v1 2020-12-31 scored 4 excluded 3 [1 1 1 1]",
	}
	if !slices.Equal(runs, wantRuns) {
		t.Errorf("runs\n%s\nwant\n%s", strings.Join(runs, "\n"), strings.Join(wantRuns, "\n"))
	}
	ind, err := s.Indicator(ctx, "idxm")
	if err != nil {
		t.Fatal(err)
	}
	if ind.CompositeIndex != "idxm" || len(ind.Labels) != 4 || ind.Labels[1].Label != "1.2 gut / hoch" {
		t.Errorf("matrix indicator %+v", ind)
	}

	// Applying the same file again changes nothing.
	if rep := idxApply(t, s, "300"); len(rep.New) != 0 || len(rep.Computed) != 0 {
		t.Errorf("same file again: new %v, computed %d", rep.New, len(rep.Computed))
	}
	// A change is a new version; the old one is kept.
	rep = idxApply(t, s, "150")
	if !slices.Equal(rep.New, []string{"idx"}) || rep.Versions[0].Version != 2 {
		t.Fatalf("changed: new %v, versions %+v", rep.New, rep.Versions)
	}
	versions, err := s.IndexVersions(ctx, "idx")
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || versions[0].Definition.Areas.MinPopulation != 300 || versions[1].Definition.Areas.MinPopulation != 150 {
		t.Errorf("versions %+v", versions)
	}
	if got := idxCells(t, pool, "idx"); len(got) != 5 || !strings.HasPrefix(got[3], "p4 ") {
		t.Errorf("idx cells after version 2: %q (p4 now scored)", got)
	}

	// A publish rebuilds the catalogue's cells; the indices are computed
	// again in the same transaction, under a new data version.
	before := idxCells(t, pool, "idx")
	var v1, v2 int64
	if err := pool.QueryRow(ctx, `SELECT version FROM data_version`).Scan(&v1); err != nil {
		t.Fatal(err)
	}
	publishNow(t, pool)
	if err := pool.QueryRow(ctx, `SELECT version FROM data_version`).Scan(&v2); err != nil {
		t.Fatal(err)
	}
	if got := idxCells(t, pool, "idx"); !slices.Equal(got, before) || v2 <= v1 {
		t.Errorf("after publish: %q (before %q), data version %d → %d", got, before, v1, v2)
	}
	var extent int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM cell_extent WHERE indicator LIKE 'idx%'`).Scan(&extent); err != nil || extent != 5 {
		t.Errorf("cell_extent rows of the indices: %d (%v), want 5", extent, err)
	}

	// A catalogue without the index indicators keeps them; one that names
	// them is refused.
	cat := &Catalogue{Path: "cat.yaml", Indicators: []Indicator{
		{Key: "ew", Title: "ew", Category: "Demografie", Polarity: Neutral, Kind: Count, MinCount: 3},
		{Key: "x1", Title: "x1", Category: "Arbeit/Armut", Polarity: HigherWorse, Kind: Value},
		{Key: "x2", Title: "x2", Category: "Arbeit/Armut", Polarity: HigherWorse, Kind: Value},
	}}
	if _, err := s.LoadCatalogue(ctx, cat); err != nil {
		t.Fatal(err)
	}
	if got := idxCells(t, pool, "idx"); !slices.Equal(got, before) {
		t.Errorf("after catalogue load: %q", got)
	}
	cat.Indicators = append(cat.Indicators, Indicator{Key: "idx_klasse", Title: "t", Category: "Demografie", Polarity: Neutral, Kind: Value})
	if _, err := s.LoadCatalogue(ctx, cat); err == nil || !strings.Contains(err.Error(), `indicator "idx_klasse" (of index "idx") holds the results of a composite index`) {
		t.Errorf("catalogue naming an index indicator: %v", err)
	}
}

func TestIndexApplyReferences(t *testing.T) {
	_, s := idxFixture(t)
	f, err := ParseIndexFile("refs.yaml", []byte(`
indices:
  - key: x1
    title: T
    category: Arbeit/Armut
    polarity: neutral
    level: gemeinden
    areas: {population: x2, min_population: 1}
    indicators: [{indicator: nope}]
    standardize: {deviation: population, weight: x1}
    combine: sum
    restandardize: true
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.ApplyIndices(context.Background(), f)
	want := []string{
		`index definitions refs.yaml: index "x1": level: "gemeinden" is no level`,
		`index definitions refs.yaml: index "x1": areas: population: "x2" is a value, not a count`,
		`index definitions refs.yaml: index "x1": standardize: weight: "x1" is a value, not a count`,
		`index definitions refs.yaml: index "x1": indicators: "nope" is not in the catalogue`,
		`index definitions refs.yaml: index "x1": key: its indicator "x1" is in the catalogue already`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

func TestIndexDefinitionErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"empty list", "indices: []", []string{"index definitions f.yaml: indices: none defined"}},
		{"missing fields", `
indices:
  - key: a
    level: planungsraum
    indicators: [{indicator: x, weight: 0, direction: 2}, {indicator: x}]
    areas: {min_population: 300, exclude: [{code: "1"}]}
    standardize: {deviation: n}
    combine: product
    classes: {labels: [a, b], cuts: [{at: 1, equal: on}, {at: 0, equal: below}]}
`, []string{
			`index "a": title: missing`,
			`index "a": category: missing`,
			`index "a": polarity: missing (higher_better, higher_worse or neutral)`,
			`index "a": indicators: entry 1: weight: 0 is not a positive number`,
			`index "a": indicators: entry 1: direction: 2 is neither 1 (higher value, higher index) nor -1`,
			`index "a": indicators: entry 2: indicator: "x" is listed twice`,
			`index "a": areas: population: missing; min_population needs the count indicator it applies to`,
			`index "a": areas: exclude: "1": reason: missing`,
			`index "a": standardize: deviation: "n" is not population or sample`,
			`index "a": combine: "product" is not sum or mean`,
			`index "a": restandardize: missing (true: the combination is standardised again; false: not)`,
			`index "a": classes: title: missing`,
			`index "a": classes: 2 labels for 2 cuts; give one label more than cuts`,
			`index "a": classes: cuts: entry 1: equal: "on" is not below or above`,
			`index "a": classes: cuts: entry 2: at: 0 does not rise above 1`,
		}},
		{"typo", `
indices:
  - key: a
    title: A
    category: C
    polarity: neutral
    level: planungsraum
    indicators: [{indicator: x}]
    standardize: {deviation: population, wieght: ew}
    combine: sum
    restandardize: true
`, []string{
			`index "a": standardize: unknown field "wieght" (line 9)`,
		}},
		{"matrix", `
indices:
  - key: m
    title: M
    category: C
    polarity: neutral
    level: planungsraum
    matrix: {rows: later, columns: m}
`, []string{
			`index "m": level: not for a matrix index, which crosses the classes of two others`,
			`index "m": matrix: rows: "later" is no index defined before it in the file`,
			`index "m": matrix: columns: "m" is no index defined before it in the file`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseIndexFile("f.yaml", []byte(c.yaml))
			var want []string
			for _, w := range c.want {
				if !strings.HasPrefix(w, "index definitions") {
					w = "index definitions f.yaml: " + w
				}
				want = append(want, w)
			}
			if err == nil || err.Error() != strings.Join(want, "\n") {
				t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
			}
		})
	}
}

func TestIndexClassify(t *testing.T) {
	c := IndexClasses{Labels: []string{"hoch", "mittel", "niedrig", "sehr niedrig"},
		Cuts: []IndexCut{{At: -1, Equal: cutAbove}, {At: 1, Equal: cutBelow}, {At: 1.5, Equal: cutBelow}}}
	for _, tc := range []struct {
		v    float64
		want int
	}{{-1.0001, 1}, {-1, 2}, {0, 2}, {1, 2}, {1.0001, 3}, {1.5, 3}, {1.5001, 4}, {math.Inf(1), 4}} {
		if got := c.classify(tc.v); got != tc.want {
			t.Errorf("classify(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
	var texts []string
	for i := range c.Labels {
		texts = append(texts, intervalText(c.Cuts, i))
	}
	if want := []string{"x < -1", "-1 ≤ x ≤ 1", "1 < x ≤ 1,5", "x > 1,5"}; !slices.Equal(texts, want) {
		t.Errorf("intervals %q, want %q", texts, want)
	}
}
