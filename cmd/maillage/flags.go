package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	root "github.com/maillage/maillage"
	"github.com/maillage/maillage/notify"
	"github.com/maillage/maillage/server"
)

// options is what flags and environment variables set. Each command
// registers the flag groups it reads; every flag -some-name can also be set
// by the environment variable MAILLAGE_SOME_NAME (DATABASE_URL for
// -database-url), parsed by the same flag.Value, so an invalid value is an
// error naming the variable. A flag on the command line wins.
type options struct {
	server.Config
	// databaseSet says whether -database-url or DATABASE_URL was given: if
	// not, serve may start a private cluster, and a failed connection hints
	// at starting PostgreSQL locally.
	databaseSet bool
	noSeed      bool
	national    bool
	rejects     string
	department  string
	tokenTTL    time.Duration
}

func newOptions() *options {
	return &options{Config: server.DefaultConfig(), tokenTTL: 12 * time.Hour}
}

// databaseFlags are the flags of every command that opens the database.
func databaseFlags(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.DatabaseURL, "database-url", o.DatabaseURL, "PostgreSQL URL")
}

// issuerFlags decide which development tokens the hub signs and accepts:
// serve and token read them alike.
func issuerFlags(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.Addr, "addr", o.Addr, "listen address")
	fs.StringVar(&o.PublicURL, "public-url", o.PublicURL, "URL clients reach the hub at, the issuer of its development tokens; default http://<addr>")
	fs.StringVar(&o.OIDCIssuer, "oidc-issuer", o.OIDCIssuer, "external OpenID Connect issuer URL; empty: the hub signs its own development tokens")
}

// serveFlags are the flags of the running hub besides the issuer's.
func serveFlags(fs *flag.FlagSet, o *options) {
	fs.Var((*commaList)(&o.AllowedOrigins), "allowed-origins", "comma-separated origins allowed for browsers and websockets besides the hub's own, e.g. the referral portal")
	fs.BoolVar(&o.noSeed, "no-seed", o.noSeed, "do not load demo data into an empty database")
	fs.BoolVar(&o.DevSignIn, "dev-sign-in", o.DevSignIn, "serve the development sign-in page of the web pages (any account, no password) though the public URL is not loopback")
	fs.StringVar(&o.OIDCClientID, "oidc-client-id", o.OIDCClientID, "audience required in tokens of the external issuer")
	fs.StringVar(&o.OIDCLoginClaim, "oidc-login-claim", "sub", "token claim holding the account login")
	fs.DurationVar(&o.RequestTimeout, "request-timeout", o.RequestTimeout, "longest a GraphQL request over HTTP may take before it is answered 503")
	fs.DurationVar(&o.DatabaseWait, "database-wait", o.DatabaseWait, "how long serve waits, with backoff, for a PostgreSQL that does not answer at start")
	fs.DurationVar(&o.EventRetention, "event-retention", o.EventRetention, "how long events stay available to resuming subscriptions")
	fs.IntVar(&o.MaxSubscriptionsPerConnection, "max-subscriptions", o.MaxSubscriptionsPerConnection, "most subscriptions on one websocket")
	fs.IntVar(&o.SubscriberBuffer, "subscriber-buffer", o.SubscriberBuffer, "events that may wait for one subscription before it catches up from the outbox")
	fs.Int64Var(&o.MaxBodyBytes, "max-body-bytes", o.MaxBodyBytes, "largest request body")
	fs.IntVar(&o.MaxBatch, "max-batch", o.MaxBatch, "most operations in one batch (a JSON array body)")
	fs.IntVar(&o.GzipMinBytes, "gzip-min-bytes", o.GzipMinBytes, "size from which a response is gzipped, when the caller accepts it")
	fs.IntVar(&o.MaxDepth, "max-depth", o.MaxDepth, "deepest query nesting")
	fs.IntVar(&o.MaxComplexity, "max-complexity", o.MaxComplexity, "largest query complexity")
	fs.BoolVar(&o.Webhooks.AllowLoopbackHTTP, "webhook-loopback-http", o.Webhooks.AllowLoopbackHTTP, "accept webhooks on http:// loopback addresses (development; always on when the public URL is loopback)")
	fs.IntVar(&o.Webhooks.MaxAttempts, "webhook-max-attempts", o.Webhooks.MaxAttempts, "attempts of a webhook delivery before it is marked failed; 0: 8")
	fs.IntVar(&o.AuthzCacheSize, "authz-cache-size", o.AuthzCacheSize, "callers whose grants the authorizer keeps in memory; 0: 100,000")
	fs.TextVar(logLevel, "log-level", logLevel, "lowest level logged: DEBUG (adds health probes and metric scrapes), INFO, WARN, ERROR")
	fs.BoolVar(&o.ExecutorOnly, "executor-only", o.ExecutorOnly, "answer plain directory reads through the GraphQL executor too, field by field (slower; direct reads are on by default)")
	fs.StringVar(&o.Tracing, "otel-exporter", o.Tracing, "OpenTelemetry tracing, off by default: stdout (spans as JSON on stdout) or otlp (OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, default localhost:4318)")
	notifyFlags(fs, &o.Notify)
}

