package maillage_test

import (
	"testing"

	"github.com/maillage/maillage"
)

func TestValidateRPPS(t *testing.T) {
	for _, tc := range []struct {
		rpps string
		ok   bool
	}{
		{"10003456781", true},
		{"10000000000", true}, // no Luhn key is enforced on RPPS
		{"1000345678", false},
		{"100034567812", false},
		{"1000345678a", false},
		{"", false},
	} {
		err := maillage.ValidateRPPS("input.rpps", tc.rpps)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateRPPS(%q) = %v, want ok=%v", tc.rpps, err, tc.ok)
		}
		if err != nil && (maillage.ErrorCode(err) != maillage.EINVALID || err.(*maillage.Error).Field != "input.rpps") {
			t.Errorf("ValidateRPPS(%q) error %#v, want BAD_USER_INPUT on input.rpps", tc.rpps, err)
		}
	}
}

func TestValidateFINESS(t *testing.T) {
	for _, tc := range []struct {
		finess  string
		ok      bool
		warning bool
	}{
		{"750712184", true, false}, // AP-HP, a known number: Luhn holds
		{"750712185", true, true},  // wrong key: kept, with a warning
		{"2A0000010", true, false}, // Corsica: no Luhn over letters
		{"2C0000010", false, false},
		{"75071218", false, false},
		{"7507121840", false, false},
		{"75071218x", false, false},
	} {
		warning, err := maillage.ValidateFINESS("input.finess", tc.finess)
		if (err == nil) != tc.ok || (warning != "") != tc.warning {
			t.Errorf("ValidateFINESS(%q) = %q, %v; want ok=%v warning=%v", tc.finess, warning, err, tc.ok, tc.warning)
		}
	}
}

func TestValidateSIRET(t *testing.T) {
	for _, tc := range []struct {
		siret string
		ok    bool
	}{
		{"73282932000074", true},  // a published SIRET
		{"73282932000075", false}, // wrong key
		{"7328293200007", false},
		{"7328293200007a", false},
	} {
		if err := maillage.ValidateSIRET("input.siret", tc.siret); (err == nil) != tc.ok {
			t.Errorf("ValidateSIRET(%q) = %v, want ok=%v", tc.siret, err, tc.ok)
		}
	}
}

func TestValidateMSSante(t *testing.T) {
	for _, tc := range []struct {
		address string
		ok      bool
	}{
		{"claire.lefebvre@medecin.mssante.fr", true},
		{"secretariat@ch-rouen.mssante.fr", true},
		{"accueil@MSSANTE.FR", true},
		{"claire@gmail.com", false},
		{"claire@fakemssante.fr", false},
		{"claire.mssante.fr", false},
		{"@medecin.mssante.fr", false},
		{"a b@medecin.mssante.fr", false},
		{"a@b@medecin.mssante.fr", false},
	} {
		if err := maillage.ValidateMSSante("input.mssante", tc.address); (err == nil) != tc.ok {
			t.Errorf("ValidateMSSante(%q) = %v, want ok=%v", tc.address, err, tc.ok)
		}
	}
}

func TestValidateINS(t *testing.T) {
	for _, tc := range []struct {
		ins string
		ok  bool
	}{
		{"255081416802538", true},  // the published example NIR
		{"255081416802539", false}, // wrong key
		{"2550814168025", false},   // no key
		{"1842A12345678XX", false},
		{"184022A12345634", true}, // born in Corse-du-Sud: 2A counts as 19
		{"184022A12345610", false},
	} {
		if err := maillage.ValidateINS("input.ins", tc.ins); (err == nil) != tc.ok {
			t.Errorf("ValidateINS(%q) = %v, want ok=%v", tc.ins, err, tc.ok)
		}
	}
}

func TestPageArgsCheck(t *testing.T) {
	for _, tc := range []struct {
		first, want int
		ok          bool
	}{
		{0, maillage.DefaultPageSize, true},
		{1, 1, true},
		{100, 100, true},
		{101, 0, false},
		{-1, 0, false},
	} {
		p := maillage.PageArgs{First: tc.first}
		err := p.Check()
		if (err == nil) != tc.ok || (tc.ok && p.First != tc.want) {
			t.Errorf("PageArgs{First: %d}.Check() = %v, First %d; want ok=%v First %d", tc.first, err, p.First, tc.ok, tc.want)
		}
	}
}
