package pgtest

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/maillage/maillage/postgres"
)

// FINESSEstablishment is one establishment of a generated FINESS extract
// (etalab-cs1100507-stock): invented, no real one.
type FINESSEstablishment struct {
	Line     string // the line kind, "structureet" if empty
	FINESS   string // nofinesset
	Name     string // rs, the short name
	LongName string // rslongue, may be empty
	Commune  string // the commune's three digits within its department
	Dept     string // the FINESS department: "76", "2A", "9D"…
	Category string // categetab
	SIRET    string
}

// Unmodelled reports whether the establishment's category is one the hub
// does not load by default (pharmacies, laboratories).
func (e FINESSEstablishment) Unmodelled() bool { return e.Category == "620" || e.Category == "611" }

// finessDepts are the departments generated establishments are spread over
// (mainland, Corsica, overseas), with the first digits of their FINESS and
// their libdepartement.
var finessDepts = []struct{ code, prefix, name string }{
	{"76", "76", "SEINE MARITIME"}, {"14", "14", "CALVADOS"}, {"2A", "2A", "CORSE DU SUD"},
	{"9D", "974", "LA REUNION"}, {"69", "69", "RHONE"}, {"01", "01", "AIN"},
}

// finessCategories are the categories generated in turn: five the hub
// models, 620 and 611 it skips.
var finessCategories = []struct{ code, label string }{
	{"500", "Etablissement d'hébergement pour personnes âgées dépendantes"}, {"354", "Service de soins infirmiers à domicile (SSIAD)"},
	{"620", "Pharmacie d'officine"}, {"190", "Centre action médico-sociale précoce (CAMSP)"}, {"355", "Centre hospitalier (CH)"},
	{"603", "Maison de santé (L6223-3)"}, {"611", "Laboratoire de biologie médicale (LBM)"},
}

// WithLuhnKey appends to digits the key that makes them pass the Luhn check
// (FINESS numbers and SIRET carry one).
func WithLuhnKey(digits string) string {
	sum, double := 0, true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum, double = sum+d, !double
	}
	return digits + string(rune('0'+(10-sum%10)%10))
}

// GenFINESS makes n establishments numbered from first (below 100,000): the
// departments and categories in turn, communes of the COG, valid FINESS
// numbers and SIRETs, accented names, every eleventh with a name the file
// must quote.
func GenFINESS(first, n int) []FINESSEstablishment {
	communes := map[string][]string{}
	for _, d := range finessDepts {
		insee := d.code
		if d.code == "9D" {
			insee = "974"
		}
		communes[d.code] = postgres.CommunesOf(insee)
	}
	out := make([]FINESSEstablishment, n)
	for j := range out {
		i := first + j
		d := finessDepts[i%len(finessDepts)]
		in := communes[d.code]
		e := FINESSEstablishment{Dept: d.code, Category: finessCategories[i%len(finessCategories)].code,
			Commune: in[i%len(in)][2:], SIRET: WithLuhnKey(fmt.Sprintf("%013d", 3300000000000+int64(i)*10)),
			Name: fmt.Sprintf("ÉTABLISSEMENT N°%d", i)}
		switch d.code {
		case "2A": // Corsica's numbers carry no key
			e.FINESS = fmt.Sprintf("2A%07d", i)
		case "9D":
			e.FINESS = WithLuhnKey(fmt.Sprintf("974%05d", i))
		default:
			e.FINESS = WithLuhnKey(fmt.Sprintf("%s%06d", d.prefix, i))
		}
		if i%3 == 0 {
			e.LongName = fmt.Sprintf("RÉSIDENCE « LES CHÊNES » ŒUVRE N°%d", i)
		}
		if i%11 == 0 {
			e.LongName = fmt.Sprintf(`MAISON "LA ROSERAIE"; SITE %d`, i)
		}
		out[j] = e
	}
	return out
}

// WriteFINESSExtract writes establishments as the published extract is
// written: the first line "finess;etalab;…", a structureet line each (32
// fields, the last, numuai, empty, so the line ends with ';'), then a
// geolocalisation line each (Lambert 93), in Windows-1252 with CRLF line
// ends, fields holding ';' or '"' quoted.
func WriteFINESSExtract(w io.Writer, ets []FINESSEstablishment) error {
	bw := bufio.NewWriter(charmap.Windows1252.NewEncoder().Writer(w))
	field := func(s string) string {
		if strings.ContainsAny(s, `;"`) {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		return s
	}
	label := map[string]string{}
	for _, c := range finessCategories {
		label[c.code] = c.label
	}
	fmt.Fprint(bw, "finess;etalab;107;2026-11-27\r\n")
	for i, e := range ets {
		kind := e.Line
		if kind == "" {
			kind = "structureet"
		}
		dept := ""
		for _, d := range finessDepts {
			if d.code == e.Dept {
				dept = d.name
			}
		}
		rec := []string{kind, e.FINESS, WithLuhnKey(fmt.Sprintf("%08d", 10000000+i)), field(e.Name), field(e.LongName), "", "",
			fmt.Sprint(1 + i%90), "R", "DES ÉCOLES", "", "", e.Commune, e.Dept, dept, "76000 ROUEN", "0235000000", "",
			e.Category, field(label[e.Category]), "4401", "Etablissements d'Hébergement pour Personnes Âgées",
			e.SIRET, "8710A", "40", "ARS/PCD, Tarif global", "", "", "1990-01-01", "1990-01-01", "2026-10-02", ""}
		bw.WriteString(strings.Join(rec, ";") + "\r\n")
	}
	for i, e := range ets {
		fmt.Fprintf(bw, "geolocalisation;%s;%d.5;%d.2;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2026-10-03\r\n", e.FINESS, 550000+i, 6900000+i)
	}
	return bw.Flush()
}
