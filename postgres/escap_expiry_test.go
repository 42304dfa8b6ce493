package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// lapsedFixture makes n active teams in Rouen, each around a new patient
// with Petit (pharmacist), Lefebvre and Roux as members, activated at
// activated and ending at expires; it returns their ids.
func lapsedFixture(t *testing.T, db *postgres.DB, n int, activated, expires time.Time) []string {
	t.Helper()
	var ids []string
	const q = `WITH p AS (INSERT INTO patients (family_name, given_names, birth_date, sex, gp_id, created_by)
			SELECT 'Terme' || g, 'Test', '1950-01-01', 'F', (SELECT id FROM professionals WHERE rpps = '10003456786'),
				(SELECT id FROM accounts WHERE login = 'admin') FROM generate_series(1, $1) g RETURNING id, gp_id),
		c AS (INSERT INTO escap_consents (patient_id, method, given_at, recorded_by)
			SELECT id, 'ORAL', now(), gp_id FROM p RETURNING id, patient_id, recorded_by),
		e AS (INSERT INTO escaps (patient_id, consent_id, territory_id, situation, score, grid_size, grid, status, initiator_id, activated_at, expires_at)
			SELECT c.patient_id, c.id, (SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'), 'PALLIATIVE', 13, 26, '[]',
				'ACTIVE', c.recorded_by, $2, $3 FROM c RETURNING id),
		m AS (INSERT INTO escap_members (escap_id, professional_id, role, joined_at, counted)
			SELECT e.id, pr.id, 'MEMBER', $2, true FROM e CROSS JOIN professionals pr WHERE pr.rpps IN ('10003456785', '10003456781', '10003456786'))
		SELECT id FROM e`
	if err := db.SelectContext(context.Background(), &ids, q, n, activated, expires); err != nil {
		t.Fatal(err)
	}
	return ids
}

func parisDay(s string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, maillage.Paris)
	if err != nil {
		panic(err)
	}
	return d
}

