package cluster

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestStandardise(t *testing.T) {
	d := Data{N: 4, P: 2, X: []float64{1, 10, 2, 10, 3, 20, 4, 20}}
	z, mean, sd, err := Standardise(d)
	if err != nil {
		t.Fatal(err)
	}
	// sample SD: sqrt(Σ(x − 2.5)² / 3) = sqrt(5/3); sqrt(4 · 25 / 3)
	s0, s1 := math.Sqrt(5.0/3), math.Sqrt(100.0/3)
	if !slices.Equal(mean, []float64{2.5, 15}) || sd[0] != s0 || sd[1] != s1 {
		t.Errorf("mean %v sd %v", mean, sd)
	}
	want := []float64{-1.5 / s0, -5 / s1, -0.5 / s0, -5 / s1, 0.5 / s0, 5 / s1, 1.5 / s0, 5 / s1}
	if !slices.Equal(z.X, want) {
		t.Errorf("z %v, want %v", z.X, want)
	}
	_, _, _, err = Standardise(Data{N: 3, P: 2, X: []float64{1, 5, 2, 5, 3, 5}})
	var ce *ConstantError
	if !errors.As(err, &ce) || ce.Column != 1 {
		t.Errorf("constant column: %v", err)
	}
}

// TestWardSmall: five points on a line, 0 1 5 6 20. Ward.D2's height of
// groups A and B is sqrt(2|A||B|/(|A|+|B|)) · |a − b|: {0,1} and {5,6} at
// 1, the two pairs (centres 0.5, 5.5) at sqrt(2·2·2/4)·5 = sqrt(50), and
// 20 to the four (centre 3) at sqrt(2·4/5)·17 = sqrt(462.4).
func TestWardSmall(t *testing.T) {
	d := Data{N: 5, P: 1, X: []float64{0, 1, 5, 6, 20}}
	merges := Ward(d)
	var heights []float64
	for _, m := range merges {
		heights = append(heights, m.Height)
	}
	want := []float64{1, 1, math.Sqrt(50), math.Sqrt(462.4)}
	for i := range want {
		if math.Abs(heights[i]-want[i]) > 1e-12 {
			t.Errorf("heights %v, want %v", heights, want)
			break
		}
	}
	for k, want := range map[int][]int{1: {0, 0, 0, 0, 0}, 2: {0, 0, 0, 0, 1}, 3: {0, 0, 1, 1, 2}, 5: {0, 1, 2, 3, 4}} {
		got, err := Cut(merges, 5, k)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("k=%d: %v %v, want %v", k, got, err, want)
		}
	}
	p, _, err := WardPartition(d, 3)
	if err != nil {
		t.Fatal(err)
	}
	p.Order()
	// sizes 2, 2, 1; the two pairs by their centre
	if !slices.Equal(p.Group, []int{0, 0, 1, 1, 2}) || !slices.Equal(p.Sizes, []int{2, 2, 1}) ||
		!slices.Equal(p.Centres, []float64{0.5, 5.5, 20}) || !slices.Equal(p.WithinSS, []float64{0.5, 0.5, 0}) ||
		!slices.Equal(p.Distance, []float64{0.5, 0.5, 0.5, 0.5, 0}) {
		t.Errorf("%+v", p)
	}
	// Σ (x − 6.4)²
	if p.TotalSS != 6.4*6.4+5.4*5.4+1.4*1.4+0.4*0.4+13.6*13.6 {
		t.Errorf("total SS %v", p.TotalSS)
	}
}

// randomData is n rows of p columns from three blobs and some noise.
func randomData(n, p int, seed uint64) Data {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := Data{N: n, P: p, X: make([]float64, n*p)}
	for i := range n {
		blob := float64(i % 3)
		for j := range p {
			d.X[i*p+j] = blob*3*float64(j%2) + rng.NormFloat64()
		}
	}
	return d
}

