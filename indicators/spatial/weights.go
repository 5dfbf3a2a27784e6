// Package spatial computes measures of spatial autocorrelation over the
// areas of a level: global Moran's I with its test under randomisation and
// a permutation test, local Moran (LISA) with conditional permutations,
// and Getis-Ord Gi*. It follows R's spdep 1.2 (Bivand; moran.test,
// moran.mc, localmoran, localmoran_perm, localG), against which it is
// tested, with row-standardised weights (spdep's style "W").
//
// The package knows no database: it takes neighbour lists and values.
package spatial

import (
	"fmt"
	"math"
	"slices"
)

// Weights are row-standardised spatial weights in compressed rows: area
// i's neighbours are links[start[i]:start[i+1]], each weighing
// 1/cardinality, so that the spatial lag of an area is the mean of its
// neighbours' values.
type Weights struct {
	start []int32
	links []int32
	inv   []float64 // 1 / cardinality; 0 for an island
}

// NewWeights builds the weights from neighbour lists (indices, no self,
// no repeats). The lists need not be symmetric (k nearest neighbours are
// not).
func NewWeights(lists [][]int32) (*Weights, error) {
	n := len(lists)
	w := &Weights{start: make([]int32, n+1), inv: make([]float64, n)}
	total := 0
	for _, l := range lists {
		total += len(l)
	}
	w.links = make([]int32, 0, total)
	for i, l := range lists {
		for _, j := range l {
			if j < 0 || int(j) >= n || int(j) == i {
				return nil, fmt.Errorf("area %d: neighbour %d is not another area of %d", i, j, n)
			}
		}
		from := len(w.links)
		w.links = append(w.links, l...)
		slices.Sort(w.links[from:])
		if len(slices.Compact(slices.Clone(w.links[from:]))) != len(l) {
			return nil, fmt.Errorf("area %d: a neighbour is listed twice", i)
		}
		w.start[i+1] = int32(len(w.links))
		if len(l) > 0 {
			w.inv[i] = 1 / float64(len(l))
		}
	}
	return w, nil
}

// N is the number of areas.
func (w *Weights) N() int { return len(w.inv) }

// Neighbours are area i's neighbours, ascending.
func (w *Weights) Neighbours(i int) []int32 { return w.links[w.start[i]:w.start[i+1]] }

// Links is the number of (directed) neighbour links.
func (w *Weights) Links() int { return len(w.links) }

// lag is the mean of x over i's neighbours (0 for an island).
func (w *Weights) lag(x []float64, i int) float64 {
	s := 0.0
	for _, j := range w.links[w.start[i]:w.start[i+1]] {
		s += x[j]
	}
	return s * w.inv[i]
}

// constants are spdep's spweights.constants of row-standardised weights
// without islands: S0 the sum of the weights (= n), S1 = ½ Σ (w_ij +
// w_ji)², S2 = Σ (w_i· + w_·i)².
func (w *Weights) constants() (s0, s1, s2 float64) {
	n := w.N()
	col := make([]float64, n)
	for i := range n {
		wi := w.inv[i]
		s0 += wi * float64(w.start[i+1]-w.start[i])
		for _, j := range w.Neighbours(i) {
			col[j] += wi
			s1 += wi * wi
			if _, ok := slices.BinarySearch(w.Neighbours(int(j)), int32(i)); ok {
				s1 += wi * w.inv[j]
			}
		}
	}
	for i := range n {
		row := 0.0
		if w.start[i+1] > w.start[i] {
			row = 1
		}
		s2 += (row + col[i]) * (row + col[i])
	}
	return s0, s1, s2
}

// Prepared is what the statistics run on: the areas that have a value
// and, among those, a neighbour with a value.
type Prepared struct {
	W *Weights
	X []float64
	// Index is the position in the input of each area kept.
	Index []int
	// WithoutValue are the input positions without a value (NaN);
	// Islands those with a value but no neighbour with one.
	WithoutValue, Islands []int
}

// Prepare leaves out the areas without a value and then the islands:
// areas none of whose neighbours has a value (or that had no neighbours
// to begin with). An area without a value is dropped from its neighbours'
// lists, as spdep's subset.nb drops it, which may leave islands; an
// island has no links, so dropping it changes no other list. The
// statistics then run on the rest as spdep's do on
// subset(subset(nb, has value), card > 0): islands do not enter the mean
// or the variance of the values (spdep's zero.policy = TRUE would keep
// their values there with zero weights).
func Prepare(lists [][]int32, values []float64) (Prepared, error) {
	if len(lists) != len(values) {
		return Prepared{}, fmt.Errorf("%d neighbour lists for %d values", len(lists), len(values))
	}
	var p Prepared
	for _, l := range lists {
		for _, j := range l {
			if j < 0 || int(j) >= len(lists) {
				return Prepared{}, fmt.Errorf("neighbour %d is not among the %d areas", j, len(lists))
			}
		}
	}
	keep := make([]bool, len(lists))
	for i, v := range values {
		keep[i] = !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	kept := func(j int32) bool { return keep[j] }
	// Symmetric lists settle in one round; asymmetric ones (an area whose
	// only neighbour is an island dropped in this round) may take more.
	for changed := true; changed; {
		changed = false
		for i, l := range lists {
			if keep[i] && !slices.ContainsFunc(l, kept) {
				keep[i], changed = false, true
			}
		}
	}
	newIndex := make([]int32, len(lists))
	for i, v := range values {
		newIndex[i] = -1
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			p.WithoutValue = append(p.WithoutValue, i)
		case !keep[i]:
			p.Islands = append(p.Islands, i)
		default:
			newIndex[i] = int32(len(p.Index))
			p.Index = append(p.Index, i)
			p.X = append(p.X, v)
		}
	}
	sub := make([][]int32, len(p.Index))
	for k, i := range p.Index {
		for _, j := range lists[i] {
			if newIndex[j] >= 0 {
				sub[k] = append(sub[k], newIndex[j])
			}
		}
	}
	var err error
	p.W, err = NewWeights(sub)
	return p, err
}
