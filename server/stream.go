package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/maillage/maillage"
)

// delivery is how one operation's results reach the caller.
type delivery int

const (
	deliverJSON        delivery = iota // one JSON response
	deliverEventStream                 // server-sent events, the graphql-sse protocol ("distinct connections")
	deliverMultipart                   // multipart/mixed incremental delivery
	deliverNothing                     // the caller accepts no way to deliver it
)

// deliveryFor picks how to deliver an operation, given what the caller
// accepts: a subscription as server-sent events; an operation with @defer
// as a multipart (else event) stream, its parts as they resolve; anything
// else as one JSON response when a JSON type is acceptable, else as the
// stream the caller accepts.
func deliveryFor(a accepts, params *graphql.RawParams) delivery {
	if !a.eventStream && !a.multipart {
		return deliverJSON
	}
	op, deferred := sniff(params)
	switch {
	case op == ast.Subscription && a.eventStream:
		return deliverEventStream
	case deferred && a.multipart:
		return deliverMultipart
	case deferred && a.eventStream:
		return deliverEventStream
	case a.json() != "":
		return deliverJSON
	case a.eventStream:
		return deliverEventStream
	case op == ast.Subscription:
		return deliverNothing
	}
	return deliverMultipart
}

// sniff returns the kind of the operation params names and whether it
// defers fragments, from a parse of its text (only when the text names a
// subscription or @defer: other operations are queries or mutations, and
// gqlgen parses them anyway). A text that does not parse is a query here;
// its execution reports the syntax error.
func sniff(params *graphql.RawParams) (op ast.Operation, deferred bool) {
	if !strings.Contains(params.Query, "subscription") && !strings.Contains(params.Query, "defer") {
		return ast.Query, false
	}
	op, deferred, _ = parseOperation(params)
	return op, deferred
}

// parseOperation parses the operation params names: its kind and whether a
// fragment of the document defers; ok is false when the text does not parse.
func parseOperation(params *graphql.RawParams) (op ast.Operation, deferred, ok bool) {
	doc, err := parser.ParseQuery(&ast.Source{Input: params.Query})
	if err != nil {
		return ast.Query, false, false
	}
	op = ast.Query
	if o := doc.Operations.ForName(params.OperationName); o != nil {
		op = o.Operation
	}
	for _, o := range doc.Operations {
		deferred = deferred || defers(o.SelectionSet)
	}
	for _, f := range doc.Fragments {
		deferred = deferred || defers(f.SelectionSet)
	}
	return op, deferred, true
}

// defers reports whether a fragment in set, at any depth, carries @defer.
func defers(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if defers(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if s.Directives.ForName("defer") != nil || defers(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Directives.ForName("defer") != nil {
				return true
			}
		}
	}
	return false
}

