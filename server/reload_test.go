package server_test

import (
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// secondForReload is the bound on how long a change of policies or
// grants takes to apply on every instance.
const secondForReload = time.Second

// twoInstances starts two hub instances (each its own *postgres.DB, its own
// authorizer and listener) on one seeded database.
func twoInstances(t *testing.T) (a, b *hub) {
	t.Helper()
	db := pgtest.Seeded(t)
	return newHub(t, db, server.Config{}), newHub(t, pgtest.Open(t, db.DSN), server.Config{})
}

// within polls check until it returns true, failing the test if it has not
// after deadline: the deadline is the assertion.
func within(t *testing.T, deadline time.Duration, what string, check func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !check() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, deadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPolicyChangeReachesAnotherInstanceWithinASecond: a policy added
// through the admin mutation on instance A allows the request on instance B
// within a second; removing it denies it again within a second.
func TestPolicyChangeReachesAnotherInstanceWithinASecond(t *testing.T) {
	a, b := twoInstances(t)
	const gp = "10003456782" // Dr Thomas Martin: a professional, no admin role
	const listPolicies = `{ policies { totalCount } }`
	if r := b.as(gp, listPolicies, nil); r.code() != maillage.EFORBIDDEN {
		t.Fatalf("before: a professional may not list policies, got %+v", r.Errors)
	}
	r := a.as("admin", `mutation { addPolicy(input: {subject: "professional", object: "policy", action: "read"}) { id } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("add policy: %+v", r.Errors)
	}
	id := jpath(r.Data, "addPolicy.id").(string)
	within(t, secondForReload, "the policy added on A applies on B", func() bool {
		return len(b.as(gp, listPolicies, nil).Errors) == 0
	})

	if r := a.as("admin", `mutation($id: ID!) { removePolicy(id: $id) { id } }`, map[string]any{"id": id}); len(r.Errors) > 0 {
		t.Fatalf("remove policy: %+v", r.Errors)
	}
	within(t, secondForReload, "the policy removed on A stops applying on B", func() bool {
		return b.as(gp, listPolicies, nil).code() == maillage.EFORBIDDEN
	})
}

// TestGrantChangesReachAnotherInstanceWithinASecond: a role granted on A,
// and a membership (which implies a role) added on A, show in me.grants on B
// within a second; archiving the structure ends the implied role on B too.
func TestGrantChangesReachAnotherInstanceWithinASecond(t *testing.T) {
	a, b := twoInstances(t)
	const kine = "10003456784" // Julien Moreau
	hasGrant := func(h *hub, role, domainSuffix string) bool {
		r := h.as(kine, `{ me { grants { role domain } } }`, nil)
		grants, _ := jpath(r.Data, "me.grants").([]any)
		for _, g := range grants {
			d, _ := jpath(g, "domain").(string)
			if jpath(g, "role") == role && len(d) >= len(domainSuffix) && d[len(d)-len(domainSuffix):] == domainSuffix {
				return true
			}
		}
		return false
	}
	if r := a.as("admin", `mutation { grantRole(input: {login: "10003456784", role: "ars_agent", domain: "fr/84"}) { id } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("grant: %+v", r.Errors)
	}
	within(t, secondForReload, "a role granted on A shows on B", func() bool { return hasGrant(b, "ars_agent", "fr/84") })

	var structureID, professionalID string
	r := a.as("admin", `{ structures(filter: {search: "CPTS du Havre"}) { edges { node { id } } } professional(rpps: "10003456784") { id } }`, nil)
	structureID = jpath(r.Data, "structures.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
	professionalID = jpath(r.Data, "professional.id").(string)
	r = a.as("admin", `mutation($p: ID!, $s: ID!) { addMembership(input: {professionalId: $p, structureId: $s, role: COORDINATOR}) { id } }`,
		map[string]any{"p": professionalID, "s": structureID})
	if len(r.Errors) > 0 {
		t.Fatalf("add membership: %+v", r.Errors)
	}
	within(t, secondForReload, "a membership added on A implies its role on B", func() bool { return hasGrant(b, "cpts_coordinator", "/cpts-le-havre") })

	if r := a.as("admin", `mutation($s: ID!) { archiveStructure(id: $s) { id } }`, map[string]any{"s": structureID}); len(r.Errors) > 0 {
		t.Fatalf("archive: %+v", r.Errors)
	}
	within(t, secondForReload, "archiving the structure on A ends the implied role on B", func() bool { return !hasGrant(b, "cpts_coordinator", "/cpts-le-havre") })

	// Moving CPTS Caen Ouest to another territory on A moves its
	// coordinator's role on B.
	const laura = "10003456794"
	r = a.as("admin", `{ structures(filter: {search: "CPTS Caen Ouest"}) { edges { node { id } } } territories(filter: {search: "Havre"}) { edges { node { id } } } }`, nil)
	caen := jpath(r.Data, "structures.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
	havre := jpath(r.Data, "territories.edges").([]any)[0].(map[string]any)["node"].(map[string]any)["id"].(string)
	if r := a.as("admin", `mutation($s: ID!, $t: ID!) { updateStructure(id: $s, input: {territoryId: $t}) { id } }`, map[string]any{"s": caen, "t": havre}); len(r.Errors) > 0 {
		t.Fatalf("move: %+v", r.Errors)
	}
	within(t, secondForReload, "a structure moved on A moves the role it implies on B", func() bool {
		grants, _ := jpath(b.as(laura, `{ me { grants { role domain } } }`, nil).Data, "me.grants").([]any)
		for _, g := range grants {
			if jpath(g, "role") == "cpts_coordinator" {
				return jpath(g, "domain") == "fr/28/76/cpts-le-havre"
			}
		}
		return false
	})
}
