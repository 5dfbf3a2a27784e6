package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// The facility import on the command line: a built-in mapping, a --map
// override, an audit entry, a per-feature error and a revert.
func TestImportFacilitiesCommand(t *testing.T) {
	pool := pgtest.NewDB(t)
	url := pool.Config().ConnString() + " dbname=" + pool.Config().ConnConfig.Database
	demo := filepath.Join(repoDir(), "data", "demo")
	ctx := context.Background()

	for _, args := range [][]string{
		{filepath.Join(demo, "berlin-lor", "districts.geojson"), "--level", "bezirk"},
		{filepath.Join(demo, "berlin-lor", "forecast-areas-from-2021.geojson"), "--level", "prognoseraum",
			"--parent-prefix", "2", "--valid-from", "2021-01-01"},
	} {
		if _, _, err := cli(t, url, append(append([]string{"import", "areas"}, args...), "--code-field", "id", "--name-field", "name")...); err != nil {
			t.Fatalf("import areas: %v", err)
		}
	}

	out, _, err := cli(t, url, "import", "facilities", filepath.Join(demo, "facilities", "jugendfreizeiteinrichtungen-2022-12.geojson"),
		"--type", "jugend", "--mapping", "berlin-jugend", "--map", "target_group=zielgr2", "--valid-from", "2022-12-01")
	if err != nil || !strings.HasPrefix(out, "jugendfreizeiteinrichtungen-2022-12.geojson → jugend: read 407, imported 407, EPSG:25833") {
		t.Fatalf("import facilities: %v\n%s", err, out)
	}
	var batch int64
	var rows int
	if err := pool.QueryRow(ctx, `SELECT batch_id, rows FROM audit_log WHERE action = 'import facilities' AND outcome = 'ok'`).Scan(&batch, &rows); err != nil || rows != 407 {
		t.Errorf("audit entry: rows %d, %v", rows, err)
	}

	bad := filepath.Join(t.TempDir(), "kitas.csv")
	if err := os.WriteFile(bad, []byte("nr;name;plaetze;x;y\n1;Kita;12a;391841,9;5822078,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = cli(t, url, "import", "facilities", bad, "--type", "kita", "--crs", "EPSG:25833",
		"--map", "id=nr,name=name,capacity=plaetze,x=x,y=y")
	if err == nil || !strings.Contains(err.Error(), `kitas.csv: line 2: field "plaetze": capacity "12a" is not a number`) {
		t.Errorf("bad capacity: %v", err)
	}
	var failed int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'import facilities' AND outcome = 'failed'`).Scan(&failed); err != nil || failed != 1 {
		t.Errorf("failed audit entries = %d, %v", failed, err)
	}

	out, _, err = cli(t, url, "import", "revert", fmt.Sprint(batch))
	if err != nil || !strings.Contains(out, "407 facilities removed") {
		t.Errorf("revert: %v\n%s", err, out)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM facility`).Scan(&left); err != nil || left != 0 {
		t.Errorf("facilities after revert = %d, %v", left, err)
	}
}
