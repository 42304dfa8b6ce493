package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// The access matrix of the hub, written as a spec: who (a role held
// somewhere) may do what, where. Every cell goes through the real HTTP server
// with the caller's real token, and every outcome is asserted, denials
// included. To extend it, add a row to callers, a column to places, an entry
// to directoryOps, adminOps or patientPaths, and its expectation.

// A caller is a seeded account and the role it holds where.
type caller struct{ who, login string }

var callers = []caller{
	{"anonymous", ""},
	{"national admin (fr)", "admin"},
	{"ARS agent (Normandie)", "ars-normandie"},
	{"CPTS coordinator (Rouen Nord), GP of Dupont", "10003456781"},
	{"DAC coordinator (Seine-Maritime)", "10003456793"},
	{"ESS secretariat (dermatology Rouen)", "10003456789"},
	{"ESS case manager (dermatology Rouen)", "10003456790"},
	{"ESS specialist (dermatology Rouen)", "10003456787"},
	{"professional (MSP Bois-Guillaume), GP of Leroy", "10003456782"},
	{"auditor (fr)", "auditor"},
}

// A place is a territory the matrix acts in. Seen from CPTS Rouen Nord:
// its region (grand-parent), department (parent), itself, a sibling, a
// cousin department, and another region.
type place struct{ name, path string }

var places = []place{
	{"Normandie (region)", "fr/28"},
	{"Seine-Maritime (department)", "fr/28/76"},
	{"CPTS Rouen Nord (local)", "fr/28/76/cpts-rouen-nord"},
	{"CPTS du Havre (sibling local)", "fr/28/76/cpts-le-havre"},
	{"Calvados (another department)", "fr/28/14"},
	{"CPTS Lyon 8e (another region)", "fr/84/69/cpts-lyon-8"},
}

// directoryWrites says who may change the directory in each place, in the
// order of places: W allowed, . denied. A role holds where it is granted
// and below, never above or beside.
var directoryWrites = map[string]string{
	"":              "......",
	"admin":         "WWWWWW",
	"ars-normandie": "WWWWW.", // the whole region, not another one
	"10003456781":   "..W...", // the CPTS's own territory only
	"10003456793":   ".WWW..", // the department and below
	"10003456789":   "......", // ESS staff and professionals: read only
	"10003456790":   "......",
	"10003456787":   "......",
	"10003456782":   "......",
	"auditor":       "......",
}

// aggregateReads says who may read a place's figures (ESCAP counts and
// incentives), in the order of places: R allowed, . denied. The roles with
// aggregates hold them where they hold the directory; ESS staff hold theirs
// on their ESS only, never on a territory.
var aggregateReads = map[string]string{
	"":              "......",
	"admin":         "RRRRRR",
	"ars-normandie": "RRRRR.",
	"10003456781":   "..R...",
	"10003456793":   ".RRR..",
	"10003456789":   "......",
	"10003456790":   "......",
	"10003456787":   "......",
	"10003456782":   "......",
	"auditor":       "......",
}

// escapsSeen says which seeded ESCAP teams each caller sees: those whose
// care circle they are in (Dr Lefebvre in Dupont's, Dr Martin in Leroy's;
// nobody else among the callers, Morel's team being in Lyon).
var escapsSeen = map[string][]string{
	"10003456781": {"Dupont"},
	"10003456782": {"Leroy"},
}

// adminOnly, auditorOnly: who may use the administration and the audit trail.
var (
	adminOnly   = []string{"admin"}
	auditorOnly = []string{"auditor"}
)

// patientsSeen says which seeded patients each caller sees: only those they
// have a relation with — treating GP, recorder, requester of a referral
// about them, or the ESS staff handling one (the dermatology ESS of Rouen
// has requests about Dupont and Leroy, and its specialist is assigned to
// one of each). Roles, even coordinators of the patient's territory, the ARS
// or the national admin, see none.
var patientsSeen = map[string][]string{
	"10003456781": {"Dupont"},
	"10003456782": {"Leroy"},
	"10003456789": {"Dupont", "Leroy"},
	"10003456790": {"Dupont", "Leroy"},
	"10003456787": {"Dupont", "Leroy"},
}

