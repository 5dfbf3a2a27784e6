package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A query cancelled by statement_timeout, however deeply wrapped, is a
// 503 saying so, logged as a warning with the cause.
func TestFailTimedOut(t *testing.T) {
	var logs bytes.Buffer
	err := fmt.Errorf("items of kreis: %w", &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/collections/kreis/items", nil)
	Fail(w, r, slog.New(slog.NewJSONHandler(&logs, nil)), err)
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	want := Problem{Type: "about:blank", Title: "Query took too long", Status: 503,
		Detail:   "The database stopped this request's query at the service's time limit. Ask for less: a smaller bbox, a lower limit, a simpler filter or fewer indicators.",
		Instance: "/collections/kreis/items"}
	if w.Code != 503 || p != want {
		t.Errorf("%d %+v, want %+v", w.Code, p, want)
	}
	if strings.Contains(w.Body.String(), "canceling") {
		t.Errorf("the answer tells PostgreSQL's message: %s", w.Body)
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"query timed out"`) || !strings.Contains(logs.String(), "statement timeout") {
		t.Errorf("log %s", logs.String())
	}
	// Any other PostgreSQL error stays a 500.
	w = httptest.NewRecorder()
	Fail(w, r, slog.New(slog.DiscardHandler), &pgconn.PgError{Code: "42P01"})
	if w.Code != 500 {
		t.Errorf("42P01: %d", w.Code)
	}
}
