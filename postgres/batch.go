package postgres

// Dataloader batch functions load the rows of many keys in one statement and
// hand them back aligned with the keys they were asked for.

// alignByID orders rows to match ids, with nil for ids that have no row.
func alignByID[T any](ids []string, rows []*T, id func(*T) string) []*T {
	byID := make(map[string]*T, len(rows))
	for _, r := range rows {
		byID[id(r)] = r
	}
	out := make([]*T, len(ids))
	for i, k := range ids {
		out[i] = byID[k]
	}
	return out
}

// groupByID groups rows by key, aligned with ids, in the rows' order; an id
// with no row gets an empty (never nil) slice, so a list field is [].
func groupByID[T any](ids []string, rows []*T, key func(*T) string) [][]*T {
	idx := make(map[string][]int, len(ids))
	for i, id := range ids {
		idx[id] = append(idx[id], i)
	}
	out := make([][]*T, len(ids))
	for i := range out {
		out[i] = []*T{}
	}
	for _, r := range rows {
		for _, i := range idx[key(r)] {
			out[i] = append(out[i], r)
		}
	}
	return out
}
