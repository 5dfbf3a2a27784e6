package main

import (
	"context"
	"testing"
	"time"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// BenchmarkMoranGemeinden: global Moran's I of the demo's population
// density over all Gemeinden with 999 permutations, once with the queen
// contiguity computed in PostGIS for every run (a fresh store, so its
// cache is empty) and once from the store's cache, next to the floor
// measured in the same run: reading the values alone (I without
// permutations on cached weights, whose cost is the read).
func BenchmarkMoranGemeinden(b *testing.B) {
	pool := demoDB(b)
	ctx := context.Background()
	_, warm := stores(pool)
	ind, err := warm.Indicator(ctx, "dichte")
	if err != nil {
		b.Fatal(err)
	}
	period := time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)
	q := indicators.SpatialQuery{Level: "gemeinde", Period: &period, Day: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		Weights: geo.Queen, Permutations: 999, Seed: 1}
	floorQ := q
	floorQ.Permutations = 0
	if _, err := warm.Autocorrelation(ctx, ind, floorQ, false); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		fresh bool
	}{{"weights", true}, {"cached", false}} {
		b.Run(c.name, func(b *testing.B) {
			var floorTime, runTime time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := warm.Autocorrelation(ctx, ind, floorQ, false); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				s := warm
				if c.fresh {
					_, s = stores(pool)
				}
				res, err := s.Autocorrelation(ctx, ind, q, false)
				if err != nil {
					b.Fatal(err)
				}
				runTime += time.Since(t1)
				floorTime += t1.Sub(t0)
				if res.Global.N != 10935 {
					b.Fatalf("n = %d", res.Global.N)
				}
			}
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(ms(runTime), "ms/moran")
			b.ReportMetric(ms(floorTime), "ms/floor")
			b.ReportMetric(float64(runTime)/float64(floorTime), "x-floor")
		})
	}
}
