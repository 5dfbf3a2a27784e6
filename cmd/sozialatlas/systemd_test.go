package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The systemd unit parses without a warning and keeps its hardening:
// systemd-analyze verify reads it (with ExecStart pointed at a freshly
// built binary, which it checks for), and systemd-analyze security rates
// its exposure at most 2.0 of 10 ("OK").
func TestSystemdUnit(t *testing.T) {
	analyze := tool(t, "systemd-analyze")
	bin, err := buildBinary()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	unit, err := os.ReadFile(filepath.Join(repoDir(), "data", "systemd", "sozialatlas.service"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(unit)
	if !strings.Contains(text, "ExecStart=/usr/local/bin/sozialatlas serve") {
		t.Fatalf("the unit does not start /usr/local/bin/sozialatlas serve")
	}
	path := filepath.Join(t.TempDir(), "sozialatlas.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "/usr/local/bin/sozialatlas", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for sozialatlas\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security said no exposure level:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Errorf("exposure level %.1f, want at most 2.0:\n%s", level, out)
	}
}
