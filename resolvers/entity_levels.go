package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// _entities resolves its representations of one type and key field in one
// statement: the representations are the field's argument, all known when
// the first of them resolves, so the batch needs no wait. The entities are
// recorded as the level of _entities, for the fields below them.

// byRepresentation resolves the entity whose field is key with every other
// representation of typeName giving field, in one call of byKeys (nil for
// what is not found). ok is false outside _entities.
func byRepresentation[T any](ctx context.Context, typeName, field, key string,
	byKeys func(context.Context, []string) ([]*T, error)) (v *T, ok bool, err error) {
	l, _ := ctx.Value(levelsKey{}).(*levels)
	fc := graphql.GetFieldContext(ctx)
	if l == nil || fc == nil || fc.Field.Name != "_entities" {
		return nil, false, nil
	}
	reps, _ := fc.Args["representations"].([]map[string]any)
	path := "_entities " + typeName + "." + field
	l.mu.Lock()
	b := l.batches[path]
	if b == nil {
		var keys []string
		seen := map[string]bool{}
		for _, rep := range reps {
			if k, isString := rep[field].(string); isString && rep["__typename"] == typeName && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		b = &levelBatch{done: make(chan struct{})}
		l.batches[path] = b
		l.mu.Unlock()
		runBatch(ctx, l, b, path, keys, byKeys, one[T])
	} else {
		l.mu.Unlock()
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, true, ctx.Err()
	}
	if b.err != nil {
		return nil, true, b.err
	}
	found, isFound := b.results[key]
	if !isFound {
		return nil, false, nil
	}
	if v = found.(*T); v != nil {
		recordLevel(ctx, v)
	}
	return v, true, nil
}

// entity is byRepresentation, or load outside _entities (or for a key no
// representation gave as a string).
func entity[T any](ctx context.Context, typeName, field, key string,
	byKeys func(context.Context, []string) ([]*T, error), load func(context.Context, string) (*T, error)) (*T, error) {
	if v, ok, err := byRepresentation(ctx, typeName, field, key, byKeys); ok {
		return v, err
	}
	return orNull(load(ctx, key))
}
