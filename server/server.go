// Package server wires the hub over HTTP: the GraphQL endpoint on /graphql
// (POST, GET, batches, server-sent events, multipart/mixed for @defer and
// websockets; CORS for the allowed origins; gzip), authentication, the
// embedded explorer at /, the web pages at /portal/ and /dashboard/, health and readiness probes, Prometheus metrics at
// /metrics, structured access logs, OpenTelemetry tracing, and graceful
// shutdown.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/notify"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/resolvers"
	"github.com/maillage/maillage/server/explorer"
	"github.com/maillage/maillage/server/webapp"
	"github.com/maillage/maillage/webhook"
)

// Authenticator turns a bearer token into an identity. An empty token is
// anonymous; a token that does not verify is an UNAUTHENTICATED error.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (maillage.Identity, error)
}

// Server is the hub's HTTP server.
type Server struct {
	cfg      Config
	db       *postgres.DB
	auth     Authenticator
	issuer   *DevIssuer // nil with an external issuer
	resolver *resolvers.Resolver
	bus      *postgres.Bus
	notifier *notify.Service
	ws       WebsocketMetrics
	wsrt     *wsRuntime
	handler  http.Handler
	http     *http.Server
	log      *slog.Logger
	metrics  *Metrics
}

// New builds the server over db: with the external OIDC issuer of cfg, or
// else as its own development issuer. It listens for authorization changes
// until ctx is done or db is closed.
func New(ctx context.Context, cfg Config, db *postgres.DB) (*Server, error) {
	s := &Server{cfg: withDefaults(cfg), db: db, log: cfg.Logger, metrics: DefaultMetrics}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.cfg.OIDCIssuer != "" {
		auth, err := NewOIDCAuthenticator(ctx, s.cfg.OIDCIssuer, s.cfg.OIDCClientID, s.cfg.OIDCLoginClaim, db.Accounts)
		if err != nil {
			return nil, err
		}
		s.auth = auth
	} else {
		issuer, err := devIssuer(ctx, s.cfg, db)
		if err != nil {
			return nil, err
		}
		s.issuer, s.auth = issuer, issuer.Authenticator(db.Accounts)
	}
	db.Authz.SetCacheSize(s.cfg.AuthzCacheSize)
	// Every instance applies a change of policies or grants within a second,
	// wherever it was made; until ctx is done.
	if err := db.ListenAuthz(ctx, db.Authz); err != nil {
		return nil, err
	}
	bus, err := postgres.StartBus(ctx, db, postgres.BusConfig{
		Retention: s.cfg.EventRetention, Buffer: s.cfg.SubscriberBuffer, Delivered: s.metrics.EventDelivered})
	if err != nil {
		return nil, err
	}
	s.bus = bus
	webhooks := s.cfg.webhookConfig(s.metrics.WebhookOutcome)
	if _, err := webhook.Start(ctx, db, bus, webhooks); err != nil {
		return nil, err
	}
	s.wsrt = newWSRuntime(ctx, s.cfg.WebsocketPingInterval)
	postgres.StartESCAPExpiry(ctx, db.ESCAP, s.cfg.ESCAPExpiryEvery)
	if err := s.startNotifier(ctx); err != nil {
		return nil, err
	}
	s.resolver = &resolvers.Resolver{
		Events:                  bus,
		TerritoryService:        db.Directory,
		StructureService:        db.Directory,
		ProfessionalService:     db.Directory,
		PolicyService:           db.Policies,
		AuditService:            db.Audit,
		PatientService:          db.Patients,
		ESCAPService:            db.ESCAP,
		ESCAPStatsService:       db.ESCAP,
		ESCAPTypology:           db.ESCAP,
		ReferralService:         db.Referrals,
		WebhookService:          webhook.NewService(db, bus, webhooks),
		NotificationPreferences: s.notifier,
		Grants:                  db.Authz.Grants,
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", crossOrigin(s.cfg, compressed(s.cfg.GzipMinBytes,
		s.withDeadline(s.authenticate(unauthorizedStatus(s.graphqlHandler()))))))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.Handle("/", explorer.Handler("/graphql"))
	pages := webapp.Handler(s.webappConfig())
	mux.Handle(webapp.AssetPrefix, pages)
	for _, prefix := range webapp.Prefixes {
		mux.Handle(prefix, pages)
		mux.Handle(strings.TrimSuffix(prefix, "/"), pages)
	}
	if s.issuer != nil {
		var accounts devAccountLister
		if s.cfg.DevSignInOn() {
			accounts = db.Accounts
		}
		s.issuer.Routes(mux, accounts)
	}
	s.handler = requestID(s.observe(limitBody(s.cfg.MaxBodyBytes, mux)))
	return s, nil
}

