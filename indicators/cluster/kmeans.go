package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// KMeansOptions configure KMeans.
type KMeansOptions struct {
	K int
	// Seed makes the result reproducible: the same data, K, Seed and
	// NStart give the same partition.
	Seed uint64
	// NStart is the number of starts (at least 1); the partition with
	// the least total within-group sum of squares is kept, the first on
	// a tie.
	NStart int
	// MaxIter bounds Lloyd's iterations per start; 0 means 1000.
	MaxIter int
}

// KMeansResult is a k-means partition and how it was reached.
type KMeansResult struct {
	*Partition
	// Iterations of the kept start; Converged is false when it stopped at
	// MaxIter before the assignment was stable.
	Iterations int
	Converged  bool
}

// pcgStream is the second PCG word: fixed, so that Seed alone chooses
// the stream.
const pcgStream = 0x5a0c1a1a7a5

// KMeans partitions d's rows into K groups by Lloyd's algorithm
// (S. P. Lloyd, Least squares quantization in PCM, IEEE Trans. Inf.
// Theory 28, 1982): assign every row to its nearest centre, move every
// centre to its members' mean, until no row changes group; then single
// rows are transferred between groups where that lowers the sum of
// squares (Hartigan's criterion, see transfer) and Lloyd's steps resume,
// until neither changes anything. Each start is
// seeded by k-means++ (D. Arthur, S. Vassilvitskii, k-means++: the
// advantages of careful seeding, SODA 2007): the first centre a row drawn
// uniformly, each further one a row drawn with probability proportional to
// its squared distance to the nearest centre so far. All starts draw from
// one PCG generator seeded by Seed.
//
// A converged result is a fixed point of both: every row is nearest to its
// own group's centre (ties to the lower group number), every centre is its
// members' mean, and no single row's move to another group lowers the
// total within-group sum of squares. Should a group fall empty, the row farthest from its
// centre in a group of more than one row moves into it.
func KMeans(d Data, o KMeansOptions) (*KMeansResult, error) {
	if o.K < 1 || o.K > d.N {
		return nil, fmt.Errorf("k-means: %d groups of %d rows", o.K, d.N)
	}
	if o.NStart < 1 {
		return nil, fmt.Errorf("k-means: %d starts", o.NStart)
	}
	maxIter := o.MaxIter
	if maxIter == 0 {
		maxIter = 1000
	}
	rng := rand.New(rand.NewPCG(o.Seed, pcgStream))
	w := newLloyd(d, o.K)
	var best *KMeansResult
	bestSS := math.Inf(1)
	for range o.NStart {
		if err := w.seed(rng); err != nil {
			return nil, err
		}
		iter, converged := w.run(maxIter)
		if ss := w.withinSS(); ss < bestSS {
			bestSS = ss
			best = &KMeansResult{Partition: describe(d, append([]int(nil), w.group...), o.K), Iterations: iter, Converged: converged}
		}
	}
	return best, nil
}

// lloyd is the working state of one start.
type lloyd struct {
	d       Data
	k       int
	centres []float64
	sizes   []int
	group   []int
	near    []float64 // k-means++: squared distance to the nearest centre
}

func newLloyd(d Data, k int) *lloyd {
	return &lloyd{d: d, k: k, centres: make([]float64, k*d.P), sizes: make([]int, k),
		group: make([]int, d.N), near: make([]float64, d.N)}
}

func (w *lloyd) centre(g int) []float64 { return w.centres[g*w.d.P : (g+1)*w.d.P] }

// seed places the centres by k-means++.
func (w *lloyd) seed(rng *rand.Rand) error {
	d := w.d
	copy(w.centre(0), d.Row(rng.IntN(d.N)))
	for i := range d.N {
		w.near[i] = sqDist(d.Row(i), w.centre(0))
	}
	for g := 1; g < w.k; g++ {
		sum := 0.0
		for _, x := range w.near {
			sum += x
		}
		if sum == 0 {
			return ErrTooFewDistinct
		}
		// the row where the running sum passes the drawn point; rows at
		// distance 0 (already centres) are never drawn
		r := rng.Float64() * sum
		pick := -1
		for i, x := range w.near {
			if x == 0 {
				continue
			}
			pick = i
			if r < x {
				break
			}
			r -= x
		}
		copy(w.centre(g), d.Row(pick))
		for i := range d.N {
			w.near[i] = min(w.near[i], sqDist(d.Row(i), w.centre(g)))
		}
	}
	return nil
}

