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

// genStructures are the structures the activity tests put in the
// directory: each has a FINESS and a SIRET, so an activity finds it by
// either.
const genStructures = 10

func genFINESS(s int) string { return fmt.Sprintf("7600%05d", s) }

// seedStructures creates the territory and the genStructures structures and
// returns their ids, by index.
func seedStructures(t *testing.T, db *postgres.DB) []string {
	t.Helper()
	var ter string
	if err := db.Get(&ter, `INSERT INTO territories (code, name, level, path) VALUES ('fr', 'France', 'NATION', 'fr') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, genStructures)
	for s := range ids {
		const q = `INSERT INTO structures (kind, name, territory_id, finess, siret) VALUES ('MSP', $1, $2, $3, $4) RETURNING id`
		if err := db.Get(&ids[s], q, fmt.Sprintf("MSP %d", s), ter, genFINESS(s), pgtest.GenSIRET(s)); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// genActivityPros makes professionals 0..n-1: one site each — by FINESS
// (i%3 == 0) or SIRET (i%3 == 1) of structure i%10, or a SIRET outside the
// directory (i%3 == 2) — and every tenth a second site, structure (i+1)%10
// by FINESS.
func genActivityPros(n int) []pgtest.RPPSProfessional {
	pros := make([]pgtest.RPPSProfessional, n)
	for i := range pros {
		pros[i] = genActivityPro(i, i%genStructures)
	}
	return pros
}

func genActivityPro(i, structure int) pgtest.RPPSProfessional {
	p := pgtest.RPPSProfessional{RPPS: fmt.Sprintf("2%010d", i), Last: fmt.Sprintf("NOM%d", i), First: fmt.Sprintf("Prénom%d", i%50)}
	switch i % 3 {
	case 0:
		p.Sites = append(p.Sites, pgtest.RPPSSite{FINESS: genFINESS(structure), Commune: "76540"})
	case 1:
		p.Sites = append(p.Sites, pgtest.RPPSSite{SIRET: pgtest.GenSIRET(structure), Commune: "76351"})
	default:
		p.Sites = append(p.Sites, pgtest.RPPSSite{SIRET: pgtest.GenSIRET(1000 + i), Commune: "27229"})
	}
	if i%10 == 0 {
		p.Sites = append(p.Sites, pgtest.RPPSSite{FINESS: genFINESS((i + 1) % genStructures), Commune: "76540"})
	}
	return p
}

// wantMemberships is the set "rpps/structure index" of the memberships
// pros' activities make.
func wantMemberships(pros []pgtest.RPPSProfessional) map[string]bool {
	out := map[string]bool{}
	for _, p := range pros {
		for _, s := range p.Sites {
			for k := range genStructures {
				if s.FINESS == genFINESS(k) || s.SIRET == pgtest.GenSIRET(k) {
					out[fmt.Sprintf("%s/%d", p.RPPS, k)] = true
				}
			}
		}
	}
	return out
}

// importedMemberships is the same set, read from the current memberships
// the import made.
func importedMemberships(t *testing.T, db *postgres.DB, structures []string) map[string]bool {
	t.Helper()
	index := map[string]int{}
	for k, id := range structures {
		index[id] = k
	}
	var rows []struct {
		RPPS        string `db:"rpps"`
		StructureID string `db:"structure_id"`
	}
	const q = `SELECT p.RPPS, m.structure_id FROM memberships m JOIN professionals p ON p.id = m.professional_id
		WHERE m.ended_at IS NULL AND m.source = 'rpps'`
	if err := db.Select(&rows, q); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range rows {
		out[fmt.Sprintf("%s/%d", r.RPPS, index[r.StructureID])] = true
	}
	return out
}

func countDiff(a, b map[string]bool) int {
	n := 0
	for k := range a {
		if !b[k] {
			n++
		}
	}
	return n
}

// importGen imports pros and returns the report.
func importGen(t *testing.T, db *postgres.DB, pros []pgtest.RPPSProfessional) *postgres.RPPSImport {
	t.Helper()
	var file bytes.Buffer
	pgtest.WriteRPPSActivities(&file, pros)
	rep, err := postgres.ImportRPPS(context.Background(), db, &file, postgres.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// eventsSince counts the events after id by type.
func eventsSince(t *testing.T, db *postgres.DB, after int64) map[string]int {
	t.Helper()
	var rows []struct {
		Type string `db:"type"`
		N    int    `db:"n"`
	}
	if err := db.Select(&rows, `SELECT type, count(*) AS n FROM events WHERE id > $1 GROUP BY type`, after); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Type] = r.N
	}
	return out
}

func lastEvent(t *testing.T, db *postgres.DB) int64 {
	t.Helper()
	var id int64
	if err := db.Get(&id, `SELECT coalesce(max(id), 0) FROM events`); err != nil {
		t.Fatal(err)
	}
	return id
}

// Activities become memberships; a second import of the same file changes
// nothing; a file with 1% of the lines changed, 1% removed and 1% new makes
// exactly those changes, memberships included, each with its event and
// audit record; hand-made memberships are left alone; a professional back
// in the file gets their memberships back.
func TestImportRPPSActivities(t *testing.T) {
	db := pgtest.New(t)
	structures := seedStructures(t, db)
	const n = 300
	first := genActivityPros(n)
	rep := importGen(t, db, first)
	want1 := wantMemberships(first)
	if rep.Inserted != n || rep.Joined != len(want1) || rep.Left != 0 || rep.Rejected != 0 {
		t.Fatalf("first import: %s; want %d memberships", rep, len(want1))
	}
	if got := importedMemberships(t, db, structures); !maps.Equal(got, want1) {
		t.Fatalf("memberships after the first import: %d, want %d", len(got), len(want1))
	}
	communes := 0
	for _, p := range first {
		seen := map[string]bool{}
		for _, s := range p.Sites {
			seen[s.Commune] = true
		}
		communes += len(seen)
	}
	if n := count(t, db, `SELECT count(*) FROM professional_practice_communes WHERE imported`); n != communes {
		t.Errorf("%d practice communes, want %d", n, communes)
	}
	// Hand-made: pro 5 coordinates structure 3 (no activity there); pro 21,
	// about to leave the file, is a member of structure 9.
	for _, m := range []struct {
		rpps      string
		structure int
		role      string
	}{{"20000000005", 3, "COORDINATOR"}, {"20000000021", 9, "MEMBER"}} {
		const q = `INSERT INTO memberships (professional_id, structure_id, role) SELECT id, $2, $3 FROM professionals WHERE rpps = $1`
		if _, err := db.Exec(q, m.rpps, structures[m.structure], m.role); err != nil {
			t.Fatal(err)
		}
	}

	// The same file again: nothing changes, nothing is announced or audited.
	before, events := directoryRows(t, db), lastEvent(t, db)
	audits := count(t, db, `SELECT count(*) FROM audit_log`)
	rep = importGen(t, db, first)
	if rep.Inserted+rep.Updated+rep.Archived+rep.Joined+rep.Left != 0 {
		t.Errorf("re-import: %s", rep)
	}
	if after := directoryRows(t, db); after != before {
		t.Error("re-import changed the directory")
	}
	if got := eventsSince(t, db, events); len(got) != 0 {
		t.Errorf("re-import appended events %v", got)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log`); n != audits {
		t.Errorf("re-import appended %d audit records", n-audits)
	}

	// Archived by hand, professional 41 (no membership) stays archived though the file
	// lists them.
	if _, err := db.Exec(`UPDATE professionals SET archived_at = now() WHERE rpps = '20000000041'`); err != nil {
		t.Fatal(err)
	}
	before, events = directoryRows(t, db), lastEvent(t, db)
	if rep = importGen(t, db, first); rep.Updated+rep.Archived != 0 {
		t.Errorf("a professional archived by hand: %s", rep)
	}
	if after := directoryRows(t, db); after != before {
		t.Error("the import restored a professional archived by hand")
	}
	if _, err := db.Exec(`UPDATE professionals SET archived_at = NULL WHERE rpps = '20000000041'`); err != nil {
		t.Fatal(err)
	}

	// 1% changed (renamed, first site moved to structure i+5), 1% removed,
	// 1% new.
	third := append([]pgtest.RPPSProfessional(nil), first...)
	for _, i := range []int{10, 11, 12} {
		third[i] = genActivityPro(i, (i+5)%genStructures)
		third[i].Last += "-MARTIN"
	}
	third = append(third[:20], third[23:]...)
	third = append(third, genActivityPros(n + 3)[n:]...)
	want3 := wantMemberships(third)
	added, ended := countDiff(want3, want1), countDiff(want1, want3)
	events = lastEvent(t, db)
	var lastAudit int64
	if err := db.Get(&lastAudit, `SELECT coalesce(max(id), 0) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	rep = importGen(t, db, third)
	if rep.Inserted != 3 || rep.Updated != 3 || rep.Archived != 3 || rep.Joined != added || rep.Left != ended+1 {
		t.Errorf("third file: %s; want 3/3/3, %d memberships started, %d ended (one hand-made)", rep, added, ended+1)
	}
	// Updated: the 3 renamed, and 41, whose practice commune (dropped while
	// archived) comes back.
	wantEvents := map[string]int{"PROFESSIONAL_CREATED": 3, "PROFESSIONAL_UPDATED": 3 + 1, "PROFESSIONAL_ARCHIVED": 3,
		"MEMBERSHIP_ADDED": added, "MEMBERSHIP_ENDED": ended + 1}
	got := eventsSince(t, db, events)
	if !maps.Equal(got, wantEvents) {
		t.Errorf("third file events %v, want %v", got, wantEvents)
	}
	if got := importedMemberships(t, db, structures); !maps.Equal(got, want3) {
		t.Errorf("memberships after the third file: %d, want %d", len(got), len(want3))
	}
	// Each change has its audit record, under the import's role, in the
	// domain of its event.
	const audited = `SELECT count(*) FROM events e WHERE e.id > $1 AND EXISTS (SELECT 1 FROM audit_log a WHERE a.id > $2
		AND a.object_id = e.subject_id AND a.domain = e.domain AND a.role = 'system:import_rpps' AND a.object_kind = 'directory'
		AND a.operation LIKE 'import_%')`
	total := count(t, db, `SELECT count(*) FROM events WHERE id > $1`, events)
	if n := count(t, db, audited, events, lastAudit); n != total || total == 0 {
		t.Errorf("%d of the %d events audited", n, total)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE id > $1`, lastAudit); n != total {
		t.Errorf("%d audit records for %d events", n, total)
	}
	if n := count(t, db, `SELECT count(DISTINCT request_id) FROM audit_log WHERE role = 'system:import_rpps' AND request_id LIKE 'import-rpps-%'`); n != 2 {
		t.Errorf("%d import request ids, want 2 (one per import that changed something)", n)
	}
	if n := count(t, db, `SELECT count(*) FROM memberships m JOIN professionals p ON p.id = m.professional_id
		WHERE p.RPPS = '20000000005' AND m.role = 'COORDINATOR' AND m.ended_at IS NULL AND m.source IS NULL`); n != 1 {
		t.Error("the hand-made membership was touched")
	}

	// The first file again: the removed professionals come back, with their
	// activities' memberships (new ones: the ended ones stay).
	rep = importGen(t, db, first)
	if rep.Updated != 6 || rep.Archived != 3 || rep.Joined != ended || rep.Left != added {
		t.Errorf("first file again: %s", rep)
	}
	if got := importedMemberships(t, db, structures); !maps.Equal(got, want1) {
		t.Errorf("memberships after the first file again: %d, want %d", len(got), len(want1))
	}
	var rows []string
	const history = `SELECT concat_ws('/', m.source, m.ended_at IS NULL) FROM memberships m JOIN professionals p ON p.id = m.professional_id
		WHERE p.RPPS = '20000000020' ORDER BY m.started_at, m.ended_at IS NULL`
	if err := db.Select(&rows, history); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows, " "); got != "rpps/f rpps/t" {
		t.Errorf("memberships of the restored professional (source/current): %s", got)
	}
}

