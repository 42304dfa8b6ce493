package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

func seededID(t *testing.T, db *postgres.DB, q string, args ...any) string {
	t.Helper()
	var id string
	if err := db.GetContext(context.Background(), &id, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

func TestESCAPConfigFromDatabase(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	cfg, err := db.ESCAP.ESCAPConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	def := maillage.DefaultESCAPConfig()
	if cfg.GridThreshold != def.GridThreshold || cfg.PregnantGridItems != def.PregnantGridItems || len(cfg.Situations) != len(def.Situations) ||
		cfg.Situations[2].EventWithinMonths != 12 || cfg.IncentiveTeamsEuros != 100 || cfg.CapPerProfessionalYear != 20 {
		t.Fatalf("seeded settings differ from the defaults: %+v", cfg)
	}
	if _, err := db.ExecContext(ctx, `UPDATE escap_settings SET config = config || '{"gridThreshold": 15, "capPerProfessionalYear": 0}'`); err != nil {
		t.Fatal(err)
	}
	cfg, err = db.ESCAP.ESCAPConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GridThreshold != 15 || cfg.CapPerProfessionalYear != 0 || cfg.GridItems != 26 {
		t.Fatalf("override not applied key by key: %+v", cfg)
	}
	if _, err := db.ExecContext(ctx, `UPDATE escap_settings SET config = '{"gridThreshold": 40}'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ESCAP.ESCAPConfig(ctx); err == nil {
		t.Fatal("a threshold above the grid was accepted")
	}
}

func TestSeededESCAPsAreNeedToKnow(t *testing.T) {
	db := pgtest.Seeded(t)
	visible := func(login string) int {
		conn, err := db.ESCAP.FindESCAPs(pgtest.As(t, db, login), maillage.ESCAPFilter{}, maillage.PageArgs{})
		if err != nil {
			t.Fatalf("%s: %v", login, err)
		}
		return len(conn.Edges)
	}
	for login, want := range map[string]int{
		"10003456781":   1, // Lefebvre: GP in the Dupont team
		"10003456785":   2, // Petit: pharmacist in Dupont's and Leroy's
		"10003456796":   1, // Faure: Lyon
		"10003456794":   0, // Muller: coordinator in Caen, no team
		"10003456793":   0, // Vincent: DAC coordinator
		"ars-normandie": 0,
		"admin":         0,
	} {
		if got := visible(login); got != want {
			t.Errorf("%s sees %d teams, want %d", login, got, want)
		}
	}
	// Figures: the ARS sees counts of its region, not of another.
	ars := pgtest.As(t, db, "ars-normandie")
	normandie := seededID(t, db, `SELECT id FROM territories WHERE path = 'fr/28'`)
	rhone := seededID(t, db, `SELECT id FROM territories WHERE path = 'fr/84'`)
	now := time.Now().In(maillage.Paris)
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, maillage.Paris)
	from, to := thisMonth.AddDate(-1, 0, 0), thisMonth.AddDate(0, 1, 0)
	st, err := db.ESCAP.ESCAPStats(ars, normandie, from, to)
	if err != nil {
		t.Fatal(err)
	}
	// One team: under the small-count threshold, so its count is suppressed.
	if len(st.ActiveTeams) != 1 || st.ActiveTeams[0].Count != nil || !st.ActiveTeams[0].Suppressed ||
		len(st.Entries) != 1 || st.Entries[0].Situation != "CHRONIC_POLYPATHOLOGY" || !st.Entries[0].Suppressed || st.SmallCount != 11 {
		t.Errorf("Normandie figures: %+v", st)
	}
	if _, err := db.ESCAP.ESCAPStats(ars, normandie, from.AddDate(0, 0, 3), to); maillage.ErrorCode(err) != maillage.EINVALID {
		t.Errorf("a window that is not whole months: %v", err)
	}
	if _, err := db.ESCAP.ESCAPStats(ars, rhone, from, to); maillage.ErrorCode(err) != maillage.EFORBIDDEN {
		t.Errorf("ARS Normandie reading Auvergne-Rhône-Alpes: %v", err)
	}
	if _, err := db.ESCAP.ESCAPStats(pgtest.As(t, db, "10003456783"), normandie, from, to); maillage.ErrorCode(err) != maillage.EFORBIDDEN {
		t.Errorf("a nurse reading regional figures: %v", err)
	}
}

func TestWithdrawnConsentClosesAccessAtOnce(t *testing.T) {
	db := pgtest.Seeded(t)
	escap := seededID(t, db, `SELECT e.id FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Dupont'`)
	patient := seededID(t, db, `SELECT id FROM patients WHERE family_name = 'Dupont'`)
	nurse := pgtest.As(t, db, "10003456783") // Durand, member of the team only
	gp := pgtest.As(t, db, "10003456781")    // Lefebvre, also the treating GP
	if ps, err := db.Patients.PatientsByIDs(nurse, []string{patient}); err != nil || ps[0] == nil {
		t.Fatalf("the nurse of the team does not see the patient: %v", err)
	}
	events := count(t, db, `SELECT count(*) FROM events WHERE topic = $1`, "escap:"+escap)
	c, err := db.ESCAP.WithdrawConsent(nurse, escap)
	if err != nil {
		t.Fatal(err)
	}
	if c.WithdrawnAt == nil {
		t.Fatal("consent not marked withdrawn")
	}
	if ps, _ := db.Patients.PatientsByIDs(nurse, []string{patient}); ps[0] != nil {
		t.Error("the nurse still sees the patient after the consent was withdrawn")
	}
	if es, _ := db.ESCAP.ESCAPsByIDs(nurse, []string{escap}); es[0] != nil {
		t.Error("the nurse still sees the team after the consent was withdrawn")
	}
	if es, _ := db.ESCAP.ESCAPsByIDs(gp, []string{escap}); es[0] != nil {
		t.Error("the GP member still sees the team after the consent was withdrawn")
	}
	if ps, _ := db.Patients.PatientsByIDs(gp, []string{patient}); ps[0] == nil {
		t.Error("the treating GP lost the patient's record itself")
	}
	if _, err := db.ESCAP.AddEntry(nurse, maillage.EntryInput{ESCAPID: escap, Kind: maillage.EntryNote, Body: "x"}); maillage.ErrorCode(err) != maillage.ENOTFOUND {
		t.Errorf("writing after withdrawal: %v", err)
	}
	var types []string
	if err := db.SelectContext(context.Background(), &types, `SELECT type FROM events WHERE topic = $1 ORDER BY id OFFSET $2`, "escap:"+escap, events); err != nil {
		t.Fatal(err)
	}
	if len(types) != 2 || types[0] != "CONSENT_WITHDRAWN" || types[1] != "PATIENT_EXITED" {
		t.Errorf("events = %v", types)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND operation = 'withdraw_consent' AND role = 'rel:care_circle'`, patient); n != 1 {
		t.Errorf("%d audit records of the withdrawal, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND operation = 'exit' AND role = 'rel:care_circle'`, escap); n != 1 {
		t.Errorf("%d audit records of the exit under the care circle, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM escaps WHERE id = $1 AND status = 'CLOSED' AND exit_reason = 'CONSENT_WITHDRAWN'`, escap); n != 1 {
		t.Error("team not closed with CONSENT_WITHDRAWN")
	}
}

func TestESCAPNestedListsCostConstantStatements(t *testing.T) {
	db := pgtest.Seeded(t)
	petit := pgtest.As(t, db, "10003456785") // two teams
	var ids []string
	if err := db.SelectContext(context.Background(), &ids, `SELECT escap_id FROM escap_members m JOIN professionals p ON p.id = m.professional_id WHERE p.rpps = '10003456785' ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	cost := func(f func() error) int64 {
		before := postgres.Statements()
		if err := f(); err != nil {
			t.Fatal(err)
		}
		return postgres.Statements() - before
	}
	one := cost(func() error { _, err := db.ESCAP.MembersByESCAPIDs(petit, ids[:1]); return err })
	two := cost(func() error { _, err := db.ESCAP.MembersByESCAPIDs(petit, ids); return err })
	if one != two || one > 2 {
		t.Errorf("members: %d statements for one team, %d for two", one, two)
	}
	keys := func(ids []string) []maillage.TimelineKey {
		out := make([]maillage.TimelineKey, len(ids))
		for i, id := range ids {
			out[i] = maillage.TimelineKey{ESCAPID: id, Page: maillage.PageArgs{First: 10}}
		}
		return out
	}
	one = cost(func() error { _, err := db.ESCAP.Timelines(petit, keys(ids[:1])); return err })
	two = cost(func() error { _, err := db.ESCAP.Timelines(petit, keys(ids)); return err })
	// One select, plus one audit insert when some entry was read.
	if one > 2 || two > 2 {
		t.Errorf("timelines: %d statements for one team, %d for two", one, two)
	}
	tl, err := db.ESCAP.Timelines(petit, keys(ids))
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, c := range tl {
		notes += len(c.Edges)
	}
	if notes != 1 { // the active Dupont team has its seeded note; Leroy's is forming
		t.Errorf("timelines hold %d entries, want 1", notes)
	}
}

func TestActivationWithoutConsentAndDepartures(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	leroy := seededID(t, db, `SELECT e.id FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Leroy'`)
	martin := pgtest.As(t, db, "10003456782") // the patient's GP, in the forming team
	nurse := seededID(t, db, `SELECT id FROM professionals WHERE rpps = '10003456783'`)
	if _, err := db.ESCAP.AddMember(martin, maillage.MemberInput{ESCAPID: leroy, ProfessionalID: nurse, Role: "NURSE"}); err != nil {
		t.Fatal(err)
	}
	// The consent is withdrawn (recorded elsewhere): the team cannot be
	// activated, and to its former circle it no longer exists.
	if _, err := db.ExecContext(ctx, `UPDATE escap_consents SET withdrawn_at = now() WHERE id = (SELECT consent_id FROM escaps WHERE id = $1)`, leroy); err != nil {
		t.Fatal(err)
	}
	events := count(t, db, `SELECT count(*) FROM events`)
	if _, err := db.ESCAP.ActivateESCAP(martin, leroy); maillage.ErrorCode(err) != maillage.ENOTFOUND {
		t.Errorf("activation without consent: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM escaps WHERE id = $1 AND status = 'FORMING'`, leroy); n != 1 {
		t.Error("refused activation changed the team")
	}
	if n := count(t, db, `SELECT count(*) FROM events`); n != events {
		t.Errorf("refused activation appended %d events", n-events)
	}
	// Restore it: with 3 members and the GP, activation passes.
	if _, err := db.ExecContext(ctx, `UPDATE escap_consents SET withdrawn_at = NULL WHERE id = (SELECT consent_id FROM escaps WHERE id = $1)`, leroy); err != nil {
		t.Fatal(err)
	}
	e, err := db.ESCAP.ActivateESCAP(martin, leroy)
	if err != nil || e.Status != maillage.ESCAPActive {
		t.Fatalf("activation: %v %+v", err, e)
	}
	// An active team keeps 3 members and its médecin traitant.
	var gpMember string
	if err := db.GetContext(ctx, &gpMember, `SELECT m.id FROM escap_members m JOIN professionals p ON p.id = m.professional_id WHERE m.escap_id = $1 AND p.rpps = '10003456782'`, leroy); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ESCAP.RemoveMember(martin, gpMember); maillage.ErrorCode(err) != maillage.ECONFLICT {
		t.Errorf("the GP leaving an active team of 3: %v", err)
	}
	// Renewal extends the term by a year.
	// Renewal opens near the end of the term, one term at a time.
	if _, err := db.ESCAP.RenewESCAP(martin, leroy); maillage.ErrorCode(err) != maillage.ECONFLICT {
		t.Errorf("renewal a year before the end: %v, want CONFLICT", err)
	}
	if err := db.GetContext(ctx, &e.ExpiresAt, `UPDATE escaps SET expires_at = now() + interval '10 days' WHERE id = $1 RETURNING expires_at`, leroy); err != nil {
		t.Fatal(err)
	}
	r, err := db.ESCAP.RenewESCAP(martin, leroy)
	if err != nil || r.Renewals != 1 || !r.ExpiresAt.Equal(e.ExpiresAt.In(maillage.Paris).AddDate(1, 0, 0)) {
		t.Errorf("renewal: %v %+v (was %v)", err, r, e.ExpiresAt)
	}
	// Exit with CONSENT_WITHDRAWN withdraws the consent too.
	x, err := db.ESCAP.ExitPatient(martin, leroy, maillage.ExitConsentWithdrawn, nil)
	if err != nil || x.Status != maillage.ESCAPClosed || x.ExitReason == nil || *x.ExitReason != maillage.ExitConsentWithdrawn {
		t.Fatalf("exit: %v %+v", err, x)
	}
	if n := count(t, db, `SELECT count(*) FROM escap_consents c JOIN escaps e ON e.consent_id = c.id WHERE e.id = $1 AND c.withdrawn_at IS NOT NULL`, leroy); n != 1 {
		t.Error("consent not withdrawn by a CONSENT_WITHDRAWN exit")
	}
}

// A team counts in its territory's figures: it belongs to a territory where
// the initiator practises, never to another CPTS's.
func TestESCAPTerritoryIsWhereTheInitiatorPractises(t *testing.T) {
	db := pgtest.Seeded(t)
	roux := pgtest.As(t, db, "10003456786") // GP at MSP Mont-Saint-Aignan, CPTS Rouen Nord
	patient := seededID(t, db, `SELECT id FROM patients WHERE family_name = 'Petitjean'`)
	consent, err := db.ESCAP.RecordConsent(roux, maillage.ConsentInput{PatientID: patient, Method: maillage.ConsentMethod("WRITTEN")})
	if err != nil {
		t.Fatal(err)
	}
	grid := make([]maillage.GridAnswer, 26)
	for i := range grid {
		grid[i] = maillage.GridAnswer{Item: i + 1, Met: i < 15}
	}
	in := maillage.ESCAPInput{
		Assessment:    maillage.ESCAPAssessment{PatientID: patient, Situation: maillage.SituationChronicPolypathology, Grid: grid},
		ConsentID:     consent.ID,
		TerritoryID:   seededID(t, db, `SELECT id FROM territories WHERE path = 'fr/84/69/cpts-lyon-8'`),
		InitiatorRole: "GP",
	}
	teams := count(t, db, `SELECT count(*) FROM escaps`)
	_, err = db.ESCAP.CreateESCAP(roux, in)
	wantCode(t, err, maillage.EINVALID, "input.territoryId")
	if n := count(t, db, `SELECT count(*) FROM escaps`); n != teams {
		t.Fatal("a refused team was written")
	}
	in.TerritoryID = seededID(t, db, `SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'`)
	if _, err := db.ESCAP.CreateESCAP(roux, in); err != nil {
		t.Fatalf("in the initiator's own territory: %v", err)
	}
}
