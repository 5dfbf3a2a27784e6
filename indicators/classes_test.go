package indicators

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestClassify checks every method on small inputs whose breaks were
// worked out by hand (and, where classInt has the style, checked with it:
// the comments give classIntervals' answer).
func TestClassify(t *testing.T) {
	sd9 := math.Sqrt(7.5) // sample standard deviation of 1…9
	inf := math.Inf(1)
	tests := []struct {
		name   string
		method string
		values []float64
		k      int
		manual []float64
		breaks []float64
		counts []int
		slots  []int // nil: 0…k-1
		sdLow  []float64
	}{
		// quantile, type 7: h = 9p over 1…10, so 3.25, 5.5, 7.75
		// (classInt: 1 3.25 5.5 7.75 10)
		{"quantile", methodQuantile, seq(1, 10), 4, nil,
			[]float64{1, 3.25, 5.5, 7.75, 10}, []int{3, 2, 2, 3}, nil, nil},
		// ties: the 1/3 quantile is the tied 1, equal to the minimum
		// (classInt: 1 1 3 6); the breaks merge, the five 1s stay together
		{"quantile ties", methodQuantile, []float64{1, 1, 1, 1, 1, 2, 3, 4, 5, 6}, 3, nil,
			[]float64{1, 3, 6}, []int{6, 4}, nil, nil},
		// fewer distinct values than k: one class each, breaks halfway
		{"quantile few distinct", methodQuantile, []float64{1, 1, 2, 3, 3}, 5, nil,
			[]float64{1, 1.5, 2.5, 3}, []int{2, 1, 2}, nil, nil},
		// k > n
		{"quantile k > n", methodQuantile, []float64{4, 7}, 5, nil,
			[]float64{4, 5.5, 7}, []int{1, 1}, nil, nil},
		{"quantile all equal", methodQuantile, []float64{2, 2, 2}, 5, nil,
			[]float64{2, 2}, []int{3}, nil, nil},
		{"quantile one value", methodQuantile, []float64{-0.5}, 2, nil,
			[]float64{-0.5, -0.5}, []int{1}, nil, nil},
		{"quantile none", methodQuantile, nil, 5, nil, nil, []int{}, nil, nil},
		// equal: 10/3 steps, computed as R's seq (classInt: 0
		// 3.3333333333333335 6.666666666666667 10)
		{"equal", methodEqual, []float64{0, 1, 2, 10}, 3, nil,
			[]float64{0, 3.3333333333333335, 6.666666666666667, 10}, []int{3, 0, 1}, nil, nil},
		{"equal negative", methodEqual, []float64{-3.5, -1, 0, 2, 7.25}, 2, nil,
			[]float64{-3.5, 1.875, 7.25}, []int{3, 2}, nil, nil},
		{"equal all equal", methodEqual, []float64{4, 4}, 3, nil,
			[]float64{4, 4}, []int{2}, nil, nil},
		// jenks: three clear groups, breaks halfway between them (classInt
		// "fisher": 1 6.5 21 30)
		{"jenks", methodJenks, []float64{1, 2, 3, 10, 11, 12, 30}, 3, nil,
			[]float64{1, 6.5, 21, 30}, []int{3, 3, 1}, nil, nil},
		// ties never part: the three 9s go together
		{"jenks ties", methodJenks, []float64{1, 2, 9, 9, 9, 10, 20, 21}, 3, nil,
			[]float64{1, 5.5, 15, 21}, []int{2, 4, 2}, nil, nil},
		{"jenks few distinct", methodJenks, []float64{1, 1, 2, 3, 3}, 5, nil,
			[]float64{1, 1.5, 2.5, 3}, []int{2, 1, 2}, nil, nil},
		{"jenks all equal", methodJenks, []float64{7, 7, 7, 7}, 4, nil,
			[]float64{7, 7}, []int{4}, nil, nil},
		// stddev, odd k: mean 5, breaks at ±½ and ±1½ sd; −1½ sd (0.89)
		// lies below the minimum, so the lowest class is left out and the
		// others keep their colours 1…3 of 5
		{"stddev odd", methodStddev, seq(1, 9), 5, nil,
			[]float64{1, 5 + -0.5*sd9, 5 + 0.5*sd9, 9}, []int{3, 3, 3}, []int{1, 2, 3}, []float64{-1.5, -0.5, 0.5}},
		// even k: the mean is a break, the others at ±1 sd
		{"stddev even", methodStddev, seq(1, 9), 4, nil,
			[]float64{1, 5 + -1*sd9, 5, 5 + 1*sd9, 9}, []int{2, 2, 3, 2}, nil, []float64{-inf, -1, 0, 1}},
		// an outlier: the upper classes reach it, the lower ones stop at
		// the minimum
		{"stddev outlier", methodStddev, []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 10}, 3, nil,
			[]float64{0, 1 + 0.5*math.Sqrt(10), 10}, []int{9, 1}, []int{1, 2}, []float64{-0.5, 0.5}},
		{"stddev all equal", methodStddev, []float64{3, 3, 3}, 5, nil,
			[]float64{3, 3}, []int{3}, []int{2}, []float64{-inf}},
		{"stddev one value", methodStddev, []float64{3}, 4, nil,
			[]float64{3, 3}, []int{1}, []int{1}, []float64{-inf}},
		// manual: the caller's breaks between open outer classes
		{"manual", methodManual, []float64{5, 8, 10, 10, 30.5}, 0, []float64{6, 10, 20},
			[]float64{5, 6, 10, 20, 30.5}, []int{1, 1, 2, 1}, nil, nil},
		{"manual beyond the values", methodManual, []float64{12, 13}, 0, []float64{10, 20},
			[]float64{10, 10, 20, 20}, []int{0, 2, 0}, nil, nil},
		{"manual none", methodManual, nil, 0, []float64{1},
			[]float64{1, 1, 1}, []int{0, 0}, nil, nil},
	}
	for _, tt := range tests {
		c, err := classify(tt.method, tt.values, tt.k, tt.manual)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !slices.Equal(c.breaks, tt.breaks) {
			t.Errorf("%s: breaks %v, want %v", tt.name, c.breaks, tt.breaks)
		}
		if got := c.counts(tt.values); !slices.Equal(got, tt.counts) {
			t.Errorf("%s: counts %v, want %v", tt.name, got, tt.counts)
		}
		slots := tt.slots
		if slots == nil {
			for i := range c.k() {
				slots = append(slots, i)
			}
		}
		if !slices.Equal(c.slots, slots) && !(len(c.slots) == 0 && len(slots) == 0) {
			t.Errorf("%s: slots %v, want %v", tt.name, c.slots, slots)
		}
		if tt.sdLow != nil && !slices.Equal(c.sdLow, tt.sdLow) {
			t.Errorf("%s: sd lower bounds %v, want %v", tt.name, c.sdLow, tt.sdLow)
		}
		for _, b := range c.breaks {
			if math.IsNaN(b) || math.IsInf(b, 0) {
				t.Errorf("%s: break %v", tt.name, b)
			}
		}
	}
}

