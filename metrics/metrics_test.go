package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// scrape returns the lines of the metrics named by prefix.
func scrape(t *testing.T, h http.Handler, prefix string) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", rec.Code)
	}
	var out []string
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func TestRequestsByRoutePattern(t *testing.T) {
	m := New()
	r := chi.NewRouter()
	r.Use(m.Middleware)
	r.Get("/areas/{level}/{code}", func(w http.ResponseWriter, r *http.Request) {
		if chi.URLParam(r, "code") == "missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	r.Get("/quiet", func(http.ResponseWriter, *http.Request) {}) // writes nothing: 200
	r.Method("GET", "/metrics", m.Handler())

	for _, p := range []string{"/areas/kreis/16063", "/areas/land/16", "/areas/kreis/missing", "/quiet", "/nowhere/at/all", "/nowhere/else"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/quiet", nil))

	got := strings.Join(scrape(t, r, "sozialatlas_http_requests_total{"), "\n")
	want := strings.Join([]string{
		`sozialatlas_http_requests_total{code="2xx",method="GET",route="/areas/{level}/{code}"} 2`,
		`sozialatlas_http_requests_total{code="2xx",method="GET",route="/quiet"} 1`,
		`sozialatlas_http_requests_total{code="4xx",method="GET",route="/areas/{level}/{code}"} 1`,
		`sozialatlas_http_requests_total{code="4xx",method="GET",route="unmatched"} 2`,
		`sozialatlas_http_requests_total{code="4xx",method="other",route="unmatched"} 1`,
	}, "\n")
	if got != want {
		t.Errorf("requests:\n%s\nwant\n%s", got, want)
	}
	// The first scrape is counted once it is answered.
	count := scrape(t, r, `sozialatlas_http_request_duration_seconds_count{method="GET",route="/metrics"}`)
	if len(count) != 1 || !strings.HasSuffix(count[0], " 1") {
		t.Errorf("/metrics duration count: %q, want 1", count)
	}
	count = scrape(t, r, `sozialatlas_http_request_duration_seconds_count{method="GET",route="/areas/{level}/{code}"}`)
	if len(count) != 1 || !strings.HasSuffix(count[0], " 3") {
		t.Errorf("/areas duration count: %q, want 3", count)
	}
	if g := scrape(t, r, "sozialatlas_http_requests_in_flight "); len(g) != 1 || g[0] != "sozialatlas_http_requests_in_flight 1" {
		t.Errorf("in flight during a scrape: %q, want the scrape alone", g)
	}
}

func TestRegistriesAreSeparate(t *testing.T) {
	a, b := New(), New()
	h := a.Middleware(http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if got := scrape(t, b.Handler(), "sozialatlas_http_requests_total"); len(got) != 0 {
		t.Errorf("the second registry counted the first's request: %q", got)
	}
	if got := scrape(t, a.Handler(), "sozialatlas_http_requests_total{"); len(got) != 1 ||
		got[0] != `sozialatlas_http_requests_total{code="4xx",method="GET",route="unmatched"} 1` {
		t.Errorf("first registry: %q", got)
	}
}

// TestTwoPools: the serving and the primary pool are read by one
// collector, each under its own label; a second Pool once panicked on a
// description registered twice.
func TestTwoPools(t *testing.T) {
	m := New()
	for _, name := range []string{"serving", "primary"} {
		// pools connect lazily: this one never does
		p, err := pgxpool.New(context.Background(), "host=/nonexistent dbname=none pool_max_conns=3")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		m.Pool(name, p)
	}
	got := scrape(t, m.Handler(), "sozialatlas_db_pool_max_conns{")
	want := []string{`sozialatlas_db_pool_max_conns{pool="primary"} 3`, `sozialatlas_db_pool_max_conns{pool="serving"} 3`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%q, want %q", got, want)
	}
}
