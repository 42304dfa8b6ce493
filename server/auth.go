package server

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/maillage/maillage"
)

// DevAudience is the audience (client id) of the tokens the development
// issuer signs.
const DevAudience = "maillage"

// TokenAuthenticator verifies OpenID Connect tokens (signature, issuer,
// audience, expiry) with go-oidc and maps their subject to an account. The
// same code checks the tokens of an external issuer and of the dev issuer.
type TokenAuthenticator struct {
	verifier *oidc.IDTokenVerifier
	issuer   string // the issuer tokens must name
	accounts maillage.AccountService
	// loginClaim is the claim naming the account's login ("sub" by default).
	loginClaim string
}

// NewOIDCAuthenticator verifies tokens of an external issuer, discovered at
// issuerURL (its JWKS is fetched and refreshed by go-oidc). A token whose
// keys could not be fetched (the issuer unreachable, or answering an error)
// is not refused: Authenticate returns an issuerUnavailable error, which the
// caller sees as SERVICE_UNAVAILABLE, retryable with the same token.
func NewOIDCAuthenticator(ctx context.Context, issuerURL, clientID, loginClaim string, accounts maillage.AccountService) (*TokenAuthenticator, error) {
	ctx = oidc.ClientContext(ctx, &http.Client{Transport: statusErrors{http.DefaultTransport}, Timeout: issuerTimeout})
	provider, err := oidc.NewProvider(ctx, issuerURL)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery at %s: %w", issuerURL, err)
	}
	var meta struct {
		JWKSURL string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("oidc discovery at %s: %w", issuerURL, err)
	}
	keys := fetchedKeys{oidc.NewRemoteKeySet(ctx, meta.JWKSURL)}
	algs := slices.DeleteFunc(meta.Algs, func(a string) bool { return !slices.Contains(signingAlgs, a) })
	return &TokenAuthenticator{
		verifier:   oidc.NewVerifier(issuerURL, keys, &oidc.Config{ClientID: clientID, SupportedSigningAlgs: algs}),
		issuer:     issuerURL,
		accounts:   accounts,
		loginClaim: loginClaim,
	}, nil
}

// signingAlgs are the algorithms of the issuer's discovery document that
// tokens may be signed with: go-oidc's (asymmetric ones), as its
// Provider.Verifier keeps.
var signingAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

// issuerTimeout bounds one request to the external issuer (a fetch of its
// keys): a request waiting for keys is bounded by its own deadline too.
const issuerTimeout = 10 * time.Second

// statusErrors is the transport of requests to the external issuer: an
// answer of 5xx or another non-2xx status is an error of the request, like
// a refused connection, so that a failed fetch of keys is one kind of error
// (a *url.Error) whatever went wrong.
type statusErrors struct{ next http.RoundTripper }

func (t statusErrors) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(r)
	if err != nil || res.StatusCode/100 == 2 {
		return res, err
	}
	res.Body.Close()
	return nil, fmt.Errorf("issuer answered %s", res.Status)
}

// fetchedKeys is the issuer's remote key set, noting in the verification's
// context (keysErrKey) why the keys could not be fetched: go-oidc turns
// every signature failure into text, and a token is not bad because its
// issuer is away.
type fetchedKeys struct{ remote *oidc.RemoteKeySet }

// keysErrKey carries, in a verification's context, where fetchedKeys notes
// a failed fetch.
type keysErrKey struct{}

func (k fetchedKeys) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	var fetch *url.Error
	if err != nil && (errors.As(err, &fetch) || ctx.Err() != nil) {
		if dst, ok := ctx.Value(keysErrKey{}).(*error); ok {
			*dst = err
		}
	}
	return payload, err
}

// issuerUnavailable is a token that could not be checked because the
// issuer's keys could not be fetched: not the caller's fault, and the token
// may well be good.
type issuerUnavailable struct{ err error }

func (e issuerUnavailable) Error() string { return "token issuer keys unavailable: " + e.err.Error() }
func (e issuerUnavailable) Unwrap() error { return e.err }

