package postgres_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// finessET is one establishment of a generated FINESS extract: no real one.
type finessET struct {
	line     string // "structureet" unless set
	finess   string
	rs       string // short name
	rslongue string // long name, may be empty
	commune  string // three digits
	dept     string // FINESS department: "76", "2A", "9D"…
	category string
	siret    string
}

// finessDepts are the departments generated establishments are spread over:
// mainland, Corsica and overseas, with their libdepartement.
var finessDepts = []struct{ code, finessPrefix, name string }{
	{"76", "76", "SEINE MARITIME"}, {"14", "14", "CALVADOS"}, {"2A", "2A", "CORSE DU SUD"},
	{"9D", "97", "LA REUNION"}, {"69", "69", "RHONE"}, {"01", "01", "AIN"},
}

// finessCategories are the categories generated, with their labels; 620
// (pharmacies) and 611 (laboratories) are not modelled by the hub.
var finessCategoryLabels = map[string]string{
	"500": "Etablissement d'hébergement pour personnes âgées dépendantes", "354": "Service de soins infirmiers à domicile (SSIAD)",
	"190": "Centre action médico-sociale précoce (CAMSP)", "355": "Centre hospitalier (CH)", "603": "Maison de santé (L6223-3)",
	"620": "Pharmacie d'officine", "611": "Laboratoire de biologie médicale (LBM)",
}

var finessGenCategories = []string{"500", "354", "620", "190", "355", "603", "611"}