// The seeded referrals to the dermatology ESS of Rouen, by their client
// key: demo-1, 3 and 7 from Dr Lefebvre, 2 and 4 from Dr Martin, 5 and 6
// from Dr Garnier.
var seededReferrals = []string{"demo-1", "demo-2", "demo-3", "demo-4", "demo-5", "demo-6", "demo-7"}

// referralsSeen says which referrals each caller sees: their own requests,
// and all of an ESS's requests for its staff (by role on the ESS).
var referralsSeen = map[string][]string{
	"10003456781": {"demo-1", "demo-3", "demo-7"},
	"10003456782": {"demo-2", "demo-4"},
	"10003456789": seededReferrals,
	"10003456790": seededReferrals,
	"10003456787": seededReferrals,
}

// essQueueReaders may read the dermatology ESS's queue: its staff.
var essQueueReaders = []string{"10003456789", "10003456790", "10003456787"}

// essStatsReaders may read the ESS's figures: its staff, and the roles with
// aggregates above it (national admin, the region's ARS, the department's
// DAC) — not the coordinator of a CPTS beside it.
var essStatsReaders = []string{"admin", "ars-normandie", "10003456793", "10003456789", "10003456790", "10003456787"}

// patientCreators may record a patient: accounts of professionals.
func patientCreator(login string) bool { return login != "" && login[0] >= '0' && login[0] <= '9' }

// A directoryOp is a mutation on the directory acting in a place, on objects
// the fixture prepares there as the admin.
type directoryOp struct {
	name  string
	field string
	make  func(f *fixture, p place) (string, map[string]any)
}

var directoryOps = []directoryOp{
	{"createTerritory under it", "createTerritory", func(f *fixture, p place) (string, map[string]any) {
		return `mutation($p: ID!, $c: String!) { createTerritory(input: {parentId: $p, code: $c, name: "T", level: LOCAL}) { id } }`,
			map[string]any{"p": f.territory(p.path), "c": f.code()}
	}},
	{"createStructure in it", "createStructure", func(f *fixture, p place) (string, map[string]any) {
		return `mutation($t: ID!) { createStructure(input: {kind: MSP, name: "MSP nouvelle", territoryId: $t}) { id } }`,
			map[string]any{"t": f.territory(p.path)}
	}},
	{"updateStructure there", "updateStructure", func(f *fixture, p place) (string, map[string]any) {
		return `mutation($s: ID!) { updateStructure(id: $s, input: {name: "Renamed"}) { id } }`, map[string]any{"s": f.structure(p.path)}
	}},
	{"archiveStructure there", "archiveStructure", func(f *fixture, p place) (string, map[string]any) {
		return `mutation($s: ID!) { archiveStructure(id: $s) { id } }`, map[string]any{"s": f.structure(p.path)}
	}},
	{"linkStructures from there", "linkStructures", func(f *fixture, p place) (string, map[string]any) {
		return `mutation($a: ID!, $b: ID!) { linkStructures(input: {fromId: $a, toId: $b, kind: WORKS_WITH}) { id } }`,
			map[string]any{"a": f.structure(p.path), "b": f.structure("fr/84")}
	}},
	{"archiveStructureLink from there", "archiveStructureLink", func(f *fixture, p place) (string, map[string]any) {
		return `mutation($l: ID!) { archiveStructureLink(id: $l) { id } }`, map[string]any{"l": f.link(p.path)}
	}},
	{"addMembership there", "addMembership", func(f *fixture, p place) (string, map[string]any) {
		pro, _ := f.professional("fr/84")
		return `mutation($p: ID!, $s: ID!) { addMembership(input: {professionalId: $p, structureId: $s, role: MEMBER}) { id } }`,
			map[string]any{"p": pro, "s": f.structure(p.path)}
	}},
	{"endMembership there", "endMembership", func(f *fixture, p place) (string, map[string]any) {
		_, mem := f.professional(p.path)
		return `mutation($m: ID!) { endMembership(id: $m) { id } }`, map[string]any{"m": mem}
	}},
	{"updateProfessional member there", "updateProfessional", func(f *fixture, p place) (string, map[string]any) {
		pro, _ := f.professional(p.path)
		return `mutation($p: ID!) { updateProfessional(id: $p, input: {lastName: "Renamed"}) { id } }`, map[string]any{"p": pro}
	}},
	{"archiveProfessional member there", "archiveProfessional", func(f *fixture, p place) (string, map[string]any) {
		pro, _ := f.professional(p.path)
		return `mutation($p: ID!) { archiveProfessional(id: $p) { id } }`, map[string]any{"p": pro}
	}},
}

