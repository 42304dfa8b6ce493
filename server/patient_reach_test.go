package server_test

import (
	"testing"

	"github.com/maillage/maillage"
)

// Patient-level data only through relations, tried as an attacker would:
// the national admin grants itself (or anyone) an ESS role to read the
// ESS's queue, or adds a policy that opens patient-level data to a role.

// TestNobodyGrantsThemselvesAnESSRole: grantRole to one's own login is
// refused, and a role carrying patient access is refused to anyone (it
// comes only from memberships appointed by someone else), also in plain
// SQL; the admin still cannot read the queue.
func TestNobodyGrantsThemselvesAnESSRole(t *testing.T) {
	h := seededHub(t)
	essDomain := h.id(`SELECT t.path || '/@' || s.id FROM structures s JOIN territories t ON t.id = s.territory_id
		WHERE s.name = 'ESS Dermatologie Rouen Métropole'`)
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	const grant = `mutation($l: String!, $r: String!, $d: String!) { grantRole(input: {login: $l, role: $r, domain: $d}) { id } }`
	const queue = `query($e: ID!) { referralQueue(essId: $e) { edges { node { id reason } } } }`
	before := countRows(t, h, `SELECT count(*) FROM role_grants`)

	if r := h.as("admin", grant, map[string]any{"l": "admin", "r": "ess_secretariat", "d": essDomain}); len(r.Errors) == 0 {
		t.Errorf("the admin granted itself ess_secretariat: %v", r.Data)
	}
	if r := h.as("admin", grant, map[string]any{"l": "admin", "r": "auditor", "d": "fr"}); r.code() != maillage.EFORBIDDEN {
		t.Errorf("the admin granted itself auditor: %+v %v", r.Errors, r.Data)
	}
	for _, role := range []string{"ess_secretariat", "ess_case_manager", "ess_specialist", "professional"} {
		if r := h.as("admin", grant, map[string]any{"l": "ars-normandie", "r": role, "d": essDomain}); r.code() != maillage.EINVALID || r.Errors[0].Extensions["field"] != "input.role" {
			t.Errorf("granting %s (patient access) to an ARS agent: %+v %v", role, r.Errors, r.Data)
		}
	}
	if r := h.as("admin", queue, map[string]any{"e": ess}); r.code() != maillage.EFORBIDDEN {
		t.Errorf("the admin reads the ESS's queue: %+v %v", r.Errors, r.Data)
	}
	if _, err := h.db.ExecContext(t.Context(), `INSERT INTO role_grants (account_id, role, domain) SELECT id, 'ess_secretariat', $1 FROM accounts WHERE login = 'admin'`, essDomain); err == nil {
		t.Errorf("the table took a grant of ess_secretariat")
	}
	if after := countRows(t, h, `SELECT count(*) FROM role_grants`); after != before {
		t.Errorf("refused grants wrote %d rows", after-before)
	}
}

// TestPoliciesNeverOpenPatientLevelDataToARole: addPolicy refuses a role
// rule that reads or writes patients, teams or referrals; and a rule slipped
// in by SQL is ignored: a professional outside a team neither lists every
// team nor records consent for a stranger's team.
func TestPoliciesNeverOpenPatientLevelDataToARole(t *testing.T) {
	h := seededHub(t)
	const policy = `mutation($s: String!, $o: String!, $a: String!) { addPolicy(input: {subject: $s, object: $o, action: $a}) { id } }`
	for _, c := range [][3]string{
		{"professional", "escap", "read"}, {"professional", "patient", "write"}, {"professional", "patient", "read"},
		{"professional", "referral", "*"}, {"ess_secretariat", "patient", "read"}, {"ess_case_manager", "escap", "write"},
	} {
		if r := h.as("admin", policy, map[string]any{"s": c[0], "o": c[1], "a": c[2]}); r.code() != maillage.EINVALID || r.Errors[0].Extensions["field"] != "input.subject" {
			t.Errorf("addPolicy(%s, %s, %s): %+v %v", c[0], c[1], c[2], r.Errors, r.Data)
		}
	}
	h.exec(`INSERT INTO authz_policies (subject, object, action) VALUES ('professional', 'escap', 'read'), ('professional', 'patient', 'write'), ('professional', 'patient', 'read')`)
	const kine = "10003456784" // Julien Moreau: in no team, treats nobody
	if err := h.db.Authz.ReloadPolicies(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := h.as(kine, `{ escaps(first: 100) { edges { node { id } } } patients(first: 100) { edges { node { id } } } }`, nil)
	if e, _ := jpath(r.Data, "escaps.edges").([]any); len(e) != 0 {
		t.Errorf("a role rule lists %d teams to a stranger", len(e))
	}
	if p, _ := jpath(r.Data, "patients.edges").([]any); len(p) != 0 {
		t.Errorf("a role rule lists %d patients to a stranger", len(p))
	}
	dupont := h.id(`SELECT id FROM patients WHERE family_name = 'Dupont'`)
	if r := h.as(kine, `mutation($p: ID!) { recordESCAPConsent(input: {patientId: $p, method: ORAL}) { id } }`, map[string]any{"p": dupont}); len(r.Errors) == 0 {
		t.Errorf("a stranger recorded consent for Dupont: %v", r.Data)
	}
}
