package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

var _ maillage.ESCAPStatsService = (*ESCAPService)(nil)

// monthlyStats checks the window and the territory of a territory's ESCAP
// figures — whole calendar months, from before to, a territory whose figures
// the caller may read — and returns the territory's path and the small-count
// threshold in force.
func (db *ESCAPService) monthlyStats(ctx context.Context, territoryID string, from, to time.Time) (path string, smallCountThreshold int, err error) {
	if !to.After(from) {
		return "", 0, maillage.InvalidField("to", "must be after from")
	}
	if err := maillage.WholePeriods(from, to, maillage.PeriodMonth); err != nil {
		return "", 0, err
	}
	if path, err = db.statsTerritory(ctx, territoryID); err != nil {
		return "", 0, err
	}
	k, err := smallCount(ctx, db)
	return path, k, err
}

// statsTerritory returns the path of a territory whose figures the caller
// may read (kind "stats": coordinators, ARS agents, admins).
func (db *ESCAPService) statsTerritory(ctx context.Context, territoryID string) (string, error) {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return "", maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to read figures")
	}
	var path string
	if err := db.GetContext(ctx, &path, `SELECT path FROM territories WHERE id = $1`, territoryID); err != nil {
		if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
			return "", maillage.NotFound("territory")
		}
		return "", err
	}
	if err := db.Authz.Can(ctx, authz.ActRead, authz.Object{Kind: authz.KindStats, Domain: path}); err != nil {
		return "", err
	}
	return path, nil
}

// The figures of a territory cover the teams of that territory and every one
// below it ($1 is its path). Months are calendar months in Europe/Paris.
const (
	statsWithin = `within(t.path, $1)`

	statsEntries = `SELECT to_char(e.activated_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM') AS period, e.situation,
		NULL::text AS reason, count(*) AS count
		FROM escaps e JOIN territories t ON t.id = e.territory_id
		WHERE ` + statsWithin + ` AND e.activated_at >= $2 AND e.activated_at < $3
		GROUP BY 1, 2 ORDER BY 1, 2`

	statsExits = `SELECT to_char(e.exited_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM') AS period, e.situation,
		e.exit_reason AS reason, count(*) AS count
		FROM escaps e JOIN territories t ON t.id = e.territory_id
		WHERE ` + statsWithin + ` AND e.activated_at IS NOT NULL AND e.exited_at >= $2 AND e.exited_at < $3
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`

	statsActive = `SELECT e.territory_id, count(*) AS count
		FROM escaps e JOIN territories t ON t.id = e.territory_id
		WHERE ` + statsWithin + ` AND e.status = 'ACTIVE' AND e.expires_at > now()
		GROUP BY 1 ORDER BY 1`

	// A team runs from its activation to its exit or the end of its term,
	// whichever comes first: past its term it counts no more, even before
	// the expiry job has closed it.
	escapEnd = `LEAST(COALESCE(e.exited_at, 'infinity'), COALESCE(e.expires_at, 'infinity'))`

	// A professional counts a team active at some time in a calendar year
	// (Europe/Paris) while they were a member; $2 and $3 are the first and
	// last years. Per year only: never by month, situation or team.
	statsPerProfessional = `SELECT m.professional_id, y.year, count(DISTINCT e.id) AS count
		FROM generate_series($2::int, $3::int) y(year)
		CROSS JOIN LATERAL (SELECT make_timestamptz(y.year, 1, 1, 0, 0, 0, 'Europe/Paris') AS ys,
			make_timestamptz(y.year + 1, 1, 1, 0, 0, 0, 'Europe/Paris') AS ye) b
		JOIN escaps e ON e.activated_at IS NOT NULL AND e.activated_at < b.ye AND ` + escapEnd + ` > b.ys
		JOIN territories t ON t.id = e.territory_id
		JOIN escap_members m ON m.escap_id = e.id AND m.counted AND m.joined_at < b.ye AND COALESCE(m.left_at, 'infinity') >= b.ys
			AND COALESCE(m.left_at, 'infinity') >= e.activated_at
		WHERE ` + statsWithin + `
		GROUP BY 1, 2 ORDER BY 2, 1`
)

