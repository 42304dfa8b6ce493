// Package pgtest gives tests a fresh, migrated PostgreSQL database of their
// own on the real server, dropped when the test ends. The server is the one
// at MAILLAGE_TEST_DATABASE_URL (default: postgres on 127.0.0.1:5432).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
)

// ServerURL is the URL of the test server's maintenance database.
func ServerURL() string {
	if u := os.Getenv("MAILLAGE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewURL creates an empty database with a random name and returns its URL;
// it is dropped when t ends.
func NewURL(t testing.TB) string {
	t.Helper()
	u, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatalf("MAILLAGE_TEST_DATABASE_URL: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	u.Path = "/maillage_test_" + hex.EncodeToString(b)
	dsn := u.String()
	ctx := context.Background()
	if err := postgres.EnsureDatabase(ctx, dsn); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := postgres.DropDatabase(context.Background(), dsn); err != nil {
			t.Logf("drop test database: %v", err)
		}
	})
	return dsn
}

// New returns a fresh migrated database with its authorizer loaded.
func New(t testing.TB) *postgres.DB {
	t.Helper()
	return open(t, NewURL(t), false)
}

// Seeded returns a fresh migrated database holding the demo data.
func Seeded(t testing.TB) *postgres.DB {
	t.Helper()
	return open(t, NewURL(t), true)
}

// Open connects to an existing database (another instance's), migrated.
func Open(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	return open(t, dsn, false)
}

func open(t testing.TB, dsn string, seed bool) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if seed {
		if _, err := postgres.Seed(ctx, db); err != nil {
			t.Fatalf("seed test database: %v", err)
		}
	}
	return db
}

// As returns ctx acting as the seeded account with that login ("admin",
// "auditor", or a professional's RPPS).
func As(t testing.TB, db *postgres.DB, login string) context.Context {
	t.Helper()
	var acc struct {
		ID             string  `db:"id"`
		ProfessionalID *string `db:"professional_id"`
	}
	if err := db.GetContext(context.Background(), &acc, `SELECT id, professional_id FROM accounts WHERE login = $1`, login); err != nil {
		t.Fatalf("account %q: %v", login, err)
	}
	id := maillage.Identity{AccountID: acc.ID, Login: login}
	if acc.ProfessionalID != nil {
		id.ProfessionalID = *acc.ProfessionalID
	}
	return maillage.WithIdentity(context.Background(), id)
}