// An adminOp is an operation with no place: who may run it is a list.
type adminOp struct {
	name    string
	field   string
	allowed []string
	make    func(f *fixture) (string, map[string]any)
}

var adminOps = []adminOp{
	{"createProfessional (national)", "createProfessional", adminOnly, func(f *fixture) (string, map[string]any) {
		return `mutation($r: String!) { createProfessional(input: {rpps: $r, firstName: "A", lastName: "B", profession: "Infirmier"}) { id } }`,
			map[string]any{"r": f.rpps()}
	}},
	{"policies", "policies", adminOnly, func(*fixture) (string, map[string]any) { return `{ policies { totalCount } }`, nil }},
	{"roleGrants", "roleGrants", adminOnly, func(*fixture) (string, map[string]any) { return `{ roleGrants { totalCount } }`, nil }},
	{"addPolicy", "addPolicy", adminOnly, func(f *fixture) (string, map[string]any) {
		return `mutation($o: String!) { addPolicy(input: {subject: "auditor", object: $o, action: "read"}) { id } }`,
			map[string]any{"o": "directory"}
	}},
	{"removePolicy", "removePolicy", adminOnly, func(f *fixture) (string, map[string]any) {
		return `mutation($id: ID!) { removePolicy(id: $id) { id } }`, map[string]any{"id": f.policy()}
	}},
	{"grantRole", "grantRole", adminOnly, func(f *fixture) (string, map[string]any) {
		return `mutation { grantRole(input: {login: "10003456795", role: "auditor", domain: "fr/28/14"}) { id } }`, nil
	}},
	{"revokeRole", "revokeRole", adminOnly, func(f *fixture) (string, map[string]any) {
		return `mutation($id: ID!) { revokeRole(id: $id) { id } }`, map[string]any{"id": f.grant()}
	}},
	{"auditLog", "auditLog", auditorOnly, func(*fixture) (string, map[string]any) { return `{ auditLog { totalCount } }`, nil }},
}

// TestAccessMatrix asserts every cell of the matrix.
func TestAccessMatrix(t *testing.T) {
	h := seededHub(t)
	f := newFixture(t, h.db)
	for _, c := range callers {
		if _, ok := directoryWrites[c.login]; !ok {
			t.Fatalf("directoryWrites has no row for %s", c.who)
		}
	}
	for _, c := range callers {
		t.Run(c.who, func(t *testing.T) {
			for i, p := range places {
				allowed := directoryWrites[c.login][i] == 'W'
				for _, op := range directoryOps {
					t.Run(p.name+"/"+op.name, func(t *testing.T) {
						q, vars := op.make(f, p)
						expect(t, h, c, allowed, op.field, q, vars)
					})
				}
				t.Run(p.name+"/public directory reads", func(t *testing.T) { publicReads(t, h, f, c, p) })
				reads := aggregateReads[c.login][i] == 'R'
				t.Run(p.name+"/escapStats", func(t *testing.T) {
					expect(t, h, c, reads, "escapStats", `query($t: ID!) { escapStats(territoryId: $t, from: "2025-01-01", to: "2027-01-01") { __typename } }`,
						map[string]any{"t": f.territory(p.path)})
				})
				t.Run(p.name+"/escapIncentives", func(t *testing.T) {
					expect(t, h, c, reads, "escapIncentives", `query($t: ID!) { escapIncentives(territoryId: $t, year: 2026) { __typename } }`,
						map[string]any{"t": f.territory(p.path)})
				})
			}
			for _, op := range adminOps {
				t.Run(op.name, func(t *testing.T) {
					q, vars := op.make(f)
					expect(t, h, c, slices.Contains(op.allowed, c.login), op.field, q, vars)
				})
			}
			t.Run("patients", func(t *testing.T) { patientCells(t, h, f, c) })
			t.Run("referrals", func(t *testing.T) { referralCells(t, h, f, c) })
			t.Run("escaps", func(t *testing.T) { escapCells(t, h, f, c) })
		})
	}
}