// ESCAPStats returns the counts of a territory over whole calendar months
// from from to to: five statements, whatever the size of the territory.
// Nobody who reads them is in a care circle for them (coordinators, ARS,
// admins), so counts under the small-count threshold are always
// suppressed.
func (db *ESCAPService) ESCAPStats(ctx context.Context, territoryID string, from, to time.Time) (*maillage.ESCAPStats, error) {
	path, k, err := db.monthlyStats(ctx, territoryID, from, to)
	if err != nil {
		return nil, err
	}
	s := &maillage.ESCAPStats{TerritoryID: territoryID, From: from, To: to, SmallCount: k}
	defer discloseESCAP(s)
	if err := db.SelectContext(ctx, &s.Entries, statsEntries, path, from, to); err != nil {
		return nil, fmt.Errorf("escap entries: %w", err)
	}
	if err := db.SelectContext(ctx, &s.Exits, statsExits, path, from, to); err != nil {
		return nil, fmt.Errorf("escap exits: %w", err)
	}
	if err := db.SelectContext(ctx, &s.ActiveTeams, statsActive, path); err != nil {
		return nil, fmt.Errorf("escap active teams: %w", err)
	}
	if !maillage.TeamsPerProfessionalWanted(ctx) {
		return s, nil
	}
	lastYear := to.Add(-time.Nanosecond).In(maillage.Paris).Year()
	if err := db.SelectContext(ctx, &s.TeamsPerProfessional, statsPerProfessional, path, from.In(maillage.Paris).Year(), lastYear); err != nil {
		return nil, fmt.Errorf("escap teams per professional: %w", err)
	}
	return s, nil
}

// discloseESCAP suppresses the counts under the threshold. No total is
// shown beside them (a month's entries, a territory's teams), so no cell
// can be recomputed from the others; the months are whole calendar months,
// the same whatever window asks for them.
func discloseESCAP(s *maillage.ESCAPStats) {
	for _, cells := range [][]maillage.SituationCount{s.Entries, s.Exits} {
		for i := range cells {
			c := &cells[i]
			c.Suppressed = maillage.Small(c.N, s.SmallCount)
			c.Count = maillage.Shown(c.N, c.Suppressed)
		}
	}
	for i := range s.ActiveTeams {
		c := &s.ActiveTeams[i]
		c.Suppressed = maillage.Small(c.N, s.SmallCount)
		c.Count = maillage.Shown(c.N, c.Suppressed)
	}
}

// statsIncentives counts, for each professional who took part in a team of
// the territory during the year, their teams of the year anywhere and
// whether they used the coordination tool (wrote to a timeline) that year.
const statsIncentives = `WITH pros AS (
		SELECT DISTINCT m.professional_id FROM escaps e JOIN territories t ON t.id = e.territory_id
		JOIN escap_members m ON m.escap_id = e.id AND m.counted
		WHERE ` + statsWithin + ` AND e.activated_at IS NOT NULL AND e.activated_at < $3
			AND ` + escapEnd + ` > $2 AND m.joined_at < $3 AND COALESCE(m.left_at, 'infinity') >= $2)
	SELECT p.professional_id,
		(SELECT count(DISTINCT e.id) FROM escap_members m JOIN escaps e ON e.id = m.escap_id AND m.counted
			WHERE m.professional_id = p.professional_id AND e.activated_at IS NOT NULL AND e.activated_at < $3
			AND ` + escapEnd + ` > $2 AND m.joined_at < $3 AND COALESCE(m.left_at, 'infinity') >= $2) AS teams,
		EXISTS (SELECT 1 FROM escap_entries x WHERE x.author_id = p.professional_id AND x.created_at >= $2 AND x.created_at < $3) AS tool
	FROM pros p ORDER BY 1`

// The years an incentive can be asked for: the experiment began on 24 March
// 2025; the upper bound only keeps dates computable.
const firstIncentiveYear, lastIncentiveYear = 2025, 2100

// ESCAPIncentives returns the incentive status, for a year, of each
// professional who took part in a team of the territory: one statement.
func (db *ESCAPService) ESCAPIncentives(ctx context.Context, territoryID string, year int) ([]maillage.ESCAPIncentive, error) {
	if year < firstIncentiveYear || year > lastIncentiveYear {
		return nil, maillage.InvalidField("year", "must be between %d and %d, got %d", firstIncentiveYear, lastIncentiveYear, year)
	}
	path, err := db.statsTerritory(ctx, territoryID)
	if err != nil {
		return nil, err
	}
	cfg, err := db.ESCAPConfig(ctx)
	if err != nil {
		return nil, err
	}
	from, to := maillage.YearBounds(year)
	var rows []struct {
		ProfessionalID string `db:"professional_id"`
		Teams          int    `db:"teams"`
		Tool           bool   `db:"tool"`
	}
	if err := db.SelectContext(ctx, &rows, statsIncentives, path, from, to); err != nil {
		return nil, fmt.Errorf("escap incentives: %w", err)
	}
	out := make([]maillage.ESCAPIncentive, len(rows))
	for i, r := range rows {
		out[i] = cfg.Incentive(r.ProfessionalID, year, r.Teams, r.Tool)
	}
	return out, nil
}
