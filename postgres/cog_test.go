package postgres_test

import (
	"testing"

	"github.com/maillage/maillage/postgres"
)

// The shipped commune table knows current communes, arrondissements, the
// overseas and Corsica, and former codes; not invented ones.
func TestCOGCommunes(t *testing.T) {
	for code, want := range map[string]string{
		"76540": "76 Rouen", "2A004": "2A Ajaccio", "97411": "974 Saint-Denis", "75101": "75 Paris 1er Arrondissement",
		"97123": "971 Saint-Barthélemy", "01003": "01 Francheleins", // a former code
	} {
		if dept, name, ok := postgres.CommuneOf(code); !ok || dept+" "+name != want {
			t.Errorf("%s: %q %q %v, want %s", code, dept, name, ok, want)
		}
	}
	for _, code := range []string{"76999", "20004x", "", "99999"} {
		if _, _, ok := postgres.CommuneOf(code); ok {
			t.Errorf("%q is a commune", code)
		}
	}
	if n := len(postgres.CommunesOf("976")); n != 17 {
		t.Errorf("Mayotte has %d communes, want 17", n)
	}
}
