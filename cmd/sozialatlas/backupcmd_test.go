package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// atlasState sums up what a restore must bring back: every area version
// with its geometry, the tile geometry built from them, the imports and
// the schema version.
func atlasState(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var s string
	err := pool.QueryRow(context.Background(), `
		SELECT format('areas %s %s; tile geometry %s; imports %s; schema %s',
			(SELECT count(*) FROM area),
			(SELECT md5(string_agg(concat_ws('|', level, code, name, parent_code, valid_from, valid_to, md5(ST_AsBinary(geom))), ',' ORDER BY level, code, valid_from)) FROM area),
			(SELECT count(*) FROM tile_geom),
			(SELECT count(*) FROM import_batch),
			(SELECT max(version_id) FROM goose_db_version WHERE is_applied))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Import, back up, change the data, restore: the database is exactly as
// backed up.
func TestBackupAndRestore(t *testing.T) {
	pgtest.AdminURL(t)
	tool(t, "pg_dump")
	pool := pgtest.NewDB(t)
	url := pool.Config().ConnString() + " dbname=" + pool.Config().ConnConfig.Database
	demo := filepath.Join(repoDir(), "data", "demo", "berlin-lor")
	if _, _, err := cli(t, url, "import", "areas", filepath.Join(demo, "districts.geojson"),
		"--level", "bezirk", "--code-field", "id", "--name-field", "name"); err != nil {
		t.Fatalf("import: %v", err)
	}
	before := atlasState(t, pool)
	if !strings.HasPrefix(before, "areas 12 ") {
		t.Fatalf("before the backup: %s", before)
	}

	archive := filepath.Join(t.TempDir(), "atlas.dump")
	out, _, err := cli(t, url, "backup", "--out", archive)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	fi, err := os.Stat(archive)
	if err != nil || out != fmt.Sprintf("%s: %d bytes\n", archive, fi.Size()) {
		t.Fatalf("backup said %q (%v)", out, err)
	}

	if _, _, err := cli(t, url, "import", "areas", filepath.Join(demo, "forecast-areas-from-2021.geojson"),
		"--level", "prognoseraum", "--code-field", "id", "--name-field", "name", "--parent-prefix", "2"); err != nil {
		t.Fatalf("import after the backup: %v", err)
	}
	if _, err := pool.Exec(context.Background(), `UPDATE area SET name = 'Umbenannt' WHERE level = 'bezirk' AND code = '01'`); err != nil {
		t.Fatal(err)
	}
	changed := atlasState(t, pool)
	if !strings.HasPrefix(changed, "areas 70 ") {
		t.Fatalf("after the changes: %s", changed)
	}

	// Anything but an archive is refused before the database is touched.
	notArchive := filepath.Join(t.TempDir(), "atlas.sql")
	if err := os.WriteFile(notArchive, []byte("DROP TABLE area;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli(t, url, "restore", notArchive); err == nil ||
		err.Error() != "restore: "+notArchive+" is not a pg_dump custom-format archive (as 'sozialatlas backup' writes); nothing was changed" {
		t.Errorf("restore of a SQL file: %v", err)
	}
	if got := atlasState(t, pool); got != changed {
		t.Fatalf("a refused restore changed the database: %s", got)
	}

	pool.Reset() // the restore waits for no connection of the test
	out, _, err = cli(t, url, "restore", archive)
	if err != nil || out != archive+" restored\n" {
		t.Fatalf("restore: %q %v", out, err)
	}
	if got := atlasState(t, pool); got != before {
		t.Errorf("after the restore:\n%s\nwant\n%s", got, before)
	}
	var name string
	if err := pool.QueryRow(context.Background(), `SELECT name FROM area WHERE level = 'bezirk' AND code = '01'`).Scan(&name); err != nil || name != "Mitte" {
		t.Errorf("Bezirk 01 is %q (%v), want Mitte", name, err)
	}
}

func TestLibpqConnString(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://atlas:geheim@db.example:5433/atlas?sslmode=require&pool_max_conns=20":       "postgres://atlas@db.example:5433/atlas?sslmode=require",
		"host=/run/pg port=5432 user=atlas password='ge heim\\'' dbname=atlas pool_min_conns=2": "host=/run/pg port=5432 user=atlas dbname=atlas",
		"host='/tmp/a b' dbname = x  statement_cache_capacity=0":                                "host='/tmp/a b' dbname = x",
	} {
		if got, err := libpqConnString(in); err != nil || got != want {
			t.Errorf("%s: %q (%v), want %q", in, got, err, want)
		}
	}
	if _, err := libpqConnString("host=a 'b'"); err == nil {
		t.Error("a stray quoted word was taken")
	}
}
