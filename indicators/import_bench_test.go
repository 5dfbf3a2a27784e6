package indicators

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// The benchmark's synthetic Germany: 16 Länder, 401 Kreise and 10,997
// Gemeinden (as many as VG5000 2021 has), 10 count indicators, 10 periods.
const (
	benchKreise     = 401
	benchGemeinden  = 10997
	benchIndicators = 10
	benchPeriods    = 10
)

func benchKreis(i int) string { return fmt.Sprintf("%02d%03d", i%16+1, i) }

func benchGemeinde(i int) string {
	return fmt.Sprintf("%s%07d", benchKreis(i%benchKreise), i)
}

// benchAreas fills the shared template: areas without geometry and the
// indicators.
func benchAreas(ctx context.Context, pool *pgxpool.Pool) error {
	stmts := []string{
		`INSERT INTO area (level, code, name) VALUES ('staat', 'DE', 'Deutschland')`,
		`INSERT INTO area (level, code, name, parent_level, parent_code)
		 SELECT 'land', to_char(l, 'FM00'), 'Land ' || l, 'staat', 'DE' FROM generate_series(1, 16) l`,
	}
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s); err != nil {
			return err
		}
	}
	var rows [][]any
	for i := range benchKreise {
		k := benchKreis(i)
		rows = append(rows, []any{"kreis", k, "Kreis " + k, "land", k[:2]})
	}
	for i := range benchGemeinden {
		g := benchGemeinde(i)
		rows = append(rows, []any{"gemeinde", g, "Gemeinde " + g, "kreis", g[:5]})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"area"}, []string{"level", "code", "name", "parent_level", "parent_code"},
		pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	for i := range benchIndicators {
		if _, err := pool.Exec(ctx, `INSERT INTO indicator (key, position, title, category, polarity, kind)
			VALUES ($1, $2, $1, 'Demografie', 'neutral', 'count')`, benchIndicator(i), i); err != nil {
			return err
		}
	}
	return nil
}

func benchIndicator(i int) string { return fmt.Sprintf("anzahl_%02d", i+1) }

func benchPeriod(i int) time.Time { return time.Date(2013+i, 12, 31, 0, 0, 0, 0, time.UTC) }

func benchValue(g, ind, p int) int { return (g*7919 + ind*104729 + p*1299709) % 50000 }

// writeBenchTable writes the long table of every Gemeinde, indicator and
// period, as an office would: semicolons, German dates, grouped thousands.
func writeBenchTable(b *testing.B) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "area;indicator;period;value")
	for g := range benchGemeinden {
		code := benchGemeinde(g)
		for ind := range benchIndicators {
			for per := range benchPeriods {
				v := benchValue(g, ind, per)
				val := fmt.Sprint(v)
				if v >= 1000 {
					val = fmt.Sprintf("%d.%03d", v/1000, v%1000)
				}
				fmt.Fprintf(w, "%s;%s;%s;%s\n", code, benchIndicator(ind), benchPeriod(per).Format("02.01.2006"), val)
			}
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

const sqlBareTable = `
CREATE TABLE bare_observation (
    indicator text, area_id bigint, period date, value double precision, status text, batch_id bigint)`

// bareCopy copies the same observations, as rows already in memory, into
// an unindexed table without constraints: the floor any import stands on.
func bareCopy(ctx context.Context, b *testing.B, pool *pgxpool.Pool) time.Duration {
	b.Helper()
	ids := map[string]int64{}
	rows, err := pool.Query(ctx, `SELECT code, id FROM area WHERE level = 'gemeinde'`)
	if err != nil {
		b.Fatal(err)
	}
	var code string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&code, &id}, func() error { ids[code] = id; return nil }); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, sqlBareTable); err != nil {
		b.Fatal(err)
	}
	n := benchGemeinden * benchIndicators * benchPeriods
	status := string(Measured)
	start := time.Now()
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"bare_observation"},
		[]string{"indicator", "area_id", "period", "value", "status", "batch_id"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			row := make([]any, 6)
			return func() ([]any, error) {
				if i == n {
					return nil, nil
				}
				g, ind, per := i/(benchIndicators*benchPeriods), i/benchPeriods%benchIndicators, i%benchPeriods
				row[0], row[1], row[2] = benchIndicator(ind), ids[benchGemeinde(g)], benchPeriod(per)
				row[3], row[4], row[5] = float64(benchValue(g, ind, per)), status, int64(1)
				i++
				return row, nil
			}
		}()))
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkImportMillion imports 1,099,700 observations (10,997 Gemeinden ×
// 10 indicators × 10 periods) from a long CSV into a fresh copy of the
// area fixture, next to a bare COPY of the same rows in the same database.
// Reported: the whole import (read, check, write, publish), its part
// without publishing, the bare COPY, and the ratios to it (target ≤ 3).
func BenchmarkImportMillion(b *testing.B) {
	ctx := context.Background()
	path := writeBenchTable(b)
	var total, noPublish, bare, publish time.Duration
	var read, check, write float64
	for b.Loop() {
		b.StopTimer()
		pool := pgtest.NewDBWith(b, "import-bench-v1", benchAreas)
		s := NewStore(pool, nil)
		bare += bareCopy(ctx, b, pool)
		b.StartTimer()
		start := time.Now()
		rep, err := s.ImportTable(ctx, TableImport{Path: path, Level: "gemeinde"})
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		read, check, write = read+rep.Timings.Read, check+rep.Timings.Check, write+rep.Timings.Write
		pub := time.Duration(rep.Timings.Publish * float64(time.Second))
		publish += pub
		noPublish += time.Since(start) - pub
		if want := benchGemeinden * benchIndicators * benchPeriods; rep.Observations != want {
			b.Fatalf("%d observations, want %d", rep.Observations, want)
		}
	}
	n := float64(b.N)
	b.ReportMetric(total.Seconds()/n, "import-s")
	b.ReportMetric(noPublish.Seconds()/n, "import-without-publish-s")
	b.ReportMetric(read/n, "read-s")
	b.ReportMetric(check/n, "check-s")
	b.ReportMetric(write/n, "write-s")
	b.ReportMetric(publish.Seconds()/n, "publish-s")
	b.ReportMetric(bare.Seconds()/n, "bare-copy-s")
	b.ReportMetric(noPublish.Seconds()/bare.Seconds(), "import/copy")
	b.ReportMetric(total.Seconds()/bare.Seconds(), "import+publish/copy")
}
