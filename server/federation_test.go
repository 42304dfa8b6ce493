package server_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// The gateway asks for the subgraph SDL anonymously: _service must answer
// whatever anonymous callers may introspect.
func TestServiceSDLAnswersAnonymousCallers(t *testing.T) {
	h := seededHub(t)
	r := h.post("", `{ _service { sdl } }`, nil)
	sdl, _ := r.Data["_service"].(map[string]any)["sdl"].(string)
	if r.Errors != nil || sdl == "" {
		t.Fatalf("_service: %v %v", r.Data, r.Errors)
	}
	for _, want := range []string{
		`@link(url: "https://specs.apollo.dev/federation/v2`,
		`type Structure implements Node @key(fields: "id") @key(fields: "finess")`,
		`type Professional implements Node @key(fields: "id") @key(fields: "rpps")`,
		`type Territory implements Node @key(fields: "id")`,
	} {
		if !strings.Contains(sdl, want) {
			t.Errorf("SDL lacks %s", want)
		}
	}
}

// _entities goes through the same loaders, hence the same authorization, as
// the root fields: for each caller it answers what structure(id:),
// structure(finess:) and professional(rpps:) answer, and null (no error, no
// data) for what does not exist or may not be seen.
func TestEntitiesAnswerWhatRootFieldsAnswer(t *testing.T) {
	h := seededHub(t)
	finess := h.id(`SELECT finess FROM structures WHERE name = $1`, "CPTS Rouen Nord")
	structureID := h.id(`SELECT id FROM structures WHERE name = 'CPTS Rouen Nord'`)
	const entities = `query($r: [_Any!]!) { _entities(representations: $r) {
		... on Structure { id name } ... on Professional { id lastName } ... on Territory { id name } } }`
	reps := []map[string]any{
		{"__typename": "Structure", "id": structureID},
		{"__typename": "Structure", "finess": finess},
		{"__typename": "Professional", "rpps": "10003456781"},
		{"__typename": "Structure", "id": "str_00000000000000000000000000000000"},
		{"__typename": "Structure", "finess": "000000000"},
		{"__typename": "Professional", "rpps": "10000000000"},
		{"__typename": "Territory", "id": "ter_nope"},
	}
	for _, login := range []string{"", "10003456781", "admin"} {
		token := ""
		if login != "" {
			token = h.token(login)
		}
		r := h.post(token, entities, map[string]any{"r": reps})
		if r.Errors != nil {
			t.Fatalf("%q: _entities errors %v", login, r.Errors)
		}
		root := h.post(token, `query($id: ID, $finess: String, $rpps: String) {
			a: structure(id: $id) { id name } b: structure(finess: $finess) { id name } c: professional(rpps: $rpps) { id lastName } }`,
			map[string]any{"id": structureID, "finess": finess, "rpps": "10003456781"})
		if login == "admin" && (root.Data["a"] == nil || root.Data["b"] == nil || root.Data["c"] == nil) {
			t.Fatalf("admin sees nothing through the root fields: %v %v", root.Data, root.Errors)
		}
		want := []any{root.Data["a"], root.Data["b"], root.Data["c"], nil, nil, nil, nil}
		got, _ := json.Marshal(r.Data["_entities"])
		wantJSON, _ := json.Marshal(want)
		if string(got) != string(wantJSON) {
			t.Errorf("%q: _entities = %s, root fields say %s", login, got, wantJSON)
		}
	}
}
