package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/maillage/maillage/postgres"
)

// addStructures adds n MSPs with two members each in CPTS Rouen Nord.
func (h *hub) addStructures(n int) {
	h.t.Helper()
	const q = `WITH s AS (
		INSERT INTO structures (kind, name, territory_id)
		SELECT 'MSP', 'MSP test ' || lpad(i::text, 3, '0'), (SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord')
		FROM generate_series(1, $1) i RETURNING id)
		INSERT INTO memberships (professional_id, structure_id, role)
		SELECT p.id, s.id, 'MEMBER' FROM s CROSS JOIN (SELECT id FROM professionals ORDER BY rpps LIMIT 2) p`
	h.exec(q, n)
}

func TestListsCostAConstantNumberOfStatements(t *testing.T) {
	h := seededHub(t)
	h.addStructures(60)
	const q = `query($first: Int) { structures(first: $first) { totalCount edges { node {
		name territory { name parent { name parent { name } } }
		members { totalCount edges { node { role professional { lastName rpps } structure { kind } } } }
		links { kind to { name } } } } } }`
	statements := func(first int) (int64, int) {
		var n int
		cost := fewestStatements(t, func() {
			r := h.post("", q, map[string]any{"first": first})
			if r.Errors != nil {
				t.Fatalf("first %d: %v", first, r.Errors)
			}
			n = len(r.Data["structures"].(map[string]any)["edges"].([]any))
		})
		return cost, n
	}
	// One statement per level of each loader, whatever the page size: the
	// page, its count, the territories (3 levels), the members, their
	// professionals, the members' structures, the links and their targets.
	// Two loads of one loader at one level may share a batch, so fewer is fine.
	const bound = 10
	small, n5 := statements(5)
	large, n50 := statements(50)
	if n5 != 5 || n50 != 50 {
		t.Fatalf("pages of %d and %d structures, want 5 and 50", n5, n50)
	}
	if small > bound || large > bound {
		t.Fatalf("5 structures cost %d statements, 50 cost %d: want at most %d whatever the page size", small, large, bound)
	}
	t.Logf("a page of 50 structures with nested lists: %d SQL statements", large)
}

