package server_test

import (
	"testing"

	"github.com/maillage/maillage"
)

const (
	vincent = "10003456793" // "Coordinateur" of the DAC 76: not a health profession
	bonnet  = "10003456789" // "Secrétaire médicale" of the ESS: not a health profession
	petitP  = "10003456785" // pharmacist
)

// Only health professionals (as the RPPS lists them) start a team or count
// among its "3 professionnels de santé" and in the figures; a coordinator
// or a secretary may help a team without counting (item 3 of issue 17).
func TestOnlyHealthProfessionalsCount(t *testing.T) {
	h := seededHub(t)
	pro := func(rpps string) string { return h.id(`SELECT id FROM professionals WHERE rpps = $1`, rpps) }
	rouen := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'`)
	seine := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76'`)
	const createPatient = `mutation($gp: ID, $n: String!) { createPatient(input: {familyName: $n, givenNames: "Test",
		birthDate: "1950-04-02", sex: F, gpId: $gp}) { id } }`
	const consent = `mutation($p: ID!) { recordESCAPConsent(input: {patientId: $p, method: ORAL}) { id } }`
	const create = `mutation($in: CreateESCAPInput!) { createESCAP(input: $in) { id } }`
	start := func(login, name, territory string) (string, string) {
		p := jpath(h.ok(login, createPatient, map[string]any{"gp": pro(roux), "n": name}), "createPatient.id").(string)
		c := jpath(h.ok(login, consent, map[string]any{"p": p}), "recordESCAPConsent.id").(string)
		return p, c
	}
	vars := func(p, c, territory string) map[string]any {
		return map[string]any{"in": map[string]any{
			"assessment": map[string]any{"patientId": p, "situation": "PALLIATIVE", "grid": gridVars(13)},
			"consentId":  c, "territoryId": territory, "initiatorRole": "COORDINATION"}}
	}
	// Who may start: by profession, in a territory where they practise.
	for _, c := range []struct {
		login, territory, want string
	}{
		{vincent, seine, maillage.EFORBIDDEN}, // coordinator
		{durand, rouen, ""},                   // nurse
	} {
		p, cn := start(c.login, "Start"+c.login, c.territory)
		if got := h.as(c.login, create, vars(p, cn, c.territory)).code(); got != c.want {
			t.Errorf("%s starts a team: %q, want %q", c.login, got, c.want)
		}
	}

	// Counting at the threshold: 2 health professionals and any number of
	// others cannot activate; the third health professional can.
	p, cn := start(durand, "Seuil", rouen)
	escap := jpath(h.ok(durand, create, vars(p, cn, rouen)), "createESCAP.id").(string)
	const add = `mutation($e: ID!, $p: ID!, $r: String!) { addESCAPMember(input: {escapId: $e, professionalId: $p, role: $r}) { id counted } }`
	const activate = `mutation($id: ID!) { activateESCAP(id: $id) { status } }`
	for _, c := range []struct {
		rpps    string
		counted bool
		active  bool
	}{
		{roux, true, false},     // 2 counted: nurse + GP
		{vincent, false, false}, // 2 counted, 3 members
		{bonnet, false, false},  // 2 counted, 4 members
		{petitP, true, true},    // 3 counted
	} {
		d := h.ok(durand, add, map[string]any{"e": escap, "p": pro(c.rpps), "r": "MEMBER"})
		if jpath(d, "addESCAPMember.counted") != c.counted {
			t.Errorf("%s counted %v, want %v", c.rpps, jpath(d, "addESCAPMember.counted"), c.counted)
		}
		r := h.as(durand, activate, map[string]any{"id": escap})
		if (r.code() == "") != c.active {
			t.Errorf("after %s: activation %q, want active %v", c.rpps, r.code(), c.active)
		}
		if !c.active && r.code() != maillage.ECONFLICT {
			t.Errorf("after %s: refused with %q, want CONFLICT", c.rpps, r.code())
		}
	}
	// The figures and incentives count the health professionals only.
	now := h.ok("ars-normandie", `query($t: ID!) { escapIncentives(territoryId: $t, year: 2026) { professional { rpps } teams } }`,
		map[string]any{"t": rouen})
	seen := map[string]bool{}
	for _, i := range jpath(now, "escapIncentives").([]any) {
		seen[jpath(i, "professional.rpps").(string)] = true
	}
	if seen[vincent] || seen[bonnet] || !seen[petitP] || !seen[roux] {
		t.Errorf("incentives list %v", seen)
	}
}

func TestHealthProfessions(t *testing.T) {
	cfg := maillage.DefaultESCAPConfig()
	for _, c := range []struct {
		profession string
		health     bool
	}{
		{"Médecin", true}, {"medecin", true}, {"MÉDECIN", true}, {"Masseur-kinésithérapeute", true},
		{"Infirmier", true}, {"Pharmacien", true}, {"Sage-femme", true}, {"Chirurgien-dentiste", true},
		{"Coordinateur", false}, {"Secrétaire médicale", false}, {"Psychologue", false}, {"Ostéopathe", false},
		{"Cadre de santé", false}, {"", false}, {"Médecins", false},
	} {
		if got := cfg.IsHealthProfession(c.profession); got != c.health {
			t.Errorf("%q: health %v, want %v", c.profession, got, c.health)
		}
	}
}
