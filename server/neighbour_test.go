package server_test

import (
	"context"
	"slices"
	"testing"

	"github.com/maillage/maillage"
)

// A patientDoor is one way to reach a patient by id: each returns whether
// the caller got the patient. ESCAP and referrals add theirs here.
type patientDoor struct {
	name string
	got  func(h *hub, login, patientID string) bool
}

var patientDoors = []patientDoor{
	{"patient(id:)", func(h *hub, login, id string) bool {
		return jpath(h.as(login, `query($id: ID!) { patient(id: $id) { id } }`, map[string]any{"id": id}).Data, "patient.id") == id
	}},
	{"node(id:)", func(h *hub, login, id string) bool {
		return jpath(h.as(login, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}).Data, "node.id") == id
	}},
	{"patients list", func(h *hub, login, id string) bool {
		edges, _ := jpath(h.as(login, `{ patients(first: 100) { edges { node { id } } } }`, nil).Data, "patients.edges").([]any)
		return slices.ContainsFunc(edges, func(e any) bool { return jpath(e, "node.id") == id })
	}},
	{"myReferrals.patient", func(h *hub, login, id string) bool {
		edges, _ := jpath(h.as(login, `{ myReferrals(first: 100) { edges { node { patient { id } } } } }`, nil).Data, "myReferrals.edges").([]any)
		return slices.ContainsFunc(edges, func(e any) bool { return jpath(e, "node.patient.id") == id })
	}},
	{"referral(id:).patient of every referral about them", func(h *hub, login, id string) bool {
		var refs []string
		h.db.SelectContext(context.Background(), &refs, `SELECT id FROM referrals WHERE patient_id = $1`, id)
		for _, ref := range refs {
			if jpath(h.as(login, `query($id: ID!) { referral(id: $id) { patient { id } } }`, map[string]any{"id": ref}).Data, "referral.patient.id") == id {
				return true
			}
		}
		return false
	}},
	{"patients search", func(h *hub, login, id string) bool {
		edges, _ := jpath(h.as(login, `{ patients(first: 100, filter: {search: "e"}) { edges { node { id } } } }`, nil).Data, "patients.edges").([]any)
		return slices.ContainsFunc(edges, func(e any) bool { return jpath(e, "node.id") == id })
	}},
}

// TestNeighbouringCPTSCoordinatorsSeeNoPatients: the coordinator of CPTS du
// Havre sees none of CPTS Rouen Nord's patients, and the coordinator of
// Rouen Nord none of Le Havre's, through any door — even though both
// coordinate a territory of the same department. Each still sees the
// patients they have a relation with (the test would pass for a hub that
// shows nothing to anyone otherwise).
func TestNeighbouringCPTSCoordinatorsSeeNoPatients(t *testing.T) {
	h := seededHub(t)
	f := newFixture(t, h.db)
	const rouen, havre = "10003456781", "10003456784" // Claire Lefebvre; Julien Moreau, made coordinator of Le Havre
	pro := h.id(`SELECT id FROM professionals WHERE rpps = $1`, havre)
	cpts := h.id(`SELECT id FROM structures WHERE name = 'CPTS du Havre'`)
	if _, err := h.db.Directory.AddMembership(f.admin, maillage.MembershipInput{ProfessionalID: pro, StructureID: cpts, Role: maillage.MemberRoleCoordinator}); err != nil {
		t.Fatal(err)
	}
	within(t, secondForReload, "the Le Havre coordinator's role", func() bool {
		r := h.as(havre, `{ me { grants { role domain } } }`, nil)
		grants, _ := jpath(r.Data, "me.grants").([]any)
		return slices.ContainsFunc(grants, func(g any) bool { return jpath(g, "role") == "cpts_coordinator" })
	})
	// Le Havre's coordinator records a patient of Le Havre.
	r := h.as(havre, `mutation { createPatient(input: {familyName: "Havrais", givenNames: "Eugène", birthDate: "1940-02-02", sex: M}) { id } }`, nil)
	havrais, _ := jpath(r.Data, "createPatient.id").(string)
	if havrais == "" {
		t.Fatalf("record a patient: %+v", r.Errors)
	}
	// …and asks the dermatology ESS about them.
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	r = h.as(havre, `mutation($e: ID!, $p: ID!) { submitReferral(input: {clientKey: "havre-1", essId: $e, patientId: $p,
		requesterKind: CPTS_COORDINATOR, reason: "Plaie chronique", urgency: ROUTINE, modality: IN_PERSON}) { id } }`,
		map[string]any{"e": ess, "p": havrais})
	if jpath(r.Data, "submitReferral.id") == nil {
		t.Fatalf("submit a referral: %+v", r.Errors)
	}
	rouenPatients := []string{f.patient("Dupont"), f.patient("Leroy"), f.patient("Petitjean")}

	for _, door := range patientDoors {
		t.Run(door.name, func(t *testing.T) {
			for _, id := range rouenPatients {
				if door.got(h, havre, id) {
					t.Errorf("the Le Havre coordinator reached Rouen Nord's patient %s", id)
				}
			}
			if door.got(h, rouen, havrais) {
				t.Errorf("the Rouen Nord coordinator reached Le Havre's patient")
			}
			if !door.got(h, rouen, rouenPatients[0]) || !door.got(h, havre, havrais) {
				t.Errorf("each coordinator still reaches the patient they are related to")
			}
		})
	}
	t.Run("audit trail", func(t *testing.T) {
		for _, login := range []string{rouen, havre} {
			if c := h.as(login, `{ auditLog { totalCount } }`, nil).code(); c != maillage.EFORBIDDEN {
				t.Errorf("%s reads the audit trail: %s", login, c)
			}
		}
	})
}
