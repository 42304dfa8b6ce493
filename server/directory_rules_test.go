package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/maillage/maillage"
)

const createStructure = `mutation($in: CreateStructureInput!) { createStructure(input: $in) { id kind finess finessWarning commune } }`

// Corsica's departments are "2A" and "2B" wherever they are written:
// territory codes and paths, FINESS, commune codes (item 10 of issue 17).
func TestCorsicaHasOneCanonicalForm(t *testing.T) {
	h := seededHub(t)
	nation := h.id(`SELECT id FROM territories WHERE path = 'fr'`)
	const create = `mutation($p: ID!, $c: String!, $l: TerritoryLevel!) { createTerritory(input: {parentId: $p, code: $c, name: "Corse", level: $l}) { id code path } }`
	d := h.ok("admin", create, map[string]any{"p": nation, "c": "94", "l": "REGION"})
	corse := jpath(d, "createTerritory.id").(string)
	for _, c := range []struct {
		code, want string // want "" when refused
	}{
		{"2A", "fr/94/2A"},
		{"2b", "fr/94/2B"},
		{"2a", ""}, // already there as 2A
		{"2C", ""},
	} {
		r := h.as("admin", create, map[string]any{"p": corse, "c": c.code, "l": "DEPARTMENT"})
		if got, _ := jpath(r.Data, "createTerritory.path").(string); got != c.want {
			t.Errorf("createTerritory(%q): path %q (%+v), want %q", c.code, got, r.Errors, c.want)
		}
	}
	sud := h.id(`SELECT id FROM territories WHERE path = 'fr/94/2A'`)
	d = h.ok("admin", createStructure, map[string]any{"in": map[string]any{"kind": "EHPAD", "name": "EHPAD d'Ajaccio",
		"territoryId": sud, "finess": "2a0000010", "commune": "2a004"}})
	if jpath(d, "createStructure.finess") != "2A0000010" || jpath(d, "createStructure.commune") != "2A004" || jpath(d, "createStructure.finessWarning") != "" {
		t.Errorf("Corsican structure: %v", d)
	}
}

// A FINESS names a department: "00" is refused, a department other than
// the structure's is a warning (the structure may carry its legal entity's
// FINESS), never silently accepted (item 11).
func TestFINESSDepartmentIsChecked(t *testing.T) {
	h := seededHub(t)
	rouen := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'`)
	normandie := h.id(`SELECT id FROM territories WHERE path = 'fr/28'`)
	key := func(s string) string {
		for d := '0'; d <= '9'; d++ {
			if w, err := maillage.ValidateFINESS("f", s+string(d)); err == nil && w == "" {
				return s + string(d)
			}
		}
		panic(s)
	}
	for i, c := range []struct {
		finess, territory string
		code, warning     string
	}{
		{key("76099001"), rouen, "", ""},
		{key("69099002"), rouen, "", "department 69"},
		{key("27099003"), rouen, "", "department 27"},
		{key("69099004"), normandie, "", ""},
		{"00" + key("76099005")[2:], rouen, maillage.EINVALID, ""},
		{"000000000", rouen, maillage.EINVALID, ""},
	} {
		r := h.as("admin", createStructure, map[string]any{"in": map[string]any{"kind": "SSIAD",
			"name": fmt.Sprintf("SSIAD %d", i), "territoryId": c.territory, "finess": c.finess}})
		if r.code() != c.code {
			t.Errorf("%s: code %q (%+v), want %q", c.finess, r.code(), r.Errors, c.code)
			continue
		}
		w, _ := jpath(r.Data, "createStructure.finessWarning").(string)
		if (c.warning == "") != (w == "") || !strings.Contains(w, c.warning) {
			t.Errorf("%s: warning %q, want %q", c.finess, w, c.warning)
		}
	}
}

// The medico-social kinds source 004 names are kinds of their own (item 6).
func TestMedicoSocialKinds(t *testing.T) {
	h := seededHub(t)
	seine := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76'`)
	for _, kind := range []string{"FAM", "MAS", "PCPE", "ESA", "MJPM"} {
		d := h.ok("admin", createStructure, map[string]any{"in": map[string]any{"kind": kind, "name": kind + " Rouen", "territoryId": seine}})
		if jpath(d, "createStructure.kind") != kind {
			t.Errorf("%s: %v", kind, d)
		}
	}
	d := h.ok("", `{ structures(filter: {kinds: [MAS, MJPM]}, first: 50) { edges { node { kind } } } }`, nil)
	if n := len(jpath(d, "structures.edges").([]any)); n != 2 {
		t.Errorf("filter by the new kinds: %d structures, want 2", n)
	}
}
