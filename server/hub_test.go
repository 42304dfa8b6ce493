package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// hub is one hub instance over a test database, served by httptest.
type hub struct {
	t      testing.TB
	db     *postgres.DB
	cfg    Config
	srv    *Server
	url    string
	mu     sync.Mutex
	tokens map[string]string
}

// testIssuer is the public URL (and so the token issuer) of test hubs: two
// instances on one database accept each other's tokens, like a deployment.
const testIssuer = "http://hub.test"

// newHub starts a hub instance over db.
func newHub(t testing.TB, db *postgres.DB) *hub {
	t.Helper()
	cfg := Config{PublicURL: testIssuer}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := New(ctx, cfg, db)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &hub{t: t, db: db, cfg: cfg, srv: srv, url: ts.URL, tokens: map[string]string{}}
}

// seededHub starts a hub over a fresh database holding the demo data.
func seededHub(t testing.TB) *hub {
	t.Helper()
	return newHub(t, pgtest.Seeded(t))
}

// token returns a development token for login ("" for anonymous).
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
	tok, err := DevToken(context.Background(), h.cfg, h.db, login, time.Hour)
	if err != nil {
		h.t.Fatalf("token for %s: %v", login, err)
	}
	h.tokens[login] = tok
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
	Status int
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

// post sends a GraphQL request with a bearer token (none if "").
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
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("post: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode}
	if err := json.Unmarshal(b, &r); err != nil {
		h.t.Fatalf("response %d is not JSON: %s", res.StatusCode, b)
	}
	return r
}

// as sends a GraphQL request as login ("" for anonymous).
func (h *hub) as(login, query string, vars map[string]any) response {
	h.t.Helper()
	return h.post(h.token(login), query, vars)
}

// dig returns the value at a path of keys in data (nil if absent).
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
