package resolvers

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/maillage/maillage"
)

// DirectReads is the handler extension that answers a plain directory read
// — territories, structures, their members and the members' professionals,
// a structure's territory and links (with their ends), with their scalar
// fields and connections — without gqlgen's per-field
// executor. A dashboard's directory page has a few thousand fields; the
// executor spends some microseconds and a goroutine or more on each, several
// times what PostgreSQL spends on the rows.
//
// A direct read makes the same service calls the resolvers make, one per
// selected nested field, with the same arguments and the caller's identity
// in ctx, so the same authorization applies; it writes every value with
// gqlgen's own marshalers, in the order of the selection. Everything else —
// another field, @defer, an error from a service, a null where the schema
// says non-null — goes to the executor unchanged: a direct read either
// answers exactly as the executor would, or does not answer at all. It must
// be the innermost response interceptor, so that the limits, the anonymous
// gate, the observer and the error presenter act as for any operation.
type DirectReads struct {
	Resolver *Resolver
	// Served is called for each operation answered directly (may be nil).
	Served func()
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = DirectReads{}

// ExtensionName names the extension for gqlgen.
func (DirectReads) ExtensionName() string { return "DirectReads" }

// Validate accepts any schema.
func (DirectReads) Validate(graphql.ExecutableSchema) error { return nil }

// directOnce is a query's state across the calls of its response handler
// (a transport calls it until it answers nil): the first call decides
// whether the read is direct; a direct read answers once, then nil.
type directOnce struct{ decided, direct bool }

type directOnceKey struct{}

// InterceptOperation gives each query its directOnce.
func (DirectReads) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if oc := graphql.GetOperationContext(ctx); oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	return next(context.WithValue(ctx, directOnceKey{}, &directOnce{}))
}

// InterceptResponse answers a plain directory query directly, and passes
// any other operation to next.
func (d DirectReads) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	once, _ := ctx.Value(directOnceKey{}).(*directOnce)
	switch {
	case once == nil || (once.decided && !once.direct):
		return next(ctx)
	case once.decided: // answered
		return nil
	}
	once.decided = true
	data, ok := d.answer(ctx, graphql.GetOperationContext(ctx))
	if !ok {
		return next(ctx)
	}
	once.direct = true
	if d.Served != nil {
		d.Served()
	}
	return &graphql.Response{Data: data, Extensions: graphql.GetExtensions(ctx)}
}

// answer is the data of oc's operation as a direct read, or false when
// the executor must answer.
func (d DirectReads) answer(ctx context.Context, oc *graphql.OperationContext) (json.RawMessage, bool) {
	rd := &directRead{r: d.Resolver, oc: oc}
	root := rd.collect(oc.Operation.SelectionSet, "Query")
	if !rd.plain(root, "Query") || !rd.loadRoot(ctx, root) {
		return nil, false
	}
	w := directWriter{b: make([]byte, 0, lastAnswerSize.Load())}
	if !rd.writeQuery(&w, root) {
		return nil, false
	}
	lastAnswerSize.Store(min(int64(len(w.b)), maxAnswerHint))
	return json.RawMessage(w.b), true
}

// lastAnswerSize is the size of the last direct answer: the next one's
// buffer starts at it, instead of growing by copies (a dashboard's page is
// some tens of kilobytes, and the same views come again).
var lastAnswerSize atomic.Int64

// maxAnswerHint bounds lastAnswerSize, so that one large answer does not
// make every later one start with as much memory.
const maxAnswerHint = 256 << 10

