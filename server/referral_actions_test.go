package server_test

import (
	"fmt"
	"testing"
)

// Referral.myActions gives each caller the transitions the table allows
// their roles from the request's state, and changes as the request moves: the
// buttons the portal shows.
func TestReferralMyActionsFollowRolesAndState(t *testing.T) {
	h := seededHub(t)
	const gp, secretariat, caseManager, specialist = "10003456781", "10003456789", "10003456790", "10003456787"
	mine := h.ok(gp, `{ myReferrals(states: [SUBMITTED]) { edges { node { id myActions } } } }`, nil)
	id, _ := jpath(mine, "myReferrals.edges.0.node.id").(string)
	if id == "" {
		t.Fatalf("no submitted request of the GP: %v", mine)
	}
	actions := func(login string) string {
		d := h.ok(login, `query($id: ID!) { referral(id: $id) { myActions } }`, map[string]any{"id": id})
		return fmt.Sprint(jpath(d, "referral.myActions"))
	}
	for login, want := range map[string]string{
		gp:          "[WITHDRAW]",
		secretariat: "[TRIAGE REDIRECT]",
		caseManager: "[TRIAGE REDIRECT DECLINE]",
		specialist:  "[]", // an ESS specialist not assigned to it
	} {
		if got := actions(login); got != want {
			t.Errorf("%s on a submitted request: %s, want %s", login, got, want)
		}
	}
	h.ok(secretariat, `mutation($id: ID!) { transitionReferral(input: {id: $id, action: TRIAGE}) { state } }`, map[string]any{"id": id})
	pro := h.ok(specialist, `{ me { professional { id } } }`, nil)
	h.ok(caseManager, `mutation($id: ID!, $s: ID!) { transitionReferral(input: {id: $id, action: ASSIGN, specialistId: $s}) { state } }`,
		map[string]any{"id": id, "s": jpath(pro, "me.professional.id")})
	for login, want := range map[string]string{
		specialist:  "[SCHEDULE ANSWER REDIRECT DECLINE]",
		secretariat: "[SCHEDULE REDIRECT]",
		caseManager: "[ASSIGN REDIRECT DECLINE]",
		gp:          "[WITHDRAW]",
	} {
		if got := actions(login); got != want {
			t.Errorf("%s on an assigned request: %s, want %s", login, got, want)
		}
	}
}
