// Command import measures "maillage import rpps" on a generated RPPS
// activity extract of -lines lines (default 100,000) in the published
// format: the wall time and the peak resident memory of the command (its
// VmHWM, see peak.Run), for a first import into an empty
// directory, the same file again, and a file with 1% of the lines changed,
// 1% removed and 1% new; next to the time of a plain COPY of the same lines
// into a table of the same columns, PostgreSQL's own floor for moving them.
// A tenth of the activities are in structures of the directory, so the
// imports also start and end memberships. Then the same for "maillage import
// mssante" with one personal mailbox per professional.
//
//	go build -o /tmp/maillage ./cmd/maillage
//	go run ./bench/import -bin /tmp/maillage
//
// It works in a database of its own on -server, dropped at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage/bench/internal/machine"
	"github.com/maillage/maillage/bench/internal/peak"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

func main() {
	server := flag.String("server", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (its maintenance database)")
	bin := flag.String("bin", "/tmp/maillage", "the maillage binary to run")
	lines := flag.Int("lines", 100_000, "activity lines in the extract")
	flag.Parse()
	if err := run(*server, *bin, *lines); err != nil {
		log.Fatal(err)
	}
}

func run(server, bin string, lines int) error {
	ctx := context.Background()
	fmt.Printf("load average at start: %s\n", machine.LoadAverage())
	dir, err := os.MkdirTemp("", "maillage-bench-import")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	structures := lines / 100
	pros := professionals(lines, structures)
	first, err := write(dir, "PS_LibreAcces_Personne_activite_1.txt", pros)
	if err != nil {
		return err
	}
	third, err := write(dir, "PS_LibreAcces_Personne_activite_3.txt", changed(pros, structures))
	if err != nil {
		return err
	}
	st, _ := os.Stat(first)
	fmt.Printf("extract: %d lines, %d professionals, %.1f MB; %d structures in the directory\n", lines, len(pros), float64(st.Size())/1e6, structures)

	dsn, drop, err := machine.FreshDatabase(ctx, server, "maillage_bench_import_")
	if err != nil {
		return err
	}
	defer drop()
	if err := seedStructures(ctx, dsn, structures); err != nil {
		return err
	}
	for _, r := range []struct{ name, file string }{{"first import", first}, {"same file again", first}, {"1% changed, removed, new", third}} {
		took, rss, out, err := peak.Run(bin, "import", "rpps", r.file, "-database-url", dsn, "-rejects", os.DevNull)
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", r.name, err, out)
		}
		fmt.Printf("%-26s %8s  peak RSS %5.1f MB  %s", r.name, took.Round(time.Millisecond), rss, out)
	}

	// The MSSanté extract of the same professionals: one personal mailbox
	// each (those the third file removed are unknown holders, rejected).
	var boxes []pgtest.MSSanteMailbox
	for _, p := range pros {
		boxes = append(boxes, pgtest.MSSanteMailbox{Type: "PER", Address: "prenom.nom" + p.RPPS + "@medecin.mssante.fr", RPPS: p.RPPS})
	}
	mss := filepath.Join(dir, "Extraction_Correspondance_MSSante_1.txt")
	f, err := os.Create(mss)
	if err != nil {
		return err
	}
	pgtest.WriteMSSante(f, boxes)
	if err := f.Close(); err != nil {
		return err
	}
	for _, name := range []string{"mssante first import", "mssante same file again"} {
		took, rss, out, err := peak.Run(bin, "import", "mssante", mss, "-database-url", dsn, "-rejects", os.DevNull)
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		fmt.Printf("%-26s %8s  peak RSS %5.1f MB  %s", name, took.Round(time.Millisecond), rss, out)
	}

	copyDSN, dropCopy, err := machine.FreshDatabase(ctx, server, "maillage_bench_import_")
	if err != nil {
		return err
	}
	defer dropCopy()
	took, err := plainCopy(ctx, copyDSN, first)
	if err != nil {
		return err
	}
	fmt.Printf("%-26s %8s  (COPY of the same %d lines into a table of the staged columns, no index)\n", "plain COPY", took.Round(time.Millisecond), lines)
	if took, err = copyProfessionals(ctx, copyDSN, pros); err != nil {
		return err
	}
	fmt.Printf("%-26s %8s  (COPY of the %d professionals into professionals, its indexes and triggers)\n", "COPY into professionals", took.Round(time.Millisecond), len(pros))
	fmt.Printf("load average at end: %s\n", machine.LoadAverage())
	return nil
}

// professionals makes professionals until their activities fill lines:
// one site each — by FINESS (i%3 == 0) or SIRET (i%3 == 1) of one of the
// structures for one in ten, elsewhere otherwise — and every tenth a
// second site.
func professionals(lines, structures int) []pgtest.RPPSProfessional {
	var pros []pgtest.RPPSProfessional
	for n := 0; n < lines; {
		p := pro(len(pros), structures, 0)
		if n+len(p.Sites) > lines {
			p.Sites = p.Sites[:1]
		}
		n += len(p.Sites)
		pros = append(pros, p)
	}
	return pros
}

