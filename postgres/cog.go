package postgres

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// The official geographic code (COG) of INSEE, as far as the hub needs it:
// France's 18 regions (2016 boundaries) and their 101 departments, overseas
// included, and the communes (COG 2026). The national seed builds its
// territories from it, and the FINESS import creates the department and
// region territories it is missing from it and checks commune codes.

// A region and its departments (INSEE codes, 2016 regions).
type nationalRegion struct {
	code, name  string
	departments []nationalDepartment
}

type nationalDepartment struct{ code, name string }

// nationalRegions are France's 18 regions and 101 departments.
var nationalRegions = []nationalRegion{
	{"84", "Auvergne-Rhône-Alpes", depts("01 Ain", "03 Allier", "07 Ardèche", "15 Cantal", "26 Drôme", "38 Isère", "42 Loire", "43 Haute-Loire", "63 Puy-de-Dôme", "69 Rhône", "73 Savoie", "74 Haute-Savoie")},
	{"27", "Bourgogne-Franche-Comté", depts("21 Côte-d'Or", "25 Doubs", "39 Jura", "58 Nièvre", "70 Haute-Saône", "71 Saône-et-Loire", "89 Yonne", "90 Territoire de Belfort")},
	{"53", "Bretagne", depts("22 Côtes-d'Armor", "29 Finistère", "35 Ille-et-Vilaine", "56 Morbihan")},
	{"24", "Centre-Val de Loire", depts("18 Cher", "28 Eure-et-Loir", "36 Indre", "37 Indre-et-Loire", "41 Loir-et-Cher", "45 Loiret")},
	{"94", "Corse", depts("2A Corse-du-Sud", "2B Haute-Corse")},
	{"44", "Grand Est", depts("08 Ardennes", "10 Aube", "51 Marne", "52 Haute-Marne", "54 Meurthe-et-Moselle", "55 Meuse", "57 Moselle", "67 Bas-Rhin", "68 Haut-Rhin", "88 Vosges")},
	{"32", "Hauts-de-France", depts("02 Aisne", "59 Nord", "60 Oise", "62 Pas-de-Calais", "80 Somme")},
	{"11", "Île-de-France", depts("75 Paris", "77 Seine-et-Marne", "78 Yvelines", "91 Essonne", "92 Hauts-de-Seine", "93 Seine-Saint-Denis", "94 Val-de-Marne", "95 Val-d'Oise")},
	{"28", "Normandie", depts("14 Calvados", "27 Eure", "50 Manche", "61 Orne", "76 Seine-Maritime")},
	{"75", "Nouvelle-Aquitaine", depts("16 Charente", "17 Charente-Maritime", "19 Corrèze", "23 Creuse", "24 Dordogne", "33 Gironde", "40 Landes", "47 Lot-et-Garonne", "64 Pyrénées-Atlantiques", "79 Deux-Sèvres", "86 Vienne", "87 Haute-Vienne")},
	{"76", "Occitanie", depts("09 Ariège", "11 Aude", "12 Aveyron", "30 Gard", "31 Haute-Garonne", "32 Gers", "34 Hérault", "46 Lot", "48 Lozère", "65 Hautes-Pyrénées", "66 Pyrénées-Orientales", "81 Tarn", "82 Tarn-et-Garonne")},
	{"52", "Pays de la Loire", depts("44 Loire-Atlantique", "49 Maine-et-Loire", "53 Mayenne", "72 Sarthe", "85 Vendée")},
	{"93", "Provence-Alpes-Côte d'Azur", depts("04 Alpes-de-Haute-Provence", "05 Hautes-Alpes", "06 Alpes-Maritimes", "13 Bouches-du-Rhône", "83 Var", "84 Vaucluse")},
	{"01", "Guadeloupe", depts("971 Guadeloupe")},
	{"02", "Martinique", depts("972 Martinique")},
	{"03", "Guyane", depts("973 Guyane")},
	{"04", "La Réunion", depts("974 La Réunion")},
	{"06", "Mayotte", depts("976 Mayotte")},
}

func depts(list ...string) []nationalDepartment {
	out := make([]nationalDepartment, len(list))
	for i, d := range list {
		code, name, _ := strings.Cut(d, " ")
		out[i] = nationalDepartment{code, name}
	}
	return out
}

// regionOfDepartment returns the region of an INSEE department code, and
// the department's name; ok is false for a code that is not one of the 101.
func regionOfDepartment(code string) (region nationalRegion, name string, ok bool) {
	for _, r := range nationalRegions {
		for _, d := range r.departments {
			if d.code == code {
				return r, d.name, true
			}
		}
	}
	return nationalRegion{}, "", false
}

// cogCommunes is the commune table: one "code<TAB>department<TAB>name" line
// per commune code of the COG — current communes, municipal arrondissements,
// delegated and associated communes, and former codes of current communes
// (with the current commune's department and name). scripts/cog-communes
// makes it from Etalab's package of the COG.
//
//go:embed cog_communes.tsv.gz
var cogCommunes []byte

// commune is one commune of the table.
type commune struct{ department, name string }

// communes reads the table once, when first needed (about 39,000 codes).
var communes = sync.OnceValue(func() map[string]commune {
	zr, err := gzip.NewReader(bytes.NewReader(cogCommunes))
	if err != nil {
		panic("cog_communes.tsv.gz: " + err.Error())
	}
	out := make(map[string]commune, 40000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		code, rest, _ := strings.Cut(sc.Text(), "\t")
		dept, name, _ := strings.Cut(rest, "\t")
		out[code] = commune{dept, name}
	}
	if err := sc.Err(); err != nil {
		panic("cog_communes.tsv.gz: " + err.Error())
	}
	return out
})

// CommuneOf returns the department and name of an INSEE commune code in
// canonical form ("76540": "76", "Rouen"); ok is false for a code the COG
// does not know.
func CommuneOf(code string) (department, name string, ok bool) {
	c, ok := communes()[code]
	return c.department, c.name, ok
}

// CommunesOf returns the commune codes of a department that start with
// its code, in order.
func CommunesOf(department string) []string {
	var out []string
	for code, c := range communes() {
		if c.department == department && strings.HasPrefix(code, department) {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}
