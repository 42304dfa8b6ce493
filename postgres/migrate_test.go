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
	db, err := postgres.Open(ctx, pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db.DB.DB, migrations.FS)
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
	if pending, err := postgres.Pending(ctx, db.DB.DB); err != nil || pending != 0 {
		t.Fatalf("pending after up: %d, %v", pending, err)
	}
}
