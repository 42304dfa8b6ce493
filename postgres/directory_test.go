package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

func ptr[T any](v T) *T { return &v }

// territoryID returns the id of the seeded territory at path.
func territoryID(t *testing.T, db *postgres.DB, path string) string {
	t.Helper()
	var id string
	if err := db.Get(&id, `SELECT id FROM territories WHERE path = $1`, path); err != nil {
		t.Fatalf("territory %s: %v", path, err)
	}
	return id
}

// count returns a count(*) query's result.
func count(t *testing.T, db *postgres.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// pageThrough follows a list page by page, size at a time, and returns the
// ids of every page in order.
func pageThrough(t *testing.T, size int, fetch func(maillage.PageArgs) ([]string, maillage.PageInfo, error)) []string {
	t.Helper()
	var all []string
	page := maillage.PageArgs{First: size}
	for {
		ids, info, err := fetch(page)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ids...)
		if !info.HasNextPage {
			return all
		}
		page.After = *info.EndCursor
	}
}

// wantCode fails unless err carries code (and, if given, names field).
func wantCode(t *testing.T, err error, code, field string) {
	t.Helper()
	var e *maillage.Error
	if maillage.ErrorCode(err) != code {
		t.Fatalf("error %v: code %q, want %q", err, maillage.ErrorCode(err), code)
	}
	if field != "" && (!errors.As(err, &e) || e.Field != field) {
		t.Fatalf("error %v: field %q, want %q", err, e.Field, field)
	}
}

