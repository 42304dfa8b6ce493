package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// selects reports whether the field being resolved selects a field named
// name on its result of type typeName (fragments on it included), so a
// resolver can skip a costly figure nobody asked for.
func selects(ctx context.Context, typeName, name string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return true
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, []string{typeName}) {
		if f.Name == name {
			return true
		}
	}
	return false
}
