package server_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
)

// state is what a refused operation must leave unchanged.
type state struct {
	Events, Escaps, Members, Entries, Consents int
	Status                                     string
}

func (h *hub) state(escapID string) state {
	h.t.Helper()
	var s state
	err := h.db.GetContext(context.Background(), &s.Events, `SELECT count(*) FROM events`)
	if err == nil {
		err = h.db.GetContext(context.Background(), &s.Escaps, `SELECT count(*) FROM escaps`)
	}
	if err == nil {
		err = h.db.GetContext(context.Background(), &s.Members, `SELECT count(*) FROM escap_members WHERE left_at IS NULL`)
	}
	if err == nil {
		err = h.db.GetContext(context.Background(), &s.Entries, `SELECT count(*) FROM escap_entries`)
	}
	if err == nil {
		err = h.db.GetContext(context.Background(), &s.Consents, `SELECT count(*) FROM escap_consents WHERE withdrawn_at IS NULL`)
	}
	if err == nil && escapID != "" {
		err = h.db.GetContext(context.Background(), &s.Status, `SELECT status FROM escaps WHERE id = $1`, escapID)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// refused runs an operation that must fail with code and change nothing.
func (h *hub) refused(login, code, escapID, query string, vars map[string]any) {
	h.t.Helper()
	before := h.state(escapID)
	r := h.as(login, query, vars)
	if r.code() != code {
		h.t.Errorf("%s: %s: code %q (%+v), want %s", login, opName(query), r.code(), r.Errors, code)
	}
	if after := h.state(escapID); after != before {
		h.t.Errorf("%s: refused %s changed the database: %+v -> %+v", login, opName(query), before, after)
	}
}

func gridVars(met int) []map[string]any {
	g := make([]map[string]any, 26)
	for i := range g {
		g[i] = map[string]any{"item": i + 1, "met": i < met}
	}
	return g
}

const statsQuery = `query($t: ID!, $from: String!, $to: String!) { escapStats(territoryId: $t, from: $from, to: $to) {
	entries { period situation count } exits { period situation reason count }
	activeTeams { territory { path } count } teamsPerProfessional { professional { rpps } year count } } }`

// figures sums the dashboard counts that the test moves.
type figures struct{ entries, exits, active int }

func (h *hub) figures(login, territory, situation string) figures {
	h.t.Helper()
	now := time.Now().In(maillage.Paris)
	month := now.Format("2006-01")
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, maillage.Paris)
	d := h.ok(login, statsQuery, map[string]any{"t": territory, "from": from.Format(time.DateOnly), "to": from.AddDate(0, 1, 0).Format(time.DateOnly)})
	var f figures
	for _, e := range jpath(d, "escapStats.entries").([]any) {
		if jpath(e, "period") == month && jpath(e, "situation") == situation {
			f.entries += int(jpath(e, "count").(float64))
		}
	}
	for _, e := range jpath(d, "escapStats.exits").([]any) {
		if jpath(e, "period") == month && jpath(e, "situation") == situation && jpath(e, "reason") == "RECOVERY" {
			f.exits += int(jpath(e, "count").(float64))
		}
	}
	for _, e := range jpath(d, "escapStats.activeTeams").([]any) {
		if jpath(e, "territory.path") == "fr/28/76/cpts-rouen-nord" {
			f.active += int(jpath(e, "count").(float64))
		}
	}
	return f
}

// Logins of the seeded accounts in the story.
const (
	durand   = "10003456783" // nurse, MSP Bois-Guillaume: records the patient, starts the team
	moreau   = "10003456784" // physiotherapist
	petit    = "10003456785" // pharmacist
	roux     = "10003456786" // GP, the patient's médecin traitant
	martin   = "10003456782" // GP outside the team
	lefebvre = "10003456781" // GP and CPTS Rouen Nord coordinator, outside the team
)

func TestESCAPLifeCycleOverGraphQL(t *testing.T) {
	h := seededHub(t)
	pro := func(rpps string) string { return h.id(`SELECT id FROM professionals WHERE rpps = $1`, rpps) }
	territory := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'`)
	normandie := h.id(`SELECT id FROM territories WHERE path = 'fr/28'`)
	const situation = "CHRONIC_POLYPATHOLOGY"
	// This story checks what the figures count, one team at a time: no
	// count is small under a threshold of 1 (disclosure_test.go checks the
	// suppression).
	h.exec(`UPDATE disclosure_settings SET small_count = 1`)
	base := h.figures(lefebvre, territory, situation)
	baseARS := h.figures("ars-normandie", normandie, situation)

	// The nurse records the patient, with Dr Roux as médecin traitant.
	d := h.ok(durand, `mutation($gp: ID) { createPatient(input: {familyName: "Lemoine", givenNames: "Yvette",
		birthDate: "1950-04-02", sex: F, gpId: $gp}) { id } }`, map[string]any{"gp": pro(roux)})
	patient := jpath(d, "createPatient.id").(string)

	// Eligibility: a query that explains and changes nothing.
	const check = `query($in: ESCAPAssessmentInput!) { checkESCAPEligibility(input: $in) {
		eligible score gridSize threshold reasons { code field message } } }`
	before := h.state("")
	d = h.ok(durand, check, map[string]any{"in": map[string]any{"patientId": patient, "situation": situation, "grid": gridVars(12)}})
	if jpath(d, "checkESCAPEligibility.eligible") != false || jpath(d, "checkESCAPEligibility.reasons.0.code") != "GRID_SCORE_TOO_LOW" ||
		jpath(d, "checkESCAPEligibility.score") != 12.0 {
		t.Fatalf("12/26: %v", d)
	}
	d = h.ok(durand, check, map[string]any{"in": map[string]any{"patientId": patient, "situation": situation, "grid": gridVars(13)}})
	if jpath(d, "checkESCAPEligibility.eligible") != true || len(jpath(d, "checkESCAPEligibility.reasons").([]any)) != 0 {
		t.Fatalf("13/26: %v", d)
	}
	if after := h.state(""); after != before {
		t.Fatalf("checkESCAPEligibility changed the database: %+v -> %+v", before, after)
	}

	const create = `mutation($in: CreateESCAPInput!) { createESCAP(input: $in) { id status members { id role } } }`
	createVars := func(consent any, met int) map[string]any {
		return map[string]any{"in": map[string]any{
			"assessment": map[string]any{"patientId": patient, "situation": situation, "grid": gridVars(met)},
			"consentId":  consent, "territoryId": territory, "initiatorRole": "NURSE"}}
	}
	// Without consent: refused, nothing written.
	h.refused(durand, maillage.ECONFLICT, "", create, createVars(nil, 13))

	d = h.ok(durand, `mutation($p: ID!) { recordESCAPConsent(input: {patientId: $p, method: ORAL}) {
		id method recordedBy { rpps } withdrawnAt } }`, map[string]any{"p": patient})
	consent := jpath(d, "recordESCAPConsent.id").(string)
	if jpath(d, "recordESCAPConsent.method") != "ORAL" || jpath(d, "recordESCAPConsent.recordedBy.rpps") != durand {
		t.Fatalf("consent: %v", d)
	}
	// Not eligible (12/26): refused, the reason named with its field.
	h.refused(durand, maillage.EINVALID, "", create, createVars(consent, 12))
	if r := h.as(durand, create, createVars(consent, 12)); r.Errors[0].Extensions["field"] != "input.assessment.grid" ||
		!strings.Contains(r.Errors[0].Message, "GRID_SCORE_TOO_LOW") {
		t.Errorf("not eligible: %+v", r.Errors)
	}
	// An outsider cannot start a team for a patient they have no relation with.
	h.refused(martin, maillage.ENOTFOUND, "", create, createVars(consent, 13))

	d = h.ok(durand, create, createVars(consent, 13))
	escap := jpath(d, "createESCAP.id").(string)
	if jpath(d, "createESCAP.status") != "FORMING" || len(jpath(d, "createESCAP.members").([]any)) != 1 {
		t.Fatalf("created: %v", d)
	}
	// A second open team for the same patient is refused.
	h.refused(durand, maillage.ECONFLICT, escap, create, createVars(consent, 13))

	const add = `mutation($e: ID!, $p: ID!, $r: String!) { addESCAPMember(input: {escapId: $e, professionalId: $p, role: $r}) { id mssante } }`
	const activate = `mutation($id: ID!) { activateESCAP(id: $id) { id status activatedAt expiresAt } }`
	h.ok(durand, add, map[string]any{"e": escap, "p": pro(moreau), "r": "PHYSIOTHERAPIST"})
	h.refused(durand, maillage.ECONFLICT, escap, activate, map[string]any{"id": escap}) // 2 members
	h.ok(moreau, add, map[string]any{"e": escap, "p": pro(petit), "r": "PHARMACIST"})
	h.refused(durand, maillage.ECONFLICT, escap, activate, map[string]any{"id": escap})                               // 3, no médecin traitant
	h.refused(durand, maillage.ECONFLICT, escap, add, map[string]any{"e": escap, "p": pro(petit), "r": "PHARMACIST"}) // twice
	h.refused(durand, maillage.EINVALID, escap, add, map[string]any{"e": escap, "p": "pro_nobody", "r": "GP"})
	d = h.ok(petit, add, map[string]any{"e": escap, "p": pro(roux), "r": "GP"})
	if m, _ := jpath(d, "addESCAPMember.mssante").(string); !strings.HasSuffix(m, ".mssante.fr") {
		t.Errorf("member's MSSanté address: %v", d)
	}
	d = h.ok(roux, activate, map[string]any{"id": escap})
	if jpath(d, "activateESCAP.status") != "ACTIVE" {
		t.Fatalf("activate: %v", d)
	}
	activated, _ := time.Parse(time.RFC3339, jpath(d, "activateESCAP.activatedAt").(string))
	expires, _ := time.Parse(time.RFC3339, jpath(d, "activateESCAP.expiresAt").(string))
	if !expires.Equal(activated.In(maillage.Paris).AddDate(1, 0, 0)) {
		t.Errorf("term: activated %v, expires %v", activated, expires)
	}
	h.refused(roux, maillage.ECONFLICT, escap, activate, map[string]any{"id": escap}) // already active

	// The dashboard moves by exactly one entry and one active team.
	if f := h.figures(lefebvre, territory, situation); f != (figures{base.entries + 1, base.exits, base.active + 1}) {
		t.Errorf("figures after activation: %+v, base %+v", f, base)
	}
	if f := h.figures("ars-normandie", normandie, situation); f != (figures{baseARS.entries + 1, baseARS.exits, baseARS.active + 1}) {
		t.Errorf("ARS figures after activation: %+v, base %+v", f, baseARS)
	}

	// Teams per professional (active teams only: Leroy's is still forming).
	now := time.Now().In(maillage.Paris)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, maillage.Paris)
	d = h.ok(lefebvre, statsQuery, map[string]any{"t": territory, "from": month.Format(time.DateOnly), "to": month.AddDate(0, 1, 0).Format(time.DateOnly)})
	perPro := map[string]float64{}
	for _, c := range jpath(d, "escapStats.teamsPerProfessional").([]any) {
		if jpath(c, "year") != float64(now.Year()) {
			t.Errorf("teams per professional for another year than the month's: %v", c)
		}
		perPro[jpath(c, "professional.rpps").(string)] = jpath(c, "count").(float64)
	}
	if perPro[roux] != 1 || perPro[petit] != 2 || perPro[martin] != 0 {
		t.Errorf("teams per professional = %v", perPro)
	}

	// The timeline.
	const entry = `mutation($in: AddESCAPEntryInput!) { addESCAPEntry(input: $in) { id kind taskStatus author { rpps } assignee { rpps } dueDate } }`
	d = h.ok(moreau, entry, map[string]any{"in": map[string]any{"escapId": escap, "kind": "NOTE", "body": "Bilan kiné : marche avec déambulateur."}})
	note := jpath(d, "addESCAPEntry.id").(string)
	d = h.ok(roux, entry, map[string]any{"in": map[string]any{"escapId": escap, "kind": "TASK", "body": "Passage IDE pour pansement",
		"assigneeId": pro(durand), "dueDate": "2026-12-01"}})
	task := jpath(d, "addESCAPEntry.id").(string)
	if jpath(d, "addESCAPEntry.taskStatus") != "OPEN" || jpath(d, "addESCAPEntry.assignee.rpps") != durand || jpath(d, "addESCAPEntry.dueDate") != "2026-12-01" {
		t.Fatalf("task: %v", d)
	}
	h.refused(roux, maillage.EINVALID, escap, entry, map[string]any{"in": map[string]any{"escapId": escap, "kind": "TASK", "body": "x", "assigneeId": pro(martin)}})
	d = h.ok(durand, `mutation($id: ID!) { updateESCAPTask(id: $id, status: DONE) { taskStatus } }`, map[string]any{"id": task})
	if jpath(d, "updateESCAPTask.taskStatus") != "DONE" {
		t.Fatalf("task update: %v", d)
	}
	const read = `query($id: ID!) { escap(id: $id) { id status patient { familyName } consent { method }
		members { role leftAt mssante professional { rpps } }
		timeline(first: 10) { edges { node { kind body taskStatus author { rpps } } } } } }`
	d = h.ok(petit, read, map[string]any{"id": escap})
	members := jpath(d, "escap.members").([]any)
	var rpps []string
	for _, m := range members {
		rpps = append(rpps, jpath(m, "professional.rpps").(string))
		if s, _ := jpath(m, "mssante").(string); !strings.Contains(s, "@") {
			t.Errorf("member without MSSanté address: %v", m)
		}
	}
	if !slices.Equal(rpps, []string{durand, moreau, petit, roux}) {
		t.Errorf("members = %v", rpps)
	}
	tl := jpath(d, "escap.timeline.edges").([]any)
	if len(tl) != 2 || jpath(tl[0], "node.author.rpps") != moreau || jpath(tl[1], "node.taskStatus") != "DONE" {
		t.Errorf("timeline = %v", tl)
	}
	if jpath(d, "escap.patient.familyName") != "Lemoine" || jpath(d, "escap.consent.method") != "ORAL" {
		t.Errorf("care circle does not see the patient or consent: %v", d)
	}

	// Incentives: counts per professional for the coordinator, who sees no patient.
	d = h.ok(lefebvre, `query($t: ID!, $y: Int!) { escapIncentives(territoryId: $t, year: $y) {
		professional { rpps } teams toolInUse totalEuros } }`, map[string]any{"t": territory, "y": time.Now().In(maillage.Paris).Year()})
	inc := map[string]map[string]any{}
	for _, x := range jpath(d, "escapIncentives").([]any) {
		inc[jpath(x, "professional.rpps").(string)] = x.(map[string]any)
	}
	if inc[moreau]["toolInUse"] != true || inc[moreau]["totalEuros"] != 100.0 || inc[roux]["teams"] != 1.0 || inc[petit]["teams"] != 2.0 {
		t.Errorf("incentives = %v", inc)
	}

	// The care circle reaches every kind by node(id); outsiders below do not.
	member := h.id(`SELECT id FROM escap_members WHERE escap_id = $1 LIMIT 1`, escap)
	const nodes = `query($e: ID!, $m: ID!, $n: ID!, $c: ID!) { e: node(id: $e) { id ... on ESCAP { status } }
		m: node(id: $m) { id ... on ESCAPMember { role } } n: node(id: $n) { id ... on ESCAPEntry { kind } }
		c: node(id: $c) { id ... on ESCAPConsent { method } } }`
	d = h.ok(petit, nodes, map[string]any{"e": escap, "m": member, "n": note, "c": consent})
	if jpath(d, "e.status") != "ACTIVE" || jpath(d, "m.role") == nil || jpath(d, "n.kind") != "NOTE" || jpath(d, "c.method") != "ORAL" {
		t.Errorf("node for the care circle: %v", d)
	}

	// Outsiders — another GP, the CPTS coordinator, the ARS — see none of it, by any door.
	for _, who := range []string{martin, lefebvre, "ars-normandie"} {
		d := h.ok(who, `query($e: ID!, $p: ID!, $m: ID!, $n: ID!, $t: ID!, $c: ID!) {
			escap(id: $e) { id } patient(id: $p) { id }
			e: node(id: $e) { id } p: node(id: $p) { id } m: node(id: $m) { id } n: node(id: $n) { id } t: node(id: $t) { id } c: node(id: $c) { id }
			escaps(first: 100) { edges { node { id members { id } timeline { edges { node { id } } } } } }
			patients(first: 100) { edges { node { id } } } }`,
			map[string]any{"e": escap, "p": patient, "m": member, "n": note, "t": task, "c": consent})
		for _, k := range []string{"escap", "patient", "e", "p", "m", "n", "t", "c"} {
			if d[k] != nil {
				t.Errorf("%s sees %s: %v", who, k, d[k])
			}
		}
		body, _ := json.Marshal(d)
		if strings.Contains(string(body), escap) || strings.Contains(string(body), patient) || strings.Contains(string(body), "Lemoine") {
			t.Errorf("%s sees the team or the patient through a list: %s", who, body)
		}
		// Writes look the same as on a team that does not exist (staff
		// accounts are refused ESCAP work outright, whatever the id).
		code := maillage.ENOTFOUND
		if who == "ars-normandie" {
			code = maillage.EFORBIDDEN
		}
		h.refused(who, code, escap, entry, map[string]any{"in": map[string]any{"escapId": escap, "kind": "NOTE", "body": "x"}})
		h.refused(who, code, escap, entry, map[string]any{"in": map[string]any{"escapId": "esc_nothing", "kind": "NOTE", "body": "x"}})
		h.refused(who, code, escap, add, map[string]any{"e": escap, "p": pro(martin), "r": "GP"})
	}

	// The patient leaves: the dashboard counts an exit and one active team less.
	d = h.ok(roux, `mutation($id: ID!) { exitESCAPPatient(id: $id, reason: RECOVERY) { status exitReason exitedAt } }`, map[string]any{"id": escap})
	if jpath(d, "exitESCAPPatient.status") != "CLOSED" || jpath(d, "exitESCAPPatient.exitReason") != "RECOVERY" {
		t.Fatalf("exit: %v", d)
	}
	if f := h.figures(lefebvre, territory, situation); f != (figures{base.entries + 1, base.exits + 1, base.active}) {
		t.Errorf("figures after exit: %+v, base %+v", f, base)
	}

	// Acting on a closed team: coded errors, nothing changes.
	h.refused(roux, maillage.ECONFLICT, escap, add, map[string]any{"e": escap, "p": pro(martin), "r": "GP"})
	h.refused(roux, maillage.ECONFLICT, escap, entry, map[string]any{"in": map[string]any{"escapId": escap, "kind": "NOTE", "body": "x"}})
	h.refused(roux, maillage.ECONFLICT, escap, activate, map[string]any{"id": escap})
	h.refused(roux, maillage.ECONFLICT, escap, `mutation($id: ID!) { exitESCAPPatient(id: $id, reason: MOVED) { id } }`, map[string]any{"id": escap})
	h.refused(roux, maillage.ECONFLICT, escap, `mutation($id: ID!) { updateESCAPTask(id: $id, status: OPEN) { id } }`, map[string]any{"id": task})
	h.refused(roux, maillage.ECONFLICT, escap, `mutation($id: ID!) { renewESCAP(id: $id) { id } }`, map[string]any{"id": escap})
	h.refused(roux, maillage.ECONFLICT, escap, `mutation($id: ID!) { withdrawESCAPConsent(escapId: $id) { id } }`, map[string]any{"id": escap})

	// The team keeps its history; the patient's record is no longer theirs.
	d = h.ok(moreau, read, map[string]any{"id": escap})
	if jpath(d, "escap.status") != "CLOSED" || jpath(d, "escap.patient") != nil {
		t.Errorf("after exit a member sees: %v", d)
	}

	// Every change is one event on the team's topic, in order, without the patient.
	var evs []struct {
		Type    string `db:"type"`
		Domain  string `db:"domain"`
		Payload string `db:"payload"`
	}
	if err := h.db.SelectContext(context.Background(), &evs, `SELECT type, domain, payload::text FROM events WHERE topic = $1 ORDER BY id`, "escap:"+escap); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
		if e.Domain != "fr/28/76/cpts-rouen-nord" || strings.Contains(e.Payload, patient) || strings.Contains(e.Payload, "Lemoine") {
			t.Errorf("event %s: domain %s payload %s", e.Type, e.Domain, e.Payload)
		}
	}
	want := []string{"ESCAP_CREATED", "MEMBER_JOINED", "MEMBER_JOINED", "MEMBER_JOINED", "MEMBER_JOINED", "ESCAP_ACTIVATED",
		"NOTE_ADDED", "TASK_ADDED", "TASK_UPDATED", "PATIENT_EXITED"}
	if !slices.Equal(types, want) {
		t.Errorf("events = %v, want %v", types, want)
	}
	// Every write on the team left its audit record.
	var ops []string
	if err := h.db.SelectContext(context.Background(), &ops, `SELECT operation FROM audit_log WHERE object_kind = 'escap' AND object_id = $1
		AND operation <> 'read' AND operation NOT LIKE 'read_%' ORDER BY id`, escap); err != nil {
		t.Fatal(err)
	}
	wantOps := []string{"create", "add_member", "add_member", "add_member", "activate", "add_note", "add_task", "update_task", "exit"}
	if !slices.Equal(ops, wantOps) {
		t.Errorf("audited writes = %v, want %v", ops, wantOps)
	}
}

