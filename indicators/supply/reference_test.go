package supply

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomPoints draws n facilities and m areas uniformly in a box of the
// given side (metres), with integer capacities and populations; some
// populations are 0, as in areas without children.
func randomPoints(seed uint64, n, m int, side float64) ([]Facility, []Demand) {
	rng := rand.New(rand.NewPCG(seed, 2003))
	fs := make([]Facility, n)
	for j := range fs {
		fs[j] = Facility{ID: fmt.Sprintf("f%05d", j), X: 400000 + rng.Float64()*side, Y: 5800000 + rng.Float64()*side, Capacity: float64(rng.IntN(120))}
	}
	ds := make([]Demand, m)
	for i := range ds {
		pop := float64(rng.IntN(2500))
		if rng.IntN(20) == 0 {
			pop = 0
		}
		ds[i] = Demand{AreaID: fmt.Sprintf("a%05d", i), X: 400000 + rng.Float64()*side, Y: 5800000 + rng.Float64()*side, Population: pop}
	}
	return fs, ds
}

// naive is the reference: the method as the papers write it, a plain
// double loop over every facility and every area, sharing nothing with
// the package's code. ratio[j] is NaN where facility j has no weighted
// demand.
func naive(fs []Facility, ds []Demand, radius float64, decay Decay) (access, ratio []float64) {
	weight := func(d float64) float64 {
		if d > radius {
			return 0
		}
		switch decay.Kind {
		case Stepped:
			for _, z := range decay.Zones {
				if d <= z.Upper {
					return z.Weight
				}
			}
			return 0
		case Gaussian:
			return (math.Exp(-d*d/(2*radius*radius)) - math.Exp(-0.5)) / (1 - math.Exp(-0.5))
		}
		return 1
	}
	ratio = make([]float64, len(fs))
	for j := range fs {
		den := 0.0
		for k := range ds {
			d := math.Sqrt((fs[j].X-ds[k].X)*(fs[j].X-ds[k].X) + (fs[j].Y-ds[k].Y)*(fs[j].Y-ds[k].Y))
			den += ds[k].Population * weight(d)
		}
		ratio[j] = math.NaN()
		if den > 0 {
			ratio[j] = fs[j].Capacity / den
		}
	}
	access = make([]float64, len(ds))
	for i := range ds {
		for j := range fs {
			if math.IsNaN(ratio[j]) {
				continue
			}
			d := math.Sqrt((fs[j].X-ds[i].X)*(fs[j].X-ds[i].X) + (fs[j].Y-ds[i].Y)*(fs[j].Y-ds[i].Y))
			access[i] += ratio[j] * weight(d)
		}
	}
	return access, ratio
}

// relDiff is |a−b| relative to the larger magnitude, 0 where both are 0.
func relDiff(a, b float64) float64 {
	m := math.Max(math.Abs(a), math.Abs(b))
	if m == 0 {
		return 0
	}
	return math.Abs(a-b) / m
}

func decays(radius float64) []Decay {
	return []Decay{
		{},
		// Three zones at thirds of the radius, weights falling as in
		// E2SFCA applications (1, 0.68, 0.22).
		{Kind: Stepped, Zones: []Zone{{radius / 3, 1}, {2 * radius / 3, 0.68}, {radius, 0.22}}},
		{Kind: Gaussian},
	}
}

// TestTwoStepMatchesReference compares TwoStep with the double loop on
// 2,000 facilities and 500 areas in a 40 km box, for every decay and
// radii from sparse (most facilities without demand in reach) to dense.
func TestTwoStepMatchesReference(t *testing.T) {
	fs, ds := randomPoints(1, 2000, 500, 40000)
	worst := 0.0
	for _, radius := range []float64{300, 1000, 2500, 6000, 15000} {
		for _, decay := range decays(radius) {
			t.Run(fmt.Sprintf("%s/%gm", decayName(decay), radius), func(t *testing.T) {
				res, err := TwoStep(context.Background(), fs, ds, Params{Radius: radius, Decay: decay})
				if err != nil {
					t.Fatal(err)
				}
				access, ratio := naive(fs, ds, radius, decay)

				var unreached []string
				var fr []FacilityRatio
				for j := range fs {
					if math.IsNaN(ratio[j]) {
						unreached = append(unreached, fs[j].ID)
					} else {
						fr = append(fr, FacilityRatio{ID: fs[j].ID, Ratio: ratio[j]})
					}
				}
				if !slices.Equal(res.Unreached, unreached) {
					t.Fatalf("%d unreached facilities, reference %d", len(res.Unreached), len(unreached))
				}
				if len(res.Facilities) != len(fr) {
					t.Fatalf("%d facilities with a ratio, reference %d", len(res.Facilities), len(fr))
				}
				for j := range fr {
					got := res.Facilities[j]
					if got.ID != fr[j].ID {
						t.Fatalf("facility %d is %s, reference %s", j, got.ID, fr[j].ID)
					}
					if d := relDiff(got.Ratio, fr[j].Ratio); d > 1e-9 {
						t.Errorf("R_%s = %.17g, reference %.17g", got.ID, got.Ratio, fr[j].Ratio)
					} else {
						worst = math.Max(worst, d)
					}
				}
				zero := 0
				for i := range ds {
					got := res.Areas[i]
					if got.AreaID != ds[i].AreaID {
						t.Fatalf("area %d is %s, want %s", i, got.AreaID, ds[i].AreaID)
					}
					if access[i] == 0 {
						zero++
					}
					if d := relDiff(got.Access, access[i]); d > 1e-9 {
						t.Errorf("A_%s = %.17g, reference %.17g", got.AreaID, got.Access, access[i])
					} else {
						worst = math.Max(worst, d)
					}
				}
				t.Logf("%d of %d facilities without demand in reach, %d of %d areas with access 0", len(unreached), len(fs), zero, len(ds))
			})
		}
	}
	t.Logf("largest relative deviation from the double loop: %.3g", worst)
}

// TestTwoStepSharesCapacity checks the property of the method: each
// facility with demand in reach gives out exactly its capacity, so
// Σ_i P_i A_i = Σ_j S_j over those facilities (Σ_i P_i W_ij / Σ_k P_k W_kj
// is 1 for each j), whatever the decay.
func TestTwoStepSharesCapacity(t *testing.T) {
	fs, ds := randomPoints(7, 2000, 500, 40000)
	worst := 0.0
	for _, radius := range []float64{300, 1000, 2500, 6000, 15000} {
		for _, decay := range decays(radius) {
			res, err := TwoStep(context.Background(), fs, ds, Params{Radius: radius, Decay: decay})
			if err != nil {
				t.Fatal(err)
			}
			capacity := map[string]float64{}
			for _, f := range fs {
				capacity[f.ID] = f.Capacity
			}
			var want, got float64
			for _, f := range res.Facilities {
				want += capacity[f.ID]
			}
			for i, a := range res.Areas {
				got += a.Access * ds[i].Population
			}
			d := relDiff(got, want)
			if d > 1e-9 {
				t.Errorf("%s %g m: Σ P·A = %.17g, Σ S over facilities in reach = %.17g", decayName(decay), radius, got, want)
			}
			worst = math.Max(worst, d)
		}
	}
	t.Logf("largest relative deviation of Σ P·A from Σ S: %.3g", worst)
}

func decayName(d Decay) string {
	if d.Kind == "" {
		return string(Binary)
	}
	return string(d.Kind)
}
