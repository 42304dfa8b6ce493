package server_test

import (
	"strings"
	"testing"

	"github.com/maillage/maillage"
)

// Access that ends when it should, tried as an attacker would: a member of
// a care team keeps using the token they hold after the hub archived them,
// disabled their account or ended their membership, on the instance where
// their grants are cached and their subscription is open.

const (
	nurseOfDupont   = "10003456783" // member of the seeded Dupont team
	claireLefebvre  = "10003456781" // Dupont's GP, member of the team
	essSecretariat  = "10003456789"
	dupontTeamQuery = `SELECT e.id FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Dupont'`
)

// careAccess is what a login may still reach of the Dupont team on h.
type careAccess struct{ escap, patient, listed, grants bool }

func (h *hub) careAccess(login, escap, patient string) careAccess {
	h.t.Helper()
	r := h.as(login, `query($e: ID!, $p: ID!) { escap(id: $e) { id } patient(id: $p) { id ins } escaps { edges { node { id } } } me { grants { role } } }`,
		map[string]any{"e": escap, "p": patient})
	edges, _ := jpath(r.Data, "escaps.edges").([]any)
	grants, _ := jpath(r.Data, "me.grants").([]any)
	return careAccess{jpath(r.Data, "escap.id") == escap, jpath(r.Data, "patient.id") == patient, len(edges) > 0, len(grants) > 0}
}

// followTeam subscribes login on h to the team's events and returns the
// client, subscription "1".
func followTeam(t *testing.T, h *hub, login, escap string) *wsClient {
	t.Helper()
	c, ack, err := connect(t, h, "graphql-transport-ws", map[string]any{"token": h.token(login)})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connect: %v %+v", err, ack)
	}
	c.subscribe("1", `subscription($e: ID!, $a: String) { escapEvents(escapId: $e, after: $a) { cursor type subjectId payload } }`,
		map[string]any{"e": escap, "a": h.cursor(claireLefebvre)})
	return c
}

// endsBefore reads c until subscription "1" completes (or the connection
// closes), failing if any event (the note carrying secret, or the
// announcement of the change itself) reaches it first.
func endsBefore(t *testing.T, c *wsClient, secret string) {
	t.Helper()
	for {
		m, err := c.read()
		if err != nil {
			return // closed: nothing more reaches them
		}
		if m.Type == "next" && !strings.Contains(string(m.Payload), `"data":null`) || strings.Contains(string(m.Payload), secret) {
			t.Fatalf("received %s %s after access ended", m.Type, m.Payload)
		}
		if m.Type == "complete" && m.ID == "1" {
			return
		}
	}
}