// addTeams gives the pharmacist Camille Petit n more active teams, each with
// a patient, consent, three members and two timeline entries.
func (h *hub) addTeams(n int) {
	h.t.Helper()
	const q = `WITH ps AS (
		INSERT INTO patients (family_name, given_names, birth_date, sex, gp_id, created_by)
		SELECT 'Test' || i, 'P', '1940-01-01', 'F', (SELECT id FROM professionals WHERE rpps = '10003456782'),
			(SELECT id FROM accounts WHERE login = '10003456782')
		FROM generate_series(1, $1) i RETURNING id),
	cs AS (INSERT INTO escap_consents (patient_id, method, given_at, recorded_by)
		SELECT id, 'WRITTEN', now(), (SELECT id FROM professionals WHERE rpps = '10003456782') FROM ps RETURNING id, patient_id),
	es AS (INSERT INTO escaps (patient_id, consent_id, territory_id, situation, score, grid_size, grid, initiator_id, status, activated_at, expires_at)
		SELECT patient_id, id, (SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'), 'PALLIATIVE', 13, 26, '[]',
			(SELECT id FROM professionals WHERE rpps = '10003456782'), 'ACTIVE', now(), now() + interval '1 year' FROM cs RETURNING id),
	ms AS (INSERT INTO escap_members (escap_id, professional_id, role)
		SELECT es.id, p.id, 'MEMBER' FROM es, professionals p WHERE p.rpps IN ('10003456782', '10003456785', '10003456783'))
	INSERT INTO escap_entries (escap_id, kind, author_id, body)
		SELECT es.id, 'NOTE', p.id, 'note' FROM es, professionals p WHERE p.rpps IN ('10003456782', '10003456785')`
	h.exec(q, n)
}

