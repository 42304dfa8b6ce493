package resolvers

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/maillage/maillage"
)

// A membership's professional is read with the memberships, when the
// operation's selection asks for it: joined in the statement of a level's
// pages (or, for memberships read one by one, one statement for them all),
// and the field then served from the membership (Membership.Professional)
// without a resolver of its own. A page of 300 members thus costs no
// goroutine, no lookup, no statement and no wait per member.

// membershipTypes are the types a Membership selection's fragments may name.
var membershipTypes = []string{"Membership", "Node"}

// selection is a selection set reached from a field, with its path (the
// response keys below the field, dot-joined) for recording levels.
type selection struct {
	path string
	set  ast.SelectionSet
}

// step is one field to follow from a selection set of one of types.
type step struct {
	types []string
	name  string
}

// connectionNodes are the steps from a connection's selection to its nodes'.
func connectionNodes(connection, edge string) []step {
	return []step{{[]string{connection}, "edges"}, {[]string{edge}, "node"}}
}

// below returns the selection sets reached from set by following steps,
// every alias of each.
func below(ctx context.Context, set ast.SelectionSet, steps ...step) []selection {
	oc := graphql.GetOperationContext(ctx)
	at := []selection{{set: set}}
	for _, s := range steps {
		var next []selection
		for _, sel := range at {
			for _, f := range graphql.CollectFields(oc, sel.set, s.types) {
				if f.Name == s.name {
					next = append(next, selection{path: joinPath(sel.path, f.Alias), set: f.Selections})
				}
			}
		}
		at = next
	}
	return at
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// fieldSelections returns the selection of the field of ctx, and the path
// key its objects' fields are recorded under.
func fieldSelections(ctx context.Context) (string, []selection) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return "", nil
	}
	return pathKey(fc.Path()), []selection{{set: fc.Field.Selections}}
}

// professionalPaths returns the path keys of the professional fields that
// sels (Membership selections below the field at base) ask for: none when
// the operation does not read the memberships' professionals.
func professionalPaths(ctx context.Context, base string, sels []selection) []string {
	oc := graphql.GetOperationContext(ctx)
	var paths []string
	for _, sel := range sels {
		for _, f := range graphql.CollectFields(oc, sel.set, membershipTypes) {
			if f.Name == "professional" {
				paths = append(paths, joinPath(joinPath(base, sel.path), f.Alias))
			}
		}
	}
	return paths
}

// recordProfessionals records the professionals of ms as the level that the
// fields at paths produced.
func recordProfessionals(ctx context.Context, paths []string, ms []*maillage.Membership) {
	l, _ := ctx.Value(levelsKey{}).(*levels)
	if l == nil || len(paths) == 0 {
		return
	}
	level := make([]any, 0, len(ms))
	for _, m := range ms {
		if p, err := m.Professional(); err == nil {
			level = append(level, p)
		}
	}
	for _, p := range paths {
		l.add(p, level)
	}
}

// withProfessionals reads the professional of each of ms, in one call of
// load, when a selection of sels (Membership selections below the field at
// base) asks for it, and records them as the level those fields produced.
func withProfessionals(ctx context.Context, base string, sels []selection, ms []*maillage.Membership,
	load func(context.Context, []string) ([]*maillage.Professional, error)) error {
	paths := professionalPaths(ctx, base, sels)
	if len(ms) == 0 || len(paths) == 0 {
		return nil
	}
	var ids []string
	seen := make(map[string]bool, len(ms))
	for _, m := range ms {
		if !seen[m.ProfessionalID] {
			seen[m.ProfessionalID] = true
			ids = append(ids, m.ProfessionalID)
		}
	}
	pros, err := load(ctx, ids)
	if err != nil {
		return err
	}
	byID := make(map[string]*maillage.Professional, len(ids))
	for i, id := range ids {
		byID[id] = pros[i]
	}
	for _, m := range ms {
		m.SetProfessional(byID[m.ProfessionalID])
	}
	recordProfessionals(ctx, paths, ms)
	return nil
}

// visible adapts a loader of found (loaders.go) to a lookup that answers nil
// for what is not found: the request's loader, for objects read outside a
// level, whose keys other resolvers share.
func visible[T any](loader *dataloadgen.Loader[string, *T]) func(context.Context, []string) ([]*T, error) {
	return func(ctx context.Context, ids []string) ([]*T, error) {
		rows, err := loader.LoadAll(ctx, ids)
		var errs dataloadgen.ErrorSlice
		if errors.As(err, &errs) {
			for i, e := range errs {
				if e != nil && maillage.ErrorCode(e) != maillage.ENOTFOUND {
					return nil, e
				}
				if e != nil {
					rows[i] = nil
				}
			}
			return rows, nil
		}
		return rows, err
	}
}

// membershipWithProfessional reads the professional of the membership that
// read returns, the result of the field of ctx (a mutation's, node(id)'s),
// when the field selects it.
func (r *Resolver) membershipWithProfessional(ctx context.Context, read func() (*maillage.Membership, error)) (*maillage.Membership, error) {
	m, err := read()
	if err != nil || m == nil {
		return m, err
	}
	c := *m // m may be the loader's, shared with other fields of the operation
	base, sels := fieldSelections(ctx)
	if err := withProfessionals(ctx, base, sels, []*maillage.Membership{&c}, visible(r.loaders(ctx).Professional)); err != nil {
		return nil, err
	}
	return &c, nil
}

// ownMemberships copies c and its memberships: a page from the request's
// loader is shared by the fields that asked for the same page, and each
// field sets the professionals its own selection asks for.
func ownMemberships(c *maillage.MembershipConnection) *maillage.MembershipConnection {
	own := *c
	own.Edges = make([]maillage.MembershipEdge, len(c.Edges))
	for i, e := range c.Edges {
		m := *e.Node
		own.Edges[i] = maillage.MembershipEdge{EdgeCursor: e.EdgeCursor, Node: &m}
	}
	return &own
}
