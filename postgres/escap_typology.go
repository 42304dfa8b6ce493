package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/maillage/maillage"
)

var _ maillage.ESCAPTypologyService = (*ESCAPService)(nil)

// A team's typology is the sorted distinct professions of its counted
// members present at an instant (at: the activation or the exit).
func typologyQuery(at, where, extraCols, extraGroup string) string {
	return `WITH teams AS (
		SELECT e.id, to_char(` + at + ` AT TIME ZONE 'Europe/Paris', 'YYYY-MM') AS period` + extraCols + `,
			COALESCE((SELECT array_agg(DISTINCT p.profession ORDER BY p.profession) FROM escap_members m
				JOIN professionals p ON p.id = m.professional_id
				WHERE m.escap_id = e.id AND m.counted AND m.joined_at <= ` + at + ` AND COALESCE(m.left_at, 'infinity') > ` + at + `), '{}') AS professions
		FROM escaps e JOIN territories t ON t.id = e.territory_id
		WHERE ` + statsWithin + ` AND ` + where + `)
	SELECT period, array_to_string(professions, '|') AS typology` + extraGroup + `, count(*) AS count
	FROM teams GROUP BY 1, professions` + extraGroup + ` ORDER BY 1, 2`
}

var (
	typologyEntries = typologyQuery("e.activated_at", `e.activated_at >= $2 AND e.activated_at < $3`, "", "")
	typologyExits   = typologyQuery("e.exited_at", `e.activated_at IS NOT NULL AND e.exited_at >= $2 AND e.exited_at < $3`,
		", e.exit_reason AS reason", ", reason")
)

// ESCAPTypologyStats returns the entries and exits of a territory by
// care-circle typology over whole months: two statements, whatever the size
// of the territory; small counts suppressed.
func (db *ESCAPService) ESCAPTypologyStats(ctx context.Context, territoryID string, from, to time.Time) (*maillage.ESCAPTypologyStats, error) {
	path, k, err := db.monthlyStats(ctx, territoryID, from, to)
	if err != nil {
		return nil, err
	}
	s := &maillage.ESCAPTypologyStats{TerritoryID: territoryID, From: from, To: to, SmallCount: k}
	for _, part := range []struct {
		q   string
		dst *[]maillage.TypologyCount
	}{{typologyEntries, &s.Entries}, {typologyExits, &s.Exits}} {
		var rows []struct {
			maillage.TypologyCount
			Typology string `db:"typology"`
		}
		if err := db.SelectContext(ctx, &rows, part.q, path, from, to); err != nil {
			return nil, fmt.Errorf("escap typology: %w", err)
		}
		cells := make([]maillage.TypologyCount, len(rows))
		for i, r := range rows {
			cells[i] = r.TypologyCount
			cells[i].Professions = []string{}
			if r.Typology != "" {
				cells[i].Professions = strings.Split(r.Typology, "|")
			}
		}
		maillage.SuppressSmall(cells, k, func(c maillage.TypologyCount) string { return c.Period })
		*part.dst = cells
	}
	return s, nil
}