func TestESCAPListCostsConstantStatements(t *testing.T) {
	h := seededHub(t)
	h.addTeams(40)
	const q = `query($first: Int) { escaps(first: $first) { edges { node { id status territory { name }
		patient { familyName gp { lastName } } consent { method }
		members { role mssante professional { lastName } }
		timeline(first: 5) { edges { node { body author { lastName } } } } } } } }`
	statements := func(first int) (int64, int) {
		var n int
		cost := fewestStatements(t, func() {
			d := h.ok(petit, q, map[string]any{"first": first})
			n = len(jpath(d, "escaps.edges").([]any))
		})
		return cost, n
	}
	// 15: the account lookup, the page and its audit, then per loader one
	// select (and one audit insert for patient-level data): territories,
	// patients (2), consents (2), members (2), timelines (2), and
	// professionals at three depths (GPs, members, authors). Two loads of one
	// loader at one level may share a batch, so fewer is fine; one statement
	// per team (an N+1) would cost 40 more.
	const bound = 15
	small, n2 := statements(2)
	large, n40 := statements(40)
	if n2 != 2 || n40 != 40 {
		t.Fatalf("pages of %d and %d teams, want 2 and 40", n2, n40)
	}
	if small > bound || large > bound {
		t.Fatalf("2 teams cost %d statements, 40 cost %d: want at most %d whatever the page size", small, large, bound)
	}
	t.Logf("a page of 40 ESCAP with patient, consent, members and timelines: %d SQL statements (2 teams: %d)", large, small)
}

