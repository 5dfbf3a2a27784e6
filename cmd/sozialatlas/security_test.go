package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
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
		"GET /tiles/{level}/{z}/{x}/{y}.mvt", "POST /imports/areas", "POST /imports/{id}/revert", "GET /audit", "GET /viewer/*",
		"POST /tokens/{id}/revoke", "POST /catalogue", "POST /indices", "GET /indicators/{key}/raw"} {
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

// rawGet sends target as the request line, exactly as given: an HTTP
// client would clean or escape it.
func rawGet(t *testing.T, srv *httptest.Server, target string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: atlas\r\nConnection: close\r\n\r\n", target); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

func TestPathTraversal(t *testing.T) {
	srv, _, _, _ := attackServer(t, serveFlags{})
	// What a file outside the viewer's assets would show.
	secrets := regexp.MustCompile(`root:.*:0:0:|module github\.com|package main|\[core\]|PG_VERSION`)
	for _, target := range []string{
		"/viewer/../../etc/passwd",
		"/viewer/../../../../../../etc/passwd",
		"/viewer/%2e%2e/%2e%2e/etc/passwd",
		"/viewer/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"/viewer/..%2f..%2f..%2fetc%2fpasswd",
		"/viewer/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
		"/viewer/....//....//etc/passwd",
		"/viewer/..\\..\\..\\etc\\passwd",
		"/viewer/..%5c..%5cetc%5cpasswd",
		"/viewer/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
		"/viewer//etc/passwd",
		"/viewer/index.html/../../../go.mod",
		"/viewer/../main.go",
		"/viewer/../../../.git/config",
		"/viewer/../../../.data/PG_VERSION",
		"/../../etc/passwd",
		"/tiles/..%2f..%2f..%2fetc%2fpasswd/6/33/21.mvt",
		"/collections/..%2f..%2fetc%2fpasswd/items",
		"/indicators/..%2f..%2fetc%2fpasswd/values",
	} {
		res, body := rawGet(t, srv, target)
		switch {
		case secrets.Match(body):
			t.Errorf("GET %s: %d shows %q", target, res.StatusCode, secrets.Find(body))
		case res.StatusCode == http.StatusMovedPermanently:
			// The file server sends a path with dot segments to its
			// clean form, which is inside the viewer or answered 404.
			loc := res.Header.Get("Location")
			if strings.Contains(loc, "..") {
				t.Errorf("GET %s: redirect to %s", target, loc)
			}
		case res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusBadRequest:
			t.Errorf("GET %s: %d, want 404 or 400: %.200s", target, res.StatusCode, body)
		}
	}
	// The assets themselves are served.
	if res, body := rawGet(t, srv, "/viewer/app.css"); res.StatusCode != 200 || len(body) == 0 {
		t.Errorf("GET /viewer/app.css: %d", res.StatusCode)
	}
}

// TestTokensOnEveryRoute puts the whole service behind login and sends
// every route no token, a forged one, a revoked one and tokens of each
// role: only /healthz and /readyz answer without, each route needs its
// role, and the weaker roles get 403.
func TestTokensOnEveryRoute(t *testing.T) {
	srv, routes, pool, admin := attackServer(t, serveFlags{access: accessFlags{mode: "login"}})
	ctx := context.Background()
	viewer := newToken(t, pool, "leser", access.Viewer)
	editor := newToken(t, pool, "planung", access.Editor)
	revoked := newToken(t, pool, "ehemalig", access.Admin)
	if _, err := access.NewTokens(pool).Revoke(ctx, "ehemalig"); err != nil {
		t.Fatal(err)
	}
	// A forged token has the form of one, and admin's name prefix.
	forged := admin[:20] + strings.Repeat("A", len(admin)-20)
	needs := map[string]access.Role{"/imports": access.Editor, "/audit": access.Admin, "/tokens": access.Admin,
		"/catalogue": access.Admin, "POST /indices": access.Admin, "GET /indicators/einwohner/raw": access.Editor}
	param := regexp.MustCompile(`\{([a-z]+)\}|\*$`)
	before := tableCounts(t, pool)
	n := 0
	err := chi.Walk(routes, func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		path := param.ReplaceAllStringFunc(pattern, func(m string) string { return pathDefaults[strings.Trim(m, "{}")] })
		role := access.Viewer
		for prefix, r := range needs {
			// A prefix names a path, or a method and a path where the
			// other methods of the path need less.
			if strings.HasPrefix(path, prefix) || strings.HasPrefix(method+" "+path, prefix) {
				role = r
			}
		}
		open := path == "/healthz" || path == "/readyz"
		for _, c := range []struct {
			token string
			role  access.Role
		}{{"", access.Anonymous}, {forged, access.Anonymous}, {revoked, access.Anonymous}, {"sa_short", access.Anonymous},
			{viewer, access.Viewer}, {editor, access.Editor}, {admin, access.Admin}} {
			status, body, h := call(t, method, srv.URL+path, c.token, "", nil)
			n++
			var want []int // acceptable answers
			switch {
			case open:
				want = []int{200}
			case c.role == access.Anonymous:
				want = []int{401}
			case c.role < role:
				want = []int{403}
			}
			if want != nil && !slices.Contains(want, status) {
				t.Errorf("%s %s with %s token: %d, want %v: %.200s", method, path, c.role, status, want, body)
			}
			if want == nil && (status == 401 || status == 403 || status >= 500) {
				t.Errorf("%s %s with %s token: %d: %.200s", method, path, c.role, status, body)
			}
			if status == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: 401 without a Bearer challenge", method, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests", n)
	if after := tableCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows before %v, after %v", before, after)
	}

	// Public, a token given must still be valid.
	pub, _, _, _ := attackServer(t, serveFlags{})
	for _, tok := range []string{forged, revoked, "garbage"} {
		if status, _, _ := call(t, http.MethodGet, pub.URL+"/collections", tok, "", nil); status != 401 {
			t.Errorf("public service, token %q: %d, want 401", tok, status)
		}
	}
	if status, _, _ := call(t, http.MethodGet, pub.URL+"/collections", "", "", nil); status != 200 {
		t.Errorf("public service, no token: %d", status)
	}
}