// directFields are the fields a direct read serves, by type: scalars read
// from the Go value, and the fields with a selection of their own
// (directNested), loaded by level.
var directFields = map[string]map[string]bool{
	"Query":                {"territory": true, "structures": true},
	"Territory":            {"id": true, "code": true, "name": true, "level": true, "path": true, "structures": true},
	"StructureConnection":  {"edges": true, "pageInfo": true, "totalCount": true},
	"StructureEdge":        {"cursor": true, "node": true},
	"Structure":            {"id": true, "kind": true, "name": true, "finess": true, "finessWarning": true, "siret": true, "mssante": true, "specialties": true, "commune": true, "createdAt": true, "updatedAt": true, "archivedAt": true, "members": true, "territory": true, "links": true},
	"StructureLink":        {"id": true, "kind": true, "from": true, "to": true, "createdAt": true, "archivedAt": true},
	"MembershipConnection": {"edges": true, "pageInfo": true, "totalCount": true},
	"MembershipEdge":       {"cursor": true, "node": true},
	"Membership":           {"id": true, "role": true, "startedAt": true, "endedAt": true, "professional": true},
	"Professional":         {"id": true, "rpps": true, "nationalId": true, "firstName": true, "lastName": true, "profession": true, "specialty": true, "mssante": true, "createdAt": true, "updatedAt": true, "archivedAt": true},
	"PageInfo":             {"hasNextPage": true, "hasPreviousPage": true, "startCursor": true, "endCursor": true},
}

// directNested is the type of each field with a selection of its own.
var directNested = map[string]map[string]string{
	"Query":                {"territory": "Territory", "structures": "StructureConnection"},
	"Territory":            {"structures": "StructureConnection"},
	"StructureConnection":  {"edges": "StructureEdge", "pageInfo": "PageInfo"},
	"StructureEdge":        {"node": "Structure"},
	"Structure":            {"members": "MembershipConnection", "territory": "Territory", "links": "StructureLink"},
	"StructureLink":        {"from": "Structure", "to": "Structure"},
	"MembershipConnection": {"edges": "MembershipEdge", "pageInfo": "PageInfo"},
	"MembershipEdge":       {"node": "Membership"},
	"Membership":           {"professional": "Professional"},
}

// directImplementors are what a fragment on each type may name, as in the
// generated executor.
var directImplementors = map[string][]string{
	"Territory":     {"Territory", "Node", "_Entity"},
	"Structure":     {"Structure", "Node", "_Entity"},
	"Membership":    {"Membership", "Node"},
	"StructureLink": {"StructureLink", "Node"},
	"Professional":  {"Professional", "Node", "_Entity"},
}

// directRead is one direct read: the operation, and the pages loaded for
// each nested field (by where the field stands, then by the parent's id).
type directRead struct {
	r         *Resolver
	oc        *graphql.OperationContext
	territory map[*ast.Field]*maillage.Territory
	structs   map[fieldKey]map[string]*maillage.StructureConnection
	members   map[fieldKey]map[string]*maillage.MembershipConnection
	// A structure's territory and links, and a link's ends, by id.
	territories map[fieldKey]map[string]*maillage.Territory
	links       map[fieldKey]map[string][]*maillage.StructureLink
	ends        map[fieldKey]map[string]*maillage.Structure
	collected   map[collectKey][]graphql.CollectedField
}

// collectKey names a selection set on a type: a set is known by its array
// and its length, as gqlgen's own cache knows it. Its first selection would
// not do: a fragment's field merged with other selections in two places
// starts both merged sets, which may have the same length.
type collectKey struct {
	first    *ast.Selection
	n        int
	typeName string
}

// fieldKey names a field with a selection of its own where it stands in
// the operation: by the array of its merged selections, which
// CollectFields makes for each place. Its *ast.Field would not do: a
// fragment's field stands in every place the fragment is spread, merged
// with other selections (and so other columns read) in each.
type fieldKey *ast.Selection

// keyOf is f's fieldKey.
func keyOf(f graphql.CollectedField) fieldKey {
	if len(f.Selections) == 0 {
		return nil
	}
	return &f.Selections[0]
}

// collect is the fields of set on typeName, fragments, @skip and @include
// applied, fields of one response key merged: as the executor sees them.
// Each set is collected once per read, not once per object of a list.
func (rd *directRead) collect(set ast.SelectionSet, typeName string) []graphql.CollectedField {
	key := collectKey{n: len(set), typeName: typeName}
	if len(set) > 0 {
		key.first = &set[0]
	}
	if fields, ok := rd.collected[key]; ok {
		return fields
	}
	satisfies, ok := directImplementors[typeName]
	if !ok {
		satisfies = []string{typeName}
	}
	fields := graphql.CollectFields(rd.oc, set, satisfies)
	if rd.collected == nil {
		rd.collected = map[collectKey][]graphql.CollectedField{}
	}
	rd.collected[key] = fields
	return fields
}

