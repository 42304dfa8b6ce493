package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// websocketTransport is gqlgen's websocket transport on gorilla/websocket:
// both subprotocols, keep-alives, authentication from connection_init.
func (s *Server) websocketTransport() transport.Websocket {
	return transport.Websocket{
		Implementation: gorillaWebsocket{
			// No buffer sizes: gorilla reuses the 4 KiB read and write
			// buffers of the hijacked HTTP connection, which net/http keeps
			// for as long as the handler (the websocket) runs anyway.
			upgrader:     websocket.Upgrader{CheckOrigin: s.checkOrigin},
			writeTimeout: s.cfg.WebsocketWriteTimeout,
			pingEvery:    s.cfg.WebsocketPingInterval,
		},
		InitFunc:              s.WebsocketInit,
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: s.cfg.WebsocketPingInterval, // legacy graphql-ws "ka"
		// graphql-transport-ws pings come from a timer of the connection
		// (wsConn.ping), not from a goroutine per connection as gqlgen's
		// PingPongInterval would: a goroutine is 8 KiB of stack.
		ErrorFunc: func(ctx context.Context, err error) {
			slog.DebugContext(ctx, "websocket", "err", err)
		},
	}
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

// connKey carries, in an upgrade request's context, the slot where the
// adapter puts the connection, so connection_init can act on it.
type connKey struct{}

type connSlot struct{ conn *wsConn }

// withConnSlot gives websocket upgrade requests a connection slot.
func withConnSlot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) {
			r = r.WithContext(context.WithValue(r.Context(), connKey{}, &connSlot{}))
		}
		next.ServeHTTP(w, r)
	})
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
	slot, _ := ctx.Value(connKey{}).(*connSlot)
	if slot == nil || slot.conn == nil {
		return ctx, nil, nil // not on this hub's transport (a direct call): authentication only
	}
	c := slot.conn
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
// the token could not be checked, 1013 "try again later" if the database is
// away and 1011 otherwise, both codes that clients retry with the same
// token. The error returned (sent to legacy graphql-ws clients) carries no
// driver text.
func (s *Server) initRefused(ctx context.Context, err error) (context.Context, *transport.InitPayload, error) {
	code, refusal := CloseUnauthenticated, maillage.Errorf(maillage.EUNAUTHENTICATED, "%s", maillage.ErrorMessage(err))
	switch {
	case maillage.ErrorCode(err) == maillage.EUNAUTHENTICATED:
		s.ws.Refused.Add(1)
	case postgres.Unavailable(err):
		s.log.WarnContext(ctx, "websocket token not checked: database unavailable", "err", err)
		code, refusal = CloseTryAgainLater, maillage.Errorf(maillage.EUNAVAILABLE, "%s", unavailableMessage)
	default:
		s.log.ErrorContext(ctx, "websocket token not checked: internal error", "err", err)
		code, refusal = CloseInternal, maillage.Errorf(maillage.EINTERNAL, "internal error")
	}
	ctx = transport.AppendCloseReason(ctx, refusal.Code+": "+refusal.Message)
	return transport.WithWebsocketCloseCode(ctx, code), nil, refusal
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

// gorillaWebsocket implements gqlgen's WebsocketImplementation with
// gorilla/websocket.
type gorillaWebsocket struct {
	upgrader     websocket.Upgrader
	writeTimeout time.Duration
	pingEvery    time.Duration
}

var _ transport.WebsocketImplementation = gorillaWebsocket{}

// Accept upgrades the request, offering gqlgen's subprotocols.
func (g gorillaWebsocket) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	up := g.upgrader
	for _, p := range opts.Subprotocols {
		if !slices.Contains(up.Subprotocols, p) {
			up.Subprotocols = append(up.Subprotocols, p)
		}
	}
	conn, err := up.Upgrade(w, r, opts.ResponseHeader)
	if err != nil {
		return nil, err
	}
	c := &wsConn{conn: conn, writeTimeout: g.writeTimeout}
	if conn.Subprotocol() == "graphql-transport-ws" && g.pingEvery > 0 {
		c.startPings(g.pingEvery)
	}
	if slot, _ := r.Context().Value(connKey{}).(*connSlot); slot != nil {
		slot.conn = c
	}
	return c, nil
}

