package server_test

import (
	"fmt"
	"testing"
)

// An ESS's access to a request's patient follows the request, tried as its
// staff would: after declining, after the handled period, as a colleague
// who never touched it.

// referralFor records a fresh patient of Dr Martin and submits a request
// about them to the dermatology ESS; returns the patient and the request.
func (h *hub) referralFor(name string) (patient, referral string) {
	h.t.Helper()
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	patient = jpath(h.ok(gpMartin, createPatient, map[string]any{"in": map[string]any{"familyName": name, "givenNames": "Test",
		"birthDate": "1950-01-01", "sex": "F", "gpId": h.id(`SELECT id FROM professionals WHERE rpps = $1`, gpMartin)}}), "createPatient.id").(string)
	referral = jpath(h.ok(gpMartin, submit, map[string]any{"in": map[string]any{"clientKey": "access-" + name, "essId": ess, "patientId": patient,
		"requesterKind": "TREATING_GP", "reason": "lésion", "urgency": "ROUTINE", "modality": "TELEEXPERTISE"}}), "submitReferral.id").(string)
	return patient, referral
}

func (h *hub) move(login, referral string, in map[string]any) {
	h.t.Helper()
	in["id"] = referral
	h.ok(login, transition, map[string]any{"in": in})
}

// seesPatient reports whether login reaches the patient by patient(id:)
// or in the patients list.
func (h *hub) seesPatient(login, patient string) bool {
	h.t.Helper()
	r := h.as(login, `query($p: ID!) { patient(id: $p) { id } patients(first: 100) { edges { node { id } } } }`, map[string]any{"p": patient})
	edges, _ := jpath(r.Data, "patients.edges").([]any)
	listed := false
	for _, e := range edges {
		listed = listed || jpath(e, "node.id") == patient
	}
	if (jpath(r.Data, "patient.id") == patient) != listed {
		h.t.Fatalf("%s: patient(id:) and patients disagree on %s", login, patient)
	}
	return listed
}

func TestESSAccessToThePatientEndsWhenTheRequestIsDeclined(t *testing.T) {
	h := seededHub(t)
	patient, referral := h.referralFor("Declinee")
	if !h.seesPatient(caseManager, patient) || !h.seesPatient(secretariat, patient) {
		t.Fatal("while submitted, the ESS's secretariat and case manager see the patient")
	}
	h.move(caseManager, referral, map[string]any{"action": "DECLINE", "reason": "hors champ"})
	for _, staff := range []string{caseManager, secretariat, specFournier, specGirard} {
		if h.seesPatient(staff, patient) {
			t.Errorf("%s still sees the patient of a declined request", staff)
		}
	}
	if !h.seesPatient(gpMartin, patient) {
		t.Errorf("the requester (the patient's GP) lost the patient")
	}
}

func TestESSAccessAfterTheAnswerLastsTheHandledPeriodForWhoHandledIt(t *testing.T) {
	h := seededHub(t)
	patient, referral := h.referralFor("Repondue")
	fournier := h.id(`SELECT id FROM professionals WHERE rpps = $1`, specFournier)
	h.move(secretariat, referral, map[string]any{"action": "TRIAGE"})
	h.move(caseManager, referral, map[string]any{"action": "ASSIGN", "specialistId": fournier})
	h.move(specFournier, referral, map[string]any{"action": "ANSWER", "answer": "avis rendu"})
	for staff, want := range map[string]bool{secretariat: true, caseManager: true, specFournier: true, specGirard: false} {
		if got := h.seesPatient(staff, patient); got != want {
			t.Errorf("answered: %s sees the patient: %v, want %v (only who handled it)", staff, got, want)
		}
	}
	var days int
	if err := h.db.GetContext(t.Context(), &days, `SELECT extract(day FROM handled_access)::int FROM referral_settings`); err != nil {
		t.Fatal(err)
	}
	// The answer was given longer ago than the handled period.
	h.exec(fmt.Sprintf(`UPDATE referral_history SET created_at = created_at - interval '%d days 1 hour' WHERE referral_id = $1`, days), referral)
	for _, staff := range []string{secretariat, caseManager, specFournier} {
		if h.seesPatient(staff, patient) {
			t.Errorf("%s still sees the patient %d days after the answer", staff, days)
		}
	}
	if !h.seesPatient(gpMartin, patient) {
		t.Errorf("the requester lost the patient")
	}
}
