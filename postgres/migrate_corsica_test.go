package postgres_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/maillage/maillage/migrations"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// Rows written with Corsica in lower case before migration 00073 come out
// in the canonical "2A"/"2B" form (item 10 of issue 17).
func TestCorsicaMigrationNormalisesRows(t *testing.T) {
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
	if _, err := provider.UpTo(ctx, 72); err != nil {
		t.Fatal(err)
	}
	fixture := []string{
		`INSERT INTO territories (id, code, name, level, path) VALUES ('ter_fr', 'fr', 'France', 'NATION', 'fr')`,
		`INSERT INTO territories (id, code, name, level, path, parent_id) VALUES ('ter_94', '94', 'Corse', 'REGION', 'fr/94', 'ter_fr')`,
		`INSERT INTO territories (id, code, name, level, path, parent_id) VALUES ('ter_2a', '2a', 'Corse-du-Sud', 'DEPARTMENT', 'fr/94/2a', 'ter_94')`,
		`INSERT INTO territories (id, code, name, level, path, parent_id) VALUES ('ter_2b', '2b', 'Haute-Corse', 'DEPARTMENT', 'fr/94/2b', 'ter_94')`,
		`INSERT INTO territories (id, code, name, level, path, parent_id) VALUES ('ter_l', 'cpts-2a-01', 'Ajaccio', 'LOCAL', 'fr/94/2a/cpts-2a-01', 'ter_2a')`,
		`INSERT INTO territories (id, code, name, level, path, parent_id) VALUES ('ter_76', '76', 'Seine-Maritime', 'DEPARTMENT', 'fr/28a/76', 'ter_fr')`,
		`INSERT INTO structures (id, kind, name, territory_id, finess, commune) VALUES ('str_a', 'EHPAD', 'EHPAD', 'ter_l', '2a0000010', '2a004')`,
		`INSERT INTO events (topic, type, subject_id, domain, payload) VALUES ('directory', 'X', 'str_a', 'fr/94/2a/cpts-2a-01/@str_a', '{}')`,
	}
	for _, q := range fixture {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := provider.UpTo(ctx, 73); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ q, want string }{
		{`SELECT code FROM territories WHERE id = 'ter_2a'`, "2A"},
		{`SELECT path FROM territories WHERE id = 'ter_2b'`, "fr/94/2B"},
		{`SELECT path FROM territories WHERE id = 'ter_l'`, "fr/94/2A/cpts-2a-01"},
		{`SELECT code FROM territories WHERE id = 'ter_l'`, "cpts-2a-01"},
		{`SELECT path FROM territories WHERE id = 'ter_76'`, "fr/28a/76"},
		{`SELECT finess FROM structures WHERE id = 'str_a'`, "2A0000010"},
		{`SELECT commune FROM structures WHERE id = 'str_a'`, "2A004"},
		{`SELECT domain FROM events WHERE subject_id = 'str_a'`, "fr/94/2A/cpts-2a-01/@str_a"},
	} {
		var got string
		if err := db.GetContext(ctx, &got, c.q); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.q, got, c.want)
		}
	}
}
