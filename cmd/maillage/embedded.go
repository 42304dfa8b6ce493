package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	embeddedpostgres "github.com/fergusstrange/embedded-postgres"
)

// embeddedPort is where a private cluster listens, beside a system server's
// usual 5432 (a variable for tests).
var embeddedPort uint32 = 5433

// embeddedURL is the database URL of the private cluster.
func embeddedURL() string {
	return fmt.Sprintf("postgres://postgres:postgres@127.0.0.1:%d/maillage?sslmode=disable", embeddedPort)
}

// installedPostgres returns the directory of the newest PostgreSQL binaries
// installed by the distribution (e.g. /usr/lib/postgresql/15), and its major
// version; "" when none is installed.
func installedPostgres() (dir, major string) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Strings(dirs)
	if len(dirs) == 0 {
		return "", ""
	}
	dir = filepath.Dir(filepath.Dir(dirs[len(dirs)-1]))
	return dir, filepath.Base(dir)
}

// startEmbedded starts a private PostgreSQL cluster from the installed
// binaries, its data kept under the user's data directory across runs, and
// returns its URL and how to stop it. initdb refuses to run as root: then it
// says so in one line.
func startEmbedded() (dsn string, stop func() error, err error) {
	bin, major := installedPostgres()
	if bin == "" {
		return "", nil, errors.New("no PostgreSQL server answers and none is installed: install one (apt-get install postgresql) or set DATABASE_URL")
	}
	if os.Geteuid() == 0 {
		return "", nil, fmt.Errorf("no PostgreSQL server answers, and a private cluster from %s cannot start as root (initdb refuses): start the server (pg_ctlcluster %s main start), run as another user, or set DATABASE_URL", bin, major)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", nil, err
	}
	base := filepath.Join(home, ".local", "share", "maillage", "postgres-"+major)
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(base, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return "", nil, err
	}
	pg := embeddedpostgres.NewDatabase(embeddedpostgres.DefaultConfig().
		Version(embeddedpostgres.PostgresVersion(major + ".0.0")).
		BinariesPath(bin).
		RuntimePath(filepath.Join(base, "run")).
		DataPath(filepath.Join(base, "data")).
		Port(embeddedPort).
		Username("postgres").Password("postgres").
		Database("maillage").
		Logger(logFile))
	if err := pg.Start(); err != nil {
		logFile.Close()
		return "", nil, fmt.Errorf("start a private PostgreSQL from %s (log: %s): %w", bin, logFile.Name(), err)
	}
	fmt.Fprintf(os.Stderr, "no PostgreSQL server answered: started a private cluster on 127.0.0.1:%d (data in %s)\n", embeddedPort, base)
	stop = func() error {
		defer logFile.Close()
		return pg.Stop()
	}
	return embeddedURL(), stop, nil
}

// unreachable reports whether err says no server listens (as opposed to a
// server that answered with an error).
func unreachable(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "no such file or directory")
}
