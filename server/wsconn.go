package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/resolvers"
)

// The websocket subprotocols: graphql-transport-ws (the graphql-ws npm
// client, Apollo Client 3's GraphQLWsLink, urql, gateways) and the legacy
// graphql-ws of subscriptions-transport-ws, also chosen when the client
// names none (as gqlgen's transport did).
const (
	protoTransportWS = "graphql-transport-ws"
	protoLegacyWS    = "graphql-ws"
)

// Close codes of graphql-transport-ws (its PROTOCOL.md) besides 4401.
const (
	closeBadRequest   = 4400 // a message the protocol does not allow
	closeInitTimeout  = 4408 // no connection_init in time
	closeDuplicateID  = 4409 // "Subscriber for <id> already exists"
	closeTooManyInits = 4429 // a second connection_init
	wsInitTimeout     = 10 * time.Second
	wsReadBufferSize  = 1 << 10 // client messages are small; larger ones read through
	wsWriteBufferSize = 1 << 10 // from a pool, held only while a message is written
)

// wsWriteBuffers lends write buffers to connections while they write.
var wsWriteBuffers = &sync.Pool{}

// wsMessage is a protocol message, either way.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsTransport serves GraphQL over websockets with one goroutine per
// connection, its read loop (see wsRuntime for the rest): it parses and
// runs each operation with gqlgen's executor (validation, complexity,
// extensions, error presentation as over HTTP), and reads a subscription's
// event channel only when the event service says an event is ready (see
// resolvers.EventReadiness), on a worker of the shared pool.
type wsTransport struct {
	s        *Server
	rt       *wsRuntime
	upgrader websocket.Upgrader
	init     func(ctx context.Context, payload map[string]any) (context.Context, error)
}

var _ graphql.Transport = (*wsTransport)(nil)

// websocketTransport returns the hub's websocket transport.
func (s *Server) websocketTransport() *wsTransport {
	return &wsTransport{
		s:  s,
		rt: s.wsrt,
		upgrader: websocket.Upgrader{
			CheckOrigin:     s.checkOrigin,
			Subprotocols:    []string{protoLegacyWS, protoTransportWS}, // gqlgen's order: the legacy first when a client offers both
			ReadBufferSize:  wsReadBufferSize,
			WriteBufferSize: wsWriteBufferSize,
			WriteBufferPool: wsWriteBuffers,
		},
		init: func(ctx context.Context, payload map[string]any) (context.Context, error) {
			ctx, _, err := s.WebsocketInit(ctx, payload)
			return ctx, err
		},
	}
}

func (*wsTransport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

// Do upgrades the request and hands the connection to a read loop of its
// own; the HTTP handler returns at once, so that neither its stack nor the
// request stays behind (see connContext).
func (t *wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	conn, err := t.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered (403 for a foreign origin, 400…)
	}
	c := &wsConn{t: t, conn: conn, exec: exec, legacy: conn.Subprotocol() != protoTransportWS,
		ctx: connContext(r.Context()), ops: map[string]*wsOp{}}
	conn.SetReadLimit(t.s.cfg.MaxBodyBytes)
	go c.serve()
}

// connContext returns the context of a connection upgraded from a request
// with context rctx: its request id and the identity of its Authorization
// header, if any; not the request's end, nor its other values (the access
// log's, the HTTP span), so that every lookup in an operation's context
// walks a short chain.
func connContext(rctx context.Context) context.Context {
	ctx := maillage.WithRequestID(context.Background(), maillage.RequestID(rctx))
	if id := maillage.IdentityFrom(rctx); !id.Anonymous() {
		ctx = maillage.WithIdentity(ctx, id)
	}
	return ctx
}

// wsConn is one websocket connection.
type wsConn struct {
	t      *wsTransport
	conn   *websocket.Conn
	exec   graphql.GraphExecutor
	legacy bool            // graphql-ws rather than graphql-transport-ws
	ctx    context.Context // the connection's: its identity once initialised

	wmu        sync.Mutex   // one writer at a time
	deadline   time.Time    // of writes, under wmu
	unanswered atomic.Int32 // pings sent since the last pong

	mu       sync.Mutex
	ops      map[string]*wsOp // running operations by id
	acked    bool             // connection_ack sent
	closing  bool             // a close frame was sent
	closed   bool             // the connection is closed
	onCloses []func()         // run once, at close
}

// connKey carries, in the context connection_init is checked in, the
// connection it came on (WebsocketInit acts on it).
type connKey struct{}

