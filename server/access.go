package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/maillage/maillage"
)

// What an anonymous caller may ask (README, "Access control"): the public
// directory (territories, structures, professionals — the RPPS directory is
// public open data), the ESCAP rules (published national figures), node(id:) and me, the federation fields (_service,
// _entities) and introspection. Any other root field, any mutation and any
// subscription needs a token: without one the operation is refused with
// UNAUTHENTICATED (HTTP 401) before any resolver runs. Inside the public
// fields the authorizer still decides object by object ("public" policies),
// so nothing patient-level reaches an anonymous caller by any path.

// DefaultAnonymousFields are the Query fields open to anonymous callers.
var DefaultAnonymousFields = []string{
	"territories", "territory", "structures", "structure", "professionals", "professional",
	"structureLinkRules", "mssanteAddress", "escapRules", "node", "me", "_service", "_entities", "__schema", "__type", "__typename",
}

// anonymousGate refuses, before execution, an anonymous operation that asks
// for more than the anonymous fields.
type anonymousGate struct {
	fields map[string]bool
}

func newAnonymousGate(fields []string) anonymousGate {
	g := anonymousGate{fields: map[string]bool{}}
	for _, f := range fields {
		g.fields[f] = true
	}
	return g
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = anonymousGate{}

// ExtensionName names the extension for gqlgen.
func (anonymousGate) ExtensionName() string { return "AnonymousGate" }

// Validate accepts any schema.
func (anonymousGate) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext runs after validation and before any resolver.
func (g anonymousGate) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if !maillage.IdentityFrom(ctx).Anonymous() {
		return nil
	}
	refuse := func(what string) *gqlerror.Error {
		if flag, ok := ctx.Value(refusedKey{}).(*atomic.Bool); ok {
			flag.Store(true)
		}
		return &gqlerror.Error{Message: "sign in to " + what, Extensions: map[string]any{"code": maillage.EUNAUTHENTICATED}}
	}
	if rc.Operation.Operation != ast.Query {
		return refuse("run a " + string(rc.Operation.Operation))
	}
	for _, f := range graphql.CollectFields(rc, rc.Operation.SelectionSet, []string{"Query"}) {
		if !g.fields[f.Name] {
			return refuse("ask for " + f.Name)
		}
	}
	return nil
}

type refusedKey struct{}

// unauthorizedStatus answers 401 (with WWW-Authenticate) instead of 200 or
// 400 when the anonymous gate refused the operation: the transport writes the
// GraphQL error body, this sets the status a bearer-token client expects.
func unauthorizedStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r) // websockets refuse in-band, per operation
			return
		}
		refused := new(atomic.Bool)
		next.ServeHTTP(&statusWriter{ResponseWriter: w, refused: refused}, r.WithContext(context.WithValue(r.Context(), refusedKey{}, refused)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	refused     *atomic.Bool
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader && w.refused.Load() && (code == http.StatusOK || code == http.StatusBadRequest) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="maillage"`)
		code = http.StatusUnauthorized
	}
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// identityFromInit authenticates a websocket from its connection_init
// payload: "Authorization": "Bearer <token>" (any case), or "token" /
// "authToken": "<token>". No token keeps the identity the upgrade request
// carried (anonymous, or its Authorization header); a token that does not
// verify is an UNAUTHENTICATED error. The identity carries TokenExpiry: a
// subscription must end then (WebsocketInit, server/websocket.go).
func (s *Server) identityFromInit(ctx context.Context, payload map[string]any) (context.Context, error) {
	p := transport.InitPayload(payload)
	// A credential of another type is a malformed payload, refused: read
	// as absent, it would make the connection anonymous.
	for _, key := range []string{"token", "authToken", "Authorization", "authorization"} {
		if v, ok := payload[key]; ok {
			if _, isString := v.(string); !isString {
				return ctx, maillage.InvalidField(key, "connection_init: %s must be a string", key)
			}
		}
	}
	token := p.GetString("token")
	if token == "" {
		token = p.GetString("authToken")
	}
	if h := p.Authorization(); h != "" {
		const prefix = "Bearer "
		if len(h) <= len(prefix) || !equalFoldASCII(h[:len(prefix)], prefix) {
			return ctx, maillage.Errorf(maillage.EUNAUTHENTICATED, "authorization is not a bearer token")
		}
		token = h[len(prefix):]
	}
	if token == "" {
		return ctx, nil
	}
	// The websocket has no request deadline: the check gets one of its own.
	checkCtx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	id, err := aside(checkCtx, func(ctx context.Context) (maillage.Identity, error) { return s.auth.Authenticate(ctx, token) })
	if err != nil {
		slog.InfoContext(ctx, "websocket authentication refused", "err", err, "request_id", RequestID(ctx))
		if maillage.ErrorCode(err) == maillage.EUNAUTHENTICATED {
			return ctx, maillage.Errorf(maillage.EUNAUTHENTICATED, "%s", refusal(err))
		}
		return ctx, err
	}
	return maillage.WithIdentity(ctx, id), nil
}

// CloseUnauthenticated is the websocket close code for a connection whose
// token did not verify or has expired (4401, as graphql-transport-ws
// servers use for "Unauthorized").
const CloseUnauthenticated = 4401
