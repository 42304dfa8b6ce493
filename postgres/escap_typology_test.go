package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// typologyFixture makes n active teams in Rouen whose members are the
// professionals of rpps (counted unless a coordinator), activated at
// activated, ending at expires.
func typologyFixture(t *testing.T, db *postgres.DB, n int, activated, expires time.Time, rpps ...string) {
	t.Helper()
	const q = `WITH p AS (INSERT INTO patients (family_name, given_names, birth_date, sex, gp_id, created_by)
			SELECT 'Typo' || g, 'Test', '1950-01-01', 'F', (SELECT id FROM professionals WHERE rpps = '10003456786'),
				(SELECT id FROM accounts WHERE login = 'admin') FROM generate_series(1, $1) g RETURNING id, gp_id),
		c AS (INSERT INTO escap_consents (patient_id, method, given_at, recorded_by)
			SELECT id, 'ORAL', now(), gp_id FROM p RETURNING id, patient_id, recorded_by),
		e AS (INSERT INTO escaps (patient_id, consent_id, territory_id, situation, score, grid_size, grid, status, initiator_id, activated_at, expires_at)
			SELECT c.patient_id, c.id, (SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'), 'PALLIATIVE', 13, 26, '[]',
				'ACTIVE', c.recorded_by, $2, $3 FROM c RETURNING id)
		INSERT INTO escap_members (escap_id, professional_id, role, joined_at, counted)
			SELECT e.id, pr.id, 'MEMBER', $2, pr.profession <> 'Coordinateur' FROM e CROSS JOIN professionals pr WHERE pr.rpps = ANY($4)`
	if _, err := db.ExecContext(context.Background(), q, n, activated, expires, "{"+strings.Join(rpps, ",")+"}"); err != nil {
		t.Fatal(err)
	}
}

// Entries and exits are counted by care-circle typology — the professions
// of the team's health professionals — with small counts suppressed (item
// 12 of issue 17).
func TestEntriesAndExitsByTypology(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	month := parisDay("2027-02-01")
	activated, expires := month.Add(36*time.Hour), month.AddDate(1, 0, 2)
	const lefebvre, roux, petit, durand, moreau, vincent = "10003456781", "10003456786", "10003456785", "10003456783", "10003456784", "10003456793"
	typologyFixture(t, db, 12, activated, expires, lefebvre, roux, petit)                 // Médecin + Pharmacien
	typologyFixture(t, db, 11, activated, expires, lefebvre, roux, petit, durand)         // + Infirmier
	typologyFixture(t, db, 2, activated, expires, lefebvre, roux, petit, moreau, vincent) // + kiné; the coordinator does not count
	ars := pgtest.As(t, db, "ars-normandie")
	normandie := seededID(t, db, `SELECT id FROM territories WHERE path = 'fr/28'`)

	st, err := db.ESCAP.ESCAPTypologyStats(ars, normandie, month, month.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		professions string
		count       int // -1: suppressed
	}{
		{"Infirmier+Médecin+Pharmacien", -1}, // 11, hidden beside the one small cell
		{"Masseur-kinésithérapeute+Médecin+Pharmacien", -1},
		{"Médecin+Pharmacien", 12},
	}
	if len(st.Entries) != len(want) {
		t.Fatalf("entries: %+v", st.Entries)
	}
	for i, w := range want {
		c := st.Entries[i]
		got := -1
		if c.Count != nil {
			got = *c.Count
		}
		if strings.Join(c.Professions, "+") != w.professions || got != w.count || c.Period != "2027-02" || c.Suppressed != (w.count < 0) {
			t.Errorf("entry %d: %v %q %d suppressed %v, want %s %d", i, c.Professions, c.Period, got, c.Suppressed, w.professions, w.count)
		}
		if slices.Contains(c.Professions, "Coordinateur") {
			t.Errorf("a coordinator counts in a typology: %v", c.Professions)
		}
	}

	// The terms end a year later: the exits are END_OF_TERM, by typology.
	if _, _, err := db.ESCAP.ExpireESCAPs(ctx, expires); err != nil {
		t.Fatal(err)
	}
	exitMonth := parisDay("2028-02-01")
	st, err = db.ESCAP.ESCAPTypologyStats(ars, normandie, exitMonth, exitMonth.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range st.Exits {
		if strings.Join(c.Professions, "+") == "Médecin+Pharmacien" && c.Count != nil && *c.Count == 12 &&
			c.Reason != nil && *c.Reason == maillage.ExitEndOfTerm {
			found = true
		}
	}
	if !found {
		t.Errorf("exits: %+v", st.Exits)
	}
	if _, err := db.ESCAP.ESCAPTypologyStats(ars, normandie, month.AddDate(0, 0, 1), month.AddDate(0, 1, 0)); maillage.ErrorCode(err) != maillage.EINVALID {
		t.Errorf("a window inside a month: %v", err)
	}
	if _, err := db.ESCAP.ESCAPTypologyStats(pgtest.As(t, db, "10003456783"), normandie, month, month.AddDate(0, 1, 0)); maillage.ErrorCode(err) != maillage.EFORBIDDEN {
		t.Errorf("a nurse reads the figures: %v", err)
	}
}

func TestSuppressSmall(t *testing.T) {
	for _, c := range []struct {
		name string
		ns   []int
		hide []bool
	}{
		{"all above", []int{11, 12}, []bool{false, false}},
		{"one at k-1: the smallest other too", []int{10, 12, 11}, []bool{true, false, true}},
		{"two small: nothing more", []int{10, 3, 20}, []bool{true, true, false}},
		{"alone and small", []int{5}, []bool{true}},
		{"at k", []int{11}, []bool{false}},
	} {
		cells := make([]maillage.TypologyCount, len(c.ns))
		for i, n := range c.ns {
			cells[i] = maillage.TypologyCount{Period: "2027-01", N: n}
		}
		maillage.SuppressSmall(cells, 11, func(x maillage.TypologyCount) string { return x.Period })
		for i := range cells {
			if cells[i].Suppressed != c.hide[i] || (cells[i].Count == nil) != c.hide[i] {
				t.Errorf("%s: cell %d (%d) suppressed %v, want %v", c.name, i, c.ns[i], cells[i].Suppressed, c.hide[i])
			}
		}
	}
}