// plain reports whether every field below fields (on typeName) is one a
// direct read serves.
func (rd *directRead) plain(fields []graphql.CollectedField, typeName string) bool {
	for _, f := range fields {
		if f.Name == "__typename" {
			continue
		}
		if !directFields[typeName][f.Name] || len(f.Deferrables) > 0 {
			return false
		}
		if child, nested := directNested[typeName][f.Name]; nested && !rd.plain(rd.collect(f.Selections, child), child) {
			return false
		}
	}
	return true
}

// args is a field's arguments, variables and defaults applied.
func (rd *directRead) args(f graphql.CollectedField) map[string]any {
	return f.ArgumentMap(rd.oc.Variables)
}

// loadRoot runs the root fields' service calls, then their levels. False:
// a call failed or an argument is unusable, and the executor answers.
func (rd *directRead) loadRoot(ctx context.Context, root []graphql.CollectedField) bool {
	rd.territory = map[*ast.Field]*maillage.Territory{}
	rd.structs = map[fieldKey]map[string]*maillage.StructureConnection{}
	rd.members = map[fieldKey]map[string]*maillage.MembershipConnection{}
	rd.territories = map[fieldKey]map[string]*maillage.Territory{}
	rd.links = map[fieldKey]map[string][]*maillage.StructureLink{}
	rd.ends = map[fieldKey]map[string]*maillage.Structure{}
	for _, f := range root {
		switch f.Name {
		case "territory":
			id, err := graphql.UnmarshalID(rd.args(f)["id"])
			if err != nil {
				return false
			}
			t, err := orNull(rd.r.TerritoryService.FindTerritoryByID(ctx, id))
			if err != nil {
				return false
			}
			rd.territory[f.Field] = t
			if t != nil && !rd.loadTerritories(ctx, rd.collect(f.Selections, "Territory"), []*maillage.Territory{t}) {
				return false
			}
		case "structures":
			filter, page, ok := rd.structurePage(f)
			if !ok {
				return false
			}
			conn, err := rd.r.StructureService.FindStructures(ctx, filter, page)
			if err != nil || (page.Count && conn.Total == nil) {
				return false
			}
			rd.structs[keyOf(f)] = map[string]*maillage.StructureConnection{"": conn}
			if !rd.loadStructurePages(ctx, f, []*maillage.StructureConnection{conn}) {
				return false
			}
		}
	}
	return true
}

// loadTerritories loads, for each nested field of territories, the whole
// level in one call (nothing for an empty level).
func (rd *directRead) loadTerritories(ctx context.Context, fields []graphql.CollectedField, ts []*maillage.Territory) bool {
	if len(ts) == 0 {
		return true
	}
	for _, f := range fields {
		if f.Name != "structures" {
			continue
		}
		filter, page, ok := rd.structurePage(f)
		if !ok {
			return false
		}
		ids := uniqueIDs(ts, territoryID)
		conns, err := rd.r.StructureService.FindStructuresWithin(ctx, ids, filter, page)
		if err != nil {
			return false
		}
		byParent := make(map[string]*maillage.StructureConnection, len(ids))
		for i, id := range ids {
			if page.Count && conns[i].Total == nil {
				return false
			}
			byParent[id] = conns[i]
		}
		rd.structs[keyOf(f)] = byParent
		if !rd.loadStructurePages(ctx, f, conns) {
			return false
		}
	}
	return true
}

// loadStructurePages loads the level below the structure pages of field f.
func (rd *directRead) loadStructurePages(ctx context.Context, f graphql.CollectedField, conns []*maillage.StructureConnection) bool {
	var structures []*maillage.Structure
	for _, c := range conns {
		structures = append(structures, structureNodesOf(c)...)
	}
	for _, node := range rd.nodeFields(f, "StructureConnection", "StructureEdge", "Structure") {
		if !rd.loadStructures(ctx, node, structures) {
			return false
		}
	}
	return true
}

