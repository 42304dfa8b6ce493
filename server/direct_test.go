package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// directReadQuery is a read, whether a direct read answers it, and its
// variables besides the territory $t.
type directReadQuery struct {
	name   string
	direct bool
	query  string
	vars   map[string]any
}

// directReadQueries are directory reads that direct reads answer (true) or
// leave to the executor (false), over the demo data: every field they
// serve, aliases, fragments on the type and on Node, __typename, @skip and
// @include from variables, filters, role filters, cursors, and the cases a
// direct read must give up (an error, a field it does not serve).
var directReadQueries = []directReadQuery{
	{"the dashboard read", true, `query($t: ID!) { territory(id: $t) { name
		structures(first: 20) { totalCount edges { node { id name
			members(first: 50) { totalCount edges { node { role professional { rpps lastName profession } } } } } } } } }`, nil},
	{"every field, aliases and fragments", true, `query($t: ID!, $skip: Boolean!) { t: territory(id: $t) { __typename id code name level path
		...pages
		other: structures(first: 2, filter: {kinds: [MSP, ESS], includeArchived: true}) {
			pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id kind } } } } }
		fragment pages on Territory { structures(first: 3) { totalCount edges { cursor node { ... on Node { id } name finess siret
			mssante specialties commune createdAt updatedAt archivedAt finessWarning @skip(if: $skip)
			members(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { __typename id role startedAt endedAt
				who: professional { id rpps nationalId firstName lastName profession specialty mssante createdAt updatedAt archivedAt }
				professional @include(if: $skip) { __typename } } } } } } } }`, map[string]any{"skip": true}},
	{"root structures with a filter", true, `query($t: ID!) { structures(first: 5, filter: {within: $t, search: "é"}) {
		totalCount edges { node { name members(role: MEMBER) { edges { node { role } } } } } } }`, nil},
	{"members without their professional", true, `query($t: ID!) { territory(id: $t) {
		structures { edges { node { members(first: 1) { pageInfo { hasNextPage } edges { cursor node { id role } } } } } } } }`, nil},
	{"members' cursors from the page only", true, `query($t: ID!) { territory(id: $t) { structures(first: 4) { edges { node {
		members(first: 2) { pageInfo { startCursor endCursor } edges { node { professional { lastName } } } } } } } } }`, nil},
	{"one fragment's members merged with different fields in two places", true, `query($t: ID!) { territory(id: $t) {
		a: structures(first: 3) { edges { node { ...members members(first: 2) { edges { node { id } } } } } }
		b: structures(first: 3) { edges { node { ...members members(first: 2) { edges { node { role } } } } } } } }
		fragment members on Structure { members(first: 2) { totalCount } }`, nil},
	{"one fragment's members read with different columns in two places", true, `query($t: ID!) { territory(id: $t) {
		a: structures(first: 3) { edges { node { ...members members(first: 2) { edges { cursor node { id professional { firstName } } } } } } }
		b: structures(first: 3) { edges { node { ...members members(first: 2) { pageInfo { hasNextPage } edges { node { professional { lastName } } } } } } } } }
		fragment members on Structure { members(first: 2) { totalCount } }`, nil},
	{"an unknown territory", true, `{ territory(id: "ter_0000") { name structures { totalCount } } }`, nil},
	{"a page out of bounds", false, `query($t: ID!) { territory(id: $t) { structures(first: 500) { totalCount } } }`, nil},
	{"a bad cursor", false, `query($t: ID!) { territory(id: $t) { structures(after: "nope") { totalCount } } }`, nil},
	{"the CPTS dashboard's directory", true, `query($t: ID!) { structures(filter: { within: $t }, first: 40) { totalCount edges { node {
		id kind name mssante commune territory { id name }
		members(first: 15) { totalCount edges { node { id role professional { id firstName lastName profession mssante } } } }
		links { id kind from { id name } to { id name } } } } } }`, nil},
	{"links, their ends and territories, nested", true, `query($t: ID!) { territory(id: $t) { structures(first: 8) { edges { node { name
		links { __typename ... on Node { id } kind createdAt archivedAt from { name territory { code level path
			structures(first: 2) { totalCount edges { node { name } } } } members(first: 1) { edges { cursor node { role } } } }
			to { ...end } } } } } } }
		fragment end on Structure { id name links { kind to { name } } territory { name } }`, nil},
	{"links twice with different selections of their ends", true, `query($t: ID!) { territory(id: $t) { structures(first: 8) { edges { node {
		links { id from { name } } links { kind from { id territory { name } } to { name } } } } } } }`, nil},
	{"links' ends through fragments on Node and _Entity", true, `query($t: ID!) { territory(id: $t) { structures(first: 8) { edges { node {
		links { ... on Node { ... on StructureLink { __typename kind } } from { ... on _Entity { ... on Structure { name } } }
			to { ... on Node { id } ... on _Entity { __typename } } } } } } } }`, nil},
	{"an empty page's links, territories and members", true, `query($t: ID!) { structures(first: 5, filter: {within: $t, search: "zzqqxxj"}) {
		edges { node { name territory { name } members { totalCount } links { id from { name } } } } } }`, nil},
	{"a field it does not serve", false, `query($t: ID!) { territory(id: $t) { name parent { name } } }`, nil},
}

