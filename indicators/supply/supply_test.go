package supply

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
)

// The hand-computed case. Facilities F1 (0,0) 10 places, F2 (3000,0) 5
// places, F3 (20000,0) 7 places; areas a (0,1000) 100 children,
// b (2000,0) 50, c (10000,0) 20; radius 2500 m. Distances within reach:
// F1–a 1000, F1–b 2000, F2–b 1000 (F2–a is √10·1000 ≈ 3162). F3 reaches
// nobody, c is reached by nobody.
func handCase() ([]Facility, []Demand) {
	return []Facility{
			{ID: "F1", X: 0, Y: 0, Capacity: 10},
			{ID: "F2", X: 3000, Y: 0, Capacity: 5},
			{ID: "F3", X: 20000, Y: 0, Capacity: 7},
		}, []Demand{
			{AreaID: "a", X: 0, Y: 1000, Population: 100},
			{AreaID: "b", X: 2000, Y: 0, Population: 50},
			{AreaID: "c", X: 10000, Y: 0, Population: 20},
		}
}

func TestTwoStepHandComputed(t *testing.T) {
	// Gaussian weights at 1000 and 2000 m of a 2500 m radius, from the
	// formula: (e^{−½·0.16} − e^{−½}) / (1 − e^{−½}) and the same with
	// 0.64.
	e := math.Exp(-0.5)
	g1 := (math.Exp(-0.08) - e) / (1 - e)
	g2 := (math.Exp(-0.32) - e) / (1 - e)
	r1g := 10 / (100*g1 + 50*g2)
	r2g := 5 / (50 * g1)

	tests := []struct {
		name   string
		decay  Decay
		ratios []float64 // F1, F2
		access []float64 // a, b, c
	}{
		// R1 = 10/(100+50) = 1/15, R2 = 5/50 = 0.1;
		// A_a = 1/15, A_b = 1/15 + 0.1 = 1/6.
		{"binary", Decay{}, []float64{1.0 / 15, 0.1}, []float64{1.0 / 15, 1.0 / 6, 0}},
		// Zones ≤1000 m weight 1, ≤2500 m weight 0.5 (1000 m is in the
		// first): R1 = 10/(100 + 25) = 0.08, R2 = 5/50 = 0.1;
		// A_a = 0.08, A_b = 0.5·0.08 + 0.1 = 0.14.
		{"stepped", Decay{Kind: Stepped, Zones: []Zone{{1000, 1}, {2500, 0.5}}},
			[]float64{0.08, 0.1}, []float64{0.08, 0.14, 0}},
		{"gaussian", Decay{Kind: Gaussian},
			[]float64{r1g, r2g}, []float64{r1g * g1, r1g*g2 + r2g*g1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, ds := handCase()
			res, err := TwoStep(context.Background(), fs, ds, Params{Radius: 2500, Decay: tc.decay})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Facilities) != 2 || res.Facilities[0].ID != "F1" || res.Facilities[1].ID != "F2" {
				t.Fatalf("facilities %+v, want F1 and F2", res.Facilities)
			}
			for j, want := range tc.ratios {
				if got := res.Facilities[j].Ratio; math.Abs(got-want) > 1e-15 {
					t.Errorf("R_%s = %.17g, want %.17g", res.Facilities[j].ID, got, want)
				}
			}
			var sum float64
			for i, want := range tc.access {
				a := res.Areas[i]
				if math.Abs(a.Access-want) > 1e-15 {
					t.Errorf("A_%s = %.17g, want %.17g", a.AreaID, a.Access, want)
				}
				sum += a.Access * ds[i].Population
			}
			// F1 and F2 have demand in reach: their 15 places are shared
			// out in full.
			if math.Abs(sum-15) > 1e-12 {
				t.Errorf("Σ A·P = %.17g, want 15", sum)
			}
			if !slices.Equal(res.Unreached, []string{"F3"}) {
				t.Errorf("unreached %v, want [F3]", res.Unreached)
			}
			if !slices.Equal(res.Unserved, []string{"c"}) {
				t.Errorf("unserved %v, want [c]", res.Unserved)
			}
			if got := []int{res.Areas[0].Facilities, res.Areas[1].Facilities, res.Areas[2].Facilities}; !slices.Equal(got, []int{1, 2, 0}) {
				t.Errorf("contributing facilities %v, want [1 2 0]", got)
			}
		})
	}
}