// wsConn is one gorilla connection as gqlgen's WebsocketConn, with a read
// limit, read deadlines, write deadlines (a client that stops reading is cut
// off), and a close that says why, once.
type wsConn struct {
	conn         *websocket.Conn
	writeTimeout time.Duration
	wmu          sync.Mutex // one writer at a time: gqlgen's and the pings

	pingEvery    time.Duration
	pinger       *time.Timer
	awaitingPong atomic.Bool

	mu       sync.Mutex
	closing  bool     // a close frame was sent
	closed   bool     // the connection is closed
	onCloses []func() // run once, at close
}

var (
	_ transport.WebsocketConn          = (*wsConn)(nil)
	_ transport.WebsocketReadLimiter   = (*wsConn)(nil)
	_ transport.WebsocketReadDeadliner = (*wsConn)(nil)
)

// NextReader returns the next message; a normal close by the peer is
// transport.ErrWebsocketClosed. Any read error closes the connection.
func (c *wsConn) NextReader() (int, io.Reader, error) {
	t, r, err := c.conn.NextReader()
	if err != nil {
		c.Close()
		if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseNoStatusReceived, websocket.CloseGoingAway) {
			return t, nil, transport.ErrWebsocketClosed
		}
		return t, nil, err
	}
	return t, r, nil
}

// WriteJSON writes one message within the write timeout (gqlgen serializes writes).
func (c *wsConn) WriteJSON(v any) error {
	c.wmu.Lock()
	if c.writeTimeout > 0 {
		c.conn.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	}
	err := c.conn.WriteJSON(v)
	c.wmu.Unlock()
	if err != nil {
		c.Close()
	}
	return err
}

// startPings sends a graphql-transport-ws ping every interval from a timer,
// and expects a pong within two intervals, as gqlgen's PingPongInterval
// does with a goroutine: a missing pong fails the transport's next read.
func (c *wsConn) startPings(every time.Duration) {
	c.pingEvery = every
	c.awaitingPong.Store(true)
	c.conn.SetReadDeadline(time.Now().Add(2 * every))
	c.mu.Lock()
	c.pinger = time.AfterFunc(every, c.ping)
	c.mu.Unlock()
	c.onClose(func() { c.mu.Lock(); c.pinger.Stop(); c.mu.Unlock() })
}

func (c *wsConn) ping() {
	if !c.awaitingPong.Swap(true) {
		c.conn.SetReadDeadline(time.Now().Add(2 * c.pingEvery))
	}
	if c.WriteJSON(struct {
		Type string `json:"type"`
	}{"ping"}) == nil {
		c.mu.Lock()
		if !c.closed {
			c.pinger.Reset(c.pingEvery)
		}
		c.mu.Unlock()
	}
}

// WriteClose sends a close frame, unless one was already sent.
func (c *wsConn) WriteClose(code int, message string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeCloseLocked(code, message)
}

func (c *wsConn) writeCloseLocked(code int, message string) error {
	if c.closing || c.closed {
		return nil
	}
	c.closing = true
	if len(message) > 123 {
		message = message[:123]
	}
	return c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, message), time.Now().Add(time.Second))
}

// closeWith ends the connection from the hub's side with a code and reason:
// the close frame first, then the connection once the peer answers or a
// second has passed.
func (c *wsConn) closeWith(code int, reason string) {
	c.mu.Lock()
	err := c.writeCloseLocked(code, reason)
	c.mu.Unlock()
	if err != nil {
		c.Close()
		return
	}
	time.AfterFunc(time.Second, func() { c.Close() })
}

// Close closes the connection and runs the close hooks, once.
func (c *wsConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	hooks := c.onCloses
	c.onCloses = nil
	c.mu.Unlock()
	for _, f := range hooks {
		f()
	}
	return c.conn.Close()
}

// onClose registers f to run when the connection closes (at once if it is).
func (c *wsConn) onClose(f func()) {
	c.mu.Lock()
	if !c.closed {
		c.onCloses = append(c.onCloses, f)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	f()
}

// Subprotocol is the negotiated subprotocol.
func (c *wsConn) Subprotocol() string { return c.conn.Subprotocol() }

// SetReadLimit bounds a message's size.
func (c *wsConn) SetReadLimit(limit int64) { c.conn.SetReadLimit(limit) }

// SetReadDeadline sets when a read fails (a missing pong).
// The transport clears it when a pong arrives.
func (c *wsConn) SetReadDeadline(t time.Time) error {
	if t.IsZero() {
		c.awaitingPong.Store(false)
	}
	return c.conn.SetReadDeadline(t)
}