// -department keeps the lines of the departments asked: a professional
// whose every activity is elsewhere is left out, one with an activity in
// them comes with all of that line's data.
func TestImportRPPSDepartments(t *testing.T) {
	db := pgtest.New(t)
	seedStructures(t, db)
	pros := genActivityPros(30) // communes: 76540, 76351 (i%3 < 2), 27229 (i%3 == 2, but 76540 too when i%10 == 0)
	var file bytes.Buffer
	pgtest.WriteRPPSActivities(&file, pros)
	rep, err := postgres.ImportRPPS(context.Background(), db, &file, postgres.ImportOptions{Departments: []string{"76"}})
	if err != nil {
		t.Fatal(err)
	}
	// 33 lines (30, and a second site for 0, 10, 20); outside: the 10 lines
	// in 27229 (i%3 == 2). Of those 10 professionals 9 have no other line;
	// 20 comes by its second site, in 76.
	if rep.Read != 33 || rep.Outside != 10 || rep.Professionals != 21 {
		t.Errorf("departments 76: %s", rep)
	}
	if n := count(t, db, `SELECT count(*) FROM professionals WHERE rpps IN ('20000000020', '20000000003') AND archived_at IS NULL`); n != 2 {
		t.Errorf("%d of professionals 20 and 3 imported", n)
	}
}

