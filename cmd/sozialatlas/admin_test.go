package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sozialatlas/sozialatlas/geo/web/access"
)

// adminProblem is a 4xx answer of the administration endpoints.
type adminProblem struct {
	Status int          `json:"status"`
	Detail string       `json:"detail"`
	Errors []inputError `json:"errors"`
}

// TestAdminRoles checks who may use the administration endpoints: each
// role below the endpoint's gets 401 (no or a revoked token) or 403, and
// nothing changes.
func TestAdminRoles(t *testing.T) {
	pool := demoDB(t)
	admin := newToken(t, pool, "chefin", access.Admin)
	editor := newToken(t, pool, "planung", access.Editor)
	viewer := newToken(t, pool, "leser", access.Viewer)
	revoked := newToken(t, pool, "ehemalig", access.Admin)
	if _, err := access.NewTokens(pool).Revoke(context.Background(), "ehemalig"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{}, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	before := tableCounts(t, pool)
	yaml, ct := multipartBody(t, nil, formFile{"catalogue.yaml", readDemo(t, "catalogue.yaml")})
	for _, c := range []struct {
		method, path string
		needs        access.Role
	}{
		{http.MethodGet, "/tokens", access.Admin},
		{http.MethodPost, "/tokens", access.Admin},
		{http.MethodPost, "/tokens/2/revoke", access.Admin},
		{http.MethodPost, "/catalogue", access.Admin},
		{http.MethodPost, "/indices", access.Admin},
		{http.MethodGet, "/indicators/einwohner/raw?level=kreis&period=2022-12-31", access.Editor},
	} {
		for _, who := range []struct {
			token  string
			role   access.Role
			status int
		}{
			{"", access.Anonymous, 401}, {revoked, access.Anonymous, 401},
			{viewer, access.Viewer, 403}, {editor, access.Editor, 403}, {admin, access.Admin, 0},
		} {
			if who.role >= c.needs {
				continue // allowed: the functional tests check the answers
			}
			body, contentType := bytes.NewReader(yaml.Bytes()), ct
			status, resp, h := call(t, c.method, srv.URL+c.path, who.token, contentType, body)
			var p adminProblem
			if status != who.status || json.Unmarshal(resp, &p) != nil || p.Status != who.status ||
				h.Get("Content-Type") != "application/problem+json" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s as %s: %d %s, want %d", c.method, c.path, who.role, status, resp, who.status)
			}
			if strings.Contains(string(resp), "Dierfeld") {
				t.Errorf("%s %s as %s: the answer has raw values", c.method, c.path, who.role)
			}
		}
	}
	if after := tableCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows before %v, after %v", before, after)
	}
	if n := countRows(t, pool, "audit_log"); n != 0 {
		t.Errorf("%d audit entries for refused requests, want 0", n)
	}
}

