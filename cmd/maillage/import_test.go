package main

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// "maillage import rpps" reads the extract inside its published .zip and
// writes the rejected lines to the -rejects file.
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
	w, err := zw.Create("PS_LibreAcces_Personne_activite_202611300000.txt")
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
