package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// escapVisible returns a SQL condition true when the caller may read the
// team at idExpr (whose territory path is pathExpr), its parameters added to
// p. Every read door (root field, nested list, node) filters with it. A
// failure to read the caller's grants is an error, never a narrower filter.
func (db *ESCAPService) escapVisible(ctx context.Context, p *params, idExpr, pathExpr string) (string, error) {
	scope, err := db.Authz.Scope(ctx, authz.ActRead, authz.KindESCAP, relationNames(authz.KindESCAP)...)
	if err != nil {
		return "", fmt.Errorf("escap read scope: %w", err)
	}
	caller := callerOf(ctx, p)
	all, domains := scopeArgs(scope)
	if caller.id.Anonymous() {
		all, domains, scope.Relations = false, nil, nil
	}
	return "(" + p.Add(all) + "::bool OR " + domainCondition(p, pathExpr, domains) + " OR " +
		relationFilter(authz.KindESCAP, idExpr, scope.Relations, caller) + ")", nil
}

// auditESCAPReads appends one audit record per team read, in one statement,
// each in its team's domain and naming the caller's relations with it.
func auditESCAPReads(ctx context.Context, q sqlx.ExecerContext, ids []string, op string) error {
	const domainOfTeam = `(SELECT t.path FROM escaps e JOIN territories t ON t.id = e.territory_id WHERE e.id = o.id)`
	return appendAudits(ctx, q, authz.KindESCAP, ids, op, domainOfTeam)
}

// distinctIDs returns the distinct values of key over rows.
func distinctIDs[T any](rows []*T, key func(*T) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if k := key(r); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// ESCAPsByIDs loads the visible teams among ids in one statement, and audits
// the reads in one more.
func (db *ESCAPService) ESCAPsByIDs(ctx context.Context, ids []string) ([]*maillage.ESCAP, error) {
	p := params{pq.StringArray(ids)}
	visible, err := db.escapVisible(ctx, &p, "e.id", "t.path")
	if err != nil {
		return nil, err
	}
	var rows []*maillage.ESCAP
	q := `SELECT ` + escapColumns + escapFrom + ` WHERE e.id = ANY($1) AND ` + visible
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("escaps by ids: %w", err)
	}
	if err := auditESCAPReads(ctx, db, distinctIDs(rows, func(e *maillage.ESCAP) string { return e.ID }), "read"); err != nil {
		return nil, err
	}
	return alignByID(ids, rows, func(e *maillage.ESCAP) string { return e.ID }), nil
}

// FindESCAPs returns a page of the caller's teams, newest first.
func (db *ESCAPService) FindESCAPs(ctx context.Context, f maillage.ESCAPFilter, page maillage.PageArgs) (*maillage.ESCAPConnection, error) {
	after, err := startTypedPage(&page, keyTime, keyText)
	if err != nil {
		return nil, err
	}
	if f.Status != nil {
		switch *f.Status {
		case maillage.ESCAPForming, maillage.ESCAPActive, maillage.ESCAPClosed:
		default:
			return nil, maillage.InvalidField("filter.status", "unknown status %q", *f.Status)
		}
	}
	p := params{f.Status, f.PatientID, after[0], after[1], page.First + 1}
	visible, err := db.escapVisible(ctx, &p, "e.id", "t.path")
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + escapColumns + escapFrom + ` WHERE ($1::text IS NULL OR e.status = $1) AND ($2::text IS NULL OR e.patient_id = $2)
		AND (e.created_at, e.id) < (COALESCE(NULLIF($3, '')::timestamptz, 'infinity'), $4) AND ` + visible + `
		ORDER BY e.created_at DESC, e.id DESC LIMIT $5`
	var rows []*maillage.ESCAP
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("find escaps: %w", err)
	}
	edges, info := endPage(rows, page, func(e *maillage.ESCAP) []string { return []string{timeKey(e.CreatedAt), e.ID} },
		func(c func() string, e *maillage.ESCAP) maillage.ESCAPEdge {
			return maillage.ESCAPEdge{Cursor: c(), Node: e}
		})
	read := make([]string, len(edges))
	for i, e := range edges {
		read[i] = e.Node.ID
	}
	if err := auditESCAPReads(ctx, db, read, "read"); err != nil {
		return nil, err
	}
	return &maillage.ESCAPConnection{Edges: edges, PageInfo: info}, nil
}

// timeKey is the cursor form of a timestamp.
func timeKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// escapPathOf is the territory path of the team at idExpr, as a subquery.
func escapPathOf(idExpr string) string {
	return `(SELECT vt.path FROM escaps ve JOIN territories vt ON vt.id = ve.territory_id WHERE ve.id = ` + idExpr + `)`
}

// MembersByESCAPIDs loads the members (current and past) of many visible
// teams in one statement, and audits the reads in one more.
func (db *ESCAPService) MembersByESCAPIDs(ctx context.Context, ids []string) ([][]*maillage.ESCAPMember, error) {
	p := params{pq.StringArray(ids)}
	visible, err := db.escapVisible(ctx, &p, "m.escap_id", escapPathOf("m.escap_id"))
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + memberColumns + ` FROM escap_members m JOIN professionals p ON p.id = m.professional_id
		WHERE m.escap_id = ANY($1) AND ` + visible + ` ORDER BY m.joined_at, m.id`
	var rows []*maillage.ESCAPMember
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("escap members: %w", err)
	}
	if err := auditESCAPReads(ctx, db, distinctIDs(rows, func(m *maillage.ESCAPMember) string { return m.ESCAPID }), "read_members"); err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(m *maillage.ESCAPMember) string { return m.ESCAPID }), nil
}

