package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

// Seed loads the demo data into an empty database, in one transaction: the
// regions and structures of the domain (the Normandie and Auvergne-Rhône-Alpes
// ESCAP roll-out, the Nouvelle-Aquitaine MSSanté pilot around two PTA, a CPTS
// with MSPs, an ESS in dermatology adhering to a DAC), plausible
// professionals, and an account for each of them plus staff accounts. It
// reports whether it seeded: a database with territories is left alone. The
// authorizer of db is reloaded with what was seeded.
func Seed(ctx context.Context, db *DB) (bool, error) {
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM territories`); err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		s := seeder{ctx: ctx, tx: tx, ids: map[string]string{}}
		for _, step := range SeedSteps {
			if err := step(&s); err != nil {
				return err
			}
		}
		return s.err
	})
	if err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	// The seeded memberships and grants apply at once on this instance.
	if err := db.Authz.Reload(ctx); err != nil {
		return false, fmt.Errorf("seed: %w", err)
	}
	return true, nil
}

// SeedSteps are run in order by Seed; each area appends its own.
var SeedSteps = []func(*Seeder) error{seedDirectory, seedAccounts, seedPatients, seedESCAPs, seedReferrals}

// Seeder is the state of one seeding: its transaction, and the ids of what
// it created by a short name ("cpts-rouen-nord", "rpps:10003456789").
type Seeder = seeder

type seeder struct {
	ctx context.Context
	tx  *sqlx.Tx
	ids map[string]string
	err error
}

// ID returns the id of a seeded object by its short name.
func (s *seeder) ID(name string) string {
	id, ok := s.ids[name]
	if !ok && s.err == nil {
		s.err = fmt.Errorf("seed: nothing named %q", name)
	}
	return id
}

// Exec runs a statement, remembering the first error.
func (s *seeder) Exec(q string, args ...any) {
	if s.err == nil {
		if _, err := s.tx.ExecContext(s.ctx, q, args...); err != nil {
			s.err = fmt.Errorf("seed: %w", err)
		}
	}
}

// Insert runs an INSERT … RETURNING id and names the row.
func (s *seeder) Insert(name, q string, args ...any) string {
	if s.err != nil {
		return ""
	}
	var id string
	if err := s.tx.GetContext(s.ctx, &id, q, args...); err != nil {
		s.err = fmt.Errorf("seed %s: %w", name, err)
		return ""
	}
	s.ids[name] = id
	return id
}

type seedTerritory struct{ parent, code, name, level string }

var seedTerritories = []seedTerritory{
	{"", "fr", "France", "NATION"},
	{"fr", "28", "Normandie", "REGION"},
	{"fr/28", "76", "Seine-Maritime", "DEPARTMENT"},
	{"fr/28/76", "cpts-rouen-nord", "CPTS Rouen Nord", "LOCAL"},
	{"fr/28/76", "cpts-le-havre", "CPTS du Havre", "LOCAL"},
	{"fr/28", "14", "Calvados", "DEPARTMENT"},
	{"fr/28/14", "cpts-caen-ouest", "CPTS Caen Ouest", "LOCAL"},
	{"fr", "84", "Auvergne-Rhône-Alpes", "REGION"},
	{"fr/84", "69", "Rhône", "DEPARTMENT"},
	{"fr/84/69", "cpts-lyon-8", "CPTS Lyon 8e", "LOCAL"},
	{"fr/84", "38", "Isère", "DEPARTMENT"},
	{"fr/84/38", "cpts-grenoble-sud", "CPTS Grenoble Sud", "LOCAL"},
	{"fr", "75", "Nouvelle-Aquitaine", "REGION"},
	{"fr/75", "17", "Charente-Maritime", "DEPARTMENT"},
	{"fr/75/17", "aunis-sud", "Aunis Sud", "LOCAL"},
	{"fr/75", "64", "Pyrénées-Atlantiques", "DEPARTMENT"},
	{"fr/75/64", "pays-basque", "Pays Basque", "LOCAL"},
}

type seedStructure struct {
	name, kind, territory, label, commune, mailbox string
	specialties                                    []string
}

var seedStructures = []seedStructure{
	{"cpts-rouen-nord", "CPTS", "fr/28/76/cpts-rouen-nord", "CPTS Rouen Nord", "76451", "cpts.rouen-nord", nil},
	{"msp-bois-guillaume", "MSP", "fr/28/76/cpts-rouen-nord", "MSP de Bois-Guillaume", "76108", "msp.bois-guillaume", nil},
	{"msp-mont-saint-aignan", "MSP", "fr/28/76/cpts-rouen-nord", "MSP de Mont-Saint-Aignan", "76451", "msp.mont-saint-aignan", nil},
	{"esp-deville", "ESP", "fr/28/76/cpts-rouen-nord", "ESP de Déville-lès-Rouen", "76216", "esp.deville", nil},
	{"cpts-le-havre", "CPTS", "fr/28/76/cpts-le-havre", "CPTS du Havre", "76351", "cpts.lehavre", nil},
	{"dac-76", "DAC", "fr/28/76", "DAC Seine-Maritime", "76540", "dac76", nil},
	{"ess-dermato-rouen", "ESS", "fr/28/76", "ESS Dermatologie Rouen Métropole", "76540", "ess.dermato.rouen", []string{"dermatologie"}},
	{"ehpad-les-tilleuls", "EHPAD", "fr/28/76/cpts-rouen-nord", "EHPAD Les Tilleuls", "76108", "ehpad.tilleuls", nil},
	{"cpts-caen-ouest", "CPTS", "fr/28/14/cpts-caen-ouest", "CPTS Caen Ouest", "14118", "cpts.caen-ouest", nil},
	{"msp-caen-venoix", "MSP", "fr/28/14/cpts-caen-ouest", "MSP Caen Venoix", "14118", "msp.venoix", nil},
	{"cpts-lyon-8", "CPTS", "fr/84/69/cpts-lyon-8", "CPTS Lyon 8e", "69388", "cpts.lyon8", nil},
	{"msp-mermoz", "MSP", "fr/84/69/cpts-lyon-8", "MSP Mermoz", "69388", "msp.mermoz", nil},
	{"dac-69", "DAC", "fr/84/69", "DAC Rhône", "69383", "dac69", nil},
	{"ess-cardio-lyon", "ESS", "fr/84/69", "ESS Cardiologie Lyon Est", "69388", "ess.cardio.lyon", []string{"cardiologie"}},
	{"cpts-grenoble-sud", "CPTS", "fr/84/38/cpts-grenoble-sud", "CPTS Grenoble Sud", "38185", "cpts.grenoble-sud", nil},
	{"pta-17", "PTA", "fr/75/17", "PTA Charente-Maritime", "17300", "pta17", nil},
	{"ssiad-la-rochelle", "SSIAD", "fr/75/17/aunis-sud", "SSIAD de La Rochelle", "17300", "ssiad.larochelle", nil},
	{"ehpad-les-tamaris", "EHPAD", "fr/75/17", "EHPAD Les Tamaris", "17306", "ehpad.tamaris", nil},
	{"clic-rochefort", "CLIC", "fr/75/17", "CLIC du Pays Rochefortais", "17299", "clic.rochefort", nil},
	{"pta-64", "PTA", "fr/75/64", "PTA Pays Basque", "64102", "pta64", nil},
	{"saad-bayonne", "SAAD", "fr/75/64/pays-basque", "SAAD Bayonne Adour", "64102", "saad.bayonne", nil},
	{"ehpad-anglet", "EHPAD", "fr/75/64/pays-basque", "EHPAD Villa Sion", "64024", "ehpad.anglet", nil},
	{"ccas-biarritz", "CCAS", "fr/75/64/pays-basque", "CCAS de Biarritz", "64122", "ccas.biarritz", nil},
}

var seedLinks = []struct{ from, to, kind string }{
	{"msp-bois-guillaume", "cpts-rouen-nord", "PART_OF"},
	{"msp-mont-saint-aignan", "cpts-rouen-nord", "PART_OF"},
	{"esp-deville", "cpts-rouen-nord", "PART_OF"},
	{"msp-caen-venoix", "cpts-caen-ouest", "PART_OF"},
	{"msp-mermoz", "cpts-lyon-8", "PART_OF"},
	{"ess-dermato-rouen", "dac-76", "ADHERES_TO"},
	{"ess-cardio-lyon", "dac-69", "ADHERES_TO"},
	{"ehpad-les-tilleuls", "dac-76", "WORKS_WITH"},
	{"ssiad-la-rochelle", "pta-17", "WORKS_WITH"},
	{"ehpad-les-tamaris", "pta-17", "WORKS_WITH"},
	{"clic-rochefort", "pta-17", "WORKS_WITH"},
	{"saad-bayonne", "pta-64", "WORKS_WITH"},
	{"ehpad-anglet", "pta-64", "WORKS_WITH"},
	{"ccas-biarritz", "pta-64", "WORKS_WITH"},
}

type seedProfessional struct {
	rpps, first, last, profession, specialty, mailDomain string
	memberships                                          []string // "structure:ROLE"
}

// SeedProfessionals are the demo professionals; their RPPS is their login.
var seedProfessionals = []seedProfessional{
	{"10003456781", "Claire", "Lefebvre", "Médecin", "Médecine générale", "medecin", []string{"msp-bois-guillaume:GP", "cpts-rouen-nord:COORDINATOR"}},
	{"10003456782", "Thomas", "Martin", "Médecin", "Médecine générale", "medecin", []string{"msp-bois-guillaume:GP"}},
	{"10003456783", "Sophie", "Durand", "Infirmier", "", "infirmier", []string{"msp-bois-guillaume:NURSE"}},
	{"10003456784", "Julien", "Moreau", "Masseur-kinésithérapeute", "", "kine", []string{"msp-mont-saint-aignan:MEMBER"}},
	{"10003456785", "Camille", "Petit", "Pharmacien", "", "pharmacien", []string{"esp-deville:MEMBER"}},
	{"10003456786", "Nicolas", "Roux", "Médecin", "Médecine générale", "medecin", []string{"msp-mont-saint-aignan:GP"}},
	{"10003456787", "Isabelle", "Fournier", "Médecin", "Dermatologie", "medecin", []string{"ess-dermato-rouen:SPECIALIST"}},
	{"10003456788", "Antoine", "Girard", "Médecin", "Dermatologie", "medecin", []string{"ess-dermato-rouen:SPECIALIST"}},
	{"10003456789", "Nathalie", "Bonnet", "Secrétaire médicale", "", "ess-dermato-rouen", []string{"ess-dermato-rouen:SECRETARIAT"}},
	{"10003456790", "Élodie", "Lambert", "Infirmier", "Coordination de parcours", "infirmier", []string{"ess-dermato-rouen:CASE_MANAGER"}},
	{"10003456791", "Marc", "Fontaine", "Médecin", "Gériatrie", "medecin", []string{"ehpad-les-tilleuls:MEMBER"}},
	{"10003456792", "Hélène", "Rousseau", "Infirmier", "", "infirmier", []string{"ehpad-les-tilleuls:NURSE"}},
	{"10003456793", "Pierre", "Vincent", "Coordinateur", "", "dac76", []string{"dac-76:COORDINATOR"}},
	{"10003456794", "Laura", "Muller", "Médecin", "Médecine générale", "medecin", []string{"msp-caen-venoix:GP", "cpts-caen-ouest:COORDINATOR"}},
	{"10003456795", "Hugo", "Lefèvre", "Infirmier", "", "infirmier", []string{"msp-caen-venoix:NURSE"}},
	{"10003456796", "Manon", "Faure", "Médecin", "Médecine générale", "medecin", []string{"msp-mermoz:GP", "cpts-lyon-8:COORDINATOR"}},
	{"10003456797", "Louis", "André", "Médecin", "Cardiologie", "medecin", []string{"ess-cardio-lyon:SPECIALIST"}},
	{"10003456798", "Chloé", "Mercier", "Infirmier", "", "infirmier", []string{"msp-mermoz:NURSE"}},
	{"10003456799", "Paul", "Blanc", "Médecin", "Médecine générale", "medecin", []string{"cpts-grenoble-sud:COORDINATOR"}},
	{"10003456800", "Sarah", "Guerin", "Coordinateur", "", "pta17", []string{"pta-17:COORDINATOR"}},
	{"10003456801", "Mathieu", "Boyer", "Infirmier", "", "infirmier", []string{"ssiad-la-rochelle:NURSE"}},
	{"10003456802", "Amaia", "Etchegaray", "Coordinateur", "", "pta64", []string{"pta-64:COORDINATOR"}},
	{"10003456803", "Peio", "Irigoyen", "Infirmier", "", "infirmier", []string{"saad-bayonne:NURSE"}},
	{"10003456804", "Marie", "Garnier", "Médecin", "Médecine générale", "medecin", []string{"msp-bois-guillaume:GP"}},
}

// seedStaff are staff accounts with explicit grants.
var seedStaff = []struct{ login, name, role, domain string }{
	{"admin", "Administrateur national", "national_admin", "fr"},
	{"ars-normandie", "Agent ARS Normandie", "ars_agent", "fr/28"},
	{"ars-ara", "Agent ARS Auvergne-Rhône-Alpes", "ars_agent", "fr/84"},
	{"auditor", "Auditeur", "auditor", "fr"},
}

func seedDirectory(s *Seeder) error {
	for _, t := range seedTerritories {
		path := t.code
		var parent any
		if t.parent != "" {
			path = t.parent + "/" + t.code
			parent = s.ID(t.parent)
		}
		s.Insert(path, `INSERT INTO territories (code, name, level, path, parent_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			t.code, t.name, t.level, path, parent)
	}
	for i, st := range seedStructures {
		dept := strings.Split(st.territory, "/")[2]
		finess := withLuhn(dept + fmt.Sprintf("%06d", 100010+i*37))
		siret := withLuhn(fmt.Sprintf("%013d", 7750001000+int64(i)*1013))
		s.Insert(st.name, `INSERT INTO structures (kind, name, territory_id, finess, siret, mssante, specialties, commune)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			st.kind, st.label, s.ID(st.territory), finess, siret, st.mailbox+"@"+mssDomain(st.kind), pq.StringArray(nonNil(st.specialties)), st.commune)
	}
	for _, l := range seedLinks {
		s.Exec(`INSERT INTO structure_links (from_id, to_id, kind) VALUES ($1, $2, $3)`, s.ID(l.from), s.ID(l.to), l.kind)
	}
	for _, p := range seedProfessionals {
		var specialty any
		if p.specialty != "" {
			specialty = p.specialty
		}
		mail := strings.ToLower(maillage.FoldAccents(p.first+"."+p.last)) + "@" + p.mailDomain + ".mssante.fr"
		id := s.Insert("rpps:"+p.rpps, `INSERT INTO professionals (rpps, first_name, last_name, profession, specialty, mssante)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, p.rpps, p.first, p.last, p.profession, specialty, mail)
		for _, m := range p.memberships {
			structure, role, _ := strings.Cut(m, ":")
			s.Exec(`INSERT INTO memberships (professional_id, structure_id, role) VALUES ($1, $2, $3)`, id, s.ID(structure), role)
		}
	}
	return s.err
}