func seq(from, to int) []float64 {
	var s []float64
	for i := from; i <= to; i++ {
		s = append(s, float64(i))
	}
	return s
}

// TestStddevBounds: the classes' bounds in standard deviations, and the
// last class's upper one.
func TestStddevBounds(t *testing.T) {
	c := stddevClasses(seq(1, 9), 5)
	if !slices.Equal(c.sdHigh, []float64{-0.5, 0.5, 1.5}) || c.mean != 5 || c.sd != math.Sqrt(7.5) {
		t.Errorf("upper bounds %v, mean %v, sd %v", c.sdHigh, c.mean, c.sd)
	}
	// a maximum exactly on a break is the only value of its class, as
	// the map's step puts it there
	c = stddevClasses([]float64{-1, 0, 1}, 3) // mean 0, sd 1: breaks ±0.5
	if !slices.Equal(c.breaks, []float64{-1, -0.5, 0.5, 1}) {
		t.Errorf("breaks %v", c.breaks)
	}
	c = stddevClasses([]float64{-1, 0, 1}, 2) // the mean is the break
	if !slices.Equal(c.breaks, []float64{-1, 0, 1}) || !slices.Equal(c.counts([]float64{-1, 0, 1}), []int{1, 2}) {
		t.Errorf("breaks %v", c.breaks)
	}
	c = stddevClasses([]float64{-1, 0, 1}, 4) // ±1 sd are the minimum and maximum
	if !slices.Equal(c.breaks, []float64{-1, 0, 1, 1}) || !slices.Equal(c.slots, []int{1, 2, 3}) ||
		!slices.Equal(c.counts([]float64{-1, 0, 1}), []int{1, 1, 1}) {
		t.Errorf("breaks %v, slots %v", c.breaks, c.slots)
	}
}

