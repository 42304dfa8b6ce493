package resolvers

import (
	"context"
	"encoding/json"

	"github.com/maillage/maillage"
)

// A nested connection (a territory's children or structures) is loaded for
// every parent of a page at once: its loader key names the parent, the
// list's filter without the parent, and the page; the batch runs one
// statement per distinct (filter, page), which is one for a level of a query.

// listKey is the comparable key of one nested page; Filter is the list's
// filter as JSON (with no parent) and Page is zero for a count.
type listKey struct {
	Parent string
	Filter string
	Page   maillage.PageArgs
}

// newListKey makes the key of the list of parent that f (whose Within is
// dropped) selects.
func newListKey[F any](parent string, f F, clearWithin func(*F), page maillage.PageArgs) listKey {
	clearWithin(&f)
	b, _ := json.Marshal(f)
	return listKey{Parent: parent, Filter: string(b), Page: page}
}

// listGroups splits keys by (filter, page) and calls run once for each group
// with the group's parents and the indexes of its keys.
func listGroups[F any](keys []listKey, errs []error, run func(parents []string, f F, page maillage.PageArgs, at []int) error) {
	type group struct {
		filter string
		page   maillage.PageArgs
	}
	at := map[group][]int{}
	var order []group
	for i, k := range keys {
		g := group{k.Filter, k.Page}
		if _, ok := at[g]; !ok {
			order = append(order, g)
		}
		at[g] = append(at[g], i)
	}
	for _, g := range order {
		var f F
		err := json.Unmarshal([]byte(g.filter), &f)
		if err == nil {
			parents := make([]string, len(at[g]))
			for j, i := range at[g] {
				parents[j] = keys[i].Parent
			}
			err = run(parents, f, g.page, at[g])
		}
		if err != nil {
			for _, i := range at[g] {
				errs[i] = err
			}
		}
	}
}

// pages adapts a batch page lookup to a loader.
func pages[F, C any](find func(context.Context, []string, F, maillage.PageArgs) ([]*C, error)) func(context.Context, []listKey) ([]*C, []error) {
	return func(ctx context.Context, keys []listKey) ([]*C, []error) {
		out, errs := make([]*C, len(keys)), make([]error, len(keys))
		listGroups(keys, errs, func(parents []string, f F, page maillage.PageArgs, at []int) error {
			conns, err := find(ctx, parents, f, page)
			for j, i := range at {
				if err == nil {
					out[i] = conns[j]
				}
			}
			return err
		})
		return out, errs
	}
}

// counts adapts a batch count to a loader.
func counts[F any](count func(context.Context, []string, F) ([]int, error)) func(context.Context, []listKey) ([]int, []error) {
	return func(ctx context.Context, keys []listKey) ([]int, []error) {
		out, errs := make([]int, len(keys)), make([]error, len(keys))
		listGroups(keys, errs, func(parents []string, f F, _ maillage.PageArgs, at []int) error {
			ns, err := count(ctx, parents, f)
			for j, i := range at {
				if err == nil {
					out[i] = ns[j]
				}
			}
			return err
		})
		return out, errs
	}
}

func clearTerritoryWithin(f *maillage.TerritoryFilter) { f.Within = nil }
func clearStructureWithin(f *maillage.StructureFilter) { f.Within = nil }
