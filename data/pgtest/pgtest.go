// Package pgtest gives integration tests fresh, fully migrated PostGIS
// databases in one throwaway cluster per test run.
//
// A test package opts in with
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and each test takes its own database with pool := pgtest.NewDB(t).
// Under `go run ./data/pgtest/run -- go test ./...` all packages share the
// runner's cluster; a package tested alone starts its own.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data"
)

// Main runs the package's tests, starting a throwaway cluster for them
// unless EnvURL already names one, and exits with their status.
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Getenv(EnvURL) != "" {
		return m.Run()
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, err := StartCluster(ctx, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	var closeOnce sync.Once
	closeCluster := func() {
		closeOnce.Do(func() {
			if err := c.Close(context.Background()); err != nil {
				fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			}
		})
	}
	defer closeCluster()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		if s, ok := <-sig; ok {
			closeCluster()
			os.Exit(128 + int(s.(syscall.Signal)))
		}
	}()

	if err := os.Setenv(EnvURL, c.URL); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	return m.Run()
}

// AdminURL returns the connection string of the test cluster's maintenance
// database, failing the test when there is no cluster.
func AdminURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		t.Fatalf("pgtest: %s is not set: call pgtest.Main from TestMain, or run the tests through `go run ./data/pgtest/run -- go test ./...`", EnvURL)
	}
	return url
}

// templates remembers, per maintenance URL, the migrated template database
// so that only a package's first NewDB builds or looks for it.
var templates sync.Map // string → func() (string, error)

// NewDB returns a pool on a fresh database private to this test, created
// from the migrated template (PostGIS and the schema of data/migrations in
// place). The pool is closed and the database dropped when the test ends.
func NewDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return NewDBWith(t, "", nil)
}

// Setup fills a template database once, e.g. with imported demo data.
type Setup func(ctx context.Context, pool *pgxpool.Pool) error

// NewDBWith is NewDB for tests that share an expensive fixture: setup runs
// once per test cluster, on a copy of the migrated template that becomes a
// template of its own, named by key (change the key when setup changes).
// Every test still gets a private copy. An empty key is NewDB.
func NewDBWith(t testing.TB, key string, setup Setup) *pgxpool.Pool {
	t.Helper()
	admin := AdminURL(t)
	once, _ := templates.LoadOrStore(admin+"\x00"+key, sync.OnceValues(func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		base, err := ensureTemplate(ctx, admin, templateName(), "", nil)
		if err != nil || key == "" {
			return base, err
		}
		return ensureTemplate(ctx, admin, base+"_"+databaseSlug(key, 20), base, setup)
	}))
	tmpl, err := once.(func() (string, error))()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}

	ctx := context.Background()
	name := databaseName(t.Name())
	if err := execAdmin(ctx, admin, sqlCreateFromTemplate(name, tmpl)); err != nil {
		t.Fatalf("pgtest: create test database: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(admin)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	cfg.ConnConfig.Database = name
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: open test database: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		if err := execAdmin(context.Background(), admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop test database: %v", err)
		}
	})
	return pool
}

// sqlCreateFromTemplate copies the template file by file: for a database of
// a few megabytes that beats WAL-logging every block (PostgreSQL 15's
// default strategy), and a test cluster's checkpoints are cheap.
func sqlCreateFromTemplate(name, tmpl string) string {
	return fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{tmpl}.Sanitize())
}

func execAdmin(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// templateName is derived from the migrations' contents, so a changed
// migration gets a new template instead of a stale one.
func templateName() string {
	h := sha256.New()
	err := fs.WalkDir(data.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(data.Migrations(), path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(body))
		h.Write(body)
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("pgtest: read embedded migrations: %v", err)) // fixed at build time
	}
	return "sozialatlas_tmpl_" + hex.EncodeToString(h.Sum(nil)[:8])
}

// templateLock is the advisory lock key serialising template builds of all
// test processes sharing a cluster.
const templateLock = 0x50474d54_4d504c00

const sqlDatabaseExists = `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`

// ensureTemplate builds the template database unless it exists: migrated
// from scratch when from is "", else copied from the template from and
// filled by setup. It builds under a scratch name and renames when complete,
// so a template of that name is always whole, even after a build was killed
// half-way.
func ensureTemplate(ctx context.Context, admin, name, from string, setup Setup) (string, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	// Closing the session releases the advisory lock.
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(templateLock)); err != nil {
		return "", fmt.Errorf("template database: lock: %w", err)
	}
	var exists bool
	if err := conn.QueryRow(ctx, sqlDatabaseExists, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("template database: %w", err)
	}
	if exists {
		return name, nil
	}

	build := name + "_build"
	quotedBuild := pgx.Identifier{build}.Sanitize()
	create := "CREATE DATABASE " + quotedBuild
	if from != "" {
		create = sqlCreateFromTemplate(build, from)
	}
	for _, sql := range []string{"DROP DATABASE IF EXISTS " + quotedBuild + " WITH (FORCE)", create} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return "", fmt.Errorf("template database: %s: %w", sql, err)
		}
	}
	if err := fill(ctx, admin, build, setup); err != nil {
		return "", fmt.Errorf("template database %s: %w", name, err)
	}
	// Nobody may connect to the template: CREATE DATABASE refuses to copy
	// a database with open sessions.
	for _, sql := range []string{
		"ALTER DATABASE " + quotedBuild + " WITH ALLOW_CONNECTIONS false",
		"ALTER DATABASE " + quotedBuild + " RENAME TO " + pgx.Identifier{name}.Sanitize(),
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return "", fmt.Errorf("template database: %s: %w", sql, err)
		}
	}
	return name, nil
}

// fill migrates a new database (setup nil) or runs setup on a copy of a
// migrated one.
func fill(ctx context.Context, admin, database string, setup Setup) error {
	cfg, err := pgxpool.ParseConfig(admin)
	if err != nil {
		return err
	}
	cfg.ConnConfig.Database = database
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if setup != nil {
		return setup(ctx, pool)
	}
	_, err = data.Migrate(ctx, pool)
	return err
}

// databaseName makes a unique, recognisable database name from a test name.
func databaseName(test string) string {
	var suffix [4]byte
	rand.Read(suffix[:])
	return "t_" + databaseSlug(test, 40) + "_" + hex.EncodeToString(suffix[:])
}

// databaseSlug reduces a name to what needs no quoting in a database name,
// short enough to leave room within PostgreSQL's 63 bytes.
func databaseSlug(name string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	slug := b.String()
	if len(slug) > max {
		slug = slug[:max]
	}
	return slug
}
