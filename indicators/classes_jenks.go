package indicators

// Fisher–Jenks natural breaks: the partition of sorted values into k
// classes of consecutive values with the least sum of squared deviations
// from the class means (W. D. Fisher, "On grouping for maximum
// homogeneity", JASA 53, 1958). Fisher showed that an optimal partition
// of sorted values never interleaves classes, so dynamic programming over
// prefixes finds it exactly:
//
//	D(1, i) = SSD(0, i)
//	D(j, i) = min over m of D(j−1, m) + SSD(m, i),  j−1 ≤ m < i
//
// where D(j, i) is the least cost of the first i values in j classes and
// SSD(m, i) the squared deviations of values m…i−1 from their mean (the
// formulation of X. Wang and H. Song, "Ckmeans.1d.dp: optimal k-means
// clustering in one dimension by dynamic programming", The R Journal 3/2,
// 2011). SSD satisfies the quadrangle inequality, so the best m of each i
// never decreases with i; each row is therefore found by divide and
// conquer, the middle i first, in O(n log n), and all k rows in
// O(k·n·log n). The plain O(k·n²) recursion of Fisher and of Jenks' own
// program would take about 10^9 steps for 11,000 Gemeinden in 9 classes.
//
// Equal values are one item with a weight: an optimal partition never
// needs to part them, and a map cannot colour two equal values
// differently anyway.

// jenksBreaks returns the breaks of the optimal partition of the distinct
// sorted values xs (with their counts ws) into k classes, len(xs) > k:
// the minimum, the midpoints between the largest value of each class and
// the smallest of the next (as classInt's "fisher" style states them),
// and the maximum.
func jenksBreaks(xs, ws []float64, k int) []float64 {
	p := newPrefixSSD(xs, ws)
	d := len(xs)
	prev := make([]float64, d+1)
	cur := make([]float64, d+1)
	for i := 1; i <= d; i++ {
		prev[i] = p.cost(0, i)
	}
	// starts[j][i]: where the last class begins in the best partition of
	// the first i values into j+1 classes
	starts := make([][]int32, k)
	for j := 1; j < k; j++ {
		starts[j] = make([]int32, d+1)
		lo := j + 1
		if j == k-1 {
			lo = d // of the last row only the whole is needed
		}
		s := jenksRow{p: &p, prev: prev, cur: cur, start: starts[j]}
		s.solve(lo, d, j, d-1)
		prev, cur = cur, prev
	}
	cuts := make([]int, k-1) // index of the first value of classes 1…k-1
	i := d
	for j := k - 1; j >= 1; j-- {
		i = int(starts[j][i])
		cuts[j-1] = i
	}
	b := make([]float64, 0, k+1)
	b = append(b, xs[0])
	for _, c := range cuts {
		b = append(b, (xs[c-1]+xs[c])/2)
	}
	return append(b, xs[d-1])
}

// jenksRow computes one row of the recursion.
type jenksRow struct {
	p     *prefixSSD
	prev  []float64 // D(j−1, ·)
	cur   []float64 // D(j, ·), filled for the i solved
	start []int32
}

// solve fills cur[i] for lo ≤ i ≤ hi, knowing that their last classes
// start between from and to. Of equally good starts it takes the first,
// which keeps the starts monotone.
func (s *jenksRow) solve(lo, hi, from, to int) {
	for lo <= hi {
		mid := lo + (hi-lo)/2
		best, bestM := 0.0, -1
		for m := from; m <= min(mid-1, to); m++ {
			if c := s.prev[m] + s.p.cost(m, mid); bestM < 0 || c < best {
				best, bestM = c, m
			}
		}
		s.cur[mid], s.start[mid] = best, int32(bestM)
		// recurse into the smaller half, loop over the other: the depth
		// stays logarithmic
		if mid-lo < hi-mid {
			s.solve(lo, mid-1, from, bestM)
			lo, from = mid+1, bestM
		} else {
			s.solve(mid+1, hi, bestM, to)
			hi, to = mid-1, bestM
		}
	}
}

// prefixSSD answers SSD(a, b) of weighted values in constant time from
// prefix sums. The values are shifted by their mean first, which keeps
// the sums of squares small and so the cancellation in q − s²/w.
type prefixSSD struct {
	w, s, q []float64
}

func newPrefixSSD(xs, ws []float64) prefixSSD {
	total, sum := 0.0, 0.0
	for i, x := range xs {
		total += ws[i]
		sum += ws[i] * x
	}
	shift := sum / total
	p := prefixSSD{w: make([]float64, len(xs)+1), s: make([]float64, len(xs)+1), q: make([]float64, len(xs)+1)}
	for i, x := range xs {
		y := x - shift
		p.w[i+1] = p.w[i] + ws[i]
		p.s[i+1] = p.s[i] + ws[i]*y
		p.q[i+1] = p.q[i] + ws[i]*y*y
	}
	return p
}

// cost is SSD of values a…b−1, a < b.
func (p *prefixSSD) cost(a, b int) float64 {
	w := p.w[b] - p.w[a]
	s := p.s[b] - p.s[a]
	return max(p.q[b]-p.q[a]-s*s/w, 0)
}
