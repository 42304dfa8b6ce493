package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// The development issuer's sign-in, as the web pages run it: the
// authorization page lists the seeded accounts, choosing one redirects back
// with a code, and the code is exchanged with the PKCE verifier for a token
// the hub accepts; a wrong verifier, redirect URI or a request without PKCE
// gets nothing.
func TestDevSignInWithCodeAndPKCE(t *testing.T) {
	h := newHub(t, pgtest.Seeded(t), server.Config{DevSignIn: true})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifier := strings.Repeat("v3rifier-", 6)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	redirect := testIssuer + "/portal/callback"
	params := url.Values{"response_type": {"code"}, "client_id": {"maillage"}, "redirect_uri": {redirect},
		"state": {"st4te"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scope": {"openid"}}

	get := func(u string) (int, string, http.Header) {
		res, err := noRedirect.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}
	status, page, hdr := get(h.url + "/dev/authorize?" + params.Encode())
	if status != 200 || !strings.Contains(page, "Claire Lefebvre") || !strings.Contains(page, `value="10003456781"`) {
		t.Fatalf("sign-in page: %d %s", status, page)
	}
	if !strings.Contains(page, "SECRETARIAT — ESS") || !strings.Contains(hdr.Get("Content-Security-Policy"), "form-action 'self'") {
		t.Fatalf("sign-in page lacks the roles or its policy: %s %v", page, hdr)
	}
	status, page, _ = get(h.url + "/dev/authorize?q=lefebvre&" + params.Encode())
	if status != 200 || !strings.Contains(page, "Claire Lefebvre") || strings.Contains(page, `value="admin"`) {
		t.Fatalf("search: %d %s", status, page)
	}
	for field, bad := range map[string]string{"code_challenge_method": "plain", "redirect_uri": "http://evil.test/cb", "client_id": "other"} {
		p := url.Values{}
		for k, v := range params {
			p[k] = v
		}
		p.Set(field, bad)
		if status, _, _ := get(h.url + "/dev/authorize?" + p.Encode()); status != 400 {
			t.Errorf("authorize with %s=%s: %d, want 400", field, bad, status)
		}
	}

	form := url.Values{"login": {"10003456781"}}
	for k, v := range params {
		form[k] = v
	}
	res, err := noRedirect.PostForm(h.url+"/dev/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(back.String(), redirect+"?") || back.Query().Get("state") != "st4te" {
		t.Fatalf("authorize: %d %s", res.StatusCode, back)
	}
	code := back.Query().Get("code")

	exchange := func(verifier, redirectURI string) (int, map[string]any) {
		res, err := http.PostForm(h.url+"/dev/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {redirectURI}, "client_id": {"maillage"}, "code_verifier": {verifier}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	if status, body := exchange(verifier+"x", redirect); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("wrong verifier: %d %v", status, body)
	}
	if status, body := exchange(verifier, testIssuer+"/other"); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("wrong redirect_uri: %d %v", status, body)
	}
	status, body := exchange(verifier, redirect)
	token, _ := body["id_token"].(string)
	if status != 200 || token == "" || body["token_type"] != "Bearer" {
		t.Fatalf("exchange: %d %v", status, body)
	}
	if r := h.post(token, `{ me { login } }`, nil); jpath(r.Data, "me.login") != "10003456781" {
		t.Fatalf("the token does not sign in: %+v", r)
	}

	// The discovery document names both endpoints, and the pages learn
	// the issuer from the page itself.
	_, disco, _ := get(h.url + "/.well-known/openid-configuration")
	if !strings.Contains(disco, `"authorization_endpoint":"`+testIssuer+`/dev/authorize"`) || !strings.Contains(disco, `"S256"`) {
		t.Errorf("discovery: %s", disco)
	}
	status, portal, _ := get(h.url + "/portal/demandes/123")
	if status != 200 || !strings.Contains(portal, `<meta name="maillage-oidc" content="`+testIssuer+`" data-client-id="maillage" data-dev="true" data-dev-sign-in="true">`) {
		t.Errorf("portal page: %d %s", status, portal)
	}
}

// A hub reached at a public, non-loopback URL signs nobody in without a
// password unless told to (-dev-sign-in): no sign-in endpoints, none in the
// discovery document, and the pages know it.
func TestDevSignInOffAwayFromLoopback(t *testing.T) {
	h := newHub(t, pgtest.New(t), server.Config{})
	for _, path := range []string{"/dev/authorize?response_type=code", "/dev/token"} {
		res, err := http.Get(h.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want none", path, res.StatusCode)
		}
	}
	res, err := http.PostForm(h.url+"/dev/token", url.Values{"grant_type": {"authorization_code"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("POST /dev/token: %d, want 404", res.StatusCode)
	}
	for path, want := range map[string]string{
		"/.well-known/openid-configuration": `"issuer":"` + testIssuer + `"`,
		"/portal/":                          `data-dev="true" data-dev-sign-in="false"`,
	} {
		res, err := http.Get(h.url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), want) || strings.Contains(string(b), "authorization_endpoint") {
			t.Errorf("%s: %s", path, b)
		}
	}
	for _, tc := range []struct {
		cfg  server.Config
		want bool
	}{
		{server.Config{Addr: "127.0.0.1:8080"}, true},
		{server.Config{PublicURL: "http://localhost:8080"}, true},
		{server.Config{PublicURL: "http://[::1]:8080"}, true},
		{server.Config{PublicURL: "https://hub.example.fr"}, false},
		{server.Config{PublicURL: "https://hub.example.fr", DevSignIn: true}, true},
		{server.Config{Addr: "127.0.0.1:8080", OIDCIssuer: "https://idp.example", DevSignIn: true}, false},
	} {
		if got := tc.cfg.DevSignInOn(); got != tc.want {
			t.Errorf("%+v: DevSignInOn %v, want %v", tc.cfg, got, tc.want)
		}
	}
}
