// Package cluster groups areas into types by their indicator profiles:
// the indicators z-standardised over the participating areas, then
// k-means (Lloyd's algorithm from k-means++ seeds) or Ward's hierarchical
// clustering cut into k groups. It knows nothing of the database: rows
// in, groups out.
//
// Types are numbered in one order for both methods (Order): the largest
// first, so that "Typ 1" is the most common profile.
package cluster

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Data is n rows (areas) of p columns (indicators), row-major.
type Data struct {
	N, P int
	X    []float64
}

// Row is row i.
func (d Data) Row(i int) []float64 { return d.X[i*d.P : (i+1)*d.P : (i+1)*d.P] }

// ConstantError is an indicator with the same value in every row: it has
// no standard deviation to standardise by.
type ConstantError struct{ Column int }

func (e *ConstantError) Error() string {
	return fmt.Sprintf("column %d has the same value in every row", e.Column)
}

// ErrTooFewDistinct is returned when fewer rows differ than groups are
// asked for: some group would have to be empty.
var ErrTooFewDistinct = errors.New("fewer distinct rows than groups")

// Standardise returns the z-scores of d's columns, (x − mean) / sd, with
// the sample standard deviation (divisor n − 1), as R's scale() does, and
// the means and standard deviations used. Mean and deviation are taken in
// two passes, which keeps the deviation exact for values far from zero.
func Standardise(d Data) (z Data, mean, sd []float64, err error) {
	if d.N < 2 {
		return Data{}, nil, nil, fmt.Errorf("standardise %d rows: need at least 2", d.N)
	}
	mean, sd = make([]float64, d.P), make([]float64, d.P)
	for j := range d.P {
		s := 0.0
		for i := range d.N {
			s += d.X[i*d.P+j]
		}
		m := s / float64(d.N)
		ss := 0.0
		for i := range d.N {
			dev := d.X[i*d.P+j] - m
			ss += dev * dev
		}
		mean[j], sd[j] = m, math.Sqrt(ss/float64(d.N-1))
		if sd[j] == 0 {
			return Data{}, nil, nil, &ConstantError{Column: j}
		}
	}
	z = Data{N: d.N, P: d.P, X: make([]float64, len(d.X))}
	for i := range d.N {
		for j := range d.P {
			z.X[i*d.P+j] = (d.X[i*d.P+j] - mean[j]) / sd[j]
		}
	}
	return z, mean, sd, nil
}

// Partition is rows grouped into K groups and what describes them.
type Partition struct {
	K int
	// Group of each row, 0 to K−1.
	Group []int
	// Centres are the groups' member means (K × P, row-major); Sizes
	// their numbers of rows.
	Centres []float64
	Sizes   []int
	// WithinSS is each group's sum of squared distances to its centre;
	// TotalSS the rows' sum of squared distances to the overall mean,
	// so that 1 − Σ WithinSS / TotalSS is the share of the variance
	// between the groups (R's kmeans: betweenss / totss).
	WithinSS []float64
	TotalSS  float64
	// Distance of each row to its group's centre (Euclidean).
	Distance []float64
}

// Centre is group g's centre.
func (p *Partition) Centre(g int) []float64 {
	n := len(p.Centres) / p.K
	return p.Centres[g*n : (g+1)*n : (g+1)*n]
}

// TotalWithinSS is Σ WithinSS.
func (p *Partition) TotalWithinSS() float64 {
	s := 0.0
	for _, w := range p.WithinSS {
		s += w
	}
	return s
}

// BetweenShare is the share of the total sum of squares between the
// groups, 0 to 1.
func (p *Partition) BetweenShare() float64 {
	return 1 - p.TotalWithinSS()/p.TotalSS
}

// describe fills in centres, sizes, sums of squares and distances of the
// grouping group of d into k groups, none of them empty.
func describe(d Data, group []int, k int) *Partition {
	p := &Partition{K: k, Group: group, Centres: make([]float64, k*d.P), Sizes: make([]int, k),
		WithinSS: make([]float64, k), Distance: make([]float64, d.N)}
	centroids(d, group, p.Centres, p.Sizes)
	overall := make([]float64, d.P)
	for i := range d.N {
		for j, x := range d.Row(i) {
			overall[j] += x
		}
	}
	for j := range overall {
		overall[j] /= float64(d.N)
	}
	for i := range d.N {
		g := group[i]
		dd := sqDist(d.Row(i), p.Centre(g))
		p.WithinSS[g] += dd
		p.Distance[i] = math.Sqrt(dd)
		p.TotalSS += sqDist(d.Row(i), overall)
	}
	return p
}

// centroids sets centres to the member means of the groups and sizes to
// their sizes; an empty group's centre is left zero.
func centroids(d Data, group []int, centres []float64, sizes []int) {
	clear(centres)
	clear(sizes)
	for i := range d.N {
		g := group[i]
		sizes[g]++
		c := centres[g*d.P : (g+1)*d.P]
		for j, x := range d.Row(i) {
			c[j] += x
		}
	}
	for g, n := range sizes {
		if n == 0 {
			continue
		}
		for j := range d.P {
			centres[g*d.P+j] /= float64(n)
		}
	}
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for j := range a {
		e := a[j] - b[j]
		s += e * e
	}
	return s
}

// Order renumbers p's groups: by size, largest first; equal sizes by the
// centre's first column, lowest first; then by the first row in the
// group. The order depends only on the grouping, not on how a method
// happened to number it, so the same partition gets the same numbers
// from either method and from every seed that finds it.
func (p *Partition) Order() {
	first := make([]int, p.K)
	for g := range first {
		first[g] = -1
	}
	for i, g := range p.Group {
		if first[g] < 0 {
			first[g] = i
		}
	}
	order := make([]int, p.K) // new number → old
	for g := range order {
		order[g] = g
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case p.Sizes[a] != p.Sizes[b]:
			return p.Sizes[b] - p.Sizes[a]
		case p.Centre(a)[0] < p.Centre(b)[0]:
			return -1
		case p.Centre(a)[0] > p.Centre(b)[0]:
			return 1
		}
		return first[a] - first[b]
	})
	renumber := make([]int, p.K) // old → new
	for n, old := range order {
		renumber[old] = n
	}
	cols := len(p.Centres) / p.K
	centres := make([]float64, len(p.Centres))
	sizes := make([]int, p.K)
	within := make([]float64, p.K)
	for n, old := range order {
		copy(centres[n*cols:(n+1)*cols], p.Centre(old))
		sizes[n], within[n] = p.Sizes[old], p.WithinSS[old]
	}
	for i, g := range p.Group {
		p.Group[i] = renumber[g]
	}
	p.Centres, p.Sizes, p.WithinSS = centres, sizes, within
}
