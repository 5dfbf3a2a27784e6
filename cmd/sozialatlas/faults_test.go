package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/demo"
	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// smallAtlasManifest is the part of the demo atlas the fault tests serve:
// Germany, its Länder and Kreise with the Kreise's population of 2018, a
// few seconds to load where the whole demo takes twenty.
const smallAtlasManifest = `{
  "title": "Sozialatlas Fehlertest",
  "areas": [
    {"file": "vg5000-2021/VG5000_STA.shp", "level": "staat", "code_field": "NUTS", "name_field": "GEN", "where": {"GF": "9"}},
    {"file": "vg5000-2021/VG5000_LAN.shp", "level": "land", "code_field": "ARS", "name_field": "GEN", "where": {"GF": "9"}, "parent": {"code": "DE"}},
    {"file": "vg5000-2021/VG5000_KRS.shp", "level": "kreis", "code_field": "ARS", "name_field": "GEN", "where": {"GF": "9"}, "parent": {"prefix": 2}}
  ],
  "catalogue": "catalogue.yaml",
  "tables": [{"table": "destatis_kreise_2018"}]
}`

// loadSmallAtlas loads smallAtlasManifest with the demo's files.
func loadSmallAtlas(ctx context.Context, pool *pgxpool.Pool) error {
	dir, err := os.MkdirTemp("", "sozialatlas-small-atlas-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(repoDir(), "data", "demo")
	for _, name := range []string{"vg5000-2021", "destatis", "catalogue.yaml"} {
		if err := os.Symlink(filepath.Join(src, name), filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "atlas.json"), []byte(smallAtlasManifest), 0o644); err != nil {
		return err
	}
	areas, ind := stores(pool)
	return demo.Load(ctx, areas, ind, dir, slog.New(slog.DiscardHandler))
}

// smallAtlasDB is a private copy of a database holding the small atlas.
func smallAtlasDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return pgtest.NewDBWith(t, "small atlas", loadSmallAtlas)
}

// connString is the libpq connection string of a pgtest pool's database.
func connString(pool *pgxpool.Pool) string {
	return pool.Config().ConnString() + " dbname=" + pool.Config().ConnConfig.Database
}

// sqlStoreCounts is what an interrupted import must leave as it was.
const sqlStoreCounts = `SELECT format('observation %s, cell %s, area %s, import_batch %s, data_version %s',
	(SELECT count(*) FROM observation), (SELECT count(*) FROM published_cell), (SELECT count(*) FROM area),
	(SELECT count(*) FROM import_batch), (SELECT version FROM data_version))`

func storeCounts(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), sqlStoreCounts).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// sqlWritingImporter finds the importer's session once its transaction has
// written (it has a transaction id).
const sqlWritingImporter = `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = 'sozialatlas' AND backend_xid IS NOT NULL`

// sqlImporterSessions counts the importer's sessions, also those whose
// client is gone but whose backend still rolls back.
const sqlImporterSessions = `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = 'sozialatlas'`

// writeLongTable writes a long indicator table: every Kreis's einwohner for
// the given number of years from 1900 on, a file that takes the importer
// long enough to be caught in the middle.
func writeLongTable(t *testing.T, pool *pgxpool.Pool, years int) (string, int) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT code FROM area WHERE level = 'kreis' ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "einwohner-lang.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "area;indicator;period;value")
	n := 0
	for y := 1900; y < 1900+years; y++ {
		for i, c := range codes {
			fmt.Fprintf(w, "%s;einwohner;%d-12-31;%d\n", c, y, 10000+i*7+y)
			n++
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, n
}

// waitFor polls cond every 10 ms until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func countOf(t *testing.T, pool *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportKilledMidwayLeavesDatabaseAsBefore kills `sozialatlas import
// indicators` with SIGKILL once its transaction has written rows, and
// checks that the database holds exactly what it held before, and that the
// same import then runs through.
func TestImportKilledMidwayLeavesDatabaseAsBefore(t *testing.T) {
	bin, err := buildBinary()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	pool := smallAtlasDB(t)
	path, rows := writeLongTable(t, pool, 60)
	before := storeCounts(t, pool)

	importer := func() *exec.Cmd {
		cmd := exec.Command(bin, "import", "indicators", path, "--level", "kreis", "--database-url", connString(pool))
		cmd.Dir = repoDir()
		return cmd
	}
	cmd := importer()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(time.Minute, func() bool { return countOf(t, pool, sqlWritingImporter) > 0 }) {
		_ = cmd.Process.Kill()
		t.Fatalf("the importer wrote nothing within a minute: %s", out.String())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAfter := time.Since(start)
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the importer was not killed mid-way but ended by itself (%v): %s", err, out.String())
	}
	// Its backend notices the lost client and rolls back.
	if !waitFor(30*time.Second, func() bool { return countOf(t, pool, sqlImporterSessions) == 0 }) {
		t.Fatal("the killed importer's session still runs after 30 s")
	}
	if after := storeCounts(t, pool); after != before {
		t.Errorf("after the killed import:\n%s\nbefore:\n%s", after, before)
	}

	cmd = importer()
	done := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("import after the killed one: %v\n%s", err, b)
	}
	t.Logf("%d rows; killed %s after the start, once its transaction had written; the whole import takes %s",
		rows, killedAfter.Round(time.Millisecond), time.Since(done).Round(time.Millisecond))
	var obs int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM observation
		WHERE indicator = 'einwohner' AND period < '2000-01-01'`).Scan(&obs); err != nil {
		t.Fatal(err)
	}
	if obs != rows {
		t.Errorf("after the second import: %d observations before 2000, want %d", obs, rows)
	}
}