func seedAccounts(s *Seeder) error {
	for _, p := range seedProfessionals {
		s.Insert("account:"+p.rpps, `INSERT INTO accounts (login, display_name, professional_id) VALUES ($1, $2, $3) RETURNING id`,
			p.rpps, p.first+" "+p.last, s.ID("rpps:"+p.rpps))
	}
	for _, st := range seedStaff {
		id := s.Insert("account:"+st.login, `INSERT INTO accounts (login, display_name) VALUES ($1, $2) RETURNING id`, st.login, st.name)
		s.Exec(`INSERT INTO role_grants (account_id, role, domain) VALUES ($1, $2, $3)`, id, st.role, st.domain)
	}
	return s.err
}

// mssDomain is a plausible organisational MSSanté domain for a kind.
func mssDomain(kind string) string {
	switch kind {
	case "EHPAD", "SSIAD", "SAAD", "CLIC", "CCAS":
		return "medico-social.mssante.fr"
	}
	return "structures.mssante.fr"
}

// withLuhn appends the Luhn key to a string of digits.
func withLuhn(digits string) string {
	for d := 0; d <= 9; d++ {
		candidate := digits + strconv.Itoa(d)
		sum, double := 0, false
		for i := len(candidate) - 1; i >= 0; i-- {
			n := int(candidate[i] - '0')
			if double {
				if n *= 2; n > 9 {
					n -= 9
				}
			}
			sum += n
			double = !double
		}
		if sum%10 == 0 {
			return candidate
		}
	}
	return digits + "0"
}