func TestClassifyRejects(t *testing.T) {
	for _, tt := range []struct {
		method string
		k      int
		manual []float64
	}{
		{methodQuantile, 1, nil},
		{methodJenks, 10, nil},
		{"kmeans", 5, nil},
		{methodManual, 0, nil},
		{methodManual, 0, seq(1, 9)},
	} {
		if _, err := classify(tt.method, seq(1, 20), tt.k, tt.manual); err == nil {
			t.Errorf("%s k=%d %v: no error", tt.method, tt.k, tt.manual)
		}
	}
}

// TestJenksIsOptimal compares the divide-and-conquer recursion with the
// plain O(k·n²) one and, for few values, with every partition: the same
// least sum of squared deviations, on random values with many ties.
func TestJenksIsOptimal(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for trial := range 400 {
		n := 3 + rnd.IntN(60)
		if trial < 150 {
			n = 3 + rnd.IntN(9)
		}
		values := make([]float64, n)
		for i := range values {
			switch trial % 3 {
			case 0:
				values[i] = float64(rnd.IntN(15)) // many ties
			case 1:
				values[i] = math.Round(math.Exp(rnd.NormFloat64()*2)*10) / 10
			default:
				values[i] = rnd.NormFloat64() * 1000
			}
		}
		slices.Sort(values)
		xs, ws := distinctValues(values)
		for k := 2; k < min(len(xs), 10); k++ {
			got := partitionCost(values, jenksBreaks(xs, ws, k))
			want := quadraticJenksCost(xs, ws, k)
			if n <= 11 {
				want = min(want, bruteJenksCost(values, k))
			}
			if got > want*(1+1e-12)+1e-9 {
				t.Fatalf("%v in %d classes: cost %v, optimum %v (breaks %v)", values, k, got, want, jenksBreaks(xs, ws, k))
			}
		}
	}
}

// partitionCost is the sum of squared deviations from the class means of
// the classes the breaks make, computed directly.
func partitionCost(sorted, breaks []float64) float64 {
	c := classBounds{breaks: breaks}
	cost := 0.0
	for _, n := range c.counts(sorted) {
		members := sorted[:n]
		sorted = sorted[n:]
		if n == 0 {
			continue
		}
		mean := 0.0
		for _, x := range members {
			mean += x
		}
		mean /= float64(n)
		for _, x := range members {
			cost += (x - mean) * (x - mean)
		}
	}
	return cost
}

// quadraticJenksCost is the least cost by the plain recursion over every
// start of the last class.
func quadraticJenksCost(xs, ws []float64, k int) float64 {
	p := newPrefixSSD(xs, ws)
	d := len(xs)
	prev := make([]float64, d+1)
	for i := 1; i <= d; i++ {
		prev[i] = p.cost(0, i)
	}
	for j := 1; j < k; j++ {
		cur := make([]float64, d+1)
		for i := j + 1; i <= d; i++ {
			cur[i] = math.Inf(1)
			for m := j; m < i; m++ {
				cur[i] = min(cur[i], prev[m]+p.cost(m, i))
			}
		}
		prev = cur
	}
	return prev[d]
}

