package resolvers

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/maillage/maillage"
)

// The directory's nested fields resolve level by level (see levels.go): one
// statement per field of a level, sent without waiting, and a page's
// totalCount read with the page when the operation asks for it.

// asks reports whether the field of ctx, of type typeName, selects name.
func asks(ctx context.Context, typeName, name string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return false
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, []string{typeName}) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// counted is page asking for the total count when the connection field of
// ctx (of type typeName) selects totalCount.
func counted(ctx context.Context, typeName string, page maillage.PageArgs) maillage.PageArgs {
	page.Count = asks(ctx, typeName, "totalCount")
	return page
}

// one is the children of a single-object result: itself, unless nil.
func one[T any](v *T) []any {
	if v == nil {
		return nil
	}
	return []any{v}
}

// byID resolves a single-object field (a membership's professional, a
// structure's territory…) for the whole level of parent in one statement,
// or through loader when the level is unknown. An id "" is a null field: it
// still takes part in the level's batch (sent even when every id of the
// level is null), so that a field costs one statement per level whatever
// the rows hold.
func byID[P, T any](ctx context.Context, parent *P, id func(*P) string, kind string,
	byIDs func(context.Context, []string) ([]*T, error), loader interface {
		Load(context.Context, string) (*T, error)
	}) (*T, error) {
	v, ok, err := byLevel(ctx, parent, id, byIDs, one[T])
	if !ok && id(parent) != "" {
		return loader.Load(ctx, id(parent))
	}
	if err == nil && v == nil {
		err = maillage.NotFound(kind)
	}
	return v, err
}

// asAny is a level's objects as []any.
func asAny[T any](objs []*T) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}

func structureNodes(c *maillage.StructureConnection) []any   { return asAny(structureNodesOf(c)) }
func territoryNodes(c *maillage.TerritoryConnection) []any   { return asAny(territoryNodesOf(c)) }
func membershipNodes(c *maillage.MembershipConnection) []any { return asAny(membershipNodesOf(c)) }

// childKey is a territory's key in its level's children batch: the level of
// its children, then its id. A LOCAL territory has no child level: level ""
// selects none, and its page and count stay in the batch of the others.
func childKey(t *maillage.Territory) string { return string(childLevel(t.Level)) + " " + t.ID }

// territoryChildren loads the children pages of a level's territories (keys
// of childKey): one statement per child level among them, and one more for
// their counts when page.Count.
func (r *Resolver) territoryChildren(page maillage.PageArgs) func(context.Context, []string) ([]*maillage.TerritoryConnection, error) {
	return func(ctx context.Context, keys []string) ([]*maillage.TerritoryConnection, error) {
		out := make([]*maillage.TerritoryConnection, len(keys))
		at := map[maillage.TerritoryLevel][]int{}
		var levels []maillage.TerritoryLevel
		for i, k := range keys {
			level, _, _ := strings.Cut(k, " ")
			l := maillage.TerritoryLevel(level)
			if _, ok := at[l]; !ok {
				levels = append(levels, l)
			}
			at[l] = append(at[l], i)
		}
		for _, level := range levels {
			ids := make([]string, len(at[level]))
			for j, i := range at[level] {
				_, ids[j], _ = strings.Cut(keys[i], " ")
			}
			f := maillage.TerritoryFilter{Level: &level}
			conns, err := r.TerritoryService.FindTerritoriesWithin(ctx, ids, f, page)
			if err != nil {
				return nil, err
			}
			var counts []int
			if page.Count {
				if counts, err = r.TerritoryService.CountTerritoriesWithin(ctx, ids, f); err != nil {
					return nil, err
				}
			}
			for j, i := range at[level] {
				out[i] = conns[j]
				if counts != nil {
					out[i].Total = &counts[j]
				}
			}
		}
		return out, nil
	}
}

// membershipList is the filter of a membership page loader's key: whose
// memberships, and which role.
type membershipList struct {
	Of   maillage.MembershipsOf
	Role *maillage.MembershipRole
}

