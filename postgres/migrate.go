package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/maillage/maillage/migrations"
)

// Migrate runs a goose command ("up", "down", "status", "version") with the
// embedded migrations, under a PostgreSQL advisory lock: instances sharing a
// database may start, and migrate, at the same time.
func Migrate(ctx context.Context, db *sql.DB, command string) error {
	// Waiting instances try every second, for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrations lock: %w", err)
	}
	// Out of order: work lands in parallel, so a release may bring a
	// migration numbered below one a database already has (applied by an
	// earlier build); it is applied, not refused.
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker),
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	switch command {
	case "up":
		_, err = provider.Up(ctx)
	case "down":
		_, err = provider.Down(ctx)
	case "status":
		var st []*goose.MigrationStatus
		if st, err = status(ctx, db, provider); err == nil {
			for _, s := range st {
				applied := "pending"
				if s.State == goose.StateApplied {
					applied = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
				}
				fmt.Printf("%05d %-32s %s\n", s.Source.Version, s.Source.Path, applied)
			}
		}
	default:
		return fmt.Errorf("unknown migrate command %q (up, down, status)", command)
	}
	if err != nil {
		return fmt.Errorf("migrate %s: %w", command, err)
	}
	return nil
}

// Pending reports how many migrations are not applied yet (for /readyz).
func Pending(ctx context.Context, db *sql.DB) (int, error) {
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		return 0, err
	}
	st, err := status(ctx, db, provider)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range st {
		if s.State != goose.StateApplied {
			n++
		}
	}
	return n, nil
}

// status lists the migrations, each applied or pending. In a database
// without goose's version table, all are pending, and the table is not
// created: "maillage migrate status" changes nothing.
func status(ctx context.Context, db *sql.DB, provider *goose.Provider) ([]*goose.MigrationStatus, error) {
	var versioned bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&versioned); err != nil {
		return nil, err
	}
	if versioned {
		return provider.Status(ctx)
	}
	var st []*goose.MigrationStatus
	for _, src := range provider.ListSources() {
		st = append(st, &goose.MigrationStatus{Source: src, State: goose.StatePending})
	}
	return st, nil
}

// maintenanceDB opens the server's "postgres" database, beside the database
// that dsn names, and returns that name.
func maintenanceDB(dsn string) (*sql.DB, string, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return nil, "", fmt.Errorf("DATABASE_URL must be a postgres:// URL: %q", dsn)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return nil, "", fmt.Errorf("DATABASE_URL names no database: %q", dsn)
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := sql.Open("postgres", withConnectionDefaults(admin.String()))
	return db, name, err
}

// EnsureDatabase creates the database that dsn names if it does not exist,
// connecting to the server's "postgres" database to do so.
func EnsureDatabase(ctx context.Context, dsn string) error {
	db, name, err := maintenanceDB(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("check database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		var pqErr *pq.Error
		// Created meanwhile by another instance: 42P04, or, when both CREATE
		// at once, the unique index of the catalog.
		if asPQ(err, &pqErr) && (pqErr.Code == "42P04" || pqErr.Code == "23505" && pqErr.Constraint == "pg_database_datname_index") {
			return nil
		}
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// DropDatabase drops the database that dsn names (for tests).
func DropDatabase(ctx context.Context, dsn string) error {
	db, name, err := maintenanceDB(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
	return err
}
