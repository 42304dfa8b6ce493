package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// importMailboxes imports boxes and returns the report and the rejects.
func importMailboxes(t *testing.T, db *postgres.DB, boxes []pgtest.MSSanteMailbox) (*postgres.MSSanteImport, string) {
	t.Helper()
	var file, rejects bytes.Buffer
	pgtest.WriteMSSante(&file, boxes)
	rep, err := postgres.ImportMSSante(context.Background(), db, &file, postgres.ImportOptions{Rejects: &rejects})
	if err != nil {
		t.Fatal(err)
	}
	return rep, rejects.String()
}

func personalBox(i int) pgtest.MSSanteMailbox {
	return pgtest.MSSanteMailbox{Type: "PER", Address: fmt.Sprintf("Prenom.Nom%d@medecin.mssante.fr", i), RPPS: fmt.Sprintf("2%010d", i), Department: "76"}
}

// registerRows is the register and the holders' columns as text, to compare.
func registerRows(t *testing.T, db *postgres.DB) string {
	t.Helper()
	var rows []string
	const q = `SELECT concat_ws('|', address, kind, professional_id, structure_id, imported) FROM mssante_addresses
		UNION ALL SELECT concat_ws('|', id, mssante, updated_at) FROM professionals
		UNION ALL SELECT concat_ws('|', id, mssante, updated_at) FROM structures ORDER BY 1`
	if err := db.Select(&rows, q); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

// The MSSanté extract fills the register by address; the same file again
// changes nothing; 1% of the addresses changed, removed and new make
// exactly those changes; hand-entered addresses stay; lines with a bad
// address, type or holder are rejected with their line number.
func TestImportMSSante(t *testing.T) {
	db := pgtest.New(t)
	structures := seedStructures(t, db)
	importGen(t, db, genActivityPros(202))
	// By hand: professional 3 has another address, professional 4 the
	// file's, structure 9 professional 8's.
	for _, q := range []string{
		`UPDATE professionals SET mssante = 'manual.3@medecin.mssante.fr' WHERE rpps = '20000000003'`,
		`UPDATE professionals SET mssante = 'prenom.nom4@medecin.mssante.fr' WHERE rpps = '20000000004'`,
		`UPDATE structures SET mssante = 'prenom.nom8@medecin.mssante.fr' WHERE finess = '` + genFINESS(9) + `'`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var first []pgtest.MSSanteMailbox
	for i := range 200 {
		first = append(first, personalBox(i))
	}
	first = append(first, pgtest.MSSanteMailbox{Type: "PER", Address: "cabinet7@medecin.mssante.fr", RPPS: "20000000007"})
	for k := range genStructures {
		// The structure as a bare FINESS, or as a national structure
		// identifier (3 + SIRET).
		id := genFINESS(k)
		if k%2 == 1 {
			id = "3" + pgtest.GenSIRET(k)
		}
		first = append(first, pgtest.MSSanteMailbox{Type: "ORG", Address: fmt.Sprintf("secretariat.msp%d@msp.mssante.fr", k), Structure: id})
	}
	first = append(first,
		pgtest.MSSanteMailbox{Type: "PER", Address: "someone@gmail.com", RPPS: "20000000009"},           // line 213
		pgtest.MSSanteMailbox{Type: "PER", Address: "inconnu@medecin.mssante.fr", RPPS: "29999999999"},  // line 214
		pgtest.MSSanteMailbox{Type: "XYZ", Address: "bizarre@medecin.mssante.fr", RPPS: "20000000010"},  // line 215
		pgtest.MSSanteMailbox{Type: "ORG", Address: "ailleurs@ch.mssante.fr", Structure: genFINESS(99)}, // line 216
		pgtest.MSSanteMailbox{Type: "ORG", Address: "sans-structure@ch.mssante.fr", Structure: "12345"}, // line 217
	)
	events := lastEvent(t, db)
	rep, rejects := importMailboxes(t, db, first)
	// Assigned: 200 professionals but 3 (keeps their own), 4 (already has
	// it) and 8 (structure 9 has the address); structures but 9.
	if rep.Read != 216 || rep.Assigned != 197+9 || rep.Released != 0 || rep.Unused != 3 || rep.Rejected != 6 {
		t.Errorf("first import: %s", rep)
	}
	wantRejects := "line 213: Adresse BAL: MSSanté address must be in the MSSanté trust space (*.mssante.fr), got domain \"gmail.com\"\n" +
		"line 215: Type de BAL: unknown mailbox type \"XYZ\" (PER, ORG, APP or CAB)\n" +
		"line 217: Identification Structure: no FINESS or SIRET of the holder structure, got \"12345\"\n" +
		"line 10: address entered by hand for another holder in the hub\n" +
		"line 214: unknown holder: no professional with RPPS 29999999999\n" +
		"line 216: unknown holder: no structure with FINESS 760000099\n"
	if rejects != wantRejects {
		t.Errorf("rejects:\n%s\nwant:\n%s", rejects, wantRejects)
	}
	if got, want := eventsSince(t, db, events), map[string]int{"PROFESSIONAL_UPDATED": 197, "STRUCTURE_UPDATED": 9}; !maps.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM mssante_addresses WHERE imported`:                                                                                                           206 + 1, // and 4's, adopted
		`SELECT count(*) FROM professionals WHERE rpps = '20000000003' AND mssante = 'manual.3@medecin.mssante.fr'`:                                                       1,
		`SELECT count(*) FROM professionals WHERE rpps = '20000000007' AND mssante = 'cabinet7@medecin.mssante.fr'`:                                                       1,
		`SELECT count(*) FROM mssante_addresses WHERE address = 'prenom.nom8@medecin.mssante.fr' AND structure_id = '` + structures[9] + `' AND NOT imported`:             1,
		`SELECT count(*) FROM mssante_addresses WHERE address = 'secretariat.msp1@msp.mssante.fr' AND kind = 'ORGANISATIONAL' AND structure_id = '` + structures[1] + `'`: 1,
		`SELECT count(*) FROM audit_log WHERE role = 'system:import_mssante' AND operation = 'import_mssante_assign'`:                                                     206,
	} {
		if n := count(t, db, q); n != want {
			t.Errorf("%s: %d, want %d", q, n, want)
		}
	}

	// The same file again changes nothing.
	before, events := registerRows(t, db), lastEvent(t, db)
	rep, _ = importMailboxes(t, db, first)
	if rep.Assigned+rep.Released != 0 || rep.Unused != 3 {
		t.Errorf("re-import: %s", rep)
	}
	if registerRows(t, db) != before {
		t.Error("re-import changed the register")
	}
	if got := eventsSince(t, db, events); len(got) != 0 {
		t.Errorf("re-import appended events %v", got)
	}

	// 1% changed (20, 21), removed (30, 31), new (200, 201).
	third := append([]pgtest.MSSanteMailbox(nil), first[:30]...)
	third = append(third, first[32:]...)
	third[20].Address, third[21].Address = "nouvelle.adresse20@medecin.mssante.fr", "nouvelle.adresse21@medecin.mssante.fr"
	third = append(third, personalBox(200), personalBox(201))
	rep, _ = importMailboxes(t, db, third)
	if rep.Assigned != 4 || rep.Released != 2 {
		t.Errorf("third file: %s", rep)
	}
	if got, want := eventsSince(t, db, events), map[string]int{"PROFESSIONAL_UPDATED": 6}; !maps.Equal(got, want) {
		t.Errorf("third file events %v, want %v", got, want)
	}
	var payload string
	const released = `SELECT e.payload::text FROM events e JOIN professionals p ON p.id = e.subject_id
		WHERE p.RPPS = '20000000030' AND e.id > $1`
	if err := db.Get(&payload, released, events); err != nil || payload != `{"mssante": null, "previous": "prenom.nom30@medecin.mssante.fr"}` {
		t.Errorf("release event payload %s (%v)", payload, err)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM professionals WHERE rpps IN ('20000000030', '20000000031') AND mssante IS NULL`:                                                                               2,
		`SELECT count(*) FROM mssante_addresses WHERE address LIKE 'prenom.nom3_@medecin.mssante.fr' AND address IN ('prenom.nom30@medecin.mssante.fr', 'prenom.nom31@medecin.mssante.fr')`: 0,
		`SELECT count(*) FROM professionals WHERE rpps = '20000000020' AND mssante = 'nouvelle.adresse20@medecin.mssante.fr'`:                                                               1,
		`SELECT count(*) FROM professionals WHERE rpps = '20000000201' AND mssante = 'prenom.nom201@medecin.mssante.fr'`:                                                                    1,
		`SELECT count(*) FROM audit_log WHERE role = 'system:import_mssante' AND operation = 'import_mssante_release'`:                                                                      2,
	} {
		if n := count(t, db, q); n != want {
			t.Errorf("%s: %d, want %d", q, n, want)
		}
	}
}

// -department keeps the mailboxes whose structure is in the departments,
// and those without a department (their holder decides).
func TestImportMSSanteDepartments(t *testing.T) {
	db := pgtest.New(t)
	seedStructures(t, db)
	importGen(t, db, genActivityPros(3))
	boxes := []pgtest.MSSanteMailbox{personalBox(0), personalBox(1), personalBox(2)}
	boxes[1].Department, boxes[2].Department = "27", ""
	var file bytes.Buffer
	pgtest.WriteMSSante(&file, boxes)
	rep, err := postgres.ImportMSSante(context.Background(), db, &file, postgres.ImportOptions{Departments: []string{"76"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 3 || rep.Outside != 1 || rep.Assigned != 2 {
		t.Errorf("departments 76: %s", rep)
	}
	if n := count(t, db, `SELECT count(*) FROM professionals WHERE mssante IS NOT NULL AND rpps IN ('20000000000', '20000000002')`); n != 2 {
		t.Errorf("%d of professionals 0 and 2 have their address", n)
	}
}