// Every nested field of a page of teams loads for the whole page in one
// batch sent as soon as the page is known: one run of each size costs
// exactly the same statements, with no wait that a loaded machine could
// outrun into a split batch.
func TestESCAPNestedFieldsCostTheSameStatementsWhateverThePageSize(t *testing.T) {
	h := seededHub(t)
	h.addTeams(40)
	const q = `query($first: Int) { escaps(first: $first) { edges { node { id territory { name }
		initiator { lastName } patient { familyName gp { lastName } } consent { method recordedBy { lastName } }
		members { role professional { lastName } }
		timeline(first: 5) { edges { node { body author { lastName } assignee { lastName } } } } } } } }`
	run := func(first int) int64 {
		before := postgres.Statements()
		d := h.ok(petit, q, map[string]any{"first": first})
		n := postgres.Statements() - before
		edges, _ := jpath(d, "escaps.edges").([]any)
		if len(edges) != first {
			t.Fatalf("first %d: %d teams", first, len(edges))
		}
		for _, e := range edges {
			node := jpath(e, "node")
			if jpath(node, "territory.name") == nil || jpath(node, "initiator.lastName") == nil ||
				jpath(node, "patient.gp.lastName") == nil || jpath(node, "consent.recordedBy.lastName") == nil {
				t.Fatalf("team %v: %v", jpath(node, "id"), node)
			}
			members, _ := jpath(node, "members").([]any)
			entries, _ := jpath(node, "timeline.edges").([]any)
			if len(members) == 0 || len(entries) == 0 {
				t.Fatalf("team %v: %d members, %d entries", jpath(node, "id"), len(members), len(entries))
			}
			for _, m := range members {
				if jpath(m, "professional.lastName") == nil {
					t.Fatalf("team %v: member %v", jpath(node, "id"), m)
				}
			}
			for _, en := range entries {
				if jpath(en, "node.author.lastName") == nil {
					t.Fatalf("team %v: entry %v", jpath(node, "id"), en)
				}
			}
		}
		return n
	}
	// One unmeasured request first: a login's first request in a test also
	// signs its token (3 statements); every later one costs the same.
	run(1)
	small, large := run(5), run(40)
	if small != large {
		t.Fatalf("5 teams cost %d statements, 40 cost %d: want the same", small, large)
	}
	t.Logf("teams → territory, initiator, patient → gp, consent → recordedBy, members → professional, timeline → author, assignee: %d SQL statements", large)
}
