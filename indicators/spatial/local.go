package spatial

import (
	"errors"
	"math"
	"math/rand/v2"
)

// Quadrant of an area in the Moran scatterplot: its value above or below
// the mean of the values (first letter), its spatial lag above or below
// the mean of the lags (second letter). spdep's localmoran calls these
// "High-High", "Low-Low", "High-Low", "Low-High" (attribute "quadr",
// column "mean"); a value equal to the mean counts as low, as R's cut
// puts it in the lower interval.
type Quadrant string

const (
	HighHigh Quadrant = "hh"
	LowLow   Quadrant = "ll"
	HighLow  Quadrant = "hl"
	LowHigh  Quadrant = "lh"
)

// Local is local Moran (Anselin 1995) of one area, as spdep 1.2's
// localmoran with its defaults (conditional = TRUE, mlvar = TRUE): Ii
// = z_i/m2 · lag(z)_i with m2 = Σz²/n, its expectation and variance under
// conditional randomisation (Sokal, Oden and Thomson 1998), Z the
// standard deviate (NaN where the variance is 0: an area at the mean).
// P is the pseudo p-value of the conditional permutation test (NaN
// without permutations): the area's value held, its neighbours drawn at
// random from the others, folded as GeoDa and spdep's localmoran_perm
// ("Pr(folded) Sim") fold it: (min(k, nsim−k)+1)/(nsim+1) of the k draws
// whose Ii is at least the observed. Neighbours are drawn without
// replacement, as in Anselin (1995) and GeoDa; spdep 1.2 draws with
// replacement, which for thousands of areas makes no visible difference.
type Local struct {
	Ii, EIi, VarIi, ZIi float64
	P                   float64
	Quadrant            Quadrant
	// GiStar is the Getis-Ord Gi* z-value (Ord and Getis 1995) with the
	// area among its own neighbours, row-standardised, as spdep's localG
	// on nb2listw(include.self(nb)).
	GiStar float64
}

// LocalMoran computes local Moran, the quadrants and Gi* for every area,
// with nsim conditional permutations per area (none when 0) from PCG
// streams seeded by (seed, area).
func LocalMoran(w *Weights, x []float64, nsim int, seed uint64) ([]Local, error) {
	if err := check(w, x); err != nil {
		return nil, err
	}
	if nsim < 0 {
		return nil, errors.New("negative number of permutations")
	}
	n := w.N()
	nf := float64(n)
	z, zz, _ := centred(x)
	if zz == 0 {
		return nil, ErrTooFew
	}
	m2 := zz / nf
	xm := mean(x)
	lx := make([]float64, n)
	for i := range n {
		lx[i] = w.lag(x, i)
	}
	lxm := mean(lx)
	out := make([]Local, n)
	for i := range n {
		zi := z[i]
		wi2 := w.inv[i] // Σ w_ij² = card · (1/card)²
		l := &out[i]
		l.Ii = zi / m2 * w.lag(z, i)
		l.EIi = -(zi * zi) / ((nf - 1) * m2)
		l.VarIi = (zi / m2) * (zi / m2) * (nf / (nf - 2)) * (wi2 - 1/(nf-1)) * (m2 - zi*zi/(nf-1))
		l.ZIi = (l.Ii - l.EIi) / math.Sqrt(l.VarIi)
		l.P = math.NaN()
		switch hx, hl := x[i] > xm, lx[i] > lxm; {
		case hx && hl:
			l.Quadrant = HighHigh
		case hx:
			l.Quadrant = HighLow
		case hl:
			l.Quadrant = LowHigh
		default:
			l.Quadrant = LowLow
		}
		// Gi*: the lag over the neighbours and the area itself, each
		// weighing 1/(card+1); Σw = 1, Σw² = 1/(card+1)
		card := float64(w.start[i+1] - w.start[i])
		s1 := 1 / (card + 1)
		lagStar := (x[i] + w.lag(x, i)*card) * s1
		l.GiStar = (lagStar - xm) / math.Sqrt(m2*(nf*s1-1)/(nf-1))
	}
	if nsim > 0 {
		conditionalPermutations(w, z, out, nsim, seed)
	}
	return out, nil
}

// localBlock is how many areas one task of the permutations takes.
const localBlock = 256

// conditionalPermutations sets each area's pseudo p-value. The area's
// own stream (seed, index) makes the result independent of the order in
// which the areas are worked on.
func conditionalPermutations(w *Weights, z []float64, out []Local, nsim int, seed uint64) {
	n := len(z)
	parallel((n+localBlock-1)/localBlock, func(next func() (int, bool)) {
		src := &rand.PCG{}
		rnd := rand.New(src)
		var drawn []int32
		for b, ok := next(); ok; b, ok = next() {
			for i := b * localBlock; i < min(n, (b+1)*localBlock); i++ {
				card := int(w.start[i+1] - w.start[i])
				// Ii of a draw has the sign of z_i times that of the sum
				// of the drawn values; comparing sums spares the scaling
				observed := 0.0
				for _, j := range w.Neighbours(i) {
					observed += z[j]
				}
				src.Seed(seed, uint64(i))
				k := 0
				for range nsim {
					drawn = drawn[:0]
					sum := 0.0
					for len(drawn) < card {
						j := int32(rnd.IntN(n - 1))
						if int(j) >= i {
							j++
						}
						if containsInt32(drawn, j) {
							continue
						}
						drawn = append(drawn, j)
						sum += z[j]
					}
					if (z[i] > 0 && sum >= observed) || (z[i] < 0 && sum <= observed) || z[i] == 0 {
						k++
					}
				}
				out[i].P = float64(min(k, nsim-k)+1) / float64(nsim+1)
			}
		}
	})
}

func containsInt32(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
