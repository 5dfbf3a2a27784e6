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
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
)

// sqlBenchGemeinden makes 10,997 Gemeinden (as many as Germany has) with
// 3 count indicators and a rate over 10 periods: 440,000 cells, every
// 50th withheld.
const sqlBenchGemeinden = `
INSERT INTO area (level, code, name, parent_level, parent_code)
	SELECT 'gemeinde', lpad(i::text, 12, '0'), 'Gemeinde ' || i, NULL, NULL FROM generate_series(1, 10997) i;
INSERT INTO indicator (key, position, title, category, polarity, decimals, kind, numerator, denominator, scale) VALUES
	('a', 0, 'A', 'Demografie', 'neutral', 0, 'count', NULL, NULL, NULL),
	('b', 1, 'B', 'Demografie', 'neutral', 0, 'count', NULL, NULL, NULL),
	('c', 2, 'C', 'Demografie', 'neutral', 0, 'count', NULL, NULL, NULL),
	('r', 3, 'R', 'Demografie', 'neutral', 1, 'rate', 'b', 'a', 100);
INSERT INTO cell (indicator, area_id, period, value, numerator, denominator, status, suppressed)
	SELECT k, a.id, make_date(2013 + y, 12, 31),
		CASE WHEN k = 'r' THEN 100.0 * (a.id % 500) / (1000 + a.id % 7000) ELSE 1000 + a.id % 7000 END,
		CASE WHEN k = 'r' THEN a.id % 500 END, CASE WHEN k = 'r' THEN 1000 + a.id % 7000 END,
		'measured', CASE WHEN a.id % 50 = 0 THEN 'primary' END
	FROM area a, generate_series(0, 9) y, unnest(ARRAY['a', 'b', 'c', 'r']) k;
ANALYZE;`

// BenchmarkValuesGemeinden times /indicators/{key}/values for all
// Gemeinden as JSON over HTTP and reports the median (target: under 30 ms).
func BenchmarkValuesGemeinden(b *testing.B) {
	pool := pgtest.NewDBWith(b, "bench-values-gemeinden", func(ctx context.Context, db *pgxpool.Pool) error {
		_, err := db.Exec(ctx, sqlBenchGemeinden)
		return err
	})
	r := chi.NewRouter()
	NewStore(pool, geo.NewStore(pool)).OutputRoutes(r, OutputConfig{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, path := range []string{"/indicators/r/values?level=gemeinde&period=2022-12-31", "/indicators/a/values?level=gemeinde"} {
		b.Run(path, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				start := time.Now()
				res, err := http.Get(srv.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || n < 10997*80 {
					b.Fatalf("%d, %d bytes", res.StatusCode, n)
				}
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50_ms")
		})
	}
}
