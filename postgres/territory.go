package postgres

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

var _ maillage.TerritoryService = (*DirectoryService)(nil)

const territoryColumns = `t.id, t.code, t.name, t.level, t.path, t.parent_id, t.created_at`

// FindTerritoryByID returns one territory.
func (db *DirectoryService) FindTerritoryByID(ctx context.Context, id string) (*maillage.Territory, error) {
	ts, err := db.TerritoriesByIDs(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if ts[0] == nil {
		return nil, maillage.NotFound("territory")
	}
	return ts[0], nil
}

// TerritoriesByIDs loads territories in one prepared statement, aligned
// with ids.
func (db *DirectoryService) TerritoriesByIDs(ctx context.Context, ids []string) ([]*maillage.Territory, error) {
	p := params{pq.StringArray(ids)}
	q := `SELECT ` + territoryColumns + ` FROM territories t WHERE t.id = ANY($1::text[])`
	scope, err := db.directoryScope(ctx)
	if err != nil {
		return nil, err
	}
	if !scope.All {
		q += ` AND EXISTS (SELECT 1 FROM unnest(` + p.Add(pq.StringArray(scope.Domains)) + `::text[]) d WHERE within(t.path, d) OR within(d, t.path))`
	}
	var rows []*maillage.Territory
	if err := db.selectPrepared(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("territories by ids: %w", err)
	}
	return alignByID(ids, rows, func(t *maillage.Territory) string { return t.ID }), nil
}

// territoryPath returns the path of a territory, or BAD_USER_INPUT naming
// field when there is none with that id.
func territoryPath(ctx context.Context, q sqlx.QueryerContext, field, id string) (string, error) {
	var path string
	if err := sqlx.GetContext(ctx, q, &path, `SELECT path FROM territories WHERE id = $1`, id); err != nil {
		if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
			return "", maillage.InvalidField(field, "unknown territory %q", id)
		}
		return "", fmt.Errorf("territory path: %w", err)
	}
	return path, nil
}

// withinPath resolves a Within filter to a path ("" when not set).
func (db *DirectoryService) withinPath(ctx context.Context, within *string) (string, error) {
	if within == nil {
		return "", nil
	}
	return territoryPath(ctx, db, "filter.within", *within)
}

// territoryWhere is the one filter of territory lists, root or nested:
// territories in or below the path at pathExpr (” for anywhere), $1 level,
// $2 search pattern, $3 all, $4 domains (the caller's directory scope).
func territoryWhere(pathExpr string) string {
	return `($1::text IS NULL OR t.level = $1)
	  AND (` + pathExpr + ` = '' OR within(t.path, ` + pathExpr + `))
	  AND ($2::text IS NULL OR search_key(t.name) LIKE search_key($2))
	  AND ($3 OR EXISTS (SELECT 1 FROM unnest($4::text[]) d WHERE within(t.path, d) OR within(d, t.path)))`
}

// territoryArgs are the parameters $1-$4 of territoryWhere.
func (db *DirectoryService) territoryArgs(ctx context.Context, f maillage.TerritoryFilter) ([]any, error) {
	scope, err := db.directoryScope(ctx)
	if err != nil {
		return nil, err
	}
	all, domains := scopeArgs(scope)
	return []any{f.Level, searchPattern(f.Search), all, domains}, nil
}

// territoryPage is the keyset order and page of territory lists, after the
// filter's parameters: $6 the path to start after, $7 the page size + 1.
const territoryPage = ` AND t.path > $6 ORDER BY t.path LIMIT $7`

