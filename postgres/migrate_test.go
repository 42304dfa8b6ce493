package postgres_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/maillage/maillage/migrations"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// Every migration goes down as cleanly as it went up, and up again.
func TestMigrationsRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Connect(ctx, pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	up, err := provider.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	var tables int
	db.Get(&tables, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`)
	if tables != 0 {
		t.Fatalf("%d tables left after migrating down", tables)
	}
	again, err := provider.Up(ctx)
	if err != nil || len(again) != len(up) {
		t.Fatalf("up again: %d migrations, %v; want %d", len(again), err, len(up))
	}
	if pending, err := postgres.Pending(ctx, db.DB); err != nil || pending != 0 {
		t.Fatalf("pending after up: %d, %v", pending, err)
	}
}

// Instances sharing a database start together: their migrations take turns
// under the advisory lock instead of colliding.
func TestConcurrentMigrationsTakeTurns(t *testing.T) {
	dsn := pgtest.NewURL(t)
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		db, err := postgres.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		go func() { errs <- postgres.Migrate(ctx, db.DB, "up") }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent migrate up: %v", err)
		}
	}
	db, err := postgres.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := postgres.Pending(ctx, db.DB); err != nil || n != 0 {
		t.Errorf("pending after concurrent migrations: %d %v", n, err)
	}
}

// Instances started together on a database that does not exist yet all
// create it, and none fails.
func TestConcurrentEnsureDatabase(t *testing.T) {
	dsn := pgtest.NewURL(t)
	ctx := context.Background()
	if err := postgres.DropDatabase(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- postgres.EnsureDatabase(ctx, dsn) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent EnsureDatabase: %v", err)
		}
	}
}

// A database that has a later migration but not an earlier one — a release
// bringing a migration numbered below one an earlier build applied — is
// migrated up, not refused.
func TestMigrateAppliesAMigrationLandedOutOfOrder(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Connect(ctx, pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db.DB, "up"); err != nil {
		t.Fatal(err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	sources := provider.ListSources()
	earlier := sources[len(sources)-2].Version
	if _, err := provider.ApplyVersion(ctx, earlier, false); err != nil {
		t.Fatalf("down %d alone: %v", earlier, err)
	}
	if pending, _ := postgres.Pending(ctx, db.DB); pending != 1 {
		t.Fatalf("%d pending after taking %d down, want 1", pending, earlier)
	}
	if err := postgres.Migrate(ctx, db.DB, "up"); err != nil {
		t.Fatalf("up with %d missing below the latest: %v", earlier, err)
	}
	if pending, err := postgres.Pending(ctx, db.DB); err != nil || pending != 0 {
		t.Fatalf("pending after up: %d, %v", pending, err)
	}
}
