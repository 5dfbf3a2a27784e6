package pgtest

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data"
)

func TestMain(m *testing.M) { Main(m) }

func queryInt(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// latestMigration is the version of the newest embedded migration file.
func latestMigration(t *testing.T) int {
	t.Helper()
	entries, err := fs.ReadDir(data.Migrations(), ".")
	if err != nil {
		t.Fatal(err)
	}
	latest := 0
	for _, e := range entries {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		latest = max(latest, v)
	}
	return latest
}

func TestNewDBIsMigrated(t *testing.T) {
	t.Parallel()
	pool := NewDB(t)
	checks := []struct {
		sql  string
		want int
	}{
		{"SELECT count(*) FROM pg_extension WHERE extname IN ('postgis', 'btree_gist')", 2},
		{"SELECT count(*) FROM level", 8},
		{"SELECT count(*) FROM level WHERE rank IS NOT NULL", 8},
		{"SELECT count(*) FROM area", 0},
		{"SELECT max(version_id) FROM goose_db_version WHERE is_applied", latestMigration(t)},
		{"SELECT ST_SRID(ST_Transform(ST_SetSRID(ST_MakePoint(3500000, 5800000), 31467), 4326))", 4326},
	}
	for _, c := range checks {
		if got := queryInt(t, pool, c.sql); got != c.want {
			t.Errorf("%s = %d, want %d", c.sql, got, c.want)
		}
	}
}

func TestNewDBIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := NewDB(t), NewDB(t)
	for _, sql := range []string{
		"CREATE TABLE only_in_a (x integer)",
		"INSERT INTO level (name, title, rank) VALUES ('block', 'Blöcke', 90)",
	} {
		if _, err := a.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	const tableExists = "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"
	for _, c := range []struct {
		name         string
		pool         *pgxpool.Pool
		tables, levs int
	}{{"a", a, 1, 9}, {"b", b, 0, 8}} {
		if got := queryInt(t, c.pool, tableExists); got != c.tables {
			t.Errorf("database %s: %d tables only_in_a, want %d", c.name, got, c.tables)
		}
		if got := queryInt(t, c.pool, "SELECT count(*) FROM level"); got != c.levs {
			t.Errorf("database %s: %d levels, want %d", c.name, got, c.levs)
		}
	}
}

func TestNewDBParallel(t *testing.T) {
	names := make([]string, 6)
	t.Run("group", func(t *testing.T) {
		for i := range names {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				pool := NewDB(t)
				if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&names[i]); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("database %s handed out twice", n)
		}
		seen[n] = true
	}
	// Each database is dropped when its test ends.
	conn, err := pgx.Connect(context.Background(), AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var left int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = ANY($1)", names).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d test databases left after their tests ended", left)
	}
}

func TestEnsureTemplateConcurrently(t *testing.T) {
	ctx := context.Background()
	admin := AdminURL(t)
	name := "sozialatlas_tmpl_" + strings.TrimPrefix(databaseName("concurrent"), "t_")
	t.Cleanup(func() {
		if err := execAdmin(context.Background(), admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
			t.Error(err)
		}
	})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			got, err := ensureTemplate(ctx, admin, name, "", nil)
			if err == nil && got != name {
				err = fmt.Errorf("got template %s, want %s", got, name)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname || ' ' || datallowconn FROM pg_database WHERE datname LIKE $1 ORDER BY 1", name+"%")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{name + " false"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("databases %v, want %v", got, want)
	}
}

func TestDatabaseName(t *testing.T) {
	tests := []struct{ test, prefix string }{
		{"TestX", "t_testx_"},
		{"TestImport/Berlin LOR (2021)", "t_testimport_berlin_lor__2021__"},
		{strings.Repeat("TestLong", 20), "t_" + strings.Repeat("testlong", 5) + "_"},
	}
	for _, tt := range tests {
		got := databaseName(tt.test)
		if !strings.HasPrefix(got, tt.prefix) || len(got) != len(tt.prefix)+8 || len(got) > 63 {
			t.Errorf("databaseName(%q) = %q, want %q + 8 hex digits, at most 63 bytes", tt.test, got, tt.prefix)
		}
	}
	if a, b := databaseName("TestX"), databaseName("TestX"); a == b {
		t.Errorf("two databases for one test share the name %s", a)
	}
}

func TestNewDBWithRunsSetupOncePerCluster(t *testing.T) {
	var runs atomic.Int32
	setup := func(ctx context.Context, pool *pgxpool.Pool) error {
		runs.Add(1)
		_, err := pool.Exec(ctx, `CREATE TABLE fixture (n int); INSERT INTO fixture VALUES (1), (2), (3)`)
		return err
	}
	ctx := context.Background()
	a := NewDBWith(t, "fixture three rows", setup)
	b := NewDBWith(t, "fixture three rows", setup)
	if _, err := a.Exec(ctx, `INSERT INTO fixture VALUES (4)`); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{4, 3} {
		var n int
		if err := []*pgxpool.Pool{a, b}[i].QueryRow(ctx, `SELECT count(*) FROM fixture`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("database %d has %d fixture rows, want %d", i, n, want)
		}
	}
	if runs.Load() != 1 {
		t.Errorf("setup ran %d times, want once", runs.Load())
	}
	// The migrated schema is there too.
	var levels int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM level`).Scan(&levels); err != nil || levels != 8 {
		t.Errorf("levels = %d (%v), want 8", levels, err)
	}
}