// serve is the read loop: connection_init first (within wsInitTimeout),
// then operations until the connection ends.
func (c *wsConn) serve() {
	defer c.Close()
	c.conn.SetReadDeadline(time.Now().Add(wsInitTimeout))
	for {
		var m wsMessage
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			var ne interface{ Timeout() bool }
			if !c.isAcked() && errors.As(err, &ne) && ne.Timeout() {
				c.protocolClose(closeInitTimeout, "Connection initialisation timeout")
			}
			return
		}
		if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
			c.protocolClose(closeBadRequest, "Invalid message received")
			return
		}
		if !c.handle(m) {
			return
		}
	}
}

// handle acts on one client message; false ends the read loop.
func (c *wsConn) handle(m wsMessage) bool {
	acked := c.isAcked()
	switch {
	case m.Type == "connection_init" && !acked:
		return c.initialise(m.Payload)
	case m.Type == "connection_init":
		c.protocolClose(closeTooManyInits, "Too many initialisation requests")
		return false
	case m.Type == "ping" && !c.legacy:
		c.writeMessage(wsMessage{Type: "pong", Payload: m.Payload})
	case m.Type == "pong" && !c.legacy:
		c.unanswered.Store(0)
	case m.Type == "connection_terminate" && c.legacy:
		c.closeWith(websocket.CloseNormalClosure, "terminated")
		return false
	case !acked && (m.Type == "subscribe" || m.Type == "start"):
		c.protocolClose(CloseUnauthenticated, "Unauthorized")
		return false
	case m.Type == "subscribe" && !c.legacy, m.Type == "start" && c.legacy:
		return c.start(m.ID, m.Payload)
	case m.Type == "complete" && !c.legacy, m.Type == "stop" && c.legacy:
		c.stop(m.ID)
	default:
		c.protocolClose(closeBadRequest, "Invalid message received: unexpected "+m.Type)
		return false
	}
	return true
}

// protocolClose ends the connection for a protocol error: with code under
// graphql-transport-ws; with a connection_error then 1002 under the legacy
// protocol, as gqlgen's transport did.
func (c *wsConn) protocolClose(code int, reason string) {
	if c.legacy {
		c.connectionError(reason)
		code = websocket.CloseProtocolError
	}
	c.closeWith(code, reason)
}

// connectionError sends a legacy connection_error.
func (c *wsConn) connectionError(message string) {
	if c.legacy {
		b, _ := json.Marshal(&gqlerror.Error{Message: message})
		c.writeMessage(wsMessage{Type: "connection_error", Payload: b})
	}
}

// initialise checks connection_init (WebsocketInit) aside from the read
// loop's stack, and acknowledges it, or closes the connection with the code
// it chose.
func (c *wsConn) initialise(payload json.RawMessage) bool {
	var p map[string]any
	if len(payload) > 0 && string(payload) != "null" {
		if err := json.Unmarshal(payload, &p); err != nil {
			c.protocolClose(closeBadRequest, "connection_init payload is not an object")
			return false
		}
	}
	type result struct {
		ctx context.Context
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, err := c.t.init(context.WithValue(c.ctx, connKey{}, c), p)
		done <- result{ctx, err}
	}()
	r := <-done
	if r.err != nil {
		code, reason := initRefusal(r.ctx)
		c.connectionError(r.err.Error())
		c.closeWith(code, reason)
		return false
	}
	c.mu.Lock()
	c.ctx, c.acked = r.ctx, true
	c.mu.Unlock()
	c.conn.SetReadDeadline(time.Time{})
	c.writeMessage(wsMessage{Type: "connection_ack"})
	if c.legacy {
		c.writeMessage(wsMessage{Type: "ka"})
	}
	c.t.rt.add(c)
	c.onClose(func() { c.t.rt.remove(c) })
	return true
}

func (c *wsConn) isAcked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked
}

// keepAlive is the ticker's visit (wsRuntime): a graphql-transport-ws
// client that answered neither of the last two pings is cut; others get a
// ping, legacy clients a "ka".
func (c *wsConn) keepAlive() {
	if c.legacy {
		c.writeMessage(wsMessage{Type: "ka"})
		return
	}
	if c.unanswered.Add(1) > 2 {
		c.Close()
		return
	}
	c.writeMessage(wsMessage{Type: "ping"})
}

// start runs operation id; false (a protocol error) ends the connection.
func (c *wsConn) start(id string, payload json.RawMessage) bool {
	if id == "" {
		c.protocolClose(closeBadRequest, "Invalid message received: no id")
		return false
	}
	op := &wsOp{c: c, id: id, read: graphql.Now()}
	op.ctx, op.cancel = context.WithCancel(c.ctx)
	op.readiness.Ready = op.signal
	op.scheduled.Store(true) // begin runs it first
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		op.cancel()
		return false
	}
	if old := c.ops[id]; old != nil {
		if !c.legacy {
			c.mu.Unlock()
			op.cancel()
			c.closeWith(closeDuplicateID, "Subscriber for "+id+" already exists")
			return false
		}
		old.replaced.Store(true) // legacy: a start with a running id replaces it, silently
		old.cancel()
		old.signal()
	}
	c.ops[id] = op
	c.mu.Unlock()
	go op.begin(payload)
	return true
}

