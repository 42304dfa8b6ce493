package server_test

import (
	"fmt"
	"testing"

	"github.com/maillage/maillage/postgres"
)

// addLocalTerritories adds n LOCAL territories under Seine-Maritime, each
// with one MSP, and returns their count with the seeded LOCAL ones.
func (h *hub) addLocalTerritories(n int) int {
	h.t.Helper()
	const q = `WITH t AS (
		INSERT INTO territories (code, name, level, path, parent_id)
		SELECT 'test-' || lpad(i::text, 3, '0'), 'Test ' || lpad(i::text, 3, '0'), 'LOCAL',
			'fr/28/76/test-' || lpad(i::text, 3, '0'), (SELECT id FROM territories WHERE path = 'fr/28/76')
		FROM generate_series(1, $1) i RETURNING id, code)
		INSERT INTO structures (kind, name, territory_id) SELECT 'MSP', 'MSP ' || t.code, t.id FROM t`
	h.exec(q, n)
	var total int
	if err := h.db.Get(&total, `SELECT count(*) FROM territories WHERE level = 'LOCAL'`); err != nil {
		h.t.Fatal(err)
	}
	return total
}

// A page of territories with their children's and structures' connections
// costs the same few statements whatever its size: each nested page and
// each nested count is loaded for every parent of the page in one statement.
func TestNestedConnectionsCostAConstantNumberOfStatements(t *testing.T) {
	h := seededHub(t)
	if total := h.addLocalTerritories(60); total < 60 {
		t.Fatalf("%d LOCAL territories", total)
	}
	const q = `query($first: Int) { territories(first: $first, filter: {level: LOCAL}) { edges { node {
		path children { totalCount } structures { totalCount edges { node { name } } } } } } }`
	// Each size is measured once: every level is one batch, sent when the
	// level is known, so no run may cost more than another.
	statements := func(first int) int64 {
		before := postgres.Statements()
		r := h.post("", q, map[string]any{"first": first})
		n := postgres.Statements() - before
		if r.Errors != nil {
			t.Fatalf("first %d: %v", first, r.Errors)
		}
		edges := r.Data["territories"].(map[string]any)["edges"].([]any)
		if len(edges) != first {
			t.Fatalf("first %d: %d territories", first, len(edges))
		}
		for _, e := range edges {
			node := e.(map[string]any)["node"].(map[string]any)
			if n := jpath(node, "children.totalCount"); n != float64(0) {
				t.Fatalf("%s: a LOCAL territory has %v children", node["path"], n)
			}
			s := node["structures"].(map[string]any)
			if got := s["totalCount"]; got != float64(len(s["edges"].([]any))) {
				t.Fatalf("%s: totalCount %v for %d structures", node["path"], got, len(s["edges"].([]any)))
			}
			var code string
			if _, err := fmt.Sscanf(node["path"].(string), "fr/28/76/test-%s", &code); err == nil {
				if name := jpath(s["edges"].([]any)[0], "node.name"); name != "MSP test-"+code {
					t.Fatalf("%s: structure %v", node["path"], name)
				}
			}
		}
		return n
	}
	// The page, the children pages (none for LOCAL ones, still asked in one
	// batch), their counts, the structures pages with their counts.
	small, large := statements(5), statements(60)
	if small != large || large > 4 {
		t.Fatalf("5 territories cost %d statements, 60 cost %d: want the same, at most 4", small, large)
	}
	t.Logf("a page of 60 territories with nested connections: %d SQL statements", large)
}

