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
	// Looked up as it was typed, by the root field and by a gateway's
	// federation key alike.
	d = h.ok("admin", `{ structure(finess: "2a0000010") { finess } }`, nil)
	if jpath(d, "structure.finess") != "2A0000010" {
		t.Errorf("structure(finess: 2a…): %v", d)
	}
	d = h.ok("admin", `{ _entities(representations: [{__typename: "Structure", finess: "2a0000010"}]) { ... on Structure { finess } } }`, nil)
	if got := fmt.Sprint(d["_entities"]); !strings.Contains(got, "2A0000010") {
		t.Errorf("_entities by finess 2a…: %v", d)
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

// Links join only the kinds the configured rules allow (item 7).
func TestLinksFollowTheConfiguredPairs(t *testing.T) {
	h := seededHub(t)
	seine := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76'`)
	mk := func(kind string, specialties ...string) string {
		in := map[string]any{"kind": kind, "name": kind + " " + fmt.Sprint(len(specialties)) + h.id(`SELECT md5(random()::text)`)[:6], "territoryId": seine}
		if specialties != nil {
			in["specialties"] = specialties
		}
		return jpath(h.ok("admin", createStructure, map[string]any{"in": in}), "createStructure.id").(string)
	}
	ids := map[string]string{"MSP": mk("MSP"), "ESP": mk("ESP"), "CPTS": mk("CPTS"), "DAC": mk("DAC"),
		"ESS": mk("ESS", "cardiologie"), "EHPAD": mk("EHPAD"), "MJPM": mk("MJPM"), "PTA": mk("PTA")}
	const link = `mutation($a: ID!, $b: ID!, $k: LinkKind!) { linkStructures(input: {fromId: $a, toId: $b, kind: $k}) { id } }`
	for _, c := range []struct {
		from, kind, to string
		ok             bool
	}{
		{"ESS", "ADHERES_TO", "CPTS", false},
		{"CPTS", "PART_OF", "MSP", false},
		{"DAC", "ADHERES_TO", "ESS", false},
		{"MSP", "PART_OF", "DAC", false},
		{"EHPAD", "PART_OF", "CPTS", false},
		{"MSP", "PART_OF", "CPTS", true},
		{"ESP", "PART_OF", "CPTS", true},
		{"PTA", "PART_OF", "DAC", true},
		{"ESS", "ADHERES_TO", "DAC", true},
		{"EHPAD", "WORKS_WITH", "DAC", true},
		{"MJPM", "WORKS_WITH", "DAC", true},
		{"DAC", "WORKS_WITH", "MJPM", false},
	} {
		r := h.as("admin", link, map[string]any{"a": ids[c.from], "b": ids[c.to], "k": c.kind})
		if c.ok && len(r.Errors) > 0 || !c.ok && (r.code() != maillage.EINVALID || r.Errors[0].Extensions["field"] != "input.kind") {
			t.Errorf("%s %s %s: %+v, want ok %v", c.from, c.kind, c.to, r.Errors, c.ok)
		}
	}
	d := h.ok("", `{ structureLinkRules { kind fromKind toKind } }`, nil)
	if rules := jpath(d, "structureLinkRules").([]any); len(rules) < 4 {
		t.Errorf("rules: %v", rules)
	}
	// The rules are configuration: a new pair is accepted once configured.
	h.exec(`INSERT INTO structure_link_rules VALUES ('ADHERES_TO', 'ESS', 'CPTS')`)
	if r := h.as("admin", link, map[string]any{"a": ids["ESS"], "b": ids["CPTS"], "k": "ADHERES_TO"}); len(r.Errors) > 0 {
		t.Errorf("configured pair refused: %+v", r.Errors)
	}
}

// An ESS gathers specialists of specialties other than general medicine (item 8).
func TestESSNeedsASpecialty(t *testing.T) {
	h := seededHub(t)
	seine := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76'`)
	for i, c := range []struct {
		specialties []string
		ok          bool
	}{
		{nil, false},
		{[]string{}, false},
		{[]string{"médecine générale"}, false},
		{[]string{"Médecine Générale"}, false},
		{[]string{"medecine generale", " "}, false},
		{[]string{"médecine générale", "gériatrie"}, true},
		{[]string{"dermatologie"}, true},
	} {
		in := map[string]any{"kind": "ESS", "name": fmt.Sprintf("ESS %d", i), "territoryId": seine}
		if c.specialties != nil {
			in["specialties"] = c.specialties
		}
		r := h.as("admin", createStructure, map[string]any{"in": in})
		if c.ok && len(r.Errors) > 0 || !c.ok && (r.code() != maillage.EINVALID || r.Errors[0].Extensions["field"] != "input.specialties") {
			t.Errorf("ESS %v: %+v, want ok %v", c.specialties, r.Errors, c.ok)
		}
	}
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS 6'`)
	const update = `mutation($s: ID!, $sp: [String!]) { updateStructure(id: $s, input: {specialties: $sp}) { id } }`
	if code := h.as("admin", update, map[string]any{"s": ess, "sp": []string{"médecine générale"}}).code(); code != maillage.EINVALID {
		t.Errorf("update to general medicine only: %q", code)
	}
	// Other kinds need no specialty.
	h.ok("admin", createStructure, map[string]any{"in": map[string]any{"kind": "MSP", "name": "MSP sans spécialité", "territoryId": seine}})
}

// A multi-site MSP or ESS describes its sites, each with its commune (item 9).
func TestMultiSiteStructures(t *testing.T) {
	h := seededHub(t)
	msp := h.id(`SELECT id FROM structures WHERE name = 'MSP de Bois-Guillaume'`)
	const set = `mutation($s: ID!, $sites: [StructureSiteInput!]!) { setStructureSites(structureId: $s, sites: $sites) { name commune } }`
	site := func(name, commune string) map[string]any { return map[string]any{"name": name, "commune": commune} }
	for _, c := range []struct {
		name  string
		sites []map[string]any
		field string
	}{
		{"two sites", []map[string]any{site("Bois-Guillaume", "76108"), site("Isneauville", "76377")}, ""},
		{"a Corsican site", []map[string]any{site("Ajaccio", "2a004")}, ""},
		{"a commune not INSEE", []map[string]any{site("Rouen", "Rouen")}, "sites[0].commune"},
		{"no name", []map[string]any{site("Bois-Guillaume", "76108"), site(" ", "76377")}, "sites[1].name"},
		{"twice the same", []map[string]any{site("Isneauville", "76377"), site("isneauville", "76377")}, "sites[1].name"},
		{"three sites", []map[string]any{site("Bois-Guillaume", "76108"), site("Isneauville", "76377"), site("Darnétal", "76212")}, ""},
	} {
		r := h.as("admin", set, map[string]any{"s": msp, "sites": c.sites})
		if c.field == "" && len(r.Errors) > 0 || c.field != "" && (r.code() != maillage.EINVALID || r.Errors[0].Extensions["field"] != c.field) {
			t.Errorf("%s: %+v, want %q", c.name, r.Errors, c.field)
		}
	}
	d := h.ok("", `query($s: ID!) { node(id: $s) { ... on Structure { commune sites { name commune } } } }`, map[string]any{"s": msp})
	if jpath(d, "node.sites.2.commune") != "76212" || jpath(d, "node.sites.0.name") != "Bois-Guillaume" || jpath(d, "node.sites.3") != nil {
		t.Errorf("sites: %v", d)
	}
	if code := h.as(durand, set, map[string]any{"s": msp, "sites": []map[string]any{}}).code(); code != maillage.EFORBIDDEN {
		t.Errorf("a member rewrites the sites: %q", code)
	}
}
