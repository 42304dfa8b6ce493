package server_test

import (
	"testing"

	"github.com/maillage/maillage"
)

// An MSSanté address is nominative (one professional's) or organisational
// (one structure's), and has one holder (item 5 of issue 17).
func TestMSSanteAddressHasOneHolderAndAKind(t *testing.T) {
	h := seededHub(t)
	pro := func(rpps string) string { return h.id(`SELECT id FROM professionals WHERE rpps = $1`, rpps) }
	a, b := pro(martin), pro(roux)
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	essMail := h.id(`SELECT mssante FROM structures WHERE id = $1`, ess)
	const setPro = `mutation($id: ID!, $m: String) { updateProfessional(id: $id, input: {mssante: $m}) { mssante } }`
	const setStr = `mutation($id: ID!, $m: String) { updateStructure(id: $id, input: {mssante: $m}) { mssante } }`
	for _, c := range []struct {
		name, query, holder, address, code string
	}{
		{"a nominative address", setPro, a, "t.martin@medecin.mssante.fr", ""},
		{"the same for another professional", setPro, b, "t.martin@medecin.mssante.fr", maillage.ECONFLICT},
		{"the same in capitals", setPro, b, "T.Martin@Medecin.MSSante.fr", maillage.ECONFLICT},
		{"a professional's as a structure's", setStr, ess, "t.martin@medecin.mssante.fr", maillage.ECONFLICT},
		{"a structure's as a professional's", setPro, b, essMail, maillage.ECONFLICT},
		{"the holder writes it again", setPro, a, "t.martin@medecin.mssante.fr", ""},
		{"the holder moves to another", setPro, a, "thomas.martin@medecin.mssante.fr", ""},
		{"the freed address for another", setPro, b, "t.martin@medecin.mssante.fr", ""},
	} {
		r := h.as("admin", c.query, map[string]any{"id": c.holder, "m": c.address})
		if r.code() != c.code {
			t.Errorf("%s: %q (%+v), want %q", c.name, r.code(), r.Errors, c.code)
		}
	}
	const who = `query($m: String!) { mssanteAddress(address: $m) { kind professional { rpps } structure { id } } }`
	for _, c := range []struct {
		address, kind, rpps, structure string
	}{
		{"t.martin@medecin.mssante.fr", "NOMINATIVE", roux, ""},
		{"THOMAS.martin@medecin.mssante.fr", "NOMINATIVE", martin, ""},
		{essMail, "ORGANISATIONAL", "", ess},
		{"nobody@medecin.mssante.fr", "", "", ""},
	} {
		d := h.ok("", who, map[string]any{"m": c.address})
		k, _ := jpath(d, "mssanteAddress.kind").(string)
		r, _ := jpath(d, "mssanteAddress.professional.rpps").(string)
		s, _ := jpath(d, "mssanteAddress.structure.id").(string)
		if k != c.kind || r != c.rpps || s != c.structure {
			t.Errorf("%s: %v", c.address, d)
		}
	}
}
