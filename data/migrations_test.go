package data_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/sozialatlas/sozialatlas/data"
	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Migration 6 moves own counts out of cell into the view published_cell;
// down and up again, the published cells are the same.
func TestObservationBulkDownAndUp(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	for _, s := range []string{
		`INSERT INTO area (level, code, name) VALUES ('staat', 'DE', 'Deutschland')`,
		`INSERT INTO area (level, code, name, parent_level, parent_code) VALUES ('land', '01', 'Schleswig-Holstein', 'staat', 'DE')`,
		`INSERT INTO indicator (key, position, title, category, polarity, kind) VALUES ('ew', 0, 'Einwohner', 'Demografie', 'neutral', 'count')`,
		`INSERT INTO import_batch (kind, source) VALUES ('indicators', 'ew.csv')`,
		`INSERT INTO observation (indicator, area_id, period, value, status, batch_id)
		 SELECT 'ew', id, '2022-12-31', 2, 'measured', 1 FROM area WHERE code = '01'`,
		`INSERT INTO observation_extent VALUES (1, 'ew', '2022-12-31', 'land', 1)`,
		`INSERT INTO cell (indicator, area_id, period, value, status, suppressed)
		 SELECT 'ew', id, '2022-12-31', 2, 'derived', 'secondary' FROM area WHERE code = 'DE'`,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	published := func() string {
		t.Helper()
		var got string
		err := pool.QueryRow(ctx, `SELECT string_agg(concat_ws(' ', a.code, c.value, c.status, c.suppressed), ', ' ORDER BY a.code)
			FROM `+cellSource(t, pool)+` c JOIN area a ON a.id = c.area_id`).Scan(&got)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	const want = "01 2 measured primary, DE 2 derived secondary"
	if got := published(); got != want {
		t.Fatalf("published before: %s, want %s", got, want)
	}
	p := provider(t, pool)
	if _, err := p.DownTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	// Down, the own count is a cell again (its suppression as it was).
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM cell`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("cells after down: %d (%v)", n, err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM area WHERE code = '01'`); err == nil {
		t.Fatal("down: an area with observations could be deleted")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := published(); got != want {
		t.Fatalf("published after down and up: %s, want %s", got, want)
	}
	var extent string
	if err := pool.QueryRow(ctx, `SELECT string_agg(concat_ws(' ', indicator, level, period), ', ' ORDER BY level) FROM cell_extent`).Scan(&extent); err != nil {
		t.Fatal(err)
	}
	if extent != "ew land 2022-12-31, ew staat 2022-12-31" {
		t.Errorf("cell_extent: %s", extent)
	}
}

// cellSource is published_cell where it exists, else cell.
func cellSource(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var view bool
	if err := pool.QueryRow(context.Background(), `SELECT to_regclass('published_cell') IS NOT NULL`).Scan(&view); err != nil {
		t.Fatal(err)
	}
	if view {
		return "published_cell"
	}
	return "cell"
}

func provider(t *testing.T, pool *pgxpool.Pool) *goose.Provider {
	t.Helper()
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, data.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A freshly migrated database is at the newest embedded migration, the
// last that goose lists.
func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	got, err := data.SchemaVersion(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	status, err := data.MigrationStatus(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	want := status[len(status)-1].Source.Version
	if got != want || data.LatestVersion() != want {
		t.Errorf("schema version %d, latest embedded %d; goose's last migration is %d", got, data.LatestVersion(), want)
	}
}