// expect runs an operation as c and asserts it was allowed (data, no error)
// or denied: 401 UNAUTHENTICATED when anonymous, FORBIDDEN otherwise.
func expect(t *testing.T, h *hub, c caller, allowed bool, field, query string, vars map[string]any) {
	t.Helper()
	r := h.as(c.login, query, vars)
	switch {
	case allowed:
		if len(r.Errors) > 0 || jpath(r.Data, field) == nil {
			t.Errorf("%s may %s: got %d %+v", c.who, field, r.Status, r.Errors)
		}
	case c.login == "":
		if r.Status != http.StatusUnauthorized || r.code() != maillage.EUNAUTHENTICATED {
			t.Errorf("anonymous %s: want 401 UNAUTHENTICATED, got %d %+v", field, r.Status, r.Errors)
		}
	default:
		if r.code() != maillage.EFORBIDDEN || jpath(r.Data, field) != nil {
			t.Errorf("%s may not %s: want FORBIDDEN, got %+v data %v", c.who, field, r.Errors, r.Data)
		}
	}
}

// publicReads: the directory is public open data: everyone, anonymous
// included, reaches a structure of the place by every door — root fields,
// nested fields, node(id:) and federation _entities.
func publicReads(t *testing.T, h *hub, f *fixture, c caller, p place) {
	s, terr := f.readable(p.path)
	const q = `query($s: ID!, $t: ID!) {
		structure(id: $s) { id territory { id parent { id } } members { edges { node { professional { id memberships { edges { node { structure { id } } } } } } } }
			links { from { id } to { id } } }
		territory(id: $t) { id children { totalCount } structures { edges { node { id } } } }
		node(id: $s) { id }
		structures(filter: {within: $t}) { totalCount }
		professionals(filter: {within: $t}) { totalCount }
		_entities(representations: [{__typename: "Structure", id: $s}]) { ... on Structure { id } }
	}`
	r := h.as(c.login, q, map[string]any{"s": s, "t": terr})
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("%s reads the directory: %d %+v", c.who, r.Status, r.Errors)
	}
	for _, path := range []string{"structure.id", "node.id"} {
		if jpath(r.Data, path) != s {
			t.Errorf("%s: %s = %v, want %s", c.who, path, jpath(r.Data, path), s)
		}
	}
	if members, _ := jpath(r.Data, "structure.members.edges").([]any); len(members) != 1 || jpath(members[0], "node.professional.id") == nil {
		t.Errorf("%s: structure.members.professional: %v", c.who, members)
	}
	if links, _ := jpath(r.Data, "structure.links").([]any); len(links) != 1 {
		t.Errorf("%s: structure.links: %v", c.who, links)
	}
	if n, _ := jpath(r.Data, "structures.totalCount").(float64); n < 1 {
		t.Errorf("%s: structures within the place: %v", c.who, n)
	}
	if n, _ := jpath(r.Data, "professionals.totalCount").(float64); n < 1 {
		t.Errorf("%s: professionals within the place: %v", c.who, n)
	}
	if e, _ := r.Data["_entities"].([]any); len(e) != 1 || jpath(e[0], "id") != s {
		t.Errorf("%s: _entities: %v", c.who, r.Data["_entities"])
	}
}

