package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// A guardCheck asks whether the subscriber whose context is sub (its
// identity) may see ev.
type guardCheck struct {
	sub context.Context
	ev  *maillage.Event
}

// An eventGuard decides a batch of checks with the same rule as the queries
// of its area, in at most one SQL statement whatever the batch: one event for
// all its subscribers (live), or a page of events for one subscriber
// (catching up). An error means the checks could not be made (the database
// is away), never a denial.
type eventGuard func(ctx context.Context, db *DB, checks []guardCheck) ([]bool, error)

// eventGuards are the guards by name (EventFilter.Guard). Each area adds its
// own in an init function.
var eventGuards = map[string]eventGuard{}

// addEventGuard registers a guard.
func addEventGuard(name string, g eventGuard) { eventGuards[name] = g }

func init() {
	addEventGuard(maillage.GuardTerritoryActivity, func(_ context.Context, db *DB, checks []guardCheck) ([]bool, error) {
		ok := make([]bool, len(checks))
		for i, c := range checks {
			ok[i] = db.Authz.Allowed(c.sub, authz.ActRead, authz.Object{Kind: authz.KindStats, Domain: c.ev.Domain})
		}
		return ok, nil
	})
	addEventGuard(maillage.GuardPatient, relationGuard(authz.KindPatient))
	addEventGuard(maillage.GuardESCAP, relationGuard(authz.KindESCAP))
	addEventGuard(maillage.GuardReferral, relationGuard(authz.KindReferral))
}

// relationGuard is the guard of a need-to-know kind whose topic names the
// object ("<kind>:<id>"): the relations each subscriber has with the object
// (one statement for the batch), then Authz.Allowed on read in the event's
// domain, as the kind's queries decide.
func relationGuard(kind string) eventGuard {
	return func(ctx context.Context, db *DB, checks []guardCheck) ([]bool, error) {
		ids := make([]string, len(checks))
		pros := make([]string, len(checks))
		accs := make([]string, len(checks))
		for i, c := range checks {
			who := maillage.IdentityFrom(c.sub)
			_, ids[i], _ = strings.Cut(c.ev.Topic, ":")
			pros[i], accs[i] = who.ProfessionalID, who.AccountID
		}
		rels, err := relationsOfPairs(ctx, db, kind, ids, pros, accs)
		if err != nil {
			return nil, err
		}
		ok := make([]bool, len(checks))
		for i, c := range checks {
			ok[i] = db.Authz.Allowed(c.sub, authz.ActRead, authz.Object{Kind: kind, Domain: c.ev.Domain, Relations: rels[i]})
		}
		return ok, nil
	}
}

// relationsOfPairs returns, for each i, the relations the caller
// (pros[i], accs[i]) has with the object ids[i] of kind, in one statement.
// An anonymous caller (no account) has none.
func relationsOfPairs(ctx context.Context, db *DB, kind string, ids, pros, accs []string) ([][]string, error) {
	out := make([][]string, len(ids))
	rels := relations[kind]
	if len(rels) == 0 || len(ids) == 0 {
		return out, nil
	}
	cols := make([]string, len(rels))
	for i, r := range rels {
		pred := strings.NewReplacer(":id", "c.id", ":pro", "c.pro", ":acc", "c.acc").Replace(r.predicate)
		cols[i] = fmt.Sprintf("CASE WHEN %s THEN %s END", pred, quoteLiteral(r.name))
	}
	query := `SELECT c.i, x FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS c(id, pro, acc, i),
		LATERAL unnest(ARRAY[` + strings.Join(cols, ", ") + `]::text[]) x
		WHERE x IS NOT NULL AND c.acc <> '' ORDER BY c.i, x`
	rows, err := db.QueryContext(ctx, query, pq.StringArray(ids), pq.StringArray(pros), pq.StringArray(accs))
	if err != nil {
		return nil, fmt.Errorf("relations with %s: %w", kind, err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var name string
		if err := rows.Scan(&i, &name); err != nil {
			return nil, fmt.Errorf("relations with %s: %w", kind, err)
		}
		out[i-1] = append(out[i-1], name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("relations with %s: %w", kind, err)
	}
	return out, nil
}
