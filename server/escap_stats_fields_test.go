package server_test

import (
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// escapStats computes teams per professional only when asked for (the
// dashboards do not ask): asked directly or through a fragment it is there,
// the other figures are the same either way.
func TestESCAPStatsTeamsPerProfessionalOnlyWhenAsked(t *testing.T) {
	h := newHub(t, pgtest.Seeded(t), server.Config{})
	territory := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'`)
	now := time.Now().In(maillage.Paris)
	to := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, maillage.Paris)
	vars := map[string]any{"t": territory, "from": to.AddDate(-1, 0, 0).Format(time.DateOnly), "to": to.Format(time.DateOnly)}
	const direct = `query($t: ID!, $from: String!, $to: String!) { escapStats(territoryId: $t, from: $from, to: $to) {
		activeTeams { count } teamsPerProfessional { year count } } }`
	const fragment = `query($t: ID!, $from: String!, $to: String!) { escapStats(territoryId: $t, from: $from, to: $to) { ...F } }
		fragment F on ESCAPStats { activeTeams { count } teamsPerProfessional { year count } }`
	const without = `query($t: ID!, $from: String!, $to: String!) { escapStats(territoryId: $t, from: $from, to: $to) { activeTeams { count } } }`
	for name, q := range map[string]string{"direct": direct, "fragment": fragment} {
		d := h.ok("admin", q, vars)
		// The demo's Rouen Nord team has four counted members.
		if n := len(jpath(d, "escapStats.teamsPerProfessional").([]any)); n < 4 {
			t.Errorf("%s: %d teams-per-professional rows, want at least 4", name, n)
		}
	}
	d := h.ok("admin", without, vars)
	if got := jpath(d, "escapStats.activeTeams").([]any); len(got) != 1 {
		t.Errorf("without teamsPerProfessional: active teams %v, want one territory", got)
	}
}
