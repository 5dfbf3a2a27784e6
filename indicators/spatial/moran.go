package spatial

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Global is global Moran's I with its moments under the randomisation
// assumption (Cliff and Ord 1981, eq. 2.37 ff.; spdep's moran.test with
// randomisation = TRUE): Expectation −1/(n−1), Variance, Z the standard
// deviate, PNormal its upper-tail p-value (spdep's default alternative
// "greater": positive autocorrelation).
type Global struct {
	N           int
	I           float64
	Expectation float64
	Variance    float64
	Z           float64
	PNormal     float64
}

// ErrTooFew: Moran's I under randomisation needs at least four areas
// (its variance divides by (n−1)(n−2)(n−3)), and values that vary.
var ErrTooFew = errors.New("fewer than four areas with a value and a neighbour, or all values equal")

// ErrIslands: the statistics take weights without islands (Prepare
// leaves them out).
var ErrIslands = errors.New("weights with areas without neighbours")

// check rejects what the statistics cannot run on.
func check(w *Weights, x []float64) error {
	if w.N() < 4 || len(x) != w.N() {
		return ErrTooFew
	}
	for i := range w.N() {
		if w.start[i+1] == w.start[i] {
			return ErrIslands
		}
	}
	return nil
}

// mean is the mean as R's mean() computes it: the sum divided by n,
// corrected by the mean of the residuals (R accumulates in long double;
// the correction recovers most of what float64 loses).
func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	m := s / float64(len(x))
	r := 0.0
	for _, v := range x {
		r += v - m
	}
	return m + r/float64(len(x))
}

// centred returns x minus its mean, Σz² and Σz⁴.
func centred(x []float64) (z []float64, m2sum, m4sum float64) {
	m := mean(x)
	z = make([]float64, len(x))
	for i, v := range x {
		d := v - m
		z[i] = d
		m2sum += d * d
		m4sum += d * d * d * d
	}
	return z, m2sum, m4sum
}

// Moran computes global Moran's I of x over w, as spdep's moran.test.
func Moran(w *Weights, x []float64) (Global, error) {
	if err := check(w, x); err != nil {
		return Global{}, err
	}
	n := w.N()
	z, zz, z4 := centred(x)
	if zz == 0 {
		return Global{}, ErrTooFew
	}
	nf := float64(n)
	s0, s1, s2 := w.constants()
	g := Global{N: n, Expectation: -1 / (nf - 1)}
	g.I = nf / s0 * crossLag(w, z) / zz
	k := nf * z4 / (zz * zz) // kurtosis
	s02 := s0 * s0
	v := nf * (s1*(nf*nf-3*nf+3) - nf*s2 + 3*s02)
	v -= k * (s1*(nf*nf-nf) - 2*nf*s2 + 6*s02)
	g.Variance = v/((nf-1)*(nf-2)*(nf-3)*s02) - g.Expectation*g.Expectation
	g.Z = (g.I - g.Expectation) / math.Sqrt(g.Variance)
	g.PNormal = upperTail(g.Z)
	return g, nil
}

// crossLag is Σ z_i · lag(z)_i.
func crossLag(w *Weights, z []float64) float64 {
	s := 0.0
	for i := range z {
		s += z[i] * w.lag(z, i)
	}
	return s
}

// upperTail is P(Z > z) of the standard normal.
func upperTail(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// Permutation is the permutation test of global Moran's I: the values
// shuffled over the areas Permutations times, P the pseudo p-value
// (k+1)/(Permutations+1) of the k shuffles whose I is at least the
// observed one (Hope 1968; upper tail, as PNormal). spdep's moran.mc
// counts by rank and gives max(k, 1)/(nsim+1), at most 1/(nsim+1) less.
type Permutation struct {
	Permutations int
	Seed         uint64
	P            float64
	// Mean and SD of the shuffled I, for comparison with the moments
	// under randomisation.
	Mean, SD float64
}

// permBlock is how many shuffles one random stream serves: streams are
// seeded by (seed, block), so the result does not depend on how many
// goroutines share the work.
const permBlock = 32

// MoranPermutation runs the permutation test of global Moran's I with
// nsim shuffles drawn from PCG streams seeded by seed.
func MoranPermutation(w *Weights, x []float64, nsim int, seed uint64) (Permutation, error) {
	if err := check(w, x); err != nil {
		return Permutation{}, err
	}
	if nsim < 1 {
		return Permutation{}, errors.New("no permutations")
	}
	n := w.N()
	z, zz, _ := centred(x)
	if zz == 0 {
		return Permutation{}, ErrTooFew
	}
	observed := crossLag(w, z)
	sims := make([]float64, nsim)
	blocks := (nsim + permBlock - 1) / permBlock
	parallel(blocks, func(next func() (int, bool)) {
		zz := make([]float64, n)
		src := &rand.PCG{}
		rnd := rand.New(src)
		for b, ok := next(); ok; b, ok = next() {
			copy(zz, z)
			src.Seed(seed, uint64(b))
			for s := b * permBlock; s < min(nsim, (b+1)*permBlock); s++ {
				rnd.Shuffle(n, func(i, j int) { zz[i], zz[j] = zz[j], zz[i] })
				sims[s] = crossLag(w, zz)
			}
		}
	})
	p := Permutation{Permutations: nsim, Seed: seed}
	// the shuffles' cross products are compared, not their I: the
	// factor n/S0/Σz² is the same for all, and the comparison then has
	// no rounding of its own
	k := 0
	scale := 1 / zz // n/S0 is 1: row-standardised weights without islands
	var sum, sum2 float64
	for _, c := range sims {
		if c >= observed {
			k++
		}
		i := c * scale
		sum += i
		sum2 += i * i
	}
	p.P = float64(k+1) / float64(nsim+1)
	p.Mean = sum / float64(nsim)
	if nsim > 1 {
		p.SD = math.Sqrt(max(0, (sum2-sum*sum/float64(nsim))/float64(nsim-1)))
	}
	return p, nil
}

// parallel runs work on every core; each worker takes task numbers from
// next until it reports false.
func parallel(tasks int, work func(next func() (int, bool))) {
	var mu sync.Mutex
	t := 0
	next := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if t >= tasks {
			return 0, false
		}
		t++
		return t - 1, true
	}
	workers := min(runtime.GOMAXPROCS(0), tasks)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { work(next) })
	}
	wg.Wait()
}
