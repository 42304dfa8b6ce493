package server_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres"
)

// Seeded logins (see postgres/seed.go).
const (
	gpMartin      = "10003456782" // GP, MSP Bois-Guillaume
	gpGarnier     = "10003456804" // GP, MSP Bois-Guillaume
	gpLefebvre    = "10003456781" // GP, MSP Bois-Guillaume, CPTS Rouen Nord coordinator
	secretariat   = "10003456789" // ESS Dermatologie Rouen
	caseManager   = "10003456790"
	specFournier  = "10003456787"
	specGirard    = "10003456788"
	dacCoord      = "10003456793" // DAC Seine-Maritime (above the ESS)
	unrelatedKine = "10003456784" // a physiotherapist of another MSP
)

const createPatient = `mutation($in: CreatePatientInput!) { createPatient(input: $in) { id } }`

const submit = `mutation($in: SubmitReferralInput!) { submitReferral(input: $in) { id state urgency modality
	attachments { reference mediaType size } requester { rpps } ess { id } patient { familyName } } }`

const transition = `mutation($in: TransitionReferralInput!) { transitionReferral(input: $in) { id state
	specialist { rpps } answer answerModality pathway etpProgramme } }`

const queue = `query($ess: ID!, $f: ReferralQueueFilter, $first: Int, $after: String) {
	referralQueue(essId: $ess, filter: $f, first: $first, after: $after) {
		edges { node { id urgency state ess { id } requester { rpps } specialist { rpps } patient { familyName }
			history { action authorRole author { rpps } } } }
		pageInfo { hasNextPage endCursor } } }`

const stats = `query($ess: ID!, $from: Time!, $to: Time!, $period: StatsPeriod!) {
	referralStats(essId: $ess, from: $from, to: $to, period: $period) {
		total answeredSameDay sameDayShare
		toTriage { count medianSeconds p90Seconds } toAnswer { count medianSeconds p90Seconds }
		periods { start total byState { key count } byRequesterKind { key count } byModality { key count } } } }`

