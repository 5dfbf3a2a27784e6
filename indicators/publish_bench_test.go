package indicators

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// benchPublishFixture: 10,997 Gemeinden in 401 Kreise in 16 Länder, 10
// counts × 10 periods each — 1,099,700 observations, a few hundred of them
// 1 or 2 so that disclosure control has work to do.
var benchPublishFixture = []string{
	`INSERT INTO import_batch (kind, source) VALUES ('indicators', 'bench')`,
	`INSERT INTO area (level, code, name) VALUES ('staat', 'DE', 'Deutschland')`,
	`INSERT INTO area (level, code, name, parent_level, parent_code)
	 SELECT 'land', lpad(l::text, 2, '0'), 'Land ' || l, 'staat', 'DE' FROM generate_series(1, 16) l`,
	`INSERT INTO area (level, code, name, parent_level, parent_code)
	 SELECT 'kreis', lpad((k % 16 + 1)::text, 2, '0') || lpad(k::text, 3, '0'), 'Kreis ' || k,
	        'land', lpad((k % 16 + 1)::text, 2, '0')
	 FROM generate_series(1, 401) k`,
	`INSERT INTO area (level, code, name, parent_level, parent_code)
	 SELECT 'gemeinde', k.code || lpad(g::text, 7, '0'), 'Gemeinde ' || g, 'kreis', k.code
	 FROM generate_series(1, 10997) g
	 JOIN (SELECT code, row_number() OVER (ORDER BY code) - 1 AS n FROM area WHERE level = 'kreis') k
	   ON k.n = g % 401`,
	`INSERT INTO indicator (key, position, title, category, polarity, kind)
	 SELECT 'c' || i, i, 'Zählgröße ' || i, 'Demografie', 'neutral', 'count' FROM generate_series(0, 9) i`,
	`INSERT INTO observation (indicator, area_id, period, value, status, batch_id)
	 SELECT 'c' || i, a.id, make_date(2013 + p, 12, 31),
	        ((a.id * 7919 + i * 104729 + p * 31) % 5000)::double precision, 'measured', 1
	 FROM area a, generate_series(0, 9) i, generate_series(0, 9) p
	 WHERE a.level = 'gemeinde'`,
	`INSERT INTO observation_extent (batch_id, indicator, period, level, rows)
	 SELECT 1, indicator, period, 'gemeinde', count(*) FROM observation GROUP BY 1, 2, 3`,
	`ANALYZE`,
}

// BenchmarkPublish publishes the whole fixture into an empty cell table,
// next to a bare COPY of the same observation rows into an unindexed table.
func BenchmarkPublish(b *testing.B) {
	pool := pgtest.NewDBWith(b, "publish-bench-v2", func(ctx context.Context, pool *pgxpool.Pool) error {
		for _, s := range benchPublishFixture {
			if _, err := pool.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	ctx := context.Background()

	copySeconds := benchBareCopy(b, ctx, pool)

	fmt.Fprintf(os.Stderr, "%s: bare COPY of the observation rows into an unindexed table: %.3f s\n", b.Name(), copySeconds)
	b.Run("empty", func(b *testing.B) { benchPublishRuns(b, ctx, pool) })
	// Over the cells of a previous run, as after every later import.
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return NewStore(pool, nil).Publish(ctx, tx) })
	if err != nil {
		b.Fatal(err)
	}
	b.Run("again", func(b *testing.B) { benchPublishRuns(b, ctx, pool) })
}

// benchPublishRuns publishes b.N times, each in a transaction rolled back,
// and prints the time per step.
func benchPublishRuns(b *testing.B, ctx context.Context, pool *pgxpool.Pool) {
	steps := map[string]time.Duration{}
	var names []string
	tctx := context.WithValue(ctx, publishTraceKey{}, func(step string, took time.Duration) {
		if _, ok := steps[step]; !ok {
			names = append(names, step)
		}
		steps[step] += took
	})

	var cells int64
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if err := NewStore(pool, nil).Publish(tctx, tx); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM published_cell`).Scan(&cells); err != nil {
				return err
			}
			return errRollback
		})
		if err != nil && err != errRollback {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for _, name := range names {
		fmt.Fprintf(os.Stderr, "%s: %-50s %8.3f s\n", b.Name(), name, steps[name].Seconds()/float64(b.N))
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/publish")
	b.ReportMetric(float64(cells), "cells")
}

type rollback struct{}

func (rollback) Error() string { return "rollback" }

var errRollback error = rollback{}

// benchBareCopy copies the observation rows into an unindexed table and
// returns the seconds the COPY took.
func benchBareCopy(b *testing.B, ctx context.Context, pool *pgxpool.Pool) float64 {
	b.Helper()
	rows, err := pool.Query(ctx, `SELECT indicator, area_id, period, value, status, batch_id FROM observation`)
	if err != nil {
		b.Fatal(err)
	}
	data, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) {
		var ind, status string
		var area, batch int64
		var period time.Time
		var value float64
		err := r.Scan(&ind, &area, &period, &value, &status, &batch)
		return []any{ind, area, period, value, status, batch}, err
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE bench_copy (indicator text, area_id bigint, period date,
		value double precision, status text, batch_id bigint)`); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	n, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_copy"},
		[]string{"indicator", "area_id", "period", "value", "status", "batch_id"}, pgx.CopyFromRows(data))
	if err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start).Seconds()
	if n != int64(len(data)) {
		b.Fatalf("copied %d of %d rows", n, len(data))
	}
	return elapsed
}
