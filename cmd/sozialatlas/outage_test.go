package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgcluster"
	"github.com/sozialatlas/sozialatlas/tiles"
)

// ownCluster starts a PostgreSQL cluster of the test's own, to be crashed
// and copied, with the small atlas loaded, and destroys it at the end.
// Commits are synchronous so that a crash loses nothing committed.
func ownCluster(t *testing.T) (pgcluster.Config, *pgcluster.Cluster) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sozialatlas-fault-")
	if err != nil {
		t.Fatal(err)
	}
	// open for traversal by the cluster's system user when run as root
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	log := primaryLog(t)
	cfg := pgcluster.Config{Dir: dir, Logger: log, Settings: map[string]string{"fsync": "off", "full_page_writes": "off"}}
	t.Cleanup(func() {
		if err := pgcluster.Destroy(context.Background(), cfg); err != nil {
			t.Errorf("destroy cluster: %v", err)
		}
		os.RemoveAll(dir)
	})
	ctx := context.Background()
	c, err := pgcluster.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openDB(ctx, dbFlags{url: c.ConnString(pgcluster.Database)}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	if err := loadSmallAtlas(ctx, db.pool); err != nil {
		t.Fatal(err)
	}
	return cfg, c
}

// primaryLog sends a cluster's warnings to the test log.
func primaryLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// tWriter sends log lines to the test log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

// instance is the service as serve wires it, in-process: the primary pool,
// the read pool (on replicas if given), the router and the listener.
type instance struct {
	db    *database
	read  *pgxpool.Pool
	srv   *httptest.Server
	tiles *tiles.Server
	heard atomic.Int64 // data version announcements received
	stop  func()
}

func (in *instance) readPool() *pgxpool.Pool { return in.read }

func startInstance(t *testing.T, url string, replicas []string, f serveFlags) *instance {
	t.Helper()
	ctx := context.Background()
	// Every 503 is logged; the test counts them itself.
	log := slog.New(slog.DiscardHandler)
	db, err := openDB(ctx, dbFlags{url: url}, log)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := db.readPool(ctx, 30*time.Second, replicas)
	if err != nil {
		t.Fatal(err)
	}
	areas, ind := stores(pool)
	f.maxLimit = 20000
	handler, ts := newRoutes(areas, ind, storesOn{areas, ind}, f, log)
	in := &instance{db: db, read: pool, tiles: ts, srv: httptest.NewServer(handler)}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tiles.WatchVersion(wctx, db.config.ConnConfig, log, func(v int64) {
			in.heard.Add(1)
			ts.Announce(v)
		})
	}()
	var once sync.Once
	in.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			in.srv.Close()
			pool.Close()
			db.close()
		})
	}
	t.Cleanup(in.stop)
	return in
}

// loadPaths mixes what a map viewer asks for: tiles (built, not cached),
// GeoJSON, an indicator's values, the catalogue and readiness.
func loadPaths(r *rand.Rand) string {
	switch r.IntN(5) {
	case 0, 1:
		// zoom 6 tiles over Germany
		return fmt.Sprintf("/tiles/kreis/6/%d/%d.mvt?indicators=einwohner", 32+r.IntN(4), 19+r.IntN(4))
	case 2:
		return fmt.Sprintf("/collections/kreis/items?limit=20&offset=%d", r.IntN(380))
	case 3:
		return "/indicators/einwohner/values?level=kreis"
	default:
		return []string{"/indicators", "/readyz", "/collections/land/items?limit=3"}[r.IntN(3)]
	}
}

// answer is one request's outcome.
type answer struct {
	at       time.Time
	status   int // 0: no answer, or the answer was cut off
	took     time.Duration
	retry    string
	mediaTyp string
}

