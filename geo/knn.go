package geo

import (
	"cmp"
	"slices"
)

// NearestNeighbours returns for each point the indices of its k nearest
// other points (Euclidean distance; of equal distances the lower index
// first), each list in ascending index order as spdep's knn2nb gives them.
// With fewer than k+1 points every point has all others.
//
// The points are swept in order of x: the search around a point walks
// outwards in both directions and stops on a side once the gap in x alone
// exceeds the k-th distance found so far. For the label points of
// Germany's 10,997 Gemeinden and k = 6 this takes a few milliseconds.
func NearestNeighbours(points [][2]float64, k int) [][]int32 {
	n := len(points)
	k = min(k, n-1)
	lists := make([][]int32, n)
	if k <= 0 {
		return lists
	}
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(points[a][0], points[b][0]), cmp.Compare(a, b))
	})
	links := make([]int32, n*k)
	best := make([]candidate, 0, k+1)
	for pos, i := range order {
		p := points[i]
		best = best[:0]
		consider := func(j int32) {
			dx, dy := points[j][0]-p[0], points[j][1]-p[1]
			c := candidate{d: dx*dx + dy*dy, j: j}
			if len(best) == k && !c.less(best[k-1]) {
				return
			}
			if len(best) < k {
				best = append(best, c)
			} else {
				best[k-1] = c
			}
			for m := len(best) - 1; m > 0 && best[m].less(best[m-1]); m-- {
				best[m], best[m-1] = best[m-1], best[m]
			}
		}
		lo, hi := pos-1, pos+1
		for lo >= 0 || hi < n {
			if hi < n {
				dx := points[order[hi]][0] - p[0]
				if len(best) == k && dx*dx > best[k-1].d {
					hi = n
				} else {
					consider(order[hi])
					hi++
				}
			}
			if lo >= 0 {
				dx := p[0] - points[order[lo]][0]
				if len(best) == k && dx*dx > best[k-1].d {
					lo = -1
				} else {
					consider(order[lo])
					lo--
				}
			}
		}
		l := links[int(i)*k : int(i)*k+k : int(i)*k+k]
		for m, c := range best {
			l[m] = c.j
		}
		slices.Sort(l)
		lists[i] = l
	}
	return lists
}

// candidate is a point at squared distance d.
type candidate struct {
	d float64
	j int32
}

func (c candidate) less(o candidate) bool {
	return c.d < o.d || (c.d == o.d && c.j < o.j)
}
