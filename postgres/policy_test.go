package postgres_test

import (
	"testing"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres/pgtest"
)

// The policy mutations never open what the design keeps closed, and never
// leave the hub without someone to manage policies.
func TestPolicyChangesKeepTheInvariants(t *testing.T) {
	db := pgtest.Seeded(t)
	admin := pgtest.As(t, db, "admin")
	for _, tc := range []struct{ subject, object, action string }{
		{"public", "policy", "write"},           // anyone managing policies
		{"rel:requester", "audit", "read"},      // a relation reading the audit trail
		{"ars_agent", "referral", "read"},       // the ARS reading requests
		{"cpts_coordinator", "patient", "read"}, // a coordinator reading patients
		{"public", "patient", "read"},
		{"rel:ess_staff", "referral", "read"},     // a relation no code tests
		{"ess_case_manager", "referral", "write"}, // a role writing requests: relations only
		{"professional", "patient", "read"},       // a role reading patients: relations only
	} {
		_, err := db.Policies.AddPolicy(admin, maillage.PolicyInput{Subject: tc.subject, Object: tc.object, Action: tc.action})
		wantCode(t, err, maillage.EINVALID, "input.subject")
	}
	if _, err := db.Policies.AddPolicy(admin, maillage.PolicyInput{Subject: "ess_case_manager", Object: "referral", Action: "create"}); err != nil {
		t.Fatalf("an ESS role creating requests: %v", err)
	}

	// Another role may manage policies, but nobody holds it nationally:
	// removing the national admin's rule would leave nobody.
	if _, err := db.Policies.AddPolicy(admin, maillage.PolicyInput{Subject: "ess_specialist", Object: "policy", Action: "write"}); err != nil {
		t.Fatal(err)
	}
	var adminRule string
	db.Get(&adminRule, `SELECT 'pol_' || id FROM authz_policies WHERE subject = 'national_admin' AND object = 'policy' AND action = 'write'`)
	_, err := db.Policies.RemovePolicy(admin, adminRule)
	wantCode(t, err, maillage.ECONFLICT, "")
	if n := count(t, db, `SELECT count(*) FROM authz_policies WHERE subject = 'national_admin' AND object = 'policy'`); n != 2 {
		t.Fatalf("%d national admin policy rules left, want both", n)
	}

	// Pages of policies cover every rule once, in id order.
	var all []string
	db.Select(&all, `SELECT 'pol_' || id FROM authz_policies ORDER BY id`)
	paged := pageThrough(t, 3, func(page maillage.PageArgs) ([]string, maillage.PageInfo, error) {
		conn, err := db.Policies.FindPolicies(admin, page)
		if err != nil {
			return nil, maillage.PageInfo{}, err
		}
		var ids []string
		for _, e := range conn.Edges {
			ids = append(ids, e.Node.ID)
		}
		return ids, conn.PageInfo, nil
	})
	if len(paged) != len(all) || paged[1] != all[1] {
		t.Fatalf("pages gave %d rules starting %v, want %d starting %v", len(paged), paged[:2], len(all), all[:2])
	}
}