// patientCells: every seeded patient through every door — patient(id:),
// node(id:), the patients list — seen only by who has a relation with them,
// and every read leaving exactly one audit record of that request; then
// recording a patient.
func patientCells(t *testing.T, h *hub, f *fixture, c caller) {
	for _, name := range f.patientNames() {
		id := f.patient(name)
		seen := slices.Contains(patientsSeen[c.login], name)
		t.Run(name, func(t *testing.T) {
			reqID := f.requestID()
			r := h.postID(h.token(c.login), reqID, `query($id: ID!) { patient(id: $id) { id familyName } }`, map[string]any{"id": id})
			if c.login == "" {
				if r.Status != http.StatusUnauthorized || r.code() != maillage.EUNAUTHENTICATED {
					t.Fatalf("anonymous patient(id:): want 401 UNAUTHENTICATED, got %d %+v", r.Status, r.Errors)
				}
			} else if got := jpath(r.Data, "patient.id"); (got == id) != seen || len(r.Errors) > 0 {
				t.Errorf("patient(id:) = %v (errors %+v), seen should be %v", got, r.Errors, seen)
			}
			f.assertAudits(t, c, reqID, id, "read", seen)

			reqID = f.requestID()
			r = h.postID(h.token(c.login), reqID, `query($id: ID!) { node(id: $id) { id ... on Patient { familyName } } }`, map[string]any{"id": id})
			if got := jpath(r.Data, "node.id"); (got == id) != seen || len(r.Errors) > 0 {
				t.Errorf("node(id:) = %v (errors %+v), seen should be %v", got, r.Errors, seen)
			}
			f.assertAudits(t, c, reqID, id, "read", seen)
		})
	}
	t.Run("patients list", func(t *testing.T) {
		reqID := f.requestID()
		r := h.postID(h.token(c.login), reqID, `{ patients(first: 100) { edges { node { familyName } } } }`, nil)
		var names []string
		edges, _ := jpath(r.Data, "patients.edges").([]any)
		for _, e := range edges {
			names = append(names, jpath(e, "node.familyName").(string))
		}
		if c.login == "" {
			if r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous patients: want 401, got %d", r.Status)
			}
			return
		}
		want := patientsSeen[c.login]
		if !slices.Equal(names, want) {
			t.Errorf("patients = %v, want %v", names, want)
		}
		// One audit record per patient listed, none for anyone else.
		if n := countRows(t, h, `SELECT count(*) FROM audit_log WHERE operation = 'read' AND request_id = '`+reqID+`'`); n != len(want) {
			t.Errorf("listing %d patients left %d audit records", len(want), n)
		}
	})
	t.Run("createPatient", func(t *testing.T) {
		reqID := f.requestID()
		r := h.postID(h.token(c.login), reqID, `mutation { createPatient(input: {familyName: "Nouveau", givenNames: "Patient", birthDate: "1950-01-01", sex: U}) { id } }`, nil)
		allowed := patientCreator(c.login)
		switch {
		case allowed:
			id, _ := jpath(r.Data, "createPatient.id").(string)
			if id == "" {
				t.Fatalf("%s may record a patient: %+v", c.who, r.Errors)
			}
			f.assertAudits(t, c, reqID, id, "create", true)
		case c.login == "":
			if r.Status != http.StatusUnauthorized || r.code() != maillage.EUNAUTHENTICATED {
				t.Errorf("anonymous createPatient: want 401, got %d %+v", r.Status, r.Errors)
			}
		default:
			if r.code() != maillage.EFORBIDDEN {
				t.Errorf("%s may not record a patient: got %+v", c.who, r.Errors)
			}
			f.assertAudits(t, c, reqID, "", "create", false)
		}
	})
}

// referralCells: every seeded referral through referral(id:) and
// node(id:), seen only as referralsSeen says; the ESS's queue and figures.
func referralCells(t *testing.T, h *hub, f *fixture, c caller) {
	for _, key := range seededReferrals {
		var id string
		f.must(f.db.GetContext(context.Background(), &id, `SELECT id FROM referrals WHERE client_key = $1`, key))
		seen := slices.Contains(referralsSeen[c.login], key)
		t.Run(key, func(t *testing.T) {
			r := h.as(c.login, `query($id: ID!) { referral(id: $id) { id } node(id: $id) { id } }`, map[string]any{"id": id})
			if c.login == "" {
				if r.Status != http.StatusUnauthorized || r.code() != maillage.EUNAUTHENTICATED {
					t.Errorf("anonymous referral(id:): want 401, got %d %+v", r.Status, r.Errors)
				}
				return
			}
			for _, door := range []string{"referral", "node"} {
				if got := jpath(r.Data, door+".id"); (got == id) != seen {
					t.Errorf("%s(id:) = %v (errors %+v), seen should be %v", door, got, r.Errors, seen)
				}
			}
			reqID := f.requestID()
			h.postID(h.token(c.login), reqID, `query($id: ID!) { referral(id: $id) { id } }`, map[string]any{"id": id})
			f.assertAudits(t, c, reqID, id, "read", seen)
		})
	}
	var ess string
	f.must(f.db.GetContext(context.Background(), &ess, `SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`))
	t.Run("referralQueue", func(t *testing.T) {
		expect(t, h, c, slices.Contains(essQueueReaders, c.login), "referralQueue",
			`query($e: ID!) { referralQueue(essId: $e) { edges { node { id } } } }`, map[string]any{"e": ess})
	})
	t.Run("referralStats", func(t *testing.T) {
		expect(t, h, c, slices.Contains(essStatsReaders, c.login), "referralStats",
			`query($e: ID!) { referralStats(essId: $e, from: "2019-12-31T23:00:00Z", to: "2029-12-31T23:00:00Z") { __typename } }`, map[string]any{"e": ess})
	})
}

