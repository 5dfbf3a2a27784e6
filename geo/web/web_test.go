package web

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	const (
		json = "application/json"
		geo  = "application/geo+json"
		html = "text/html"
		oas  = "application/vnd.oai.openapi+json;version=3.0"
	)
	tests := []struct {
		accept string
		offers []string
		want   string
	}{
		{"", []string{json, html}, json},
		{"*/*", []string{json, html}, json},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", []string{json, html}, html},
		{"application/json", []string{json, html}, json},
		{"application/geo+json, application/json;q=0.5", []string{json, geo}, geo},
		{"application/*", []string{html, json}, json},
		{"text/html;q=0", []string{html}, ""},
		{"image/png", []string{json, html}, ""},
		{"application/vnd.oai.openapi+json;version=3.0, application/json", []string{oas, json}, oas},
		{"*", []string{json}, json},
		{"application/json;q=bogus, text/html", []string{json, html}, html},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.accept, tt.offers...); got != tt.want {
			t.Errorf("Negotiate(%q, %v) = %q, want %q", tt.accept, tt.offers, got, tt.want)
		}
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		name string
		base BaseURL
		tls  bool
		fwd  map[string]string
		want string
	}{
		{"public", BaseURL{Public: "https://atlas.example.org/sozial/"}, false, nil, "https://atlas.example.org/sozial"},
		{"plain", BaseURL{}, false, map[string]string{"X-Forwarded-Host": "evil.example"}, "http://svc.local:8080"},
		{"tls", BaseURL{}, true, nil, "https://svc.local:8080"},
		{"proxy", BaseURL{TrustProxy: true}, false,
			map[string]string{"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "atlas.example.org"}, "https://atlas.example.org"},
		{"proxy bad proto", BaseURL{TrustProxy: true}, false,
			map[string]string{"X-Forwarded-Proto": "gopher"}, "http://svc.local:8080"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://svc.local:8080/collections", nil)
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		for k, v := range tt.fwd {
			r.Header.Set(k, v)
		}
		if got := tt.base.For(r); got != tt.want {
			t.Errorf("%s: For = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRequestID(t *testing.T) {
	var seen string
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = RequestIDFrom(r.Context())
	}))
	tests := []struct {
		in   string
		keep bool
	}{
		{"abc-123_X.y", true},
		{"", false},
		{"has space", false},
		{"line\nbreak", false},
		{strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.in != "" {
			r.Header[RequestIDHeader] = []string{tt.in}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header().Get(RequestIDHeader)
		if got != seen {
			t.Errorf("%q: header %q, context %q", tt.in, got, seen)
		}
		if tt.keep && got != tt.in {
			t.Errorf("%q: replaced by %q", tt.in, got)
		}
		if !tt.keep && (got == tt.in || len(got) != 24) {
			t.Errorf("%q: got %q, want a fresh 24-hex-digit id", tt.in, got)
		}
	}
}

func TestProblems(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	tests := []struct {
		name   string
		write  func(w http.ResponseWriter, r *http.Request)
		status int
		detail string
	}{
		{"400", func(w http.ResponseWriter, r *http.Request) { BadRequest(w, r, "limit: not a number") }, 400, "limit: not a number"},
		{"404", func(w http.ResponseWriter, r *http.Request) { NotFound(w, r, "no level x") }, 404, "no level x"},
		{"406", func(w http.ResponseWriter, r *http.Request) { NotAcceptable(w, r, "offers application/json") }, 406, "offers application/json"},
		{"503", func(w http.ResponseWriter, r *http.Request) { Unavailable(w, r, "database unreachable") }, 503, "database unreachable"},
		{"500", func(w http.ResponseWriter, r *http.Request) {
			InternalError(w, r, logger, errors.New(`ERROR: relation "area" does not exist (SQLSTATE 42P01)`))
		}, 500, "The server could not answer this request; the request id identifies it in the server's log."},
		{"panic", func(w http.ResponseWriter, r *http.Request) {
			Recoverer(logger)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom SELECT 1") })).ServeHTTP(w, r)
		}, 500, "The server could not answer this request; the request id identifies it in the server's log."},
	}
	for _, tt := range tests {
		logs.Reset()
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/collections/x/items?limit=a", nil)
		r.Header.Set(RequestIDHeader, "req-"+tt.name)
		RequestID(http.HandlerFunc(tt.write)).ServeHTTP(w, r)
		if w.Code != tt.status {
			t.Errorf("%s: status %d", tt.name, w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != ProblemMediaType {
			t.Errorf("%s: content type %q", tt.name, ct)
		}
		var p Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		want := Problem{Type: "about:blank", Title: http.StatusText(tt.status), Status: tt.status,
			Detail: tt.detail, Instance: "/collections/x/items?limit=a", RequestID: "req-" + tt.name}
		if p != want {
			t.Errorf("%s: problem %+v, want %+v", tt.name, p, want)
		}
		if tt.status == 500 {
			if strings.Contains(w.Body.String(), "SQLSTATE") || strings.Contains(w.Body.String(), "SELECT") {
				t.Errorf("%s: body leaks the cause: %s", tt.name, w.Body.String())
			}
			if !strings.Contains(logs.String(), `"request_id":"req-`+tt.name+`"`) {
				t.Errorf("%s: log lacks request id: %s", tt.name, logs.String())
			}
		}
	}
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := RequestID(AccessLog(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("12345"))
	})))
	r := httptest.NewRequest("GET", "/a/b?x=1", nil)
	r.Header.Set(RequestIDHeader, "r1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", logs.String(), err)
	}
	for k, want := range map[string]any{"method": "GET", "path": "/a/b", "query": "x=1",
		"status": 418.0, "bytes": 5.0, "request_id": "r1"} {
		if line[k] != want {
			t.Errorf("%s = %v, want %v", k, line[k], want)
		}
	}
	if _, ok := line["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms missing: %v", line)
	}
}

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	WriteJSON(w, r, nil, 200, "application/geo+json", map[string]int{"a": 1})
	if w.Body.String() != "{\"a\":1}\n" || w.Header().Get("Content-Type") != "application/geo+json" ||
		w.Header().Get("Content-Length") != "8" {
		t.Errorf("got %q %v", w.Body.String(), w.Header())
	}
	w = httptest.NewRecorder()
	WriteJSON(w, r, slog.New(slog.DiscardHandler), 200, "", func() {})
	if w.Code != 500 {
		t.Errorf("unencodable value: status %d", w.Code)
	}
}
