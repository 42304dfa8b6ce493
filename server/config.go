package server

import (
	"log/slog"

	"github.com/maillage/maillage/notify"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/maillage/maillage/webhook"
)

// Config is everything the server can be told; cmd/maillage fills it from
// flags and the environment. The zero values of limits are replaced by the
// defaults of DefaultConfig.
type Config struct {
	// Addr is the listen address (MAILLAGE_ADDR).
	Addr string
	// DatabaseURL is the PostgreSQL URL (DATABASE_URL).
	DatabaseURL string
	// PublicURL is the URL clients reach the hub at (MAILLAGE_PUBLIC_URL);
	// it is the dev token issuer. Defaults to http://<Addr>.
	PublicURL string
	// AllowedOrigins may open websockets and make browser requests
	// (MAILLAGE_ALLOWED_ORIGINS, comma-separated; CORS without credentials);
	// PublicURL always may.
	AllowedOrigins []string
	// OIDCIssuer is the URL of the external OpenID Connect issuer whose
	// tokens are accepted (MAILLAGE_OIDC_ISSUER). Empty: the hub is its own
	// development issuer at PublicURL, and "maillage token" signs tokens.
	OIDCIssuer string
	// DevSignIn serves the development issuer's sign-in page to the web
	// pages (MAILLAGE_DEV_SIGN_IN): anyone reaching the hub may sign in as
	// any account, without a password. Always on when PublicURL is a
	// loopback address; never with an external issuer.
	DevSignIn bool
	// OIDCClientID is the audience tokens must carry (MAILLAGE_OIDC_CLIENT_ID).
	OIDCClientID string
	// OIDCLoginClaim is the claim holding the account login
	// (MAILLAGE_OIDC_LOGIN_CLAIM, default "sub").
	OIDCLoginClaim string
	// AnonymousFields are the Query fields a caller without a token may ask
	// for (default DefaultAnonymousFields); anything else, and every
	// mutation and subscription, needs a token.
	AnonymousFields []string
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// MaxBatch bounds the operations of one batch (a JSON array body).
	MaxBatch int
	// GzipMinBytes is the size from which a response is gzipped, when the
	// caller accepts it.
	GzipMinBytes int
	// MaxDepth bounds how deep a query nests.
	MaxDepth int
	// MaxComplexity bounds a query's complexity (each field 1, each list
	// field times its page size).
	MaxComplexity int
	// EventRetention is how long events stay in the outbox for resuming
	// subscriptions (MAILLAGE_EVENT_RETENTION, default 7 days).
	EventRetention time.Duration
	// ESCAPExpiryEvery is how often the instance runs the ESCAP expiry job
	// (teams past their term close, END_OF_TERM); every instance runs it,
	// one at a time under an advisory lock (default 1 min).
	ESCAPExpiryEvery time.Duration
	// SubscriberBuffer is how many events may wait for one subscription;
	// past it, the subscription catches up from the outbox (a client is cut
	// off as a slow consumer only when it stops reading).
	SubscriberBuffer int
	// MaxSubscriptionsPerConnection bounds one websocket's subscriptions.
	MaxSubscriptionsPerConnection int
	// WebsocketPingInterval is the keep-alive period (pings of
	// graphql-transport-ws, "ka" of the legacy graphql-ws); a client that
	// misses two pongs is disconnected.
	WebsocketPingInterval time.Duration
	// WebsocketWriteTimeout bounds one write to a websocket client: a client
	// that stops reading is disconnected.
	WebsocketWriteTimeout time.Duration
	// ShutdownTimeout bounds the wait for in-flight requests on shutdown.
	ShutdownTimeout time.Duration
	// RequestTimeout bounds a GraphQL request over HTTP, and each query or
	// mutation over a websocket (MAILLAGE_REQUEST_TIMEOUT, default 15 s): past
	// it, SERVICE_UNAVAILABLE (503 over HTTP; for the operation's id over a
	// websocket, which stays open) and its statements are cancelled.
	RequestTimeout time.Duration
	// DatabaseWait is how long "maillage serve" waits, with backoff, for a
	// PostgreSQL that does not answer at start (MAILLAGE_DATABASE_WAIT,
	// default 1 min).
	DatabaseWait time.Duration
	// Tracing is the OpenTelemetry exporter: "" (off), "stdout" or "otlp"
	// (MAILLAGE_OTEL_EXPORTER). cmd/maillage starts the exporter with
	// SetupTracing; New adds a span per resolver field when it is set.
	Tracing string
	// ExecutorOnly answers every operation through gqlgen's executor, plain
	// directory reads included (MAILLAGE_EXECUTOR_ONLY): the switch that
	// turns direct reads (resolvers.DirectReads) off.
	ExecutorOnly bool
	// AuthzCacheSize bounds how many callers' grants the authorizer keeps
	// (MAILLAGE_AUTHZ_CACHE_SIZE; 0: authz.DefaultCacheSize, 100,000, a few
	// hundred bytes each). The least recently seen are read again when
	// they come back.
	AuthzCacheSize int
	// Webhooks tunes the webhooks' registration and delivery; its zero
	// fields take the defaults of webhook.DefaultConfig. Its
	// AllowLoopbackHTTP (MAILLAGE_WEBHOOK_LOOPBACK_HTTP) accepts http://
	// endpoints on a loopback address, for development; it is always on
	// when PublicURL is a loopback address.
	Webhooks webhook.Config
	// Notify is the SMTP relay and the mail notifications' settings
	// (MAILLAGE_SMTP_…, MAILLAGE_NOTIFY_…); off while Notify.Host is empty.
	// Its portal links use PublicURL.
	Notify notify.Config
	// Logger receives the access log and errors; nil is slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the configuration of a zero-configuration start.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		DatabaseURL:     "postgres://postgres@127.0.0.1:5432/maillage?sslmode=disable",
		MaxBodyBytes:    1 << 20,
		MaxBatch:        10,
		GzipMinBytes:    1400,
		MaxDepth:        12,
		MaxComplexity:   20000,
		ShutdownTimeout: 15 * time.Second,
		RequestTimeout:  15 * time.Second,
		DatabaseWait:    time.Minute,

		EventRetention:                7 * 24 * time.Hour,
		ESCAPExpiryEvery:              time.Minute,
		SubscriberBuffer:              32,
		MaxSubscriptionsPerConnection: 50,
		WebsocketPingInterval:         25 * time.Second,
		WebsocketWriteTimeout:         10 * time.Second,
	}
}

// DevIssuerURL is the issuer of the development tokens the hub configured
// by c signs and accepts: PublicURL, or http://<Addr> when it is empty.
func (c Config) DevIssuerURL() string {
	return strings.TrimRight(withDefaults(c).PublicURL, "/")
}

// DevSignInOn reports whether the development sign-in page is served: with
// the hub as its own issuer, when asked or when its public URL is loopback.
func (c Config) DevSignInOn() bool {
	if c.OIDCIssuer != "" {
		return false
	}
	if c.DevSignIn {
		return true
	}
	u, err := url.Parse(c.DevIssuerURL())
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// webhookConfig returns the webhooks' settings: loopback http:// endpoints
// are accepted when asked, or on a hub whose public URL is loopback (a
// developer's).
func (c Config) webhookConfig(observe func(string)) webhook.Config {
	w := c.Webhooks
	if u, err := url.Parse(c.DevIssuerURL()); err == nil {
		ip := net.ParseIP(u.Hostname())
		w.AllowLoopbackHTTP = w.AllowLoopbackHTTP || u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
	}
	if w.Observe == nil {
		w.Observe = observe
	}
	return w
}
