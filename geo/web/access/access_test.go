package access_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo/web/access"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestTokens(t *testing.T) {
	ctx := context.Background()
	tokens := access.NewTokens(pgtest.NewDB(t))

	tok, secret, err := tokens.Create(ctx, "planung", access.Editor)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "sa_") || len(secret) != 46 || tok.ID != 1 || tok.Role != access.Editor {
		t.Fatalf("created %+v with secret %q", tok, secret)
	}
	p, ok, err := tokens.Authenticate(ctx, secret)
	if err != nil || !ok || p != (access.Principal{TokenID: 1, Name: "planung", Role: access.Editor}) {
		t.Fatalf("authenticate: %+v %v %v", p, ok, err)
	}
	if _, _, err := tokens.Create(ctx, "planung", access.Viewer); !errors.Is(err, access.ErrNameTaken) {
		t.Errorf("a second active token of the same name: %v", err)
	}
	for _, name := range []string{"", "1abc", "a b", "x'; DROP TABLE api_token;--", strings.Repeat("a", 65)} {
		if _, _, err := tokens.Create(ctx, name, access.Viewer); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if _, _, err := tokens.Create(ctx, "anon", access.Anonymous); err == nil {
		t.Error("a token of role anonymous was created")
	}

	// One character changed, or a token of the right form never issued,
	// is as unknown as garbage.
	forged := secret[:10] + string(secret[10]^1) + secret[11:]
	for _, bad := range []string{forged, "sa_" + strings.Repeat("A", 43), "", "sa_", secret + "x", "Bearer " + secret} {
		if _, ok, err := tokens.Authenticate(ctx, bad); ok || err != nil {
			t.Errorf("token %q: ok %v, err %v", bad, ok, err)
		}
	}

	list, err := tokens.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "planung" || list[0].LastUsedAt == nil || list[0].RevokedAt != nil {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := tokens.Revoke(ctx, "planung"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := tokens.Authenticate(ctx, secret); ok || err != nil {
		t.Errorf("revoked token: ok %v, err %v", ok, err)
	}
	if _, err := tokens.Revoke(ctx, "planung"); !errors.Is(err, access.ErrNoToken) {
		t.Errorf("revoke twice: %v", err)
	}
	// The name is free again; revoking by id works too. (Id 2 went to the
	// refused second "planung": identities are not rolled back.)
	tok2, _, err := tokens.Create(ctx, "planung", access.Admin)
	if err != nil || tok2.ID != 3 {
		t.Fatalf("new token of a revoked name: %+v %v", tok2, err)
	}
	if r, err := tokens.Revoke(ctx, "3"); err != nil || r.Name != "planung" || r.RevokedAt == nil {
		t.Errorf("revoke by id: %+v %v", r, err)
	}
}

func TestAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	audit := access.NewAudit(pool)
	size, rows := int64(10), int64(3)
	e, err := audit.Record(ctx, access.Entry{Actor: "cli:planer", Action: "import indicators", File: "a.csv",
		Size: &size, Rows: &rows, SHA256: "ab", Outcome: access.OK})
	if err != nil || e.ID != 1 {
		t.Fatalf("record: %+v %v", e, err)
	}
	if _, err := audit.Record(ctx, access.Entry{Actor: "x", Action: "y", Outcome: "maybe"}); err == nil {
		t.Error("an outcome other than ok or failed was recorded")
	}
	for _, s := range []string{`UPDATE audit_log SET actor = 'someone else'`, `DELETE FROM audit_log`} {
		if _, err := pool.Exec(ctx, s); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", s, err)
		}
	}
	list, err := audit.List(ctx, 0, 10)
	if err != nil || len(list) != 1 || list[0].Actor != "cli:planer" || *list[0].Rows != 3 {
		t.Fatalf("list: %+v %v", list, err)
	}
}

func TestMiddleware(t *testing.T) {
	ctx := context.Background()
	tokens := access.NewTokens(pgtest.NewDB(t))
	_, viewer, err := tokens.Create(ctx, "leser", access.Viewer)
	if err != nil {
		t.Fatal(err)
	}
	_, editor, err := tokens.Create(ctx, "planung", access.Editor)
	if err != nil {
		t.Fatal(err)
	}
	_, revoked, err := tokens.Create(ctx, "alt", access.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Revoke(ctx, "alt"); err != nil {
		t.Fatal(err)
	}

	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(access.From(r.Context()).Actor()))
	})
	mux := http.NewServeMux()
	mux.Handle("/data", whoami)
	mux.Handle("/healthz", whoami)
	mux.Handle("/import", access.Require(access.Editor)(whoami))

	for _, mode := range []access.Mode{access.Public, access.Login} {
		h := access.Authenticate(access.Config{Mode: mode, Tokens: tokens, Open: []string{"/healthz"}})(mux)
		loginOnly := func(public, login int) int {
			if mode == access.Login {
				return login
			}
			return public
		}
		for _, c := range []struct {
			path, auth string
			status     int
			// the challenge's error attribute (RFC 6750) of a 401 or 403
			code string
		}{
			{"/data", "", loginOnly(200, 401), ""},
			{"/data", "Bearer " + viewer, 200, ""},
			{"/data", "bearer " + editor, 200, ""},
			{"/data", "Bearer " + revoked, 401, "invalid_token"},
			{"/data", "Bearer " + viewer[:20] + "AAAA" + viewer[24:], 401, "invalid_token"},
			{"/data", "Bearer sa_../../etc/passwd", 401, "invalid_token"},
			{"/data", "Basic dXNlcjpwYXNz", 401, "invalid_request"},
			{"/healthz", "", 200, ""},
			{"/healthz", "Bearer forged", 200, ""},
			{"/import", "", 401, ""},
			{"/import", "Bearer " + viewer, 403, "insufficient_scope"},
			{"/import", "Bearer " + editor, 200, ""},
			{"/import", "Bearer " + revoked, 401, "invalid_token"},
		} {
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Errorf("%s: %s %q: status %d, want %d: %s", mode, c.path, c.auth, rec.Code, c.status, rec.Body)
				continue
			}
			challenge := rec.Header().Get("WWW-Authenticate")
			switch rec.Code {
			case 401, 403:
				var prob struct{ Status int }
				want := `Bearer realm="sozialatlas"`
				if c.code != "" {
					want += `, error="` + c.code + `"`
				}
				if challenge != want ||
					rec.Header().Get("Content-Type") != "application/problem+json" ||
					json.Unmarshal(rec.Body.Bytes(), &prob) != nil || prob.Status != rec.Code {
					t.Errorf("%s: %s %q: challenge %q, body %s", mode, c.path, c.auth, challenge, rec.Body)
				}
			}
		}
	}

	// Who the request acts as reaches the handler.
	h := access.Authenticate(access.Config{Mode: access.Public, Tokens: tokens})(mux)
	for auth, want := range map[string]string{"": "anonymous", "Bearer " + editor: "token:planung"} {
		req := httptest.NewRequest(http.MethodGet, "/data", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Body.String() != want {
			t.Errorf("%q acts as %q, want %q", auth, rec.Body, want)
		}
	}
}
