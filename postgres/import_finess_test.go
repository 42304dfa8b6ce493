package postgres_test

import (
	"bytes"
	"cmp"
	"context"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// extract is the bytes of a generated extract.
func extract(t testing.TB, ets []pgtest.FINESSEstablishment) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pgtest.WriteFINESSExtract(&b, ets); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func importFINESS(t *testing.T, ctx context.Context, db *postgres.DB, file []byte, opt postgres.ImportOptions) (*postgres.FINESSImport, string) {
	t.Helper()
	var rejects bytes.Buffer
	opt.Rejects = &rejects
	rep, err := postgres.ImportFINESS(ctx, db, bytes.NewReader(file), opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep, rejects.String()
}

// structureRows is every structure, link and membership as text, to compare.
func structureRows(t *testing.T, db *postgres.DB) string {
	t.Helper()
	var rows []string
	const q = `SELECT concat_ws('|', id, kind, name, territory_id, finess, siret, commune, source, updated_at, archived_at) FROM structures
		UNION ALL SELECT concat_ws('|', id, code, path) FROM territories
		UNION ALL SELECT concat_ws('|', id, ended_at) FROM memberships ORDER BY 1`
	if err := db.Select(&rows, q); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

// modelled counts the establishments of ets the hub loads.
func modelled(ets []pgtest.FINESSEstablishment) int {
	n := 0
	for _, e := range ets {
		if !e.Unmodelled() {
			n++
		}
	}
	return n
}

func TestImportFINESS(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)

	base := pgtest.GenFINESS(0, 1400) // 1,000 modelled
	bad := []pgtest.FINESSEstablishment{
		{FINESS: "760000010", Name: "CLÉ FAUSSE", Commune: "540", Dept: "76", Category: "500"},
		{FINESS: pgtest.WithLuhnKey("76100000"), Name: "", Commune: "540", Dept: "76", Category: "500"},
		{FINESS: pgtest.WithLuhnKey("97500001"), Name: "SAINT-PIERRE", Commune: "502", Dept: "9E", Category: "500"},
		{Line: "equipmateriellourd", FINESS: pgtest.WithLuhnKey("76100001")},
		{FINESS: pgtest.WithLuhnKey("76100002"), Name: "SKIPPED, NOT REJECTED", Commune: "540", Dept: "76", Category: "620"},
		{FINESS: pgtest.WithLuhnKey("76100003"), Name: "COMMUNE INCONNUE", Commune: "999", Dept: "76", Category: "500"},
	}
	file1 := append(append([]pgtest.FINESSEstablishment{}, base[:700]...), append(bad, base[700:]...)...)

	// A structure entered by hand with the FINESS of the file's first
	// establishment, in a territory made by hand.
	var nation, handMade string
	if err := db.Get(&nation, `INSERT INTO territories (code, name, level, path) VALUES ('fr', 'France', 'NATION', 'fr') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&handMade, `INSERT INTO structures (kind, name, territory_id, finess) VALUES ('EHPAD', 'Les Tilleuls (saisie)', $1, $2) RETURNING id`,
		nation, base[0].FINESS); err != nil {
		t.Fatal(err)
	}

	rep, rejects := importFINESS(t, ctx, db, extract(t, file1), postgres.ImportOptions{})
	want := modelled(base) - 1 // the hand-made one
	if rep.Read != 2*len(file1) || rep.Inserted != want || rep.Updated+rep.Archived != 0 || rep.HandMade != 1 ||
		rep.Rejected != 5 || rep.Skipped != len(base)-modelled(base)+1 || rep.Geolocations != len(file1) || rep.Structures != want+1 {
		t.Errorf("first import: %s", rep)
	}
	// Normandie, ARA, Corse, La Réunion and their six departments.
	if rep.Territories != 10 {
		t.Errorf("%d territories created, want 10", rep.Territories)
	}
	wantRejects := "line 702: nofinesset: FINESS key does not verify (Luhn)\n" +
		"line 703: rs: must not be empty\n" +
		"line 704: departement: unknown department \"9E\"\n" +
		"line 705: unknown line kind \"equipmateriellourd\" (want structureet or geolocalisation)\n" +
		"line 707: commune: 76999 is not a commune code of the COG\n"
	if rejects != wantRejects {
		t.Errorf("rejects:\n%s\nwant:\n%s", rejects, wantRejects)
	}
	var got string
	if err := db.Get(&got, `SELECT concat_ws('|', s.kind, s.name, s.commune, s.siret, t.path, s.source) FROM structures s
		JOIN territories t ON t.id = s.territory_id WHERE s.finess = $1`, base[3].FINESS); err != nil ||
		got != "CAMSP|RÉSIDENCE « LES CHÊNES » ŒUVRE N°3|97"+base[3].Commune+"|"+base[3].SIRET+"|fr/04/974|FINESS" {
		t.Errorf("establishment 3: %q (%v)", got, err)
	}
	if err := db.Get(&got, `SELECT concat_ws('|', kind, name, commune) FROM structures WHERE finess = $1`, base[110].FINESS); err != nil ||
		got != `MSP|MAISON "LA ROSERAIE"; SITE 110|2A`+base[110].Commune {
		t.Errorf("establishment 110: %q (%v)", got, err)
	}
	if err := db.Get(&got, `SELECT concat_ws('|', name, source) FROM structures WHERE id = $1`, handMade); err != nil || got != "Les Tilleuls (saisie)" {
		t.Errorf("the structure entered by hand was changed: %q (%v)", got, err)
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE type = 'STRUCTURE_CREATED'`); n != want {
		t.Errorf("%d creation events, want %d", n, want)
	}
	if n := count(t, db, `SELECT count(*) FROM events e JOIN structures s ON s.id = e.subject_id JOIN territories t ON t.id = s.territory_id
		WHERE e.domain = t.path || '/@' || s.id`); n != want {
		t.Errorf("%d creation events in their structure's domain, want %d", n, want)
	}

	// The same file again changes nothing and announces nothing.
	before, events := structureRows(t, db), count(t, db, `SELECT count(*) FROM events`)
	rep, _ = importFINESS(t, ctx, db, extract(t, file1), postgres.ImportOptions{})
	if rep.Inserted+rep.Updated+rep.Archived+rep.Territories != 0 {
		t.Errorf("re-import: %s", rep)
	}
	if after := structureRows(t, db); after != before {
		t.Error("re-import changed the directory")
	}
	if n := count(t, db, `SELECT count(*) FROM events`); n != events {
		t.Errorf("re-import appended %d events", n-events)
	}

	// A structure put by hand in a local territory below its department
	// stays there; a membership of a structure about to leave the file.
	moved, leaving := base[1], base[10] // a SSIAD in 14, a CAMSP in 69
	if _, err := db.Exec(`WITH d AS (SELECT t.id, t.path FROM territories t JOIN structures s ON s.territory_id = t.id WHERE s.finess = $1),
		l AS (INSERT INTO territories (code, name, level, path, parent_id) SELECT 'cpts-caen', 'CPTS Caen', 'LOCAL', d.path || '/cpts-caen', d.id FROM d RETURNING id)
		UPDATE structures SET territory_id = l.id FROM l WHERE finess = $1`, moved.FINESS); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO professionals (rpps, first_name, last_name, profession) VALUES ('10000000001', 'Claire', 'MARTIN', 'Infirmier')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO memberships (professional_id, structure_id, role) SELECT p.id, s.id, 'NURSE' FROM professionals p, structures s WHERE s.finess = $1`, leaving.FINESS); err != nil {
		t.Fatal(err)
	}

	// A third file: 1 % changed, 1 % removed, 1 % new (of the modelled).
	var file3 []pgtest.FINESSEstablishment
	changed, removed := 0, 0
	for i, e := range base {
		if e.Unmodelled() || i == 0 || i == 1 {
			file3 = append(file3, e)
			continue
		}
		switch {
		case i%100 == 10 && removed < 10:
			removed++
			continue
		case i%100 == 50 && changed < 10:
			changed++
			e.LongName = cmp.Or(e.LongName, e.Name) + " (RENOMMÉE)"
		}
		file3 = append(file3, e)
	}
	added := pgtest.GenFINESS(90000, 14) // 10 modelled
	file3 = append(file3, added...)
	if changed != 10 || removed != 10 || modelled(added) != 10 {
		t.Fatalf("generated %d changed, %d removed, %d new", changed, removed, modelled(added))
	}

	// Interrupted: the context is cancelled once the file is read.
	before, events = structureRows(t, db), count(t, db, `SELECT count(*) FROM events`)
	cctx, cancel := context.WithCancel(ctx)
	if _, err := postgres.ImportFINESS(cctx, db, &cancelAtEOF{r: bytes.NewReader(extract(t, file3)), cancel: cancel}, postgres.ImportOptions{}); err == nil {
		t.Fatal("cancelled import: no error")
	}
	if after := structureRows(t, db); after != before {
		t.Error("cancelled import changed the directory")
	}
	if n := count(t, db, `SELECT count(*) FROM events`); n != events {
		t.Errorf("cancelled import appended %d events", n-events)
	}

	rep, rejects = importFINESS(t, ctx, db, extract(t, file3), postgres.ImportOptions{})
	if rep.Inserted != 10 || rep.Updated != 10 || rep.Archived != 10 || rep.Rejected != 0 || rejects != "" {
		t.Errorf("third file: %s", rep)
	}
	for typ, want := range map[string]int{"STRUCTURE_CREATED": want + 10, "STRUCTURE_UPDATED": 10, "STRUCTURE_ARCHIVED": 10} {
		if n := count(t, db, `SELECT count(*) FROM events WHERE type = $1`, typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM structures s JOIN territories t ON t.id = s.territory_id WHERE s.finess = $1 AND t.code = 'cpts-caen'`, moved.FINESS); n != 1 {
		t.Error("the structure put in a local territory was moved back")
	}
	if n := count(t, db, `SELECT count(*) FROM structures WHERE finess = $1 AND archived_at IS NOT NULL`, leaving.FINESS); n != 1 {
		t.Error("the establishment absent from the file is not archived")
	}
	if n := count(t, db, `SELECT count(*) FROM memberships WHERE ended_at IS NULL`); n != 0 || rep.Left != 1 {
		t.Errorf("the archived structure's membership did not end (%d ended)", rep.Left)
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE type = 'MEMBERSHIP_ENDED'`); n != 1 {
		t.Errorf("%d MEMBERSHIP_ENDED events, want 1", n)
	}
	for op, want := range map[string]int{"import_create": want + 10, "import_update": 10, "import_archive": 10, "import_end_membership": 1} {
		if n := count(t, db, `SELECT count(*) FROM audit_log WHERE role = 'system:import_finess' AND operation = $1`, op); n != want {
			t.Errorf("%d %s audit records, want %d", n, op, want)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM structures`); n != want+1+10 {
		t.Errorf("%d structures, want %d (archived, never deleted)", n, want+11)
	}

	// An imported structure archived by hand stays archived.
	if _, err := db.Exec(`UPDATE structures SET archived_at = now() WHERE finess = $1`, base[3].FINESS); err != nil {
		t.Fatal(err)
	}

	// The first file again: what the import archived comes back, the new
	// ones go.
	rep, _ = importFINESS(t, ctx, db, extract(t, file1), postgres.ImportOptions{})
	if rep.Inserted != 0 || rep.Updated != 20 || rep.Archived != 10 || rep.HandMade != 2 {
		t.Errorf("first file again: %s", rep)
	}
	if n := count(t, db, `SELECT count(*) FROM structures WHERE finess = $1 AND archived_at IS NOT NULL`, base[3].FINESS); n != 1 {
		t.Error("the structure archived by hand was restored")
	}
}

// Selected departments: only their establishments are loaded, and the
// imported structures elsewhere are archived (the directory becomes theirs).
func TestImportFINESSDepartments(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	all := pgtest.GenFINESS(0, 140)
	importFINESS(t, ctx, db, extract(t, all), postgres.ImportOptions{})

	var reunion []pgtest.FINESSEstablishment
	for _, e := range all {
		if e.Dept == "9D" {
			reunion = append(reunion, e)
		}
	}
	rep, _ := importFINESS(t, ctx, db, extract(t, all), postgres.ImportOptions{Departments: []string{"974"}})
	if rep.Structures != modelled(reunion) || rep.Outside != modelled(all)-modelled(reunion) ||
		rep.Archived != modelled(all)-modelled(reunion) || rep.Inserted+rep.Updated != 0 {
		t.Errorf("La Réunion: %s", rep)
	}
	if n := count(t, db, `SELECT count(*) FROM structures WHERE archived_at IS NULL AND commune NOT LIKE '974%'`); n != 0 {
		t.Errorf("%d structures outside La Réunion left active", n)
	}
	if _, err := postgres.ImportFINESS(ctx, db, bytes.NewReader(extract(t, reunion)), postgres.ImportOptions{Departments: []string{"20"}}); err == nil {
		t.Error("department 20: no error")
	}
}

func TestImportFINESSRefuses(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	for name, file := range map[string]string{
		"not FINESS":     "Identifiant PP|Nom d'exercice|\n",
		"empty":          "",
		"nothing loaded": "finess;etalab;107;2026-11-27\nstructureet;" + pgtest.WithLuhnKey("76000001") + ";;PHARMACIE;;;;;;;;;540;76;SEINE MARITIME;;;;620;Pharmacie d'officine;;;;;;;;;;;;\n",
	} {
		if _, err := postgres.ImportFINESS(ctx, db, strings.NewReader(file), postgres.ImportOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := db.Exec(`UPDATE finess_categories SET kind = 'NURSINGHOME' WHERE code = '500'`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.ImportFINESS(ctx, db, bytes.NewReader(extract(t, pgtest.GenFINESS(0, 10))), postgres.ImportOptions{}); err == nil ||
		!strings.Contains(err.Error(), "NURSINGHOME") {
		t.Errorf("unknown kind in finess_categories: %v", err)
	}
}

// BenchmarkImportFINESS imports an extract of 100,000 structureet lines
// (and their 100,000 geolocalisation lines), every one of a modelled
// category, into an empty directory, then the same file again, against
// PostgreSQL's own cost of COPYing the same 100,000 rows straight into the
// table. The memory of the import command is measured by bench/finess.
func BenchmarkImportFINESS(b *testing.B) {
	ctx := context.Background()
	ets := pgtest.GenFINESS(0, 100000)
	for i := range ets {
		if ets[i].Unmodelled() {
			ets[i].Category = "500"
		}
	}
	file := extract(b, ets)
	b.Logf("extract: %d bytes", len(file))
	run := func(b *testing.B, db *postgres.DB, want func(*postgres.FINESSImport) bool) {
		rep, err := postgres.ImportFINESS(ctx, db, bytes.NewReader(file), postgres.ImportOptions{})
		if err != nil || !want(rep) {
			b.Fatal(rep, err)
		}
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := pgtest.New(b)
			b.StartTimer()
			run(b, db, func(r *postgres.FINESSImport) bool { return r.Inserted == 100000 })
		}
	})
	b.Run("again", func(b *testing.B) {
		db := pgtest.New(b)
		if _, err := postgres.ImportFINESS(ctx, db, bytes.NewReader(file), postgres.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			run(b, db, func(r *postgres.FINESSImport) bool { return r.Inserted+r.Updated+r.Archived == 0 })
		}
	})
	b.Run("postgres-copy", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := pgtest.New(b)
			var territory string
			if err := db.Get(&territory, `INSERT INTO territories (code, name, level, path) VALUES ('fr', 'France', 'NATION', 'fr') RETURNING id`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			tx, err := db.Begin()
			if err != nil {
				b.Fatal(err)
			}
			stmt, err := tx.Prepare(pq.CopyIn("structures", "kind", "name", "territory_id", "finess", "siret", "commune", "source"))
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range ets {
				if _, err := stmt.Exec("EHPAD", cmp.Or(e.LongName, e.Name), territory, e.FINESS, e.SIRET, "76"+e.Commune, "FINESS"); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := stmt.Exec(); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A stray quote spoils its own line only: the lines after it load.
func TestImportFINESSStrayQuote(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	ets := pgtest.GenFINESS(0, 20)
	lines := strings.SplitAfter(string(extract(t, ets)), "\r\n")
	stray := "structureet;" + pgtest.WithLuhnKey("76200000") + `;;"EHPAD SANS FIN;;;;;;;;;540;76;SEINE MARITIME;;;;500;EHPAD;;;;;;;;;;;;` + "\r\n"
	file := strings.Join(lines[:4], "") + stray + strings.Join(lines[4:], "")
	rep, rejects := importFINESS(t, ctx, db, []byte(file), postgres.ImportOptions{})
	if rep.Inserted != modelled(ets) || rep.Rejected != 1 {
		t.Errorf("stray quote: %s", rep)
	}
	if want := "line 5: structureet line with 4 fields, want 32\n"; rejects != want {
		t.Errorf("rejects %q, want %q", rejects, want)
	}
}

// A NUL byte (a download padded with zeros, a damaged copy) spoils its own
// line only, as in the other extracts: the line is rejected, where the COPY
// would have refused it and the whole import with it.
func TestImportFINESSNULByte(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	ets := pgtest.GenFINESS(0, 20)
	lines := strings.SplitAfter(string(extract(t, ets)), "\r\n")
	damaged := "structureet;" + pgtest.WithLuhnKey("76200000") + ";;EHPAD\x00\x00\x00;;;;;;;;;540;76;SEINE MARITIME;;;;500;EHPAD;;;;;;;;;;;;\r\n"
	file := strings.Join(lines[:4], "") + damaged + strings.Join(lines[4:], "")
	var rejects bytes.Buffer
	rep, err := postgres.ImportFINESS(ctx, db, strings.NewReader(file), postgres.ImportOptions{Rejects: &rejects})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted != modelled(ets) || rep.Rejected != 1 || rep.Read != 2*len(ets)+1 {
		t.Errorf("NUL byte: %s", rep)
	}
	if want := "line 5: not text: holds a NUL byte\n"; rejects.String() != want {
		t.Errorf("rejects %q, want %q", rejects.String(), want)
	}
}

// A SIRET is kept only where it is one establishment's and no other
// structure's; two imported structures may swap theirs between two files.
func TestImportFINESSSIRET(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	ets := pgtest.GenFINESS(0, 7) // 0, 1, 3, 4, 5 modelled
	var nation string
	if err := db.Get(&nation, `INSERT INTO territories (code, name, level, path) VALUES ('fr', 'France', 'NATION', 'fr') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	// Entered by hand with the SIRET of establishment 0; 3 and 4 share one.
	if _, err := db.Exec(`INSERT INTO structures (kind, name, territory_id, siret) VALUES ('OTHER', 'Saisie', $1, $2)`, nation, ets[0].SIRET); err != nil {
		t.Fatal(err)
	}
	ets[4].SIRET = ets[3].SIRET
	siret := func(e pgtest.FINESSEstablishment) string {
		var s string
		if err := db.Get(&s, `SELECT coalesce(siret, '') FROM structures WHERE finess = $1`, e.FINESS); err != nil {
			t.Fatal(err)
		}
		return s
	}
	importFINESS(t, ctx, db, extract(t, ets), postgres.ImportOptions{})
	if siret(ets[0]) != "" || siret(ets[3]) != "" || siret(ets[4]) != "" || siret(ets[1]) != ets[1].SIRET {
		t.Errorf("SIRETs: %q %q %q %q", siret(ets[0]), siret(ets[1]), siret(ets[3]), siret(ets[4]))
	}
	// 1 and 5 swap their SIRETs.
	ets[1].SIRET, ets[5].SIRET = ets[5].SIRET, ets[1].SIRET
	rep, _ := importFINESS(t, ctx, db, extract(t, ets), postgres.ImportOptions{})
	if rep.Updated != 2 || siret(ets[1]) != ets[1].SIRET || siret(ets[5]) != ets[5].SIRET {
		t.Errorf("swap: %s; %q %q", rep, siret(ets[1]), siret(ets[5]))
	}
}