// notifyFlags are the SMTP relay's and the mail notifications' flags.
func notifyFlags(fs *flag.FlagSet, n *notify.Config) {
	fs.StringVar(&n.Host, "smtp-host", n.Host, "SMTP relay (MSSanté operator) host; empty: no mail notifications")
	fs.IntVar(&n.Port, "smtp-port", n.Port, "SMTP relay port; 0: 587 with starttls, 465 with tls, 25 with none")
	fs.StringVar(&n.TLS, "smtp-tls", "starttls", "SMTP relay connection: starttls (required), tls (implicit, port 465) or none (a relay on this host only)")
	fs.StringVar(&n.ClientCert, "smtp-client-cert", n.ClientCert, "PEM file of the client certificate presented to the relay (MSSanté: the hub's applicative certificate)")
	fs.StringVar(&n.ClientKey, "smtp-client-key", n.ClientKey, "PEM file of the client certificate's private key")
	fs.StringVar(&n.CAFile, "smtp-ca-file", n.CAFile, "PEM bundle to verify the relay's certificate with; empty: the system's roots")
	fs.StringVar(&n.Username, "smtp-username", n.Username, "SMTP AUTH PLAIN user, if the relay asks for one besides the certificate")
	fs.StringVar(&n.Password, "smtp-password", n.Password, "SMTP AUTH PLAIN password (prefer MAILLAGE_SMTP_PASSWORD)")
	fs.StringVar(&n.From, "smtp-from", n.From, "sender address of the notifications (the hub's MSSanté mailbox)")
	fs.Var((*roleModes)(&n.Defaults), "notify-defaults", "default mode per recipient role for professionals who chose none, e.g. escap_member=DIGEST,requester=IMMEDIATE (roles: "+
		strings.Join(notify.Roles, ", ")+"; defaults: "+notify.FormatRoleModes(notify.DefaultRoleModes())+")")
	fs.StringVar(&n.DigestAt, "notify-digest-at", "07:30", "time of day (HH:MM, Europe/Paris) of the daily digest")
	fs.DurationVar(&n.TermNotice, "notify-term-notice", 30*24*time.Hour, "how long before a care team's end of term its members are told")
	fs.DurationVar(&n.Retention, "notify-retention", notify.DefaultRetention, "how long a notification delivery and its mail are kept once the mail is sent or abandoned (or the delivery withheld from a digest), then deleted")
}

// roleModes is the -notify-defaults value.
type roleModes map[string]root.NotificationMode

func (m *roleModes) String() string { return notify.FormatRoleModes(*m) }

func (m *roleModes) Set(v string) error {
	modes, err := notify.ParseRoleModes(v)
	if err != nil {
		return err
	}
	*m = modes
	return nil
}

// seedFlags are the seed command's own flags.
func seedFlags(fs *flag.FlagSet, o *options) {
	fs.BoolVar(&o.national, "national", false, "load the deterministic national-scale directory instead of the demo data")
}

// importFlags are the import command's own flags.
func importFlags(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.rejects, "rejects", o.rejects, fmt.Sprintf("file to write the rejected lines to (line number and reason), emptied only once the import rejects a line or ends well; without it, the first %d are printed on standard error once the import is over", rejectsShown))
	fs.StringVar(&o.department, "department", o.department, "keep only the lines of these departments, comma-separated (76,27 or 2A,2B,971): the directory becomes that region's")
}

// tokenFlags are the token command's own flags.
func tokenFlags(fs *flag.FlagSet, o *options) {
	fs.DurationVar(&o.tokenTTL, "token-ttl", o.tokenTTL, "lifetime of the token")
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	if flagName == "database-url" {
		return "DATABASE_URL"
	}
	return "MAILLAGE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse sets the flags of fs from the environment, then from args, and
// returns the positional arguments. Flags may come before, between or after
// them; "--" ends the flags.
func parse(fs *flag.FlagSet, o *options, args []string) ([]string, error) {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v := os.Getenv(envName(f.Name))
		if err != nil || v == "" {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("invalid value %q for %s: %v", v, envName(f.Name), e)
		}
	})
	if err != nil {
		return nil, err
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	fs.Visit(func(f *flag.Flag) { o.databaseSet = o.databaseSet || f.Name == "database-url" })
	return positional, nil
}

// commaList is a comma-separated flag value.
type commaList []string

func (l *commaList) String() string { return strings.Join(*l, ",") }

func (l *commaList) Set(v string) error {
	*l = strings.Split(v, ",")
	return nil
}
