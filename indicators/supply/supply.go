// Package supply measures how well areas are supplied with facilities
// that serve more than the area they stand in (Kitas, schools, doctors):
// the two-step floating catchment area method (2SFCA, Luo and Wang 2003)
// with an optional distance decay (E2SFCA, Luo and Qi 2009; a continuous
// Gaussian after Dai 2010), and the distance to the nearest facility.
//
// Distances are straight lines between points in one metric CRS
// (EPSG:25832 or 25833, metres). The package knows nothing of the
// database: points in, numbers out; storing them as derived indicators
// is the caller's work, with Params.Meta as their metadata.
package supply

import (
	"context"
	"fmt"
	"math"
)

// Facility is a supply point: a facility of one type with its capacity
// (places, physicians, beds).
type Facility struct {
	ID       string
	X, Y     float64
	Capacity float64
}

// Demand is the demand point of an area (its population-weighted or
// label point) with the population that competes for the facilities
// (children under 6 for Kitas, residents for doctors).
type Demand struct {
	AreaID     string
	X, Y       float64
	Population float64
}

// Params of a two-step computation.
type Params struct {
	// Radius d0 of the catchment in metres: pairs farther apart do not
	// interact.
	Radius float64
	Decay  Decay
}

// AreaAccess is the accessibility A_i of one area: facility capacity per
// one unit of demand population within reach (multiply by 100 for "per
// 100 children"). Facilities is how many facilities contribute to it.
type AreaAccess struct {
	AreaID     string
	Access     float64
	Facilities int
}

// FacilityRatio is step 1 for a facility with demand in reach: its
// capacity over the (distance-weighted) demand in its catchment.
type FacilityRatio struct {
	ID     string
	Ratio  float64
	Demand float64
}

// Result of TwoStep.
type Result struct {
	// Areas in the order of the demand points given, every one of them:
	// an area without a facility in reach has Access 0, not a gap, since
	// "no place within reach" is a finding, not missing data.
	Areas []AreaAccess
	// Facilities with demand in reach, in the order given.
	Facilities []FacilityRatio
	// Unreached are the IDs of facilities with no demand in reach: their
	// ratio has a zero denominator and is undefined, so they contribute
	// nothing; they are listed so that the caller can report them.
	Unreached []string
	// Unserved are the IDs of areas with no contributing facility in
	// reach (Access 0).
	Unserved []string
}