// A team counts for its year(s) of term and no later, whether or not the
// expiry job has closed it yet (item 1 of issue 17).
func TestTeamsPastTheirTermStopCounting(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	// No other team of the seed counts in these years.
	if _, err := db.ExecContext(ctx, `UPDATE escaps SET activated_at = NULL, expires_at = NULL, status = 'FORMING' WHERE status = 'ACTIVE'`); err != nil {
		t.Fatal(err)
	}
	activated, expires := parisDay("2027-06-15"), parisDay("2028-06-15")
	lapsedFixture(t, db, 1, activated, expires)
	ars := pgtest.As(t, db, "ars-normandie")
	normandie := seededID(t, db, `SELECT id FROM territories WHERE path = 'fr/28'`)
	petit := seededID(t, db, `SELECT id FROM professionals WHERE rpps = '10003456785'`)

	for _, c := range []struct {
		year  int
		teams int
	}{{2026, 0}, {2027, 1}, {2028, 1}, {2029, 0}, {2030, 0}, {2099, 0}} {
		in, err := db.ESCAP.ESCAPIncentives(ars, normandie, c.year)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, i := range in {
			if i.ProfessionalID == petit {
				got = i.Teams
			}
		}
		if got != c.teams {
			t.Errorf("incentives %d: Petit counts %d teams, want %d", c.year, got, c.teams)
		}
	}
	// Per-professional figures are per calendar year: the term ends in
	// June 2028, so 2028 counts the team and 2029 no more.
	for _, c := range []struct {
		month string
		teams int
	}{{"2026-06-01", 0}, {"2027-01-01", 1}, {"2028-01-01", 1}, {"2028-12-01", 1}, {"2029-01-01", 0}, {"2030-06-01", 0}} {
		from := parisDay(c.month)
		st, err := db.ESCAP.ESCAPStats(ars, normandie, from, from.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, p := range st.TeamsPerProfessional {
			if p.ProfessionalID == petit {
				got = p.Count
			}
		}
		if got != c.teams {
			t.Errorf("teams per professional in the year of %s: Petit counts %d, want %d", c.month, got, c.teams)
		}
	}
}

// The expiry job closes exactly the active teams whose term ended at or
// before its now, records END_OF_TERM at the end of the term, emits the
// exit, and ends the care circle's access to the patient (item 2).
func TestExpiryClosesLapsedTeams(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	ids := map[string]string{}
	for _, c := range []struct {
		name    string
		expires time.Time
	}{{"a year ago", now.AddDate(-1, 0, 0)}, {"a second ago", now.Add(-time.Second)}, {"now", now},
		{"in a second", now.Add(time.Second)}, {"in a year", now.AddDate(1, 0, 0)}} {
		ids[c.name] = lapsedFixture(t, db, 1, c.expires.AddDate(-1, 0, 0), c.expires)[0]
	}
	petit := pgtest.As(t, db, "10003456785")
	patientOf := func(id string) string { return seededID(t, db, `SELECT patient_id FROM escaps WHERE id = $1`, id) }
	if ps, err := db.Patients.PatientsByIDs(petit, []string{patientOf(ids["now"])}); err != nil || ps[0] == nil {
		t.Fatalf("before: a member does not see the patient: %v", err)
	}
	forming := seededID(t, db, `SELECT id FROM escaps WHERE status = 'FORMING' LIMIT 1`)

	ran, closed, err := db.ESCAP.ExpireESCAPs(ctx, now)
	if err != nil || !ran {
		t.Fatalf("ran %v: %v", ran, err)
	}
	if len(closed) != 3 {
		t.Errorf("closed %d teams, want 3", len(closed))
	}
	for name, id := range ids {
		var e struct {
			Status   string     `db:"status"`
			Reason   *string    `db:"exit_reason"`
			Exited   *time.Time `db:"exited_at"`
			Expires  time.Time  `db:"expires_at"`
			Events   int        `db:"events"`
			Audits   int        `db:"audits"`
			PatientS string     `db:"patient_id"`
		}
		if err := db.GetContext(ctx, &e, `SELECT status, exit_reason, exited_at, expires_at, patient_id,
			(SELECT count(*) FROM events WHERE subject_id = e.id AND type = 'PATIENT_EXITED' AND payload->>'reason' = 'END_OF_TERM') AS events,
			(SELECT count(*) FROM audit_log WHERE object_id = e.id AND operation = 'end_of_term') AS audits
			FROM escaps e WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		lapsed := !e.Expires.After(now)
		if lapsed != (e.Status == "CLOSED") || lapsed != (e.Events == 1) || lapsed != (e.Audits == 1) {
			t.Errorf("%s: status %s, %d events, %d audits", name, e.Status, e.Events, e.Audits)
		}
		if lapsed && (e.Reason == nil || *e.Reason != string(maillage.ExitEndOfTerm) || e.Exited == nil || !e.Exited.Equal(e.Expires)) {
			t.Errorf("%s: exit %v at %v, want END_OF_TERM at %v", name, e.Reason, e.Exited, e.Expires)
		}
		ps, err := db.Patients.PatientsByIDs(petit, []string{e.PatientS})
		if err != nil {
			t.Fatal(err)
		}
		if lapsed == (ps[0] != nil) {
			t.Errorf("%s: a member of the team sees the patient: %v", name, ps[0] != nil)
		}
	}
	if s := seededID(t, db, `SELECT status FROM escaps WHERE id = $1`, forming); s != "FORMING" {
		t.Errorf("a forming team was touched: %s", s)
	}
	// Run again: nothing more.
	if _, closed, err := db.ESCAP.ExpireESCAPs(ctx, now); err != nil || len(closed) != 0 {
		t.Errorf("second run closed %d: %v", len(closed), err)
	}
	// A caller cannot choose END_OF_TERM.
	if err := maillage.ValidateExitReason(maillage.ExitEndOfTerm); maillage.ErrorCode(err) != maillage.EINVALID {
		t.Errorf("END_OF_TERM chosen by a caller: %v", err)
	}
}

// Two instances run the job at the same moment: every lapsed team closes
// once, with one event and one audit record, whoever ran it; while another
// session holds the lock, the job does nothing.
func TestExpiryRunsOnOneInstanceAtATime(t *testing.T) {
	dsn := pgtest.NewURL(t)
	a := pgtest.Open(t, dsn)
	b := pgtest.Open(t, dsn)
	if _, err := postgres.Seed(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	const n = 60
	lapsedFixture(t, a, n, now.AddDate(-1, 0, -1), now.Add(-time.Minute))

	// A session holding the lock keeps both runners out.
	conn, err := a.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext('maillage_escap_expiry'))`); err != nil {
		t.Fatal(err)
	}
	if ran, closed, err := b.ESCAP.ExpireESCAPs(ctx, now); err != nil || ran || len(closed) != 0 {
		t.Fatalf("ran under another's lock: %v, %d closed, %v", ran, len(closed), err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtext('maillage_escap_expiry'))`); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	for round := range 5 {
		// Reopen the teams closed by the previous round.
		if round > 0 {
			if _, err := a.ExecContext(ctx, `UPDATE escaps SET status = 'ACTIVE', exited_at = NULL, exit_reason = NULL WHERE exit_reason = 'END_OF_TERM'`); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make([]int, 2)
		for i, db := range []*postgres.DB{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, closed, err := db.ESCAP.ExpireESCAPs(ctx, now)
				if err != nil {
					t.Error(err)
				}
				results[i] = len(closed)
			}()
		}
		close(start)
		wg.Wait()
		if results[0]+results[1] != n {
			t.Errorf("round %d: the runners closed %v teams, want %d in all", round, results, n)
		}
	}
	var dup int
	if err := a.GetContext(ctx, &dup, `SELECT count(*) FROM (SELECT subject_id FROM events WHERE payload->>'reason' = 'END_OF_TERM'
		GROUP BY subject_id HAVING count(*) <> 5) x`); err != nil {
		t.Fatal(err)
	}
	var events int
	if err := a.GetContext(ctx, &events, `SELECT count(*) FROM events WHERE payload->>'reason' = 'END_OF_TERM'`); err != nil {
		t.Fatal(err)
	}
	if dup != 0 || events != 5*n {
		t.Errorf("%d END_OF_TERM events (want %d), %d teams not exited once per round", events, 5*n, dup)
	}
}
