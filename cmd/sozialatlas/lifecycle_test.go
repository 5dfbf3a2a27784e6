package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sozialatlas/sozialatlas/data/pgcluster"
)

// sqlBlockedRequest finds a service session waiting for a lock.
const sqlBlockedRequest = `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = 'sozialatlas' AND wait_event_type = 'Lock'`

// TestShutdownDrainsRequestsInFlight holds a request in flight (its query
// waits for a lock the test holds), sends SIGTERM, and checks that the
// listener is closed at once while the request still completes with 200,
// and that the process then exits cleanly.
func TestShutdownDrainsRequestsInFlight(t *testing.T) {
	ctx := context.Background()
	pool := smallAtlasDB(t)
	s := startServer(t, t.TempDir(), "--database-url", connString(pool))

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE area IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.Get(s.url + "/collections/kreis/items?limit=5")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		done <- result{res.StatusCode, string(b), err}
	}()
	if !waitFor(10*time.Second, func() bool { return countOf(t, pool, sqlBlockedRequest) > 0 }) {
		t.Fatal("the request did not reach the database")
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.url, "http://")
	refused := waitFor(5*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return false
		}
		return errors.Is(err, syscall.ECONNREFUSED)
	})
	if !refused {
		t.Fatal("new connections are still accepted 5 s after SIGTERM")
	}
	select {
	case r := <-done:
		t.Fatalf("the request in flight ended before its query could: %d %v", r.status, r.err)
	default:
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.status != http.StatusOK || !strings.Contains(r.body, `"numberReturned":5`) {
		t.Fatalf("request in flight: %d %v %.200s", r.status, r.err, r.body)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("exit after draining: %v, want a clean exit", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not exit after draining")
	}
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []int
	for _, p := range stats {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so cut at ')'.
		i := strings.LastIndexByte(string(raw), ')')
		f := strings.Fields(string(raw)[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			kids = append(kids, child)
		}
	}
	return kids
}

// TestServeAfterKillingEverything kills the service and its private
// PostgreSQL, postmaster and backends alike, with SIGKILL, as a power cut
// or the OOM killer would, leaving postmaster.pid and the socket lock
// behind; the next start must come up and serve.
func TestServeAfterKillingEverything(t *testing.T) {
	// Reachable for the cluster's system user when run as root, so the
	// cluster stays inside it and its postmaster.pid can be read here.
	dir, err := os.MkdirTemp("", "sozialatlas-kill-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	t.Cleanup(func() {
		// whatever a failed test left running
		if err := pgcluster.Destroy(context.Background(), pgcluster.Config{Dir: dataDir}); err != nil {
			t.Errorf("destroy cluster: %v", err)
		}
		os.RemoveAll(dir)
	})
	s := startServer(t, dataDir)
	if code, body := get(t, s.url+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	raw, err := os.ReadFile(filepath.Join(dataDir, "pg", "data", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	postmaster, err := strconv.Atoi(strings.SplitN(string(raw), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	_ = s.stop(t, syscall.SIGKILL)
	victims := append(childrenOf(postmaster), postmaster)
	for _, pid := range victims {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if !waitFor(10*time.Second, func() bool {
		for _, pid := range victims {
			if syscall.Kill(pid, 0) == nil && !zombie(pid) {
				return false
			}
		}
		return true
	}) {
		t.Fatal("PostgreSQL's processes outlived SIGKILL")
	}

	s = startServer(t, dataDir)
	if n := s.logged("removing stale postmaster.pid"); n != 1 {
		t.Errorf("logged the stale postmaster.pid %d times, want once", n)
	}
	if code, body := get(t, s.url+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after killing everything: %d %s", code, body)
	}
	if err := s.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: exit %v, want a clean exit", err)
	}
	if postmasterRunning(t, dataDir) {
		t.Error("PostgreSQL still runs after the service stopped")
	}
}

// zombie reports whether pid has exited and waits for its parent.
func zombie(pid int) bool {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(raw), ')')
	f := strings.Fields(string(raw)[i+1:])
	return len(f) > 0 && f[0] == "Z"
}
