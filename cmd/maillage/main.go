// Command maillage runs the Maillage hub.
//
//	maillage [serve]              run the hub (default): create the database if
//	                              missing, migrate, seed demo data if empty, serve
//	maillage migrate up|down|status
//	maillage seed [--national]    load the demo data (or the national-scale
//	                              directory) into an empty database
//
// Configuration comes from flags, or the environment variables named in
// "maillage --help".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(server.NewLogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))))
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "maillage:", err)
		}
		os.Exit(1)
	}
}

// commands are the subcommands, each with its usage line.
var commands = map[string]string{
	"serve":   "run the hub (the default)",
	"migrate": "migrate up|down|status",
	"seed":    "seed [--national]: load the demo data (or the national-scale directory) into an empty database",
	"token":   "token <login>: print a development token for a seeded account (an RPPS, admin, auditor, ars-normandie…)",
}

func run(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	fs := flag.NewFlagSet("maillage", flag.ContinueOnError)
	fs.Usage = func() { usage(fs) }
	fs.StringVar(&cfg.Addr, "addr", env("MAILLAGE_ADDR", cfg.Addr), "listen address (MAILLAGE_ADDR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("DATABASE_URL", cfg.DatabaseURL), "PostgreSQL URL (DATABASE_URL)")
	fs.StringVar(&cfg.PublicURL, "public-url", env("MAILLAGE_PUBLIC_URL", ""), "URL clients reach the hub at; default http://<addr> (MAILLAGE_PUBLIC_URL)")
	origins := fs.String("allowed-origins", env("MAILLAGE_ALLOWED_ORIGINS", ""), "comma-separated origins allowed for browsers and websockets besides the hub's own, e.g. the referral portal (MAILLAGE_ALLOWED_ORIGINS)")
	noSeed := fs.Bool("no-seed", envBool("MAILLAGE_NO_SEED"), "do not load demo data into an empty database (MAILLAGE_NO_SEED)")
	fs.StringVar(&cfg.OIDCIssuer, "oidc-issuer", env("MAILLAGE_OIDC_ISSUER", ""), "external OpenID Connect issuer URL; empty: the hub signs its own development tokens (MAILLAGE_OIDC_ISSUER)")
	fs.StringVar(&cfg.OIDCClientID, "oidc-client-id", env("MAILLAGE_OIDC_CLIENT_ID", ""), "audience required in tokens of the external issuer (MAILLAGE_OIDC_CLIENT_ID)")
	fs.StringVar(&cfg.OIDCLoginClaim, "oidc-login-claim", env("MAILLAGE_OIDC_LOGIN_CLAIM", "sub"), "token claim holding the account login (MAILLAGE_OIDC_LOGIN_CLAIM)")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", envDuration("MAILLAGE_REQUEST_TIMEOUT", cfg.RequestTimeout), "longest a GraphQL request over HTTP may take before it is answered 503 (MAILLAGE_REQUEST_TIMEOUT)")
	fs.DurationVar(&cfg.DatabaseWait, "database-wait", envDuration("MAILLAGE_DATABASE_WAIT", cfg.DatabaseWait), "how long serve waits, with backoff, for a PostgreSQL that does not answer at start (MAILLAGE_DATABASE_WAIT)")
	fs.DurationVar(&cfg.EventRetention, "event-retention", envDuration("MAILLAGE_EVENT_RETENTION", cfg.EventRetention), "how long events stay available to resuming subscriptions (MAILLAGE_EVENT_RETENTION)")
	fs.IntVar(&cfg.MaxSubscriptionsPerConnection, "max-subscriptions", cfg.MaxSubscriptionsPerConnection, "most subscriptions on one websocket")
	fs.IntVar(&cfg.SubscriberBuffer, "subscriber-buffer", cfg.SubscriberBuffer, "events that may wait for one subscription before it is cut off as a slow consumer")
	ttl := fs.Duration("token-ttl", 12*time.Hour, "lifetime of a token printed by the token command")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", cfg.MaxBodyBytes, "largest request body")
	fs.IntVar(&cfg.MaxDepth, "max-depth", cfg.MaxDepth, "deepest query nesting")
	fs.IntVar(&cfg.MaxComplexity, "max-complexity", cfg.MaxComplexity, "largest query complexity")
	fs.TextVar(logLevel, "log-level", envLevel("MAILLAGE_LOG_LEVEL"), "lowest level logged: DEBUG (adds health probes and metric scrapes), INFO, WARN, ERROR (MAILLAGE_LOG_LEVEL)")
	fs.StringVar(&cfg.Tracing, "otel-exporter", env("MAILLAGE_OTEL_EXPORTER", ""), "OpenTelemetry tracing, off by default: stdout (spans as JSON on stdout) or otlp (OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, default localhost:4318) (MAILLAGE_OTEL_EXPORTER)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *origins != "" {
		cfg.AllowedOrigins = strings.Split(*origins, ",")
	}
	cmd, rest := "serve", fs.Args()
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		_, explicit := os.LookupEnv("DATABASE_URL")
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "database-url" })
		if !explicit {
			stop, err := fallBackToEmbedded(ctx, &cfg)
			if err != nil {
				return err
			}
			defer stop()
		}
		return serve(ctx, cfg, !*noSeed)
	case "migrate":
		if len(rest) != 1 {
			return errors.New("usage: maillage migrate up|down|status")
		}
		if err := postgres.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
			return unreachableHint(err)
		}
		pool, err := postgres.Connect(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer pool.Close()
		return postgres.Migrate(ctx, pool.DB, rest[0])
	case "seed":
		national := len(rest) == 1 && (rest[0] == "--national" || rest[0] == "-national")
		if len(rest) > 0 && !national {
			return errors.New("usage: maillage seed [--national]")
		}
		db, err := prepare(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		if national {
			return seedNational(ctx, db)
		}
		seeded, err := postgres.Seed(ctx, db)
		if err == nil && !seeded {
			fmt.Println("the database already has data: nothing seeded")
		}
		return err
	case "token":
		if len(rest) != 1 {
			return errors.New("usage: maillage token <login>")
		}
		db, err := prepare(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		tok, err := server.DevToken(ctx, cfg, db, rest[0], *ttl)
		if err != nil {
			return err
		}
		fmt.Println(tok)
		return nil
	}
	usage(fs)
	return fmt.Errorf("unknown command %q", cmd)
}

func usage(fs *flag.FlagSet) {
	fmt.Fprintln(os.Stderr, "usage: maillage [flags] [command]\n\ncommands:")
	for name, what := range commands {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", name, what)
	}
	fmt.Fprintln(os.Stderr, "\nflags (and their environment variables):")
	fs.PrintDefaults()
	fmt.Fprintln(os.Stderr, `
endpoints: /graphql (POST, GET for queries, websockets), / (explorer), /metrics (Prometheus),
/healthz, /readyz. Logs: JSON lines on stderr, one access line per request, each with its
request_id. Tracing (OpenTelemetry) is off unless -otel-exporter is set.`)
}

// unreachableHint says in one line what to do when no PostgreSQL answers.
func unreachableHint(err error) error {
	return fmt.Errorf("%w\nPostgreSQL is needed: start it (pg_ctlcluster 15 main start), install it (apt-get install postgresql), or set DATABASE_URL", err)
}

// fallBackToEmbedded keeps the default database URL when a server answers
// there, and otherwise starts a private cluster and points cfg at it.
func fallBackToEmbedded(ctx context.Context, cfg *server.Config) (stop func() error, err error) {
	err = postgres.EnsureDatabase(ctx, cfg.DatabaseURL)
	if err == nil || !unreachable(err) {
		return func() error { return nil }, nil // connect() reports any other error
	}
	dsn, stop, err := startEmbedded()
	if err != nil {
		return nil, err
	}
	cfg.DatabaseURL = dsn
	return stop, nil
}

// prepare creates the database if missing and opens it: migrated up, with
// its authorizer loaded.
func prepare(ctx context.Context, dsn string) (*postgres.DB, error) {
	if err := postgres.EnsureDatabase(ctx, dsn); err != nil {
		return nil, unreachableHint(err)
	}
	return postgres.Open(ctx, dsn)
}

func serve(ctx context.Context, cfg server.Config, seed bool) error {
	if err := postgres.WaitForServer(ctx, cfg.DatabaseURL, cfg.DatabaseWait); err != nil {
		return err
	}
	db, err := prepare(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if seed {
		seeded, err := postgres.Seed(ctx, db)
		if err != nil {
			return err
		}
		if seeded {
			slog.Info("loaded demo data into the empty database")
		}
	}
	shutdownTracing, err := server.SetupTracing(ctx, cfg.Tracing, os.Stdout)
	if err != nil {
		return err
	}
	defer shutdownTracing(context.WithoutCancel(ctx))
	srv, err := server.New(ctx, cfg, db)
	if err != nil {
		return err
	}
	return srv.ListenAndServe(ctx, func(addr string) {
		fmt.Printf("Maillage is up. Explorer: http://%s/   GraphQL: http://%s/graphql\n", addr, addr)
	})
}

// logLevel is the lowest level logged (-log-level).
var logLevel = new(slog.LevelVar)

// envLevel is the log level named by the environment variable name (INFO
// when unset or not a level).
func envLevel(name string) *slog.LevelVar {
	v := new(slog.LevelVar)
	if err := v.UnmarshalText([]byte(os.Getenv(name))); err != nil {
		v.Set(slog.LevelInfo)
	}
	return v
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// envDuration reads a duration variable ("168h", "30m"); def when unset or invalid.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

func envBool(name string) bool {
	v := strings.ToLower(os.Getenv(name))
	return v == "1" || v == "true" || v == "yes"
}
