package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles the command once per test run.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "sozialatlas-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "sozialatlas")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return bin, nil
})

// server is a running `sozialatlas serve` process.
type server struct {
	cmd  *exec.Cmd
	url  string
	logs chan map[string]any // every JSON log line
	all  []map[string]any
	done chan error
}

// startServer runs the binary with the private cluster in dataDir (no
// DATABASE_URL) and waits until it listens.
func startServer(t *testing.T, dataDir string, args ...string) *server {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	args = append([]string{"serve", "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: make(chan map[string]any, 1000), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil {
				s.logs <- line
			}
		}
		close(s.logs)
	}()
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.After(3 * time.Minute)
	for s.url == "" {
		select {
		case line, ok := <-s.logs:
			if !ok {
				t.Fatalf("server ended before listening: %v", s.all)
			}
			s.all = append(s.all, line)
			if line["msg"] == "listening" {
				s.url = line["addr"].(string)
			}
		case <-deadline:
			t.Fatal("server did not listen within 3 minutes")
		}
	}
	return s
}

func (s *server) logged(msg string) int {
	n := 0
	for _, l := range s.all {
		if l["msg"] == msg {
			n++
		}
	}
	return n
}

// stop sends a signal and waits for the process to end.
func (s *server) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		for l := range s.logs {
			s.all = append(s.all, l)
		}
		return err
	case <-time.After(time.Minute):
		t.Fatal("server did not stop within a minute")
		return nil
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// postmasterRunning reports whether the cluster in dataDir has a live postmaster.
func postmasterRunning(t *testing.T, dataDir string) bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "pg", "data", "postmaster.pid"))
	if err != nil {
		return false
	}
	var pid int
	if _, err := fmt.Sscan(strings.SplitN(string(b), "\n", 2)[0], &pid); err != nil {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}

func TestServeWithPrivateCluster(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")

	// First start: creates the cluster, migrates, loads the demo.
	s := startServer(t, dataDir, "--demo", "data/demo")
	if n := s.logged("demo areas imported"); n != 9 {
		t.Errorf("first start imported %d demo area files, want 9", n)
	}
	if n := s.logged("demo indicators imported"); n != 4 {
		t.Errorf("first start imported %d demo tables, want 4", n)
	}
	if n := s.logged("demo indices applied"); n != 1 {
		t.Errorf("first start applied %d index files, want 1", n)
	}
	if code, body := get(t, s.url+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
	var fc featureCollection
	getJSON(t, s.url+"/collections/gemeinde/items?limit=1&datetime=2021-01-01", &fc)
	if fc.NumberMatched != 10997 {
		t.Errorf("gemeinde on 2021-01-01: %d, want 10997", fc.NumberMatched)
	}
	if err := s.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: exit %v, want a clean exit", err)
	}
	if postmasterRunning(t, dataDir) {
		t.Error("PostgreSQL still runs after the service stopped")
	}

	// Second start reuses the data directory: nothing is imported again.
	start := time.Now()
	s = startServer(t, dataDir, "--demo", "data/demo")
	t.Logf("second start listened after %s", time.Since(start).Round(time.Millisecond))
	if n := s.logged("demo areas imported") + s.logged("demo indicators imported") + s.logged("demo indices applied"); n != 0 {
		t.Errorf("second start imported %d demo files again", n)
	}
	if n := s.logged("migration applied"); n != 0 {
		t.Errorf("second start applied %d migrations again", n)
	}
	getJSON(t, s.url+"/collections/kreis/items?limit=1", &fc)
	if fc.NumberMatched != 400 {
		t.Errorf("kreis after restart: %d, want 400", fc.NumberMatched)
	}

	// A crash (SIGKILL) leaves PostgreSQL running and its pid file behind;
	// the next start must still come up.
	_ = s.stop(t, syscall.SIGKILL)
	s = startServer(t, dataDir)
	if code, _ := get(t, s.url+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after a crash: %d", code)
	}
	if err := s.stop(t, syscall.SIGINT); err != nil {
		t.Errorf("SIGINT: exit %v, want a clean exit", err)
	}
	if postmasterRunning(t, dataDir) {
		t.Error("PostgreSQL still runs after the service stopped")
	}
}