// TestTokensOverHTTP creates, lists and revokes tokens as an admin.
func TestTokensOverHTTP(t *testing.T) {
	pool := demoDB(t)
	admin := newToken(t, pool, "chefin", access.Admin) // id 1
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{}, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)

	status, body, h := call(t, http.MethodPost, srv.URL+"/tokens", admin, "application/json", strings.NewReader(`{"name":"planung","role":"editor"}`))
	var created struct {
		ID     int64  `json:"id"`
		Name   string `json:"name"`
		Role   string `json:"role"`
		Secret string `json:"token"`
	}
	if status != 201 || json.Unmarshal(body, &created) != nil || created.ID != 2 || created.Name != "planung" ||
		created.Role != "editor" || !strings.HasPrefix(created.Secret, "sa_") || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %s %v", status, body, h)
	}
	// The new token works, with its role.
	if status, body, _ := call(t, http.MethodGet, srv.URL+"/indicators/einwohner/raw?level=land&period=2022-12-31", created.Secret, "", nil); status != 200 {
		t.Errorf("raw values with the new editor token: %d %s", status, body)
	}
	if status, _, _ := call(t, http.MethodGet, srv.URL+"/tokens", created.Secret, "", nil); status != 403 {
		t.Errorf("token list with the new editor token: %d, want 403", status)
	}

	for _, c := range []struct {
		name, body string
		status     int
		field      string // of the 422's error
	}{
		{"taken", `{"name":"planung","role":"viewer"}`, 409, ""},
		{"bad name", `{"name":"x'; DROP TABLE api_token;--","role":"viewer"}`, 422, "name"},
		{"no name", `{"role":"viewer"}`, 422, "name"},
		{"bad role", `{"name":"neu","role":"superuser"}`, 422, "role"},
		{"anonymous role", `{"name":"neu","role":"anonymous"}`, 422, "role"},
		{"unknown field", `{"name":"neu","role":"viewer","expires":"never"}`, 400, ""},
		{"not JSON", `name=neu`, 400, ""},
		{"two objects", `{"name":"neu"}{"name":"neu2"}`, 400, ""},
		{"empty", ``, 400, ""},
	} {
		status, body, _ := call(t, http.MethodPost, srv.URL+"/tokens", admin, "application/json", strings.NewReader(c.body))
		var p adminProblem
		if status != c.status || json.Unmarshal(body, &p) != nil || p.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
			continue
		}
		if c.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != c.field || p.Errors[0].Reason == "") {
			t.Errorf("%s: errors %+v, want one of field %s", c.name, p.Errors, c.field)
		}
	}
	// Without a role the token is a viewer's, as on the command line.
	status, body, _ = call(t, http.MethodPost, srv.URL+"/tokens", admin, "application/json", strings.NewReader(`{"name":"leser"}`))
	if status != 201 || !strings.Contains(string(body), `"role":"viewer"`) {
		t.Errorf("create without role: %d %s", status, body)
	}

	status, body, _ = call(t, http.MethodGet, srv.URL+"/tokens", admin, "", nil)
	var list []struct{ Name, Role string }
	if status != 200 || json.Unmarshal(body, &list) != nil || len(list) != 3 ||
		strings.Contains(string(body), created.Secret) || strings.Contains(string(body), "hash") {
		t.Fatalf("list: %d %s", status, body)
	}

	for _, c := range []struct {
		target string
		status int
	}{
		{"1", 409},       // the admin's own token, by id
		{"chefin", 409},  // and by name
		{"planung", 200}, // by name
		{"planung", 404}, // revoked already
		{"999999", 404},  // never issued
		{"4", 200},       // by id: "leser" (3 went to the refused second "planung")
		{"' OR 1=1--", 404},
	} {
		status, body, _ := call(t, http.MethodPost, srv.URL+"/tokens/"+strings.ReplaceAll(c.target, " ", "%20")+"/revoke", admin, "", nil)
		if status != c.status {
			t.Errorf("revoke %s: %d %s, want %d", c.target, status, body, c.status)
		}
	}
	if status, _, _ := call(t, http.MethodGet, srv.URL+"/indicators", created.Secret, "", nil); status != 401 {
		t.Errorf("the revoked token: %d, want 401", status)
	}
	if status, _, _ := call(t, http.MethodGet, srv.URL+"/tokens", admin, "", nil); status != 200 {
		t.Errorf("the admin's own token after refusing to revoke it: %d", status)
	}

	// Every attempt that reached the store is in the audit log, as the
	// admin's, with its outcome; the refused bodies (400, missing name or
	// role) never got there.
	want := []string{
		"token create ok", "raw values ok",
		"token create failed", "token create failed", "token create ok",
		"token revoke failed", "token revoke failed", "token revoke ok", "token revoke failed",
		"token revoke failed", "token revoke ok", "token revoke failed",
	}
	entries := auditEntries(t, srv.URL, admin)
	var got []string
	for _, e := range entries {
		got = append(got, e.Action+" "+e.Outcome)
		if e.Actor != "token:chefin" && !(e.Action == "raw values" && e.Actor == "token:planung") {
			t.Errorf("entry %d by %s", e.ID, e.Actor)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit log:\n%q\nwant\n%q", got, want)
	}
	if e := entries[0]; e.Detail != `token 2 "planung", role editor` {
		t.Errorf("create entry: %+v", e)
	}
	for _, e := range entries {
		if strings.Contains(e.Detail, "sa_") {
			t.Errorf("entry %d holds a secret: %s", e.ID, e.Detail)
		}
	}
}

// auditEntries reads the whole audit log over HTTP.
func auditEntries(t *testing.T, base, admin string) []access.Entry {
	t.Helper()
	status, body, _ := call(t, http.MethodGet, base+"/audit", admin, "", nil)
	var entries []access.Entry
	if status != 200 || json.Unmarshal(body, &entries) != nil {
		t.Fatalf("audit: %d %s", status, body)
	}
	return entries
}

