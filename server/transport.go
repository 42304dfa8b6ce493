package server

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/maillage/maillage"
)

// Media types of a GraphQL response (GraphQL over HTTP, section 7).
const (
	mediaGraphQLResponse = "application/graphql-response+json"
	mediaJSON            = "application/json"
)

// httpTransport serves GraphQL over HTTP as the GraphQL-over-HTTP spec says,
// where gqlgen's GET and POST transports differ from it:
//   - the response media type follows the Accept header (406 when neither
//     application/graphql-response+json nor application/json is acceptable);
//   - a request that fails before execution (parse, validation, variable
//     coercion, limits) is 400 with no "data" entry under
//     application/graphql-response+json, and 200 under application/json;
//   - GET carries queries only: a mutation over GET is 405 with Allow: POST.
//
// It handles GET, and POST with a JSON body (any other body is 415 with a
// coded error), and answers JSON whenever the Accept header allows a JSON
// type, whatever else it lists (GraphiQL, gateways and client libraries
// also list multipart/mixed and text/event-stream); websockets fall through
// to gqlgen's websocket transport.
type httpTransport struct{}

var _ graphql.Transport = httpTransport{}

func (httpTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && (r.Method == http.MethodGet || r.Method == http.MethodPost)
}

func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	media := negotiateMedia(r.Header.Get("Accept"))
	if media == "" {
		writeGraphQLError(w, http.StatusNotAcceptable, maillage.EINVALID,
			"Accept must allow "+mediaGraphQLResponse+" or "+mediaJSON)
		return
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method == http.MethodPost && (err != nil || mediaType != mediaJSON) {
		writeGraphQLError(w, http.StatusUnsupportedMediaType, maillage.EINVALID, "Content-Type must be "+mediaJSON)
		return
	}
	start := graphql.Now()
	params, err := readParams(r)
	if err == nil && params.Query == "" && params.Extensions["persistedQuery"] == nil {
		err = errorf("query is required")
	}
	if err != nil {
		writeResponse(w, http.StatusBadRequest, errorsOnly(exec.DispatchError(ctx, gqlerror.List{requestError(err.Error())})))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	opCtx, errs := exec.CreateOperationContext(ctx, params)
	// A mutation over GET is refused for its method first, whatever else the
	// operation context found wrong (an anonymous caller, say).
	if r.Method == http.MethodGet && opCtx != nil && opCtx.Operation != nil && opCtx.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx),
			gqlerror.List{requestError("GET carries queries only: send a " + string(opCtx.Operation.Operation) + " with POST")})
		writeResponse(w, http.StatusMethodNotAllowed, errorsOnly(resp))
		return
	}
	if errs != nil {
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		writeResponse(w, status, errorsOnly(resp))
		return
	}
	if opCtx.Operation.Operation == ast.Subscription {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx),
			gqlerror.List{requestError("subscriptions run over a websocket (graphql-transport-ws) on this same path")})
		writeResponse(w, http.StatusBadRequest, errorsOnly(resp))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if unavailable(resp) {
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeResponse(w, http.StatusServiceUnavailable, errorsOnly(resp))
		return
	}
	writeResponse(w, http.StatusOK, resp)
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

// negotiateMedia picks the response media type from an Accept header:
// application/graphql-response+json when named, else application/json;
// application/json for a wildcard or when no Accept is given (as the spec asks of servers
// while legacy clients remain); "" when neither is acceptable.
func negotiateMedia(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON
	}
	var graphqlResponse, json, wildcard bool
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q == 0 {
			continue // "q=0": not acceptable
		}
		switch mediaType {
		case mediaGraphQLResponse:
			graphqlResponse = true
		case mediaJSON:
			json = true
		case "*/*", "application/*":
			wildcard = true
		}
	}
	switch {
	case graphqlResponse:
		return mediaGraphQLResponse
	case json:
		return mediaJSON
	case wildcard:
		return mediaJSON // what curl and legacy clients mean by */*
	}
	return ""
}

// readParams reads the operation from the query string of a GET or the JSON
// body of a POST.
func readParams(r *http.Request) (*graphql.RawParams, error) {
	params := &graphql.RawParams{}
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
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
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, errorf("could not read the request body")
	}
	if err := decodeJSON(bytes.NewReader(body), params); err != nil {
		return nil, errorf("the request body is not a GraphQL request in JSON: " + err.Error())
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
	b, err := json.Marshal(resp)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
	}
	w.WriteHeader(status)
	w.Write(b)
}