// stream delivers one operation with gqlgen's event-stream or multipart
// transport. They read the operation from a JSON body: a GET's operation is
// handed over as one, unless it is a mutation (405, as in JSON).
func (t httpTransport) stream(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, d delivery) {
	if r.Method == http.MethodGet {
		if op, _, _ := parseOperation(params); op == ast.Mutation {
			w.Header().Set("Allow", http.MethodPost)
			writeGraphQLError(w, http.StatusMethodNotAllowed, maillage.EINVALID, "GET carries queries only: send a mutation with POST")
			return
		}
	}
	body, err := json.Marshal(params)
	if err != nil {
		writeGraphQLError(w, http.StatusBadRequest, maillage.EINVALID, "variables cannot be encoded again: "+err.Error())
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	w.Header().Del("Content-Type")
	fw := flushWriter{w}
	if d == deliverMultipart {
		transport.MultipartMixed{DeliveryTimeout: 5 * time.Millisecond}.Do(fw, r, exec)
		return
	}
	transport.SSE{KeepAlivePingInterval: t.keepAlive}.Do(fw, r, expiringExecutor{exec})
}

// flushWriter lets gqlgen's stream transports flush through the server's
// response writer wrappers (which unwrap to a flusher, but are not one).
type flushWriter struct{ http.ResponseWriter }

func (w flushWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w flushWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// expiringExecutor ends a stream when the caller's token expires, with an
// UNAUTHENTICATED error as its last event, as a websocket is closed then.
type expiringExecutor struct{ graphql.GraphExecutor }

func (e expiringExecutor) DispatchOperation(ctx context.Context, opCtx *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	expiry := maillage.IdentityFrom(ctx).TokenExpiry
	if expiry.IsZero() {
		return e.GraphExecutor.DispatchOperation(ctx, opCtx)
	}
	ctx, cancel := context.WithDeadline(ctx, expiry)
	next, ctx := e.GraphExecutor.DispatchOperation(ctx, opCtx)
	ended := false
	return func(ctx context.Context) *graphql.Response {
		if ended {
			return nil
		}
		resp := next(ctx)
		if resp != nil {
			return resp
		}
		ended = true
		defer cancel()
		if !time.Now().Before(expiry) {
			return &graphql.Response{Errors: gqlerror.List{{
				Message: "token expired", Extensions: map[string]any{"code": maillage.EUNAUTHENTICATED}}}}
		}
		return nil
	}, ctx
}

// mergeDeferred reads every result of an operation and returns them as one
// response: deferred fragments merged into the data at their paths, their
// errors after the initial ones. Without @defer there is one result.
func mergeDeferred(ctx context.Context, responses graphql.ResponseHandler) *graphql.Response {
	first := responses(ctx)
	if first == nil || first.HasNext == nil {
		return first
	}
	var data any
	if err := decodeJSON(bytes.NewReader(first.Data), &data); err != nil {
		return first
	}
	for next := responses(ctx); next != nil; next = responses(ctx) {
		first.Errors = append(first.Errors, next.Errors...)
		var part any
		if err := decodeJSON(bytes.NewReader(next.Data), &part); err != nil {
			continue
		}
		if target := at(data, next.Path); target != nil {
			mergeInto(target, part)
		}
	}
	if b, err := json.Marshal(data); err == nil {
		first.Data = b
	}
	first.HasNext = nil
	return first
}

// at returns the value at path in data, or nil.
func at(data any, path ast.Path) any {
	for _, el := range path {
		switch el := el.(type) {
		case ast.PathName:
			m, _ := data.(map[string]any)
			data = m[string(el)]
		case ast.PathIndex:
			l, _ := data.([]any)
			if int(el) >= len(l) {
				return nil
			}
			data = l[el]
		}
	}
	return data
}

// mergeInto merges the fields of src into dst, objects field by field and
// lists item by item.
func mergeInto(dst, src any) {
	switch d := dst.(type) {
	case map[string]any:
		s, _ := src.(map[string]any)
		for k, v := range s {
			if old, ok := d[k]; ok && isContainer(old) {
				mergeInto(old, v)
				continue
			}
			d[k] = v
		}
	case []any:
		s, _ := src.([]any)
		for i := range min(len(d), len(s)) {
			if isContainer(d[i]) {
				mergeInto(d[i], s[i])
			} else {
				d[i] = s[i]
			}
		}
	}
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// streamed reports whether a GraphQL request over HTTP will be answered as a
// stream (deliveryFor), reading its operation ahead of the transport (its
// body is put back).
func streamed(r *http.Request) bool {
	if a := parseAccept(r.Header.Get("Accept")); a.eventStream || a.multipart {
		if r.Method == http.MethodGet {
			params, err := readQueryString(r.URL.RawQuery)
			return err == nil && deliveryFor(a, params) != deliverJSON
		}
		body, err := io.ReadAll(r.Body)
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		params := &graphql.RawParams{}
		return err == nil && decodeJSON(bytes.NewReader(body), params) == nil && deliveryFor(a, params) != deliverJSON
	}
	return false
}