// The activity communes the COG knows become the professionals' practice
// communes; those set by hand stay; a change is announced.
func TestImportRPPSPracticeCommunes(t *testing.T) {
	db := pgtest.New(t)
	seedStructures(t, db)
	pros := genActivityPros(6)
	importGen(t, db, pros)
	if _, err := db.Exec(`INSERT INTO professional_practice_communes (professional_id, commune)
		SELECT id, '14118' FROM professionals WHERE rpps = '20000000001'`); err != nil {
		t.Fatal(err)
	}
	events := lastEvent(t, db)
	pros[0].Sites[0].Commune, pros[0].Sites[1].Commune = "14118", "76999" // 76999: no such commune
	rep := importGen(t, db, pros)
	if rep.Relocated != 1 || rep.Updated != 0 {
		t.Errorf("moved: %s", rep)
	}
	communes := func(rpps string) string {
		var rows []string
		const q = `SELECT c.commune || ':' || c.imported FROM professional_practice_communes c JOIN professionals p ON p.id = c.professional_id
			WHERE p.rpps = $1 ORDER BY 1`
		if err := db.Select(&rows, q, rpps); err != nil {
			t.Fatal(err)
		}
		return strings.Join(rows, " ")
	}
	if got := communes("20000000000"); got != "14118:true" {
		t.Errorf("professional 0: %s", got)
	}
	if got := communes("20000000001"); got != "14118:false 76351:true" {
		t.Errorf("professional 1: %s", got)
	}
	var payload string
	if err := db.Get(&payload, `SELECT payload::text FROM events WHERE id > $1 AND type = 'PROFESSIONAL_UPDATED'`, events); err != nil ||
		payload != `{"practiceCommunes": ["14118"]}` {
		t.Errorf("event payload %s (%v)", payload, err)
	}
}

