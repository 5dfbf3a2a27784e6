package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// cli runs the command in-process against the given database.
func cli(t *testing.T, dbURL string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append(args, "--database-url", dbURL)
	err := run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestCommandLine(t *testing.T) {
	pool := pgtest.NewDB(t)
	// ConnString is the configuration the pool was parsed from; the test
	// database is set on the parsed ConnConfig only.
	url := pool.Config().ConnString() + " dbname=" + pool.Config().ConnConfig.Database
	demo := filepath.Join(repoDir(), "data", "demo")

	out, _, err := cli(t, url, "migrate", "--status")
	if err != nil || !strings.Contains(out, "00001_areas.sql") || !strings.Contains(out, "applied") {
		t.Errorf("migrate --status: %v\n%s", err, out)
	}

	out, _, err = cli(t, url, "import", "areas", filepath.Join(demo, "berlin-lor", "districts.geojson"),
		"--level", "bezirk", "--code-field", "id", "--name-field", "name", "--json")
	if err != nil {
		t.Fatalf("import areas: %v", err)
	}
	var rep struct {
		Read, Imported int
		SRID           int `json:"srid"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Read != 12 || rep.Imported != 12 || rep.SRID != 4326 {
		t.Errorf("import report %s (%v)", out, err)
	}

	// Flags may follow the file, as in the README.
	out, _, err = cli(t, url, "import", "areas", filepath.Join(demo, "berlin-lor", "forecast-areas-from-2021.geojson"),
		"--level", "prognoseraum", "--code-field", "id", "--name-field", "name", "--parent-prefix", "2", "--valid-from", "2021-01-01")
	if err != nil || !strings.HasPrefix(out, "forecast-areas-from-2021.geojson → prognoseraum: read 58, imported 58, repaired 0") {
		t.Errorf("import areas: %v\n%s", err, out)
	}

	_, _, err = cli(t, url, "import", "areas", filepath.Join(demo, "berlin-lor", "districts.geojson"),
		"--level", "bezirk", "--code-field", "nummer", "--name-field", "name")
	if err == nil || !strings.Contains(err.Error(), `districts.geojson: field "nummer": no such field`) || exitCode(err) != 1 {
		t.Errorf("import with a wrong field: %v", err)
	}

	_, _, err = cli(t, url, "import", "areas", "x.geojson", "--level", "bezirk", "--valid-from", "1.1.2021")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "2021-01-01") {
		t.Errorf("a German date: %v (exit %d), want a usage error showing the format", err, exitCode(err))
	}

	if _, _, err = cli(t, url, "levels", "add", "ortsteil", "--title", "Ortsteile", "--rank", "45"); err != nil {
		t.Fatalf("levels add: %v", err)
	}
	out, _, err = cli(t, url, "levels")
	if err != nil || !strings.Contains(out, "ortsteil") || !strings.Contains(out, "Ortsteile") {
		t.Errorf("levels: %v\n%s", err, out)
	}

	catalogue := filepath.Join(demo, "catalogue.yaml")
	out, _, err = cli(t, url, "catalogue", "load", catalogue)
	if err != nil || !strings.Contains(out, "added einwohner, einwohner_maennlich") {
		t.Errorf("catalogue load: %v\n%s", err, out)
	}
	out, _, err = cli(t, url, "catalogue", "load", catalogue)
	if err != nil || !strings.Contains(out, "catalogue unchanged (46 indicators)") {
		t.Errorf("catalogue load again: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("indicators:\n  - key: x\n    kind: quota\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err = cli(t, url, "catalogue", "load", bad); err == nil || !strings.Contains(err.Error(), `indicator "x"`) {
		t.Errorf("a bad catalogue: %v", err)
	}

	indices := filepath.Join(demo, "indices", "mss-2021.yaml")
	out, _, err = cli(t, url, "index", "apply", indices)
	if err != nil || out != "mss_status: version 1 (new version)\nmss_dynamik: version 1 (new version)\nmss_status_dynamik: version 1 (new version)\n" {
		t.Errorf("index apply: %v\n%s", err, out)
	}
	out, _, err = cli(t, url, "index", "apply", indices)
	if err != nil || !strings.HasPrefix(out, "mss_status: version 1 (unchanged)\n") {
		t.Errorf("index apply again: %v\n%s", err, out)
	}
	out, _, err = cli(t, url, "index", "list")
	if err != nil || !strings.Contains(out, "mss_status_dynamik  1") || !strings.Contains(out, "mss_status, mss_status_klasse") {
		t.Errorf("index list: %v\n%s", err, out)
	}
	if err := os.WriteFile(bad, []byte("indices:\n  - key: x\n    combine: product\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err = cli(t, url, "index", "apply", bad); err == nil || !strings.Contains(err.Error(), `index "x": combine: "product" is not sum or mean`) {
		t.Errorf("a bad index file: %v", err)
	}
	if _, _, err = cli(t, url, "index", "frobnicate"); err == nil || exitCode(err) != 2 {
		t.Errorf("index frobnicate: %v", err)
	}

	if _, _, err := cli(t, url, "frobnicate"); err == nil || exitCode(err) != 2 {
		t.Errorf("unknown command: %v", err)
	}
}
