package main

import (
	"context"
	"strings"
	"testing"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// The zero-configuration path: the database is created if missing, migrated
// and seeded, and a token is printed for a seeded account.
func TestSeedCreatesMigratesAndLoadsTheDemoData(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	if err := postgres.DropDatabase(ctx, url); err != nil { // start from no database at all
		t.Fatal(err)
	}
	if err := run(ctx, []string{"--database-url", url, "seed"}); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var regions []string
	db.Select(&regions, `SELECT name FROM territories WHERE level = 'REGION' ORDER BY code`)
	if strings.Join(regions, ",") != "Normandie,Nouvelle-Aquitaine,Auvergne-Rhône-Alpes" {
		t.Fatalf("regions %v", regions)
	}
	var pta int
	db.Get(&pta, `SELECT count(*) FROM structures WHERE kind = 'PTA'`)
	if pta != 2 {
		t.Fatalf("%d PTA, want the two of the Nouvelle-Aquitaine pilot", pta)
	}
	// Seeding twice leaves the data alone.
	var before, after int
	db.Get(&before, `SELECT count(*) FROM structures`)
	if err := run(ctx, []string{"--database-url", url, "seed"}); err != nil {
		t.Fatal(err)
	}
	db.Get(&after, `SELECT count(*) FROM structures`)
	if after != before {
		t.Fatalf("second seed: %d structures, was %d", after, before)
	}
}

func TestUnknownCommandIsAnError(t *testing.T) {
	err := run(context.Background(), []string{"--database-url", "postgres://postgres@127.0.0.1:5432/x?sslmode=disable", "frobnicate"})
	if err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Fatalf("err = %v", err)
	}
}
