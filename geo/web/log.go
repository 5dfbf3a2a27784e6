package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// AccessLog logs one line per request once it is answered. It belongs
// inside RequestID so the line carries the request id.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			defer func() {
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK // nothing written: net/http sends 200
				}
				logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("query", r.URL.RawQuery),
					slog.Int("status", status),
					slog.Int("bytes", ww.BytesWritten()),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
					slog.String("request_id", RequestIDFrom(r.Context())),
				)
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// Recoverer turns a panic in a handler into a logged error with stack and a
// 500 problem. http.ErrAbortHandler passes through: it is how a handler
// aborts a response that is already under way.
func Recoverer(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww, ok := w.(middleware.WrapResponseWriter)
			if !ok {
				ww = middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			}
			defer func() {
				rec := recover()
				if rec == nil {
					return
				}
				if err, ok := rec.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(rec)
				}
				logger.ErrorContext(r.Context(), "panic",
					"request_id", RequestIDFrom(r.Context()),
					"method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
				if err, ok := rec.(error); ok && DatabaseUnavailable(err) && ww.Status() == 0 {
					// A store that panics with an error of a lost
					// connection is still an outage, not a bug.
					ww.Header().Set("Retry-After", DatabaseRetryAfter)
					WriteProblem(ww, r, Problem{Status: http.StatusServiceUnavailable,
						Detail: "The database is not reachable right now; try again shortly."})
					return
				}
				if ww.Status() != 0 {
					// Too late for a problem body: cut the connection so the
					// client does not take a truncated answer as complete.
					panic(http.ErrAbortHandler)
				}
				WriteProblem(ww, r, Problem{
					Status: http.StatusInternalServerError,
					Detail: "The server could not answer this request; the request id identifies it in the server's log.",
				})
			}()
			next.ServeHTTP(ww, r)
		})
	}
}