// A Gaussian pair exactly on the edge weighs 0: the facility there has no
// demand in reach and the area none in reach, as with any pair beyond.
func TestTwoStepGaussianEdge(t *testing.T) {
	fs := []Facility{{ID: "F", X: 0, Y: 0, Capacity: 3}}
	ds := []Demand{{AreaID: "a", X: 2500, Y: 0, Population: 10}}
	res, err := TwoStep(context.Background(), fs, ds, Params{Radius: 2500, Decay: Decay{Kind: Gaussian}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Unreached, []string{"F"}) || !slices.Equal(res.Unserved, []string{"a"}) || res.Areas[0].Access != 0 {
		t.Errorf("got %+v, want F unreached, a unserved with 0", res)
	}
	// The binary catchment includes its edge.
	res, err = TwoStep(context.Background(), fs, ds, Params{Radius: 2500})
	if err != nil {
		t.Fatal(err)
	}
	if res.Areas[0].Access != 0.3 {
		t.Errorf("binary A at the edge = %v, want 0.3", res.Areas[0].Access)
	}
}

func TestTwoStepBadInput(t *testing.T) {
	nan := math.NaN()
	ok := func() ([]Facility, []Demand) { return handCase() }
	tests := []struct {
		name   string
		change func(fs []Facility, ds []Demand, p *Params)
		want   string
	}{
		{"radius zero", func(_ []Facility, _ []Demand, p *Params) { p.Radius = 0 }, "catchment radius 0 m"},
		{"radius negative", func(_ []Facility, _ []Demand, p *Params) { p.Radius = -5 }, "catchment radius -5 m"},
		{"radius NaN", func(_ []Facility, _ []Demand, p *Params) { p.Radius = nan }, "catchment radius NaN"},
		{"facility NaN x", func(fs []Facility, _ []Demand, _ *Params) { fs[1].X = nan }, `facility "F2": coordinates`},
		{"facility negative capacity", func(fs []Facility, _ []Demand, _ *Params) { fs[0].Capacity = -1 }, `facility "F1": capacity -1`},
		{"facility NaN capacity", func(fs []Facility, _ []Demand, _ *Params) { fs[2].Capacity = nan }, `facility "F3": capacity NaN`},
		{"facility twice", func(fs []Facility, _ []Demand, _ *Params) { fs[2].ID = "F1" }, `facility "F1": given twice`},
		{"facility without id", func(fs []Facility, _ []Demand, _ *Params) { fs[1].ID = "" }, "facility 2: empty id"},
		{"area infinite y", func(_ []Facility, ds []Demand, _ *Params) { ds[2].Y = math.Inf(1) }, `area "c": coordinates`},
		{"area negative population", func(_ []Facility, ds []Demand, _ *Params) { ds[1].Population = -3 }, `area "b": population -3`},
		{"area NaN population", func(_ []Facility, ds []Demand, _ *Params) { ds[0].Population = nan }, `area "a": population NaN`},
		{"area twice", func(_ []Facility, ds []Demand, _ *Params) { ds[1].AreaID = "a" }, `area "a": given twice`},
		{"unknown decay", func(_ []Facility, _ []Demand, p *Params) { p.Decay.Kind = "linear" }, `decay "linear"`},
		{"stepped without zones", func(_ []Facility, _ []Demand, p *Params) { p.Decay.Kind = Stepped }, "stepped decay without zones"},
		{"stepped not ending at radius", func(_ []Facility, _ []Demand, p *Params) {
			p.Decay = Decay{Kind: Stepped, Zones: []Zone{{1000, 1}, {2000, 0.5}}}
		}, "last zone ends at 2000 m, the catchment radius is 2500 m"},
		{"stepped not increasing", func(_ []Facility, _ []Demand, p *Params) {
			p.Decay = Decay{Kind: Stepped, Zones: []Zone{{1000, 1}, {1000, 0.5}, {2500, 0.2}}}
		}, "zone 2: upper bound 1000 m is not above 1000 m"},
		{"stepped zero weight", func(_ []Facility, _ []Demand, p *Params) {
			p.Decay = Decay{Kind: Stepped, Zones: []Zone{{1000, 1}, {2500, 0}}}
		}, "zone 2: weight 0 is not in (0, 1]"},
		{"binary with zones", func(_ []Facility, _ []Demand, p *Params) {
			p.Decay = Decay{Zones: []Zone{{2500, 1}}}
		}, "binary decay takes no zones"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, ds := ok()
			p := Params{Radius: 2500}
			tc.change(fs, ds, &p)
			_, err := TwoStep(context.Background(), fs, ds, p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestTwoStepCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fs, ds := handCase()
	if _, err := TwoStep(ctx, fs, ds, Params{Radius: 2500}); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("error %v, want cancellation", err)
	}
}

func TestTwoStepEmpty(t *testing.T) {
	res, err := TwoStep(context.Background(), nil, nil, Params{Radius: 1000})
	if err != nil || len(res.Areas) != 0 || len(res.Facilities) != 0 {
		t.Errorf("empty input: %+v, %v", res, err)
	}
}

func TestMeta(t *testing.T) {
	zones := []Zone{{1000, 1}, {2000, 0.68}, {3000, 0.22}}
	tests := []struct {
		decay  Decay
		method string
		kind   DecayKind
	}{
		{Decay{}, "2sfca", Binary},
		{Decay{Kind: Stepped, Zones: zones}, "e2sfca", Stepped},
		{Decay{Kind: Gaussian}, "gaussian-2sfca", Gaussian},
	}
	for _, tc := range tests {
		m := Params{Radius: 3000, Decay: tc.decay}.Meta()
		if m.Method != tc.method || m.Decay.Kind != tc.kind || m.RadiusM != 3000 || m.Distance != "euclidean" {
			t.Errorf("%v: meta %+v", tc.decay, m)
		}
	}
}
