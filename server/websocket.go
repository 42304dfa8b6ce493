package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/resolvers"
)

// Websocket close codes the hub uses besides CloseUnauthenticated (4401: a
// refused or expired token).
const (
	CloseSlowConsumer   = websocket.ClosePolicyViolation
	CloseServiceRestart = websocket.CloseServiceRestart
	CloseInternal       = websocket.CloseInternalServerErr
	CloseTryAgainLater  = websocket.CloseTryAgainLater // the database is away: reconnect with the same token
)

// WebsocketMetrics counts websocket activity (the open subscriptions and
// delivered events also go to the Prometheus Metrics).
type WebsocketMetrics struct {
	Connections       atomic.Int64 // open now
	Refused           atomic.Int64 // connection_init refused (token)
	Subscriptions     atomic.Int64 // open now
	SubscriptionLimit atomic.Int64 // subscriptions refused by the per-connection bound
	SlowConsumers     atomic.Int64 // connections closed for a full buffer
	TokenExpired      atomic.Int64 // connections closed at token expiry
}

// checkOrigin lets browsers from the hub's own origin and the allowed ones
// open a websocket; clients that send no Origin (not browsers) may too.
func (s *Server) checkOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	o = normalizeOrigin(o)
	// The page that opens the socket came from this very host (the explorer
	// at / whatever name the hub was reached by), from the public URL, or
	// from an allowed origin such as the referral portal.
	if u, err := url.Parse(o); err == nil && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return o == normalizeOrigin(s.cfg.PublicURL) || slices.ContainsFunc(s.cfg.AllowedOrigins, func(a string) bool {
		return normalizeOrigin(a) == o
	})
}

func normalizeOrigin(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || p.Host == "" {
		return strings.ToLower(strings.TrimSpace(u))
	}
	return strings.ToLower(p.Scheme + "://" + p.Host)
}

// WebsocketInit is the InitFunc of the hub's websocket transport. It
// authenticates connection_init (identityFromInit: the token in
// {"Authorization": "Bearer …"}, as the explorer sends its headers, or
// {"token": "…"}, through the same Authenticator as HTTP): an invalid token
// refuses the connection with 4401 "UNAUTHENTICATED: invalid or expired
// token". Then, on this transport's own connection, it closes with 4401
// "UNAUTHENTICATED: token expired" when the token expires (both protocols see
// the code and reason), and with a reason when a stream is cut.
func (s *Server) WebsocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	ctx, err := s.identityFromInit(ctx, payload)
	if err != nil {
		return s.initRefused(ctx, err)
	}
	c, _ := ctx.Value(connKey{}).(*wsConn)
	if c == nil {
		return ctx, nil, nil // not on this hub's transport (a direct call): authentication only
	}
	s.ws.Connections.Add(1)
	c.onClose(func() { s.ws.Connections.Add(-1) })
	ctx, cancel := context.WithCancelCause(ctx)
	c.onClose(func() { cancel(nil) })
	if exp := maillage.IdentityFrom(ctx).TokenExpiry; !exp.IsZero() {
		t := time.AfterFunc(time.Until(exp), func() {
			s.ws.TokenExpired.Add(1)
			// The close frame first: cancelling first would let the transport
			// close with "terminated" before the reason is written.
			c.closeWith(CloseUnauthenticated, maillage.EUNAUTHENTICATED+": "+maillage.ErrTokenExpired.Message)
			cancel(maillage.ErrTokenExpired)
		})
		c.onClose(func() { t.Stop() })
	}
	ctx = resolvers.WithConnectionEnder(ctx, func(err error) {
		switch {
		case errors.Is(err, maillage.ErrSlowConsumer):
			s.ws.SlowConsumers.Add(1)
			c.closeWith(CloseSlowConsumer, "slow consumer: resubscribe with after: <last cursor>")
		case errors.Is(err, maillage.ErrShuttingDown):
			c.closeWith(CloseServiceRestart, "instance restarting: resubscribe with after: <last cursor>")
		case maillage.ErrorCode(err) == maillage.ECURSOREXPIRED:
			// Events after the stream's position were pruned while it caught
			// up: resubscribing with that cursor gets CURSOR_EXPIRED.
			c.closeWith(CloseTryAgainLater, "CURSOR_EXPIRED: events after your last cursor were pruned: refetch, then subscribe without after")
		case postgres.Unavailable(err) || maillage.ErrorCode(err) == maillage.EUNAVAILABLE:
			// 1013, not 1011: graphql-ws clients give up after 1011.
			c.closeWith(CloseTryAgainLater, "database unavailable: resubscribe with after: <last cursor>")
		default:
			c.closeWith(CloseInternal, "internal error: resubscribe with after: <last cursor>")
		}
	})
	ctx = context.WithValue(ctx, subCountKey{}, &atomic.Int64{})
	return ctx, nil, nil
}

