package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
)

// Fail answers an error from a store: 503 while the database cannot be
// reached, nothing for a client that went away, 500 otherwise — each
// logged with the request id, none with the error's text in the answer.
func Fail(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	switch {
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		logger.InfoContext(r.Context(), "client went away", "request_id", RequestIDFrom(r.Context()))
	case queryTimedOut(err):
		logger.WarnContext(r.Context(), "query timed out",
			"request_id", RequestIDFrom(r.Context()), "error", err.Error())
		TimedOut(w, r)
	case DatabaseUnavailable(err):
		logger.ErrorContext(r.Context(), "database unreachable",
			"request_id", RequestIDFrom(r.Context()), "error", err.Error())
		w.Header().Set("Retry-After", DatabaseRetryAfter)
		WriteProblem(w, r, Problem{Status: http.StatusServiceUnavailable,
			Detail: "The database is not reachable right now; try again shortly."})
	default:
		InternalError(w, r, logger, err)
	}
}
