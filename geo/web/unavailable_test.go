package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestDatabaseUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "unix", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connect refused", &pgconn.ConnectError{Config: &pgconn.Config{}}, true},
		{"socket refused", fmt.Errorf("level gemeinde: %w", refused), true},
		{"reset", fmt.Errorf("query: %w", syscall.ECONNRESET), true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"deadline", fmt.Errorf("acquire: %w", context.DeadlineExceeded), true},
		{"closed conn", errors.New("tile: conn closed"), true},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"division by zero", &pgconn.PgError{Code: "22012"}, false},
		{"plain", errors.New("no such level"), false},
		{"canceled", context.Canceled, false},
	}
	for _, tt := range tests {
		if got := DatabaseUnavailable(tt.err); got != tt.want {
			t.Errorf("%s: DatabaseUnavailable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestFailAnswers503WhileTheDatabaseIsAway(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/collections/kreis/items", nil)
	Fail(rec, req, slog.New(slog.DiscardHandler), fmt.Errorf("items: %w", &pgconn.PgError{Code: "57P01"}))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != DatabaseRetryAfter {
		t.Errorf("Retry-After %q, want %q", got, DatabaseRetryAfter)
	}
	if got := rec.Header().Get("Content-Type"); got != ProblemMediaType {
		t.Errorf("Content-Type %q, want %q", got, ProblemMediaType)
	}

	rec = httptest.NewRecorder()
	Fail(rec, req, slog.New(slog.DiscardHandler), &pgconn.PgError{Code: "42601"})
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("syntax error: status %d, want 500", rec.Code)
	}
}

func TestRecovererAnswers503ForALostConnection(t *testing.T) {
	h := Recoverer(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(fmt.Errorf("scan: %w", io.ErrUnexpectedEOF))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != DatabaseRetryAfter {
		t.Errorf("status %d, Retry-After %q; want 503 with %s", rec.Code, rec.Header().Get("Retry-After"), DatabaseRetryAfter)
	}
}