// initRefused closes a websocket whose connection_init failed: 4401 for a
// token that does not verify (graphql-ws clients then stop retrying); when
// the token could not be checked, 1013 "try again later" if the issuer's keys
// or the database are away and 1011 otherwise, both codes that clients retry
// with the same token. The error returned (sent to legacy graphql-ws
// clients) carries no driver text.
func (s *Server) initRefused(ctx context.Context, err error) (context.Context, *transport.InitPayload, error) {
	code, refusal := CloseUnauthenticated, maillage.Errorf(maillage.EUNAUTHENTICATED, "%s", maillage.ErrorMessage(err))
	switch {
	case maillage.ErrorCode(err) == maillage.EUNAUTHENTICATED:
		s.ws.Refused.Add(1)
	case maillage.ErrorCode(err) == maillage.EINVALID: // a malformed payload: 4400, as the protocol's own
		s.ws.Refused.Add(1)
		code, refusal = closeBadRequest, maillage.Errorf(maillage.EINVALID, "%s", maillage.ErrorMessage(err))
	case errors.As(err, new(issuerUnavailable)):
		s.log.WarnContext(ctx, "websocket token not checked: issuer keys unavailable", "err", err)
		code, refusal = CloseTryAgainLater, maillage.Errorf(maillage.EUNAVAILABLE, "%s", issuerUnavailableMessage)
	case postgres.Unavailable(err):
		s.log.WarnContext(ctx, "websocket token not checked: database unavailable", "err", err)
		code, refusal = CloseTryAgainLater, maillage.Errorf(maillage.EUNAVAILABLE, "%s", unavailableMessage)
	default:
		s.log.ErrorContext(ctx, "websocket token not checked: internal error", "err", err)
		code, refusal = CloseInternal, maillage.Errorf(maillage.EINTERNAL, "internal error")
	}
	return context.WithValue(ctx, refusalKey{}, initClose{code, refusal.Code + ": " + refusal.Message}), nil, refusal
}

// refusalKey carries, in the context of a refused connection_init, the
// close code and reason of the refusal.
type refusalKey struct{}

type initClose struct {
	code   int
	reason string
}

// initRefusal returns the close code and reason for a refused
// connection_init: initRefused's, or 4403 Forbidden.
func initRefusal(ctx context.Context) (int, string) {
	if r, ok := ctx.Value(refusalKey{}).(initClose); ok {
		return r.code, r.reason
	}
	return 4403, "Forbidden"
}

// subscriptionLimit bounds the subscriptions open on one connection.
type subscriptionLimit struct {
	max     int
	metrics *WebsocketMetrics
	prom    *Metrics
}

type subCountKey struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = subscriptionLimit{}

func (subscriptionLimit) ExtensionName() string                          { return "SubscriptionLimit" }
func (subscriptionLimit) Validate(schema graphql.ExecutableSchema) error { return nil }

// InterceptOperation counts a connection's subscriptions, and refuses one
// above the bound with BAD_USER_INPUT.
func (l subscriptionLimit) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	n, _ := ctx.Value(subCountKey{}).(*atomic.Int64)
	if n == nil || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	if n.Add(1) > int64(l.max) {
		n.Add(-1)
		l.metrics.SubscriptionLimit.Add(1)
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "too many subscriptions on this connection: at most " + strconv.Itoa(l.max) + "; complete one first",
			Extensions: map[string]any{"code": maillage.EINVALID},
		}}})
	}
	l.metrics.Subscriptions.Add(1)
	closed := l.prom.SubscriptionOpened()
	context.AfterFunc(ctx, func() {
		n.Add(-1)
		l.metrics.Subscriptions.Add(-1)
		closed()
	})
	return next(ctx)
}