// escapCells: every seeded ESCAP team through escap(id:), node(id:) and the
// escaps list, seen only by its care circle.
func escapCells(t *testing.T, h *hub, f *fixture, c caller) {
	var teams []struct {
		ID   string `db:"id"`
		Name string `db:"family_name"`
	}
	f.must(f.db.SelectContext(context.Background(), &teams, `SELECT e.id, p.family_name FROM escaps e
		JOIN patients p ON p.id = e.patient_id WHERE p.family_name IN ('Dupont', 'Leroy', 'Morel') ORDER BY p.family_name`))
	if len(teams) != 3 {
		t.Fatalf("seeded teams: %v", teams)
	}
	for _, team := range teams {
		seen := slices.Contains(escapsSeen[c.login], team.Name)
		t.Run(team.Name, func(t *testing.T) {
			r := h.as(c.login, `query($id: ID!) { escap(id: $id) { id } node(id: $id) { id } }`, map[string]any{"id": team.ID})
			if c.login == "" {
				if r.Status != http.StatusUnauthorized || r.code() != maillage.EUNAUTHENTICATED {
					t.Errorf("anonymous escap(id:): want 401, got %d %+v", r.Status, r.Errors)
				}
				return
			}
			for _, door := range []string{"escap", "node"} {
				if got := jpath(r.Data, door+".id"); (got == team.ID) != seen {
					t.Errorf("%s(id:) = %v (errors %+v), seen should be %v", door, got, r.Errors, seen)
				}
			}
			reqID := f.requestID()
			h.postID(h.token(c.login), reqID, `query($id: ID!) { escap(id: $id) { id } }`, map[string]any{"id": team.ID})
			f.assertAudits(t, c, reqID, team.ID, "read", seen)
			edges, _ := jpath(h.as(c.login, `{ escaps(first: 100) { edges { node { id } } } }`, nil).Data, "escaps.edges").([]any)
			if listed := slices.ContainsFunc(edges, func(e any) bool { return jpath(e, "node.id") == team.ID }); listed != seen {
				t.Errorf("escaps lists it: %v, seen should be %v", listed, seen)
			}
		})
	}
}

// fixture prepares, as the national admin, the objects the matrix acts on:
// fresh ones for every mutation, so that no cell depends on another.
type fixture struct {
	t     *testing.T
	db    *postgres.DB
	admin context.Context
	n     atomic.Int64
}

func newFixture(t *testing.T, db *postgres.DB) *fixture {
	return &fixture{t: t, db: db, admin: pgtest.As(t, db, "admin")}
}

func (f *fixture) next() int64 { return f.n.Add(1) }

func (f *fixture) code() string      { return fmt.Sprintf("t-%d", f.next()) }
func (f *fixture) rpps() string      { return fmt.Sprintf("2%010d", f.next()) }
func (f *fixture) requestID() string { return fmt.Sprintf("matrix-%d", f.next()) }

func (f *fixture) must(err error) {
	if err != nil {
		f.t.Fatalf("fixture: %v", err)
	}
}

// territory returns the id of the territory at path.
func (f *fixture) territory(path string) string {
	var id string
	f.must(f.db.GetContext(context.Background(), &id, `SELECT id FROM territories WHERE path = $1`, path))
	return id
}

// structure creates a structure in the territory at path.
func (f *fixture) structure(path string) string {
	s, err := f.db.Directory.CreateStructure(f.admin, maillage.StructureInput{Kind: maillage.KindMSP, Name: fmt.Sprintf("MSP %d", f.next()), TerritoryID: f.territory(path)})
	f.must(err)
	return s.ID
}

// link links a new structure at path to a new one elsewhere.
func (f *fixture) link(path string) string {
	l, err := f.db.Directory.LinkStructures(f.admin, maillage.StructureLinkInput{FromID: f.structure(path), ToID: f.structure("fr/84"), Kind: maillage.LinkWorksWith})
	f.must(err)
	return l.ID
}

