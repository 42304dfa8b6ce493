package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// externalIssuer is an OpenID Connect issuer apart from the hub, served by
// httptest: its discovery document and JWKS (a DevIssuer's routes, signing
// with its own key). Its JWKS answers 500 while failing is set.
type externalIssuer struct {
	srv     *httptest.Server
	issuer  *server.DevIssuer
	failing atomic.Bool
}

func newExternalIssuer(t *testing.T) *externalIssuer {
	t.Helper()
	e := &externalIssuer{}
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.failing.Load() && strings.HasSuffix(r.URL.Path, "/jwks.json") {
			http.Error(w, "keys store down", http.StatusInternalServerError)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.issuer = e.withKey(t, "key-1")
	e.issuer.Routes(mux, nil)
	return e
}

// withKey is a signer of this issuer's URL with a new key named kid: the
// issuer's own (served in its JWKS) for the first, a forger's or a rotated
// key the hub has not fetched for the others.
func (e *externalIssuer) withKey(t *testing.T, kid string) *server.DevIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return server.NewDevIssuer(e.srv.URL, key, kid)
}

func sign(t *testing.T, d *server.DevIssuer, login string) string {
	t.Helper()
	tok, err := d.Sign(login, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestIssuerKeysUnavailableIsRetryable: with an external issuer, a token
// that cannot be checked because the issuer's keys cannot be fetched (its
// JWKS answering 500, or the issuer gone) is 503 SERVICE_UNAVAILABLE with
// Retry-After, logged with its cause, and a websocket closes with 1013, never
// 401/4401, which makes clients drop a good token; once the keys are back
// the same token works, and a token that really does not verify is 401.
func TestIssuerKeysUnavailableIsRetryable(t *testing.T) {
	iss := newExternalIssuer(t)
	iss.failing.Store(true) // from the start: the hub has fetched no key yet
	logs := &syncBuffer{}
	h := newHub(t, pgtest.Seeded(t), server.Config{OIDCIssuer: iss.srv.URL, OIDCClientID: server.DevAudience,
		Logger: slog.New(server.NewLogHandler(slog.NewJSONHandler(logs, nil)))})
	good := sign(t, iss.issuer, gpMartin)
	const me = `{ me { login } }`

	unavailable := func(name, token string) {
		t.Helper()
		res, body := h.send(`{"query": "`+me+`"}`, map[string]string{"Authorization": "Bearer " + token})
		var r response
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("%s: not JSON: %s", name, body)
		}
		if res.StatusCode != http.StatusServiceUnavailable || r.code() != maillage.EUNAVAILABLE || r.Data != nil {
			t.Errorf("%s: want 503 SERVICE_UNAVAILABLE, got %d %s", name, res.StatusCode, body)
		}
		if res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", name)
		}
		if res.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("%s: the token is not refused, yet WWW-Authenticate is %q", name, res.Header.Get("WWW-Authenticate"))
		}
	}

	unavailable("JWKS answering 500", good)
	var logged bool
	for _, l := range logLines(t, logs, "token not checked: issuer keys unavailable") {
		logged = logged || strings.Contains(l["err"].(string), "500")
	}
	if !logged {
		t.Errorf("no log line with the cause:\n%s", logs)
	}
	_, _, err := connect(t, h, "graphql-transport-ws", map[string]any{"Authorization": "Bearer " + good})
	var closed *websocket.CloseError
	if !errors.As(err, &closed) || closed.Code != server.CloseTryAgainLater {
		t.Errorf("websocket init, JWKS answering 500: want close 1013, got %v", err)
	}

	iss.failing.Store(false)
	if r := h.post(good, me, nil); r.Status != http.StatusOK || jpath(r.Data, "me.login") != gpMartin {
		t.Fatalf("keys back, the same token: got %d %+v", r.Status, r)
	}
	forged := sign(t, iss.withKey(t, "key-1"), gpMartin) // the issuer's key id, another key
	if r := h.post(forged, me, nil); r.Status != http.StatusUnauthorized || r.code() != maillage.EUNAUTHENTICATED {
		t.Errorf("a forged token: want 401 UNAUTHENTICATED, got %d %+v", r.Status, r)
	}

	// The issuer rotates its key, and is gone before the hub fetches it.
	rotated := sign(t, iss.withKey(t, "key-2"), gpMartin)
	iss.srv.Close()
	unavailable("issuer gone", rotated)
	if r := h.post(good, me, nil); r.Status != http.StatusOK || jpath(r.Data, "me.login") != gpMartin {
		t.Errorf("issuer gone, a token of a key already fetched: got %d %+v", r.Status, r)
	}
	if r := h.post("not-a-jwt", me, nil); r.Status != http.StatusUnauthorized || r.code() != maillage.EUNAUTHENTICATED {
		t.Errorf("issuer gone, a malformed token: want 401 UNAUTHENTICATED, got %d %+v", r.Status, r)
	}
}
