package indicators

import (
	"fmt"
	"math"
	"slices"
)

// Classification methods of /indicators/{key}/classes.
const (
	methodQuantile = "quantile"
	methodEqual    = "equal"
	methodJenks    = "jenks"
	methodStddev   = "stddev"
	methodManual   = "manual"
)

// classMethods lists the methods for messages, the default first.
var classMethods = [...]string{methodQuantile, methodEqual, methodJenks, methodStddev, methodManual}

// Limits of the number of classes: ColorBrewer's schemes go up to 9, and
// a choropleth with more classes than that cannot be read anyway.
const (
	minClasses     = 2
	maxClasses     = 9
	defaultClasses = 5
)

// classBounds are the classes a method makes of a level's values.
//
// Class i holds the values x with breaks[i] ≤ x < breaks[i+1]; the first
// class also every x below breaks[1] and the last every x from
// breaks[k-1] on, the maximum included. This is how MapLibre's "step"
// expression assigns colours, so the counts are those of the map. breaks
// has k+1 entries, strictly increasing between breaks[1] and breaks[k-1];
// for one class both are that class's bounds.
type classBounds struct {
	breaks []float64
	// slots[i] is class i's place among the nominal classes of the method
	// (of them), which picks its colour: stddev leaves out outer classes
	// the values do not reach but keeps the colours of the others centred
	// on the mean. For the other methods slots are 0…k-1 and of is k.
	slots []int
	of    int
	// open: the first and last class are unbounded (manual breaks: "unter
	// 10" and "30 und mehr"), not bounded by the minimum and maximum.
	open bool
	// stddev only: the mean, the standard deviation and each class's
	// bounds in standard deviations from the mean (±Inf for open ends).
	mean, sd       float64
	sdLow, sdHigh  []float64
	withDeviations bool
}

// k is the number of classes.
func (c *classBounds) k() int { return max(len(c.breaks)-1, 0) }

// counts assigns each of the sorted values to its class, as the map does.
func (c *classBounds) counts(sorted []float64) []int {
	k := c.k()
	n := make([]int, k)
	if k == 0 {
		return n
	}
	inner := c.breaks[1:k]
	for _, x := range sorted {
		// the number of inner breaks at or below x is x's class
		i, found := slices.BinarySearch(inner, x)
		if found {
			i++
		}
		n[i]++
	}
	return n
}

// classify runs the method on the sorted values. k is the number of
// classes asked for; manual takes the inner breaks instead (k is then
// len(manual)+1). The methods quantile, equal and jenks make one class
// per distinct value when there are no more than k of them, as R's
// classInt does.
func classify(method string, sorted []float64, k int, manual []float64) (classBounds, error) {
	if method == methodManual {
		if len(manual) == 0 || len(manual) > maxClasses-1 {
			return classBounds{}, fmt.Errorf("%d manual breaks; give 1 to %d", len(manual), maxClasses-1)
		}
		return manualClasses(sorted, manual), nil
	}
	if k < minClasses || k > maxClasses {
		return classBounds{}, fmt.Errorf("%d classes; give %d to %d", k, minClasses, maxClasses)
	}
	if len(sorted) == 0 {
		return classBounds{}, nil
	}
	var b []float64
	switch method {
	case methodStddev:
		return stddevClasses(sorted, k), nil
	case methodQuantile, methodEqual, methodJenks:
		distinct, weights := distinctValues(sorted)
		if len(distinct) <= k {
			return plainClasses(uniqueBreaks(distinct)), nil
		}
		switch method {
		case methodQuantile:
			b = quantileBreaks(sorted, k)
		case methodEqual:
			b = equalBreaks(sorted[0], sorted[len(sorted)-1], k)
		default:
			b = jenksBreaks(distinct, weights, k)
		}
	default:
		return classBounds{}, fmt.Errorf("unknown method %q", method)
	}
	return plainClasses(mergeEqualBreaks(b)), nil
}

// plainClasses are classes whose colours are the scheme's k colours in
// order.
func plainClasses(breaks []float64) classBounds {
	c := classBounds{breaks: breaks}
	c.of = c.k()
	c.slots = make([]int, c.of)
	for i := range c.slots {
		c.slots[i] = i
	}
	return c
}

// distinctValues returns the distinct values of sorted and how often
// each occurs.
func distinctValues(sorted []float64) (distinct []float64, weights []float64) {
	for i, x := range sorted {
		if i > 0 && x == sorted[i-1] {
			weights[len(weights)-1]++
			continue
		}
		distinct = append(distinct, x)
		weights = append(weights, 1)
	}
	return distinct, weights
}

// uniqueBreaks makes one class per distinct value: breaks halfway between
// neighbouring values, bounded by the minimum and maximum. (classInt's
// "unique" style puts its outer breaks half a mean gap beyond them; here
// the outer breaks are the minimum and maximum, as for every method.)
func uniqueBreaks(distinct []float64) []float64 {
	b := []float64{distinct[0]}
	for i := 1; i < len(distinct); i++ {
		b = append(b, (distinct[i-1]+distinct[i])/2)
	}
	return append(b, distinct[len(distinct)-1])
}

