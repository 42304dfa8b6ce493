package server

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/graph"
	"github.com/maillage/maillage/postgres"
)

// presentError maps an error to a GraphQL error with extensions.code,
// deciding by what the error is, never by where it was caught:
//   - a domain error (*maillage.Error) keeps its code, message and field;
//   - gqlgen's own coded errors (parsing, validation, limits) pass as they are;
//   - an argument that did not coerce, or a federation representation naming
//     no entity, is the caller's input: BAD_USER_INPUT naming the argument;
//   - a database that cannot be reached is SERVICE_UNAVAILABLE, "service
//     unavailable, retry", logged with its cause;
//   - anything else is INTERNAL, "internal error", logged with its cause.
//
// The log line carries the request id (the server's log handler adds it from
// the context), and no driver or network text ever reaches the caller.
func (s *Server) presentError(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	var domainErr *maillage.Error
	var parsed *gqlerror.Error
	switch {
	case errors.As(err, &domainErr):
		gqlErr.Message = domainErr.Message
		gqlErr.Extensions = map[string]any{"code": domainErr.Code}
		if domainErr.Field != "" {
			gqlErr.Extensions["field"] = domainErr.Field
		}
	case errors.As(err, &parsed) && parsed.Extensions["code"] != nil:
		return gqlErr
	case badInput(ctx, err):
		gqlErr.Extensions = map[string]any{"code": maillage.EINVALID, "field": gqlErr.Path.String()}
	case postgres.Unavailable(err):
		s.log.WarnContext(ctx, "database unavailable", "err", err, "path", gqlErr.Path.String())
		gqlErr.Message = unavailableMessage
		gqlErr.Extensions = map[string]any{"code": maillage.EUNAVAILABLE}
	default:
		s.log.ErrorContext(ctx, "internal error", "err", err, "path", gqlErr.Path.String())
		gqlErr.Message = "internal error"
		gqlErr.Extensions = map[string]any{"code": maillage.EINTERNAL}
	}
	return gqlErr
}

// unavailableMessage is what a caller reads when the database is away.
const unavailableMessage = "service unavailable: the database cannot be reached, retry"

// badInput reports whether err comes from the caller's input rather than
// from running the operation: the current field's arguments failed to
// coerce (gqlgen reports it before the resolver runs, leaving the field
// without arguments), or an _entities representation names no entity type
// or none of its keys.
func badInput(ctx context.Context, err error) bool {
	if errors.Is(err, graph.ErrUnknownType) || errors.Is(err, graph.ErrTypeNotFound) || cause(err).Error() == noTypename {
		return true
	}
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && fc.Args == nil && len(fc.Field.Arguments) > 0
}

// noTypename is how gqlgen's federation code reports a representation
// without __typename: an error of no type of its own.
const noTypename = "__typename must be an existing string"

// cause is the innermost error of err's chain.
func cause(err error) error {
	for next := errors.Unwrap(err); next != nil; next = errors.Unwrap(err) {
		err = next
	}
	return err
}

// recoverPanic turns a resolver panic into an INTERNAL error; the stack goes
// to the log, never to the caller.
func recoverPanic(ctx context.Context, p any) error {
	slog.ErrorContext(ctx, "panic in resolver", "panic", p)
	return &maillage.Error{Code: maillage.EINTERNAL, Message: "internal error"}
}
