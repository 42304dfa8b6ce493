package server_test

import (
	"fmt"
	"testing"

	"github.com/maillage/maillage"
)

const rulesQuery = `{ escapRules {
	situations { code label minAge eventWithinMonths requiresHospitalisation requiresInsulin }
	grid { size threshold items { number label } }
	pregnantGrid { size threshold items { number label } }
	minTeamSize termMonths renewalWindowDays incentiveTeams incentiveTeamsEuros incentiveToolEuros capPerProfessionalYear
	experiment { start end running liveRegionCodes liveRegions { path name } } } }`

// The rules a portal shows (situations and grid items by label, thresholds,
// the experiment's window and live regions) are readable by anyone, and are
// the configuration in force, not constants of the schema.
func TestESCAPRulesAreReadable(t *testing.T) {
	h := seededHub(t)
	for _, login := range []string{"", durand, "ars-normandie"} {
		d := h.ok(login, rulesQuery, nil)
		r := func(p string) any { return jpath(d, "escapRules."+p) }
		for _, c := range []struct {
			path string
			want any
		}{
			{"situations.0.code", maillage.SituationChronicPolypathology},
			{"situations.0.minAge", 65.0},
			{"situations.2.code", maillage.SituationCardiacEvent},
			{"situations.2.eventWithinMonths", 12.0},
			{"situations.2.requiresHospitalisation", true},
			{"situations.3.requiresInsulin", true},
			{"situations.1.label", "Soins palliatifs"},
			{"grid.size", 26.0},
			{"grid.threshold", 13.0},
			{"grid.items.0.number", 1.0},
			{"grid.items.25.number", 26.0},
			{"grid.items.26", nil},
			{"pregnantGrid.size", 28.0},
			{"pregnantGrid.threshold", 14.0},
			{"pregnantGrid.items.27.number", 28.0},
			{"minTeamSize", 3.0},
			{"termMonths", 12.0},
			{"renewalWindowDays", 60.0},
			{"incentiveTeams", 5.0},
			{"capPerProfessionalYear", 20.0},
			{"experiment.start", "2025-03-24"},
			{"experiment.end", "2028-03-23"},
			{"experiment.liveRegionCodes.1", "84"},
			{"experiment.liveRegions.0.path", "fr/28"},
			{"experiment.liveRegions.1.path", "fr/84"},
		} {
			if got := r(c.path); got != c.want {
				t.Errorf("%q: %s = %v, want %v", login, c.path, got, c.want)
			}
		}
		if l, _ := r("grid.items.12.label").(string); l == "" {
			t.Errorf("grid item 13 has no label: %v", r("grid.items.12"))
		}
	}

	// Labels and the window come from the stored configuration.
	labels := make([]string, 26)
	for i := range labels {
		labels[i] = fmt.Sprintf("Item %d", i+1)
	}
	h.exec(`UPDATE escap_settings SET config = config || jsonb_build_object('gridItemLabels', $1::jsonb, 'liveRegions', '["84"]'::jsonb)`,
		fmt.Sprintf(`["%s"]`, joinQuoted(labels)))
	d := h.ok("", rulesQuery, nil)
	if jpath(d, "escapRules.grid.items.12.label") != "Item 13" || jpath(d, "escapRules.experiment.liveRegions.0.path") != "fr/84" ||
		jpath(d, "escapRules.experiment.liveRegions.1") != nil {
		t.Errorf("stored labels or regions not shown: %v", jpath(d, "escapRules.experiment"))
	}
}

func joinQuoted(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += `", "`
		}
		out += x
	}
	return out
}

// A stored configuration that does not validate (written around the API)
// is the operator's error: INTERNAL on every call that needs it, never
// BAD_USER_INPUT, whatever the caller sent.
func TestBrokenStoredESCAPConfigIsInternal(t *testing.T) {
	h := seededHub(t)
	patient := h.id(`SELECT id FROM patients WHERE family_name = 'Dupont'`)
	const check = `query($in: ESCAPAssessmentInput!) { checkESCAPEligibility(input: $in) { eligible } }`
	vars := map[string]any{"in": map[string]any{"patientId": patient, "situation": "PALLIATIVE", "grid": gridVars(13)}}
	for _, c := range []struct {
		name, patch string
		broken      bool
	}{
		{"threshold at the grid's size", `{"gridThreshold": 26}`, false},
		{"threshold one above", `{"gridThreshold": 27}`, true},
		{"threshold 30 of 26", `{"gridThreshold": 30}`, true},
		{"pregnant threshold above", `{"pregnantGridThreshold": 29}`, true},
		{"labels one short", `{"gridItemLabels": ["a"]}`, true},
		{"negative renewal window", `{"renewalWindowDays": -1}`, true},
		{"region not INSEE", `{"liveRegions": ["Normandie"]}`, true},
		{"not JSON of the right type", `{"gridItems": "26"}`, true},
	} {
		h.exec(`UPDATE escap_settings SET config = (SELECT config FROM escap_settings) || $1::jsonb`, c.patch)
		want := ""
		if c.broken {
			want = maillage.EINTERNAL
		}
		if got := h.as(durand, check, vars).code(); got != want {
			t.Errorf("%s: checkESCAPEligibility code %q, want %q", c.name, got, want)
		}
		if got := h.as("", rulesQuery, nil).code(); got != want {
			t.Errorf("%s: escapRules code %q, want %q", c.name, got, want)
		}
		h.exec(`UPDATE escap_settings SET config = config - 'gridThreshold' - 'pregnantGridThreshold' - 'gridItemLabels' - 'renewalWindowDays' - 'liveRegions' - 'gridItems'`)
	}
}