// stop ends operation id at the client's request.
func (c *wsConn) stop(id string) {
	c.mu.Lock()
	op := c.ops[id]
	c.mu.Unlock()
	if op != nil {
		op.cancel()
		op.signal() // its next read sees the end
	}
}

// writeMessage writes one message; a failed write closes the connection.
func (c *wsConn) writeMessage(m wsMessage) {
	b, err := json.Marshal(m)
	if err != nil {
		slog.ErrorContext(c.ctx, "websocket message not encoded", "err", err)
		return
	}
	c.write(b)
}

// write writes one text message within the write timeout (give or take a
// half: the deadline moves only when half of it has passed, as moving it
// costs as much as a small write).
func (c *wsConn) write(b []byte) {
	c.wmu.Lock()
	if d := c.t.s.cfg.WebsocketWriteTimeout; d > 0 {
		if now := time.Now(); c.deadline.Sub(now) < d/2 {
			c.deadline = now.Add(d)
			c.conn.SetWriteDeadline(c.deadline)
		}
	}
	err := c.conn.WriteMessage(websocket.TextMessage, b)
	c.wmu.Unlock()
	if err != nil {
		c.Close()
	}
}

// writeResult writes a result of operation id: "next" ("data" in the
// legacy protocol) with resp as payload, or "error" with errs.
func (c *wsConn) writeResult(id string, resp *graphql.Response) {
	payload, err := json.Marshal(resp)
	if err != nil {
		slog.ErrorContext(c.ctx, "websocket result not encoded", "err", err)
		payload = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
	}
	// The envelope by hand: json.Marshal of a wsMessage would compact
	// the payload once more, for every subscriber of every event.
	quoted, _ := json.Marshal(id)
	head := `{"type":"next","id":`
	if c.legacy {
		head = `{"type":"data","id":`
	}
	b := make([]byte, 0, len(head)+len(quoted)+len(payload)+len(`,"payload":}`))
	b = append(append(append(append(append(b, head...), quoted...), `,"payload":`...), payload...), '}')
	c.write(b)
}

func (c *wsConn) writeErrors(id string, errs gqlerror.List) {
	b, err := json.Marshal(errs)
	if err != nil {
		b = []byte(`[{"message":"internal error"}]`)
	}
	c.writeMessage(wsMessage{Type: "error", ID: id, Payload: b})
}

// WriteClose sends a close frame, unless one was already sent.
func (c *wsConn) writeCloseLocked(code int, message string) error {
	if c.closing || c.closed {
		return nil
	}
	c.closing = true
	if len(message) > 123 { // a control frame's payload, less the code
		message = strings.ToValidUTF8(message[:123], "")
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

// closingNow reports whether the connection is ending (no more results).
func (c *wsConn) closingNow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing || c.closed
}

// Close closes the connection, ends its operations and runs the close
// hooks, once.
func (c *wsConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	hooks, ops := c.onCloses, c.ops
	c.onCloses, c.ops = nil, map[string]*wsOp{}
	c.mu.Unlock()
	for _, op := range ops {
		op.cancel()
	}
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

// wsOp is one operation of a connection. A subscription's results are read
// only when its channel has one (signal, from the event service), by one
// worker at a time (scheduled), so a subscription holds no goroutine.
type wsOp struct {
	c      *wsConn
	id     string
	read   time.Time
	ctx    context.Context
	cancel context.CancelFunc

	readiness resolvers.EventReadiness
	next      graphql.ResponseHandler
	nextCtx   context.Context
	signals   atomic.Int64 // results ready and not yet read
	scheduled atomic.Bool  // a worker (or begin) runs it now, or it is queued
	ended     bool         // touched only while scheduled
	replaced  atomic.Bool  // by a start with the same id (legacy): no complete
}

// begin parses, validates and dispatches the operation (its resolver runs
// here, its checks against the database with it). A subscription the event
// service accepted then waits for signals; a query or a mutation is answered
// within the request timeout (answerWithin); a refusal is written at once.
func (op *wsOp) begin(payload json.RawMessage) {
	c, exec := op.c, op.c.exec
	defer func() {
		if r := recover(); r != nil {
			slog.ErrorContext(op.ctx, "websocket operation panicked", "panic", fmt.Sprint(r))
			op.c.writeErrors(op.id, gqlerror.List{{Message: "internal error", Extensions: map[string]any{"code": "INTERNAL"}}})
			op.finish(false)
		}
	}()
	ctx := graphql.StartOperationTrace(op.ctx)
	params := &graphql.RawParams{}
	if err := decodeJSON(bytes.NewReader(payload), params); err != nil {
		c.writeErrors(op.id, gqlerror.List{{Message: "invalid json"}})
		op.finish(c.legacy)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: op.read, End: graphql.Now()}
	rc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			c.writeErrors(op.id, resp.Errors)
			op.finish(c.legacy)
			return
		}
		c.writeResult(op.id, &graphql.Response{Errors: errs})
		op.finish(true)
		return
	}
	ctx = resolvers.WithEventReadiness(graphql.WithOperationContext(ctx, rc), &op.readiness)
	if rc.Operation.Operation != ast.Subscription {
		op.answerWithin(ctx, rc)
		return
	}
	op.next, op.nextCtx = exec.DispatchOperation(ctx, rc)
	if op.readiness.Attached() {
		op.run()
		return
	}
	for resp := op.next(op.nextCtx); resp != nil; resp = op.next(op.nextCtx) {
		c.writeResult(op.id, resp)
	}
	op.finish(true)
}