// withKey appends the Luhn key to digits.
func withKey(digits string) string {
	for k := byte('0'); k <= '9'; k++ {
		s := digits + string(k)
		sum, double := 0, false
		for i := len(s) - 1; i >= 0; i-- {
			d := int(s[i] - '0')
			if double {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum, double = sum+d, !double
		}
		if sum%10 == 0 {
			return s
		}
	}
	panic("no key")
}

// genFINESS makes n establishments, numbered from first: every kind of
// department and category, accented and quoted names, a SIRET each.
func genEstablishments(first, n int) []finessET {
	out := make([]finessET, n)
	for j := range out {
		i := first + j
		d := finessDepts[i%len(finessDepts)]
		et := finessET{dept: d.code, category: finessGenCategories[i%len(finessGenCategories)],
			commune: fmt.Sprintf("%03d", 1+i%300), siret: withKey(fmt.Sprintf("%013d", 3300000000000+int64(i)*10))}
		switch {
		case d.code == "2A": // Corsica: no key
			et.finess = fmt.Sprintf("2A%07d", i)
		case d.code == "9D":
			et.finess = withKey(fmt.Sprintf("974%05d", i))
			et.commune = fmt.Sprintf("4%02d", 1+i%24)
		default:
			et.finess = withKey(fmt.Sprintf("%s%06d", d.finessPrefix, i))
		}
		et.rs = fmt.Sprintf("ÉTABLISSEMENT N°%d", i)
		if i%3 == 0 {
			et.rslongue = fmt.Sprintf("RÉSIDENCE « LES CHÊNES » ŒUVRE N°%d", i)
		}
		if i%11 == 0 {
			et.rslongue = fmt.Sprintf(`MAISON "LA ROSERAIE"; SITE %d`, i) // quoted in the file
		}
		out[j] = et
	}
	return out
}

// writeFINESSExtract writes establishments as the extract does: the first
// line, a structureet line each (32 fields, the last, numuai, empty), then a
// geolocalisation line each, in Windows-1252 with CRLF line ends.
func writeFINESSExtract(t testing.TB, w io.Writer, ets []finessET) {
	t.Helper()
	enc := charmap.Windows1252.NewEncoder().Writer(w)
	bw := bufio.NewWriter(enc)
	field := func(s string) string {
		if strings.ContainsAny(s, `;"`) {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		return s
	}
	fmt.Fprint(bw, "finess;etalab;107;2026-11-27\r\n")
	for i, e := range ets {
		kind := e.line
		if kind == "" {
			kind = "structureet"
		}
		name := ""
		for _, d := range finessDepts {
			if d.code == e.dept {
				name = d.name
			}
		}
		rec := []string{kind, e.finess, withKey(fmt.Sprintf("%08d", 10000000+i)), field(e.rs), field(e.rslongue), "", "",
			fmt.Sprint(1 + i%90), "R", "DES ÉCOLES", "", "", e.commune, e.dept, name, "76000 ROUEN", "0235000000", "",
			e.category, field(finessCategoryLabels[e.category]), "4401", "Etablissements d'Hébergement pour Personnes Âgées",
			e.siret, "8710A", "40", "ARS/PCD, Tarif global", "", "", "1990-01-01", "1990-01-01", "2026-10-02", ""}
		fmt.Fprint(bw, strings.Join(rec, ";")+"\r\n")
	}
	for i, e := range ets {
		fmt.Fprintf(bw, "geolocalisation;%s;%d.5;%d.2;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2026-10-03\r\n", e.finess, 550000+i, 6900000+i)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

// extract is the bytes of a generated extract.
func extract(t testing.TB, ets []finessET) []byte {
	var b bytes.Buffer
	writeFINESSExtract(t, &b, ets)
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
func modelled(ets []finessET) int {
	n := 0
	for _, e := range ets {
		if e.category != "620" && e.category != "611" {
			n++
		}
	}
	return n
}

func TestImportFINESS(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)

	base := genEstablishments(0, 1400) // 1,000 modelled
	bad := []finessET{
		{finess: "760000010", rs: "CLÉ FAUSSE", commune: "540", dept: "76", category: "500"},
		{finess: withKey("76100000"), rs: "", commune: "540", dept: "76", category: "500"},
		{finess: withKey("97500001"), rs: "SAINT-PIERRE", commune: "502", dept: "9E", category: "500"},
		{line: "equipmateriellourd", finess: withKey("76100001")},
		{finess: withKey("76100002"), rs: "SKIPPED, NOT REJECTED", commune: "540", dept: "76", category: "620"},
	}
	file1 := append(append([]finessET{}, base[:700]...), append(bad, base[700:]...)...)

	// A structure entered by hand with the FINESS of the file's first
	// establishment, in a territory made by hand.
	var nation, handMade string
	if err := db.Get(&nation, `INSERT INTO territories (code, name, level, path) VALUES ('fr', 'France', 'NATION', 'fr') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&handMade, `INSERT INTO structures (kind, name, territory_id, finess) VALUES ('EHPAD', 'Les Tilleuls (saisie)', $1, $2) RETURNING id`,
		nation, base[0].finess); err != nil {
		t.Fatal(err)
	}

	rep, rejects := importFINESS(t, ctx, db, extract(t, file1), postgres.ImportOptions{})
	want := modelled(base) - 1 // the hand-made one
	if rep.Read != 2*len(file1) || rep.Inserted != want || rep.Updated+rep.Archived != 0 || rep.HandMade != 1 ||
		rep.Rejected != 4 || rep.Skipped != len(base)-modelled(base)+1 || rep.Geolocations != len(file1) || rep.Structures != want+1 {
		t.Errorf("first import: %s", rep)
	}
	// Normandie, ARA, Corse, La Réunion and their six departments.
	if rep.Territories != 10 {
		t.Errorf("%d territories created, want 10", rep.Territories)
	}
	wantRejects := "line 702: nofinesset: FINESS key does not verify (Luhn)\n" +
		"line 703: rs: must not be empty\n" +
		"line 704: departement: unknown department \"9E\"\n" +
		"line 705: unknown line kind \"equipmateriellourd\" (want structureet or geolocalisation)\n"
	if rejects != wantRejects {
		t.Errorf("rejects:\n%s\nwant:\n%s", rejects, wantRejects)
	}
	var got string
	if err := db.Get(&got, `SELECT concat_ws('|', s.kind, s.name, s.commune, s.siret, t.path, s.source) FROM structures s
		JOIN territories t ON t.id = s.territory_id WHERE s.finess = $1`, base[3].finess); err != nil ||
		got != "CAMSP|RÉSIDENCE « LES CHÊNES » ŒUVRE N°3|97404|"+base[3].siret+"|fr/04/974|FINESS" {
		t.Errorf("establishment 3: %q (%v)", got, err)
	}
	if err := db.Get(&got, `SELECT concat_ws('|', kind, name, commune) FROM structures WHERE finess = $1`, base[110].finess); err != nil ||
		got != `MSP|MAISON "LA ROSERAIE"; SITE 110|2A111` {
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
		UPDATE structures SET territory_id = l.id FROM l WHERE finess = $1`, moved.finess); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO professionals (rpps, first_name, last_name, profession) VALUES ('10000000001', 'Claire', 'MARTIN', 'Infirmier')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO memberships (professional_id, structure_id, role) SELECT p.id, s.id, 'NURSE' FROM professionals p, structures s WHERE s.finess = $1`, leaving.finess); err != nil {
		t.Fatal(err)
	}

	// A third file: 1 % changed, 1 % removed, 1 % new (of the modelled).
	var file3 []finessET
	changed, removed := 0, 0
	for i, e := range base {
		if e.category == "620" || e.category == "611" || i == 0 || i == 1 {
			file3 = append(file3, e)
			continue
		}
		switch {
		case i%100 == 10 && removed < 10:
			removed++
			continue
		case i%100 == 50 && changed < 10:
			changed++
			e.rslongue = cmp.Or(e.rslongue, e.rs) + " (RENOMMÉE)"
		}
		file3 = append(file3, e)
	}
	added := genEstablishments(90000, 14) // 10 modelled
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
	if n := count(t, db, `SELECT count(*) FROM structures s JOIN territories t ON t.id = s.territory_id WHERE s.finess = $1 AND t.code = 'cpts-caen'`, moved.finess); n != 1 {
		t.Error("the structure put in a local territory was moved back")
	}
	if n := count(t, db, `SELECT count(*) FROM structures WHERE finess = $1 AND archived_at IS NOT NULL`, leaving.finess); n != 1 {
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

	// The first file again: the archived come back, the new ones go.
	rep, _ = importFINESS(t, ctx, db, extract(t, file1), postgres.ImportOptions{})
	if rep.Inserted != 0 || rep.Updated != 20 || rep.Archived != 10 {
		t.Errorf("first file again: %s", rep)
	}
}

// Selected departments: only their establishments are loaded, and the
// imported structures elsewhere are archived (the directory becomes theirs).
func TestImportFINESSDepartments(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	all := genEstablishments(0, 140)
	importFINESS(t, ctx, db, extract(t, all), postgres.ImportOptions{})

	var reunion []finessET
	for _, e := range all {
		if e.dept == "9D" {
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
		"nothing loaded": "finess;etalab;107;2026-11-27\nstructureet;" + withKey("76000001") + ";;PHARMACIE;;;;;;;;;540;76;SEINE MARITIME;;;;620;Pharmacie d'officine;;;;;;;;;;;;\n",
	} {
		if _, err := postgres.ImportFINESS(ctx, db, strings.NewReader(file), postgres.ImportOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := db.Exec(`UPDATE finess_categories SET kind = 'NURSINGHOME' WHERE code = '500'`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.ImportFINESS(ctx, db, bytes.NewReader(extract(t, genEstablishments(0, 10))), postgres.ImportOptions{}); err == nil ||
		!strings.Contains(err.Error(), "NURSINGHOME") {
		t.Errorf("unknown kind in finess_categories: %v", err)
	}
}