// nodeFields is the selections of a connection field's edges { node }, on
// nodeType: one list per occurrence of node (merged by response key).
func (rd *directRead) nodeFields(f graphql.CollectedField, connType, edgeType, nodeType string) [][]graphql.CollectedField {
	var out [][]graphql.CollectedField
	for _, edges := range rd.collect(f.Selections, connType) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range rd.collect(edges.Selections, edgeType) {
			if node.Name == "node" {
				out = append(out, rd.collect(node.Selections, nodeType))
			}
		}
	}
	return out
}

// loadStructures loads each nested field of structures (members, with the
// members' professionals when a node selects them, territory, links) in one
// call; nothing for an empty level, where the executor asks nothing either.
func (rd *directRead) loadStructures(ctx context.Context, fields []graphql.CollectedField, structures []*maillage.Structure) bool {
	if len(structures) == 0 {
		return true
	}
	for _, f := range fields {
		ok := true
		switch f.Name {
		case "members":
			ok = rd.loadMembers(ctx, f, structures)
		case "territory":
			ok = rd.loadStructureTerritories(ctx, f, structures)
		case "links":
			ok = rd.loadLinks(ctx, f, structures)
		}
		if !ok {
			return false
		}
	}
	return true
}

// byIDs loads the objects of ids with load (aligned with ids), each by
// its id; false when one is missing (the executor answers NOT_FOUND) or the
// call failed.
func byIDs[T any](ctx context.Context, ids []string, load func(context.Context, []string) ([]*T, error)) (map[string]*T, []*T, bool) {
	if slices.Contains(ids, "") {
		return nil, nil, false
	}
	if len(ids) == 0 { // no parent has one: nothing to ask
		return map[string]*T{}, nil, true
	}
	objs, err := load(ctx, ids)
	if err != nil || len(objs) != len(ids) || slices.Contains(objs, nil) {
		return nil, nil, false
	}
	byID := make(map[string]*T, len(ids))
	for i, id := range ids {
		byID[id] = objs[i]
	}
	return byID, objs, true
}

// loadStructureTerritories loads the territory of each of structures in
// one call, then the levels below it.
func (rd *directRead) loadStructureTerritories(ctx context.Context, f graphql.CollectedField, structures []*maillage.Structure) bool {
	byID, ts, ok := byIDs(ctx, uniqueIDs(structures, func(s *maillage.Structure) string { return s.TerritoryID }), rd.r.TerritoryService.TerritoriesByIDs)
	if !ok {
		return false
	}
	rd.territories[keyOf(f)] = byID
	return rd.loadTerritories(ctx, rd.collect(f.Selections, "Territory"), ts)
}

// loadLinks loads the links of structures in one call, then each end the
// links select (from, to) in one call per end, and the levels below them.
func (rd *directRead) loadLinks(ctx context.Context, f graphql.CollectedField, structures []*maillage.Structure) bool {
	ids := uniqueIDs(structures, structureID)
	lists, err := rd.r.StructureService.LinksByStructureIDs(ctx, ids)
	if err != nil || len(lists) != len(ids) {
		return false
	}
	byParent := make(map[string][]*maillage.StructureLink, len(ids))
	var links []*maillage.StructureLink
	for i, id := range ids {
		byParent[id] = lists[i]
		links = append(links, lists[i]...)
	}
	rd.links[keyOf(f)] = byParent
	for _, end := range rd.collect(f.Selections, "StructureLink") {
		var endID func(*maillage.StructureLink) string
		switch end.Name {
		case "from":
			endID = func(l *maillage.StructureLink) string { return l.FromID }
		case "to":
			endID = func(l *maillage.StructureLink) string { return l.ToID }
		default:
			continue
		}
		byID, ends, ok := byIDs(ctx, uniqueIDs(links, endID), rd.r.StructureService.StructuresByIDs)
		if !ok {
			return false
		}
		rd.ends[keyOf(end)] = byID
		if !rd.loadStructures(ctx, rd.collect(end.Selections, "Structure"), ends) {
			return false
		}
	}
	return true
}