// The rules are validated when written, as a whole: a refused write names
// the key at fault and changes nothing; only a national administrator
// writes (item 14 of issue 17).
func TestESCAPRulesAreValidatedWhenWritten(t *testing.T) {
	h := seededHub(t)
	const update = `mutation($in: UpdateESCAPRulesInput!) { updateESCAPRules(input: $in) { grid { size threshold } renewalWindowDays experiment { end } } }`
	stored := func() string { return h.id(`SELECT config::text FROM escap_settings`) }
	labels := func(n int) []string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprintf("Critère %d", i+1)
		}
		return l
	}
	for _, c := range []struct {
		name  string
		in    map[string]any
		field string // "" when accepted
	}{
		{"threshold at the grid's size", map[string]any{"gridThreshold": 26}, ""},
		{"threshold one above", map[string]any{"gridThreshold": 27}, "input.gridThreshold"},
		{"threshold 30 of 26", map[string]any{"gridThreshold": 30}, "input.gridThreshold"},
		{"threshold 30 of a grid of 30", map[string]any{"gridItems": 30, "gridThreshold": 30}, ""},
		{"grid shrunk under its threshold", map[string]any{"gridItems": 29}, "input.gridThreshold"},
		{"threshold back to 13 of 26", map[string]any{"gridItems": 26, "gridThreshold": 13}, ""},
		{"negative threshold", map[string]any{"gridThreshold": -1}, "input.gridThreshold"},
		{"pregnant threshold above", map[string]any{"pregnantGridThreshold": 29}, "input.pregnantGridThreshold"},
		{"26 labels", map[string]any{"gridItemLabels": labels(26)}, ""},
		{"25 labels", map[string]any{"gridItemLabels": labels(25)}, "input.gridItemLabels"},
		{"renewal window 0", map[string]any{"renewalWindowDays": 0}, ""},
		{"renewal window -1", map[string]any{"renewalWindowDays": -1}, "input.renewalWindowDays"},
		{"end before start", map[string]any{"experimentEnd": "2025-03-23"}, "input.experimentEnd"},
		{"end on the start", map[string]any{"experimentEnd": "2025-03-24"}, ""},
		{"end not a day", map[string]any{"experimentEnd": "mars 2028"}, "input.experimentEnd"},
		{"region not INSEE", map[string]any{"liveRegions": []string{"ARA"}}, "input.liveRegions[0]"},
		{"no situation", map[string]any{"situations": []any{}}, "input.situations"},
		{"situation twice", map[string]any{"situations": []any{map[string]any{"code": "A", "label": "a"}, map[string]any{"code": "A", "label": "b"}}}, "input.situations[1].code"},
		{"no health profession", map[string]any{"healthProfessions": []string{}}, "input.healthProfessions"},
	} {
		before := stored()
		r := h.as("admin", update, map[string]any{"in": c.in})
		switch {
		case c.field == "" && len(r.Errors) > 0:
			t.Errorf("%s: refused: %+v", c.name, r.Errors)
		case c.field != "" && (r.code() != maillage.EINVALID || r.Errors[0].Extensions["field"] != c.field):
			t.Errorf("%s: %+v, want BAD_USER_INPUT on %s", c.name, r.Errors, c.field)
		case c.field != "" && stored() != before:
			t.Errorf("%s: a refused write changed the stored configuration", c.name)
		}
	}
	d := h.ok("admin", `{ escapRules { grid { threshold items { label } } renewalWindowDays experiment { end } } }`, nil)
	if jpath(d, "escapRules.grid.threshold") != 13.0 || jpath(d, "escapRules.renewalWindowDays") != 0.0 ||
		jpath(d, "escapRules.experiment.end") != "2025-03-24" || jpath(d, "escapRules.grid.items.25.label") != "Critère 26" {
		t.Errorf("rules after the accepted writes: %v", d)
	}
	for _, login := range []string{durand, "ars-normandie", lefebvre} {
		if code := h.as(login, update, map[string]any{"in": map[string]any{"gridThreshold": 12}}).code(); code != maillage.EFORBIDDEN {
			t.Errorf("%s updates the rules: %q", login, code)
		}
	}
	if code := h.as("", update, map[string]any{"in": map[string]any{"gridThreshold": 12}}).code(); code != maillage.EUNAUTHENTICATED {
		t.Errorf("anonymous updates the rules: %q", code)
	}
}

// The typology figures answer over GraphQL, to coordinators and the ARS.
func TestESCAPTypologyOverGraphQL(t *testing.T) {
	h := seededHub(t)
	normandie := h.id(`SELECT id FROM territories WHERE path = 'fr/28'`)
	const q = `query($t: ID!, $f: String!, $to: String!) { escapTypologyStats(territoryId: $t, from: $f, to: $to) {
		smallCount entries { period professions count suppressed } exits { period professions reason count suppressed } } }`
	d := h.ok("ars-normandie", q, map[string]any{"t": normandie, "f": "2025-01-01", "to": "2030-01-01"})
	if jpath(d, "escapTypologyStats.smallCount") == nil || jpath(d, "escapTypologyStats.entries") == nil {
		t.Errorf("typology: %v", d)
	}
	h.fails("ars-normandie", q, map[string]any{"t": normandie, "f": "2025-01-02", "to": "2030-01-01"}, maillage.EINVALID, "from")
	h.fails(durand, q, map[string]any{"t": normandie, "f": "2025-01-01", "to": "2030-01-01"}, maillage.EFORBIDDEN, "")
}
