package resolvers

import (
	"context"

	"github.com/maillage/maillage"
)

// The ESCAP, referral and patient fields resolve level by level too
// (levels.go): their root fields record what they return, and each nested
// field loads for its whole level in one statement, without waiting.

func escapID(e *maillage.ESCAP) string       { return e.ID }
func referralID(r *maillage.Referral) string { return r.ID }

// single reads the one object of id with byIDs, recorded as the level the
// field of ctx produced; nil when it is not found or not visible. A root
// field asks once per operation: a loader would only add its wait.
func single[T any](ctx context.Context, id string, byIDs func(context.Context, []string) ([]*T, error)) (*T, error) {
	rows, err := byIDs(ctx, []string{id})
	if err != nil || len(rows) == 0 || rows[0] == nil {
		return nil, err
	}
	recordLevel(ctx, rows[0])
	return rows[0], nil
}

// timelines loads one page of the timelines of a level's teams.
func (r *Resolver) timelines(page maillage.PageArgs) func(context.Context, []string) ([]*maillage.ESCAPEntryConnection, error) {
	return func(ctx context.Context, ids []string) ([]*maillage.ESCAPEntryConnection, error) {
		keys := make([]maillage.TimelineKey, len(ids))
		for i, id := range ids {
			keys[i] = maillage.TimelineKey{ESCAPID: id, Page: page}
		}
		return r.ESCAPService.Timelines(ctx, keys)
	}
}

func entryNodes(c *maillage.ESCAPEntryConnection) []any {
	return asAny(nodes(c.Edges, func(e maillage.ESCAPEntryEdge) *maillage.ESCAPEntry { return e.Node }))
}

func referralNodes(c *maillage.ReferralConnection) []*maillage.Referral {
	return nodes(c.Edges, func(e maillage.ReferralEdge) *maillage.Referral { return e.Node })
}

// recordReferrals records the requests of a page read by a root field.
func recordReferrals(ctx context.Context, c *maillage.ReferralConnection, err error) (*maillage.ReferralConnection, error) {
	if err == nil {
		recordLevel(ctx, referralNodes(c)...)
	}
	return c, err
}

// recordStatsLevels records the counts of s, which name a territory or a
// professional, as levels of the field of ctx: the objects gqlgen resolves
// are the slices' own elements.
func recordStatsLevels(ctx context.Context, s *maillage.ESCAPStats) {
	for i := range s.ActiveTeams {
		recordLevel(ctx, &s.ActiveTeams[i])
	}
	for i := range s.TeamsPerProfessional {
		recordLevel(ctx, &s.TeamsPerProfessional[i])
	}
}
