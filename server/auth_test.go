package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/server"
)

// signWith signs claims for login with key, as a hub would.
func signWith(t *testing.T, key *ecdsa.PrivateKey, kid string, claims jwt.Claims) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestBadTokensAreRefusedBeforeAnyResolver: every token that does not
// verify, and an anonymous caller asking for more than the public
// directory, gets UNAUTHENTICATED with 401, and the hub sends no SQL
// statement for it (no resolver ran).
func TestBadTokensAreRefusedBeforeAnyResolver(t *testing.T) {
	h := seededHub(t)
	ctx := context.Background()
	key, kid, err := h.db.Accounts.DevSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	claims := func(mut func(*jwt.Claims)) jwt.Claims {
		c := jwt.Claims{Issuer: testIssuer, Subject: "admin", Audience: jwt.Audience{server.DevAudience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}
		if mut != nil {
			mut(&c)
		}
		return c
	}
	valid := signWith(t, key, kid, claims(nil))
	if r := h.post(valid, `{ me { login } }`, nil); r.Status != http.StatusOK || jpath(r.Data, "me.login") != "admin" {
		t.Fatalf("a valid token must work: %d %+v", r.Status, r)
	}

	const protected = `{ policies { totalCount } }`
	cases := []struct {
		name, token, query string
	}{
		{"anonymous asking for policies", "", protected},
		{"anonymous mutation", "", `mutation { createTerritory(input: {parentId: "x", code: "x", name: "x", level: LOCAL}) { id } }`},
		{"anonymous patients", "", `{ patients { edges { node { id } } } }`},
		{"anonymous audit trail", "", `{ auditLog { totalCount } }`},
		{"malformed", "not-a-jwt", protected},
		{"malformed three parts", "a.b.c", protected},
		{"expired", signWith(t, key, kid, claims(func(c *jwt.Claims) {
			c.Expiry = jwt.NewNumericDate(now.Add(-time.Minute))
		})), protected},
		{"wrongly signed", signWith(t, otherKey, kid, claims(nil)), protected},
		{"wrong audience", signWith(t, key, kid, claims(func(c *jwt.Claims) { c.Audience = jwt.Audience{"another-app"} })), protected},
		{"wrong issuer", signWith(t, key, kid, claims(func(c *jwt.Claims) { c.Issuer = "http://evil.test" })), protected},
		{"tampered payload", valid[:len(valid)-4] + "AAAA", protected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := postgres.Statements()
			r := h.post(c.token, c.query, nil)
			sent := postgres.Statements() - before
			if r.Status != http.StatusUnauthorized || r.code() != maillage.EUNAUTHENTICATED {
				t.Fatalf("want 401 UNAUTHENTICATED, got %d %+v", r.Status, r.Errors)
			}
			if r.Data != nil {
				t.Errorf("no data may come back, got %v", r.Data)
			}
			if sent != 0 {
				t.Errorf("a refused request reached the database: %d statements", sent)
			}
		})
	}
	t.Run("wrong issuer says why", func(t *testing.T) {
		r := h.post(signWith(t, key, kid, claims(func(c *jwt.Claims) { c.Issuer = "http://127.0.0.1:8080" })), protected, nil)
		want := "issuer mismatch: the token was issued by http://127.0.0.1:8080, this hub expects " + testIssuer
		if r.Status != http.StatusUnauthorized || len(r.Errors) != 1 || !strings.HasPrefix(r.Errors[0].Message, want) {
			t.Fatalf("want 401 %q, got %d %+v", want, r.Status, r.Errors)
		}
	})
	t.Run("other refusals give no reason", func(t *testing.T) {
		r := h.post(signWith(t, otherKey, kid, claims(nil)), protected, nil)
		if len(r.Errors) != 1 || r.Errors[0].Message != "invalid or expired token" {
			t.Fatalf("a wrongly signed token: %+v", r.Errors)
		}
	})
	t.Run("unknown account", func(t *testing.T) {
		r := h.post(signWith(t, key, kid, claims(func(c *jwt.Claims) { c.Subject = "nobody" })), protected, nil)
		if r.Status != http.StatusUnauthorized || r.code() != maillage.EUNAUTHENTICATED {
			t.Fatalf("want 401 UNAUTHENTICATED, got %d %+v", r.Status, r.Errors)
		}
	})
	t.Run("anonymous public directory", func(t *testing.T) {
		r := h.post("", `{ structures(first: 5) { totalCount } _service { sdl } __schema { queryType { name } } }`, nil)
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("the public directory, federation and introspection are open: %d %+v", r.Status, r.Errors)
		}
		if n, _ := jpath(r.Data, "structures.totalCount").(float64); n < 20 {
			t.Errorf("anonymous sees the whole public directory, got %v structures", n)
		}
		if sdl, _ := jpath(r.Data, "_service.sdl").(string); sdl == "" {
			t.Errorf("_service.sdl is empty")
		}
	})
}

// TestWebsocketInit: the token of connection_init authenticates the
// connection, with its expiry; a bad one is UNAUTHENTICATED with close code
// 4401; none keeps the caller anonymous.
func TestWebsocketInit(t *testing.T) {
	h := seededHub(t)
	ctx := context.Background()
	tok := h.token("10003456781")
	for _, payload := range []map[string]any{
		{"Authorization": "Bearer " + tok}, {"authorization": "bearer " + tok}, {"token": tok}, {"authToken": tok},
	} {
		got, _, err := h.srv.WebsocketInit(ctx, payload)
		if err != nil {
			t.Fatalf("%v: %v", payload, err)
		}
		id := maillage.IdentityFrom(got)
		if id.Login != "10003456781" || id.ProfessionalID == "" {
			t.Errorf("identity from %v: %+v", payload, id)
		}
		if d := time.Until(id.TokenExpiry); d < 59*time.Minute || d > time.Hour {
			t.Errorf("the identity carries the token's expiry, got %v from now", d)
		}
	}
	got, _, err := h.srv.WebsocketInit(ctx, map[string]any{})
	if err != nil || !maillage.IdentityFrom(got).Anonymous() {
		t.Errorf("no token: anonymous, got %+v %v", maillage.IdentityFrom(got), err)
	}
	for _, payload := range []map[string]any{
		{"Authorization": "Bearer nope"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}, {"token": tok[:len(tok)-5] + "AAAAA"},
	} {
		_, _, err := h.srv.WebsocketInit(ctx, payload)
		if maillage.ErrorCode(err) != maillage.EUNAUTHENTICATED {
			t.Errorf("%v: want UNAUTHENTICATED, got %v", payload, err)
		}
	}
}
