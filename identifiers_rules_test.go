package maillage_test

import (
	"strings"
	"testing"

	"github.com/maillage/maillage"
)

// withKey completes 8 digits with their Luhn key.
func withKey(s string) string {
	for d := '0'; d <= '9'; d++ {
		if w, err := maillage.ValidateFINESS("f", s+string(d)); err == nil && w == "" {
			return s + string(d)
		}
	}
	panic("no key for " + s)
}

// A FINESS starts with a department: never 00 (nor 20, 96, 99); Corsica's
// departments are 2A and 2B (items 10 and 11 of issue 17).
func TestFINESSDepartment(t *testing.T) {
	for _, c := range []struct {
		finess string
		ok     bool
	}{
		{withKey("01000001"), true},
		{"000000000", false}, // Luhn holds, no department
		{"00" + withKey("01000001")[2:], false},
		{"20" + "0000010", false},
		{"96" + "0000010", false},
		{"99" + "0000010", false},
		{withKey("95000001"), true},
		{withKey("97100001"), true},
		{"2A0000010", true},
		{"2B0000010", true},
		{"2a0000010", false}, // not canonical
		{maillage.CanonicalFINESS(" 2a0000010 "), true},
	} {
		_, err := maillage.ValidateFINESS("input.finess", c.finess)
		if (err == nil) != c.ok {
			t.Errorf("ValidateFINESS(%q): %v, want ok %v", c.finess, err, c.ok)
		}
		if err != nil && maillage.ErrorCode(err) != maillage.EINVALID {
			t.Errorf("%q: code %s", c.finess, maillage.ErrorCode(err))
		}
	}
	for _, c := range []struct {
		finess, path string
		warning      bool
	}{
		{"690000010", "fr/28/76/cpts-rouen-nord", true}, // Rhône in Seine-Maritime
		{"760000010", "fr/28/76/cpts-rouen-nord", false},
		{"760000010", "fr/28/76", false},
		{"770000010", "fr/28/76", true},
		{"690000010", "fr/28", false}, // a regional structure: no department to compare
		{"2A0000010", "fr/94/2A", false},
		{"2B0000010", "fr/94/2A", true},
		{"971000010", "fr/01/971", false},
		{"972000010", "fr/01/971", true},
	} {
		w := maillage.FINESSDepartmentWarning("input.finess", c.finess, c.path)
		if (w != "") != c.warning || (w != "" && !strings.HasPrefix(w, "input.finess: ")) {
			t.Errorf("FINESS %s in %s: warning %q, want %v", c.finess, c.path, w, c.warning)
		}
	}
}

func TestCorsicaCanonical(t *testing.T) {
	for in, want := range map[string]string{"2a": "2A", "2A": "2A", "2b": "2B", "2B": "2B", "76": "76", "cpts-2a-01": "cpts-2a-01"} {
		if got := maillage.CanonicalTerritoryCode(in); got != want {
			t.Errorf("CanonicalTerritoryCode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := maillage.CanonicalCommune("2a004"); got != "2A004" {
		t.Errorf("commune: %q", got)
	}
}
