package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// configFlags is a flag set like serve's, with a setting of each kind.
func configFlags() (*flag.FlagSet, *string, *string, *time.Duration, *string, *string) {
	fs := flag.NewFlagSet("sozialatlas serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "127.0.0.1:8080", "")
	logLevel := fs.String("log-level", "info", "")
	timeout := fs.Duration("statement-timeout", 30*time.Second, "")
	origins := fs.String("cors-origins", "", "")
	url := fs.String("database-url", "", "")
	fs.String("config", "", "")
	return fs, addr, logLevel, timeout, origins, url
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sozialatlas.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Each setting comes from the flag, else the environment, else the file,
// else the default.
func TestConfigPrecedence(t *testing.T) {
	path := writeConfig(t, `
addr: 0.0.0.0:9000            # flag and env given too
log-level: warn               # env given too
statement-timeout: 5s         # file only
cors-origins: [https://a.example, https://b.example]
`)
	for _, k := range []string{"SOZIALATLAS_ADDR", "SOZIALATLAS_LOG_LEVEL", "SOZIALATLAS_STATEMENT_TIMEOUT", "SOZIALATLAS_CORS_ORIGINS", "DATABASE_URL", configEnv} {
		t.Setenv(k, "")
	}
	t.Setenv("SOZIALATLAS_ADDR", "127.0.0.2:8000")
	t.Setenv("SOZIALATLAS_LOG_LEVEL", "debug")
	t.Setenv("DATABASE_URL", "postgres://env/atlas")
	t.Setenv(configEnv, path)

	fs, addr, logLevel, timeout, origins, url := configFlags()
	if err := fs.Parse([]string{"--addr", "127.0.0.3:7000"}); err != nil {
		t.Fatal(err)
	}
	if err := applyConfig(fs, ""); err != nil {
		t.Fatal(err)
	}
	got := []string{*addr, *logLevel, timeout.String(), *origins, *url}
	want := []string{"127.0.0.3:7000", "debug", "5s", "https://a.example,https://b.example", "postgres://env/atlas"}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("settings %q, want %q", got, want)
	}

	// Without the file and the environment, the defaults stand; an empty
	// variable counts as unset.
	t.Setenv(configEnv, "")
	t.Setenv("SOZIALATLAS_ADDR", "")
	t.Setenv("SOZIALATLAS_LOG_LEVEL", "")
	t.Setenv("DATABASE_URL", "")
	fs, addr, logLevel, timeout, origins, url = configFlags()
	if err := applyConfig(fs, ""); err != nil {
		t.Fatal(err)
	}
	got = []string{*addr, *logLevel, timeout.String(), *origins, *url}
	want = []string{"127.0.0.1:8080", "info", "30s", "", ""}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("defaults %q, want %q", got, want)
	}
}

// A misspelt key or a bad value is an error naming it, as a bad flag is.
func TestConfigErrors(t *testing.T) {
	t.Setenv("SOZIALATLAS_STATEMENT_TIMEOUT", "")
	for _, c := range []struct{ text, want string }{
		{"adr: 1.2.3.4:80\nlog-lvl: x\n", "unknown setting adr, log-lvl; the settings are the flags of 'sozialatlas serve -h'"},
		{"statement-timeout: soon\n", `statement-timeout: parse error`},
		{"config: other.yaml\n", "unknown setting config"},
		{"addr: {host: x}\n", "addr, line 1: a value or a list of values is expected"},
		{"addr: [", "yaml: line 1"},
	} {
		path := writeConfig(t, c.text)
		fs, _, _, _, _, _ := configFlags()
		err := applyConfig(fs, path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.text, err, c.want)
		}
	}
	t.Setenv("SOZIALATLAS_STATEMENT_TIMEOUT", "later")
	fs, _, _, _, _, _ := configFlags()
	if err := applyConfig(fs, ""); err == nil || !strings.Contains(err.Error(), "environment variable SOZIALATLAS_STATEMENT_TIMEOUT: parse error") {
		t.Errorf("bad environment value: %v", err)
	}
	if err := applyConfig(fs, filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}