// TestReferralEndToEnd drives a request from submission to answer through
// GraphQL over real HTTP, then checks the queue, the dashboard figures and
// that an unrelated professional sees nothing through any door.
func TestReferralEndToEnd(t *testing.T) {
	h := seededHub(t)
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	pro := func(rpps string) string { return h.id(`SELECT id FROM professionals WHERE rpps = $1`, rpps) }
	newPatient := func(login, family string) string {
		d := h.ok(login, createPatient, map[string]any{"in": map[string]any{"familyName": family, "givenNames": "Test",
			"birthDate": "1950-01-01", "sex": "F", "gpId": pro(login)}})
		return jpath(d, "createPatient.id").(string)
	}
	patA, patB := newPatient(gpMartin, "Aubert"), newPatient(gpGarnier, "Brunet")
	patC := h.id(`SELECT id FROM patients WHERE family_name = 'Dupont'`)

	// A GP submits, twice with the same key: one request.
	inA := map[string]any{"clientKey": "lgc-A-1", "essId": ess, "patientId": patA, "requesterKind": "TREATING_GP",
		"reason": "plaques érythémato-squameuses", "urgency": "ROUTINE", "modality": "TELEEXPERTISE",
		"attachments": []any{map[string]any{"reference": "dmp://photo/77", "mediaType": "image/jpeg", "size": 524288}}}
	a1 := h.ok(gpMartin, submit, map[string]any{"in": inA})
	a2 := h.ok(gpMartin, submit, map[string]any{"in": inA})
	refA := jpath(a1, "submitReferral.id").(string)
	if jpath(a2, "submitReferral.id") != refA || jpath(a1, "submitReferral.state") != "SUBMITTED" ||
		jpath(a1, "submitReferral.patient.familyName") != "Aubert" || jpath(a1, "submitReferral.requester.rpps") != gpMartin ||
		jpath(a1, "submitReferral.attachments.0.size") != 524288.0 {
		t.Fatalf("submissions: %v / %v", a1, a2)
	}
	var n int
	h.db.GetContext(context.Background(), &n, `SELECT count(*) FROM referrals WHERE client_key = 'lgc-A-1'`)
	if n != 1 {
		t.Fatalf("%d requests for one client key", n)
	}
	inA2 := map[string]any{}
	for k, v := range inA {
		inA2[k] = v
	}
	inA2["urgency"] = "URGENT"
	h.fails(gpMartin, submit, map[string]any{"in": inA2}, "CONFLICT", "input.clientKey")
	h.fails(gpMartin, submit, map[string]any{"in": map[string]any{"clientKey": "x", "essId": ess, "patientId": patA,
		"requesterKind": "GP", "reason": " ", "urgency": "ROUTINE", "modality": "IN_PERSON"}}, "BAD_USER_INPUT", "input.reason")

	// Two more requests for the figures.
	refB := jpath(h.ok(gpGarnier, submit, map[string]any{"in": map[string]any{"clientKey": "b-1", "essId": ess, "patientId": patB,
		"requesterKind": "GP", "reason": "dermatose bulleuse", "urgency": "URGENT", "modality": "IN_PERSON"}}), "submitReferral.id").(string)
	refC := jpath(h.ok(gpLefebvre, submit, map[string]any{"in": map[string]any{"clientKey": "c-1", "essId": ess, "patientId": patC,
		"requesterKind": "TREATING_GP", "reason": "lésion du cuir chevelu", "urgency": "PRIORITY", "modality": "TELECONSULTATION"}}), "submitReferral.id").(string)

	tr := func(login string, in map[string]any) map[string]any {
		t.Helper()
		return h.ok(login, transition, map[string]any{"in": in})
	}
	// The secretariat triages, the case manager assigns, the specialist
	// answers by téléexpertise and opens a health pathway.
	tr(secretariat, map[string]any{"id": refA, "action": "TRIAGE", "comment": "dossier complet"})
	h.fails(secretariat, transition, map[string]any{"in": map[string]any{"id": refA, "action": "TRIAGE"}}, "CONFLICT", "")
	h.fails(secretariat, transition, map[string]any{"in": map[string]any{"id": refA, "action": "ASSIGN", "specialistId": pro(specFournier)}}, "FORBIDDEN", "")
	h.fails(caseManager, transition, map[string]any{"in": map[string]any{"id": refA, "action": "ASSIGN"}}, "BAD_USER_INPUT", "input.specialistId")
	d := tr(caseManager, map[string]any{"id": refA, "action": "ASSIGN", "specialistId": pro(specFournier)})
	if jpath(d, "transitionReferral.specialist.rpps") != specFournier {
		t.Fatalf("assign: %v", d)
	}
	h.fails(specGirard, transition, map[string]any{"in": map[string]any{"id": refA, "action": "ANSWER", "answer": "x"}}, "FORBIDDEN", "")
	d = tr(specFournier, map[string]any{"id": refA, "action": "ANSWER", "answer": "psoriasis : traitement local, revoir à 3 mois",
		"answerModality": "TELEEXPERTISE"})
	if jpath(d, "transitionReferral.state") != "ANSWERED" || jpath(d, "transitionReferral.answerModality") != "TELEEXPERTISE" {
		t.Fatalf("answer: %v", d)
	}
	d = tr(specFournier, map[string]any{"id": refA, "action": "FOLLOW_UP", "followUp": map[string]any{"pathway": "HEALTH_PATHWAY", "etpProgramme": "ETP psoriasis"}})
	if jpath(d, "transitionReferral.state") != "ANSWERED" || jpath(d, "transitionReferral.pathway") != "HEALTH_PATHWAY" {
		t.Fatalf("follow-up: %v", d)
	}
	tr(caseManager, map[string]any{"id": refB, "action": "TRIAGE"})
	tr(secretariat, map[string]any{"id": refC, "action": "TRIAGE"})
	tr(caseManager, map[string]any{"id": refC, "action": "ASSIGN", "specialistId": pro(specGirard)})
	tr(specGirard, map[string]any{"id": refC, "action": "ANSWER", "answer": "kératose séborrhéique, rassurer"})

	// Time, controlled: submissions and transitions in March 2026, Paris.
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(day, hour, min int) time.Time { return time.Date(2026, 3, day, hour, min, 0, 0, paris) }
	setTimes := func(id string, submitted time.Time, actions map[string]time.Time) {
		h.exec(`UPDATE referrals SET submitted_at = $2 WHERE id = $1`, id, submitted)
		h.exec(`UPDATE referral_history SET created_at = $2 WHERE referral_id = $1 AND action = 'SUBMIT'`, id, submitted)
		for action, t := range actions {
			h.exec(`UPDATE referral_history SET created_at = $3 WHERE referral_id = $1 AND action = $2`, id, action, t)
		}
	}
	// A: triaged after 30 min, answered after 6 h, the same day.
	setTimes(refA, at(10, 9, 0), map[string]time.Time{"TRIAGE": at(10, 9, 30), "ASSIGN": at(10, 10, 0), "ANSWER": at(10, 15, 0), "FOLLOW_UP": at(10, 15, 5)})
	// B: triaged after 2 h, not answered.
	setTimes(refB, at(11, 10, 0), map[string]time.Time{"TRIAGE": at(11, 12, 0)})
	// C: submitted at 00:30 Paris (the day before in UTC), triaged after 3 h,
	// answered after 9 h 30 the same Paris day (another day in UTC).
	setTimes(refC, at(12, 0, 30), map[string]time.Time{"TRIAGE": at(12, 3, 30), "ASSIGN": at(12, 4, 0), "ANSWER": at(12, 10, 0)})

	// The queue: most urgent first, then oldest; keyset pages.
	march := map[string]any{"submittedAfter": at(1, 0, 0).Format(time.RFC3339), "submittedBefore": at(31, 0, 0).Format(time.RFC3339)}
	p1 := h.ok(secretariat, queue, map[string]any{"ess": ess, "f": march, "first": 2})
	p2 := h.ok(secretariat, queue, map[string]any{"ess": ess, "f": march, "first": 2, "after": jpath(p1, "referralQueue.pageInfo.endCursor")})
	order := []any{jpath(p1, "referralQueue.edges.0.node.id"), jpath(p1, "referralQueue.edges.1.node.id"), jpath(p2, "referralQueue.edges.0.node.id")}
	if !reflect.DeepEqual(order, []any{refB, refC, refA}) || jpath(p1, "referralQueue.pageInfo.hasNextPage") != true ||
		jpath(p2, "referralQueue.pageInfo.hasNextPage") != false || jpath(p2, "referralQueue.edges.1") != nil {
		t.Fatalf("queue order %v, want B C A", order)
	}
	// A was answered in March, longer ago than the handled period: its
	// patient is no longer the ESS's to see, even for who handled it.
	if jpath(p2, "referralQueue.edges.0.node.patient") != nil ||
		jpath(p2, "referralQueue.edges.0.node.history.3.action") != "ANSWER" ||
		jpath(p2, "referralQueue.edges.0.node.history.3.authorRole") != "ASSIGNED_SPECIALIST" ||
		jpath(p2, "referralQueue.edges.0.node.history.3.author.rpps") != specFournier {
		t.Fatalf("queue node: %v", jpath(p2, "referralQueue.edges.0.node"))
	}
	triaged := h.ok(caseManager, queue, map[string]any{"ess": ess, "f": map[string]any{"states": []string{"TRIAGED"},
		"submittedBefore": at(31, 0, 0).Format(time.RFC3339)}})
	if jpath(triaged, "referralQueue.edges.0.node.id") != refB || jpath(triaged, "referralQueue.edges.1") != nil {
		t.Fatalf("triaged requests: %v", triaged)
	}
	// A specialist sees the queue, and the patients of what is assigned to them only.
	mine := h.ok(specFournier, queue, map[string]any{"ess": ess, "f": map[string]any{"assignedToMe": true,
		"submittedAfter": march["submittedAfter"], "submittedBefore": march["submittedBefore"]}})
	if jpath(mine, "referralQueue.edges.0.node.id") != refA || jpath(mine, "referralQueue.edges.1") != nil {
		t.Fatalf("assigned to Dr Fournier: %v", mine)
	}
	girard := h.ok(specGirard, queue, map[string]any{"ess": ess, "f": march})
	if jpath(girard, "referralQueue.edges.2.node.id") != refA || jpath(girard, "referralQueue.edges.2.node.patient") != nil ||
		jpath(girard, "referralQueue.edges.1.node.patient") != nil { // C, his, answered in March: past the handled period
		t.Fatalf("Dr Girard's view of the queue: %v", girard)
	}
	// The requester's own requests, newest first: two seeded this month, then A.
	own := h.ok(gpMartin, `{ myReferrals { edges { node { id requester { rpps } } } } }`, nil)
	if edges := jpath(own, "myReferrals.edges").([]any); len(edges) != 3 || jpath(edges[2], "node.id") != refA ||
		jpath(edges[0], "node.requester.rpps") != gpMartin || jpath(edges[1], "node.requester.rpps") != gpMartin {
		t.Fatalf("Dr Martin's requests: %v", own)
	}

	// The dashboard: exactly the figures of A, B and C.
	vars := map[string]any{"ess": ess, "from": at(1, 0, 0).Format(time.RFC3339), "to": time.Date(2026, 4, 1, 0, 0, 0, 0, paris).Format(time.RFC3339), "period": "MONTH"}
	got := h.ok(caseManager, stats, vars)["referralStats"]
	want := map[string]any{
		"total": 3.0, "answeredSameDay": 2.0, "sameDayShare": 2.0 / 3.0,
		// triage delays 1800, 7200, 10800 s; answer delays 21600, 34200 s.
		"toTriage": map[string]any{"count": 3.0, "medianSeconds": 7200.0, "p90Seconds": 10080.0},
		"toAnswer": map[string]any{"count": 2.0, "medianSeconds": 27900.0, "p90Seconds": 32940.0},
		"periods": []any{map[string]any{
			"start": "2026-02-28T23:00:00Z", "total": 3.0,
			"byState":         []any{kv("ANSWERED", 2), kv("TRIAGED", 1)},
			"byRequesterKind": []any{kv("GP", 1), kv("TREATING_GP", 2)},
			"byModality":      []any{kv("IN_PERSON", 1), kv("TELECONSULTATION", 1), kv("TELEEXPERTISE", 1)},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		t.Fatalf("dashboard:\n%s", g)
	}
	// By Paris day: C falls on the 12th although it was the 11th in UTC.
	// Days are for the ESS's staff only: outside it, whole calendar periods.
	vars["period"] = "DAY"
	h.fails(dacCoord, stats, vars, "BAD_USER_INPUT", "period")
	days := h.ok(caseManager, stats, vars)
	var starts []any
	for _, p := range jpath(days, "referralStats.periods").([]any) {
		starts = append(starts, jpath(p, "start"))
	}
	if !reflect.DeepEqual(starts, []any{"2026-03-09T23:00:00Z", "2026-03-10T23:00:00Z", "2026-03-11T23:00:00Z"}) {
		t.Fatalf("days: %v", starts)
	}
	vars["period"] = "MONTH"
	h.fails(unrelatedKine, stats, vars, "FORBIDDEN", "")
	h.fails(gpLefebvre, stats, vars, "FORBIDDEN", "") // a CPTS coordinator of a territory beside the ESS's

	// A list costs the same statements whatever its size: each nested field
	// (ess, requester, specialist, patient, history → author) is one batch
	// for the whole page, sent when the page is known. One run of each size.
	cost := func(first int) int64 {
		before := postgres.Statements()
		d := h.ok(secretariat, queue, map[string]any{"ess": ess, "first": first})
		n := postgres.Statements() - before
		if edges, _ := jpath(d, "referralQueue.edges").([]any); len(edges) == 0 || len(edges) > first {
			t.Fatalf("a queue page of %d: %d requests", first, len(edges))
		}
		t.Logf("a queue page of %d: %d statements", first, n)
		return n
	}
	if c1, c10 := cost(1), cost(10); c10 != c1 {
		t.Errorf("a queue page of 1 costs %d statements, of 10 %d: want the same", c1, c10)
	}

	// The requester finds the request by node(id) too.
	if r := h.ok(gpMartin, `query($id: ID!) { node(id: $id) { id ... on Referral { state pathway } } }`, map[string]any{"id": refA}); jpath(r, "node.id") != refA || jpath(r, "node.pathway") != "HEALTH_PATHWAY" {
		t.Fatalf("node(id) for the requester: %v", r)
	}

	// An unrelated professional sees nothing, through any door.
	for _, id := range []string{refA, refB, refC} {
		r := h.ok(unrelatedKine, `query($id: ID!) { referral(id: $id) { id } node(id: $id) { id } }`, map[string]any{"id": id})
		if r["referral"] != nil || r["node"] != nil {
			t.Fatalf("unrelated sees %s: %v", id, r)
		}
	}
	for _, id := range []string{patA, patB} {
		r := h.ok(unrelatedKine, `query($id: ID!) { patient(id: $id) { id } node(id: $id) { id } }`, map[string]any{"id": id})
		if r["patient"] != nil || r["node"] != nil {
			t.Fatalf("unrelated sees patient %s: %v", id, r)
		}
	}
	if r := h.ok(unrelatedKine, `{ myReferrals { edges { node { id patient { id } } } } patients { edges { node { id } } } }`, nil); len(jpath(r, "myReferrals.edges").([]any)) != 0 || len(jpath(r, "patients.edges").([]any)) != 0 {
		t.Fatalf("unrelated lists: %v", r)
	}
	h.fails(unrelatedKine, queue, map[string]any{"ess": ess}, "FORBIDDEN", "")
	h.fails(unrelatedKine, transition, map[string]any{"in": map[string]any{"id": refB, "action": "WITHDRAW"}}, "NOT_FOUND", "")
	// Nested: the requester of C sees C, but not A through A's links, and a
	// coordinator above the ESS sees figures, never requests.
	for _, login := range []string{dacCoord, gpLefebvre} {
		r := h.ok(login, `query($id: ID!) { referral(id: $id) { id } node(id: $id) { id } }`, map[string]any{"id": refA})
		if r["referral"] != nil || r["node"] != nil {
			t.Fatalf("%s sees A: %v", login, r)
		}
	}
	// Anonymous: nothing either.
	if r := h.as("", `query($id: ID!) { referral(id: $id) { id } node(id: $id) { id } }`, map[string]any{"id": refA}); r.Data["referral"] != nil || r.Data["node"] != nil {
		t.Fatalf("anonymous sees A: %v", r)
	}
}

func kv(key string, n int) map[string]any { return map[string]any{"key": key, "count": float64(n)} }
