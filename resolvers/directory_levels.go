package resolvers

import (
	"context"

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
// or through loader when the level is unknown.
func byID[P, T any](ctx context.Context, parent *P, id func(*P) string, kind string,
	byIDs func(context.Context, []string) ([]*T, error), loader interface {
		Load(context.Context, string) (*T, error)
	}) (*T, error) {
	v, ok, err := byLevel(ctx, parent, id, byIDs, one[T])
	if !ok {
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
func membershipNodes(c *maillage.MembershipConnection) []any { return asAny(membershipNodesOf(c)) }

// membershipList is the filter of a membership page loader's key: whose
// memberships, and which role.
type membershipList struct {
	Of   maillage.MembershipsOf
	Role *maillage.MembershipRole
}

// memberships resolves Structure.members and Professional.memberships: one
// statement for the parents of a level.
func (r *Resolver) memberships(ctx context.Context, of maillage.MembershipsOf, parentID string, parent any,
	role *maillage.MembershipRole, first *int, after *string) (*maillage.MembershipConnection, error) {
	page := counted(ctx, "MembershipConnection", pageArgs(first, after))
	f := maillage.MembershipFilter{Role: role}
	load := func(ctx context.Context, ids []string) ([]*maillage.MembershipConnection, error) {
		return r.ProfessionalService.MembershipPages(ctx, of, ids, f, page)
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
	return r.loaders(ctx).MembershipPages.Load(ctx, key)
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