func TestBadInputGetsACodedError(t *testing.T) {
	h := seededHub(t)
	admin := h.token("admin")
	deep := "{ territories(first: 1) { edges { node { " + strings.Repeat("parent { ", 40) + "name" + strings.Repeat(" }", 40) + " } } } }"
	for _, tc := range []struct {
		name, token, query string
		vars               map[string]any
		code, field        string
	}{
		{"bad RPPS", admin, `mutation { createProfessional(input: {rpps: "123", firstName: "A", lastName: "B", profession: "Médecin"}) { id } }`, nil, "BAD_USER_INPUT", "input.rpps"},
		{"unknown territory", admin, `mutation { createStructure(input: {kind: MSP, name: "X", territoryId: "ter_nope"}) { id } }`, nil, "BAD_USER_INPUT", "input.territoryId"},
		{"not a cursor", "", `{ structures(first: 5, after: "garbage") { totalCount } }`, nil, "BAD_USER_INPUT", "after"},
		{"page too large", "", `{ professionals(first: 500) { totalCount } }`, nil, "BAD_USER_INPUT", "first"},
		{"40 levels deep", "", deep, nil, "BAD_USER_INPUT", ""},
		{"too complex", "", `{ structures(first: 100) { edges { node { members(first: 100) { edges { node { professional { memberships(first: 100) { edges { node { role } } } } } } } } } } }`, nil, "COMPLEXITY_LIMIT_EXCEEDED", ""},
		{"unknown field", "", `{ structures { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED", ""},
		{"not GraphQL", "", `{ structures(`, nil, "GRAPHQL_PARSE_FAILED", ""},
		{"a time that is not one", admin, `{ referralStats(essId: "str_x", from: "2026-02-30T00:00:00Z", to: "2026-03-01T00:00:00Z") { sameDayShare } }`, nil, "BAD_USER_INPUT", "referralStats.from"},
		{"a NUL in a variable", admin, `mutation($in: CreateStructureInput!) { createStructure(input: $in) { id } }`, map[string]any{"in": map[string]any{"kind": "MSP", "name": "a\x00b", "territoryId": "ter_x"}}, "BAD_USER_INPUT", "$in.name"},
		{"a 40 kB literal", admin, `mutation { createStructure(input: {kind: MSP, name: "` + strings.Repeat("é", 20000) + `", territoryId: "ter_x"}) { id } }`, nil, "BAD_USER_INPUT", "input.name"},
		{"a 300-character name", admin, `mutation { createStructure(input: {kind: MSP, name: "` + strings.Repeat("n", 300) + `", territoryId: "ter_x"}) { id } }`, nil, "BAD_USER_INPUT", "input.name"},
		{"a cursor hiding a NUL", "", `query($after: String) { structures(first: 5, after: $after) { totalCount } }`, map[string]any{"after": "WyJhXHUwMDAwYiIsIngiXQ"}, "BAD_USER_INPUT", "after"},
		{"an entity of no such type", "", `{ _entities(representations: [{__typename: "Patient", id: "pat_x"}]) { __typename } }`, nil, "BAD_USER_INPUT", "_entities"},
		{"an entity without its key", "", `{ _entities(representations: [{__typename: "Structure", foo: 1}]) { __typename } }`, nil, "BAD_USER_INPUT", ""},
		{"an entity with no type", "", `{ _entities(representations: [{id: "str_x"}]) { __typename } }`, nil, "BAD_USER_INPUT", ""},
		{"introspection 26 levels deep", "", "{ __schema { types { " + strings.Repeat("fields { type { ", 12) + "name" + strings.Repeat(" } }", 12) + " } } }", nil, "GRAPHQL_VALIDATION_FAILED", ""},
		{"anonymous write", "", `mutation { createStructure(input: {kind: MSP, name: "X", territoryId: "ter_nope"}) { id } }`, nil, "UNAUTHENTICATED", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.post(tc.token, tc.query, tc.vars)
			if r.code() != tc.code {
				t.Fatalf("status %d, errors %+v: want code %s", r.Status, r.Errors, tc.code)
			}
			if r.Status >= 500 {
				t.Fatalf("status %d", r.Status)
			}
			if tc.field != "" && r.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("field %v, want %s", r.Errors[0].Extensions["field"], tc.field)
			}
		})
	}
}

func TestAFiveMegabyteBodyIsRefused(t *testing.T) {
	h := seededHub(t)
	body := `{"query": "{ me { login } }", "variables": {"pad": "` + strings.Repeat("x", 5<<20) + `"}}`
	before := postgres.Statements()
	req, _ := http.NewRequest(http.MethodPost, h.url+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	r := h.do(req)
	if r.Status != http.StatusRequestEntityTooLarge || r.code() != "BAD_USER_INPUT" {
		t.Fatalf("status %d code %q, want 413 BAD_USER_INPUT", r.Status, r.code())
	}
	if n := postgres.Statements() - before; n != 0 {
		t.Fatalf("a refused body ran %d SQL statements", n)
	}
}

func TestNodeFindsEveryKindByGlobalID(t *testing.T) {
	h := seededHub(t)
	structure := h.id(`SELECT id FROM structures WHERE name = 'CPTS Rouen Nord'`)
	territory := h.id(`SELECT id FROM territories WHERE path = 'fr/28'`)
	professional := h.id(`SELECT id FROM professionals WHERE rpps = '10003456781'`)
	membership := h.id(`SELECT m.id FROM memberships m JOIN professionals p ON p.id = m.professional_id WHERE p.rpps = '10003456781' AND m.role = 'COORDINATOR'`)
	link := h.id(`SELECT l.id FROM structure_links l JOIN structures s ON s.id = l.from_id WHERE s.name = 'ESS Dermatologie Rouen Métropole'`)
	for id, want := range map[string]string{
		membership:   `{"__typename":"Membership","id":"` + membership + `","role":"COORDINATOR"}`,
		link:         `{"__typename":"StructureLink","id":"` + link + `","kind":"ADHERES_TO"}`,
		structure:    `{"__typename":"Structure","id":"` + structure + `","name":"CPTS Rouen Nord"}`,
		territory:    `{"__typename":"Territory","id":"` + territory + `","name":"Normandie"}`,
		professional: `{"__typename":"Professional","id":"` + professional + `","lastName":"Lefebvre"}`,
		"str_nope":   `null`,
		"garbage":    `null`,
	} {
		r := h.post("", `query($id: ID!) { node(id: $id) { __typename id ... on Structure { name } ... on Territory { name }
			... on Professional { lastName } ... on Membership { role } ... on StructureLink { kind } } }`, map[string]any{"id": id})
		got, _ := json.Marshal(r.Data["node"])
		if string(got) != want || r.Errors != nil {
			t.Errorf("node(%s) = %s %v, want %s", id, got, r.Errors, want)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	h := seededHub(t)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		res, err := http.Get(h.url + path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != 200 || body["status"] != want {
			t.Errorf("%s: %d %v", path, res.StatusCode, body)
		}
	}
}

func TestGETRunsQueries(t *testing.T) {
	h := seededHub(t)
	req, _ := http.NewRequest(http.MethodGet, h.url+"/graphql?query="+
		strings.ReplaceAll(`{ structure(finess: "FINESS") { name } }`, "FINESS", h.id(`SELECT finess FROM structures WHERE name = $1`, "CPTS Rouen Nord")), nil)
	req.URL.RawQuery = req.URL.Query().Encode()
	r := h.do(req)
	if got := fmt.Sprint(r.Data["structure"]); got != "map[name:CPTS Rouen Nord]" {
		t.Fatalf("GET structure by FINESS: %s %v", got, r.Errors)
	}
}
