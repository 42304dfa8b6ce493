package postgres

import (
	"context"
	"fmt"
	"regexp"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

var _ maillage.TerritoryService = (*DB)(nil)

const territoryColumns = `t.id, t.code, t.name, t.level, t.path, t.parent_id, t.created_at`

// FindTerritoryByID returns one territory.
func (db *DB) FindTerritoryByID(ctx context.Context, id string) (*maillage.Territory, error) {
	ts, err := db.TerritoriesByIDs(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if ts[0] == nil {
		return nil, maillage.NotFound("territory")
	}
	return ts[0], nil
}

// TerritoriesByIDs loads territories in one statement, aligned with ids.
func (db *DB) TerritoriesByIDs(ctx context.Context, ids []string) ([]*maillage.Territory, error) {
	all, domains := scopeArgs(db.directoryScope(ctx))
	const q = `SELECT ` + territoryColumns + ` FROM territories t
		WHERE t.id = ANY($1) AND ($2 OR ` + `EXISTS (SELECT 1 FROM unnest($3::text[]) d WHERE t.path = d OR t.path LIKE d || '/%' OR d LIKE t.path || '/%'))`
	var rows []*maillage.Territory
	if err := db.SelectContext(ctx, &rows, q, pq.StringArray(ids), all, domains); err != nil {
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
func (db *DB) withinPath(ctx context.Context, within *string) (string, error) {
	if within == nil {
		return "", nil
	}
	return territoryPath(ctx, db, "filter.within", *within)
}

// territoryWhere is the filter shared by FindTerritories and CountTerritories:
// $1 level, $2 within path, $3 search pattern, $4 all, $5 domains.
const territoryWhere = `
	WHERE ($1::text IS NULL OR t.level = $1)
	  AND ($2 = '' OR t.path = $2 OR t.path LIKE $2 || '/%')
	  AND ($3::text IS NULL OR search_key(t.name) LIKE search_key($3))
	  AND ($4 OR EXISTS (SELECT 1 FROM unnest($5::text[]) d WHERE t.path = d OR t.path LIKE d || '/%' OR d LIKE t.path || '/%'))`

func (db *DB) territoryArgs(ctx context.Context, f maillage.TerritoryFilter) ([]any, error) {
	path, err := db.withinPath(ctx, f.Within)
	if err != nil {
		return nil, err
	}
	all, domains := scopeArgs(db.directoryScope(ctx))
	return []any{f.Level, path, searchPattern(f.Search), all, domains}, nil
}

// FindTerritories returns a page of territories in path order.
func (db *DB) FindTerritories(ctx context.Context, f maillage.TerritoryFilter, page maillage.PageArgs) (*maillage.TerritoryConnection, error) {
	after, err := startPage(&page, 1)
	if err != nil {
		return nil, err
	}
	args, err := db.territoryArgs(ctx, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + territoryColumns + ` FROM territories t` + territoryWhere + `
	  AND t.path > $6 ORDER BY t.path LIMIT $7`
	var rows []*maillage.Territory
	if err := db.SelectContext(ctx, &rows, q, append(args, after[0], page.First+1)...); err != nil {
		return nil, fmt.Errorf("find territories: %w", mapError(err))
	}
	edges, info := endPage(rows, page, func(t *maillage.Territory) []string { return []string{t.Path} },
		func(c string, t *maillage.Territory) maillage.TerritoryEdge {
			return maillage.TerritoryEdge{Cursor: c, Node: t}
		})
	return &maillage.TerritoryConnection{Edges: edges, PageInfo: info, Filter: f}, nil
}

// CountTerritories counts the territories f selects.
func (db *DB) CountTerritories(ctx context.Context, f maillage.TerritoryFilter) (int, error) {
	args, err := db.territoryArgs(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM territories t`+territoryWhere, args...); err != nil {
		return 0, fmt.Errorf("count territories: %w", err)
	}
	return n, nil
}

var territoryCode = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CreateTerritory creates a territory under its parent.
func (db *DB) CreateTerritory(ctx context.Context, in maillage.TerritoryInput) (*maillage.Territory, error) {
	if !territoryCode.MatchString(in.Code) {
		return nil, maillage.InvalidField("input.code", "must be lowercase letters, digits and dashes, got %q", in.Code)
	}
	if in.Name == "" {
		return nil, maillage.InvalidField("input.name", "must not be empty")
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
		return appendEvent(ctx, tx, Event{Topic: "directory", Type: "TERRITORY_CREATED", SubjectID: t.ID, Domain: t.Path})
	})
	if err != nil {
		return nil, fmt.Errorf("create territory: %w", err)
	}
	return &t, nil
}

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
