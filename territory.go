package maillage

import (
	"context"
	"time"
)

// TerritoryLevel is a territory's rank in the hierarchy.
type TerritoryLevel string

// Territory levels, from the top.
const (
	LevelNation     TerritoryLevel = "NATION"
	LevelRegion     TerritoryLevel = "REGION"
	LevelDepartment TerritoryLevel = "DEPARTMENT"
	LevelLocal      TerritoryLevel = "LOCAL"
)

// Territory is a node of the nation → region → department → local territory
// hierarchy. Path is its materialised path ("fr/28/76/cpts-rouen-nord"): the
// territories below it are those whose path starts with Path + "/".
type Territory struct {
	ID        string         `db:"id"`
	Code      string         `db:"code"`
	Name      string         `db:"name"`
	Level     TerritoryLevel `db:"level"`
	Path      string         `db:"path"`
	ParentID  *string        `db:"parent_id"`
	CreatedAt time.Time      `db:"created_at"`
}

// TerritoryFilter selects territories; nil fields are not set.
type TerritoryFilter struct {
	Level  *TerritoryLevel
	Within *string // a territory id: that territory and every one below it
	Search *string
}

// TerritoryEdge is a territory and its cursor.
type TerritoryEdge struct {
	EdgeCursor
	Node *Territory
}

// TerritoryConnection is one page of territories. Total is the list's count
// when it was read with the page, nil otherwise.
type TerritoryConnection struct {
	Edges    []TerritoryEdge
	PageInfo PageInfo
	Filter   TerritoryFilter
	Total    *int
}

// TerritoryInput creates a territory under a parent.
type TerritoryInput struct {
	ParentID string
	Code     string
	Name     string
	Level    TerritoryLevel
}

// TerritoryService reads and writes the territory hierarchy.
type TerritoryService interface {
	// FindTerritoryByID returns NOT_FOUND if no such territory exists.
	FindTerritoryByID(ctx context.Context, id string) (*Territory, error)
	// FindTerritories returns a page; BAD_USER_INPUT for a bad cursor or size,
	// NOT_FOUND for an unknown Within.
	FindTerritories(ctx context.Context, f TerritoryFilter, page PageArgs) (*TerritoryConnection, error)
	// CountTerritories counts the territories f selects.
	CountTerritories(ctx context.Context, f TerritoryFilter) (int, error)
	// TerritoriesByIDs loads many territories in one statement (for dataloaders);
	// the result is aligned with ids, nil where none exists.
	TerritoriesByIDs(ctx context.Context, ids []string) ([]*Territory, error)
	// FindTerritoriesWithin returns in one statement the page of the
	// territories f selects within each parent (f.Within ignored), aligned
	// with parents; BAD_USER_INPUT for a bad cursor or size.
	FindTerritoriesWithin(ctx context.Context, parents []string, f TerritoryFilter, page PageArgs) ([]*TerritoryConnection, error)
	// CountTerritoriesWithin counts in one statement the territories f
	// selects within each parent, aligned with parents.
	CountTerritoriesWithin(ctx context.Context, parents []string, f TerritoryFilter) ([]int, error)
	// CreateTerritory returns BAD_USER_INPUT, NOT_FOUND (parent), CONFLICT
	// (code taken under that parent) or FORBIDDEN.
	CreateTerritory(ctx context.Context, in TerritoryInput) (*Territory, error)
}
