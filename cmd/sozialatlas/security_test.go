package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/geo/web/access"
)

// The security test suite: what an attacker sends is refused, and the
// database stays as it was.

// injections are SQL injection payloads: closing a string or an
// identifier, stacking a statement, a time delay, a union and a comment.
var injections = []string{
	`' OR 1=1--`,
	`1;DROP TABLE area`,
	`"); SELECT pg_sleep(5)--`,
	`1' AND (SELECT 1 FROM pg_sleep(5)) IS NOT NULL AND '1'='1`,
	`x' UNION SELECT value::text FROM observation--`,
	`einwohner) OR (1=1`,
}

// queryParams are the query parameters any handler of the service reads
// (grep for Query().Get and the OGC API's parameter parsing); each is sent
// with each payload to every GET route, one at a time.
var queryParams = []string{
	"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang", "filter-crs",
	"sortby", "properties", "indicators", "period", "period2", "level", "code", "reference", "compare",
	"series", "method", "k", "breaks", "classes", "weights", "permutations", "seed", "alpha", "nstart",
	"trend", "scheme", "simplify", "precision", "version", "after", "tag", "yaml",
}

// pathDefaults are valid values of the path parameters, so that a request
// with one parameter replaced gets past the others. Thüringen and its
// tiles keep the answers small.
var pathDefaults = map[string]string{
	"level": "land", "code": "16", "key": "einwohner", "z": "6", "x": "33", "y": "21", "id": "999999", "*": "index.html",
}

// leakMarkers must never appear in an answer: database error text, SQL
// state codes, Go stack traces and file positions.
var leakMarkers = regexp.MustCompile(`SQLSTATE|syntax error at|pgx|pgconn|goroutine \d|runtime error|panic:|\.go:\d`)

// guardedTables are the tables an attack must leave as they were.
var guardedTables = []string{"area", "area_member", "area_succession", "observation", "cell", "indicator", "level",
	"import_batch", "composite_index", "tile_geom", "api_token"}

// tableCounts counts the rows of the guarded tables.
func tableCounts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tab := range guardedTables {
		out[tab] = countRows(t, pool, tab)
	}
	return out
}

// request is one attack.
type request struct {
	method, path string
	body         io.Reader
	contentType  string
}

