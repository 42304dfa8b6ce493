package server_test

import (
	"testing"

	"github.com/maillage/maillage"
)

// A community health professional outside any structure starts an ESCAP in
// the department they practise in (RPPS activity address), or where the
// patient lives (item 4 of issue 17).
func TestCommunityProfessionalStartsATeam(t *testing.T) {
	h := seededHub(t)
	const libre = "10009999991"
	h.exec(`INSERT INTO professionals (rpps, first_name, last_name, profession) VALUES ($1, 'Inès', 'Libérale', 'Infirmier')`, libre)
	h.exec(`INSERT INTO accounts (login, display_name, professional_id) SELECT $1, 'Inès Libérale', id FROM professionals WHERE rpps = $1`, libre)
	pro := func(rpps string) string { return h.id(`SELECT id FROM professionals WHERE rpps = $1`, rpps) }
	terr := func(path string) string { return h.id(`SELECT id FROM territories WHERE path = $1`, path) }
	rouen, seine, calvados, lyon := terr("fr/28/76/cpts-rouen-nord"), terr("fr/28/76"), terr("fr/28/14"), terr("fr/84/69")
	normandie := terr("fr/28")

	const setCommunes = `mutation($p: ID!, $c: [String!]!) { setPracticeCommunes(professionalId: $p, communes: $c) }`
	const createPatient = `mutation($gp: ID, $n: String!) { createPatient(input: {familyName: $n, givenNames: "Test",
		birthDate: "1950-04-02", sex: F, gpId: $gp}) { id } }`
	const consent = `mutation($p: ID!) { recordESCAPConsent(input: {patientId: $p, method: ORAL}) { id } }`
	const create = `mutation($in: CreateESCAPInput!) { createESCAP(input: $in) { id patientCommune territory { path } } }`
	n := 0
	try := func(territory string, patientCommune any) response {
		n++
		p := jpath(h.ok(libre, createPatient, map[string]any{"gp": pro(roux), "n": "Libre" + string(rune('A'+n))}), "createPatient.id").(string)
		c := jpath(h.ok(libre, consent, map[string]any{"p": p}), "recordESCAPConsent.id").(string)
		return h.as(libre, create, map[string]any{"in": map[string]any{
			"assessment": map[string]any{"patientId": p, "situation": "PALLIATIVE", "grid": gridVars(13)},
			"consentId":  c, "territoryId": territory, "initiatorRole": "NURSE", "patientCommune": patientCommune}})
	}
	// No structure, no activity address: nowhere (but where the patient lives).
	if r := try(rouen, nil); r.code() != maillage.EINVALID || r.Errors[0].Extensions["field"] != "input.territoryId" {
		t.Errorf("nowhere: %+v", r.Errors)
	}
	for _, c := range []struct {
		name, territory string
		commune         any
		ok              bool
	}{
		{"patient in Rouen, team in Rouen", rouen, "76540", true},
		{"patient in Rouen, team in the department", seine, "76540", true},
		{"patient in Caen, team in Rouen", rouen, "14118", false},
		{"patient commune not INSEE", rouen, "Rouen", false},
		{"patient in Rouen, team for the region", normandie, "76540", false},
	} {
		r := try(c.territory, c.commune)
		if c.ok != (len(r.Errors) == 0) {
			t.Errorf("%s: %+v", c.name, r.Errors)
		}
		if c.ok && jpath(r.Data, "createESCAP.patientCommune") != c.commune {
			t.Errorf("%s: %v", c.name, r.Data)
		}
	}
	// Her activity address in Seine-Maritime: any territory of the department.
	if d := h.ok(libre, setCommunes, map[string]any{"p": pro(libre), "c": []string{"76540", "76540"}}); len(jpath(d, "setPracticeCommunes").([]any)) != 1 {
		t.Errorf("communes: %v", d)
	}
	for _, c := range []struct {
		name, territory string
		ok              bool
	}{
		{"Rouen", rouen, true},
		{"Seine-Maritime", seine, true},
		{"Calvados", calvados, false},
		{"Lyon", lyon, false},
	} {
		if r := try(c.territory, nil); c.ok != (len(r.Errors) == 0) {
			t.Errorf("practising in 76, team in %s: %+v", c.name, r.Errors)
		}
	}
	// Someone else's activity addresses are not hers to set.
	if code := h.as(libre, setCommunes, map[string]any{"p": pro(roux), "c": []string{"76540"}}).code(); code != maillage.EFORBIDDEN {
		t.Errorf("sets another's communes: %q", code)
	}
	if code := h.as(libre, setCommunes, map[string]any{"p": pro(libre), "c": []string{"7654"}}).code(); code != maillage.EINVALID {
		t.Errorf("bad commune: %q", code)
	}
}
