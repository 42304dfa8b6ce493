package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// The one test harness of the server package: a real hub over a pgtest
// database behind a real HTTP listener, development tokens per login, and
// GraphQL operations posted as a login (or anonymously) with a typed
// response.

// testIssuer is the public URL (and so the token issuer) of test hubs that
// set none: two instances on one database accept each other's tokens, like
// a deployment.
const testIssuer = "http://hub.test"

// hub is one hub instance over a test database, served by httptest.
type hub struct {
	t      testing.TB
	db     *postgres.DB
	cfg    server.Config
	srv    *server.Server
	url    string // the listener's base URL, without a path
	mu     sync.Mutex
	tokens map[string]string
}

// newHub starts a hub instance with cfg over db (PublicURL testIssuer
// unless cfg sets one). It stops, its event bus included, with the test.
func newHub(t testing.TB, db *postgres.DB, cfg server.Config) *hub {
	t.Helper()
	if cfg.PublicURL == "" {
		cfg.PublicURL = testIssuer
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, db)
	if err != nil {
		cancel()
		t.Fatalf("server: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.CloseClientConnections(); ts.Close(); cancel(); <-srv.Bus().Done() })
	return &hub{t: t, db: db, cfg: cfg, srv: srv, url: ts.URL, tokens: map[string]string{}}
}

// seededHub starts a hub with the default configuration over a fresh
// database holding the demo data.
func seededHub(t testing.TB) *hub {
	t.Helper()
	return newHub(t, pgtest.Seeded(t), server.Config{})
}

// token returns a development token of an hour for login ("" for
// anonymous: no token), signed once per login.
func (h *hub) token(login string) string {
	h.t.Helper()
	if login == "" {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if tok, ok := h.tokens[login]; ok {
		return tok
	}
	tok := h.signed(login, time.Hour)
	h.tokens[login] = tok
	return tok
}

// signed signs a fresh development token for login, valid for ttl.
func (h *hub) signed(login string, ttl time.Duration) string {
	h.t.Helper()
	tok, err := server.DevToken(context.Background(), h.cfg, h.db, login, ttl)
	if err != nil {
		h.t.Fatalf("token for %s: %v", login, err)
	}
	return tok
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// response is a GraphQL response and its HTTP status.
type response struct {
	Status int            `json:"-"`
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
}

// code returns the code of the first error ("" if none).
func (r response) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// as sends a GraphQL operation as login ("" for anonymous).
func (h *hub) as(login, query string, vars map[string]any) response {
	h.t.Helper()
	return h.post(h.token(login), query, vars)
}

// post sends a GraphQL operation with a bearer token (none if "").
func (h *hub) post(token, query string, vars map[string]any) response {
	h.t.Helper()
	return h.postID(token, "", query, vars)
}

// postID is post with an X-Request-Id ("" to let the hub choose one).
func (h *hub) postID(token, requestID, query string, vars map[string]any) response {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, h.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if requestID != "" {
		req.Header.Set("X-Request-Id", requestID)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return h.do(req)
}

// do sends a request made by the test and decodes its GraphQL response.
func (h *hub) do(req *http.Request) response {
	h.t.Helper()
	res, b := h.roundTrip(req)
	r := response{Status: res.StatusCode}
	if err := json.Unmarshal(b, &r); err != nil {
		h.t.Fatalf("response %d is not JSON: %.500s", res.StatusCode, b)
	}
	return r
}

// send posts a raw body to /graphql with extra headers, and returns the
// response with its body read.
func (h *hub) send(body string, header map[string]string) (*http.Response, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, b := h.roundTrip(req)
	return res, string(b)
}

// roundTrip sends req and reads the whole body.
func (h *hub) roundTrip(req *http.Request) (*http.Response, []byte) {
	h.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return res, b
}

// ok runs an operation as login that must succeed, and returns its data.
func (h *hub) ok(login, query string, vars map[string]any) map[string]any {
	h.t.Helper()
	r := h.as(login, query, vars)
	if len(r.Errors) > 0 {
		h.t.Fatalf("%s: %s: %+v", login, opName(query), r.Errors)
	}
	return r.Data
}

// fails runs an operation as login that must fail with one error of code
// (and field, if given), and no data for it.
func (h *hub) fails(login, query string, vars map[string]any, code, field string) {
	h.t.Helper()
	r := h.as(login, query, vars)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != code || (field != "" && r.Errors[0].Extensions["field"] != field) {
		h.t.Fatalf("%s: %s: errors %+v, want %s %s", login, opName(query), r.Errors, code, field)
	}
	for k, v := range r.Data {
		if v != nil {
			h.t.Fatalf("%s: data %s = %v despite the error", login, k, v)
		}
	}
}

// opName is the first field of an operation, for messages.
func opName(query string) string {
	_, rest, _ := strings.Cut(query, "{")
	if f := strings.FieldsFunc(rest, func(r rune) bool { return r == '(' || r == '{' || r == ' ' || r == '\n' || r == '\t' }); len(f) > 0 {
		return f[0]
	}
	return query
}

// id returns the one text value a fixture query selects (an id, mostly).
func (h *hub) id(q string, args ...any) string {
	h.t.Helper()
	var id string
	if err := h.db.GetContext(context.Background(), &id, q, args...); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
	return id
}

// exec runs a fixture statement.
func (h *hub) exec(q string, args ...any) {
	h.t.Helper()
	if _, err := h.db.ExecContext(context.Background(), q, args...); err != nil {
		h.t.Fatalf("%s: %v", q, err)
	}
}

// jpath walks decoded JSON by a dotted path: keys of objects, indexes of
// arrays ("a.b.0.c"); nil when anything on the way is absent.
func jpath(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// fewestStatements runs a request three times and returns the fewest SQL
// statements one run took. A dataloader that fires one level in two batches
// (its wait ran out on a loaded machine) only ever adds statements, so the
// fewest is the design's count; an N+1 would show on every run.
func fewestStatements(t testing.TB, do func()) int64 {
	t.Helper()
	fewest := int64(-1)
	for range 3 {
		before := postgres.Statements()
		do()
		if n := postgres.Statements() - before; fewest < 0 || n < fewest {
			fewest = n
		}
	}
	return fewest
}