// MembersByIDs loads visible memberships by id (for node).
func (db *ESCAPService) MembersByIDs(ctx context.Context, ids []string) ([]*maillage.ESCAPMember, error) {
	p := params{pq.StringArray(ids)}
	visible, err := db.escapVisible(ctx, &p, "m.escap_id", escapPathOf("m.escap_id"))
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + memberColumns + ` FROM escap_members m JOIN professionals p ON p.id = m.professional_id
		WHERE m.id = ANY($1) AND ` + visible
	var rows []*maillage.ESCAPMember
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("escap members by ids: %w", err)
	}
	if err := auditESCAPReads(ctx, db, distinctIDs(rows, func(m *maillage.ESCAPMember) string { return m.ESCAPID }), "read_members"); err != nil {
		return nil, err
	}
	return alignByID(ids, rows, func(m *maillage.ESCAPMember) string { return m.ID }), nil
}

// EntriesByIDs loads visible timeline entries by id (for node).
func (db *ESCAPService) EntriesByIDs(ctx context.Context, ids []string) ([]*maillage.ESCAPEntry, error) {
	p := params{pq.StringArray(ids)}
	visible, err := db.escapVisible(ctx, &p, "x.escap_id", escapPathOf("x.escap_id"))
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + entryColumns + ` FROM escap_entries x WHERE x.id = ANY($1) AND ` + visible
	var rows []*maillage.ESCAPEntry
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("escap entries by ids: %w", err)
	}
	if err := auditESCAPReads(ctx, db, distinctIDs(rows, func(x *maillage.ESCAPEntry) string { return x.ESCAPID }), "read_timeline"); err != nil {
		return nil, err
	}
	return alignByID(ids, rows, func(x *maillage.ESCAPEntry) string { return x.ID }), nil
}

// ConsentsByIDs loads consents visible through a team of the caller's.
func (db *ESCAPService) ConsentsByIDs(ctx context.Context, ids []string) ([]*maillage.ESCAPConsent, error) {
	p := params{pq.StringArray(ids)}
	visible, err := db.escapVisible(ctx, &p, "ce.id", escapPathOf("ce.id"))
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + consentColumns + ` FROM escap_consents c WHERE c.id = ANY($1)
		AND EXISTS (SELECT 1 FROM escaps ce WHERE ce.consent_id = c.id AND ` + visible + `)`
	var rows []*maillage.ESCAPConsent
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("escap consents by ids: %w", err)
	}
	if len(rows) > 0 {
		pids := distinctIDs(rows, func(c *maillage.ESCAPConsent) string { return c.PatientID })
		if err := appendAudits(ctx, db, authz.KindPatient, pids, "read_consent", literalDomain(patientDomain)); err != nil {
			return nil, err
		}
	}
	return alignByID(ids, rows, func(c *maillage.ESCAPConsent) string { return c.ID }), nil
}

// Timelines loads one page of each asked team's timeline (oldest first) in
// one statement, whatever the number of teams, and audits in one more.
func (db *ESCAPService) Timelines(ctx context.Context, keys []maillage.TimelineKey) ([]*maillage.ESCAPEntryConnection, error) {
	n := len(keys)
	pages := make([]maillage.PageArgs, n)
	escapIDs, afterAt, afterID, limits := make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.Int64Array, n)
	for i, k := range keys {
		pages[i] = k.Page
		after, err := startTypedPage(&pages[i], keyTime, keyText)
		if err != nil {
			return nil, err
		}
		escapIDs[i], afterAt[i], afterID[i], limits[i] = k.ESCAPID, after[0], after[1], int64(pages[i].First+1)
	}
	p := params{escapIDs, afterAt, afterID, limits}
	visible, err := db.escapVisible(ctx, &p, "k.escap_id", escapPathOf("k.escap_id"))
	if err != nil {
		return nil, err
	}
	q := `SELECT k.n, ` + entryColumns + `
		FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) WITH ORDINALITY AS k(escap_id, after_at, after_id, lim, n)
		CROSS JOIN LATERAL (SELECT * FROM escap_entries y WHERE y.escap_id = k.escap_id
			AND (y.created_at, y.id) > (COALESCE(NULLIF(k.after_at, '')::timestamptz, '-infinity'), k.after_id)
			ORDER BY y.created_at, y.id LIMIT k.lim) x
		WHERE ` + visible + ` ORDER BY k.n, x.created_at, x.id`
	var rows []struct {
		N int `db:"n"`
		maillage.ESCAPEntry
	}
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("escap timelines: %w", err)
	}
	grouped := make([][]*maillage.ESCAPEntry, n)
	for i := range rows {
		grouped[rows[i].N-1] = append(grouped[rows[i].N-1], &rows[i].ESCAPEntry)
	}
	out := make([]*maillage.ESCAPEntryConnection, n)
	var read []string
	for i, entries := range grouped {
		edges, info := endPage(entries, pages[i], func(x *maillage.ESCAPEntry) []string { return []string{timeKey(x.CreatedAt), x.ID} },
			func(c func() string, x *maillage.ESCAPEntry) maillage.ESCAPEntryEdge {
				return maillage.ESCAPEntryEdge{Cursor: c(), Node: x}
			})
		if len(edges) > 0 && !slices.Contains(read, keys[i].ESCAPID) {
			read = append(read, keys[i].ESCAPID)
		}
		out[i] = &maillage.ESCAPEntryConnection{Edges: edges, PageInfo: info}
	}
	if err := auditESCAPReads(ctx, db, read, "read_timeline"); err != nil {
		return nil, err
	}
	return out, nil
}
