package cluster

import (
	"fmt"
	"math"
	"slices"
)

// Merge is one step of a hierarchical clustering: the groups holding rows
// A and B joined at Height into a group of Size rows.
type Merge struct {
	A, B   int
	Height float64
	Size   int
}

// Ward clusters d's rows hierarchically by Ward's minimum-variance
// criterion (J. H. Ward, Hierarchical grouping to optimize an objective
// function, JASA 58, 1963) and returns the n − 1 merges in increasing
// height.
//
// The heights are those of R's hclust(dist(x), method = "ward.D2"): the
// Lance–Williams recurrence for Ward applied to squared Euclidean
// distances, whose value for two groups A and B with centres a and b is
// 2·|A|·|B| / (|A| + |B|) · ‖a − b‖², and the height its square root
// (F. Murtagh, P. Legendre, Ward's hierarchical agglomerative clustering
// method: which algorithms implement Ward's criterion?, J. Classif. 31,
// 2014). It is computed here from the groups' centres and sizes, which
// needs memory for n centres rather than n²/2 distances, and in the order
// of the nearest-neighbour chain (Murtagh 1983): Ward's criterion is
// reducible, so the chain's reciprocal nearest neighbours give the same
// hierarchy as merging the closest pair each time. Time is O(n²·p).
func Ward(d Data) []Merge {
	n, p := d.N, d.P
	centres := slices.Clone(d.X)
	sizes := make([]float64, n)
	rep := make([]int, n) // a row of each slot's group
	active := make([]int, n)
	for i := range n {
		sizes[i], rep[i], active[i] = 1, i, i
	}
	where := make([]int, n) // slot → index in active
	for i := range where {
		where[i] = i
	}
	cost := func(a, b int) float64 {
		na, nb := sizes[a], sizes[b]
		return 2 * na * nb / (na + nb) * sqDist(centres[a*p:(a+1)*p], centres[b*p:(b+1)*p])
	}
	merges := make([]Merge, 0, n-1)
	chain := make([]int, 0, n)
	for len(active) > 1 {
		if len(chain) == 0 {
			chain = append(chain, active[0])
		}
		a := chain[len(chain)-1]
		// the previous link wins ties, so the chain cannot cycle
		best, bestD := -1, math.Inf(1)
		if len(chain) > 1 {
			best = chain[len(chain)-2]
			bestD = cost(a, best)
		}
		for _, c := range active {
			if c == a {
				continue
			}
			if dd := cost(a, c); dd < bestD {
				best, bestD = c, dd
			}
		}
		if len(chain) < 2 || best != chain[len(chain)-2] {
			chain = append(chain, best)
			continue
		}
		// a and best are reciprocal nearest neighbours: merge b into a
		b := best
		chain = chain[:len(chain)-2]
		na, nb := sizes[a], sizes[b]
		ca, cb := centres[a*p:(a+1)*p], centres[b*p:(b+1)*p]
		for j := range ca {
			ca[j] = (na*ca[j] + nb*cb[j]) / (na + nb)
		}
		sizes[a] = na + nb
		merges = append(merges, Merge{A: rep[a], B: rep[b], Height: math.Sqrt(bestD), Size: int(na + nb)})
		i := where[b]
		last := active[len(active)-1]
		active[i], where[last] = last, i
		active = active[:len(active)-1]
	}
	// the chain merges out of height order; a stable sort keeps a group's
	// merge before the merges of groups containing it where heights tie
	slices.SortStableFunc(merges, func(x, y Merge) int {
		switch {
		case x.Height < y.Height:
			return -1
		case x.Height > y.Height:
			return 1
		}
		return 0
	})
	return merges
}

// Cut groups the n rows into k groups by the first n − k merges, as R's
// cutree(tree, k) does. Groups are numbered by their first row.
func Cut(merges []Merge, n, k int) ([]int, error) {
	if k < 1 || k > n || len(merges) != n-1 {
		return nil, fmt.Errorf("cut %d merges of %d rows into %d groups", len(merges), n, k)
	}
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, m := range merges[:n-k] {
		a, b := find(m.A), find(m.B)
		if a == b {
			return nil, fmt.Errorf("merge of rows %d and %d joins one group", m.A, m.B)
		}
		parent[max(a, b)] = min(a, b)
	}
	group := make([]int, n)
	number := map[int]int{}
	for i := range n {
		r := find(i)
		g, ok := number[r]
		if !ok {
			g = len(number)
			number[r] = g
		}
		group[i] = g
	}
	return group, nil
}

// WardPartition clusters d by Ward and cuts the tree into k groups.
func WardPartition(d Data, k int) (*Partition, []Merge, error) {
	if k < 1 || k > d.N {
		return nil, nil, fmt.Errorf("ward: %d groups of %d rows", k, d.N)
	}
	merges := Ward(d)
	group, err := Cut(merges, d.N, k)
	if err != nil {
		return nil, nil, err
	}
	return describe(d, group, k), merges, nil
}