// The import archives only its own professionals: one entered by hand that
// no file has listed (a neighbour across the region's border, a demo
// professional) keeps their place and memberships through a regional
// import; one the file listed is the import's, and archived when it leaves.
func TestImportRPPSHandMadeProfessionals(t *testing.T) {
	db := pgtest.New(t)
	structures := seedStructures(t, db)
	pros := genActivityPros(30) // i%3 == 2: an activity in 27229 only (but 20)
	handMade := func(rpps string) {
		t.Helper()
		var id string
		const q = `INSERT INTO professionals (rpps, first_name, last_name, profession) VALUES ($1, 'Main', 'SAISIE', 'Infirmier') RETURNING id`
		if err := db.Get(&id, q, rpps); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO memberships (professional_id, structure_id, role) VALUES ($1, $2, 'MEMBER')`, id, structures[0]); err != nil {
			t.Fatal(err)
		}
	}
	handMade("29999999999") // in no file
	handMade(pros[2].RPPS)  // in the file, outside department 76
	handMade(pros[4].RPPS)  // in the file, in 76
	var file bytes.Buffer
	pgtest.WriteRPPSActivities(&file, pros)
	rep, err := postgres.ImportRPPS(context.Background(), db, &file, postgres.ImportOptions{Departments: []string{"76"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Archived != 0 {
		t.Errorf("a regional import over hand-made professionals: %s", rep)
	}
	const active = `SELECT count(*) FROM professionals p JOIN memberships m ON m.professional_id = p.id AND m.source IS NULL
		WHERE p.rpps = $1 AND p.archived_at IS NULL AND m.ended_at IS NULL`
	for _, rpps := range []string{"29999999999", pros[2].RPPS, pros[4].RPPS} {
		if count(t, db, active, rpps) != 1 {
			t.Errorf("hand-made professional %s archived or their membership ended", rpps)
		}
	}

	// Professional 4, listed by the file, is the import's: a file without
	// them archives them; the two others stay.
	file.Reset()
	pgtest.WriteRPPSActivities(&file, append(pros[:4:4], pros[5:]...))
	if rep, err = postgres.ImportRPPS(context.Background(), db, &file, postgres.ImportOptions{Departments: []string{"76"}}); err != nil {
		t.Fatal(err)
	}
	if rep.Archived != 1 {
		t.Errorf("professional 4 left the file: %s", rep)
	}
	if n := count(t, db, `SELECT count(*) FROM professionals WHERE rpps = $1 AND archived_at IS NOT NULL`, pros[4].RPPS); n != 1 {
		t.Error("professional 4, claimed by the first import, not archived when gone from the file")
	}
	for _, rpps := range []string{"29999999999", pros[2].RPPS} {
		if count(t, db, active, rpps) != 1 {
			t.Errorf("hand-made professional %s archived or their membership ended", rpps)
		}
	}
}