// startNotifier runs the mail notifications when a relay is configured
// (every instance: they share the work through the database); without
// one, the notifier only serves the callers' preferences.
func (s *Server) startNotifier(ctx context.Context) error {
	cfg := s.cfg.Notify
	cfg.PublicURL = s.cfg.DevIssuerURL()
	n, err := notify.New(s.db, cfg)
	if err != nil {
		return err
	}
	if err := n.Start(ctx, s.bus, postgres.FollowConfig{}); err != nil {
		return err
	}
	s.notifier = n
	s.metrics.notifier.Store(n)
	return nil
}

// webappConfig tells the web pages how to sign in: at the external issuer,
// or at the hub's development issuer.
func (s *Server) webappConfig() webapp.Config {
	if s.issuer == nil {
		return webapp.Config{Issuer: s.cfg.OIDCIssuer, ClientID: s.cfg.OIDCClientID}
	}
	return webapp.Config{Issuer: s.issuer.URL, ClientID: DevAudience, Dev: true, DevSignIn: s.cfg.DevSignInOn()}
}

// devIssuer returns the development issuer of cfg, with the signing key
// shared through the database.
func devIssuer(ctx context.Context, cfg Config, db *postgres.DB) (*DevIssuer, error) {
	key, kid, err := db.Accounts.DevSigningKey(ctx)
	if err != nil {
		return nil, err
	}
	return NewDevIssuer(cfg.DevIssuerURL(), key, kid), nil
}

// DevToken signs a development token for login, as the hub configured by
// cfg would accept it (for "maillage token" and tests).
func DevToken(ctx context.Context, cfg Config, db *postgres.DB, login string, ttl time.Duration) (string, error) {
	if cfg.OIDCIssuer != "" {
		return "", errors.New("this hub accepts tokens of " + cfg.OIDCIssuer + " only: get one there")
	}
	if _, err := db.Accounts.FindAccountByLogin(ctx, login); err != nil {
		return "", fmt.Errorf("account %q: %w", login, err)
	}
	issuer, err := devIssuer(ctx, cfg, db)
	if err != nil {
		return "", err
	}
	return issuer.Sign(login, ttl)
}

func withDefaults(cfg Config) Config {
	d := DefaultConfig()
	setDefault(&cfg.Addr, d.Addr)
	setDefault(&cfg.MaxBodyBytes, d.MaxBodyBytes)
	setDefault(&cfg.MaxBatch, d.MaxBatch)
	setDefault(&cfg.GzipMinBytes, d.GzipMinBytes)
	setDefault(&cfg.MaxDepth, d.MaxDepth)
	setDefault(&cfg.MaxComplexity, d.MaxComplexity)
	setDefault(&cfg.EventRetention, d.EventRetention)
	setDefault(&cfg.ESCAPExpiryEvery, d.ESCAPExpiryEvery)
	setDefault(&cfg.SubscriberBuffer, d.SubscriberBuffer)
	setDefault(&cfg.MaxSubscriptionsPerConnection, d.MaxSubscriptionsPerConnection)
	setDefault(&cfg.WebsocketPingInterval, d.WebsocketPingInterval)
	setDefault(&cfg.WebsocketWriteTimeout, d.WebsocketWriteTimeout)
	setDefault(&cfg.ShutdownTimeout, d.ShutdownTimeout)
	setDefault(&cfg.RequestTimeout, d.RequestTimeout)
	if cfg.AnonymousFields == nil {
		cfg.AnonymousFields = DefaultAnonymousFields
	}
	setDefault(&cfg.PublicURL, "http://"+cfg.Addr)
	return cfg
}

// setDefault sets *v to def when it holds its zero value.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// WebsocketMetrics returns the websocket counters.
func (s *Server) WebsocketMetrics() *WebsocketMetrics { return &s.ws }

// Bus returns the instance's event bus (for its counters).
func (s *Server) Bus() *postgres.Bus { return s.bus }

// Handler returns the server's root handler (for tests with httptest).
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe serves until ctx is done, then shuts down gracefully:
// in-flight requests finish, within the shutdown timeout. ready, if not nil,
// receives the bound address once listening.
func (s *Server) ListenAndServe(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) }, // shutdown must not cancel requests in flight
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyTimeout bounds a readiness probe.
const readyTimeout = 2 * time.Second

// readyz answers 200 when the database answers and every migration is
// applied, and 503 otherwise, always within readyTimeout: the check runs
// aside, as a statement on a connection behind a black-holed network waits
// for the network, whatever its deadline.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	pending, err := aside(ctx, func(ctx context.Context) (int, error) {
		if err := s.db.PingContext(ctx); err != nil {
			return 0, err
		}
		return postgres.Pending(ctx, s.db.DB.DB)
	})
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "database did not answer within " + readyTimeout.String()})
	case err != nil:
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "database unreachable"})
	case pending > 0:
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "migrations pending", "pending": pending})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready"})
	}
}

