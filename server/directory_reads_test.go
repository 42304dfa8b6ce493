package server_test

import (
	"testing"

	"github.com/maillage/maillage/postgres"
)

// The dashboards' typical read — one local territory, its structures with
// their count, each structure's members with theirs, each member's
// professional — costs the same number of SQL statements for a page of 5
// structures as for a page of 50, measured once each: every level is one
// batch, sent when the level is known, never split by a timer.
func TestDashboardReadCostsTheSameStatementsWhateverThePageSize(t *testing.T) {
	h := seededHub(t)
	h.addStructures(60)
	local := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'`)
	const q = `query($t: ID!, $first: Int) { territory(id: $t) { name
		structures(first: $first) { totalCount edges { node { name
			members(first: 20) { totalCount edges { node { role professional { rpps lastName profession } } } } } } } } }`
	run := func(first int) (statements int64, structures, members int) {
		before := postgres.Statements()
		r := h.post("", q, map[string]any{"t": local, "first": first})
		statements = postgres.Statements() - before
		if r.Errors != nil {
			t.Fatalf("first %d: %v", first, r.Errors)
		}
		edges, _ := jpath(r.Data, "territory.structures.edges").([]any)
		for _, e := range edges {
			ms, _ := jpath(e, "node.members.edges").([]any)
			if total, _ := jpath(e, "node.members.totalCount").(float64); int(total) != len(ms) {
				t.Errorf("%v: members totalCount %v, %d edges", jpath(e, "node.name"), total, len(ms))
			}
			for _, m := range ms {
				if jpath(m, "node.professional.rpps") == nil {
					t.Fatalf("a member without its professional: %v", m)
				}
			}
			members += len(ms)
		}
		if total, _ := jpath(r.Data, "territory.structures.totalCount").(float64); total < 60 {
			t.Errorf("structures totalCount %v, want at least the 60 added", total)
		}
		return statements, len(edges), members
	}
	small, n5, m5 := run(5)
	large, n50, m50 := run(50)
	if n5 != 5 || n50 != 50 || m5 < 10 || m50 < 100 {
		t.Fatalf("pages of %d and %d structures with %d and %d members, want 5 and 50 with 2 members each at least", n5, n50, m5, m50)
	}
	if small != large {
		t.Fatalf("5 structures cost %d statements, 50 cost %d: want the same", small, large)
	}
	t.Logf("territory → 50 structures → %d members → professionals: %d SQL statements", m50, large)
}
