package web

import (
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5/pgconn"
)

// queryCanceled is PostgreSQL's SQLSTATE for a statement cancelled, which
// is what statement_timeout does to a query running too long.
const queryCanceled = "57014"

// queryTimedOut reports whether err is a query that PostgreSQL cancelled.
// The service cancels nothing else on the server; a client that went away
// ends its query through its context, which Fail tells apart first.
func queryTimedOut(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == queryCanceled
}

// TimedOut answers 503 for a query that ran into the statement timeout:
// the server is fine but this request asks for more than it will compute
// at once, so the answer says so and suggests asking for less; Retry-After
// is left out, since the same request would time out again.
func TimedOut(w http.ResponseWriter, r *http.Request) {
	WriteProblem(w, r, Problem{Status: http.StatusServiceUnavailable,
		Title:  "Query took too long",
		Detail: "The database stopped this request's query at the service's time limit. Ask for less: a smaller bbox, a lower limit, a simpler filter or fewer indicators."})
}
