package maillage

import (
	"errors"
	"fmt"
)

// Error codes, returned to GraphQL clients as extensions.code.
const (
	EINVALID         = "BAD_USER_INPUT"
	EUNAUTHENTICATED = "UNAUTHENTICATED"
	EFORBIDDEN       = "FORBIDDEN"
	ENOTFOUND        = "NOT_FOUND"
	ECONFLICT        = "CONFLICT"
	EINTERNAL        = "INTERNAL"
	// EUNAVAILABLE: the database could not be reached or did not answer in
	// time; the same request may be retried (HTTP 503 where the transport
	// allows).
	EUNAVAILABLE = "SERVICE_UNAVAILABLE"
)

// Error is a domain error: a code, a message meant for the caller, and, for
// invalid input, the path of the field at fault (e.g. "input.rpps").
type Error struct {
	Code    string
	Message string
	Field   string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField returns a BAD_USER_INPUT error naming the field at fault.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Message: field + ": " + fmt.Sprintf(format, args...), Field: field}
}

// NotFound returns the NOT_FOUND error shown for an object that does not exist
// or that the caller may not know exists: the two look the same.
func NotFound(kind string) *Error {
	return Errorf(ENOTFOUND, "%s not found", kind)
}

// ErrorCode returns the code of the first *Error in err's chain, INTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the caller-facing message of err: the message of its
// *Error, or "internal error" for anything else, whose cause must not leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