// attackServer serves the demo atlas through the service's router, with
// an admin token so that no role check stops an attack before the
// handlers see it.
func attackServer(t *testing.T, f serveFlags) (*httptest.Server, chi.Routes, *pgxpool.Pool, string) {
	t.Helper()
	pool := demoDB(t)
	admin := newToken(t, pool, "angreifer", access.Admin)
	f.maxLimit = 100
	router := newRouterOn(servingPoolOf(t, pool), f, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	return srv, router.(chi.Routes), pool, admin
}

// send runs the requests on two connections and checks each answer: no
// server error, nothing leaked, and no time delay executed. It returns how
// many answers had each status.
func send(t *testing.T, srv *httptest.Server, token string, reqs []request) map[int]int {
	t.Helper()
	work := make(chan request)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 2 {
		wg.Go(func() {
			for rq := range work {
				req, err := http.NewRequest(rq.method, srv.URL+rq.path, rq.body)
				if err != nil {
					t.Errorf("%s %s: %v", rq.method, rq.path, err)
					continue
				}
				req.Header.Set("Authorization", "Bearer "+token)
				if rq.contentType != "" {
					req.Header.Set("Content-Type", rq.contentType)
				}
				start := time.Now()
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("%s %s: %v", rq.method, rq.path, err)
					continue
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				took := time.Since(start)
				mu.Lock()
				statuses[res.StatusCode]++
				mu.Unlock()
				switch {
				case res.StatusCode >= 500:
					t.Errorf("%s %s: %s: %.300s", rq.method, rq.path, res.Status, body)
				case leakMarkers.Match(body):
					t.Errorf("%s %s: %d leaks %q: %.300s", rq.method, rq.path, res.StatusCode, leakMarkers.Find(body), body)
				case took >= 4500*time.Millisecond:
					// pg_sleep(5) ran, or something as slow did.
					t.Errorf("%s %s: took %s", rq.method, rq.path, took)
				}
			}
		})
	}
	for _, rq := range reqs {
		work <- rq
	}
	close(work)
	wg.Wait()
	return statuses
}

// routeRequests builds the attacks on every route of the router: each
// path parameter replaced by each payload, and each payload in each query
// parameter of the GET routes. Routes are enumerated with chi.Walk, so a
// route added later is attacked too.
func routeRequests(t *testing.T, routes chi.Routes) (reqs []request, patterns []string) {
	t.Helper()
	param := regexp.MustCompile(`\{([a-z]+)\}|\*$`)
	fill := func(pattern, target, payload string) string {
		return param.ReplaceAllStringFunc(pattern, func(m string) string {
			name := strings.Trim(m, "{}")
			if name == target {
				return url.PathEscape(payload)
			}
			v, ok := pathDefaults[name]
			if !ok {
				t.Fatalf("route %s: path parameter %s has no default value in pathDefaults", pattern, name)
			}
			return v
		})
	}
	err := chi.Walk(routes, func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		patterns = append(patterns, method+" "+pattern)
		for _, m := range param.FindAllString(pattern, -1) {
			for _, p := range injections {
				reqs = append(reqs, request{method: method, path: fill(pattern, strings.Trim(m, "{}"), p)})
			}
		}
		if method != http.MethodGet {
			return nil
		}
		base := fill(pattern, "", "")
		for _, q := range queryParams {
			for _, p := range injections {
				reqs = append(reqs, request{method: method, path: base + "?" + url.Values{q: {p}}.Encode()})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return reqs, patterns
}

func TestSQLInjection(t *testing.T) {
	srv, routes, pool, admin := attackServer(t, serveFlags{})
	before := tableCounts(t, pool)
	reqs, patterns := routeRequests(t, routes)

	// The routes the walk must find, so that it cannot pass by finding
	// none: a sample of every package's.
	for _, want := range []string{"GET /collections/{level}/items", "GET /indicators/{key}/values", "GET /areas/{level}/{code}/profile",
		"GET /tiles/{level}/{z}/{x}/{y}.mvt", "POST /imports/areas", "POST /imports/{id}/revert", "GET /audit", "GET /viewer/*"} {
		if !slices.Contains(patterns, want) {
			t.Errorf("chi.Walk did not find %s among %d routes", want, len(patterns))
		}
	}
	// The uploads' form fields reach the importers as values.
	for _, p := range injections {
		for _, field := range []string{"level", "code-field", "name-field", "parent-field", "crs", "layer", "where"} {
			value := p
			if field == "where" {
				value = "id=" + p
			}
			body, ct := multipartBody(t, [][2]string{{"level", "bezirk"}, {"code-field", "id"}, {"name-field", "name"}, {field, value}},
				formFile{"districts.geojson", readDemo(t, "berlin-lor", "districts.geojson")})
			reqs = append(reqs, request{method: http.MethodPost, path: "/imports/areas", body: body, contentType: ct})
		}
		body, ct := multipartBody(t, [][2]string{{"level", p}}, formFile{"bezirke.csv", []byte(bezirkPopulation)})
		reqs = append(reqs, request{method: http.MethodPost, path: "/imports/indicators", body: body, contentType: ct})
		body, ct = multipartBody(t, [][2]string{{"level", "bezirk"}}, formFile{"bezirke.csv",
			[]byte("area;indicator;period;value\n01;" + p + ";2022-12-31;1\n" + p + ";einwohner;2022-12-31;1\n")})
		reqs = append(reqs, request{method: http.MethodPost, path: "/imports/indicators", body: body, contentType: ct})
	}
	statuses := send(t, srv, admin, reqs)
	t.Logf("%d requests on %d routes: %v", len(reqs), len(patterns), statuses)
	// The attacks reached the handlers: refused as bad requests, or
	// answered with the payload taken as a harmless value.
	if statuses[400] < len(reqs)/4 || statuses[200] == 0 || statuses[401]+statuses[403] != 0 {
		t.Errorf("answers %v: want mostly 400, some 200, none refused for the token", statuses)
	}

	if after := tableCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows before the attacks %v, after %v", before, after)
	}
	// What reached an importer is audited, and failed.
	var ok, failed int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE outcome = 'ok'), count(*) FILTER (WHERE outcome = 'failed') FROM audit_log`).Scan(&ok, &failed); err != nil || ok != 0 || failed == 0 {
		t.Errorf("audited attacks: %d succeeded, %d failed (%v)", ok, failed, err)
	}
}