// loadMembers loads a members field of structures in one call, with the
// members' professionals when a node selects them.
func (rd *directRead) loadMembers(ctx context.Context, f graphql.CollectedField, structures []*maillage.Structure) bool {
	args := rd.args(f)
	page, ok := directPage(args, f, "MembershipConnection", rd)
	if !ok {
		return false
	}
	var filter maillage.MembershipFilter
	if v := args["role"]; v != nil {
		role, err := graphql.UnmarshalString(v)
		if err != nil {
			return false
		}
		filter.Role = (*maillage.MembershipRole)(&role)
	}
	ids := uniqueIDs(structures, structureID)
	var conns []*maillage.MembershipConnection
	var err error
	if sel, joined := rd.membershipSelection(f); joined {
		conns, err = rd.r.ProfessionalService.MembershipPagesWithProfessionals(ctx, maillage.MembershipsOfStructure, ids, filter, page, sel)
	} else {
		conns, err = rd.r.ProfessionalService.MembershipPages(ctx, maillage.MembershipsOfStructure, ids, filter, page)
	}
	if err != nil {
		return false
	}
	byParent := make(map[string]*maillage.MembershipConnection, len(ids))
	for i, id := range ids {
		byParent[id] = conns[i]
	}
	rd.members[keyOf(f)] = byParent
	return true
}

// membershipSelection is what a members field writes of its memberships
// and of their professionals, and whether it writes a professional at all.
func (rd *directRead) membershipSelection(f graphql.CollectedField) (maillage.MembershipSelection, bool) {
	sel := maillage.MembershipSelection{Membership: []string{}, Professional: []string{}}
	joined := false
	for _, c := range rd.collect(f.Selections, "MembershipConnection") {
		switch c.Name {
		case "edges":
			for _, e := range rd.collect(c.Selections, "MembershipEdge") {
				if e.Name == "cursor" {
					sel.Membership = append(sel.Membership, "cursor")
				}
			}
		case "pageInfo":
			for _, i := range rd.collect(c.Selections, "PageInfo") {
				if i.Name == "startCursor" || i.Name == "endCursor" {
					sel.Membership = append(sel.Membership, "cursor")
				}
			}
		}
	}
	for _, node := range rd.nodeFields(f, "MembershipConnection", "MembershipEdge", "Membership") {
		for _, c := range node {
			sel.Membership = append(sel.Membership, c.Name)
			if c.Name != "professional" {
				continue
			}
			joined = true
			for _, pf := range rd.collect(c.Selections, "Professional") {
				sel.Professional = append(sel.Professional, pf.Name)
			}
		}
	}
	return sel, joined
}

// structurePage is a structures field's filter and page.
func (rd *directRead) structurePage(f graphql.CollectedField) (maillage.StructureFilter, maillage.PageArgs, bool) {
	args := rd.args(f)
	page, ok := directPage(args, f, "StructureConnection", rd)
	if !ok {
		return maillage.StructureFilter{}, page, false
	}
	filter, ok := structureFilter(args["filter"])
	return filter, page, ok
}

// directPage is a connection field's first and after, counted when it
// selects totalCount.
func directPage(args map[string]any, f graphql.CollectedField, connType string, rd *directRead) (maillage.PageArgs, bool) {
	var first *int
	if v := args["first"]; v != nil {
		n, err := graphql.UnmarshalInt(v)
		if err != nil {
			return maillage.PageArgs{}, false
		}
		first = &n
	}
	var after *string
	if v := args["after"]; v != nil {
		s, err := graphql.UnmarshalString(v)
		if err != nil {
			return maillage.PageArgs{}, false
		}
		after = &s
	}
	page := pageArgs(first, after)
	page.Count = slices.ContainsFunc(rd.collect(f.Selections, connType), func(c graphql.CollectedField) bool { return c.Name == "totalCount" })
	return page, true
}