// TestDefinitionsOverHTTP loads the catalogue and applies index
// definitions as an admin: the commands' reports, their checks as 422
// naming file, line and field, nothing changed on refusal, all audited.
func TestDefinitionsOverHTTP(t *testing.T) {
	pool := demoDB(t)
	admin := newToken(t, pool, "chefin", access.Admin)
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{}, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	indicatorsBefore, versionsBefore := countRows(t, pool, "indicator"), countRows(t, pool, "composite_index")
	mss := string(readDemo(t, "indices", "mss-2021.yaml"))
	retitled := strings.Replace(mss, "title: Status-Index (MSS 2021)", "title: Status-Index (MSS 2021, neu)", 1)

	for _, c := range []struct {
		name, path, file, content string
		fields                    [][2]string
		status                    int
		want                      string       // in the answer
		errors                    []inputError // of a 422, exactly
	}{
		{name: "catalogue unchanged", path: "/catalogue", file: "catalogue.yaml", content: string(readDemo(t, "catalogue.yaml")),
			status: 200, want: `"inserted":[],"updated":[],"deleted":[]`},
		{name: "catalogue unknown field", path: "/catalogue", file: "katalog.yaml",
			content: "indicators:\n  - key: einwohner\n    titel: Einwohner\n", status: 422,
			errors: []inputError{{File: "katalog.yaml", Line: 3, Field: `indicator "einwohner"`, Reason: `unknown field "titel"`}}},
		{name: "catalogue missing fields", path: "/catalogue", file: "katalog.yaml",
			content: "indicators:\n  - key: einwohner\n    kind: count\n", status: 422,
			errors: []inputError{
				{File: "katalog.yaml", Field: `indicator "einwohner": title`, Reason: "missing"},
				{File: "katalog.yaml", Field: `indicator "einwohner": category`, Reason: "missing"},
				{File: "katalog.yaml", Field: `indicator "einwohner": polarity`, Reason: "missing (higher_better, higher_worse or neutral)"},
			}},
		{name: "catalogue not YAML", path: "/catalogue", file: "katalog.yaml", content: "indicators: [\n  - key\n", status: 422},
		{name: "catalogue with an option", path: "/catalogue", file: "catalogue.yaml", content: "x: 1\n",
			fields: [][2]string{{"level", "kreis"}}, status: 400},
		{name: "index unchanged", path: "/indices", file: "mss-2021.yaml", content: mss, status: 200, want: `"new":[]`},
		{name: "index new version", path: "/indices", file: "mss-2021.yaml", content: retitled, status: 201,
			want: `{"key":"mss_status","version":2,"file":"mss-2021.yaml"`},
		{name: "index unknown level", path: "/indices", file: "index.yaml",
			content: strings.Replace(retitled, "level: planungsraum", "level: ortsteil", 1), status: 422},
		{name: "index unknown field", path: "/indices", file: "index.yaml",
			content: strings.Replace(mss, "  - key: mss_status\n", "  - key: mss_status\n    gewicht: 2\n", 1), status: 422,
			errors: []inputError{{File: "index.yaml", Line: 37, Field: `index "mss_status"`, Reason: `unknown field "gewicht"`}}},
	} {
		body, ct := multipartBody(t, c.fields, formFile{c.file, []byte(c.content)})
		status, resp, _ := call(t, http.MethodPost, srv.URL+c.path, admin, ct, body)
		if status != c.status || !strings.Contains(string(resp), c.want) {
			t.Errorf("%s: %d %s, want %d with %s", c.name, status, resp, c.status, c.want)
			continue
		}
		if status != 422 {
			continue
		}
		var p adminProblem
		if err := json.Unmarshal(resp, &p); err != nil || len(p.Errors) == 0 || strings.Contains(string(resp), "sozialatlas-upload") {
			t.Errorf("%s: %s", c.name, resp)
			continue
		}
		for _, e := range p.Errors {
			if e.File != c.file || e.Reason == "" {
				t.Errorf("%s: error %+v", c.name, e)
			}
		}
		if c.errors != nil && fmt.Sprint(p.Errors) != fmt.Sprint(c.errors) {
			t.Errorf("%s: errors\n%+v\nwant\n%+v", c.name, p.Errors, c.errors)
		}
	}
	// Only the new version was stored; the refused files changed nothing.
	if n := countRows(t, pool, "indicator"); n != indicatorsBefore {
		t.Errorf("%d indicators, before %d", n, indicatorsBefore)
	}
	if n := countRows(t, pool, "composite_index"); n != versionsBefore+1 {
		t.Errorf("%d index versions, want %d", n, versionsBefore+1)
	}
	var title string
	if err := pool.QueryRow(context.Background(), `SELECT title FROM indicator WHERE key = 'mss_status'`).Scan(&title); err != nil || title != "Status-Index (MSS 2021, neu)" {
		t.Errorf("mss_status is titled %q (%v)", title, err)
	}

	// The 400 never reached the loader; every other upload is audited with
	// its file's name, size and SHA-256.
	var got []string
	for _, e := range auditEntries(t, srv.URL, admin) {
		got = append(got, fmt.Sprintf("%s %s %s %s", e.Action, e.File, e.Outcome, intOrDash(e.Rows)))
		if e.Actor != "token:chefin" || e.Size == nil || len(e.SHA256) != 64 {
			t.Errorf("entry %+v", e)
		}
	}
	want := []string{
		"catalogue load catalogue.yaml ok 0",
		"catalogue load katalog.yaml failed -", "catalogue load katalog.yaml failed -", "catalogue load katalog.yaml failed -",
		"index apply mss-2021.yaml ok 0", "index apply mss-2021.yaml ok 1",
		"index apply index.yaml failed -", "index apply index.yaml failed -",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit log:\n%q\nwant\n%q", got, want)
	}
}

