package resolvers

import (
	"context"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// A level is every object that one field of the operation produced, list
// indices aside: the field at "territory.structures" produced the structures
// of the page, "territory.structures.edges.node.members" the memberships of
// all of them. A nested field resolves for a whole level at once: the first
// of its resolvers to run loads it for every object of the level in one
// batch, and the others wait for that batch. There is no timer: the batch is
// sent as soon as the first object of the level asks, and it is never split,
// because the level's objects were all known when their own level resolved.
//
// An object on a path without list indices (a mutation's result, node(id)'s)
// is alone at its path: it is its own level. A field whose level is still
// unknown (an object inside a non-resolved list, a subscription's event,
// whose operation resolves many events) falls back to the request's
// dataloaders.

// levels records the levels of one operation and their batches.
type levels struct {
	mu      sync.Mutex
	objects map[string]map[any]bool // producing field's path -> its objects
	batches map[string]*levelBatch  // field's path -> its batch
}

// levelBatch is the one load of a field for a whole level.
type levelBatch struct {
	done    chan struct{}
	results map[string]any // by key
	err     error
}

type levelsKey struct{}

// withLevels returns ctx recording the levels of one operation.
func withLevels(ctx context.Context) context.Context {
	return context.WithValue(ctx, levelsKey{}, &levels{objects: map[string]map[any]bool{}, batches: map[string]*levelBatch{}})
}

// pathKey is a path without its list indices.
func pathKey(p ast.Path) string {
	var b strings.Builder
	for _, e := range p {
		if name, ok := e.(ast.PathName); ok {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(name))
		}
	}
	return b.String()
}

// recordLevel records objs as what the field of ctx produced: the parents of
// the fields below it.
func recordLevel[T any](ctx context.Context, objs ...*T) {
	l, _ := ctx.Value(levelsKey{}).(*levels)
	fc := graphql.GetFieldContext(ctx)
	if l == nil || fc == nil {
		return
	}
	l.add(pathKey(fc.Path()), asAny(objs))
}

func (l *levels) add(path string, objs []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	set := l.objects[path]
	if set == nil {
		set = map[any]bool{}
		l.objects[path] = set
	}
	for _, o := range objs {
		set[o] = true
	}
}

// level returns the objects of the level obj belongs to: those of the
// nearest field above fc that recorded obj.
func (l *levels) level(fc *graphql.FieldContext, obj any) map[any]bool {
	for it := fc.Parent; it != nil; it = it.Parent {
		if it.Index != nil || it.Field.Field == nil {
			continue
		}
		if set := l.objects[pathKey(it.Path())]; set[obj] {
			return set
		}
	}
	return nil
}

// byLevel resolves the field of ctx for parent together with every object of
// parent's level: load gets the distinct keys of them all (key gives a
// parent's) and returns one result per key; children gives the objects a
// result holds, recorded as the level the field produced. ok is false when
// parent's level is unknown: the caller then uses its dataloader.
func byLevel[P, R any](ctx context.Context, parent *P, key func(*P) string,
	load func(context.Context, []string) ([]R, error), children func(R) []any) (r R, ok bool, err error) {
	l, _ := ctx.Value(levelsKey{}).(*levels)
	fc := graphql.GetFieldContext(ctx)
	if l == nil || fc == nil {
		return r, false, nil
	}
	path := pathKey(fc.Path())
	l.mu.Lock()
	b := l.batches[path]
	if b == nil {
		set := l.level(fc, parent)
		if set == nil && alone(ctx, fc) {
			set = map[any]bool{parent: true}
		}
		if set == nil {
			l.mu.Unlock()
			return r, false, nil
		}
		var keys []string
		seen := map[string]bool{}
		for o := range set {
			if p, isP := o.(*P); isP && key(p) != "" && !seen[key(p)] { // "": a null field
				seen[key(p)] = true
				keys = append(keys, key(p))
			}
		}
		b = &levelBatch{done: make(chan struct{})}
		l.batches[path] = b
		l.mu.Unlock()
		runBatch(ctx, l, b, path, keys, load, children)
	} else {
		l.mu.Unlock()
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return r, true, ctx.Err()
	}
	if b.err != nil {
		return r, true, b.err
	}
	v, found := b.results[key(parent)]
	if !found {
		return r, false, nil
	}
	return v.(R), true, nil
}

// runBatch loads a level's batch and records the level it produced, then
// lets the waiting resolvers go.
func runBatch[R any](ctx context.Context, l *levels, b *levelBatch, path string, keys []string,
	load func(context.Context, []string) ([]R, error), children func(R) []any) {
	defer close(b.done)
	rs, err := load(ctx, keys)
	if err != nil {
		b.err = err
		return
	}
	b.results = make(map[string]any, len(keys))
	var produced []any
	for i, k := range keys {
		b.results[k] = rs[i]
		produced = append(produced, children(rs[i])...)
	}
	l.add(path, produced)
}

// alone reports whether the object of the field of fc is the only one at its
// path: no list above it, and not a subscription's event.
func alone(ctx context.Context, fc *graphql.FieldContext) bool {
	if oc := graphql.GetOperationContext(ctx); oc == nil || oc.Operation == nil || oc.Operation.Operation == ast.Subscription {
		return false
	}
	if fc.Parent == nil {
		return false
	}
	for _, e := range fc.Parent.Path() {
		if _, isIndex := e.(ast.PathIndex); isIndex {
			return false
		}
	}
	return true
}
