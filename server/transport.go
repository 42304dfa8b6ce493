package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/maillage/maillage"
)

// Media types of a GraphQL response (GraphQL over HTTP, section 7).
const (
	mediaGraphQLResponse = "application/graphql-response+json"
	mediaJSON            = "application/json"
	mediaEventStream     = "text/event-stream" // GraphQL over SSE
	mediaMultipart       = "multipart/mixed"   // incremental delivery of @defer
)

// httpTransport serves GraphQL over HTTP as the GraphQL-over-HTTP spec says,
// where gqlgen's GET and POST transports differ from it:
//   - the response media type follows the Accept header (406 when it allows
//     no JSON type and no stream);
//   - a request that fails before execution (parse, validation, variable
//     coercion, limits) is 400 with no "data" entry under
//     application/graphql-response+json, and 200 under application/json;
//   - GET carries queries only: a mutation over GET is 405 with Allow: POST.
//
// It handles GET, and POST with a JSON body (any other body is 415 with a
// coded error). It answers one JSON response whenever the Accept header
// allows a JSON type, whatever else it lists (GraphiQL, gateways and client
// libraries also list multipart/mixed and text/event-stream), except that
// a subscription goes to an event stream and an operation with @defer to a
// multipart or event stream when the caller accepts one (see deliveryFor).
// A JSON array body is a batch (see batch.go). Websockets fall through to
// the hub's websocket transport (wsconn.go).
type httpTransport struct {
	// maxBatch bounds the operations of one batch.
	maxBatch int
	// keepAlive is the period of comment lines on an idle event stream.
	keepAlive time.Duration
}

var _ graphql.Transport = httpTransport{}

func (httpTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && (r.Method == http.MethodGet || r.Method == http.MethodPost)
}

func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	accept := parseAccept(r.Header.Get("Accept"))
	if !accept.any() {
		writeGraphQLError(w, http.StatusNotAcceptable, maillage.EINVALID,
			"Accept must allow "+mediaGraphQLResponse+", "+mediaJSON+", "+mediaEventStream+" or "+mediaMultipart)
		return
	}
	media := accept.json()
	w.Header().Set("Content-Type", cmp.Or(media, mediaJSON)+"; charset=utf-8")
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method == http.MethodPost && (err != nil || mediaType != mediaJSON) {
		writeGraphQLError(w, http.StatusUnsupportedMediaType, maillage.EINVALID, "Content-Type must be "+mediaJSON)
		return
	}
	start := graphql.Now()
	ops, batch, err := readRequest(r)
	if err == nil && batch {
		t.doBatch(w, r, exec, ops, media, start)
		return
	}
	if err == nil {
		err = checkParams(ops[0])
	}
	if err != nil {
		writeResponse(w, http.StatusBadRequest, errorsOnly(exec.DispatchError(ctx, gqlerror.List{requestError(err.Error())})))
		return
	}
	params := ops[0]
	switch deliveryFor(accept, params) {
	case deliverEventStream, deliverMultipart:
		t.stream(w, r, exec, params, deliveryFor(accept, params))
		return
	case deliverNothing:
		writeGraphQLError(w, http.StatusNotAcceptable, maillage.EINVALID,
			"a subscription is delivered as "+mediaEventStream+" (or over a websocket): Accept must allow it")
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	status, resp := execute(ctx, exec, params, r.Method, media)
	switch status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	writeResponse(w, status, resp)
}

// execute runs one operation for a JSON response; it returns the status and
// the body. Deferred fragments are merged into the one response.
func execute(ctx context.Context, exec graphql.GraphExecutor, params *graphql.RawParams, method, media string) (int, any) {
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	// A mutation over GET is refused for its method first, whatever else the
	// operation context found wrong (an anonymous caller, say).
	if method == http.MethodGet && opCtx != nil && opCtx.Operation != nil && opCtx.Operation.Operation != ast.Query {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx),
			gqlerror.List{requestError("GET carries queries only: send a " + string(opCtx.Operation.Operation) + " with POST")})
		return http.StatusMethodNotAllowed, errorsOnly(resp)
	}
	if errs != nil {
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		return status, errorsOnly(exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
	}
	if opCtx.Operation.Operation == ast.Subscription {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), gqlerror.List{requestError(
			"subscriptions run over a websocket (graphql-transport-ws) on this same path, or as server-sent events (Accept: " + mediaEventStream + ")")})
		return http.StatusBadRequest, errorsOnly(resp)
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := mergeDeferred(ctx, responses)
	if resp != nil && unavailable(resp) {
		return http.StatusServiceUnavailable, errorsOnly(resp)
	}
	return http.StatusOK, resp
}

// checkParams refuses a request without a query (and without a persisted
// query's hash).
func checkParams(params *graphql.RawParams) error {
	if params.Query == "" && params.Extensions["persistedQuery"] == nil {
		return errorf("query is required")
	}
	return nil
}