// bruteJenksCost tries every way to cut the sorted values into k runs,
// ties parted too.
func bruteJenksCost(sorted []float64, k int) float64 {
	best := math.Inf(1)
	var try func(from int, cuts []int)
	try = func(from int, cuts []int) {
		if len(cuts) == k-1 {
			bounds := append(append([]int{0}, cuts...), len(sorted))
			cost := 0.0
			for i := 0; i+1 < len(bounds); i++ {
				part := sorted[bounds[i]:bounds[i+1]]
				mean := 0.0
				for _, x := range part {
					mean += x
				}
				mean /= float64(len(part))
				for _, x := range part {
					cost += (x - mean) * (x - mean)
				}
			}
			best = min(best, cost)
			return
		}
		for c := from; c < len(sorted); c++ {
			try(c+1, append(cuts, c))
		}
	}
	try(1, nil)
	return best
}

func TestClassLabels(t *testing.T) {
	for _, tt := range []struct {
		name     string
		c        classBounds
		decimals int
		unit     string
		want     []string
	}{
		{"one decimal", classBounds{breaks: []float64{2, 3.25, 5.5, 10}}, 1, "%",
			[]string{"2,0 bis unter 3,3 %", "3,3 bis unter 5,5 %", "5,5 bis 10,0 %"}},
		// 0.3 × 10 is 3.0000000000000004 in floating point: still "0,3"
		{"grid point", classBounds{breaks: []float64{0.1, 0.3, 0.7}}, 1, "",
			[]string{"0,1 bis unter 0,3", "0,3 bis 0,7"}},
		// a class that can hold one published value only is that value
		{"single values", classBounds{breaks: []float64{1, 1.5, 2.5, 3}}, 0, "Personen",
			[]string{"1 Personen", "2 Personen", "3 Personen"}},
		{"one class", classBounds{breaks: []float64{4.25, 4.25}}, 2, "km²", []string{"4,25 km²"}},
		{"thousands", classBounds{breaks: []float64{-12345.5, 0, 1234567}}, 1, "Einw./km²",
			[]string{"-12.345,5 bis unter 0,0 Einw./km²", "0,0 bis 1.234.567,0 Einw./km²"}},
		{"manual", classBounds{breaks: []float64{5, 9.95, 20, 30.5}, open: true}, 1, "%",
			[]string{"unter 10,0 %", "10,0 bis unter 20,0 %", "20,0 % und mehr"}},
		{"negative grid", classBounds{breaks: []float64{-3, -1.05, -0.04, 2}}, 1, "",
			[]string{"-3,0 bis unter -1,0", "-1,0 bis unter 0,0", "0,0 bis 2,0"}},
	} {
		if got := classLabels(&tt.c, tt.decimals, tt.unit); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestGridUp: the least published value at or above a break, for breaks
// on and between grid points; published values parse to the same float64.
func TestGridUp(t *testing.T) {
	for _, tt := range []struct {
		b        float64
		decimals int
		want     string
	}{
		{0.3, 1, "0.3"}, {0.30000000000000004, 1, "0.4"}, {0.29999999999999999, 1, "0.3"},
		{12.34, 1, "12.4"}, {-12.34, 1, "-12.3"}, {-0.04, 1, "0.0"}, {1e-9, 0, "1"},
		{2.675, 2, "2.68"}, {1.005, 2, "1.01"}, {165.5, 0, "166"}, {942, 0, "942"},
	} {
		if got := gridUp(tt.b, tt.decimals).text; got != tt.want {
			t.Errorf("gridUp(%v, %d) = %s, want %s", tt.b, tt.decimals, got, tt.want)
		}
	}
	rnd := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		d := rnd.IntN(4)
		v := (rnd.Float64() - 0.5) * math.Pow10(rnd.IntN(7))
		p := gridUp(v, d)
		if p.value < v || gridAt(p.m-1, d).value >= v {
			t.Fatalf("gridUp(%v, %d) = %s", v, d, p.text)
		}
		// a published value is its own grid point
		pub := string(appendPublished(nil, v, d))
		pv, err := strconv.ParseFloat(pub, 64)
		if err != nil {
			t.Fatal(err)
		}
		if q := gridUp(pv, d); q.text != pub {
			t.Fatalf("published %s: grid point %s", pub, q.text)
		}
	}
}

// TestDropEmptyClasses: a class between two breaks that round up to the
// same published value can hold none and goes; its neighbours keep their
// colours.
func TestDropEmptyClasses(t *testing.T) {
	c := classBounds{breaks: []float64{1, 1.2, 1.4, 2.5, 3}, slots: []int{0, 1, 2, 3}, of: 4}
	dropEmptyClasses(&c, 0) // [1.2, 1.4) holds no whole number
	if !slices.Equal(c.breaks, []float64{1, 1.4, 2.5, 3}) || !slices.Equal(c.slots, []int{0, 2, 3}) {
		t.Errorf("breaks %v, slots %v", c.breaks, c.slots)
	}
	values := []float64{1, 2, 2, 3}
	before := classBounds{breaks: []float64{1, 1.2, 1.4, 2.5, 3}}
	if got, was := c.counts(values), before.counts(values); !slices.Equal(got, []int{was[0] + was[1], was[2], was[3]}) {
		t.Errorf("counts %v, before %v", got, was)
	}
	s := stddevClasses([]float64{5, 5, 5, 5, 5, 5, 5, 5, 5, 5.1}, 9)
	dropEmptyClasses(&s, 1)
	if s.k() != 2 || s.breaks[0] != 5 || s.breaks[2] != 5.1 || !slices.Equal(s.counts([]float64{5, 5.1}), []int{1, 1}) ||
		s.sdHigh[0] != s.sdLow[1] {
		t.Errorf("stddev of a narrow spread: %+v", s)
	}
}

func TestGermanNumber(t *testing.T) {
	for in, want := range map[string]string{"0": "0", "12.5": "12,5", "1234": "1.234", "-1234567.25": "-1.234.567,25",
		"123": "123", "-0.5": "-0,5", "100000": "100.000"} {
		if got := germanNumber(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestSchemes(t *testing.T) {
	s, ok := lookupScheme("RdBu_r")
	if !ok || s.base.kind != diverging {
		t.Fatal("RdBu_r")
	}
	if got := s.colours(3); !slices.Equal(got, []string{"#67a9cf", "#f7f7f7", "#ef8a62"}) {
		t.Errorf("RdBu_r 3: %v", got)
	}
	s, _ = lookupScheme("YlOrRd")
	if got := s.colours(2); !slices.Equal(got, []string{"#ffeda0", "#f03b20"}) {
		t.Errorf("YlOrRd 2: %v", got)
	}
	if got := s.colours(1); !slices.Equal(got, []string{"#feb24c"}) {
		t.Errorf("YlOrRd 1: %v", got)
	}
	// the table is not changed by a caller reversing its copy
	r, _ := lookupScheme("YlOrRd_r")
	r.colours(5)
	if got := s.colours(5); got[0] != "#ffffb2" {
		t.Errorf("YlOrRd 5 after a reversal: %v", got)
	}
	for _, bad := range []string{"", "ylorrd", "Set1", "Blues_r_r", "_r"} {
		if _, ok := lookupScheme(bad); ok {
			t.Errorf("%q found", bad)
		}
	}
	for _, tt := range []struct {
		method string
		p      Polarity
		want   string
	}{
		{methodQuantile, HigherWorse, "YlOrRd"}, {methodJenks, HigherBetter, "YlGnBu"}, {methodEqual, Neutral, "Blues"},
		{methodStddev, HigherWorse, "RdBu_r"}, {methodStddev, HigherBetter, "RdBu"}, {methodStddev, Neutral, "BrBG"},
	} {
		if got := defaultScheme(tt.method, tt.p); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.method, tt.p, got, tt.want)
		}
		if _, ok := lookupScheme(tt.want); !ok {
			t.Errorf("default %s is not in the table", tt.want)
		}
	}
}
