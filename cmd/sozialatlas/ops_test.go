package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// do sends a request to h and returns the answer.
func do(t *testing.T, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// metricLines returns the scraped lines that start with prefix.
func metricLines(t *testing.T, h http.Handler, prefix string) []string {
	t.Helper()
	rec := do(t, h, http.MethodGet, "/metrics", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	var out []string
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// A known sequence of requests to the demo atlas shows in /metrics with
// exact counts: requests by route pattern and status class, the tile
// cache's one miss and one hit, and a pool at rest.
func TestMetricsAfterRequests(t *testing.T) {
	h := newRouterOn(servingPoolOf(t, demoDB(t)), serveFlags{maxLimit: 20000, tileCacheMiB: 16}, slog.New(slog.DiscardHandler))
	for _, c := range []struct {
		target string
		status int
	}{
		{"/collections", 200},
		{"/collections/kreis/items/16063", 200},
		{"/collections/kreis/items/16053", 200},
		{"/collections/kreis/items/99999", 404},
		{"/collections/nowhere/items", 404},
		{"/tiles/kreis/6/33/21.mvt", 200}, // Thüringen: built, a miss
		{"/tiles/kreis/6/33/21.mvt", 200}, // the same, a hit
		{"/no/such/path", 404},
		{"/healthz", 200},
	} {
		if rec := do(t, h, http.MethodGet, c.target, nil); rec.Code != c.status {
			t.Fatalf("GET %s: %d, want %d\n%s", c.target, rec.Code, c.status, rec.Body)
		}
	}
	got := strings.Join(metricLines(t, h, "sozialatlas_http_requests_total{"), "\n")
	want := strings.Join([]string{
		`sozialatlas_http_requests_total{code="2xx",method="GET",route="/collections"} 1`,
		`sozialatlas_http_requests_total{code="2xx",method="GET",route="/collections/{level}/items/{code}"} 2`,
		`sozialatlas_http_requests_total{code="2xx",method="GET",route="/healthz"} 1`,
		`sozialatlas_http_requests_total{code="2xx",method="GET",route="/tiles/{level}/{z}/{x}/{y}.mvt"} 2`,
		`sozialatlas_http_requests_total{code="4xx",method="GET",route="/collections/{level}/items"} 1`,
		`sozialatlas_http_requests_total{code="4xx",method="GET",route="/collections/{level}/items/{code}"} 1`,
		`sozialatlas_http_requests_total{code="4xx",method="GET",route="unmatched"} 1`,
	}, "\n")
	if got != want {
		t.Errorf("requests:\n%s\nwant\n%s", got, want)
	}
	tile := metricLines(t, h, "sozialatlas_tile_cache_")
	for _, w := range []string{
		"sozialatlas_tile_cache_entries 1",
		"sozialatlas_tile_cache_evictions_total 0",
		"sozialatlas_tile_cache_hits_total 1",
		"sozialatlas_tile_cache_misses_total 1",
	} {
		if !contains(tile, w) {
			t.Errorf("tile cache metrics %q lack %q", tile, w)
		}
	}
	pool := metricLines(t, h, "sozialatlas_db_pool_")
	for _, w := range []string{
		`sozialatlas_db_pool_acquired_conns{pool="serving"} 0`,
		`sozialatlas_db_pool_canceled_acquires_total{pool="serving"} 0`,
	} {
		if !contains(pool, w) {
			t.Errorf("pool metrics %q lack %q", pool, w)
		}
	}
	if len(pool) != 8 {
		t.Errorf("%d pool metrics, want 8: %q", len(pool), pool)
	}
	// The duration histogram counted the two tiles.
	if l := metricLines(t, h, `sozialatlas_http_request_duration_seconds_count{method="GET",route="/tiles/{level}/{z}/{x}/{y}.mvt"}`); len(l) != 1 || !strings.HasSuffix(l[0], " 2") {
		t.Errorf("tile request durations: %q, want a count of 2", l)
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// emptyRouter is the service's router on an empty, migrated database.
func emptyRouter(t *testing.T, f serveFlags) (http.Handler, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.NewDB(t)
	if f.maxLimit == 0 {
		f.maxLimit = 20000
	}
	return newRouterOn(pool, f, slog.New(slog.DiscardHandler)), pool
}

// problem decodes an RFC 9457 body, failing on any other.
func problem(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, rec.Body)
	}
	var p map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// /healthz asks nothing of the database; /readyz wants it reachable and
// at this build's schema version.
func TestLivenessAndReadiness(t *testing.T) {
	h, pool := emptyRouter(t, serveFlags{})
	if rec := do(t, h, "GET", "/readyz", nil); rec.Code != 200 || rec.Body.String() != "ready\n" {
		t.Errorf("/readyz: %d %q", rec.Code, rec.Body)
	}
	// A migration not applied: an older schema, as before 'migrate' ran.
	if _, err := pool.Exec(context.Background(),
		`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	rec := do(t, h, "GET", "/readyz", nil)
	if rec.Code != 503 {
		t.Fatalf("/readyz behind the schema: %d", rec.Code)
	}
	if d, _ := problem(t, rec)["detail"].(string); !strings.Contains(d, "run 'sozialatlas migrate'") {
		t.Errorf("detail %q", d)
	}
	pool.Close()
	if rec := do(t, h, "GET", "/readyz", nil); rec.Code != 503 || problem(t, rec)["detail"] != "the database is not reachable" {
		t.Errorf("/readyz without a database: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, h, "GET", "/healthz", nil); rec.Code != 200 || rec.Body.String() != "ok\n" {
		t.Errorf("/healthz without a database: %d %q", rec.Code, rec.Body)
	}
}

// Every answer, the viewer's page and errors included, carries the
// security headers; framing is refused unless origins are configured.
func TestSecurityHeaders(t *testing.T) {
	h, _ := emptyRouter(t, serveFlags{})
	for _, target := range []string{"/", "/viewer/app.js", "/collections", "/no/such/path"} {
		rec := do(t, h, "GET", target, map[string]string{"Accept": "text/html"})
		hd := rec.Header()
		if csp := hd.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'; script-src 'self'; style-src 'self';") ||
			!strings.HasSuffix(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: Content-Security-Policy %q", target, csp)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") != "same-origin" || hd.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", target, hd)
		}
	}
	h, _ = emptyRouter(t, serveFlags{frameAncestors: "https://www.kreis.example, https://intranet.kreis.example"})
	hd := do(t, h, "GET", "/", map[string]string{"Accept": "text/html"}).Header()
	if csp := hd.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors https://www.kreis.example https://intranet.kreis.example") ||
		hd.Get("X-Frame-Options") != "" {
		t.Errorf("with frame ancestors: CSP %q, X-Frame-Options %q", csp, hd.Get("X-Frame-Options"))
	}
}

// Cross-origin reading is off by default and allowed for the configured
// origins only, preflight included.
func TestCORS(t *testing.T) {
	h, _ := emptyRouter(t, serveFlags{})
	rec := do(t, h, "GET", "/collections", map[string]string{"Origin": "https://atlas.example"})
	if v := rec.Header().Get("Access-Control-Allow-Origin"); v != "" || rec.Code != 200 {
		t.Errorf("no origins configured: %d, Access-Control-Allow-Origin %q", rec.Code, v)
	}

	h, _ = emptyRouter(t, serveFlags{corsOrigins: "https://atlas.example"})
	rec = do(t, h, "GET", "/collections", map[string]string{"Origin": "https://atlas.example"})
	if v := rec.Header().Get("Access-Control-Allow-Origin"); v != "https://atlas.example" {
		t.Errorf("allowed origin: Access-Control-Allow-Origin %q", v)
	}
	if v := rec.Header().Get("Access-Control-Expose-Headers"); v != "Etag, Content-Crs, Link, Retry-After" {
		t.Errorf("exposed headers %q", v)
	}
	rec = do(t, h, "OPTIONS", "/collections/kreis/items", map[string]string{"Origin": "https://atlas.example",
		"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "accept"})
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "https://atlas.example" ||
		rec.Header().Get("Access-Control-Allow-Methods") != "GET" || rec.Header().Get("Access-Control-Max-Age") != "600" {
		t.Errorf("preflight: %d %v", rec.Code, rec.Header())
	}
	rec = do(t, h, "OPTIONS", "/collections/kreis/items", map[string]string{"Origin": "https://evil.example",
		"Access-Control-Request-Method": "GET"})
	if v := rec.Header().Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("preflight of another origin allowed: %q", v)
	}
	rec = do(t, h, "GET", "/collections", map[string]string{"Origin": "https://evil.example"})
	if v := rec.Header().Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("another origin allowed: %q", v)
	}
}

// A bbox larger than --max-bbox-km2 is a 400 that says how large it is.
func TestBBoxAreaLimit(t *testing.T) {
	h, _ := emptyRouter(t, serveFlags{maxBBoxKm2: 1000})
	// saalfeldBBox: 0.65° × 0.35° around 50.6° N, about 46 km × 39 km
	rec := do(t, h, "GET", "/collections/kreis/items?bbox="+saalfeldBBox, nil)
	if rec.Code != 400 {
		t.Fatalf("large bbox: %d %s", rec.Code, rec.Body)
	}
	want := `query parameter bbox: "11.0,50.45,11.65,50.8" covers about 1784 km², more than the 1000 km² this service allows; ask for a smaller area, or leave bbox out and page through the collection`
	if d := problem(t, rec)["detail"]; d != want {
		t.Errorf("detail %q\nwant %q", d, want)
	}
	if rec := do(t, h, "GET", "/collections/kreis/items?bbox=11.0,50.45,11.3,50.6", nil); rec.Code != 200 {
		t.Errorf("small bbox: %d %s", rec.Code, rec.Body)
	}
}

// A query stopped by statement_timeout is a 503 saying the query took too
// long; a failing query is a 500 that tells nothing of the SQL.
func TestQueryTimeoutAndInternalErrors(t *testing.T) {
	ctx := context.Background()
	base := pgtest.NewDB(t)
	serving, err := pgxpool.NewWithConfig(ctx, servingConfig(base.Config(), 300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(serving.Close)
	h := newRouterOn(serving, serveFlags{maxLimit: 100}, slog.New(slog.DiscardHandler))

	// A transaction holding the areas locked makes the items query wait
	// until the statement timeout cancels it.
	tx, err := base.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE area IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	rec := do(t, h, "GET", "/collections/kreis/items", nil)
	_ = tx.Rollback(ctx)
	if rec.Code != 503 {
		t.Fatalf("timed-out query: %d %s", rec.Code, rec.Body)
	}
	p := problem(t, rec)
	if p["title"] != "Query took too long" || !strings.HasPrefix(p["detail"].(string), "The database stopped this request's query at the service's time limit.") {
		t.Errorf("timeout problem %v", p)
	}
	if rec.Header().Get("Retry-After") != "" {
		t.Errorf("Retry-After %q on a timeout, which a retry would meet again", rec.Header().Get("Retry-After"))
	}

	if _, err := base.Exec(ctx, "ALTER TABLE area RENAME TO area_gone"); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/collections/kreis/items", "/collections/kreis/items/16063", "/areas/kreis/16063"} {
		rec := do(t, h, "GET", target, nil)
		if rec.Code != 500 {
			t.Errorf("%s: %d %s", target, rec.Code, rec.Body)
			continue
		}
		// the answer less the request's own path, which it repeats
		body := strings.ReplaceAll(rec.Body.String(), target, "")
		for _, leak := range []string{"area", "SELECT", "relation", "SQLSTATE", "goroutine", ".go:"} {
			if strings.Contains(body, leak) {
				t.Errorf("%s: the answer tells %q: %s", target, leak, rec.Body)
			}
		}
		if p := problem(t, rec); p["request_id"] == "" || p["status"] != 500.0 {
			t.Errorf("%s: problem %v", target, p)
		}
	}
}