// professional creates a professional, member of a new structure at path.
func (f *fixture) professional(path string) (id, membership string) {
	p, err := f.db.Directory.CreateProfessional(f.admin, maillage.ProfessionalInput{RPPS: f.rpps(), FirstName: "Pro", LastName: "Fixture", Profession: "Infirmier"})
	f.must(err)
	m, err := f.db.Directory.AddMembership(f.admin, maillage.MembershipInput{ProfessionalID: p.ID, StructureID: f.structure(path), Role: maillage.MemberRoleMember})
	f.must(err)
	return p.ID, m.ID
}

// readable returns a structure at path with one member and one link, and the
// territory's id.
func (f *fixture) readable(path string) (structure, territory string) {
	_, mem := f.professional(path)
	var s string
	f.must(f.db.GetContext(context.Background(), &s, `SELECT structure_id FROM memberships WHERE id = $1`, mem))
	_, err := f.db.Directory.LinkStructures(f.admin, maillage.StructureLinkInput{FromID: s, ToID: f.structure("fr/84"), Kind: maillage.LinkWorksWith})
	f.must(err)
	return s, f.territory(path)
}

// policy adds an inert policy (nothing asks to "create" audit records)
// and returns its id: the cells of other callers must not depend on it.
func (f *fixture) policy() string {
	p, err := f.db.Policies.AddPolicy(f.admin, maillage.PolicyInput{Subject: "auditor", Object: "audit", Action: "create"})
	if maillage.ErrorCode(err) == maillage.ECONFLICT {
		var id string
		f.must(f.db.GetContext(context.Background(), &id, `SELECT 'pol_' || id FROM authz_policies WHERE subject = 'auditor' AND object = 'audit' AND action = 'create'`))
		return id
	}
	f.must(err)
	return p.ID
}

// grant grants a harmless role and returns the grant's id.
func (f *fixture) grant() string {
	g, err := f.db.Policies.GrantRole(f.admin, maillage.RoleGrantInput{Login: "10003456801", Role: "auditor", Domain: fmt.Sprintf("fr/75/%d", 17)})
	if maillage.ErrorCode(err) == maillage.ECONFLICT {
		var id string
		f.must(f.db.GetContext(context.Background(), &id, `SELECT g.id FROM role_grants g JOIN accounts a ON a.id = g.account_id
			WHERE a.login = '10003456801' AND g.revoked_at IS NULL`))
		return id
	}
	f.must(err)
	return g.ID
}

// patientNames are the seeded patients' family names.
func (f *fixture) patientNames() []string {
	var names []string
	f.must(f.db.SelectContext(context.Background(), &names, `SELECT family_name FROM patients WHERE created_by IN
		(SELECT id FROM accounts WHERE login ~ '^[0-9]{11}$' AND login < '2') AND family_name <> 'Nouveau' ORDER BY family_name`))
	return names
}

// patient returns the id of the seeded patient with that family name.
func (f *fixture) patient(name string) string {
	var id string
	f.must(f.db.GetContext(context.Background(), &id, `SELECT id FROM patients WHERE family_name = $1`, name))
	return id
}

// assertAudits checks the audit records of one request: exactly one, for
// this caller, object and operation, when the access happened; none when it
// was denied.
func (f *fixture) assertAudits(t *testing.T, c caller, requestID, objectID, operation string, happened bool) {
	t.Helper()
	var rows []struct {
		AccountID *string `db:"account_id"`
		ObjectID  string  `db:"object_id"`
		Operation string  `db:"operation"`
	}
	f.must(f.db.SelectContext(context.Background(), &rows, `SELECT account_id, object_id, operation FROM audit_log WHERE request_id = $1`, requestID))
	if !happened {
		if len(rows) != 0 {
			t.Errorf("a denied access left audit records: %+v", rows)
		}
		return
	}
	if len(rows) != 1 {
		t.Fatalf("want exactly one audit record for request %s, got %+v", requestID, rows)
	}
	r := rows[0]
	if r.ObjectID != objectID || r.Operation != operation || r.AccountID == nil || *r.AccountID != maillage.IdentityFrom(pgtest.As(t, f.db, c.login)).AccountID {
		t.Errorf("audit record %+v does not match %s %s by %s", r, operation, objectID, c.login)
	}
}