// _entities resolves representations by natural key (RPPS, FINESS) in one
// batch per key, not one statement per representation.
func TestEntitiesByNaturalKeyCostAConstantNumberOfStatements(t *testing.T) {
	h := seededHub(t)
	const add = `INSERT INTO professionals (rpps, first_name, last_name, profession)
		SELECT lpad((20000000000 + i)::text, 11, '0'), 'Test', 'Test ' || i, 'Infirmier' FROM generate_series(1, 20) i;
		INSERT INTO structures (kind, name, territory_id, finess)
		SELECT 'MSP', 'MSP finess ' || i, (SELECT id FROM territories WHERE path = 'fr/28/76'), lpad((900000000 + i)::text, 9, '0')
		FROM generate_series(1, 20) i`
	if _, err := h.db.Exec(add); err != nil {
		t.Fatal(err)
	}
	const q = `query($r: [_Any!]!) { _entities(representations: $r) {
		... on Professional { rpps lastName } ... on Structure { finess name } } }`
	statements := func(n int) int64 {
		var reps []map[string]any
		for i := 1; i <= n; i++ {
			reps = append(reps, map[string]any{"__typename": "Professional", "rpps": fmt.Sprintf("%011d", 20000000000+i)},
				map[string]any{"__typename": "Structure", "finess": fmt.Sprintf("%09d", 900000000+i)})
		}
		return fewestStatements(t, func() {
			r := h.post("", q, map[string]any{"r": reps})
			if r.Errors != nil {
				t.Fatalf("%d: %v", n, r.Errors)
			}
			got := r.Data["_entities"].([]any)
			for i := 1; i <= n; i++ {
				p, s := got[2*i-2].(map[string]any), got[2*i-1].(map[string]any)
				if p["lastName"] != fmt.Sprintf("Test %d", i) || s["name"] != fmt.Sprintf("MSP finess %d", i) {
					t.Fatalf("representation %d: %v %v", i, p, s)
				}
			}
		})
	}
	// One statement for the professionals by RPPS, one for the structures by
	// FINESS.
	const bound = 2
	one, twenty := statements(1), statements(20)
	if one > bound || twenty > bound {
		t.Fatalf("1 RPPS and 1 FINESS cost %d statements, 20 of each %d: want at most %d", one, twenty, bound)
	}
}

// A page of territories of every level gets each one's own children, at the
// level below its own, counted with the page, in one batch per child level.
func TestChildrenOfTerritoriesOfMixedLevels(t *testing.T) {
	h := seededHub(t)
	const q = `{ territories(first: 50) { edges { node { id level
		children(first: 50) { totalCount edges { node { level parent { id } } } } } } } }`
	d := h.ok("", q, nil)
	edges, _ := jpath(d, "territories.edges").([]any)
	levels := map[any]bool{}
	for _, e := range edges {
		node := jpath(e, "node").(map[string]any)
		levels[node["level"]] = true
		var want int
		if err := h.db.Get(&want, `SELECT count(*) FROM territories WHERE parent_id = $1`, node["id"]); err != nil {
			t.Fatal(err)
		}
		children, _ := jpath(node, "children.edges").([]any)
		if got := jpath(node, "children.totalCount"); got != float64(want) || len(children) != want {
			t.Fatalf("%s %s: totalCount %v and %d children, want %d", node["level"], node["id"], got, len(children), want)
		}
		for _, c := range children {
			if jpath(c, "node.parent.id") != node["id"] {
				t.Fatalf("%s: a child of %v", node["id"], jpath(c, "node.parent.id"))
			}
		}
	}
	if len(levels) < 3 {
		t.Fatalf("territories of levels %v: want a page of several levels", levels)
	}
}

// Structures' links, the linked structures, their territories and those
// territories' parents resolve level by level: a page of 5 structures costs
// the same statements as a page of 40, measured once each.
func TestLinksAndParentsCostTheSameStatementsWhateverThePageSize(t *testing.T) {
	h := seededHub(t)
	h.addStructures(40)
	const link = `INSERT INTO structure_links (from_id, to_id, kind)
		SELECT s.id, (SELECT id FROM structures WHERE kind = 'CPTS' ORDER BY id LIMIT 1), 'ADHERES_TO'
		FROM structures s WHERE s.name LIKE 'MSP test %'`
	h.exec(link)
	const q = `query($first: Int) { structures(first: $first, filter: {search: "MSP test"}) { edges { node { name
		links { kind from { name } to { name territory { name parent { name } } } } } } } }`
	run := func(first int) int64 {
		before := postgres.Statements()
		r := h.post("", q, map[string]any{"first": first})
		n := postgres.Statements() - before
		if r.Errors != nil {
			t.Fatalf("first %d: %v", first, r.Errors)
		}
		edges, _ := jpath(r.Data, "structures.edges").([]any)
		if len(edges) != first {
			t.Fatalf("first %d: %d structures", first, len(edges))
		}
		for _, e := range edges {
			l := jpath(e, "node.links.0")
			if jpath(l, "from.name") != jpath(e, "node.name") || jpath(l, "to.territory.parent.name") == nil {
				t.Fatalf("%v: link %v", jpath(e, "node.name"), l)
			}
		}
		return n
	}
	small, large := run(5), run(40)
	if small != large {
		t.Fatalf("5 structures cost %d statements, 40 cost %d: want the same", small, large)
	}
	t.Logf("structures → links → from, to → territory → parent: %d SQL statements", large)
}
