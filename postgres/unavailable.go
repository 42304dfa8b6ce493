package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
)

// Unavailable reports whether err means that PostgreSQL could not be reached
// or did not answer in time: a refused, reset or cut connection, a network
// timeout, a deadline that passed while waiting for it, a server shutting
// down, starting up or out of connections, a statement cancelled by
// statement_timeout. Nothing the caller sent caused it, and the same request
// may succeed once the database is back.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return unavailableCode(string(pqErr.Code))
	}
	var netErr net.Error
	return errors.As(err, &netErr) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}

// unavailableCode reports whether a PostgreSQL SQLSTATE says the server, not
// the statement, is at fault.
func unavailableCode(code string) bool {
	switch code {
	case "57P01", // admin_shutdown
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now (starting up, shutting down)
		"57014", // query_canceled: statement_timeout, or a request's deadline
		"53300", // too_many_connections
		"25P03", // idle_in_transaction_session_timeout
		"40P01": // deadlock_detected: retrying succeeds
		return true
	}
	return len(code) == 5 && code[:2] == "08" // connection_exception
}