// structureFilter decodes a StructureFilter input (already validated
// against the schema).
func structureFilter(v any) (maillage.StructureFilter, bool) {
	var f maillage.StructureFilter
	if v == nil {
		return f, true
	}
	in, ok := v.(map[string]any)
	if !ok {
		return f, false
	}
	for name, value := range in {
		if value == nil {
			continue
		}
		var err error
		switch name {
		case "kinds":
			kinds, isList := value.([]any)
			if !isList {
				return f, false
			}
			for _, k := range kinds {
				s, kerr := graphql.UnmarshalString(k)
				if kerr != nil {
					return f, false
				}
				f.Kinds = append(f.Kinds, maillage.StructureKind(s))
			}
		case "within":
			var s string
			s, err = graphql.UnmarshalID(value)
			f.Within = &s
		case "specialty":
			var s string
			s, err = graphql.UnmarshalString(value)
			f.Specialty = &s
		case "search":
			var s string
			s, err = graphql.UnmarshalString(value)
			f.Search = &s
		case "includeArchived":
			f.IncludeArchived, err = graphql.UnmarshalBoolean(value)
		default:
			return f, false
		}
		if err != nil {
			return f, false
		}
	}
	return f, true
}

// uniqueIDs is the ids of objs, each once, in their first order.
func uniqueIDs[T any](objs []*T, id func(*T) string) []string {
	seen := make(map[string]bool, len(objs))
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		if k := id(o); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// directWriter is the JSON of a direct read, written with gqlgen's
// marshalers (or as they write) so that every value reads as the executor
// writes it.
type directWriter struct{ b []byte }

// Write appends p, for gqlgen's marshalers.
func (w *directWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// WriteString appends s.
func (w *directWriter) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

// WriteByte appends c.
func (w *directWriter) WriteByte(c byte) error { w.b = append(w.b, c); return nil }

// object writes {"key":value,…} for fields, value writing each field and
// reporting false for a value it cannot write (the read is then given up).
func (w *directWriter) object(fields []graphql.CollectedField, typeName string, value func(graphql.CollectedField) bool) bool {
	w.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		w.str(f.Alias)
		w.WriteByte(':')
		if f.Name == "__typename" {
			w.str(typeName)
			continue
		}
		if !value(f) {
			return false
		}
	}
	w.WriteByte('}')
	return true
}

func (w *directWriter) marshal(m graphql.Marshaler) { m.MarshalGQL(w) }

func (w *directWriter) null() { w.WriteString("null") }

// str writes s as graphql.MarshalString does: a string with nothing to
// escape (most are) is copied between its quotes, any other goes through
// the marshaler.
func (w *directWriter) str(s string) bool {
	if !needsEscape(s) {
		w.b = append(append(append(w.b, '"'), s...), '"')
		return true
	}
	w.marshal(graphql.MarshalString(s))
	return true
}

// needsEscape reports whether s holds a byte graphql.MarshalString escapes:
// a control character, a quote or a backslash.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// id writes an ID as graphql.MarshalID does (a string).
func (w *directWriter) id(s string) bool { return w.str(s) }

func (w *directWriter) optional(s *string) bool {
	if s == nil {
		w.null()
		return true
	}
	return w.str(*s)
}

func (w *directWriter) time(t time.Time) bool { w.marshal(graphql.MarshalTime(t)); return true }

func (w *directWriter) optionalTime(t *time.Time) bool {
	if t == nil {
		w.null()
		return true
	}
	return w.time(*t)
}

func (w *directWriter) strings(list []string) bool {
	w.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			w.WriteByte(',')
		}
		w.str(s)
	}
	w.WriteByte(']')
	return true
}

// list writes [item(0),…,item(n-1)].
func (w *directWriter) list(n int, item func(int) bool) bool {
	w.WriteByte('[')
	for i := range n {
		if i > 0 {
			w.WriteByte(',')
		}
		if !item(i) {
			return false
		}
	}
	w.WriteByte(']')
	return true
}