// quantileBreaks are the quantiles at 0, 1/k, …, 1 by Hyndman and Fan's
// type 7 (R's default, which classInt's "quantile" style uses): for
// probability p and n sorted values, h = (n−1)p, and the quantile is
// x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) (0-based). The arithmetic follows
// R's to the last bit: p = i × (1/k) capped at 1, as seq(0, 1, 1/k) makes
// it, and (1−f)·lo + f·hi.
func quantileBreaks(sorted []float64, k int) []float64 {
	n := len(sorted)
	by := 1 / float64(k)
	b := make([]float64, 0, k+1)
	for i := 0; i <= k; i++ {
		p := min(float64(i)*by, 1)
		index := 1 + float64(n-1)*p // 1-based, as R computes it
		lo, hi := math.Floor(index), math.Ceil(index)
		q := sorted[int(lo)-1]
		if upper := sorted[int(hi)-1]; index > lo && upper != q {
			f := index - lo
			q = (1-f)*q + f*upper
		}
		b = append(b, q)
	}
	return b
}

// equalBreaks divide the range into k intervals of equal width, computed
// as R's seq(min, max, length.out = k+1) does (classInt's "equal").
func equalBreaks(lo, hi float64, k int) []float64 {
	b := make([]float64, k+1)
	b[0], b[k] = lo, hi
	width := (hi - lo) / float64(k)
	for i := 1; i < k; i++ {
		b[i] = lo + float64(i)*width
	}
	return b
}

// mergeEqualBreaks drops breaks equal to the one before: quantiles of
// tied values coincide, and a class between equal breaks would be empty
// (and MapLibre's step needs strictly increasing stops). Ties therefore
// never part; there are fewer classes instead.
func mergeEqualBreaks(b []float64) []float64 {
	out := b[:1]
	for _, x := range b[1:] {
		if x > out[len(out)-1] {
			out = append(out, x)
		}
	}
	if len(out) == 1 { // all equal: one class from the value to itself
		out = append(out, out[0])
	}
	return out
}

// manualClasses are the classes the caller's inner breaks make: below
// the first, between each two, and from the last on. The outer bounds are
// the minimum and maximum where the values reach beyond the breaks (and
// the outer breaks themselves otherwise), so that breaks never decrease.
func manualClasses(sorted []float64, inner []float64) classBounds {
	lo, hi := inner[0], inner[len(inner)-1]
	if len(sorted) > 0 {
		lo, hi = min(lo, sorted[0]), max(hi, sorted[len(sorted)-1])
	}
	b := append(append([]float64{lo}, inner...), hi)
	c := plainClasses(b)
	c.open = true
	return c
}

// stddevClasses are classes one standard deviation wide, centred on the
// mean, as in ArcGIS's standard deviation classification with an interval
// of one (rather than classInt's "sd" style, whose breaks are R's pretty()
// numbers of the z-scores and so depend on the data): for odd k the middle
// class is the mean ± ½ sd and the breaks lie at mean ± ½, 1½, 2½, 3½ sd;
// for even k the mean is the middle break and they lie at mean ± 0, 1, 2,
// 3 sd. The outermost classes are open. The standard deviation is the
// sample one (n−1), as R's sd. Breaks beyond the minimum or maximum are
// dropped with the classes they would leave empty; the remaining classes
// keep their place in the k-colour diverging scheme, so its middle stays
// on the mean.
func stddevClasses(sorted []float64, k int) classBounds {
	n := len(sorted)
	mean := 0.0
	for _, x := range sorted {
		mean += x
	}
	mean /= float64(n)
	ss := 0.0
	for _, x := range sorted {
		ss += (x - mean) * (x - mean)
	}
	lo, hi := sorted[0], sorted[n-1]
	c := classBounds{mean: mean, withDeviations: true, of: k}
	if n < 2 || ss == 0 {
		// no spread: one class, in the middle of the scheme
		c.breaks = []float64{lo, hi}
		c.slots = []int{(k - 1) / 2}
		c.sdLow, c.sdHigh = []float64{math.Inf(-1)}, []float64{math.Inf(1)}
		return c
	}
	c.sd = math.Sqrt(ss / float64(n-1))
	// nominal inner breaks in standard deviations: for k = 5 −1.5, −0.5,
	// 0.5, 1.5; for k = 4 −1, 0, 1
	offsets := make([]float64, k-1)
	for i := range offsets {
		offsets[i] = float64(i) - float64(k-2)/2
	}
	c.breaks = []float64{lo}
	from := math.Inf(-1)
	for i, z := range offsets {
		b := mean + z*c.sd
		if b <= lo {
			from = z
			continue
		}
		if b > hi {
			break
		}
		c.breaks = append(c.breaks, b)
		c.slots = append(c.slots, i)
		c.sdLow, c.sdHigh = append(c.sdLow, from), append(c.sdHigh, z)
		from = z
	}
	last := len(c.slots)
	if last > 0 {
		last = c.slots[last-1] + 1
	} else {
		// every inner break beyond the values: the class of from
		last = slotOf(offsets, from)
	}
	c.breaks = append(c.breaks, hi)
	c.slots = append(c.slots, last)
	to := math.Inf(1)
	if last < len(offsets) {
		to = offsets[last]
	}
	c.sdLow, c.sdHigh = append(c.sdLow, from), append(c.sdHigh, to)
	return c
}

// slotOf is the nominal class whose lower bound is the offset from (−Inf:
// the first).
func slotOf(offsets []float64, from float64) int {
	for i, z := range offsets {
		if z == from {
			return i + 1
		}
	}
	return 0
}