// unavailable reports whether an executed operation produced nothing because
// the database was away: an error is SERVICE_UNAVAILABLE and no root field
// has a value. Such a response is 503 with its errors and no "data" entry
// (GraphQL over HTTP allows a 5xx only without data), so that load balancers
// and clients retry it; a response with some data stays 200.
func unavailable(resp *graphql.Response) bool {
	if !slices.ContainsFunc(resp.Errors, func(e *gqlerror.Error) bool { return e.Extensions["code"] == maillage.EUNAVAILABLE }) {
		return false
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(resp.Data, &fields) != nil {
		return true // data is null
	}
	for _, v := range fields {
		if string(v) != "null" {
			return false
		}
	}
	return true
}

// retryAfterSeconds is the Retry-After of a 503: the database is usually
// back within seconds (a restart, a failover).
const retryAfterSeconds = "1"

// requestError is a GraphQL request error (the request could not run) with
// the BAD_USER_INPUT code.
func requestError(message string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": maillage.EINVALID}}
}

// accepts is what an Accept header allows among the media types the hub
// can answer with.
type accepts struct {
	graphqlResponse, plainJSON, eventStream, multipart bool
}

// parseAccept reads an Accept header. No Accept, or a wildcard, allows
// application/json (as the spec asks of servers while legacy clients
// remain); a type with q=0 is not acceptable.
func parseAccept(header string) accepts {
	var a accepts
	if strings.TrimSpace(header) == "" {
		a.plainJSON = true
		return a
	}
	for part := range strings.SplitSeq(header, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q == 0 {
			continue // "q=0": not acceptable
		}
		switch mediaType {
		case mediaGraphQLResponse:
			a.graphqlResponse = true
		case mediaJSON, "*/*", "application/*": // what curl and legacy clients mean by */*
			a.plainJSON = true
		case mediaEventStream:
			a.eventStream = true
		case mediaMultipart:
			a.multipart = true
		}
	}
	return a
}

// json is the JSON media type to answer with: application/graphql-response+json
// when allowed, else application/json; "" when neither is.
func (a accepts) json() string {
	switch {
	case a.graphqlResponse:
		return mediaGraphQLResponse
	case a.plainJSON:
		return mediaJSON
	}
	return ""
}

// any reports whether the hub can answer in one of the allowed types.
func (a accepts) any() bool { return a.json() != "" || a.eventStream || a.multipart }

// readRequest reads the operation from the query string of a GET, or the
// operation or batch of operations (a JSON array) from the body of a POST.
func readRequest(r *http.Request) (ops []*graphql.RawParams, batch bool, err error) {
	if r.Method == http.MethodGet {
		params, err := readQueryString(r.URL.RawQuery)
		return []*graphql.RawParams{params}, false, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, false, errorf("could not read the request body")
	}
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := decodeJSON(bytes.NewReader(body), &ops); err != nil {
			return nil, true, errorf("the request body is not a batch of GraphQL requests in JSON: " + err.Error())
		}
		return ops, true, nil
	}
	params := &graphql.RawParams{}
	if err := decodeJSON(bytes.NewReader(body), params); err != nil {
		return nil, false, errorf("the request body is not a GraphQL request in JSON: " + err.Error())
	}
	return []*graphql.RawParams{params}, false, nil
}

// readQueryString reads the operation of a GET.
func readQueryString(rawQuery string) (*graphql.RawParams, error) {
	params := &graphql.RawParams{}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	params.Query, params.OperationName = q.Get("query"), q.Get("operationName")
	if v := q.Get("variables"); v != "" {
		if err := decodeJSON(strings.NewReader(v), &params.Variables); err != nil {
			return nil, errorf("variables is not a JSON object")
		}
	}
	if v := q.Get("extensions"); v != "" {
		if err := decodeJSON(strings.NewReader(v), &params.Extensions); err != nil {
			return nil, errorf("extensions is not a JSON object")
		}
	}
	return params, nil
}

type errorf string

func (e errorf) Error() string { return string(e) }

func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return dec.Decode(v)
}

// errorsOnly drops the "data" entry of a response to a request that did not
// execute (the spec: such a response has no data entry).
func errorsOnly(resp *graphql.Response) any {
	return struct {
		Errors     gqlerror.List  `json:"errors"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{resp.Errors, resp.Extensions}
}

func writeResponse(w http.ResponseWriter, status int, resp any) {
	var b []byte
	var err error
	if r, ok := resp.(*graphql.Response); ok {
		b, err = marshalResponse(r)
	} else {
		b, err = json.Marshal(resp)
	}
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
	}
	w.WriteHeader(status)
	w.Write(b)
}

// marshalResponse encodes resp as json.Marshal does, but copies its data as
// it is: gqlgen wrote it as compact JSON already, and json.Marshal would read
// all of it again to compact it (a dashboard's page is tens of kilobytes).
func marshalResponse(resp *graphql.Response) ([]byte, error) {
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		return json.Marshal(resp)
	}
	b := make([]byte, 0, len(resp.Data)+64)
	b = append(b, '{')
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, `"errors":`...), errs...), ',')
	}
	b = append(b, `"data":`...)
	if len(resp.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, resp.Data...)
	}
	if len(resp.Extensions) > 0 {
		ext, err := json.Marshal(resp.Extensions)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"extensions":`...), ext...)
	}
	return append(b, '}'), nil
}
