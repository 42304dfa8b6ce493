package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/maillage/maillage/postgres"
)

// The development issuer's sign-in: an OpenID Connect authorization
// endpoint whose page lists the seeded accounts (pick one, no password) and
// a token endpoint exchanging the code, with PKCE (S256), exactly as a
// production issuer does for the web pages (authorization code + PKCE), so
// the pages run one sign-in code path in development and production. It
// exists only when the hub is its own development issuer.

// devCodeAudience marks an authorization code (a JWT signed by the issuer,
// so any instance can redeem it) apart from an ID token.
const devCodeAudience = "maillage-authorization-code"

// devCodeTTL bounds the time between the choice of an account and the
// exchange of the code.
const devCodeTTL = 2 * time.Minute

// devSignInTTL is the lifetime of the tokens the sign-in page issues.
const devSignInTTL = 8 * time.Hour

// devAccountLister lists the accounts the sign-in page offers.
type devAccountLister interface {
	DevAccounts(ctx context.Context, search string, limit int) ([]postgres.DevAccount, error)
}

// devCodeClaims are the claims of an authorization code.
type devCodeClaims struct {
	jwt.Claims
	RedirectURI   string `json:"redirect_uri"`
	ClientID      string `json:"client_id"`
	CodeChallenge string `json:"code_challenge"`
	Nonce         string `json:"nonce,omitempty"`
}

// signInRoutes serves /dev/authorize and /dev/token.
func (d *DevIssuer) signInRoutes(mux *http.ServeMux, accounts devAccountLister) {
	mux.HandleFunc("GET /dev/authorize", func(w http.ResponseWriter, r *http.Request) {
		d.authorizePage(w, r, accounts)
	})
	mux.HandleFunc("POST /dev/authorize", d.authorize)
	mux.HandleFunc("POST /dev/token", d.token)
}

// authorizeRequest is what the authorization endpoint checks before it
// offers or grants anything.
type authorizeRequest struct {
	ClientID, RedirectURI, State, Challenge, Nonce string
}

// parseAuthorize reads and checks an authorization request: code flow, S256
// challenge, the dev audience, and a redirect URI on the issuer's own origin.
func (d *DevIssuer) parseAuthorize(v url.Values) (authorizeRequest, string) {
	req := authorizeRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"),
		State: v.Get("state"), Challenge: v.Get("code_challenge"), Nonce: v.Get("nonce")}
	switch {
	case v.Get("response_type") != "code":
		return req, "response_type must be code"
	case req.ClientID != DevAudience:
		return req, "client_id must be " + DevAudience
	case v.Get("code_challenge_method") != "S256" || len(req.Challenge) < 43:
		return req, "a PKCE code_challenge with code_challenge_method S256 is required"
	case !strings.HasPrefix(req.RedirectURI, d.URL+"/"):
		return req, "redirect_uri must be on " + d.URL
	}
	return req, ""
}

var devSignInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Connexion de développement — Maillage</title>
<link rel="icon" href="data:,">
<style nonce="{{.Nonce}}">
body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem} .warn{background:#fff4e5;border-left:4px solid #b34000;padding:.5rem 1rem}
ul{list-style:none;padding:0} li{margin:.5rem 0}
button{padding:.5rem 1rem;border:1px solid #666;border-radius:6px;background:#fff;font:inherit;cursor:pointer}
ul button{width:100%;text-align:left;padding:.75rem 1rem}
button:hover,button:focus{background:#e8edff;outline:3px solid #000091}
.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.search input{font:inherit;padding:.4rem;border:1px solid #666;border-radius:4px;min-width:16rem}
.roles{display:block;color:#3a3a3a;font-size:.9rem}
</style>
</head>
<body>
<main>
<h1>Connexion de développement</h1>
<p class="warn">Ce hub est son propre fournisseur d'identité de développement : choisissez un compte de démonstration, sans mot de passe. En production, la connexion passe par le fournisseur d'identité national (OpenID Connect).</p>
<form method="get" action="/dev/authorize" class="search">
{{- range $k, $v := .Query}}{{if ne $k "q"}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}{{end}}
<label for="q">Rechercher un compte</label>
<input id="q" name="q" value="{{.Search}}" type="search">
<button type="submit">Rechercher</button>
</form>
<form method="post" action="/dev/authorize">
{{- range $k, $v := .Query}}{{if ne $k "q"}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}{{end}}
<ul>
{{- range .Accounts}}
<li><button type="submit" name="login" value="{{.Login}}"><strong>{{.DisplayName}}</strong> ({{.Login}})
<span class="roles">{{range $i, $r := .Roles}}{{if $i}} · {{end}}{{$r}}{{end}}</span></button></li>
{{- end}}
</ul>
</form>
</main>
</body>
</html>
`))

// authorizePage lists the accounts to sign in as.
func (d *DevIssuer) authorizePage(w http.ResponseWriter, r *http.Request, accounts devAccountLister) {
	q := r.URL.Query()
	if _, problem := d.parseAuthorize(q); problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	list, err := accounts.DevAccounts(r.Context(), q.Get("q"), 100)
	if err != nil {
		http.Error(w, "cannot list the accounts", http.StatusInternalServerError)
		return
	}
	nonce := rand.Text()
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	devSignInPage.Execute(w, map[string]any{"Query": q, "Search": q.Get("q"), "Accounts": list, "Nonce": nonce})
}

// authorize grants a code for the chosen account and sends the browser back
// to the client's redirect URI.
func (d *DevIssuer) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	req, problem := d.parseAuthorize(r.PostForm)
	login := r.PostForm.Get("login")
	if problem == "" && login == "" {
		problem = "choose an account"
	}
	if problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	now := time.Now()
	code, err := d.signClaims(devCodeClaims{
		Claims: jwt.Claims{Issuer: d.URL, Subject: login, Audience: jwt.Audience{devCodeAudience},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(devCodeTTL))},
		RedirectURI: req.RedirectURI, ClientID: req.ClientID, CodeChallenge: req.Challenge, Nonce: req.Nonce,
	})
	if err != nil {
		http.Error(w, "cannot sign the code", http.StatusInternalServerError)
		return
	}
	back, _ := url.Parse(req.RedirectURI)
	v := back.Query()
	v.Set("code", code)
	if req.State != "" {
		v.Set("state", req.State)
	}
	v.Set("iss", d.URL)
	back.RawQuery = v.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}

// token exchanges a code for an ID token (also given as the access token:
// the hub accepts its ID tokens as bearer tokens).
func (d *DevIssuer) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	fail := func(code, desc string) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		fail("invalid_request", "bad form")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "authorization_code" {
		fail("unsupported_grant_type", "grant_type must be authorization_code")
		return
	}
	tok, err := jwt.ParseSigned(f.Get("code"), []jose.SignatureAlgorithm{jose.ES256})
	var c devCodeClaims
	if err == nil {
		err = tok.Claims(&d.key.PublicKey, &c)
	}
	if err == nil {
		err = c.Validate(jwt.Expected{Issuer: d.URL, AnyAudience: jwt.Audience{devCodeAudience}, Time: time.Now()})
	}
	if err != nil {
		fail("invalid_grant", "invalid or expired code")
		return
	}
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	switch {
	case c.RedirectURI != f.Get("redirect_uri"):
		fail("invalid_grant", "redirect_uri does not match the authorization request")
		return
	case c.ClientID != f.Get("client_id"):
		fail("invalid_grant", "client_id does not match the authorization request")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != c.CodeChallenge:
		fail("invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	now := time.Now()
	id, err := d.signClaims(struct {
		jwt.Claims
		Nonce string `json:"nonce,omitempty"`
	}{jwt.Claims{Issuer: d.URL, Subject: c.Subject, Audience: jwt.Audience{DevAudience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		Expiry: jwt.NewNumericDate(now.Add(devSignInTTL))}, c.Nonce})
	if err != nil {
		fail("server_error", "cannot sign the token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": id, "id_token": id, "token_type": "Bearer", "expires_in": int(devSignInTTL.Seconds()),
	})
}

// signClaims signs any claims with the issuer's key.
func (d *DevIssuer) signClaims(claims any) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: d.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", d.keyID))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}
