package postgres_test

import (
	"context"
	"testing"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// smallNation is a tenth of the national directory: 10 departments (in 2
// regions), 100 local territories, 1,500 structures, 20,000 professionals.
var smallNation = postgres.NationalShape{Departments: 10, LocalsPerDepartment: 10, Structures: 1500, Professionals: 20000, Seed: 7}

func TestSeedNationalShape(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	r, err := postgres.SeedNationalShape(ctx, db, smallNation)
	if err != nil {
		t.Fatal(err)
	}
	// The first 10 departments are Auvergne-Rhône-Alpes's 12 first ones: one region.
	if want := 1 + 1 + 10 + 100; r.Territories != want || count(t, db, `SELECT count(*) FROM territories`) != want {
		t.Errorf("territories: reported %d, want %d", r.Territories, want)
	}
	if n := count(t, db, `SELECT count(*) FROM structures`); n != 1500 || r.Structures != n {
		t.Errorf("structures: %d (reported %d), want 1500", n, r.Structures)
	}
	if n := count(t, db, `SELECT count(*) FROM accounts WHERE professional_id IS NOT NULL`); n != 20000 {
		t.Errorf("professional accounts: %d, want 20000", n)
	}
	members := count(t, db, `SELECT count(*) FROM memberships WHERE ended_at IS NULL`)
	if members < 28000 || members > 32000 {
		t.Errorf("memberships: %d, want about 30000", members)
	}
	for _, role := range []string{"COORDINATOR", "SECRETARIAT"} {
		n := count(t, db, `SELECT count(*) FROM memberships WHERE role = $1`, role)
		if share := float64(n) / float64(members); share < 0.18 || share > 0.22 {
			t.Errorf("%s: %.1f %% of memberships, want about 20 %%", role, 100*share)
		}
	}
	for _, kind := range []string{"ESP", "MSP", "ESS", "CPTS", "DAC", "EHPAD", "SSIAD", "HOSPITAL"} {
		if count(t, db, `SELECT count(*) FROM structures WHERE kind = $1`, kind) == 0 {
			t.Errorf("no structure of kind %s", kind)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM memberships m JOIN structures s ON s.id = m.structure_id
		WHERE s.kind = 'ESS' AND m.role IN ('SECRETARIAT', 'CASE_MANAGER', 'SPECIALIST')`); n < 100 {
		t.Errorf("ESS staff: %d memberships", n)
	}
	if n := count(t, db, `SELECT count(*) FROM territories c JOIN territories p ON p.id = c.parent_id
		WHERE c.path <> p.path || '/' || c.code`); n != 0 {
		t.Errorf("%d territories whose path is not their parent's path and code", n)
	}
	if n := count(t, db, `SELECT count(*) FROM role_grants g JOIN accounts a ON a.id = g.account_id WHERE a.login = 'admin' AND g.role = 'national_admin'`); n != 1 {
		t.Errorf("admin grants: %d", n)
	}
	checkIdentifiers(t, db)
}

// checkIdentifiers validates every generated FINESS, SIRET, RPPS and MSSanté
// address with the domain's own checks.
func checkIdentifiers(t *testing.T, db *postgres.DB) {
	t.Helper()
	var structures []struct {
		FINESS  *string `db:"finess"`
		SIRET   string  `db:"siret"`
		MSSante string  `db:"mssante"`
	}
	if err := db.Select(&structures, `SELECT finess, siret, mssante FROM structures`); err != nil {
		t.Fatal(err)
	}
	withFINESS := 0
	for _, s := range structures {
		if s.FINESS != nil {
			withFINESS++
			if w, err := maillage.ValidateFINESS("finess", *s.FINESS); err != nil || w != "" {
				t.Fatalf("FINESS %s: %v %s", *s.FINESS, err, w)
			}
		}
		if err := maillage.ValidateSIRET("siret", s.SIRET); err != nil {
			t.Fatal(err)
		}
		if err := maillage.ValidateMSSante("mssante", s.MSSante); err != nil {
			t.Fatal(err)
		}
	}
	if withFINESS < len(structures)/3 {
		t.Errorf("%d of %d structures have a FINESS", withFINESS, len(structures))
	}
	var pros []struct {
		RPPS    string `db:"rpps"`
		MSSante string `db:"mssante"`
	}
	if err := db.Select(&pros, `SELECT rpps, mssante FROM professionals`); err != nil {
		t.Fatal(err)
	}
	for _, p := range pros {
		if err := maillage.ValidateRPPS("rpps", p.RPPS); err != nil {
			t.Fatal(err)
		}
		if err := maillage.ValidateMSSante("mssante", p.MSSante); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSeedNationalIsDeterministic(t *testing.T) {
	ctx := context.Background()
	shape := postgres.NationalShape{Departments: 3, LocalsPerDepartment: 4, Structures: 200, Professionals: 1000, Seed: 11}
	digest := func(db *postgres.DB) string {
		var d string
		err := db.Get(&d, `SELECT md5(string_agg(row_text, ',' ORDER BY row_text)) FROM (
			SELECT t::text AS row_text FROM (SELECT id, code, name, level, path, parent_id FROM territories) t UNION ALL
			SELECT s::text FROM (SELECT id, kind, name, territory_id, finess, siret, mssante, specialties, commune FROM structures) s UNION ALL
			SELECT p::text FROM (SELECT id, rpps, first_name, last_name, profession, specialty, mssante FROM professionals) p UNION ALL
			SELECT m::text FROM (SELECT id, professional_id, structure_id, role FROM memberships) m UNION ALL
			SELECT a::text FROM (SELECT id, login, display_name, professional_id FROM accounts) a) rows`)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	one, two := pgtest.New(t), pgtest.New(t)
	for _, db := range []*postgres.DB{one, two} {
		if _, err := postgres.SeedNationalShape(ctx, db, shape); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := digest(one), digest(two); a != b {
		t.Errorf("two seedings differ: %s and %s", a, b)
	}
	if r, err := postgres.SeedNationalShape(ctx, one, shape); err != nil || r != nil {
		t.Errorf("seeding a database with data again: %+v, %v; want nothing done", r, err)
	}
}