// run iterates from the seeded centres: Lloyd's steps until no row
// changes group, then Hartigan's transfers, and Lloyd's steps again when
// those moved a row. It returns the number of steps (assignments and
// transfer passes) and whether it stopped at a stable partition.
func (w *lloyd) run(maxIter int) (int, bool) {
	d := w.d
	for i := range w.group {
		w.group[i] = -1
	}
	for iter := 1; iter <= maxIter; iter++ {
		changed := false
		for i := range d.N {
			g := w.nearest(d.Row(i))
			if g != w.group[i] {
				w.group[i], changed = g, true
			}
		}
		if !changed {
			iter++
			if !w.transfer() {
				return iter, true
			}
			// the transfers moved the centres incrementally; take them
			// again as the members' means
		}
		centroids(d, w.group, w.centres, w.sizes)
		w.fillEmpty()
	}
	return maxIter, false
}

// transfer makes one pass of Hartigan's transfers (J. A. Hartigan,
// Clustering Algorithms, Wiley 1975, ch. 4; the criterion of Hartigan and
// Wong's AS 136, which R's kmeans runs by default): a row x moves from
// its group A to group B where that lowers the within-group sum of
// squares, which is when |B|/(|B|+1)·‖x − b‖² < |A|/(|A|−1)·‖x − a‖².
// Lloyd's steps stop at any partition where each row is nearest to its
// own centre; a transfer also weighs how the two centres move, and so
// escapes many of those. Every partition stable under transfers is stable
// under Lloyd's steps too. The move must gain more than a relative 1e-12,
// so that rounding cannot swap a row back and forth. It reports whether
// any row moved.
func (w *lloyd) transfer() bool {
	d := w.d
	moved := false
	for i := range d.N {
		a := w.group[i]
		na := float64(w.sizes[a])
		if na < 2 {
			continue
		}
		x := d.Row(i)
		loss := na / (na - 1) * sqDist(x, w.centre(a))
		best, bestGain := -1, loss*1e-12
		for b := range w.k {
			if b == a {
				continue
			}
			nb := float64(w.sizes[b])
			if gain := loss - nb/(nb+1)*sqDist(x, w.centre(b)); gain > bestGain {
				best, bestGain = b, gain
			}
		}
		if best < 0 {
			continue
		}
		nb := float64(w.sizes[best])
		ca, cb := w.centre(a), w.centre(best)
		for j, v := range x {
			ca[j] = (na*ca[j] - v) / (na - 1)
			cb[j] = (nb*cb[j] + v) / (nb + 1)
		}
		w.sizes[a]--
		w.sizes[best]++
		w.group[i] = best
		moved = true
	}
	return moved
}

// nearest is the group whose centre is nearest to x, the lowest on a tie.
func (w *lloyd) nearest(x []float64) int {
	best, bestD := 0, math.Inf(1)
	for g := range w.k {
		if dd := sqDist(x, w.centre(g)); dd < bestD {
			best, bestD = g, dd
		}
	}
	return best
}

// fillEmpty gives every empty group the row farthest from its centre among
// the groups of more than one row, and updates the centres.
func (w *lloyd) fillEmpty() {
	d := w.d
	for g := range w.k {
		if w.sizes[g] > 0 {
			continue
		}
		far, farD := -1, -1.0
		for i := range d.N {
			if w.sizes[w.group[i]] < 2 {
				continue
			}
			if dd := sqDist(d.Row(i), w.centre(w.group[i])); dd > farD {
				far, farD = i, dd
			}
		}
		w.group[far] = g
		centroids(d, w.group, w.centres, w.sizes)
	}
}

// withinSS is the total within-group sum of squares of the current
// assignment about the current centres (the members' means once run has
// converged).
func (w *lloyd) withinSS() float64 {
	s := 0.0
	for i := range w.d.N {
		s += sqDist(w.d.Row(i), w.centre(w.group[i]))
	}
	return s
}
