package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

// NationalShape is the size of a generated directory. The departments are
// the first Departments of France's 101, in their regions; everything else
// is spread over them.
type NationalShape struct {
	Departments         int    // 1..101
	LocalsPerDepartment int    // local territories (CPTS areas) in each department
	Structures          int    // every kind; at least one CPTS per local territory, a DAC and 3 ESS per department
	Professionals       int    // each with an account (login: the RPPS)
	Seed                uint64 // the same seed makes the same rows, ids included
}

// NationalDirectory is the national-scale directory: 18 regions, 101
// departments, 1,010 local territories (1,130 territories), 15,000
// structures, 200,000 professionals and accounts, about 300,000 memberships.
var NationalDirectory = NationalShape{Departments: 101, LocalsPerDepartment: 10, Structures: 15000, Professionals: 200000, Seed: 2026}

// SeedReport counts what SeedNationalShape wrote.
type SeedReport struct {
	Territories, Structures, Links, Professionals, Accounts, Memberships, Grants int
	Took                                                                         time.Duration
}

// SeedNational loads NationalDirectory into an empty database.
func SeedNational(ctx context.Context, db *DB) (*SeedReport, error) {
	return SeedNationalShape(ctx, db, NationalDirectory)
}

// SeedNationalShape generates a directory of the given shape into an empty
// database with COPY, in one transaction, then VACUUMs and ANALYZEs it. It is
// deterministic: the same shape and seed make the same rows and ids. Besides
// the professionals it makes the staff accounts of the demo (admin, auditor)
// and one ARS agent per region (login "ars-" + the region code). It returns
// nil and no error if the database already has territories.
func SeedNationalShape(ctx context.Context, db *DB, shape NationalShape) (*SeedReport, error) {
	start := time.Now()
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM territories`); err != nil {
		return nil, fmt.Errorf("seed national: %w", err)
	}
	if n > 0 {
		return nil, nil
	}
	g := newNationalGen(shape)
	ctx = background(ctx)
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		tables := g.tables()
		names := make([]string, len(tables))
		for i, t := range tables {
			names[i] = t.name
		}
		return withoutIndexes(ctx, tx, names, func() error {
			for _, table := range tables {
				if err := copyRows(ctx, tx, table); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("seed national: %w", err)
	}
	// VACUUM, besides the statistics, marks the pages visible, as
	// autovacuum keeps a live database: index-only scans (a structure's
	// member pages) then read no table rows.
	if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
		return nil, fmt.Errorf("seed national: vacuum: %w", err)
	}
	r := g.report
	r.Took = time.Since(start)
	return &r, nil
}

// withoutIndexes runs load in tx with the foreign keys and the indexes that
// back no constraint of tables dropped, then creates them again from their
// own definitions: building an index once, and checking a foreign key with
// one join, is much faster than maintaining them row by row, and checks
// the same. Primary keys and unique constraints stay.
func withoutIndexes(ctx context.Context, tx *sqlx.Tx, tables []string, load func() error) error {
	var ddl []struct {
		Drop   string `db:"drop"`
		Create string `db:"create"`
	}
	const q = `SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS drop,
			format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS create
		  FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::text[]::regclass[])
		UNION ALL
		SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
		  FROM pg_index i WHERE i.indrelid = ANY($1::text[]::regclass[])
		   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`
	if err := tx.SelectContext(ctx, &ddl, q, pq.StringArray(tables)); err != nil {
		return fmt.Errorf("list indexes: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
		return err
	}
	for _, d := range ddl {
		if _, err := tx.ExecContext(ctx, d.Drop); err != nil {
			return fmt.Errorf("%s: %w", d.Drop, err)
		}
	}
	if err := load(); err != nil {
		return err
	}
	for i := len(ddl) - 1; i >= 0; i-- { // indexes first, then the foreign keys
		if _, err := tx.ExecContext(ctx, ddl[i].Create); err != nil {
			return fmt.Errorf("%s: %w", ddl[i].Create, err)
		}
	}
	return nil
}

// copyTable is one table's COPY: its columns, and rows produced on demand.
type copyTable struct {
	name    string
	columns []string
	rows    func(emit func(values ...any) error) error
}

// copyRows streams a table's rows into PostgreSQL with COPY FROM STDIN.
func copyRows(ctx context.Context, tx *sqlx.Tx, t copyTable) error {
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("COPY %s (%s) FROM STDIN", pq.QuoteIdentifier(t.name), strings.Join(t.columns, ", ")))
	if err != nil {
		return fmt.Errorf("copy %s: %w", t.name, err)
	}
	defer stmt.Close()
	err = t.rows(func(values ...any) error {
		_, err := stmt.ExecContext(ctx, values...)
		return err
	})
	if err == nil {
		_, err = stmt.ExecContext(ctx) // flush
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", t.name, err)
	}
	return nil
}

// ESS specialties: each ESS of a department takes the next one.
var essSpecialties = []string{"dermatologie", "cardiologie", "gériatrie", "psychiatrie", "pneumologie", "endocrinologie", "neurologie", "rhumatologie"}

// localKinds are the kinds spread over the local territories once every
// local territory has its CPTS and every department its DAC, ESS, hospital
// and CPAM, with their weights (percent).
var localKinds = []struct {
	kind   maillage.StructureKind
	weight int
}{
	{maillage.KindMSP, 30}, {maillage.KindESP, 15}, {maillage.KindEHPAD, 18}, {maillage.KindSSIAD, 8},
	{maillage.KindSAAD, 8}, {maillage.KindSPASAD, 2}, {maillage.KindCLIC, 3}, {maillage.KindCCAS, 8},
	{maillage.KindCAMSP, 2}, {maillage.KindITEP, 2}, {maillage.KindPTA, 1}, {maillage.KindOther, 3},
}

// Names the professionals are drawn from.
var (
	seedFirstNames = strings.Fields("Camille Léa Manon Chloé Emma Inès Sarah Jade Louise Alice Claire Julie Hélène Nathalie Isabelle Sophie Élodie Laura Anne Marie " +
		"Lucas Hugo Louis Gabriel Arthur Jules Thomas Nicolas Julien Antoine Pierre Paul Marc Mathieu Olivier Éric François Théo Nathan Raphaël")
	seedLastNames = strings.Fields("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel Garcia David Bertrand Roux Vincent Fournier " +
		"Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guerin Muller Henry Roussel Nicolas " +
		"Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly Gautier " +
		"Roger Roche Roy Noël Meyer Lucas Meunier Jean Perez Marchand Dufour Blanchard Marie Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez " +
		"Etchegaray Irigoyen Le Gall Le Goff Kerboul Pinto Da Silva Ferreira Benali Haddad Diallo Traoré")
	seedOtherProfessions = []string{"Masseur-kinésithérapeute", "Pharmacien", "Sage-femme", "Chirurgien-dentiste", "Orthophoniste",
		"Psychologue", "Diététicien", "Ergothérapeute", "Infirmier", "Médecin"}
)

// nationalGen generates the rows of one shape from its seed.
type nationalGen struct {
	shape  NationalShape
	rnd    *rand.Rand
	report SeedReport

	territories   []genTerritory
	structures    []genStructure
	byDept        [][]int // structure indexes per department
	deptTerritory []int   // territory index of each department
	links         []genLink
	pros          []genProfessional
	staff         []genStaff
}

type genTerritory struct {
	id, code, name, level, path, parent string
	dept                                int // department index, -1 above
}

type genStructure struct {
	id, name, territory, finess, siret, mssante, commune string
	kind                                                 maillage.StructureKind
	specialties                                          []string
	dept, local                                          int // department index; local territory index or -1
}

type genLink struct {
	id, from, to string
	kind         maillage.LinkKind
}

type genMembership struct {
	id        string
	structure int
	role      maillage.MembershipRole
}

type genProfessional struct {
	id, account, rpps, first, last, profession, specialty, mssante string
	memberships                                                    []genMembership
}

type genStaff struct{ id, login, name, role, domain, grant string }

func newNationalGen(shape NationalShape) *nationalGen {
	g := &nationalGen{shape: shape, rnd: rand.New(rand.NewPCG(shape.Seed, 0x6d61696c6c616765))}
	g.makeTerritories()
	g.makeStructures()
	g.makeProfessionals()
	g.makeStaff()
	return g
}

// id is a deterministic id with a kind prefix, shaped like new_id().
func (g *nationalGen) id(prefix string) string {
	return fmt.Sprintf("%s_%016x%016x", prefix, g.rnd.Uint64(), g.rnd.Uint64())
}

func (g *nationalGen) makeTerritories() {
	nation := genTerritory{id: g.id(maillage.PrefixTerritory), code: "fr", name: "France", level: "NATION", path: "fr", dept: -1}
	g.territories = append(g.territories, nation)
	dept := 0
	for _, r := range nationalRegions {
		if dept >= g.shape.Departments {
			break
		}
		region := genTerritory{id: g.id(maillage.PrefixTerritory), code: r.code, name: r.name, level: "REGION", path: "fr/" + r.code, parent: nation.id, dept: -1}
		g.territories = append(g.territories, region)
		for _, d := range r.departments {
			if dept >= g.shape.Departments {
				break
			}
			dt := genTerritory{id: g.id(maillage.PrefixTerritory), code: d.code, name: d.name, level: "DEPARTMENT", path: region.path + "/" + d.code, parent: region.id, dept: dept}
			g.deptTerritory = append(g.deptTerritory, len(g.territories))
			g.territories = append(g.territories, dt)
			for l := 1; l <= g.shape.LocalsPerDepartment; l++ {
				code := fmt.Sprintf("cpts-%s-%02d", strings.ToLower(d.code), l)
				g.territories = append(g.territories, genTerritory{id: g.id(maillage.PrefixTerritory), code: code,
					name: fmt.Sprintf("%s, territoire %d", d.name, l), level: "LOCAL", path: dt.path + "/" + code, parent: dt.id, dept: dept})
			}
			dept++
		}
	}
	g.byDept = make([][]int, dept)
}

// level returns the indexes of the territories of one level.
func (g *nationalGen) level(level string) []int {
	var out []int
	for i, t := range g.territories {
		if t.level == level {
			out = append(out, i)
		}
	}
	return out
}

func (g *nationalGen) makeStructures() {
	departments, locals := g.level("DEPARTMENT"), g.level("LOCAL")
	for _, d := range departments {
		g.addStructure(maillage.KindDAC, d, -1, "")
		for e := 0; e < 3; e++ {
			g.addStructure(maillage.KindESS, d, -1, essSpecialties[(g.territories[d].dept*3+e)%len(essSpecialties)])
		}
		g.addStructure(maillage.KindHopital, d, -1, "")
		g.addStructure(maillage.KindCPAM, d, -1, "")
	}
	cpts := map[int]int{} // local territory -> its CPTS
	for _, l := range locals {
		cpts[l] = g.addStructure(maillage.KindCPTS, l, l, "")
	}
	total := 0
	for _, k := range localKinds {
		total += k.weight
	}
	for i := 0; len(g.structures) < g.shape.Structures && len(locals) > 0; i++ {
		w, kind := g.rnd.IntN(total), maillage.KindOther
		for _, k := range localKinds {
			if w -= k.weight; w < 0 {
				kind = k.kind
				break
			}
		}
		l := locals[i%len(locals)]
		g.addStructure(kind, l, l, "")
	}
	g.makeLinks(cpts)
}

// addStructure appends a structure of kind in territory t and returns its index.
func (g *nationalGen) addStructure(kind maillage.StructureKind, t, local int, specialty string) int {
	i := len(g.structures)
	ter := g.territories[t]
	dept := g.territories[g.deptTerritory[ter.dept]]
	s := genStructure{id: g.id(maillage.PrefixStructure), kind: kind, territory: ter.id, dept: ter.dept, local: local,
		commune: fmt.Sprintf("%s%03d", dept.code[:2], 1+i%900)}
	s.name = structureName(kind, ter.name, specialty, i)
	if specialty != "" {
		s.specialties = []string{specialty}
	}
	s.finess, s.siret = structureNumbers(kind, dept.code, i)
	s.mssante = fmt.Sprintf("%s.%d@%s", strings.ToLower(string(kind)), i, mssDomain(string(kind)))
	g.structures = append(g.structures, s)
	g.byDept[ter.dept] = append(g.byDept[ter.dept], i)
	return i
}

func structureName(kind maillage.StructureKind, territory, specialty string, i int) string {
	switch kind {
	case maillage.KindESS:
		return fmt.Sprintf("ESS %s %s", specialty, territory)
	case maillage.KindCPTS, maillage.KindDAC, maillage.KindCPAM:
		return fmt.Sprintf("%s %s", kind, territory)
	case maillage.KindHopital:
		return "Centre hospitalier " + territory
	}
	return fmt.Sprintf("%s %s n°%d", kind, territory, i)
}

// structureNumbers gives a structure its FINESS (establishments: the
// department, a sequence number, the Luhn key; Corsica's 2A/2B carry no key)
// and its SIRET (every structure: 14 digits with the Luhn key). Both are
// unique by construction.
func structureNumbers(kind maillage.StructureKind, dept string, i int) (finess, siret string) {
	siret = withLuhn(fmt.Sprintf("%013d", 7750001000000+int64(i)*7))
	switch kind {
	case maillage.KindCPTS, maillage.KindDAC, maillage.KindESP, maillage.KindCLIC, maillage.KindCCAS, maillage.KindOther:
		return "", siret // associations and local authorities: no FINESS
	}
	prefix := dept[:2]
	if prefix == "2A" || prefix == "2B" {
		return fmt.Sprintf("%s%07d", prefix, i), siret
	}
	return withLuhn(fmt.Sprintf("%s%06d", prefix, i)), siret
}

// makeLinks links MSPs and ESPs to their local CPTS, ESSs to their
// department's DAC, and medico-social partners to the DAC.
func (g *nationalGen) makeLinks(cpts map[int]int) {
	dac := map[int]int{}
	for i, s := range g.structures {
		if s.kind == maillage.KindDAC {
			dac[s.dept] = i
		}
	}
	for i, s := range g.structures {
		var to int
		var kind maillage.LinkKind
		switch s.kind {
		case maillage.KindMSP, maillage.KindESP:
			to, kind = cpts[s.local], maillage.LinkPartOf
		case maillage.KindESS:
			to, kind = dac[s.dept], maillage.LinkAdheresTo
		case maillage.KindEHPAD, maillage.KindSSIAD, maillage.KindSAAD, maillage.KindSPASAD, maillage.KindCLIC, maillage.KindPTA:
			to, kind = dac[s.dept], maillage.LinkWorksWith
		default:
			continue
		}
		g.links = append(g.links, genLink{id: g.id(maillage.PrefixLink), from: g.structures[i].id, to: g.structures[to].id, kind: kind})
	}
}

// makeProfessionals gives every professional one membership, and half of
// them a second one in the same department: about 1.5 memberships each,
// 20 % COORDINATOR and 20 % SECRETARIAT, the rest by kind of structure
// (ESS: case managers and specialists; MSP/ESP: GPs and nurses…).
func (g *nationalGen) makeProfessionals() {
	for i := 0; i < g.shape.Professionals; i++ {
		p := genProfessional{id: g.id(maillage.PrefixProfessional), account: g.id(maillage.PrefixAccount),
			rpps:  withLuhn(fmt.Sprintf("1%09d", 100000000+i)),
			first: seedFirstNames[g.rnd.IntN(len(seedFirstNames))], last: seedLastNames[g.rnd.IntN(len(seedLastNames))]}
		first := g.rnd.IntN(len(g.structures))
		p.memberships = append(p.memberships, g.membership(first))
		if g.rnd.IntN(2) == 0 {
			same := g.byDept[g.structures[first].dept]
			if second := same[g.rnd.IntN(len(same))]; second != first {
				p.memberships = append(p.memberships, g.membership(second))
			}
		}
		p.profession, p.specialty = g.profession(p.memberships[0])
		p.mssante = fmt.Sprintf("%s.%s.%d@%s.mssante.fr", mailPart(p.first), mailPart(p.last), i, mailDomainOf(p.profession))
		g.pros = append(g.pros, p)
	}
}

func (g *nationalGen) membership(structure int) genMembership {
	return genMembership{id: g.id(maillage.PrefixMembership), structure: structure, role: g.role(g.structures[structure].kind)}
}

// role draws a membership role for a structure of kind.
func (g *nationalGen) role(kind maillage.StructureKind) maillage.MembershipRole {
	r := g.rnd.IntN(100)
	switch {
	case r < 20:
		return maillage.MemberRoleCoordinator
	case r < 40:
		return maillage.MemberRoleSecretariat
	case r < 41:
		return maillage.MemberRoleAdministrator
	}
	r = g.rnd.IntN(100)
	switch kind {
	case maillage.KindESS:
		if r < 40 {
			return maillage.MemberRoleCaseManager
		}
		return maillage.MemberRoleSpecialist
	case maillage.KindMSP, maillage.KindESP:
		if r < 50 {
			return maillage.MemberRoleGP
		} else if r < 80 {
			return maillage.MemberRoleNurse
		}
	case maillage.KindSSIAD, maillage.KindSAAD, maillage.KindSPASAD:
		if r < 60 {
			return maillage.MemberRoleNurse
		} else if r < 80 {
			return maillage.MemberRoleMobileTeam
		}
	case maillage.KindEHPAD:
		if r < 50 {
			return maillage.MemberRoleNurse
		}
	}
	return maillage.MemberRoleMember
}

// profession fits a professional's first membership.
func (g *nationalGen) profession(m genMembership) (profession, specialty string) {
	switch m.role {
	case maillage.MemberRoleGP:
		return "Médecin", "Médecine générale"
	case maillage.MemberRoleSpecialist:
		if sp := g.structures[m.structure].specialties; len(sp) > 0 {
			return "Médecin", strings.ToUpper(sp[0][:1]) + sp[0][1:]
		}
		return "Médecin", "Gériatrie"
	case maillage.MemberRoleNurse:
		return "Infirmier", ""
	case maillage.MemberRoleCaseManager:
		return "Infirmier", "Coordination de parcours"
	case maillage.MemberRoleSecretariat:
		return "Secrétaire médicale", ""
	case maillage.MemberRoleCoordinator:
		if g.rnd.IntN(2) == 0 {
			return "Médecin", "Médecine générale"
		}
		return "Coordinateur", ""
	case maillage.MemberRoleAdministrator:
		return "Cadre de santé", ""
	}
	p := seedOtherProfessions[g.rnd.IntN(len(seedOtherProfessions))]
	if p == "Médecin" {
		return p, "Médecine générale"
	}
	return p, ""
}

func mailPart(name string) string {
	return strings.ToLower(strings.ReplaceAll(maillage.FoldAccents(name), " ", "-"))
}

// mailDomainOf is the MSSanté domain of a profession's national operator.
func mailDomainOf(profession string) string {
	switch profession {
	case "Médecin":
		return "medecin"
	case "Infirmier":
		return "infirmier"
	case "Pharmacien":
		return "pharmacien"
	case "Masseur-kinésithérapeute":
		return "kine"
	}
	return "pro"
}

// makeStaff makes the demo's staff accounts and an ARS agent per region.
func (g *nationalGen) makeStaff() {
	add := func(login, name, role, domain string) {
		g.staff = append(g.staff, genStaff{id: g.id(maillage.PrefixAccount), grant: g.id("grt"), login: login, name: name, role: role, domain: domain})
	}
	add("admin", "Administrateur national", "national_admin", "fr")
	add("auditor", "Auditeur", "auditor", "fr")
	for _, t := range g.territories {
		if t.level == "REGION" {
			add("ars-"+t.code, "Agent ARS "+t.name, "ars_agent", t.path)
		}
	}
}

// tables are the COPYs, in foreign key order, counting their rows.
func (g *nationalGen) tables() []copyTable {
	r := &g.report
	return []copyTable{
		{"territories", []string{"id", "code", "name", "level", "path", "parent_id"}, func(emit func(...any) error) error {
			for _, t := range g.territories {
				if err := emit(t.id, t.code, t.name, t.level, t.path, nullable(t.parent)); err != nil {
					return err
				}
				r.Territories++
			}
			return nil
		}},
		{"structures", []string{"id", "kind", "name", "territory_id", "finess", "siret", "mssante", "specialties", "commune"}, func(emit func(...any) error) error {
			for _, s := range g.structures {
				if err := emit(s.id, string(s.kind), s.name, s.territory, nullable(s.finess), s.siret, s.mssante, pq.StringArray(nonNil(s.specialties)), s.commune); err != nil {
					return err
				}
				r.Structures++
			}
			return nil
		}},
		{"structure_links", []string{"id", "from_id", "to_id", "kind"}, func(emit func(...any) error) error {
			for _, l := range g.links {
				if err := emit(l.id, l.from, l.to, string(l.kind)); err != nil {
					return err
				}
				r.Links++
			}
			return nil
		}},
		{"professionals", []string{"id", "rpps", "first_name", "last_name", "profession", "specialty", "mssante"}, func(emit func(...any) error) error {
			for _, p := range g.pros {
				if err := emit(p.id, p.rpps, p.first, p.last, p.profession, nullable(p.specialty), p.mssante); err != nil {
					return err
				}
				r.Professionals++
			}
			return nil
		}},
		{"memberships", []string{"id", "professional_id", "structure_id", "role"}, func(emit func(...any) error) error {
			for _, p := range g.pros {
				for _, m := range p.memberships {
					if err := emit(m.id, p.id, g.structures[m.structure].id, string(m.role)); err != nil {
						return err
					}
					r.Memberships++
				}
			}
			return nil
		}},
		{"accounts", []string{"id", "login", "display_name", "professional_id"}, func(emit func(...any) error) error {
			for _, p := range g.pros {
				if err := emit(p.account, p.rpps, p.first+" "+p.last, p.id); err != nil {
					return err
				}
				r.Accounts++
			}
			for _, s := range g.staff {
				if err := emit(s.id, s.login, s.name, nil); err != nil {
					return err
				}
				r.Accounts++
			}
			return nil
		}},
		{"role_grants", []string{"id", "account_id", "role", "domain"}, func(emit func(...any) error) error {
			for _, s := range g.staff {
				if err := emit(s.grant, s.id, s.role, s.domain); err != nil {
					return err
				}
				r.Grants++
			}
			return nil
		}},
	}
}

// nullable is NULL for an empty string.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