var _ io.Writer = (*directWriter)(nil)

// writeQuery writes the data object of the operation.
func (rd *directRead) writeQuery(w *directWriter, root []graphql.CollectedField) bool {
	return w.object(root, "Query", func(f graphql.CollectedField) bool {
		switch f.Name {
		case "territory":
			t := rd.territory[f.Field]
			if t == nil {
				w.null()
				return true
			}
			return rd.writeTerritory(w, rd.collect(f.Selections, "Territory"), t)
		case "structures":
			return rd.writeStructurePage(w, f, rd.structs[keyOf(f)][""])
		}
		return false
	})
}

func (rd *directRead) writeTerritory(w *directWriter, fields []graphql.CollectedField, t *maillage.Territory) bool {
	return w.object(fields, "Territory", func(f graphql.CollectedField) bool {
		switch f.Name {
		case "id":
			return w.id(t.ID)
		case "code":
			return w.str(t.Code)
		case "name":
			return w.str(t.Name)
		case "level":
			return w.str(string(t.Level))
		case "path":
			return w.str(t.Path)
		case "structures":
			return rd.writeStructurePage(w, f, rd.structs[keyOf(f)][t.ID])
		}
		return false
	})
}

func (rd *directRead) writeStructurePage(w *directWriter, f graphql.CollectedField, c *maillage.StructureConnection) bool {
	return c != nil && writePage(rd, w, f, "Structure", func() int { return *c.Total }, c.PageInfo, len(c.Edges),
		func(i int) (maillage.EdgeCursor, *maillage.Structure) { return c.Edges[i].EdgeCursor, c.Edges[i].Node },
		rd.writeStructure)
}

// writePage writes a connection of nodeType nodes (its type is
// nodeType+"Connection", its edges' nodeType+"Edge"): its total count,
// page info and n edges, edge(i) giving each one's cursor and node. total
// is read only when selected (a page read without its count has none).
func writePage[N any](rd *directRead, w *directWriter, f graphql.CollectedField, nodeType string, total func() int, info maillage.PageInfo,
	n int, edge func(int) (maillage.EdgeCursor, *N), writeNode func(*directWriter, []graphql.CollectedField, *N) bool) bool {
	connType, edgeType := nodeType+"Connection", nodeType+"Edge"
	return w.object(rd.collect(f.Selections, connType), connType, func(cf graphql.CollectedField) bool {
		switch cf.Name {
		case "totalCount":
			w.marshal(graphql.MarshalInt(total()))
			return true
		case "pageInfo":
			return writePageInfo(w, rd.collect(cf.Selections, "PageInfo"), info)
		case "edges":
			edgeFields := rd.collect(cf.Selections, edgeType)
			return w.list(n, func(i int) bool {
				cursor, node := edge(i)
				return w.object(edgeFields, edgeType, func(ef graphql.CollectedField) bool {
					switch ef.Name {
					case "cursor":
						return w.str(cursor.Cursor())
					case "node":
						return node != nil && writeNode(w, rd.collect(ef.Selections, nodeType), node)
					}
					return false
				})
			})
		}
		return false
	})
}

func (rd *directRead) writeStructure(w *directWriter, fields []graphql.CollectedField, s *maillage.Structure) bool {
	return w.object(fields, "Structure", func(f graphql.CollectedField) bool {
		switch f.Name {
		case "id":
			return w.id(s.ID)
		case "kind":
			return w.str(string(s.Kind))
		case "name":
			return w.str(s.Name)
		case "finess":
			return w.optional(s.FINESS)
		case "finessWarning":
			if s.FINESSWarning == "" {
				w.null()
				return true
			}
			return w.str(s.FINESSWarning)
		case "siret":
			return w.optional(s.SIRET)
		case "mssante":
			return w.optional(s.MSSante)
		case "specialties":
			return w.strings(s.Specialties)
		case "commune":
			return w.optional(s.Commune)
		case "createdAt":
			return w.time(s.CreatedAt)
		case "updatedAt":
			return w.time(s.UpdatedAt)
		case "archivedAt":
			return w.optionalTime(s.ArchivedAt)
		case "members":
			return rd.writeMemberPage(w, f, rd.members[keyOf(f)][s.ID])
		case "territory":
			t := rd.territories[keyOf(f)][s.TerritoryID]
			return t != nil && rd.writeTerritory(w, rd.collect(f.Selections, "Territory"), t)
		case "links":
			links, loaded := rd.links[keyOf(f)][s.ID]
			fields := rd.collect(f.Selections, "StructureLink")
			return loaded && w.list(len(links), func(i int) bool { return rd.writeLink(w, fields, links[i]) })
		}
		return false
	})
}