// aside runs f in a goroutine of its own and returns its result, or ctx's
// error as soon as ctx is done: a statement on a connection behind a
// black-holed network waits for the network whatever its context says (the
// driver's cancel request is lost too), and the caller must not wait with
// it. f keeps running until its connection gives up.
func aside[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f(ctx)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeGraphQLError answers a request refused before GraphQL execution with
// a GraphQL error body carrying a code (counted in the metrics).
func writeGraphQLError(w http.ResponseWriter, status int, code, message string) {
	DefaultMetrics.GraphQLError(code)
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]string{"code": code}}},
	})
}

// limitBody refuses a body larger than max with 413 and a coded error.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, maillage.EINVALID,
				fmt.Sprintf("request body is %d bytes, the limit is %d", r.ContentLength, max))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// RequestID returns the id of the request in ctx ("" outside a request).
func RequestID(ctx context.Context) string { return maillage.RequestID(ctx) }

// requestID gives every request an id, echoed in the response and carried
// in the context for logs and audit: the caller's X-Request-Id when it is a
// plain token (so a gateway's id follows the request), else a new one.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !plainToken(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(maillage.WithRequestID(r.Context(), id)))
	})
}

// plainToken reports whether s is 1 to 64 letters, digits, '.', '_' or '-':
// safe to echo, log and store.
func plainToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// authenticate puts the caller's identity in the request context; a bearer
// token that does not verify is refused with 401 before any resolver runs.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, err := bearerToken(r)
		if err == nil && token != "" {
			var id maillage.Identity
			if id, err = s.auth.Authenticate(r.Context(), token); err == nil {
				r = r.WithContext(maillage.WithIdentity(r.Context(), id))
			}
		}
		if err != nil && maillage.ErrorCode(err) != maillage.EUNAUTHENTICATED {
			// The token could not be checked (its account not read): not
			// the caller's fault, and the token may well be good.
			s.writeUncheckedToken(w, r, err)
			return
		}
		if err != nil {
			s.log.InfoContext(r.Context(), "authentication refused", "err", err)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeGraphQLError(w, http.StatusUnauthorized, maillage.EUNAUTHENTICATED, refusal(err))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeUncheckedToken answers a request whose token could not be checked:
// 503 SERVICE_UNAVAILABLE with Retry-After when the token issuer's keys could
// not be fetched or the database is away, else 500 INTERNAL; never 401,
// which would make clients drop a good token.
func (s *Server) writeUncheckedToken(w http.ResponseWriter, r *http.Request, err error) {
	var issuer issuerUnavailable
	if errors.As(err, &issuer) {
		s.log.WarnContext(r.Context(), "token not checked: issuer keys unavailable", "err", err)
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeGraphQLError(w, http.StatusServiceUnavailable, maillage.EUNAVAILABLE, issuerUnavailableMessage)
		return
	}
	if postgres.Unavailable(err) {
		s.log.WarnContext(r.Context(), "token not checked: database unavailable", "err", err)
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeGraphQLError(w, http.StatusServiceUnavailable, maillage.EUNAVAILABLE, unavailableMessage)
		return
	}
	s.log.ErrorContext(r.Context(), "token not checked: internal error", "err", err)
	writeGraphQLError(w, http.StatusInternalServerError, maillage.EINTERNAL, "internal error")
}

// issuerUnavailableMessage is what a caller reads when their token could not
// be checked because its issuer's keys could not be fetched.
const issuerUnavailableMessage = "service unavailable: the token issuer cannot be reached, retry"

// withDeadline bounds a GraphQL request over HTTP, authentication included,
// by the request timeout: past it the caller gets 503 SERVICE_UNAVAILABLE,
// whatever the request still waits for (a database behind a black-holed
// network), and the request's context is done, which cancels its
// statements. A websocket or a stream (server-sent events, multipart)
// outlives it: its connection is not bounded, but each query or mutation a
// websocket carries is (wsOp.answerWithin).
func (s *Server) withDeadline(next http.Handler) http.Handler {
	body, _ := json.Marshal(map[string]any{"errors": []map[string]any{{
		"message":    timeoutMessage(s.cfg.RequestTimeout),
		"extensions": map[string]string{"code": maillage.EUNAVAILABLE},
	}}})
	bounded := http.TimeoutHandler(next, s.cfg.RequestTimeout, string(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) || streamed(r) {
			next.ServeHTTP(w, r) // streams are not buffered, nor bounded
			return
		}
		// The timeout's body is JSON; a response that completes sets its own type.
		w.Header().Set("Content-Type", "application/json")
		bounded.ServeHTTP(w, r)
	})
}

// timeoutMessage is what a caller reads when their operation had no answer
// within the request timeout d.
func timeoutMessage(d time.Duration) string {
	return fmt.Sprintf("service unavailable: no answer within %s, retry", d)
}

// bearerToken reads "Authorization: Bearer <token>" ("" when absent).
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", nil
	}
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !equalFoldASCII(h[:len(prefix)], prefix) {
		return "", errors.New("authorization header is not a bearer token")
	}
	return h[len(prefix):], nil
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i]|0x20, b[i]|0x20
		if ca != cb {
			return false
		}
	}
	return true
}