// TestRawValuesOverHTTP reads the raw values of a withheld count as an
// editor: what 'sozialatlas export' prints, never cached, audited.
func TestRawValuesOverHTTP(t *testing.T) {
	pool := demoDB(t)
	admin := newToken(t, pool, "chefin", access.Admin)
	editor := newToken(t, pool, "planung", access.Editor)
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{}, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)

	status, body, h := call(t, http.MethodGet, srv.URL+"/indicators/einwohner_weiblich/raw?level=gemeinde&period="+period, editor, "", nil)
	if status != 200 || h.Get("Cache-Control") != "private, no-store" || h.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("raw values: %d %v %.300s", status, h, body)
	}
	// The same bytes as the command's.
	var export bytes.Buffer
	_, ind := stores(pool)
	vals, err := ind.RawValues(context.Background(), "einwohner_weiblich", "gemeinde", mustDate(t, period))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeRawCSV(&export, vals); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, export.Bytes()) {
		t.Errorf("the answer differs from the export")
	}
	lines := strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n")
	var dierfeldLine string
	for _, l := range lines {
		if strings.HasPrefix(l, dierfeld+";") {
			dierfeldLine = l
		}
	}
	if !strings.HasPrefix(lines[0], "\ufeffSchlüssel;Name;") || len(lines)-1 != len(vals) ||
		!strings.Contains(dierfeldLine, ";2;") || !strings.HasSuffix(dierfeldLine, ";primary") {
		t.Errorf("%d lines; Dierfeld: %q", len(lines), dierfeldLine)
	}

	for _, c := range []struct {
		query  string
		status int
	}{
		{"/indicators/einwohner_weiblich/raw?level=gemeinde", 400},
		{"/indicators/einwohner_weiblich/raw?period=" + period, 400},
		{"/indicators/einwohner_weiblich/raw?level=gemeinde&period=31.12.2022", 400},
		{"/indicators/einwohner_weiblich/raw?level=gemeinde&period=" + period + "&f=json", 400},
		{"/indicators/unbekannt/raw?level=gemeinde&period=" + period, 404},
		{"/indicators/einwohner_weiblich/raw?level=ortsteil&period=" + period, 404},
	} {
		status, body, h := call(t, http.MethodGet, srv.URL+c.query, editor, "", nil)
		if status != c.status || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want %d", c.query, status, body, c.status)
		}
	}

	// Who read which indicator's raw values, and how many; the two reads
	// that found nothing as failed.
	entries := auditEntries(t, srv.URL, admin)
	if len(entries) != 3 {
		t.Fatalf("audit log: %+v", entries)
	}
	e := entries[0]
	if e.Actor != "token:planung" || e.Action != "raw values" || e.Outcome != "ok" || e.Rows == nil || *e.Rows != int64(len(vals)) ||
		e.Detail != "indicator einwohner_weiblich, level gemeinde, period "+period {
		t.Errorf("entry %+v", e)
	}
	for _, e := range entries[1:] {
		if e.Actor != "token:planung" || e.Action != "raw values" || e.Outcome != "failed" || !strings.Contains(e.Detail, "not found") {
			t.Errorf("entry %+v", e)
		}
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
