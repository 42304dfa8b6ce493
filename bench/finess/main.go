// Command finess measures "maillage import finess" as an operator runs it:
// the maillage binary (-bin) imports a generated extract of -n structureet
// lines (with their geolocalisation lines, every establishment of a
// category the hub models) into a fresh database, then the same file again
// (which changes nothing). For each it reports the wall time and the peak
// resident memory of the command's process, and, for comparison,
// PostgreSQL's own cost of COPYing the same rows straight into structures.
// The databases are dropped at the end.
//
//	go build -o /tmp/maillage ./cmd/maillage && go run ./bench/finess -bin /tmp/maillage
package main

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage/bench/internal/machine"
	"github.com/maillage/maillage/bench/internal/peak"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

func main() {
	bin := flag.String("bin", "", "the maillage binary to measure (go build -o /tmp/maillage ./cmd/maillage)")
	pgServer := flag.String("pg", cmp.Or(os.Getenv("MAILLAGE_TEST_DATABASE_URL"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"the PostgreSQL server to create the databases on")
	n := flag.Int("n", 100000, "structureet lines (at most 100,000)")
	flag.Parse()
	if *bin == "" || *n < 1 || *n > 100000 {
		flag.Usage()
		os.Exit(2)
	}
	ctx := context.Background()
	fmt.Printf("load average at start: %s\n", machine.LoadAverage())

	dir, err := os.MkdirTemp("", "bench-finess")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "etalab-cs1100507-stock-20261127-0341.csv")
	size := writeExtract(file, *n)
	fmt.Printf("extract: %d structureet and %d geolocalisation lines, %.1f MB\n", *n, *n, float64(size)/1e6)
	dsn, drop, err := machine.FreshDatabase(ctx, *pgServer, "maillage_bench_")
	if err != nil {
		log.Fatal(err)
	}
	defer drop()
	for _, run := range []string{"first import", "same file again"} {
		took, rss, out := command(*bin, "import", "finess", file, "-database-url", dsn)
		fmt.Printf("%-16s %7.2f s  peak RSS %5.1f MB  %s", run+":", took.Seconds(), rss, out)
	}

	copyDSN, dropCopy, err := machine.FreshDatabase(ctx, *pgServer, "maillage_bench_")
	if err != nil {
		log.Fatal(err)
	}
	defer dropCopy()
	took := plainCopy(ctx, copyDSN, establishments(*n))
	fmt.Printf("%-16s %7.2f s  (the same %d rows COPYed straight into structures, in this process)\n", "postgres COPY:", took.Seconds(), *n)
	fmt.Printf("load average at end: %s\n", machine.LoadAverage())
}

// establishments are the n generated establishments, all of categories the
// hub models.
func establishments(n int) []pgtest.FINESSEstablishment {
	ets := pgtest.GenFINESS(0, n)
	for i := range ets {
		if ets[i].Unmodelled() {
			ets[i].Category = "500"
		}
	}
	return ets
}

// writeExtract writes the extract of n establishments to file and returns
// its size.
func writeExtract(file string, n int) int {
	var buf bytes.Buffer
	if err := pgtest.WriteFINESSExtract(&buf, establishments(n)); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		log.Fatal(err)
	}
	return buf.Len()
}

// command runs the binary and returns its wall time, its peak resident
// memory in MB and what it printed (see peak.Run).
func command(bin string, args ...string) (time.Duration, float64, string) {
	took, hwm, out, err := peak.Run(bin, args...)
	if err != nil {
		log.Fatalf("%v\n%s", err, out)
	}
	return took, hwm, out
}

// plainCopy COPYs the establishments' rows into structures in one
// transaction and returns the time it took.
func plainCopy(ctx context.Context, dsn string, ets []pgtest.FINESSEstablishment) time.Duration {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var territory string
	if err := db.Get(&territory, `INSERT INTO territories (code, name, level, path) VALUES ('fr', 'France', 'NATION', 'fr') RETURNING id`); err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	tx, err := db.Begin()
	if err != nil {
		log.Fatal(err)
	}
	stmt, err := tx.Prepare(pq.CopyIn("structures", "kind", "name", "territory_id", "finess", "siret", "commune", "source"))
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range ets {
		if _, err := stmt.Exec("EHPAD", cmp.Or(e.LongName, e.Name), territory, e.FINESS, e.SIRET, "76"+e.Commune, "FINESS"); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := stmt.Exec(); err != nil {
		log.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		log.Fatal(err)
	}
	return time.Since(start)
}