// TwoStep computes the two-step floating catchment area measure:
//
//	step 1, each facility j:  R_j = S_j / Σ_k P_k W(d_kj)
//	step 2, each area i:      A_i = Σ_j R_j W(d_ij)
//
// with W the decay (1 inside the radius for Binary, 0 beyond the radius
// for every kind). Every facility j with Σ_k P_k W(d_kj) > 0 has its
// capacity shared out in full: Σ_i P_i A_i = Σ_j S_j over those j.
//
// A grid over the demand points finds the pairs within the radius; the
// sums are the same as those of a loop over all pairs, only in another
// order.
func TwoStep(ctx context.Context, facilities []Facility, demand []Demand, p Params) (Result, error) {
	w, err := newWeigher(p.Decay, p.Radius)
	if err != nil {
		return Result{}, fmt.Errorf("two-step catchment: %w", err)
	}
	if err := checkFacilities(facilities); err != nil {
		return Result{}, fmt.Errorf("two-step catchment: %w", err)
	}
	if err := checkDemand(demand); err != nil {
		return Result{}, fmt.Errorf("two-step catchment: %w", err)
	}

	xs := make([]float64, len(demand))
	ys := make([]float64, len(demand))
	for i, d := range demand {
		xs[i], ys[i] = d.X, d.Y
	}
	g := newGrid(xs, ys, p.Radius)
	// Population in the grid's order, so step 1 reads it alongside the
	// coordinates.
	pop := make([]float64, len(demand))
	for q, i := range g.idx {
		pop[q] = demand[i].Population
	}

	// Step 1. ratio[j] stays NaN for a facility without demand in reach.
	ratio := make([]float64, len(facilities))
	weighted := make([]float64, len(facilities))
	for j, f := range facilities {
		if j%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, fmt.Errorf("two-step catchment, step 1: %w", err)
			}
		}
		var sum float64
		g.within(f.X, f.Y, p.Radius, func(q int) {
			dx, dy := g.xs[q]-f.X, g.ys[q]-f.Y
			if wt := w.at(math.Sqrt(dx*dx + dy*dy)); wt > 0 {
				sum += pop[q] * wt
			}
		})
		weighted[j] = sum
		ratio[j] = math.NaN()
		if sum > 0 {
			ratio[j] = f.Capacity / sum
		}
	}

	// Step 2, scattered from the facilities: each pair within reach adds
	// R_j W(d_ij) to its area. This walks the same pairs as step 1 again
	// instead of keeping them, which for a wide radius could be tens of
	// millions.
	access := make([]float64, len(demand))
	count := make([]int, len(demand))
	for j, f := range facilities {
		if j%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, fmt.Errorf("two-step catchment, step 2: %w", err)
			}
		}
		r := ratio[j]
		if math.IsNaN(r) {
			continue
		}
		g.within(f.X, f.Y, p.Radius, func(q int) {
			dx, dy := g.xs[q]-f.X, g.ys[q]-f.Y
			if wt := w.at(math.Sqrt(dx*dx + dy*dy)); wt > 0 {
				i := g.idx[q]
				access[i] += r * wt
				count[i]++
			}
		})
	}

	res := Result{Areas: make([]AreaAccess, len(demand))}
	for i, d := range demand {
		res.Areas[i] = AreaAccess{AreaID: d.AreaID, Access: access[i], Facilities: count[i]}
		if count[i] == 0 {
			res.Unserved = append(res.Unserved, d.AreaID)
		}
	}
	for j, f := range facilities {
		if math.IsNaN(ratio[j]) {
			res.Unreached = append(res.Unreached, f.ID)
			continue
		}
		res.Facilities = append(res.Facilities, FacilityRatio{ID: f.ID, Ratio: ratio[j], Demand: weighted[j]})
	}
	return res, nil
}

// finite reports whether v is an ordinary number.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkFacilities rejects what would make a ratio meaningless, naming
// the facility so that the import it came from can be fixed.
func checkFacilities(fs []Facility) error {
	seen := make(map[string]struct{}, len(fs))
	for n, f := range fs {
		if err := checkPoint(seen, "facility", n, f.ID, f.X, f.Y, "capacity", f.Capacity); err != nil {
			return err
		}
	}
	return nil
}

// checkDemand does the same for the demand points; an area given twice
// would be counted twice in every catchment it lies in.
func checkDemand(ds []Demand) error {
	seen := make(map[string]struct{}, len(ds))
	for n, d := range ds {
		if err := checkPoint(seen, "area", n, d.AreaID, d.X, d.Y, "population", d.Population); err != nil {
			return err
		}
	}
	return nil
}

// checkPoint checks the n-th point of a kind: a unique id, finite
// coordinates and a finite amount of at least 0.
func checkPoint(seen map[string]struct{}, kind string, n int, id string, x, y float64, amount string, v float64) error {
	if id == "" {
		return fmt.Errorf("%s %d: empty id", kind, n+1)
	}
	if _, dup := seen[id]; dup {
		return fmt.Errorf("%s %q: given twice", kind, id)
	}
	seen[id] = struct{}{}
	if !finite(x) || !finite(y) {
		return fmt.Errorf("%s %q: coordinates (%v, %v) are not finite", kind, id, x, y)
	}
	if !finite(v) || v < 0 {
		return fmt.Errorf("%s %q: %s %v is not a finite number ≥ 0", kind, id, amount, v)
	}
	return nil
}