func (rd *directRead) writeLink(w *directWriter, fields []graphql.CollectedField, l *maillage.StructureLink) bool {
	return w.object(fields, "StructureLink", func(f graphql.CollectedField) bool {
		switch f.Name {
		case "id":
			return w.id(l.ID)
		case "kind":
			return w.str(string(l.Kind))
		case "createdAt":
			return w.time(l.CreatedAt)
		case "archivedAt":
			return w.optionalTime(l.ArchivedAt)
		case "from", "to":
			id := l.FromID
			if f.Name == "to" {
				id = l.ToID
			}
			s := rd.ends[keyOf(f)][id]
			return s != nil && rd.writeStructure(w, rd.collect(f.Selections, "Structure"), s)
		}
		return false
	})
}

func (rd *directRead) writeMemberPage(w *directWriter, f graphql.CollectedField, c *maillage.MembershipConnection) bool {
	return c != nil && writePage(rd, w, f, "Membership", func() int { return c.TotalCount }, c.PageInfo, len(c.Edges),
		func(i int) (maillage.EdgeCursor, *maillage.Membership) { return c.Edges[i].EdgeCursor, c.Edges[i].Node },
		rd.writeMembership)
}

func (rd *directRead) writeMembership(w *directWriter, fields []graphql.CollectedField, m *maillage.Membership) bool {
	return w.object(fields, "Membership", func(f graphql.CollectedField) bool {
		switch f.Name {
		case "id":
			return w.id(m.ID)
		case "role":
			return w.str(string(m.Role))
		case "startedAt":
			return w.time(m.StartedAt)
		case "endedAt":
			return w.optionalTime(m.EndedAt)
		case "professional":
			p, err := m.Professional()
			return err == nil && writeProfessional(w, rd.collect(f.Selections, "Professional"), p)
		}
		return false
	})
}

func writeProfessional(w *directWriter, fields []graphql.CollectedField, p *maillage.Professional) bool {
	return w.object(fields, "Professional", func(f graphql.CollectedField) bool {
		switch f.Name {
		case "id":
			return w.id(p.ID)
		case "rpps":
			return w.str(p.RPPS)
		case "nationalId":
			return w.str(p.NationalID())
		case "firstName":
			return w.str(p.FirstName)
		case "lastName":
			return w.str(p.LastName)
		case "profession":
			return w.str(p.Profession)
		case "specialty":
			return w.optional(p.Specialty)
		case "mssante":
			return w.optional(p.MSSante)
		case "createdAt":
			return w.time(p.CreatedAt)
		case "updatedAt":
			return w.time(p.UpdatedAt)
		case "archivedAt":
			return w.optionalTime(p.ArchivedAt)
		}
		return false
	})
}

func writePageInfo(w *directWriter, fields []graphql.CollectedField, p maillage.PageInfo) bool {
	return w.object(fields, "PageInfo", func(f graphql.CollectedField) bool {
		switch f.Name {
		case "hasNextPage":
			w.marshal(graphql.MarshalBoolean(p.HasNextPage))
			return true
		case "hasPreviousPage":
			w.marshal(graphql.MarshalBoolean(p.HasPreviousPage))
			return true
		case "startCursor":
			return w.optional(p.StartCursor)
		case "endCursor":
			return w.optional(p.EndCursor)
		}
		return false
	})
}
