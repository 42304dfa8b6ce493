package main

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// "maillage import rpps" reads the activity extract inside its published
// .zip and writes the rejected lines to the -rejects file.
func TestImportRPPSFromZip(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	dir := t.TempDir()
	extract, err := os.ReadFile("../../postgres/testdata/rpps_1.txt")
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "PS_LibreAcces_202611300000.zip")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	// The published archive holds three extracts: the activities are read.
	w, err := zw.Create("PS_LibreAcces_Dipl_AutExerc_202611300000.txt")
	if err == nil {
		_, err = w.Write([]byte("Type d'identifiant PP|Identifiant PP|Code type diplôme|\n"))
	}
	if err == nil {
		w, err = zw.Create("PS_LibreAcces_Personne_activite_202611300000.txt")
	}
	if err == nil {
		_, err = w.Write(extract)
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	rejects := filepath.Join(dir, "rejects.txt")
	if err := run(ctx, []string{"import", "rpps", archive, "-rejects", rejects, "-database-url", url}); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM professionals`); err != nil || n != 4 {
		t.Errorf("%d professionals (%v), want 4", n, err)
	}
	got, err := os.ReadFile(rejects)
	if want := "line 6: Identifiant PP: RPPS must be exactly 11 digits, got \"1234\"\nline 7: Nom d'exercice: must not be empty\n"; err != nil || string(got) != want {
		t.Errorf("rejects file %q (%v), want %q", got, err, want)
	}
	if err := run(ctx, []string{"import", "finess", archive, "-database-url", url}); err == nil {
		t.Error("import finess: no error")
	}
}

// "maillage import finess -department 76,14" decodes the Windows-1252
// extract and loads the establishments of these departments only.
func TestImportFINESSRegion(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	dir := t.TempDir()
	lines := []string{
		"finess;etalab;107;2026-11-27",
		"structureet;760000026;760000016;EHPAD LES CHÊNES;;;;3;R;DES ÉCOLES;;;540;76;SEINE MARITIME;76000 ROUEN;;;500;Etablissement d'hébergement pour personnes âgées dépendantes;4401;EHPA;;8710A;40;ARS;;;1990-01-01;1990-01-01;2026-10-02;",
		"structureet;140000027;140000016;SSIAD DU BESSIN;;;;;;;;;047;14;CALVADOS;14400 BAYEUX;;;354;Service de soins infirmiers à domicile (SSIAD);4403;SSIAD;;;;;;;1990-01-01;1990-01-01;2026-10-02;",
		"structureet;690000021;690000016;EHPAD DU RHÔNE;;;;;;;;;123;69;RHONE;69000 LYON;;;500;Etablissement d'hébergement pour personnes âgées dépendantes;4401;EHPA;;;;;;;1990-01-01;1990-01-01;2026-10-02;",
		"geolocalisation;760000026;561234.5;6931234.5;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2026-10-03",
	}
	text, err := charmap.Windows1252.NewEncoder().String(strings.Join(lines, "\r\n") + "\r\n")
	if err != nil {
		t.Fatal(err)
	}
	extract := filepath.Join(dir, "etalab-cs1100507-stock-20261127-0341.csv")
	if err := os.WriteFile(extract, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	rejects := filepath.Join(dir, "rejects.txt")
	if err := run(ctx, []string{"import", "finess", extract, "-department", "76,14", "-rejects", rejects, "-database-url", url}); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names []string
	if err := db.Select(&names, `SELECT s.name || ' ' || t.path FROM structures s JOIN territories t ON t.id = s.territory_id ORDER BY 1`); err != nil ||
		strings.Join(names, ", ") != "EHPAD LES CHÊNES fr/28/76, SSIAD DU BESSIN fr/28/14" {
		t.Errorf("structures %q (%v)", names, err)
	}
	if got, err := os.ReadFile(rejects); err != nil || len(got) != 0 {
		t.Errorf("rejects file %q (%v), want empty", got, err)
	}
	if err := run(ctx, []string{"import", "finess", extract, "-department", "99", "-database-url", url}); err == nil {
		t.Error("department 99: no error")
	}
}

// "maillage import mssante" reads the extract inside its published .zip.
func TestImportMSSanteFromZip(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	dir := t.TempDir()
	if err := run(ctx, []string{"import", "rpps", "../../postgres/testdata/rpps_1.txt", "-rejects", filepath.Join(dir, "r"), "-database-url", url}); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "Extraction_Correspondance_MSSante_202611300000.zip")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create("Extraction_Correspondance_MSSante_202611300000.txt")
	if err == nil {
		pgtest.WriteMSSante(w, []pgtest.MSSanteMailbox{{Type: "PER", Address: "claire.martin@medecin.mssante.fr", RPPS: "10000000001"}})
		err = zw.Close()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"import", "mssante", archive, "-database-url", url}); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var address string
	if err := db.Get(&address, `SELECT mssante FROM professionals WHERE rpps = '10000000001'`); err != nil || address != "claire.martin@medecin.mssante.fr" {
		t.Errorf("address %q (%v)", address, err)
	}
}

// rppsWithRejects writes an RPPS activity extract of good professionals
// followed by bad lines (an RPPS of 4 digits each) into dir, and returns its
// path and the rejects the import writes for the bad lines.
func rppsWithRejects(t *testing.T, dir string, good, bad int) (string, []string) {
	t.Helper()
	var pros []pgtest.RPPSProfessional
	for i := range good {
		pros = append(pros, pgtest.RPPSProfessional{RPPS: fmt.Sprintf("1%010d", i), Last: "NOM", First: "Prénom", Sites: []pgtest.RPPSSite{{Commune: "76540"}}})
	}
	var rejects []string
	for i := range bad {
		pros = append(pros, pgtest.RPPSProfessional{RPPS: fmt.Sprint(1000 + i), Last: "NOM", First: "Prénom", Sites: []pgtest.RPPSSite{{Commune: "76540"}}})
		rejects = append(rejects, fmt.Sprintf("line %d: Identifiant PP: RPPS must be exactly 11 digits, got \"%d\"\n", good+2+i, 1000+i))
	}
	var b strings.Builder
	pgtest.WriteRPPSActivities(&b, pros)
	name := filepath.Join(dir, "PS_LibreAcces_Personne_activite_202611300000.txt")
	if err := os.WriteFile(name, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return name, rejects
}

// An import that fails before rejecting a line leaves no -rejects file, and
// an existing one as it was (an earlier run's rejects); one that rejected
// lines before failing leaves them, and one that succeeds leaves its own
// (none: an empty file).
func TestImportRejectsFile(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	dir := t.TempDir()
	notRPPS := filepath.Join(dir, "not-rpps.txt")
	if err := os.WriteFile(notRPPS, []byte("Nom|Prénom|\nMARTIN|Claire|\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good, _ := rppsWithRejects(t, t.TempDir(), 3, 0)
	allBad, allBadRejects := rppsWithRejects(t, t.TempDir(), 0, 2)
	const refused = "postgres://postgres@127.0.0.1:1/maillage?sslmode=disable"
	failures := []struct {
		name string
		args []string
	}{
		{"wrong format", []string{"import", "rpps", notRPPS, "-database-url", url}},
		{"not a zip", []string{"import", "rpps", notRPPS + ".zip", "-database-url", url}},
		{"database refusing", []string{"import", "rpps", good, "-database-url", refused}},
		{"department refused", []string{"import", "rpps", good, "-department", "99", "-database-url", url}},
	}
	for _, c := range failures {
		rejects := filepath.Join(dir, "new-rejects.txt")
		os.Remove(rejects)
		if err := run(ctx, append(c.args, "-rejects", rejects)); err == nil {
			t.Fatalf("%s: no error", c.name)
		}
		if _, err := os.Stat(rejects); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: a rejects file is left (%v)", c.name, err)
		}
		earlier := filepath.Join(dir, "earlier-rejects.txt")
		if err := os.WriteFile(earlier, []byte("line 6: an earlier run's\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := run(ctx, append(c.args, "-rejects", earlier)); err == nil {
			t.Fatalf("%s: no error", c.name)
		}
		if got, err := os.ReadFile(earlier); err != nil || string(got) != "line 6: an earlier run's\n" {
			t.Errorf("%s: the existing rejects file holds %q (%v), want it untouched", c.name, got, err)
		}
	}
	// The extract given as the rejects file (arguments swapped): refused,
	// the extract intact.
	before, err := os.ReadFile(allBad)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"import", "rpps", allBad, "-rejects", allBad, "-database-url", url}); err == nil ||
		!strings.Contains(err.Error(), "is the extract to import") {
		t.Errorf("rejects file = extract: %v", err)
	}
	if after, err := os.ReadFile(allBad); err != nil || string(after) != string(before) {
		t.Errorf("rejects file = extract: the extract is now %q (%v)", after, err)
	}
	// Every line rejected: the import fails (nothing to load), its rejects
	// say why.
	rejects := filepath.Join(dir, "earlier-rejects.txt")
	if err := run(ctx, []string{"import", "rpps", allBad, "-rejects", rejects, "-database-url", url}); err == nil ||
		!strings.Contains(err.Error(), "nothing to load") {
		t.Errorf("every line rejected: %v", err)
	}
	if got, err := os.ReadFile(rejects); err != nil || string(got) != strings.Join(allBadRejects, "") {
		t.Errorf("every line rejected: rejects file %q (%v), want %q", got, err, strings.Join(allBadRejects, ""))
	}
	// A good file: the earlier run's rejects are gone.
	if err := run(ctx, []string{"import", "rpps", good, "-rejects", rejects, "-database-url", url}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(rejects); err != nil || len(got) != 0 {
		t.Errorf("good file: rejects file %q (%v), want empty", got, err)
	}
}

// Without -rejects, the import prints the first rejected lines on stderr
// once it is over, and how many more there are, then its summary on
// stdout; stderr not being a terminal, it draws no progress bar.
func TestImportRejectsOnStderr(t *testing.T) {
	url := pgtest.NewURL(t)
	file, rejects := rppsWithRejects(t, t.TempDir(), 3, rejectsShown+5)
	stdout, stderr, code := maillage(t, nil, "import", "rpps", file, "-database-url", url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := strings.Join(rejects[:rejectsShown], "") + "… and 5 more rejected lines: -rejects FILE writes them all\n"
	if got := withoutLogs(stderr); got != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
	}
	if !strings.HasPrefix(stdout, "rpps: 28 lines read,") || !strings.Contains(stdout, fmt.Sprintf(" %d rejected in ", rejectsShown+5)) ||
		strings.Count(stdout, "\n") != 1 {
		t.Errorf("stdout %q, want one summary line", stdout)
	}
	// A failed import prints them too, before its error.
	allBad, rejects := rppsWithRejects(t, t.TempDir(), 0, 2)
	_, stderr, code = maillage(t, nil, "import", "rpps", allBad, "-database-url", url)
	if want := strings.Join(rejects, "") + "maillage: import rpps: BAD_USER_INPUT: nothing to load"; code != 1 || !strings.HasPrefix(withoutLogs(stderr), want) {
		t.Errorf("every line rejected: exit %d, stderr %q, want it to start with %q", code, stderr, want)
	}
}