func TestTerritoriesWithinIncludeEveryDescendant(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	normandie := territoryID(t, db, "fr/28")
	conn, err := db.Directory.FindTerritories(ctx, maillage.TerritoryFilter{Within: &normandie}, maillage.PageArgs{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range conn.Edges {
		paths = append(paths, e.Node.Path)
	}
	want := []string{"fr/28", "fr/28/14", "fr/28/14/cpts-caen-ouest", "fr/28/76", "fr/28/76/cpts-le-havre", "fr/28/76/cpts-rouen-nord"}
	if !slices.Equal(paths, want) {
		t.Fatalf("within Normandie: %v, want %v", paths, want)
	}
	n, err := db.Directory.CountTerritories(ctx, maillage.TerritoryFilter{Within: &normandie})
	if err != nil || n != len(want) {
		t.Fatalf("count within Normandie = %d, %v; want %d", n, err, len(want))
	}
	_, err = db.Directory.FindTerritories(ctx, maillage.TerritoryFilter{Within: ptr("ter_nope")}, maillage.PageArgs{})
	wantCode(t, err, maillage.EINVALID, "filter.within")
}

func TestStructurePagesCoverTheListOnce(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	all, err := db.Directory.FindStructures(ctx, maillage.StructureFilter{}, maillage.PageArgs{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	paged := pageThrough(t, 5, func(page maillage.PageArgs) ([]string, maillage.PageInfo, error) {
		conn, err := db.Directory.FindStructures(ctx, maillage.StructureFilter{}, page)
		if err != nil {
			return nil, maillage.PageInfo{}, err
		}
		var ids []string
		for _, e := range conn.Edges {
			ids = append(ids, e.Node.ID)
		}
		return ids, conn.PageInfo, nil
	})
	var want []string
	for _, e := range all.Edges {
		want = append(want, e.Node.ID)
	}
	if len(want) != 23 || !slices.Equal(paged, want) {
		t.Fatalf("pages of 5 gave %d structures, one page of 100 gave %d; want the same 23 in the same order", len(paged), len(want))
	}
	_, err = db.Directory.FindStructures(ctx, maillage.StructureFilter{}, maillage.PageArgs{First: 5, After: "not-a-cursor"})
	wantCode(t, err, maillage.EINVALID, "after")
	_, err = db.Directory.FindStructures(ctx, maillage.StructureFilter{}, maillage.PageArgs{First: 101})
	wantCode(t, err, maillage.EINVALID, "first")
}

func TestStructureFilters(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	names := func(f maillage.StructureFilter) []string {
		t.Helper()
		conn, err := db.Directory.FindStructures(ctx, f, maillage.PageArgs{First: 100})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range conn.Edges {
			out = append(out, e.Node.Name)
		}
		return out
	}
	if got := names(maillage.StructureFilter{Search: ptr("deville")}); !slices.Equal(got, []string{"ESP de Déville-lès-Rouen"}) {
		t.Errorf("search without accents: %v", got)
	}
	if got := names(maillage.StructureFilter{Search: ptr("%")}); len(got) != 0 {
		t.Errorf("search for a LIKE wildcard matched %v", got)
	}
	if got := names(maillage.StructureFilter{Specialty: ptr("dermatologie")}); !slices.Equal(got, []string{"ESS Dermatologie Rouen Métropole"}) {
		t.Errorf("specialty: %v", got)
	}
	rouen := territoryID(t, db, "fr/28/76/cpts-rouen-nord")
	got := names(maillage.StructureFilter{Within: &rouen, Kinds: []maillage.StructureKind{maillage.KindMSP, maillage.KindESP}})
	want := []string{"ESP de Déville-lès-Rouen", "MSP de Bois-Guillaume", "MSP de Mont-Saint-Aignan"}
	if !slices.Equal(got, want) {
		t.Errorf("MSP and ESP within CPTS Rouen Nord: %v, want %v", got, want)
	}
}

func TestCreateStructureChecksInputAndWritesNothingOnError(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := pgtest.As(t, db, "admin")
	rouen := territoryID(t, db, "fr/28/76/cpts-rouen-nord")
	valid := func() maillage.StructureInput {
		return maillage.StructureInput{Kind: maillage.KindMSP, Name: "MSP des Coquets", TerritoryID: rouen,
			FINESS: ptr("760000018"), SIRET: ptr("73282932000074"), MSSante: ptr("accueil@msp-coquets.mssante.fr")}
	}
	before := count(t, db, `SELECT count(*) FROM structures`)
	events := count(t, db, `SELECT count(*) FROM events`)
	for _, tc := range []struct {
		name        string
		edit        func(*maillage.StructureInput)
		code, field string
	}{
		{"bad FINESS length", func(in *maillage.StructureInput) { in.FINESS = ptr("76000001") }, maillage.EINVALID, "input.finess"},
		{"bad SIRET key", func(in *maillage.StructureInput) { in.SIRET = ptr("73282932000075") }, maillage.EINVALID, "input.siret"},
		{"mailbox outside MSSanté", func(in *maillage.StructureInput) { in.MSSante = ptr("accueil@gmail.com") }, maillage.EINVALID, "input.mssante"},
		{"unknown territory", func(in *maillage.StructureInput) { in.TerritoryID = "ter_unknown" }, maillage.EINVALID, "input.territoryId"},
		{"unknown kind", func(in *maillage.StructureInput) { in.Kind = "HOSTEL" }, maillage.EINVALID, "input.kind"},
		{"empty name", func(in *maillage.StructureInput) { in.Name = "  " }, maillage.EINVALID, "input.name"},
		{"FINESS taken", func(in *maillage.StructureInput) {
			var taken string
			db.Get(&taken, `SELECT finess FROM structures LIMIT 1`)
			in.FINESS = &taken
		}, maillage.ECONFLICT, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := valid()
			tc.edit(&in)
			_, err := db.Directory.CreateStructure(ctx, in)
			wantCode(t, err, tc.code, tc.field)
		})
	}
	if n := count(t, db, `SELECT count(*) FROM structures`); n != before {
		t.Fatalf("refused creations wrote %d structures", n-before)
	}
	if n := count(t, db, `SELECT count(*) FROM events`); n != events {
		t.Fatalf("refused creations appended %d events", n-events)
	}

	in := valid()
	in.FINESS = ptr("760000017") // the key does not verify: kept, with a warning
	s, err := db.Directory.CreateStructure(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if s.FINESSWarning == "" || *s.FINESS != "760000017" || s.Domain != "fr/28/76/cpts-rouen-nord/@"+s.ID {
		t.Fatalf("created %+v: want the FINESS kept with a warning and the structure's domain under its territory", s)
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE type = 'STRUCTURE_CREATED' AND subject_id = $1`, s.ID); n != 1 {
		t.Fatalf("%d STRUCTURE_CREATED events, want 1", n)
	}
}

func TestDirectoryWritesFollowRoleAndTerritory(t *testing.T) {
	db := pgtest.Seeded(t)
	rouen := territoryID(t, db, "fr/28/76/cpts-rouen-nord")
	lyon := territoryID(t, db, "fr/84/69/cpts-lyon-8")
	in := func(territory string) maillage.StructureInput {
		return maillage.StructureInput{Kind: maillage.KindESP, Name: "ESP test", TerritoryID: territory}
	}
	coordinator := pgtest.As(t, db, "10003456781") // coordinator of CPTS Rouen Nord
	if _, err := db.Directory.CreateStructure(coordinator, in(rouen)); err != nil {
		t.Fatalf("a CPTS coordinator creates in their territory: %v", err)
	}
	_, err := db.Directory.CreateStructure(coordinator, in(lyon))
	wantCode(t, err, maillage.EFORBIDDEN, "")
	_, err = db.Directory.CreateStructure(pgtest.As(t, db, "10003456782"), in(rouen)) // a GP, no coordinating role
	wantCode(t, err, maillage.EFORBIDDEN, "")
	_, err = db.Directory.CreateStructure(context.Background(), in(rouen))
	wantCode(t, err, maillage.EUNAUTHENTICATED, "")
	_, err = db.Directory.CreateStructure(pgtest.As(t, db, "ars-normandie"), in(lyon))
	wantCode(t, err, maillage.EFORBIDDEN, "")
	if _, err := db.Directory.CreateStructure(pgtest.As(t, db, "ars-ara"), in(lyon)); err != nil {
		t.Fatalf("the ARS of Auvergne-Rhône-Alpes creates in Lyon: %v", err)
	}
}

func TestArchiveKeepsHistory(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := pgtest.As(t, db, "admin")
	var id string
	db.Get(&id, `SELECT id FROM structures WHERE name = 'MSP de Bois-Guillaume'`)
	members := count(t, db, `SELECT count(*) FROM memberships WHERE structure_id = $1`, id)
	s, err := db.Directory.ArchiveStructure(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.ArchivedAt == nil {
		t.Fatal("archived structure has no archivedAt")
	}
	if n := count(t, db, `SELECT count(*) FROM memberships WHERE structure_id = $1 AND ended_at IS NOT NULL`, id); n != members || n == 0 {
		t.Fatalf("%d of %d memberships ended; want all kept and ended", n, members)
	}
	if n := count(t, db, `SELECT count(*) FROM structure_links WHERE from_id = $1 AND archived_at IS NULL`, id); n != 0 {
		t.Fatalf("%d links still active", n)
	}
	conn, _ := db.Directory.FindStructures(ctx, maillage.StructureFilter{Search: ptr("Bois-Guillaume")}, maillage.PageArgs{})
	withArchived, _ := db.Directory.FindStructures(ctx, maillage.StructureFilter{Search: ptr("Bois-Guillaume"), IncludeArchived: true}, maillage.PageArgs{})
	if len(conn.Edges) != 0 || len(withArchived.Edges) != 1 {
		t.Fatalf("lists: %d without archived, %d with; want 0 and 1", len(conn.Edges), len(withArchived.Edges))
	}
	_, err = db.Directory.ArchiveStructure(ctx, id)
	wantCode(t, err, maillage.ECONFLICT, "")
}

func TestMembershipRules(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := pgtest.As(t, db, "admin")
	var pro, msp string
	db.Get(&pro, `SELECT id FROM professionals WHERE rpps = '10003456787'`)
	db.Get(&msp, `SELECT id FROM structures WHERE name = 'MSP Mermoz'`)
	m, err := db.Directory.AddMembership(ctx, maillage.MembershipInput{ProfessionalID: pro, StructureID: msp, Role: maillage.MemberRoleMember})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Directory.AddMembership(ctx, maillage.MembershipInput{ProfessionalID: pro, StructureID: msp, Role: maillage.MemberRoleMember})
	wantCode(t, err, maillage.ECONFLICT, "")
	_, err = db.Directory.AddMembership(ctx, maillage.MembershipInput{ProfessionalID: "pro_nope", StructureID: msp, Role: maillage.MemberRoleMember})
	wantCode(t, err, maillage.EINVALID, "input.professionalId")
	_, err = db.Directory.AddMembership(ctx, maillage.MembershipInput{ProfessionalID: pro, StructureID: msp, Role: "BOSS"})
	wantCode(t, err, maillage.EINVALID, "input.role")
	ended, err := db.Directory.EndMembership(ctx, m.ID)
	if err != nil || ended.EndedAt == nil {
		t.Fatalf("end membership: %+v, %v", ended, err)
	}
	_, err = db.Directory.EndMembership(ctx, m.ID)
	wantCode(t, err, maillage.ECONFLICT, "")
	if n := count(t, db, `SELECT count(*) FROM memberships WHERE id = $1`, m.ID); n != 1 {
		t.Fatal("an ended membership was deleted")
	}
}

func TestCreateProfessionalChecksRPPS(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := pgtest.As(t, db, "admin")
	in := maillage.ProfessionalInput{RPPS: "1234", FirstName: "Ada", LastName: "Martin", Profession: "Médecin"}
	_, err := db.Directory.CreateProfessional(ctx, in)
	wantCode(t, err, maillage.EINVALID, "input.rpps")
	in.RPPS = "10003456781"
	_, err = db.Directory.CreateProfessional(ctx, in)
	wantCode(t, err, maillage.ECONFLICT, "")
	in.RPPS, in.MSSante = "19900000001", ptr("ada@gmail.com")
	_, err = db.Directory.CreateProfessional(ctx, in)
	wantCode(t, err, maillage.EINVALID, "input.mssante")
	in.MSSante = ptr("ada.martin@medecin.mssante.fr")
	p, err := db.Directory.CreateProfessional(ctx, in)
	if err != nil || p.NationalID() != "819900000001" {
		t.Fatalf("create: %+v, %v; want national id 8+RPPS", p, err)
	}
}

// Appointing a member whose role carries rights (ESS staff see patient-level
// requests) takes the "staff write" permission, not the directory's, and
// nobody appoints themselves.
func TestStaffAppointmentsNeedTheirOwnPermission(t *testing.T) {
	db := pgtest.Seeded(t)
	var ess, dacCoordinator, kine string
	db.Get(&ess, `SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	db.Get(&dacCoordinator, `SELECT id FROM professionals WHERE rpps = '10003456793'`)
	db.Get(&kine, `SELECT id FROM professionals WHERE rpps = '10003456784'`)
	staff := func(pro string, role maillage.MembershipRole) maillage.MembershipInput {
		return maillage.MembershipInput{ProfessionalID: pro, StructureID: ess, Role: role}
	}
	dac := pgtest.As(t, db, "10003456793") // DAC Seine-Maritime coordinator: writes the directory of the department
	before := count(t, db, `SELECT count(*) FROM memberships`)
	_, err := db.Directory.AddMembership(dac, staff(dacCoordinator, maillage.MemberRoleSecretariat))
	wantCode(t, err, maillage.EFORBIDDEN, "")
	_, err = db.Directory.AddMembership(dac, staff(kine, maillage.MemberRoleCaseManager))
	wantCode(t, err, maillage.EFORBIDDEN, "")
	_, err = db.Directory.AddMembership(dac, staff(dacCoordinator, maillage.MemberRoleAdministrator))
	wantCode(t, err, maillage.EFORBIDDEN, "")
	if n := count(t, db, `SELECT count(*) FROM memberships`); n != before {
		t.Fatalf("refused appointments wrote %d memberships", n-before)
	}
	if _, err := db.Directory.AddMembership(dac, staff(kine, maillage.MemberRoleMember)); err != nil {
		t.Fatalf("a plain membership needs only the directory permission: %v", err)
	}

	// The national admin appoints an administrator of the ESS, who then
	// appoints its staff, but not themselves.
	admin := pgtest.As(t, db, "admin")
	if _, err := db.Directory.AddMembership(admin, staff(dacCoordinator, maillage.MemberRoleAdministrator)); err != nil {
		t.Fatal(err)
	}
	if err := db.Authz.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Directory.AddMembership(dac, staff(kine, maillage.MemberRoleSecretariat)); err != nil {
		t.Fatalf("the ESS's administrator appoints its secretariat: %v", err)
	}
	_, err = db.Directory.AddMembership(dac, staff(dacCoordinator, maillage.MemberRoleSecretariat))
	wantCode(t, err, maillage.EFORBIDDEN, "")
}

// Staff rights are appointed and dismissed where they hold: a structure's
// administrator cannot make a coordinator of its whole territory, and a
// coordinator cannot dismiss an ESS's secretariat.
func TestStaffRightsAreAppointedWhereTheyHold(t *testing.T) {
	db := pgtest.Seeded(t)
	var dac, martin, garnier, secretariat string
	db.Get(&dac, `SELECT id FROM structures WHERE name = 'DAC Seine-Maritime'`)
	db.Get(&martin, `SELECT id FROM professionals WHERE rpps = '10003456782'`)
	db.Get(&garnier, `SELECT id FROM professionals WHERE rpps = '10003456804'`)
	db.Get(&secretariat, `SELECT m.id FROM memberships m JOIN professionals p ON p.id = m.professional_id WHERE p.rpps = '10003456789' AND m.role = 'SECRETARIAT'`)
	admin := pgtest.As(t, db, "admin")
	if _, err := db.Directory.AddMembership(admin, maillage.MembershipInput{ProfessionalID: martin, StructureID: dac, Role: maillage.MemberRoleAdministrator}); err != nil {
		t.Fatal(err)
	}
	if err := db.Authz.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	dacAdmin := pgtest.As(t, db, "10003456782")
	_, err := db.Directory.AddMembership(dacAdmin, maillage.MembershipInput{ProfessionalID: garnier, StructureID: dac, Role: maillage.MemberRoleCoordinator})
	wantCode(t, err, maillage.EFORBIDDEN, "")
	if _, err := db.Directory.AddMembership(dacAdmin, maillage.MembershipInput{ProfessionalID: garnier, StructureID: dac, Role: maillage.MemberRoleMember}); err != nil {
		t.Fatalf("the DAC's administrator adds a plain member: %v", err)
	}
	_, err = db.Directory.EndMembership(pgtest.As(t, db, "10003456793"), secretariat) // the DAC's coordinator
	wantCode(t, err, maillage.EFORBIDDEN, "")
	if n := count(t, db, `SELECT count(*) FROM memberships WHERE id = $1 AND ended_at IS NULL`, secretariat); n != 1 {
		t.Fatal("a refused dismissal ended the membership")
	}
	if _, err := db.Directory.EndMembership(pgtest.As(t, db, "10003456789"), secretariat); err != nil {
		t.Fatalf("the secretariat leaves: %v", err)
	}
}

// Membership pages read with their professionals are the same pages, each
// membership carrying its own professional as ProfessionalsByIDs reads it;
// read without, a membership has none.
func TestMembershipPagesWithProfessionals(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	structures := structuresWithMembers(t, db)
	page := maillage.PageArgs{First: 3, Count: true}
	plain, err := db.Directory.MembershipPages(ctx, maillage.MembershipsOfStructure, structures, maillage.MembershipFilter{}, page)
	if err != nil {
		t.Fatal(err)
	}
	joined, err := db.Directory.MembershipPagesWithProfessionals(ctx, maillage.MembershipsOfStructure, structures, maillage.MembershipFilter{}, page, maillage.MembershipSelection{})
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for i := range structures {
		a, b := plain[i], joined[i]
		if a.TotalCount != b.TotalCount || len(a.Edges) != len(b.Edges) || a.PageInfo.HasNextPage != b.PageInfo.HasNextPage {
			t.Fatalf("%s: %d of %d members, joined %d of %d", structures[i], len(a.Edges), a.TotalCount, len(b.Edges), b.TotalCount)
		}
		for j, e := range b.Edges {
			if e.Node.ID != a.Edges[j].Node.ID || e.Cursor() != a.Edges[j].Cursor() {
				t.Fatalf("%s: edge %d is %s, joined %s", structures[i], j, a.Edges[j].Node.ID, e.Node.ID)
			}
			if _, err := a.Edges[j].Node.Professional(); maillage.ErrorCode(err) != maillage.ENOTFOUND {
				t.Fatalf("%s: read without its professional, got %v", e.Node.ID, err)
			}
			p, err := e.Node.Professional()
			if err != nil {
				t.Fatal(err)
			}
			want, err := db.Directory.ProfessionalsByIDs(ctx, []string{e.Node.ProfessionalID})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, want[0]) {
				t.Fatalf("%s: professional %+v, want %+v", e.Node.ID, p, want[0])
			}
			read++
		}
	}
	if read < 5 {
		t.Fatalf("%d memberships read: want a few", read)
	}
}

// A page of members reads whole column sets, so that however a caller
// picks its fields the statement texts stay a few; each field selected is
// read as a full read reads it.
func TestMemberPageSelectionsShareTheirStatements(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	structures := structuresWithMembers(t, db)
	page := maillage.PageArgs{First: 5, Count: true}
	full, err := db.Directory.MembershipPagesWithProfessionals(ctx, maillage.MembershipsOfStructure, structures, maillage.MembershipFilter{}, page, maillage.MembershipSelection{})
	if err != nil {
		t.Fatal(err)
	}
	type field struct {
		membership, professional string
		value                    func(*maillage.Membership) any
	}
	pro := func(m *maillage.Membership) *maillage.Professional { p, _ := m.Professional(); return p }
	deref := func(s *string) any {
		if s == nil {
			return nil
		}
		return *s
	}
	fields := []field{
		{"id", "", func(m *maillage.Membership) any { return m.ID }},
		{"role", "", func(m *maillage.Membership) any { return m.Role }},
		{"startedAt", "", func(m *maillage.Membership) any { return m.StartedAt.UTC() }},
		{"", "id", func(m *maillage.Membership) any { return pro(m).ID }},
		{"", "rpps", func(m *maillage.Membership) any { return pro(m).RPPS }},
		{"", "firstName", func(m *maillage.Membership) any { return pro(m).FirstName }},
		{"", "lastName", func(m *maillage.Membership) any { return pro(m).LastName }},
		{"", "profession", func(m *maillage.Membership) any { return pro(m).Profession }},
		{"", "specialty", func(m *maillage.Membership) any { return deref(pro(m).Specialty) }},
		{"", "mssante", func(m *maillage.Membership) any { return deref(pro(m).MSSante) }},
		{"", "createdAt", func(m *maillage.Membership) any { return pro(m).CreatedAt.UTC() }},
	}
	before := postgres.PreparedStatements(db)
	// Every pair of fields (a field with itself: alone).
	for i, a := range fields {
		for _, b := range fields[i:] {
			sel := maillage.MembershipSelection{Membership: []string{"professional"}, Professional: []string{}}
			for _, f := range []field{a, b} {
				if f.membership != "" {
					sel.Membership = append(sel.Membership, f.membership)
				} else {
					sel.Professional = append(sel.Professional, f.professional)
				}
			}
			got, err := db.Directory.MembershipPagesWithProfessionals(ctx, maillage.MembershipsOfStructure, structures, maillage.MembershipFilter{}, page, sel)
			if err != nil {
				t.Fatal(err)
			}
			for s := range structures {
				if len(got[s].Edges) != len(full[s].Edges) || got[s].TotalCount != full[s].TotalCount {
					t.Fatalf("%v: %d of %d members, want %d of %d", sel, len(got[s].Edges), got[s].TotalCount, len(full[s].Edges), full[s].TotalCount)
				}
				for e := range got[s].Edges {
					for _, f := range []field{a, b} {
						if g, w := fmt.Sprint(f.value(got[s].Edges[e].Node)), fmt.Sprint(f.value(full[s].Edges[e].Node)); g != w {
							t.Fatalf("%v: %s%s is %q, want %q", sel, f.membership, f.professional, g, w)
						}
					}
				}
			}
		}
	}
	if grown := postgres.PreparedStatements(db) - before; grown > 3 {
		t.Fatalf("%d selections of members prepared %d statements: want one per column set", len(fields)*(len(fields)+1)/2, grown)
	}
}

// structuresWithMembers is the structures that have current members.
func structuresWithMembers(t *testing.T, db *postgres.DB) []string {
	t.Helper()
	var structures []string
	if err := db.Select(&structures, `SELECT DISTINCT structure_id FROM memberships WHERE ended_at IS NULL ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	return structures
}