func (h *hub) note(login, escap, body string) {
	h.t.Helper()
	h.ok(login, `mutation($in: AddESCAPEntryInput!) { addESCAPEntry(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"escapId": escap, "kind": "NOTE", "body": body}})
}

// TestArchivedProfessionalLosesEveryRoleAndRelation: archived on instance A,
// the nurse loses on instance B, within a second, the team, its patient,
// the national "professional" role (recording patients, submitting
// referrals) and her open subscription; her departure from the team is
// audited and announced.
func TestArchivedProfessionalLosesEveryRoleAndRelation(t *testing.T) {
	a, b := twoInstances(t)
	escap := a.id(dupontTeamQuery)
	patient := a.id(`SELECT id FROM patients WHERE family_name = 'Dupont'`)
	nurse := a.id(`SELECT id FROM professionals WHERE rpps = $1`, nurseOfDupont)
	if got := b.careAccess(nurseOfDupont, escap, patient); got != (careAccess{true, true, true, true}) {
		t.Fatalf("before: the nurse should reach the team and its patient: %+v", got)
	}
	c := followTeam(t, b, nurseOfDupont, escap)

	req := "archive-nurse"
	r := a.postID(a.token("admin"), req, `mutation($p: ID!) { archiveProfessional(id: $p) { id } }`, map[string]any{"p": nurse})
	if len(r.Errors) > 0 {
		t.Fatalf("archive: %+v", r.Errors)
	}
	within(t, secondForReload, "archiving on A ends the nurse's access on B", func() bool {
		return b.careAccess(nurseOfDupont, escap, patient) == careAccess{}
	})
	secret := "note-after-archiving"
	a.note(claireLefebvre, escap, secret)
	endsBefore(t, c, secret)

	if r := b.as(nurseOfDupont, `mutation { createPatient(input: {familyName: "Inconnu", givenNames: "X", birthDate: "1950-01-01", sex: U}) { id } }`, nil); r.code() != maillage.EFORBIDDEN {
		t.Errorf("an archived professional records a patient: %+v %v", r.Errors, r.Data)
	}
	ess := a.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	r = b.as(nurseOfDupont, `mutation($e: ID!, $p: ID!) { submitReferral(input: {clientKey: "archived-1", essId: $e, patientId: $p, requesterKind: NURSE,
		reason: "x", urgency: ROUTINE, modality: IN_PERSON}) { id } }`, map[string]any{"e": ess, "p": patient})
	if len(r.Errors) == 0 || jpath(r.Data, "submitReferral") != nil {
		t.Errorf("an archived professional submits a referral: %v", r.Data)
	}
	if n := countRows(t, a, `SELECT count(*) FROM escap_members WHERE professional_id = '`+nurse+`' AND left_at IS NULL`); n != 0 {
		t.Errorf("the archived nurse is still a member of %d teams", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM audit_log WHERE request_id = '`+req+`' AND object_id = '`+escap+`' AND operation = 'remove_member'`); n != 1 {
		t.Errorf("her departure from the team left %d audit records, want 1", n)
	}
	if n := countRows(t, a, `SELECT count(*) FROM events WHERE topic = 'escap:`+escap+`' AND type = '`+maillage.EventMemberLeft+`'`); n != 1 {
		t.Errorf("her departure was announced %d times to the team, want 1", n)
	}
}

// TestDisabledAccountLosesItsRelationsAndSubscriptions: an account disabled
// by any means (here plain SQL) is refused at once, and its open
// subscription ends at the next event instead of going on with the
// relations it had.
func TestDisabledAccountLosesItsRelationsAndSubscriptions(t *testing.T) {
	a, b := twoInstances(t)
	escap := a.id(dupontTeamQuery)
	c := followTeam(t, b, nurseOfDupont, escap)
	a.exec(`UPDATE accounts SET disabled_at = now() WHERE login = $1`, nurseOfDupont)
	if r := b.as(nurseOfDupont, `{ me { login } }`, nil); r.Status != 401 {
		t.Errorf("a disabled account's token: %d %+v", r.Status, r.Errors)
	}
	secret := "note-after-disabling"
	within(t, secondForReload, "the disabled account's grants are forgotten on B", func() bool {
		g, err := b.db.Authz.Grants(t.Context(), b.id(`SELECT id FROM accounts WHERE login = $1`, nurseOfDupont))
		return err == nil && len(g) == 0
	})
	a.note(claireLefebvre, escap, secret)
	endsBefore(t, c, secret)
}

// TestEndedMembershipEndsTheESSRoleAndItsPatients: the ESS's secretariat,
// dismissed on A, loses on B the queue and the patients of its requests.
func TestEndedMembershipEndsTheESSRoleAndItsPatients(t *testing.T) {
	a, b := twoInstances(t)
	ess := a.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	patient := a.id(`SELECT id FROM patients WHERE family_name = 'Dupont'`)
	const q = `query($e: ID!, $p: ID!) { referralQueue(essId: $e) { edges { node { id } } } patient(id: $p) { id } }`
	vars := map[string]any{"e": ess, "p": patient}
	if r := b.as(essSecretariat, q, vars); len(r.Errors) > 0 || jpath(r.Data, "patient.id") != patient {
		t.Fatalf("before: %+v %v", r.Errors, r.Data)
	}
	m := a.id(`SELECT m.id FROM memberships m JOIN professionals p ON p.id = m.professional_id
		WHERE p.rpps = $1 AND m.structure_id = $2 AND m.ended_at IS NULL`, essSecretariat, ess)
	a.ok("admin", `mutation($m: ID!) { endMembership(id: $m) { id } }`, map[string]any{"m": m})
	within(t, secondForReload, "the dismissed secretariat loses the queue and the patient on B", func() bool {
		r := b.as(essSecretariat, q, vars)
		return r.code() == maillage.EFORBIDDEN && jpath(r.Data, "patient") == nil
	})
}
