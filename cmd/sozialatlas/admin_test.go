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
