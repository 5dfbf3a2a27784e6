package web

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// DatabaseRetryAfter is the Retry-After, in seconds, of answers given while
// the database cannot be reached: a restarted PostgreSQL accepts connections
// again within seconds, and the pool reconnects by itself.
const DatabaseRetryAfter = "5"

// unavailableStates are the SQLSTATEs of a server that is going away or not
// there yet: admin_shutdown (pg_ctl stop, pg_terminate_backend),
// crash_shutdown (another backend crashed), cannot_connect_now (starting,
// stopping or recovering) and too_many_connections. Class 08, connection
// exceptions, is matched by its prefix.
var unavailableStates = map[string]bool{
	"57P01": true,
	"57P02": true,
	"57P03": true,
	"53300": true,
}

// DatabaseUnavailable reports whether err says that the database could not
// be reached or went away during the request, rather than that the request
// or the code is wrong: a failed connect, a connection cut by a shutdown or
// a crash, a refused or reset socket, a deadline that ran out while waiting
// for a connection. Such errors are answered 503 and pass once PostgreSQL is
// back.
func DatabaseUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableStates[pgErr.Code] || strings.HasPrefix(pgErr.Code, "08")
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		// The request's own deadline ran out, most often while the pool
		// waited for a connection it could not make.
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	// pgconn reports a connection that a failed read or write has closed
	// with an unexported error type; its text is all there is to go by.
	return strings.Contains(err.Error(), "conn closed")
}