// memberships resolves Structure.members and Professional.memberships: one
// statement for the parents of a level, the members' professionals joined
// when the operation selects them (prefetch.go).
func (r *Resolver) memberships(ctx context.Context, of maillage.MembershipsOf, parentID string, parent any,
	role *maillage.MembershipRole, first *int, after *string) (*maillage.MembershipConnection, error) {
	page := counted(ctx, "MembershipConnection", pageArgs(first, after))
	f := maillage.MembershipFilter{Role: role}
	base, field := fieldSelections(ctx)
	nodes := below(ctx, field[0].set, connectionNodes("MembershipConnection", "MembershipEdge")...)
	load := func(ctx context.Context, ids []string) ([]*maillage.MembershipConnection, error) {
		paths := professionalPaths(ctx, base, nodes)
		if len(paths) == 0 {
			return r.ProfessionalService.MembershipPages(ctx, of, ids, f, page)
		}
		conns, err := r.ProfessionalService.MembershipPagesWithProfessionals(ctx, of, ids, f, page, maillage.MembershipSelection{})
		if err != nil {
			return nil, err
		}
		var ms []*maillage.Membership
		for _, c := range conns {
			ms = append(ms, membershipNodesOf(c)...)
		}
		recordProfessionals(ctx, paths, ms)
		return conns, nil
	}
	var conn *maillage.MembershipConnection
	var ok bool
	var err error
	switch p := parent.(type) {
	case *maillage.Structure:
		conn, ok, err = byLevel(ctx, p, structureID, load, membershipNodes)
	case *maillage.Professional:
		conn, ok, err = byLevel(ctx, p, professionalID, load, membershipNodes)
	}
	if ok {
		return conn, err
	}
	key := listKey{Parent: parentID, Page: page}
	key.Filter = newListKey("", membershipList{Of: of, Role: role}, func(*membershipList) {}, page).Filter
	conn, err = r.loaders(ctx).MembershipPages.Load(ctx, key)
	if err != nil {
		return nil, err
	}
	conn = ownMemberships(conn)
	return conn, withProfessionals(ctx, base, nodes, membershipNodesOf(conn), visible(r.loaders(ctx).Professional))
}

// membershipPages adapts MembershipPages to a loader.
func membershipPages(s maillage.ProfessionalService) func(context.Context, []listKey) ([]*maillage.MembershipConnection, []error) {
	return pages(func(ctx context.Context, parents []string, f membershipList, page maillage.PageArgs) ([]*maillage.MembershipConnection, error) {
		return s.MembershipPages(ctx, f.Of, parents, maillage.MembershipFilter{Role: f.Role}, page)
	})
}

func structureID(s *maillage.Structure) string       { return s.ID }
func territoryID(t *maillage.Territory) string       { return t.ID }
func professionalID(p *maillage.Professional) string { return p.ID }

// nodes are the nodes of a page's edges: the level the page produced.
func nodes[E, T any](edges []E, node func(E) *T) []*T {
	out := make([]*T, len(edges))
	for i, e := range edges {
		out[i] = node(e)
	}
	return out
}

func territoryNodesOf(c *maillage.TerritoryConnection) []*maillage.Territory {
	return nodes(c.Edges, func(e maillage.TerritoryEdge) *maillage.Territory { return e.Node })
}

func structureNodesOf(c *maillage.StructureConnection) []*maillage.Structure {
	return nodes(c.Edges, func(e maillage.StructureEdge) *maillage.Structure { return e.Node })
}

func professionalNodesOf(c *maillage.ProfessionalConnection) []*maillage.Professional {
	return nodes(c.Edges, func(e maillage.ProfessionalEdge) *maillage.Professional { return e.Node })
}

func membershipNodesOf(c *maillage.MembershipConnection) []*maillage.Membership {
	return nodes(c.Edges, func(e maillage.MembershipEdge) *maillage.Membership { return e.Node })
}
