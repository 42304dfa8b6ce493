package server_test

import (
	"fmt"
	"testing"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// The dashboards' typical read — one local territory, its structures with
// their count, each structure's members with theirs, each member's
// professional — costs the same number of SQL statements for a page of 5
// structures as for a page of 50, measured once each: every level is one
// batch, sent when the level is known, never split by a timer. So it is
// as a direct read and through the executor.
func TestDashboardReadCostsTheSameStatementsWhateverThePageSize(t *testing.T) {
	for _, cfg := range []server.Config{{}, {ExecutorOnly: true}} {
		t.Run(fmt.Sprintf("executor only %v", cfg.ExecutorOnly), func(t *testing.T) {
			dashboardReadStatements(t, cfg)
		})
	}
}

func dashboardReadStatements(t *testing.T, cfg server.Config) {
	h := newHub(t, pgtest.Seeded(t), cfg)
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

// A membership's professional is read with the membership on every path
// that yields memberships — a nested page under several aliases, a page
// below an object whose level is not recorded (_entities), node(id), the
// mutations — and is the membership's own professional on each.
func TestMembershipProfessionalOnEveryPath(t *testing.T) {
	h := seededHub(t)
	var m struct {
		ID           string `db:"id"`
		Structure    string `db:"structure_id"`
		Professional string `db:"professional_id"`
		RPPS         string `db:"rpps"`
	}
	if err := h.db.Get(&m, `SELECT m.id, m.structure_id, m.professional_id, p.rpps FROM memberships m
		JOIN professionals p ON p.id = m.professional_id WHERE m.ended_at IS NULL ORDER BY m.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	rppsOf := func(id string) string {
		return h.id(`SELECT p.rpps FROM memberships m JOIN professionals p ON p.id = m.professional_id WHERE m.id = $1`, id)
	}
	// Every edge's professional (under any alias) is the membership's own.
	checkPage := func(page any, alias string) int {
		edges, _ := jpath(page, "edges").([]any)
		for _, e := range edges {
			if got, want := jpath(e, "node."+alias+".rpps"), rppsOf(jpath(e, "node.id").(string)); got != want {
				t.Fatalf("membership %v: professional %v, want %s", jpath(e, "node.id"), got, want)
			}
		}
		return len(edges)
	}
	const nested = `query($s: ID!, $p: ID!) {
		structure(id: $s) {
			a: members { edges { node { id professional { rpps } } } }
			b: members(first: 1) { edges { node { id who: professional { rpps } professional { lastName } } } } }
		professional(id: $p) { memberships { edges { node { id professional { rpps } } } } } }`
	d := h.ok("", nested, map[string]any{"s": m.Structure, "p": m.Professional})
	if checkPage(jpath(d, "structure.a"), "professional") == 0 || checkPage(jpath(d, "structure.b"), "who") != 1 ||
		checkPage(jpath(d, "professional.memberships"), "professional") == 0 {
		t.Fatalf("empty pages: %v", d)
	}
	if jpath(d, "structure.b.edges.0.node.professional.lastName") == nil {
		t.Fatalf("the second alias of the professional: %v", d)
	}
	const entities = `query($r: [_Any!]!) { _entities(representations: $r) {
		... on Structure { members { edges { node { id professional { rpps } } } } } } }`
	d = h.ok("admin", entities, map[string]any{"r": []any{map[string]any{"__typename": "Structure", "id": m.Structure}}})
	if checkPage(jpath(d, "_entities.0.members"), "professional") == 0 {
		t.Fatalf("_entities: no members: %v", d)
	}
	const node = `query($id: ID!) { node(id: $id) { ... on Membership { professional { rpps } } } }`
	if got := jpath(h.ok("", node, map[string]any{"id": m.ID}), "node.professional.rpps"); got != m.RPPS {
		t.Fatalf("node(id): professional %v, want %s", got, m.RPPS)
	}
	other := h.id(`SELECT id FROM structures WHERE id NOT IN (SELECT structure_id FROM memberships WHERE professional_id = $1) ORDER BY id LIMIT 1`, m.Professional)
	const add = `mutation($p: ID!, $s: ID!) { addMembership(input: {professionalId: $p, structureId: $s, role: MEMBER}) { id professional { rpps } } }`
	d = h.ok("admin", add, map[string]any{"p": m.Professional, "s": other})
	if got := jpath(d, "addMembership.professional.rpps"); got != m.RPPS {
		t.Fatalf("addMembership: professional %v, want %s", got, m.RPPS)
	}
	const end = `mutation($id: ID!) { endMembership(id: $id) { professional { rpps } } }`
	if got := jpath(h.ok("admin", end, map[string]any{"id": jpath(d, "addMembership.id")}), "endMembership.professional.rpps"); got != m.RPPS {
		t.Fatalf("endMembership: professional %v, want %s", got, m.RPPS)
	}
}

// An edge's cursor, encoded only when asked for, pages on from that edge:
// walking a structure's members and a territory's structures two by two
// with the last edge's cursor reads each once, in order.
func TestEdgeCursorsPageOn(t *testing.T) {
	h := seededHub(t)
	h.addStructures(5)
	local := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'`)
	structure := h.id(`SELECT structure_id FROM memberships WHERE ended_at IS NULL GROUP BY structure_id ORDER BY count(*) DESC, structure_id LIMIT 1`)
	walk := func(q, list string, vars map[string]any) (ids []string, total int) {
		var after any
		for range 50 {
			vars["after"] = after
			page := jpath(h.ok("", q, vars), list)
			edges, _ := jpath(page, "edges").([]any)
			for _, e := range edges {
				ids = append(ids, jpath(e, "node.id").(string))
				after = jpath(e, "cursor")
			}
			if len(edges) > 0 && after != jpath(page, "pageInfo.endCursor") {
				t.Fatalf("%s: the last edge's cursor %v is not the page's end cursor %v", list, after, jpath(page, "pageInfo.endCursor"))
			}
			if jpath(page, "pageInfo.hasNextPage") != true {
				return ids, int(jpath(page, "totalCount").(float64))
			}
		}
		t.Fatalf("%s: more than 50 pages", list)
		return nil, 0
	}
	for _, c := range []struct {
		q, list string
		vars    map[string]any
	}{
		{`query($s: ID!, $after: String) { structure(id: $s) { members(first: 2, after: $after) {
			totalCount edges { cursor node { id } } pageInfo { endCursor hasNextPage } } } }`, "structure.members", map[string]any{"s": structure}},
		{`query($t: ID!, $after: String) { territory(id: $t) { structures(first: 2, after: $after) {
			totalCount edges { cursor node { id } } pageInfo { endCursor hasNextPage } } } }`, "territory.structures", map[string]any{"t": local}},
	} {
		ids, total := walk(c.q, c.list, c.vars)
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%s: %s read twice", c.list, id)
			}
			seen[id] = true
		}
		if len(ids) != total || total < 3 {
			t.Fatalf("%s: %d read by pages of 2, totalCount %d", c.list, len(ids), total)
		}
	}
}
