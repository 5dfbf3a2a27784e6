package supply

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkTwoStepGermany runs TwoStep at the scale of Germany: 3,000
// facilities and 11,000 areas (about the Gemeinden) spread over a box of
// 640 × 640 km. The floor is the double loop of the tests, timed once;
// "x_floor" is how many times faster TwoStep is.
func BenchmarkTwoStepGermany(b *testing.B) {
	fs, ds := randomPoints(11, 3000, 11000, 640000)
	for _, radius := range []float64{5000, 20000} {
		for _, decay := range decays(radius) {
			b.Run(fmt.Sprintf("%s/%gkm", decayName(decay), radius/1000), func(b *testing.B) {
				start := time.Now()
				naive(fs, ds, radius, decay)
				floor := time.Since(start)
				p := Params{Radius: radius, Decay: decay}
				b.ResetTimer()
				for b.Loop() {
					if _, err := TwoStep(context.Background(), fs, ds, p); err != nil {
						b.Fatal(err)
					}
				}
				per := b.Elapsed() / time.Duration(b.N)
				b.ReportMetric(float64(floor)/float64(per), "x_floor")
				b.ReportMetric(float64(floor.Milliseconds()), "floor_ms")
			})
		}
	}
}

// BenchmarkNearestGermany is the nearest facility at the same scale,
// against looking at every facility.
func BenchmarkNearestGermany(b *testing.B) {
	fs, ds := randomPoints(12, 3000, 11000, 640000)
	start := time.Now()
	for _, d := range ds {
		bruteNearest(fs, d)
	}
	floor := time.Since(start)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Nearest(context.Background(), fs, ds); err != nil {
			b.Fatal(err)
		}
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(floor)/float64(per), "x_floor")
}