// TestKMeansFixedPoint: a converged k-means result has every row nearest
// to its own centre, every centre its members' mean, no row whose move
// lowers the sum of squares, and the same
// seed gives the same result.
func TestKMeansFixedPoint(t *testing.T) {
	for _, tt := range []struct{ n, p, k, nstart int }{{300, 3, 3, 1}, {300, 3, 5, 10}, {1000, 4, 8, 5}, {10, 2, 10, 1}} {
		d := randomData(tt.n, tt.p, uint64(tt.n))
		res, err := KMeans(d, KMeansOptions{K: tt.k, Seed: 42, NStart: tt.nstart})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged {
			t.Fatalf("%+v: not converged after %d iterations", tt, res.Iterations)
		}
		checkFixedPoint(t, d, res.Partition)
		again, err := KMeans(d, KMeansOptions{K: tt.k, Seed: 42, NStart: tt.nstart})
		if err != nil || !slices.Equal(again.Group, res.Group) || !slices.Equal(again.Centres, res.Centres) {
			t.Errorf("%+v: a second run with the same seed differs", tt)
		}
		// more starts never find a worse partition: the first start of
		// nstart starts is the one start of nstart 1
		if tt.nstart > 1 {
			one, err := KMeans(d, KMeansOptions{K: tt.k, Seed: 42, NStart: 1})
			if err != nil || res.TotalWithinSS() > one.TotalWithinSS() {
				t.Errorf("%+v: %d starts give %v, one start %v", tt, tt.nstart, res.TotalWithinSS(), one.TotalWithinSS())
			}
		}
	}
}

func checkFixedPoint(t *testing.T, d Data, p *Partition) {
	t.Helper()
	centres := make([]float64, p.K*d.P)
	sizes := make([]int, p.K)
	centroids(d, p.Group, centres, sizes)
	if !slices.Equal(centres, p.Centres) || !slices.Equal(sizes, p.Sizes) {
		t.Errorf("centres %v are not the member means %v", p.Centres, centres)
	}
	for i := range d.N {
		own := sqDist(d.Row(i), p.Centre(p.Group[i]))
		for g := range p.K {
			if sqDist(d.Row(i), p.Centre(g)) < own {
				t.Errorf("row %d in group %d is nearer to %d", i, p.Group[i], g)
			}
		}
		// no transfer lowers the sum of squares (Hartigan)
		na := float64(p.Sizes[p.Group[i]])
		for g := range p.K {
			nb := float64(p.Sizes[g])
			if g != p.Group[i] && na > 1 && nb/(nb+1)*sqDist(d.Row(i), p.Centre(g)) < na/(na-1)*own*(1-1e-9) {
				t.Errorf("row %d in group %d: moving it to %d lowers the sum of squares", i, p.Group[i], g)
			}
		}
		if math.Abs(p.Distance[i]-math.Sqrt(own)) > 1e-12 {
			t.Errorf("row %d: distance %v, want %v", i, p.Distance[i], math.Sqrt(own))
		}
	}
	for _, s := range p.Sizes {
		if s == 0 {
			t.Error("an empty group")
		}
	}
}

func TestKMeansTooFewDistinct(t *testing.T) {
	d := Data{N: 4, P: 1, X: []float64{1, 1, 2, 2}}
	if _, err := KMeans(d, KMeansOptions{K: 3, Seed: 1, NStart: 1}); !errors.Is(err, ErrTooFewDistinct) {
		t.Errorf("2 distinct rows, 3 groups: %v", err)
	}
	res, err := KMeans(d, KMeansOptions{K: 2, Seed: 1, NStart: 1})
	if err != nil || !samePartition(res.Group, []int{0, 0, 1, 1}) || res.TotalWithinSS() != 0 {
		t.Errorf("2 distinct rows, 2 groups: %v %v", res, err)
	}
}

// TestOrder: types are numbered by size, then by the first column of the
// centre, whichever numbers the method gave.
func TestOrder(t *testing.T) {
	d := Data{N: 6, P: 1, X: []float64{9, 9, 1, 5, 5, 5}}
	p := describe(d, []int{2, 2, 0, 1, 1, 1}, 3)
	p.Order()
	if !slices.Equal(p.Group, []int{1, 1, 2, 0, 0, 0}) || !slices.Equal(p.Sizes, []int{3, 2, 1}) || !slices.Equal(p.Centres, []float64{5, 9, 1}) {
		t.Errorf("%+v", p)
	}
	q := describe(Data{N: 4, P: 1, X: []float64{9, 9, 1, 1}}, []int{0, 0, 1, 1}, 2)
	q.Order()
	if !slices.Equal(q.Group, []int{1, 1, 0, 0}) {
		t.Errorf("equal sizes: %v", q.Group)
	}
}

func samePartition(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	ab, ba := map[int]int{}, map[int]int{}
	for i := range a {
		if x, ok := ab[a[i]]; ok && x != b[i] {
			return false
		}
		if x, ok := ba[b[i]]; ok && x != a[i] {
			return false
		}
		ab[a[i]], ba[b[i]] = b[i], a[i]
	}
	return true
}

// BenchmarkWardGemeinden: Ward's clustering of 10,997 rows of four
// columns, as many as Germany has Gemeinden.
func BenchmarkWardGemeinden(b *testing.B) {
	z, _, _, err := Standardise(randomData(10997, 4, 3))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Ward(z)
	}
}
