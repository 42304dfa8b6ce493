package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// Seeded logins (see postgres/seed.go).
const (
	gpMartin       = "10003456782" // GP, MSP Bois-Guillaume, médecin traitant of Leroy
	secretariat    = "10003456789" // ESS Dermatologie Rouen
	caseManager    = "10003456790"
	specialist     = "10003456787"
	otherSpecial   = "10003456788" // same ESS, not assigned
	dacCoordinator = "10003456793" // DAC Seine-Maritime: territory fr/28/76, above the ESS
	cptsCoord      = "10003456781" // CPTS Rouen Nord coordinator (and GP)
	unrelated      = "10003456784" // a physiotherapist of another MSP
	cardioSpec     = "10003456797" // ESS Cardiologie Lyon Est
)

func idOf(t *testing.T, db *postgres.DB, q string, args ...any) string {
	t.Helper()
	var id string
	if err := db.GetContext(context.Background(), &id, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

func structureID(t *testing.T, db *postgres.DB, name string) string {
	return idOf(t, db, `SELECT id FROM structures WHERE name = $1`, name)
}

func professionalID(t *testing.T, db *postgres.DB, rpps string) string {
	return idOf(t, db, `SELECT id FROM professionals WHERE rpps = $1`, rpps)
}

// snapshot is everything a refused transition must leave as it was.
func snapshot(t *testing.T, db *postgres.DB, id string) string {
	t.Helper()
	var s string
	const q = `SELECT row_to_json(r)::text || '|' ||
		(SELECT count(*) FROM referral_history WHERE referral_id = $1) || '|' ||
		(SELECT count(*) FROM events WHERE topic = 'referral:' || $1) || '|' ||
		(SELECT count(*) FROM audit_log WHERE object_id = $1 AND operation <> 'read') || '|' ||
		(SELECT count(*) FROM referrals)
		FROM referrals r WHERE id = $1`
	if err := db.GetContext(context.Background(), &s, q, id); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReferralServiceLifecycle(t *testing.T) {
	db := pgtest.Seeded(t)
	ess := structureID(t, db, "ESS Dermatologie Rouen Métropole")
	cardio := structureID(t, db, "ESS Cardiologie Lyon Est")
	msp := structureID(t, db, "MSP de Bois-Guillaume")
	gp := pgtest.As(t, db, gpMartin)

	patient, err := db.Patients.CreatePatient(gp, maillage.PatientInput{FamilyName: "Renaud", GivenNames: "Simone",
		BirthDate: time.Date(1955, 4, 3, 0, 0, 0, 0, time.UTC), Sex: maillage.SexFemale, GPID: ptr(professionalID(t, db, gpMartin))})
	if err != nil {
		t.Fatal(err)
	}
	in := maillage.ReferralInput{ClientKey: "lgc-42", ESSID: ess, PatientID: patient.ID, RequesterKind: maillage.RequesterTreatingGP,
		Reason: "naevus atypique", Urgency: maillage.UrgencyPriority, Modality: maillage.ModalityTeleexpertise,
		Attachments: []maillage.Attachment{{Reference: "dmp://photo/1", MediaType: "image/jpeg", Size: 123456}}}

	// Idempotent submission; a reused key with other content is CONFLICT.
	r1, err := db.Referrals.SubmitReferral(gp, in)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := db.Referrals.SubmitReferral(gp, in)
	if err != nil || r2.ID != r1.ID {
		t.Fatalf("second submission: %v, %v (first %s)", r2, err, r1.ID)
	}
	changed := in
	changed.Urgency = maillage.UrgencyUrgent
	if _, err := db.Referrals.SubmitReferral(gp, changed); maillage.ErrorCode(err) != maillage.ECONFLICT {
		t.Fatalf("same key, other content: %v, want CONFLICT", err)
	}
	var n int
	db.GetContext(context.Background(), &n, `SELECT count(*) FROM referrals WHERE client_key = 'lgc-42'`)
	if n != 1 || r1.State != maillage.ReferralSubmitted || len(r1.Attachments()) != 1 || r1.Attachments()[0].Size != 123456 {
		t.Fatalf("%d requests for the key, state %s, attachments %v", n, r1.State, r1.Attachments())
	}

	// Submission refusals.
	bad := in
	bad.ClientKey, bad.ESSID = "k-msp", msp
	if _, err := db.Referrals.SubmitReferral(gp, bad); maillage.ErrorCode(err) != maillage.EINVALID || !strings.Contains(err.Error(), "input.essId") {
		t.Errorf("submit to an MSP: %v", err)
	}
	bad = in
	bad.ClientKey, bad.PatientID = "k-dupont", idOf(t, db, `SELECT id FROM patients WHERE family_name = 'Bernard'`)
	if _, err := db.Referrals.SubmitReferral(gp, bad); maillage.ErrorCode(err) != maillage.ENOTFOUND {
		t.Errorf("submit for a patient without relation: %v, want NOT_FOUND", err)
	}
	bad = in
	bad.ClientKey, bad.RequesterKind = "k-cpts", maillage.RequesterCPTSCoordinator
	if _, err := db.Referrals.SubmitReferral(gp, bad); maillage.ErrorCode(err) != maillage.EINVALID || !strings.Contains(err.Error(), "input.requesterKind") {
		t.Errorf("a GP submitting as CPTS coordinator: %v", err)
	}
	// A DAC coordinator records a patient and submits on their behalf.
	dac := pgtest.As(t, db, dacCoordinator)
	forDAC, err := db.Patients.CreatePatient(dac, maillage.PatientInput{FamilyName: "Vasseur", GivenNames: "Louis",
		BirthDate: time.Date(1939, 8, 1, 0, 0, 0, 0, time.UTC), Sex: maillage.SexMale})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := db.Referrals.SubmitReferral(dac, maillage.ReferralInput{ClientKey: "dac-1", ESSID: ess, PatientID: forDAC.ID,
		RequesterKind: maillage.RequesterDACCoordinator, Reason: "escarre", Urgency: maillage.UrgencyUrgent,
		Modality: maillage.ModalityInPerson}); err != nil || r.RequesterKind != maillage.RequesterDACCoordinator {
		t.Errorf("a DAC coordinator's submission: %v %v", r, err)
	}
	if _, err := db.Referrals.SubmitReferral(pgtest.As(t, db, "admin"), in); maillage.ErrorCode(err) != maillage.EFORBIDDEN {
		t.Errorf("a staff account submitting: %v, want FORBIDDEN", err)
	}

	// Refused transitions: coded, and nothing changes.
	refuse := func(login string, tin maillage.ReferralTransitionInput, code, field string) {
		t.Helper()
		before := snapshot(t, db, r1.ID)
		_, err := db.Referrals.TransitionReferral(pgtest.As(t, db, login), r1.ID, tin)
		var e *maillage.Error
		if maillage.ErrorCode(err) != code || (field != "" && !(asErr(err, &e) && e.Field == field)) {
			t.Errorf("%s %s: %v, want %s %s", login, tin.Action, err, code, field)
		}
		if after := snapshot(t, db, r1.ID); after != before {
			t.Errorf("%s %s refused but changed:\n%s\n%s", login, tin.Action, before, after)
		}
	}
	act := func(login string, tin maillage.ReferralTransitionInput, want maillage.ReferralState) *maillage.Referral {
		t.Helper()
		r, err := db.Referrals.TransitionReferral(pgtest.As(t, db, login), r1.ID, tin)
		if err != nil || r.State != want {
			t.Fatalf("%s %s: %v, %v; want %s", login, tin.Action, r, err, want)
		}
		return r
	}
	refuse(gpMartin, maillage.ReferralTransitionInput{Action: maillage.ActionTriage}, maillage.EFORBIDDEN, "")
	refuse(unrelated, maillage.ReferralTransitionInput{Action: maillage.ActionTriage}, maillage.ENOTFOUND, "")
	refuse(dacCoordinator, maillage.ReferralTransitionInput{Action: maillage.ActionTriage}, maillage.ENOTFOUND, "")
	refuse(otherSpecial, maillage.ReferralTransitionInput{Action: maillage.ActionTriage}, maillage.EFORBIDDEN, "")
	refuse(caseManager, maillage.ReferralTransitionInput{Action: maillage.ActionAssign, SpecialistID: ptr(professionalID(t, db, specialist))}, maillage.ECONFLICT, "")
	act(secretariat, maillage.ReferralTransitionInput{Action: maillage.ActionTriage, Comment: ptr("complet")}, maillage.ReferralTriaged)
	refuse(secretariat, maillage.ReferralTransitionInput{Action: maillage.ActionTriage}, maillage.ECONFLICT, "")
	refuse(secretariat, maillage.ReferralTransitionInput{Action: maillage.ActionAssign, SpecialistID: ptr(professionalID(t, db, specialist))}, maillage.EFORBIDDEN, "")
	refuse(caseManager, maillage.ReferralTransitionInput{Action: maillage.ActionAssign}, maillage.EINVALID, "input.specialistId")
	refuse(caseManager, maillage.ReferralTransitionInput{Action: maillage.ActionAssign, SpecialistID: ptr(professionalID(t, db, cardioSpec))}, maillage.EINVALID, "input.specialistId")
	refuse(caseManager, maillage.ReferralTransitionInput{Action: maillage.ActionDecline}, maillage.EINVALID, "input.reason")
	act(caseManager, maillage.ReferralTransitionInput{Action: maillage.ActionAssign, SpecialistID: ptr(professionalID(t, db, specialist))}, maillage.ReferralAssigned)
	refuse(otherSpecial, maillage.ReferralTransitionInput{Action: maillage.ActionAnswer, Answer: ptr("avis")}, maillage.EFORBIDDEN, "")
	refuse(specialist, maillage.ReferralTransitionInput{Action: maillage.ActionAnswer}, maillage.EINVALID, "input.answer")
	refuse(specialist, maillage.ReferralTransitionInput{Action: maillage.ActionClose}, maillage.ECONFLICT, "")
	r := act(specialist, maillage.ReferralTransitionInput{Action: maillage.ActionAnswer, Answer: ptr("surveillance dermoscopique à 3 mois")}, maillage.ReferralAnswered)
	if r.AnswerModality == nil || *r.AnswerModality != maillage.ModalityTeleexpertise {
		t.Errorf("answer modality %v, want the modality wished", r.AnswerModality)
	}
	refuse(gpMartin, maillage.ReferralTransitionInput{Action: maillage.ActionWithdraw}, maillage.ECONFLICT, "")
	r = act(specialist, maillage.ReferralTransitionInput{Action: maillage.ActionFollowUp, FollowUp: maillage.ReferralFollowUp{
		Pathway: ptr(maillage.HealthPathway), ETPProgramme: ptr("ETP psoriasis CHU Rouen")}}, maillage.ReferralAnswered)
	if r.Pathway == nil || *r.Pathway != maillage.HealthPathway || r.ETPProgramme == nil {
		t.Errorf("follow-up not recorded: %v %v", r.Pathway, r.ETPProgramme)
	}
	act(caseManager, maillage.ReferralTransitionInput{Action: maillage.ActionClose}, maillage.ReferralClosed)

	// The history and the events: one per transition, with author and role,
	// the ESS in the payload, no patient identity.
	hist, err := db.Referrals.HistoryByReferralIDs(gp, []string{r1.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hist[0] {
		got = append(got, string(h.Action)+":"+string(h.AuthorRole))
	}
	want := "SUBMIT:REQUESTER TRIAGE:SECRETARIAT ASSIGN:CASE_MANAGER ANSWER:ASSIGNED_SPECIALIST FOLLOW_UP:ASSIGNED_SPECIALIST CLOSE:CASE_MANAGER"
	if strings.Join(got, " ") != want {
		t.Errorf("history %v, want %s", got, want)
	}
	var events []struct {
		Type    string `db:"type"`
		Domain  string `db:"domain"`
		Payload string `db:"payload"`
		ESS     string `db:"ess_id"`
	}
	db.SelectContext(context.Background(), &events, `SELECT type, domain, payload::text AS payload, COALESCE(ess_id, '') AS ess_id
		FROM events WHERE topic = $1 ORDER BY id`, "referral:"+r1.ID)
	if len(events) != 6 || events[0].Type != "REFERRAL_SUBMIT" || events[5].Type != "REFERRAL_CLOSE" {
		t.Fatalf("events: %+v", events)
	}
	for _, ev := range events {
		var p map[string]any
		json.Unmarshal([]byte(ev.Payload), &p)
		if p["essId"] != ess || ev.ESS != ess || !strings.HasSuffix(ev.Domain, "/@"+ess) || strings.Contains(ev.Payload, "Renaud") || strings.Contains(ev.Payload, patient.ID) {
			t.Errorf("event %s: domain %s payload %s", ev.Type, ev.Domain, ev.Payload)
		}
	}

	// Who sees the request and its patient.
	for _, c := range []struct {
		login            string
		request, patient bool
	}{
		{gpMartin, true, true}, {secretariat, true, true}, {caseManager, true, true}, {specialist, true, true},
		{otherSpecial, true, false}, {dacCoordinator, false, false}, {cptsCoord, false, false},
		{unrelated, false, false}, {cardioSpec, false, false}, {"admin", false, false}, {"ars-normandie", false, false},
	} {
		ctx := pgtest.As(t, db, c.login)
		rs, err := db.Referrals.ReferralsByIDs(ctx, []string{r1.ID})
		if err != nil || (rs[0] != nil) != c.request {
			t.Errorf("%s sees the request: %v (%v), want %v", c.login, rs[0] != nil, err, c.request)
		}
		ps, err := db.Patients.PatientsByIDs(ctx, []string{patient.ID})
		if err != nil || (ps[0] != nil) != c.patient {
			t.Errorf("%s sees the patient: %v (%v), want %v", c.login, ps[0] != nil, err, c.patient)
		}
		mine, _ := db.Referrals.MyReferrals(ctx, nil, maillage.PageArgs{})
		if c.login != gpMartin && containsReferral(mine, r1.ID) {
			t.Errorf("%s has the request among their own", c.login)
		}
	}

	// Redirect to another ESS: a new request there, the original ends.
	r3, err := db.Referrals.SubmitReferral(gp, maillage.ReferralInput{ClientKey: "lgc-43", ESSID: ess, PatientID: patient.ID,
		RequesterKind: maillage.RequesterGP, Reason: "douleur thoracique ?", Urgency: maillage.UrgencyRoutine, Modality: maillage.ModalityInPerson})
	if err != nil {
		t.Fatal(err)
	}
	red, err := db.Referrals.TransitionReferral(pgtest.As(t, db, caseManager), r3.ID, maillage.ReferralTransitionInput{Action: maillage.ActionRedirect,
		RedirectTarget: ptr(maillage.RedirectToESS), RedirectESSID: &cardio, Comment: ptr("relève de la cardiologie")})
	if err != nil || red.State != maillage.ReferralRedirected || red.RedirectedToID == nil {
		t.Fatalf("redirect: %v %v", red, err)
	}
	moved, err := db.Referrals.FindReferralByID(pgtest.As(t, db, cardioSpec), *red.RedirectedToID)
	if err != nil || moved.ESSID != cardio || moved.State != maillage.ReferralSubmitted || *moved.RedirectedFromID != r3.ID {
		t.Fatalf("the cardiology ESS's new request: %v %v", moved, err)
	}
	if _, err := db.Referrals.FindReferralByID(gp, moved.ID); err != nil {
		t.Errorf("the requester does not see the redirected request: %v", err)
	}
	if _, err := db.Referrals.FindReferralByID(pgtest.As(t, db, secretariat), moved.ID); maillage.ErrorCode(err) != maillage.ENOTFOUND {
		t.Errorf("the dermatology secretariat sees the cardiology request: %v", err)
	}

	// Every patient read leaves an audit record.
	var before, after int
	db.GetContext(context.Background(), &before, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND operation = 'read'`, patient.ID)
	db.Patients.PatientsByIDs(pgtest.As(t, db, secretariat), []string{patient.ID})
	db.GetContext(context.Background(), &after, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND operation = 'read'`, patient.ID)
	if after != before+1 {
		t.Errorf("a patient read by the secretariat left %d audit records", after-before)
	}
}

func containsReferral(c *maillage.ReferralConnection, id string) bool {
	if c == nil {
		return false
	}
	for _, e := range c.Edges {
		if e.Node.ID == id {
			return true
		}
	}
	return false
}

func asErr(err error, target **maillage.Error) bool {
	for err != nil {
		if e, ok := err.(*maillage.Error); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// The seeded requests are there, in various states, in the queue's order.
func TestReferralSeedAndQueue(t *testing.T) {
	db := pgtest.Seeded(t)
	ess := structureID(t, db, "ESS Dermatologie Rouen Métropole")
	ctx := pgtest.As(t, db, secretariat)
	var states []string
	var cursor string
	for {
		page, err := db.Referrals.ReferralQueue(ctx, ess, maillage.ReferralQueueFilter{}, maillage.PageArgs{First: 2, After: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Edges {
			states = append(states, string(e.Node.Urgency)+"/"+string(e.Node.State))
		}
		if !page.PageInfo.HasNextPage {
			break
		}
		cursor = *page.PageInfo.EndCursor
	}
	want := "URGENT/SUBMITTED PRIORITY/SCHEDULED PRIORITY/WITHDRAWN ROUTINE/CLOSED ROUTINE/ANSWERED ROUTINE/DECLINED ROUTINE/TRIAGED"
	if strings.Join(states, " ") != want {
		t.Errorf("queue %v\nwant %s", states, want)
	}
	open, err := db.Referrals.ReferralQueue(ctx, ess, maillage.ReferralQueueFilter{States: []maillage.ReferralState{maillage.ReferralSubmitted, maillage.ReferralTriaged},
		SubmittedBefore: ptr(time.Now().Add(-24 * time.Hour))}, maillage.PageArgs{})
	if err != nil || len(open.Edges) != 1 || open.Edges[0].Node.State != maillage.ReferralTriaged {
		t.Errorf("open requests older than a day: %v %v", open, err)
	}
	if _, err := db.Referrals.ReferralQueue(pgtest.As(t, db, unrelated), ess, maillage.ReferralQueueFilter{}, maillage.PageArgs{}); maillage.ErrorCode(err) != maillage.EFORBIDDEN {
		t.Errorf("an unrelated professional's queue: %v", err)
	}
	if _, err := db.Referrals.ReferralQueue(ctx, ess, maillage.ReferralQueueFilter{}, maillage.PageArgs{After: "garbage"}); maillage.ErrorCode(err) != maillage.EINVALID {
		t.Errorf("bad cursor: %v", err)
	}
}

// Concurrent submissions with one client key make one request, and every
// caller gets it back.
func TestReferralSubmitConcurrentSameKey(t *testing.T) {
	db := pgtest.Seeded(t)
	gp := pgtest.As(t, db, gpMartin)
	in := maillage.ReferralInput{ClientKey: "race-1", ESSID: structureID(t, db, "ESS Dermatologie Rouen Métropole"),
		PatientID: idOf(t, db, `SELECT id FROM patients WHERE family_name = 'Leroy'`), RequesterKind: maillage.RequesterTreatingGP,
		Reason: "eczéma", Urgency: maillage.UrgencyRoutine, Modality: maillage.ModalityInPerson}
	const n = 8
	ids := make(chan string, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			r, err := db.Referrals.SubmitReferral(gp, in)
			if err != nil {
				errs <- err
				return
			}
			ids <- r.ID
		}()
	}
	seen := map[string]bool{}
	for range n {
		select {
		case id := <-ids:
			seen[id] = true
		case err := <-errs:
			t.Fatalf("concurrent submission: %v", err)
		}
	}
	var count, history int
	db.GetContext(context.Background(), &count, `SELECT count(*) FROM referrals WHERE client_key = 'race-1'`)
	db.GetContext(context.Background(), &history, `SELECT count(*) FROM referral_history h JOIN referrals r ON r.id = h.referral_id WHERE r.client_key = 'race-1'`)
	if len(seen) != 1 || count != 1 || history != 1 {
		t.Fatalf("%d ids, %d requests, %d history rows for one key", len(seen), count, history)
	}
}