// FindTerritories returns a page of territories in path order.
func (db *DirectoryService) FindTerritories(ctx context.Context, f maillage.TerritoryFilter, page maillage.PageArgs) (*maillage.TerritoryConnection, error) {
	after, err := startPage(&page, 1)
	if err != nil {
		return nil, err
	}
	path, err := db.withinPath(ctx, f.Within)
	if err != nil {
		return nil, err
	}
	args, err := db.territoryArgs(ctx, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + territoryColumns + ` FROM territories t WHERE ` + territoryWhere("$5") + territoryPage
	var rows []*maillage.Territory
	if err := db.SelectContext(ctx, &rows, q, append(args, path, after[0], page.First+1)...); err != nil {
		return nil, fmt.Errorf("find territories: %w", mapError(err))
	}
	return territoryConnection(rows, f, page), nil
}

func territoryConnection(rows []*maillage.Territory, f maillage.TerritoryFilter, page maillage.PageArgs) *maillage.TerritoryConnection {
	edges, info := endPage(rows, page, func(t *maillage.Territory) []string { return []string{t.Path} },
		func(c func() string, t *maillage.Territory) maillage.TerritoryEdge {
			return maillage.TerritoryEdge{EdgeCursor: maillage.NewEdgeCursor(c), Node: t}
		})
	return &maillage.TerritoryConnection{Edges: edges, PageInfo: info, Filter: f}
}

// FindTerritoriesWithin returns, in one statement, the page of the
// territories f selects within each parent territory (f.Within is ignored),
// aligned with parents; an unknown parent gets an empty page.
func (db *DirectoryService) FindTerritoriesWithin(ctx context.Context, parents []string, f maillage.TerritoryFilter, page maillage.PageArgs) ([]*maillage.TerritoryConnection, error) {
	after, err := startPage(&page, 1)
	if err != nil {
		return nil, err
	}
	args, err := db.territoryArgs(ctx, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT p.id AS list_parent, x.* FROM territories p CROSS JOIN LATERAL (
		SELECT ` + territoryColumns + ` FROM territories t WHERE ` + territoryWhere("p.path") + territoryPage + `) x
		WHERE p.id = ANY($5) ORDER BY p.id, x.path`
	var rows []*struct {
		ListParent string `db:"list_parent"`
		maillage.Territory
	}
	if err := db.SelectContext(ctx, &rows, q, append(args, pq.StringArray(parents), after[0], page.First+1)...); err != nil {
		return nil, fmt.Errorf("find territories within: %w", mapError(err))
	}
	byParent := make(map[string][]*maillage.Territory, len(parents))
	for _, r := range rows {
		byParent[r.ListParent] = append(byParent[r.ListParent], &r.Territory)
	}
	out := make([]*maillage.TerritoryConnection, len(parents))
	for i, p := range parents {
		pf := f
		pf.Within = &parents[i]
		out[i] = territoryConnection(byParent[p], pf, page)
	}
	return out, nil
}

// CountTerritories counts the territories f selects.
func (db *DirectoryService) CountTerritories(ctx context.Context, f maillage.TerritoryFilter) (int, error) {
	path, err := db.withinPath(ctx, f.Within)
	if err != nil {
		return 0, err
	}
	args, err := db.territoryArgs(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	q := `SELECT count(*) FROM territories t WHERE ` + territoryWhere("$5")
	if err := db.GetContext(ctx, &n, q, append(args, path)...); err != nil {
		return 0, fmt.Errorf("count territories: %w", err)
	}
	return n, nil
}

// CountTerritoriesWithin counts, in one statement, the territories f selects
// within each parent (f.Within is ignored), aligned with parents.
func (db *DirectoryService) CountTerritoriesWithin(ctx context.Context, parents []string, f maillage.TerritoryFilter) ([]int, error) {
	args, err := db.territoryArgs(ctx, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT p.id, count(t.id) FROM territories p LEFT JOIN territories t ON ` + territoryWhere("p.path") + `
		WHERE p.id = ANY($5) GROUP BY p.id`
	return db.countWithin(ctx, "count territories within", q, parents, append(args, pq.StringArray(parents))...)
}

// parentCount is a count of rows within one parent.
type parentCount struct {
	ID    string `db:"id"`
	Count int    `db:"count"`
}

// countWithin runs a count grouped by parent id and aligns it with parents.
func (db *DirectoryService) countWithin(ctx context.Context, what, q string, parents []string, args ...any) ([]int, error) {
	var rows []*parentCount
	if err := db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := make([]int, len(parents))
	for i, r := range alignByID(parents, rows, func(r *parentCount) string { return r.ID }) {
		if r != nil {
			out[i] = r.Count
		}
	}
	return out, nil
}

// territoryCode: lowercase letters, digits and dashes, or Corsica's INSEE
// department codes in their canonical capitals.
var territoryCode = regexp.MustCompile(`^([a-z0-9][a-z0-9-]{0,62}|2A|2B)$`)

// CreateTerritory creates a territory under its parent.
func (db *DirectoryService) CreateTerritory(ctx context.Context, in maillage.TerritoryInput) (*maillage.Territory, error) {
	in.Code = maillage.CanonicalTerritoryCode(in.Code)
	if !territoryCode.MatchString(in.Code) {
		return nil, maillage.InvalidField("input.code", "must be lowercase letters, digits and dashes (2A/2B for Corsica), got %q", in.Code)
	}
	if err := maillage.ValidateName("input.name", in.Name); err != nil {
		return nil, err
	}
	var t maillage.Territory
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		parent, err := territoryPath(ctx, tx, "input.parentId", in.ParentID)
		if err != nil {
			return err
		}
		if err := db.canWriteDirectory(ctx, parent); err != nil {
			return err
		}
		const q = `INSERT INTO territories (code, name, level, path, parent_id) VALUES ($1, $2, $3, $4, $5)
			RETURNING id, code, name, level, path, parent_id, created_at`
		if err := tx.GetContext(ctx, &t, q, in.Code, in.Name, in.Level, parent+"/"+in.Code, in.ParentID); err != nil {
			return mapError(err)
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventTerritoryCreated, SubjectID: t.ID, Domain: t.Path})
	})
	if err != nil {
		return nil, fmt.Errorf("create territory: %w", err)
	}
	return &t, nil
}
