package indicators

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
)

// BenchmarkAreaTypesGemeinden times /areas/gemeinde/types for the 10,997
// Gemeinden of BenchmarkValuesGemeinden by four indicators (three counts
// and a rate, those withheld left out) as JSON over HTTP: k-means with
// k = 6 and the default 10 starts, and Ward's clustering cut into 6. It
// reports the median (p50_ms) next to a floor measured in the same run:
// the median of reading the same published values alone, as the handler
// reads them (floor_ms), and the ratio of the two (x_floor). Measured:
// k-means 222 ms (3.1 × a floor of 71 ms), Ward 968 ms (13.9 ×).
func BenchmarkAreaTypesGemeinden(b *testing.B) {
	pool := pgtest.NewDBWith(b, "bench-values-gemeinden-v2", func(ctx context.Context, db *pgxpool.Pool) error {
		if _, err := db.Exec(ctx, sqlBenchGemeinden); err != nil {
			return err
		}
		return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return NewStore(db, nil).Publish(ctx, tx) })
	})
	store := NewStore(pool, geo.NewStore(pool))
	r := chi.NewRouter()
	store.OutputRoutes(r, OutputConfig{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(r)
	defer srv.Close()
	ctx := context.Background()
	o := &outputs{store: store, log: slog.New(slog.DiscardHandler)}
	var inds []Indicator
	for _, key := range []string{"a", "b", "c", "r"} {
		ind, err := store.Indicator(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		inds = append(inds, ind)
	}
	period := time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)
	floorRead := func(b *testing.B) time.Duration {
		start := time.Now()
		areas, missing, err := o.typeRows(ctx, inds, "gemeinde", period, outToday(nil))
		if err != nil || missing != "" || len(areas) != 10997 {
			b.Fatalf("floor: %d areas, %q, %v", len(areas), missing, err)
		}
		return time.Since(start)
	}
	for _, query := range []string{"method=kmeans&k=6", "method=ward&k=6"} {
		path := "/areas/gemeinde/types?indicators=a,b,c,r&period=2022-12-31&" + query
		b.Run(query, func(b *testing.B) {
			var times, floors []time.Duration
			for b.Loop() {
				b.StopTimer()
				floors = append(floors, floorRead(b))
				b.StartTimer()
				start := time.Now()
				res, err := http.Get(srv.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || n < 10000*60 {
					b.Fatalf("%d, %d bytes", res.StatusCode, n)
				}
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			slices.Sort(floors)
			p50, floor := times[len(times)/2], floors[len(floors)/2]
			b.ReportMetric(float64(p50.Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(floor.Microseconds())/1000, "floor_ms")
			b.ReportMetric(float64(p50)/float64(floor), "x_floor")
		})
	}
}