// sendLoad sends requests from workers goroutines until stop is closed.
func sendLoad(base string, workers int, stop <-chan struct{}) []answer {
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var all []answer
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			var mine []answer
			for {
				select {
				case <-stop:
					mu.Lock()
					all = append(all, mine...)
					mu.Unlock()
					return
				default:
				}
				start := time.Now()
				a := answer{at: start}
				res, err := client.Get(base + loadPaths(r))
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil {
						a.status = res.StatusCode
					}
					a.retry, a.mediaTyp = res.Header.Get("Retry-After"), res.Header.Get("Content-Type")
				}
				a.took = time.Since(start)
				mine = append(mine, a)
				if a.status != http.StatusOK {
					// what a client does with 503 and Retry-After, sped up
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	sort.Slice(all, func(i, j int) bool { return all[i].at.Before(all[j].at) })
	return all
}

// goroutinesSettle waits until at most n goroutines run, and returns how
// many do.
func goroutinesSettle(n int, d time.Duration) int {
	deadline := time.Now().Add(d)
	for {
		g := runtime.NumGoroutine()
		if g <= n || time.Now().After(deadline) {
			return g
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPostgresOutageUnderLoad crashes PostgreSQL (immediate stop: every
// backend gone at once) while 32 clients send requests, keeps it down for
// 3 s and starts it again. Every answer must be 2xx, 4xx or 503 (with
// Retry-After), never another 5xx; answers during the outage must come
// fast; full service must return within 5 s of PostgreSQL's return; the
// listener must hear notifications again; and no goroutine may be left.
func TestPostgresOutageUnderLoad(t *testing.T) {
	ctx := context.Background()
	cfg, c := ownCluster(t)
	// no tile cache: every tile asks the database
	in := startInstance(t, c.ConnString(pgcluster.Database), nil, serveFlags{tileCacheMiB: 0})
	if !waitFor(5*time.Second, func() bool { return in.heard.Load() > 0 }) {
		t.Fatal("the listener did not connect")
	}
	runtime.GC()
	baseline := goroutinesSettle(0, 200*time.Millisecond)

	stop := make(chan struct{})
	results := make(chan []answer, 1)
	go func() { results <- sendLoad(in.srv.URL, 32, stop) }()
	time.Sleep(1500 * time.Millisecond)
	crashed := time.Now()
	if err := c.Crash(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	restarting := time.Now()
	c, err := pgcluster.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	time.Sleep(6 * time.Second)
	close(stop)
	all := <-results

	count := map[int]int{}
	var lastBad time.Time
	var slowest503 time.Duration
	for _, a := range all {
		count[a.status]++
		switch {
		case a.status >= 500 && a.status != http.StatusServiceUnavailable:
			t.Errorf("%s after the crash: status %d", a.at.Sub(crashed).Round(time.Millisecond), a.status)
		case a.status == http.StatusServiceUnavailable:
			slowest503 = max(slowest503, a.took)
			if a.retry == "" || a.mediaTyp != "application/problem+json" {
				t.Errorf("503 with Retry-After %q and Content-Type %q", a.retry, a.mediaTyp)
			}
		}
		if (a.status < 200 || a.status > 299) && a.at.Add(a.took).Before(crashed) {
			t.Errorf("before the crash: status %d", a.status)
		}
		if a.status < 200 || a.status > 299 {
			lastBad = a.at.Add(a.took)
		}
	}
	recovery := lastBad.Sub(back)
	t.Logf("%d requests: %v (0: cut off); PostgreSQL down %s, its start took %s; last failed answer %s after the start began, %s after PostgreSQL accepted connections; slowest 503 %s",
		len(all), count, restarting.Sub(crashed).Round(time.Millisecond), back.Sub(restarting).Round(time.Millisecond),
		lastBad.Sub(restarting).Round(time.Millisecond), max(recovery, 0).Round(time.Millisecond), slowest503.Round(time.Millisecond))
	if count[http.StatusServiceUnavailable] == 0 {
		t.Error("no 503 during the outage")
	}
	if recovery > 5*time.Second {
		t.Errorf("full service %s after PostgreSQL's return, want within 5 s", recovery)
	}
	if slowest503 > 3*time.Second {
		t.Errorf("slowest 503 took %s: requests hang instead of failing fast", slowest503)
	}

	// The listener is connected again: a publish is heard.
	heard := in.heard.Load()
	if _, err := in.db.pool.Exec(ctx, `SELECT pg_notify('sozialatlas_data_version', version::text) FROM data_version`); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return in.heard.Load() > heard }) {
		t.Error("the listener did not hear a notification after the outage")
	}

	runtime.GC()
	if g := goroutinesSettle(baseline+2, 5*time.Second); g > baseline+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the outage, %d before:\n%s", g, baseline, buf[:runtime.Stack(buf, true)])
	}
	in.stop()
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
