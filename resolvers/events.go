package resolvers

import (
	"context"
)

type connEnderKey struct{}

// WithConnectionEnder returns ctx carrying end, which the transport gives to
// close the whole connection when the event service ends a stream on its side
// (a slow consumer, a stopping instance), so that the client hears why.
func WithConnectionEnder(ctx context.Context, end func(err error)) context.Context {
	return context.WithValue(ctx, connEnderKey{}, end)
}

// endConnection returns the OnEnd of a subscription in ctx: the transport's
// connection ender, if any.
func endConnection(ctx context.Context) func(error) {
	end, _ := ctx.Value(connEnderKey{}).(func(error))
	return end
}