func pro(i, structures, shift int) pgtest.RPPSProfessional {
	p := pgtest.RPPSProfessional{RPPS: fmt.Sprintf("1%010d", i), Last: fmt.Sprintf("NOM%d", i), First: fmt.Sprintf("Prénom%d", i%1000)}
	commune := fmt.Sprintf("76%03d", i%700)
	site := func(j int) pgtest.RPPSSite {
		if j%10 != 0 {
			return pgtest.RPPSSite{SIRET: pgtest.GenSIRET(1_000_000 + j), Commune: commune}
		}
		k := (j/10 + shift) % structures
		if j%3 == 0 {
			return pgtest.RPPSSite{FINESS: finess(k), Commune: commune}
		}
		return pgtest.RPPSSite{SIRET: pgtest.GenSIRET(k), Commune: commune}
	}
	p.Sites = append(p.Sites, site(i))
	if i%10 == 1 {
		p.Sites = append(p.Sites, site(i+9))
	}
	return p
}

func finess(k int) string { return fmt.Sprintf("76%07d", k) }

// changed is pros with 1% of them renamed and moved, 1% removed, 1% new.
func changed(pros []pgtest.RPPSProfessional, structures int) []pgtest.RPPSProfessional {
	out := make([]pgtest.RPPSProfessional, 0, len(pros))
	for i, p := range pros {
		switch i % 100 {
		case 10: // removed
			continue
		case 20: // changed
			p = pro(i, structures, 1)
			p.Last += "-MARTIN"
		}
		out = append(out, p)
	}
	for i := range len(pros) / 100 {
		out = append(out, pro(len(pros)+i, structures, 0))
	}
	return out
}

func write(dir, name string, pros []pgtest.RPPSProfessional) (string, error) {
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	pgtest.WriteRPPSActivities(f, pros)
	return path, f.Close()
}

// seedStructures creates n structures, each with a FINESS and a SIRET.
func seedStructures(ctx context.Context, dsn string, n int) error {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var ter string
	if err := db.Get(&ter, `INSERT INTO territories (code, name, level, path) VALUES ('fr', 'France', 'NATION', 'fr') RETURNING id`); err != nil {
		return err
	}
	var finesses, sirets []string
	for k := range n {
		finesses, sirets = append(finesses, finess(k)), append(sirets, pgtest.GenSIRET(k))
	}
	_, err = db.Exec(`INSERT INTO structures (kind, name, territory_id, finess, siret)
		SELECT 'MSP', 'MSP ' || f, $1, f, s FROM unnest($2::text[], $3::text[]) AS x(f, s)`, ter, pq.StringArray(finesses), pq.StringArray(sirets))
	return err
}

// plainCopy COPYs the lines of file, split on '|', into a table of the
// columns the importer stages.
func plainCopy(ctx context.Context, dsn, file string) (time.Duration, error) {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	if _, err := db.Exec(`CREATE TABLE copy_baseline (line int, rpps text, first_name text, last_name text,
		profession text, specialty text, siret text, finess text)`); err != nil {
		return 0, err
	}
	col := map[string]int{}
	for i, h := range pgtest.RPPSHeader {
		col[h] = i
	}
	start := time.Now()
	tx, err := db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(pq.CopyIn("copy_baseline", "line", "rpps", "first_name", "last_name", "profession", "specialty", "siret", "finess"))
	if err != nil {
		return 0, err
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")[1:] {
		f := strings.Split(line, "|")
		if _, err := stmt.Exec(i+2, f[col["Identifiant PP"]], f[col["Prénom d'exercice"]], f[col["Nom d'exercice"]],
			f[col["Libellé profession"]], f[col["Libellé savoir-faire"]], f[col["Numéro SIRET site"]], f[col["Numéro FINESS site"]]); err != nil {
			return 0, err
		}
	}
	if _, err := stmt.Exec(); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// copyProfessionals COPYs pros into the professionals table in one
// transaction: PostgreSQL's own cost of writing those rows with the
// table's indexes (the trigram search index among them) and triggers.
func copyProfessionals(ctx context.Context, dsn string, pros []pgtest.RPPSProfessional) (time.Duration, error) {
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	start := time.Now()
	tx, err := db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(pq.CopyIn("professionals", "rpps", "first_name", "last_name", "profession", "specialty"))
	if err != nil {
		return 0, err
	}
	for _, p := range pros {
		if _, err := stmt.Exec(p.RPPS, p.First, p.Last, "Médecin", "Médecine générale"); err != nil {
			return 0, err
		}
	}
	if _, err := stmt.Exec(); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
