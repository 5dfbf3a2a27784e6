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

// sqlBenchGemeinden makes 10,997 Gemeinden (as many as Germany has) with
// 3 count indicators over 10 periods, imported as one batch; publishing
// adds a rate over two of them (440,000 cells in all, those with a count
// of 1 or 2 and their rates withheld).
const sqlBenchGemeinden = `
INSERT INTO area (level, code, name, parent_level, parent_code)
	SELECT 'gemeinde', lpad(i::text, 12, '0'), 'Gemeinde ' || i, NULL, NULL FROM generate_series(1, 10997) i;
INSERT INTO indicator (key, position, title, category, polarity, decimals, kind, numerator, denominator, scale) VALUES
	('a', 0, 'A', 'Demografie', 'neutral', 0, 'count', NULL, NULL, NULL),
	('b', 1, 'B', 'Demografie', 'neutral', 0, 'count', NULL, NULL, NULL),
	('c', 2, 'C', 'Demografie', 'neutral', 0, 'count', NULL, NULL, NULL),
	('r', 3, 'R', 'Demografie', 'neutral', 1, 'rate', 'b', 'a', 100);
INSERT INTO import_batch (kind, source) VALUES ('indicators', 'bench');
INSERT INTO observation (indicator, area_id, period, value, status, batch_id)
	SELECT k, a.id, make_date(2013 + y, 12, 31),
		CASE k WHEN 'a' THEN 1000 + a.id % 7000 WHEN 'b' THEN a.id % 500 ELSE a.id % 3000 END,
		'measured', 1
	FROM unnest(ARRAY['a', 'b', 'c']) k, generate_series(0, 9) y, area a
	ORDER BY 1, 3, 2;
INSERT INTO observation_extent (batch_id, indicator, period, level, rows)
	SELECT 1, indicator, period, 'gemeinde', count(*) FROM observation GROUP BY 1, 2, 3;
ANALYZE;`

// sqlBenchValuesFloor reads as many rows as the values of all Gemeinden
// have, from one table without join, sort or withholding: the least any
// answer listing every Gemeinde costs on this machine at this moment.
const sqlBenchValuesFloor = `SELECT code, name, id::float8 FROM area WHERE level = 'gemeinde'`

// BenchmarkValuesGemeinden times /indicators/{key}/values for all
// Gemeinden as JSON over HTTP and reports the median (target: under 30 ms),
// next to a floor measured in the same run: the median of reading the
// same number of rows from the area table alone, before each request
// (floor_ms), and the ratio of the two (x_floor).
func BenchmarkValuesGemeinden(b *testing.B) {
	pool := pgtest.NewDBWith(b, "bench-values-gemeinden-v2", func(ctx context.Context, db *pgxpool.Pool) error {
		if _, err := db.Exec(ctx, sqlBenchGemeinden); err != nil {
			return err
		}
		return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return NewStore(db, nil).Publish(ctx, tx) })
	})
	r := chi.NewRouter()
	NewStore(pool, geo.NewStore(pool)).OutputRoutes(r, OutputConfig{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(r)
	defer srv.Close()
	ctx := context.Background()
	floorQuery := func(b *testing.B) time.Duration {
		start := time.Now()
		rows, err := pool.Query(ctx, sqlBenchValuesFloor)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			_ = rows.RawValues()
			n++
		}
		if rows.Close(); rows.Err() != nil || n != 10997 {
			b.Fatalf("floor: %d rows, %v", n, rows.Err())
		}
		return time.Since(start)
	}
	for _, path := range []string{"/indicators/r/values?level=gemeinde&period=2022-12-31", "/indicators/a/values?level=gemeinde"} {
		b.Run(path, func(b *testing.B) {
			var times, floors []time.Duration
			for b.Loop() {
				// the floor interleaved, so both see the machine alike
				b.StopTimer()
				floors = append(floors, floorQuery(b))
				b.StartTimer()
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
			slices.Sort(floors)
			p50, floor := times[len(times)/2], floors[len(floors)/2]
			b.ReportMetric(float64(p50.Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(floor.Microseconds())/1000, "floor_ms")
			b.ReportMetric(float64(p50)/float64(floor), "x_floor")
		})
	}
}