// seedPatientList are demo patients, each recorded by their médecin traitant
// (named by RPPS). The INS key is computed.
var seedPatientList = []struct{ name, family, given, birth, sex, nir, gp string }{
	{"patient:dupont", "Dupont", "Jeanne", "1948-03-12", "F", "2480376451012", "10003456781"},
	{"patient:leroy", "Leroy", "Michel", "1950-07-02", "M", "1500776108023", "10003456782"},
	{"patient:bernard", "Bernard", "Lucie", "1991-11-20", "F", "2911114118034", "10003456794"},
	{"patient:morel", "Morel", "André", "1942-01-15", "M", "1420169388045", "10003456796"},
	{"patient:petitjean", "Petitjean", "Odette", "1938-05-30", "F", "2380576451056", "10003456786"},
}

func seedPatients(s *Seeder) error {
	for _, p := range seedPatientList {
		s.Insert(p.name, `INSERT INTO patients (family_name, given_names, birth_date, sex, ins, gp_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			p.family, p.given, p.birth, p.sex, withINSKey(p.nir), s.ID("rpps:"+p.gp), s.ID("account:"+p.gp))
	}
	return s.err
}

// withINSKey appends the 2-digit key (97 - n mod 97) to a 13-digit NIR.
func withINSKey(nir string) string {
	n, _ := strconv.ParseUint(nir, 10, 64)
	return fmt.Sprintf("%s%02d", nir, 97-n%97)
}