// Authenticate returns the identity a token proves. A failure of the token
// or of its account is UNAUTHENTICATED; a token whose issuer's keys could not
// be fetched is issuerUnavailable, and one whose account could not be read,
// that error.
func (a *TokenAuthenticator) Authenticate(ctx context.Context, raw string) (maillage.Identity, error) {
	unauthenticated := func(format string, args ...any) (maillage.Identity, error) {
		return maillage.Identity{}, maillage.Errorf(maillage.EUNAUTHENTICATED, format, args...)
	}
	var keysErr error
	tok, err := a.verifier.Verify(context.WithValue(ctx, keysErrKey{}, &keysErr), raw)
	if iss := unverifiedIssuer(raw); err != nil && iss != "" && iss != a.issuer {
		return maillage.Identity{}, issuerMismatch{maillage.Errorf(maillage.EUNAUTHENTICATED,
			"issuer mismatch: the token was issued by %s, this hub expects %s (its MAILLAGE_PUBLIC_URL, or MAILLAGE_OIDC_ISSUER)", iss, a.issuer)}
	}
	if err != nil && keysErr != nil {
		return maillage.Identity{}, issuerUnavailable{keysErr}
	}
	if err != nil {
		return unauthenticated("invalid token: %v", err)
	}
	login := tok.Subject
	if a.loginClaim != "" && a.loginClaim != "sub" {
		var claims map[string]any
		if err := tok.Claims(&claims); err != nil {
			return unauthenticated("invalid token claims")
		}
		s, _ := claims[a.loginClaim].(string)
		login = s
	}
	acc, err := a.accounts.FindAccountByLogin(ctx, login)
	if err != nil {
		if maillage.ErrorCode(err) == maillage.ENOTFOUND {
			return unauthenticated("no account for this token")
		}
		return maillage.Identity{}, err
	}
	if acc.DisabledAt != nil {
		return unauthenticated("account disabled")
	}
	id := acc.Identity()
	id.TokenExpiry = tok.Expiry
	return id, nil
}

// issuerMismatch refuses a token naming another issuer. Unlike other
// refusals, its reason is shown to the caller: the hub's issuer is public (in
// its discovery document), and the usual cause is a token printed without the
// hub's MAILLAGE_PUBLIC_URL.
type issuerMismatch struct{ err *maillage.Error }

func (e issuerMismatch) Error() string { return e.err.Error() }
func (e issuerMismatch) Unwrap() error { return e.err }

// refusal is the message a caller gets for a token that does not verify.
func refusal(err error) string {
	var m issuerMismatch
	if errors.As(err, &m) {
		return m.err.Message
	}
	return "invalid or expired token"
}

// unverifiedIssuer is the "iss" claim of a JWT, read without verifying it
// ("" if raw is not a JWT).
func unverifiedIssuer(raw string) string {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Issuer string `json:"iss"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Issuer
}

// DevIssuer is the hub acting as its own OpenID Connect issuer, for
// development and demos: it signs tokens for seeded accounts with a key kept
// in the database, and serves its discovery document and JWKS.
type DevIssuer struct {
	URL   string
	key   *ecdsa.PrivateKey
	keyID string
}

// NewDevIssuer returns the issuer at url signing with key.
func NewDevIssuer(url string, key *ecdsa.PrivateKey, keyID string) *DevIssuer {
	return &DevIssuer{URL: strings.TrimRight(url, "/"), key: key, keyID: keyID}
}

// Sign returns a token for login, valid for ttl.
func (d *DevIssuer) Sign(login string, ttl time.Duration) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: d.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", d.keyID))
	if err != nil {
		return "", err
	}
	now := time.Now()
	return jwt.Signed(signer).Claims(jwt.Claims{
		Issuer:    d.URL,
		Subject:   login,
		Audience:  jwt.Audience{DevAudience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		Expiry:    jwt.NewNumericDate(now.Add(ttl)),
	}).Serialize()
}

// Authenticator returns the verifier of the issuer's own tokens.
func (d *DevIssuer) Authenticator(accounts maillage.AccountService) *TokenAuthenticator {
	keys := &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{d.key.Public()}}
	return &TokenAuthenticator{
		verifier: oidc.NewVerifier(d.URL, keys, &oidc.Config{ClientID: DevAudience, SupportedSigningAlgs: []string{oidc.ES256}}),
		issuer:   d.URL,
		accounts: accounts,
	}
}

// Routes serves the discovery document, the JWKS, and, unless accounts is
// nil, the sign-in (an authorization endpoint listing the accounts, and a
// token endpoint).
func (d *DevIssuer) Routes(mux *http.ServeMux, accounts devAccountLister) {
	if accounts != nil {
		d.signInRoutes(mux, accounts)
	}
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]any{
			"issuer":                                d.URL,
			"jwks_uri":                              d.URL + "/.well-known/jwks.json",
			"id_token_signing_alg_values_supported": []string{"ES256"},
			"subject_types_supported":               []string{"public"},
			"response_types_supported":              []string{"id_token"},
		}
		if accounts != nil {
			doc["response_types_supported"] = []string{"code", "id_token"}
			doc["authorization_endpoint"] = d.URL + "/dev/authorize"
			doc["token_endpoint"] = d.URL + "/dev/token"
			doc["grant_types_supported"] = []string{"authorization_code"}
			doc["code_challenge_methods_supported"] = []string{"S256"}
			doc["token_endpoint_auth_methods_supported"] = []string{"none"}
			doc["scopes_supported"] = []string{"openid"}
		}
		writeJSON(w, http.StatusOK, doc)
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
			Key: d.key.Public(), KeyID: d.keyID, Algorithm: string(jose.ES256), Use: "sig",
		}}})
	})
}