// memberFieldsAlone are reads of a territory's members that select one
// field of a membership, of its professional or of the page's cursors
// alone: a member page reads only the columns its selection writes, so each
// field must bring its own column (the reads above select several at once).
func memberFieldsAlone() []directReadQuery {
	read := func(name, members string) directReadQuery {
		return directReadQuery{"members' " + name + " alone", true, `query($t: ID!) { territory(id: $t) {
			structures(first: 4) { edges { node { members(first: 3) { ` + members + ` } } } } } }`, nil}
	}
	out := []directReadQuery{
		read("edge cursor", `edges { cursor }`),
		read("start cursor", `pageInfo { startCursor }`),
		read("end cursor", `pageInfo { endCursor }`),
	}
	for _, f := range []string{"id", "role", "startedAt", "endedAt"} {
		out = append(out, read(f, `edges { node { `+f+` } }`))
	}
	for _, f := range []string{"id", "rpps", "nationalId", "firstName", "lastName", "profession", "specialty", "mssante",
		"createdAt", "updatedAt", "archivedAt"} {
		out = append(out, read("professional's "+f, `edges { node { professional { `+f+` } } }`))
	}
	return out
}

// A direct read answers exactly what the executor answers, byte for byte,
// to every caller: the same hub with ExecutorOnly is the reference.
func TestDirectReadsAnswerAsTheExecutor(t *testing.T) {
	db := pgtest.Seeded(t)
	direct := newHub(t, db, server.Config{})
	executor := newHub(t, db, server.Config{ExecutorOnly: true})
	territory := jpath(direct.ok("admin", `{ territories(filter: {search: "Rouen"}, first: 1) { edges { node { id } } } }`, nil),
		"territories.edges.0.node.id")
	if territory == nil {
		t.Fatal("no territory named Rouen in the demo data")
	}
	for _, login := range []string{"", "10003456804", "ars-ara", "admin"} {
		for _, q := range append(slices.Clone(directReadQueries), memberFieldsAlone()...) {
			vars := map[string]any{"t": territory}
			for k, v := range q.vars {
				vars[k] = v
			}
			before := scrape(t, direct)[directReadsMetric]
			statements := postgres.Statements()
			want := executor.raw(login, q.query, vars)
			executorStatements := postgres.Statements() - statements
			statements = postgres.Statements()
			got := direct.raw(login, q.query, vars)
			directStatements := postgres.Statements() - statements
			served := int(scrape(t, direct)[directReadsMetric] - before)
			if q.direct && directStatements > executorStatements {
				t.Errorf("%s as %q: %d statements, the executor %d", q.name, login, directStatements, executorStatements)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s as %q:\ndirect   %s\nexecutor %s", q.name, login, got, want)
			}
			if wantServed := map[bool]int{true: 1, false: 0}[q.direct]; served != wantServed {
				t.Errorf("%s as %q: %d direct reads, want %d", q.name, login, served, wantServed)
			}
			if q.direct && !bytes.Contains(got, []byte(`"data":{`)) {
				t.Errorf("%s as %q: no data: %s", q.name, login, got)
			}
			if strings.HasPrefix(q.name, "links") && !bytes.Contains(got, []byte(`"from":{"name":`)) {
				t.Errorf("%s as %q: no link in the demo territory, nothing compared: %s", q.name, login, got)
			}
		}
	}
}

// raw posts an operation as login and returns the response body as sent.
func (h *hub) raw(login, query string, vars map[string]any) []byte {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, h.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok := h.token(login); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	_, b := h.roundTrip(req)
	return b
}

// directReadsMetric counts the queries answered as direct reads.
const directReadsMetric = "maillage_graphql_direct_reads_total"
