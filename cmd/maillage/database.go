package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage/postgres"
)

// connect opens the connection pool to the database of o; create says
// whether a missing database is created (read-only commands pass false).
// Errors, here and below, are one line naming the server.
func connect(ctx context.Context, o *options, create bool) (*sqlx.DB, error) {
	usePrivateCluster(o)
	if create {
		if err := postgres.EnsureDatabase(ctx, o.DatabaseURL); err != nil {
			return nil, databaseError(o, err)
		}
	}
	pool, err := postgres.Connect(ctx, o.DatabaseURL)
	if err != nil {
		return nil, databaseError(o, err)
	}
	return pool, nil
}

// prepare opens the database ready to use, creating it if missing and
// migrating it up.
func prepare(ctx context.Context, o *options) (*postgres.DB, error) {
	usePrivateCluster(o)
	if err := postgres.EnsureDatabase(ctx, o.DatabaseURL); err != nil {
		return nil, databaseError(o, err)
	}
	db, err := postgres.Open(ctx, o.DatabaseURL)
	if err != nil {
		return nil, databaseError(o, err)
	}
	return db, nil
}

// openMigrated opens an existing database whose migrations are all applied,
// changing nothing.
func openMigrated(ctx context.Context, o *options) (*postgres.DB, error) {
	pool, err := connect(ctx, o, false)
	if err != nil {
		return nil, err
	}
	n, err := postgres.Pending(ctx, pool.DB)
	pool.Close()
	if err == nil && n > 0 {
		err = fmt.Errorf("%d migrations are not applied: run maillage migrate up", n)
	}
	if err != nil {
		return nil, databaseError(o, err)
	}
	db, err := postgres.Open(ctx, o.DatabaseURL) // nothing to migrate: it reads
	if err != nil {
		return nil, databaseError(o, err)
	}
	return db, nil
}

// databaseError says in one line which server and database failed and how,
// adding what to do when it is clear: start PostgreSQL when nothing answered
// at the default local address, run "maillage migrate up" when the database
// does not exist.
func databaseError(o *options, err error) error {
	msg := fmt.Sprintf("PostgreSQL at %s: %s", databaseAddress(o.DatabaseURL), strings.ReplaceAll(err.Error(), "\n", " "))
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "3D000": // invalid_catalog_name
		msg += " (maillage migrate up, seed or serve creates it)"
	case !o.databaseSet && unreachable(err):
		msg += "; " + startPostgresHint()
	}
	return errors.New(msg)
}

// databaseAddress is the host:port and database that a postgres:// URL
// names, without its user or password.
func databaseAddress(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "(DATABASE_URL is not a postgres:// URL)"
	}
	host, port := u.Hostname(), u.Port()
	if h := u.Query().Get("host"); h != "" {
		host = h
	}
	if p := u.Query().Get("port"); p != "" {
		port = p
	}
	if host == "" {
		host = "localhost"
	}
	if port == "" {
		port = "5432"
	}
	return net.JoinHostPort(host, port) + ", database " + strings.TrimPrefix(u.Path, "/")
}

// startPostgresHint says how to get a local PostgreSQL.
func startPostgresHint() string {
	if _, major := installedPostgres(); major != "" {
		return fmt.Sprintf("start PostgreSQL (pg_ctlcluster %s main start) or set DATABASE_URL", major)
	}
	return "install PostgreSQL (apt-get install postgresql) or set DATABASE_URL"
}

// usePrivateCluster points o at the private cluster that a "maillage serve"
// started, when no database was named, nothing listens at the default
// address, and the private cluster does. It starts nothing.
func usePrivateCluster(o *options) {
	if !o.databaseSet && !listening(o.DatabaseURL) && listening(embeddedURL()) {
		o.DatabaseURL = embeddedURL()
	}
}

// listening reports whether something accepts TCP connections at the
// host:port of a postgres:// URL.
func listening(dsn string) bool {
	u, err := url.Parse(dsn)
	if err != nil {
		return false
	}
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err == nil {
		conn.Close()
	}
	return err == nil
}

// fallBackToEmbedded keeps the default database URL when a server answers
// there, uses the private cluster if one runs, and otherwise starts one and
// points o at it.
func fallBackToEmbedded(ctx context.Context, o *options) (stop func() error, err error) {
	if usePrivateCluster(o); listening(o.DatabaseURL) {
		return func() error { return nil }, nil // connect() reports any other error
	}
	dsn, stop, err := startEmbedded()
	if err != nil {
		return nil, err
	}
	o.DatabaseURL = dsn
	return stop, nil
}
