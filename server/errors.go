package server

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/maillage/maillage"
)

// presentError maps a resolver's error to a GraphQL error with
// extensions.code. A domain error keeps its message (and the field at fault);
// anything else is logged with its cause and shown as "internal error".
func presentError(ctx context.Context, err error) *gqlerror.Error {
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
		// gqlgen's own coded errors (validation, parsing, limits) pass as they are.
		return gqlErr
	case errors.As(err, &parsed):
		// An argument that does not coerce (a Time that is not one, an
		// _entities representation of no known type): gqlgen puts the
		// argument's path on it; resolvers never return gqlerrors.
		gqlErr.Extensions = map[string]any{"code": maillage.EINVALID, "field": parsed.Path.String()}
	default:
		slog.ErrorContext(ctx, "internal error", "err", err, "path", gqlErr.Path.String())
		gqlErr.Message = "internal error"
		gqlErr.Extensions = map[string]any{"code": maillage.EINTERNAL}
	}
	return gqlErr
}

// recoverPanic turns a resolver panic into an INTERNAL error; the stack goes
// to the log, never to the caller.
func recoverPanic(ctx context.Context, p any) error {
	slog.ErrorContext(ctx, "panic in resolver", "panic", p)
	return &maillage.Error{Code: maillage.EINTERNAL, Message: "internal error"}
}
