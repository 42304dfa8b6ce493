package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// ReferralQueue returns a page of an ESS's queue to its staff: the most
// urgent first, then the oldest, keyset-paginated on (urgency, submission
// time, id). FORBIDDEN to anyone without a role on the ESS.
func (db *ReferralService) ReferralQueue(ctx context.Context, essID string, f maillage.ReferralQueueFilter, page maillage.PageArgs) (*maillage.ReferralConnection, error) {
	after, err := startTypedPage(&page, keySmallInt, keyTime, keyText)
	if err != nil {
		return nil, err
	}
	if page.After == "" {
		after = []string{"-1", "-infinity", ""} // before every row
	}
	caller := maillage.IdentityFrom(ctx)
	if caller.Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to see a queue")
	}
	domain, err := essDomain(ctx, db, "essId", essID)
	if err != nil {
		return nil, err
	}
	if err := db.Authz.Can(ctx, authz.ActRead, authz.Object{Kind: authz.KindReferral, Domain: domain}); err != nil {
		return nil, err
	}
	var assignedTo *string
	if f.AssignedToMe {
		assignedTo = &caller.ProfessionalID
	}
	const q = referralSelect + ` WHERE r.ess_id = $1
		AND (cardinality($2::text[]) = 0 OR r.state = ANY($2))
		AND (cardinality($3::text[]) = 0 OR r.urgency = ANY($3))
		AND ($4::timestamptz IS NULL OR r.submitted_at < $4)
		AND ($5::timestamptz IS NULL OR r.submitted_at >= $5)
		AND ($6::text IS NULL OR r.specialist_id = $6)
		AND (r.urgency_rank, r.submitted_at, r.id) > ($7::smallint, $8::timestamptz, $9)
		ORDER BY r.urgency_rank, r.submitted_at, r.id LIMIT $10`
	var rows []*maillage.Referral
	if err := db.SelectContext(ctx, &rows, q, essID, statesArray(f.States), urgenciesArray(f.Urgencies),
		f.SubmittedBefore, f.SubmittedAfter, assignedTo, after[0], after[1], after[2], page.First+1); err != nil {
		return nil, fmt.Errorf("referral queue: %w", mapError(err))
	}
	return db.referralPage(ctx, rows, page, func(r *maillage.Referral) []string {
		return []string{strconv.Itoa(urgencyRank(r.Urgency)), r.SubmittedAt.UTC().Format(time.RFC3339Nano), r.ID}
	})
}

// MyReferrals returns a page of the caller's own requests, newest first.
func (db *ReferralService) MyReferrals(ctx context.Context, states []maillage.ReferralState, page maillage.PageArgs) (*maillage.ReferralConnection, error) {
	after, err := startTypedPage(&page, keyTime, keyText)
	if err != nil {
		return nil, err
	}
	if page.After == "" {
		after = []string{"infinity", ""} // after every row, newest first
	}
	caller := maillage.IdentityFrom(ctx)
	if caller.Anonymous() {
		return &maillage.ReferralConnection{}, nil
	}
	const q = referralSelect + ` WHERE r.requested_by = $1
		AND (cardinality($2::text[]) = 0 OR r.state = ANY($2))
		AND ($3::timestamptz, $4::text) > (r.submitted_at, r.id)
		ORDER BY r.submitted_at DESC, r.id DESC LIMIT $5`
	var rows []*maillage.Referral
	if err := db.SelectContext(ctx, &rows, q, caller.AccountID, statesArray(states), after[0], after[1], page.First+1); err != nil {
		return nil, fmt.Errorf("my referrals: %w", mapError(err))
	}
	return db.referralPage(ctx, rows, page, func(r *maillage.Referral) []string {
		return []string{r.SubmittedAt.UTC().Format(time.RFC3339Nano), r.ID}
	})
}

// referralPage cuts a page and audits the reads of the requests on it.
func (db *ReferralService) referralPage(ctx context.Context, rows []*maillage.Referral, page maillage.PageArgs, keys func(*maillage.Referral) []string) (*maillage.ReferralConnection, error) {
	edges, info := endPage(rows, page, keys, func(c func() string, r *maillage.Referral) maillage.ReferralEdge {
		return maillage.ReferralEdge{Cursor: c(), Node: r}
	})
	read := make([]*maillage.Referral, len(edges))
	for i, e := range edges {
		read[i] = e.Node
	}
	if err := auditReferralReads(ctx, db, read); err != nil {
		return nil, err
	}
	return &maillage.ReferralConnection{Edges: edges, PageInfo: info}, nil
}

// urgencyRank mirrors the referrals.urgency_rank column.
func urgencyRank(u maillage.Urgency) int {
	switch u {
	case maillage.UrgencyUrgent:
		return 0
	case maillage.UrgencyPriority:
		return 1
	}
	return 2
}

func statesArray(ss []maillage.ReferralState) pq.StringArray {
	out := pq.StringArray{}
	for _, s := range ss {
		out = append(out, string(s))
	}
	return out
}

func urgenciesArray(us []maillage.Urgency) pq.StringArray {
	out := pq.StringArray{}
	for _, u := range us {
		out = append(out, string(u))
	}
	return out
}
