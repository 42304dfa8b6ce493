package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// TestHubOnTwentyThousandAccounts starts a hub on a generated directory of
// 20,000 professional accounts (a tenth of the national one): it is ready,
// decides for coordinators, ARS agents and professionals as on the demo
// data, and keeps the grants of the callers it has seen only.
func TestHubOnTwentyThousandAccounts(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	shape := postgres.NationalShape{Departments: 10, LocalsPerDepartment: 10, Structures: 1500, Professionals: 20000, Seed: 7}
	if _, err := postgres.SeedNationalShape(ctx, db, shape); err != nil {
		t.Fatal(err)
	}
	h := newHub(t, db, server.Config{})
	res, _ := h.roundTrip(must(http.NewRequest(http.MethodGet, h.url+"/readyz", nil)))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %d", res.StatusCode)
	}
	// A CPTS coordinator, a structure of their territory and one elsewhere.
	var c struct {
		Login     string `db:"login"`
		Territory string `db:"territory"`
		Inside    string `db:"inside"`
		Outside   string `db:"outside"`
	}
	err := db.Get(&c, `SELECT a.login, t.path AS territory,
			(SELECT id FROM structures WHERE territory_id = t.id AND id <> s.id ORDER BY id LIMIT 1) AS inside,
			(SELECT o.id FROM structures o JOIN territories ot ON ot.id = o.territory_id WHERE NOT within(ot.path, t.path) ORDER BY o.id LIMIT 1) AS outside
		FROM memberships m JOIN structures s ON s.id = m.structure_id AND s.kind = 'CPTS'
		JOIN territories t ON t.id = s.territory_id JOIN accounts a ON a.professional_id = m.professional_id
		WHERE m.role = 'COORDINATOR' ORDER BY a.login LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	var plain string // a professional with no role beyond "professional"
	if err := db.Get(&plain, `SELECT a.login FROM accounts a WHERE a.professional_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM authz_account_grants(a.id) g WHERE g.role <> 'professional') ORDER BY a.login LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	const rename = `mutation($id: ID!) { updateStructure(id: $id, input: {name: "Renommée"}) { id } }`
	h.ok(c.Login, rename, map[string]any{"id": c.Inside})
	h.fails(c.Login, rename, map[string]any{"id": c.Outside}, "FORBIDDEN", "")
	h.fails(plain, rename, map[string]any{"id": c.Inside}, "FORBIDDEN", "")
	h.ok("ars-84", rename, map[string]any{"id": c.Outside}) // the 10 departments are all in Auvergne-Rhône-Alpes
	grants := jpath(h.ok(c.Login, `{ me { grants { role domain } } }`, nil), "me.grants").([]any)
	found := false
	for _, g := range grants {
		found = found || jpath(g, "role") == "cpts_coordinator" && jpath(g, "domain") == c.Territory
	}
	if !found {
		t.Errorf("the coordinator's grants %v lack cpts_coordinator on %s", grants, c.Territory)
	}
	if n := db.Authz.CachedCallers(); n == 0 || n > 10 {
		t.Errorf("%d callers' grants cached, want those of the few callers seen", n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