// answerWithin runs a query or a mutation bounded by the request timeout,
// as over HTTP (withDeadline): past it, its context is done, which cancels
// its statements, and the client gets, for this operation id, a result with
// a SERVICE_UNAVAILABLE error then "complete", whatever the operation still
// waits for; its late results are dropped. The connection stays open.
func (op *wsOp) answerWithin(ctx context.Context, rc *graphql.OperationContext) {
	c := op.c
	timeout := c.t.s.cfg.RequestTimeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var answered atomic.Bool // by the results or by the deadline, once
	stop := context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !answered.CompareAndSwap(false, true) {
			return // ended otherwise (stopped by the client, the connection closed), or answered
		}
		c.t.s.log.WarnContext(ctx, "websocket operation timed out", "operation", rc.OperationName, "id", op.id, "timeout", timeout)
		DefaultMetrics.GraphQLError(maillage.EUNAVAILABLE)
		c.writeResult(op.id, &graphql.Response{Errors: gqlerror.List{{Message: timeoutMessage(timeout),
			Extensions: map[string]any{"code": maillage.EUNAVAILABLE}}}})
		op.finish(true)
	})
	defer stop()
	next, nextCtx := c.exec.DispatchOperation(ctx, rc)
	var results []*graphql.Response // one, or more with @defer: written together
	for resp := next(nextCtx); resp != nil; resp = next(nextCtx) {
		results = append(results, resp)
	}
	if !answered.CompareAndSwap(false, true) {
		return // the deadline answered
	}
	for _, resp := range results {
		c.writeResult(op.id, resp)
	}
	op.finish(true)
}

// signal says one result (or the end) is ready to read; it never blocks.
func (op *wsOp) signal() {
	op.signals.Add(1)
	if op.scheduled.CompareAndSwap(false, true) {
		op.c.t.rt.put(op)
	}
}

// run reads and writes the ready results, on a worker (or at the end of
// begin), until none is left.
func (op *wsOp) run() {
	for {
		for n := op.signals.Swap(0); n > 0 && !op.ended; n-- {
			op.step()
		}
		if op.ended {
			return // stays scheduled: nothing runs it again
		}
		op.scheduled.Store(false)
		if op.signals.Load() == 0 || !op.scheduled.CompareAndSwap(false, true) {
			return
		}
	}
}

// step reads one result: it is ready, so the read does not block.
func (op *wsOp) step() {
	defer func() {
		if r := recover(); r != nil {
			slog.ErrorContext(op.ctx, "websocket subscription panicked", "panic", fmt.Sprint(r))
			op.c.writeErrors(op.id, gqlerror.List{{Message: "internal error", Extensions: map[string]any{"code": "INTERNAL"}}})
			op.finish(false)
		}
	}()
	if resp := op.next(op.nextCtx); resp != nil {
		op.c.writeResult(op.id, resp)
		return
	}
	op.finish(true)
}

// finish ends the operation, with a "complete" when asked, unless the
// connection is ending (a connection ender said why).
func (op *wsOp) finish(complete bool) {
	op.ended = true
	op.cancel()
	c := op.c
	c.mu.Lock()
	if c.ops[op.id] == op {
		delete(c.ops, op.id)
	}
	c.mu.Unlock()
	if complete && !op.replaced.Load() && !c.closingNow() {
		c.writeMessage(wsMessage{Type: "complete", ID: op.id})
	}
}
