// Package machine holds what every benchmark program reports or needs of
// the machine it runs on: its load average, and scratch databases.
package machine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log"
	"net/url"
	"os"
	"strings"

	"github.com/maillage/maillage/postgres"
)

// LoadAverage is the machine's load average over 1, 5 and 15 minutes
// (Linux), for reading a figure measured on a shared machine: "?" where it
// cannot be read.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// FreshDatabase creates a migrated database with a random name, starting
// with prefix, on the PostgreSQL server of the URL server, and returns its
// URL and a drop that removes it.
func FreshDatabase(ctx context.Context, server, prefix string) (string, func(), error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	u.Path = "/" + prefix + hex.EncodeToString(b)
	dsn := u.String()
	if err := postgres.EnsureDatabase(ctx, dsn); err != nil {
		return "", nil, err
	}
	drop := func() {
		if err := postgres.DropDatabase(context.Background(), dsn); err != nil {
			log.Print(err)
		}
	}
	db, err := postgres.Open(ctx, dsn) // migrates
	if err != nil {
		drop()
		return "", nil, err
	}
	db.Close()
	return dsn, drop, nil
}
