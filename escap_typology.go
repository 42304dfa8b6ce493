package maillage

import (
	"context"
	"sort"
	"time"
)

// TypologyCount is a number of teams of one care-circle typology — the
// professions of its health professionals — in a month ("2026-11",
// Europe/Paris). Count is nil when Suppressed: under the small-count
// threshold, or suppressed beside a single small cell of its month.
type TypologyCount struct {
	Period      string      `db:"period"`
	Professions []string    `db:"-"`
	Reason      *ExitReason `db:"reason"` // exits only
	N           int         `db:"count"`
	Count       *int        `db:"-"`
	Suppressed  bool        `db:"-"`
}

// ESCAPTypologyStats are the entries and exits of a territory by care-circle
// typology, what the national evaluations count.
type ESCAPTypologyStats struct {
	TerritoryID string
	From, To    time.Time
	SmallCount  int
	// Entries: teams activated in each month, by the professions of their
	// health professionals at activation. Exits: activated teams closed in
	// each month, by the professions at the exit, and the exit reason.
	Entries []TypologyCount
	Exits   []TypologyCount
}

// ESCAPTypologyService computes the typology figures (kind "stats").
type ESCAPTypologyService interface {
	// ESCAPTypologyStats returns the figures over whole calendar months
	// from from to to; BAD_USER_INPUT, NOT_FOUND (territory), FORBIDDEN.
	ESCAPTypologyStats(ctx context.Context, territoryID string, from, to time.Time) (*ESCAPTypologyStats, error)
}

// SuppressSmall hides the cells under k and, in each group (a month) where
// exactly one cell is hidden, the smallest other cell too, so that no hidden
// count can be recomputed from a total.
func SuppressSmall(cells []TypologyCount, k int, group func(TypologyCount) string) {
	byGroup := map[string][]int{}
	for i := range cells {
		g := group(cells[i])
		byGroup[g] = append(byGroup[g], i)
		cells[i].Suppressed = cells[i].N < k
	}
	for _, idx := range byGroup {
		hidden := 0
		for _, i := range idx {
			if cells[i].Suppressed {
				hidden++
			}
		}
		if hidden == 1 && len(idx) > 1 {
			rest := make([]int, 0, len(idx))
			for _, i := range idx {
				if !cells[i].Suppressed {
					rest = append(rest, i)
				}
			}
			sort.Slice(rest, func(a, b int) bool { return cells[rest[a]].N < cells[rest[b]].N })
			cells[rest[0]].Suppressed = true
		}
	}
	for i := range cells {
		if !cells[i].Suppressed {
			n := cells[i].N
			cells[i].Count = &n
		}
	}
}
