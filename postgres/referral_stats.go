package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// maxStatsBuckets bounds the number of periods one dashboard asks for.
const maxStatsBuckets = 400

// ReferralStats returns an ESS's dashboard over the requests submitted in
// [from, to): counts per period (Europe/Paris) by state, requester kind and
// modality; median and 90th-percentile delays from submission to the first
// triage and to the first answer (from the history); and how many were
// answered on the Paris day they were submitted. Aggregates only: visible to
// the ESS's staff, exactly, and to the coordinators and agents above it by
// whole calendar periods with small counts suppressed (see disclose).
func (db *ReferralService) ReferralStats(ctx context.Context, essID string, from, to time.Time, period maillage.StatsPeriod) (*maillage.ReferralStats, error) {
	if err := checkStatsRange(from, to, period); err != nil {
		return nil, err
	}
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to see figures")
	}
	domain, err := essDomain(ctx, db, "essId", essID)
	if err != nil {
		return nil, err
	}
	if err := db.Authz.Can(ctx, authz.ActRead, authz.Object{Kind: authz.KindStats, Domain: domain}); err != nil {
		return nil, err
	}
	// The need-to-know set: who reads the ESS's requests themselves.
	exact := db.Authz.Allowed(ctx, authz.ActRead, authz.Object{Kind: authz.KindReferral, Domain: domain})
	st := &maillage.ReferralStats{ESSID: essID, From: from.UTC(), To: to.UTC(), Period: period, Exact: exact}
	return st, db.fillStats(ctx, st, pq.StringArray{essID})
}

// TerritoryReferralStats returns the figures of every ESS of a territory
// and below it (archived ones included: their past requests count), to
// whoever may read the territory's figures (coordinators, ARS agents):
// never exact (see disclose).
func (db *ReferralService) TerritoryReferralStats(ctx context.Context, territoryID string, from, to time.Time, period maillage.StatsPeriod) (*maillage.ReferralStats, error) {
	if err := checkStatsRange(from, to, period); err != nil {
		return nil, err
	}
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to see figures")
	}
	var path string
	if err := db.GetContext(ctx, &path, `SELECT path FROM territories WHERE id = $1`, territoryID); err != nil {
		if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
			return nil, maillage.NotFound("territory")
		}
		return nil, fmt.Errorf("territory stats: %w", err)
	}
	if err := db.Authz.Can(ctx, authz.ActRead, authz.Object{Kind: authz.KindStats, Domain: path}); err != nil {
		return nil, err
	}
	var ess pq.StringArray
	if err := db.SelectContext(ctx, &ess, `SELECT s.id FROM structures s JOIN territories t ON t.id = s.territory_id
		WHERE s.kind = 'ESS' AND within(t.path, $1)`, path); err != nil {
		return nil, fmt.Errorf("territory stats: %w", err)
	}
	st := &maillage.ReferralStats{TerritoryID: territoryID, From: from.UTC(), To: to.UTC(), Period: period}
	return st, db.fillStats(ctx, st, ess)
}

// checkStatsRange refuses an empty range, an unknown period, or too many
// periods at once.
func checkStatsRange(from, to time.Time, period maillage.StatsPeriod) error {
	var step time.Duration
	switch period {
	case maillage.PeriodDay:
		step = 24 * time.Hour
	case maillage.PeriodWeek:
		step = 7 * 24 * time.Hour
	case maillage.PeriodMonth:
		step = 28 * 24 * time.Hour
	case maillage.PeriodQuarter:
		step = 90 * 24 * time.Hour
	case maillage.PeriodYear:
		step = 365 * 24 * time.Hour
	default:
		return maillage.InvalidField("period", "must be DAY, WEEK, MONTH, QUARTER or YEAR, got %q", period)
	}
	if !to.After(from) {
		return maillage.InvalidField("to", "must be after from")
	}
	if to.Sub(from)/step > maxStatsBuckets {
		return maillage.InvalidField("from", "at most %d periods at once", maxStatsBuckets)
	}
	return nil
}

// fillStats computes the figures of the requests addressed to the ESSs ess,
// then what is shown of them (disclose). Outside the need-to-know set the
// range must be whole calendar periods.
func (db *ReferralService) fillStats(ctx context.Context, st *maillage.ReferralStats, ess pq.StringArray) error {
	if !st.Exact {
		if err := maillage.WholePeriods(st.From, st.To, st.Period); err != nil {
			return err
		}
	}
	k, err := smallCount(ctx, db)
	if err != nil {
		return err
	}
	st.SmallCount = k
	if err := db.statsCounts(ctx, st, ess); err != nil {
		return err
	}
	if err := db.statsDelays(ctx, st, ess); err != nil {
		return err
	}
	if err := db.statsQueue(ctx, st, ess); err != nil {
		return err
	}
	disclose(st)
	return nil
}

// disclose fills the shown figures from the computed ones: all of them for
// the need-to-know set; otherwise a count under the threshold is
// suppressed with whatever would let it be recomputed — in each breakdown
// of a period against the period's total (maillage.Suppress); the window's
// total unless every period's total is shown (maillage.SumShown), so two
// windows never differ by a small count; delays and same-day counts under
// the threshold or when their total is hidden; the share when either of
// its terms is; the queue's size under the threshold, its median then, and
// always its oldest (one request's age).
func disclose(st *maillage.ReferralStats) {
	k := st.SmallCount
	if st.Exact {
		k = 0 // nothing is small
	}
	periodHidden := make([]bool, len(st.Periods))
	for i := range st.Periods {
		p := &st.Periods[i]
		for _, b := range [][]maillage.Count{p.ByState, p.ByRequesterKind, p.ByModality} {
			cells := make([]int, len(b))
			for j, c := range b {
				cells[j] = c.N
			}
			hidden, totalHidden := maillage.Suppress(cells, p.N, k)
			for j := range b {
				b[j].Suppressed, b[j].Count = hidden[j], maillage.Shown(b[j].N, hidden[j])
			}
			p.TotalSuppressed = p.TotalSuppressed || totalHidden
		}
		p.Total = maillage.Shown(p.N, p.TotalSuppressed)
		periodHidden[i] = p.TotalSuppressed
		discloseDelays(&p.ToTriage, &p.ToAnswer, p.TotalSuppressed, k)
		p.AnsweredSameDaySuppressed = maillage.Small(p.SameDayN, k) || p.TotalSuppressed && p.SameDayN > 0
		p.AnsweredSameDay = maillage.Shown(p.SameDayN, p.AnsweredSameDaySuppressed)
	}
	st.TotalSuppressed = maillage.Small(st.N, k) || !maillage.SumShown(periodHidden)
	st.Total = maillage.Shown(st.N, st.TotalSuppressed)
	discloseDelays(&st.ToTriage, &st.ToAnswer, st.TotalSuppressed, k)
	st.AnsweredSameDaySuppressed = maillage.Small(st.SameDayN, k) || st.TotalSuppressed && st.SameDayN > 0
	st.AnsweredSameDay = maillage.Shown(st.SameDayN, st.AnsweredSameDaySuppressed)
	if st.N > 0 && !st.TotalSuppressed && !st.AnsweredSameDaySuppressed {
		share := float64(st.SameDayN) / float64(st.N)
		st.SameDayShare = &share
	}
	q := &st.Queue
	q.OpenSuppressed = maillage.Small(q.N, k)
	q.Open = maillage.Shown(q.N, q.OpenSuppressed)
	if q.OpenSuppressed {
		q.MedianSeconds = nil
	}
	if !st.Exact {
		q.OldestSeconds = nil
	}
}

// discloseDelays hides a delay over too few requests, or whose total is.
func discloseDelays(triage, answer *maillage.Delay, totalHidden bool, k int) {
	for _, d := range []*maillage.Delay{triage, answer} {
		d.Suppressed = maillage.Small(d.N, k) || totalHidden && d.N > 0
		d.Count = maillage.Shown(d.N, d.Suppressed)
		if d.Suppressed {
			d.MedianSeconds, d.P90Seconds = nil, nil
		}
	}
}

// statsCounts fills the per-period counts in one statement.
func (db *ReferralService) statsCounts(ctx context.Context, st *maillage.ReferralStats, ess pq.StringArray) error {
	const q = `WITH r AS (
			SELECT date_trunc($4, r.submitted_at AT TIME ZONE $5) AT TIME ZONE $5 AS bucket, r.state, r.requester_kind, r.modality
			FROM referrals r WHERE r.ess_id = ANY($1) AND r.submitted_at >= $2 AND r.submitted_at < $3)
		SELECT bucket, 'state' AS dim, state AS key, count(*) AS count FROM r GROUP BY bucket, state
		UNION ALL SELECT bucket, 'kind', requester_kind, count(*) FROM r GROUP BY bucket, requester_kind
		UNION ALL SELECT bucket, 'modality', modality, count(*) FROM r GROUP BY bucket, modality
		ORDER BY bucket, dim, key`
	var rows []struct {
		Bucket time.Time `db:"bucket"`
		Dim    string    `db:"dim"`
		Key    string    `db:"key"`
		Count  int       `db:"count"`
	}
	if err := db.SelectContext(ctx, &rows, q, ess, st.From, st.To, periodUnit(st.Period), maillage.Paris.String()); err != nil {
		return fmt.Errorf("referral stats: %w", err)
	}
	for _, row := range rows {
		n := len(st.Periods)
		if n == 0 || !st.Periods[n-1].Start.Equal(row.Bucket) {
			st.Periods = append(st.Periods, maillage.ReferralPeriodStats{Start: row.Bucket.UTC()})
			n++
		}
		p := &st.Periods[n-1]
		c := maillage.Count{Key: row.Key, N: row.Count}
		switch row.Dim {
		case "state":
			p.ByState = append(p.ByState, c)
			p.N += row.Count
			st.N += row.Count
		case "kind":
			p.ByRequesterKind = append(p.ByRequesterKind, c)
		case "modality":
			p.ByModality = append(p.ByModality, c)
		}
	}
	return nil
}

// statsDelays fills the delays and the same-day counts, per period and over
// the whole range (the grouping set ()), in one statement.
func (db *ReferralService) statsDelays(ctx context.Context, st *maillage.ReferralStats, ess pq.StringArray) error {
	// triaged_at and answered_at are the first TRIAGE and ANSWER of the
	// history (migration 00085 keeps them).
	const q = `WITH r AS (
			SELECT r.submitted_at, date_trunc($4, r.submitted_at AT TIME ZONE $5) AT TIME ZONE $5 AS bucket, r.triaged_at, r.answered_at
			FROM referrals r WHERE r.ess_id = ANY($1) AND r.submitted_at >= $2 AND r.submitted_at < $3)
		SELECT bucket, count(triaged_at) AS t_n,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM triaged_at - submitted_at)) AS t_median,
			percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM triaged_at - submitted_at)) AS t_p90,
			count(answered_at) AS a_n,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - submitted_at)) AS a_median,
			percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - submitted_at)) AS a_p90,
			count(*) FILTER (WHERE (answered_at AT TIME ZONE $5)::date = (submitted_at AT TIME ZONE $5)::date) AS same_day
		FROM r GROUP BY GROUPING SETS ((bucket), ()) ORDER BY bucket NULLS FIRST`
	var rows []struct {
		Bucket  *time.Time `db:"bucket"`
		TN      int        `db:"t_n"`
		TMedian *float64   `db:"t_median"`
		TP90    *float64   `db:"t_p90"`
		AN      int        `db:"a_n"`
		AMedian *float64   `db:"a_median"`
		AP90    *float64   `db:"a_p90"`
		SameDay int        `db:"same_day"`
	}
	if err := db.SelectContext(ctx, &rows, q, ess, st.From, st.To, periodUnit(st.Period), maillage.Paris.String()); err != nil {
		return fmt.Errorf("referral delays: %w", err)
	}
	periods := map[time.Time]*maillage.ReferralPeriodStats{}
	for i := range st.Periods {
		periods[st.Periods[i].Start] = &st.Periods[i]
	}
	for _, row := range rows {
		triage := maillage.Delay{N: row.TN, MedianSeconds: row.TMedian, P90Seconds: row.TP90}
		answer := maillage.Delay{N: row.AN, MedianSeconds: row.AMedian, P90Seconds: row.AP90}
		if row.Bucket == nil {
			st.ToTriage, st.ToAnswer, st.SameDayN = triage, answer, row.SameDay
			continue
		}
		if p := periods[row.Bucket.UTC()]; p != nil {
			p.ToTriage, p.ToAnswer, p.SameDayN = triage, answer, row.SameDay
		}
	}
	return nil
}

// statsQueue fills the age of the requests waiting now, in one statement.
func (db *ReferralService) statsQueue(ctx context.Context, st *maillage.ReferralStats, ess pq.StringArray) error {
	const q = `SELECT count(*) AS open,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM now() - submitted_at)) AS median,
			extract(epoch FROM now() - min(submitted_at))::float8 AS oldest
		FROM referrals WHERE ess_id = ANY($1) AND state IN ('SUBMITTED', 'TRIAGED', 'ASSIGNED', 'SCHEDULED')`
	if err := db.GetContext(ctx, &st.Queue, q, ess); err != nil {
		return fmt.Errorf("referral queue age: %w", err)
	}
	return nil
}

func periodUnit(p maillage.StatsPeriod) string {
	switch p {
	case maillage.PeriodDay:
		return "day"
	case maillage.PeriodWeek:
		return "week"
	case maillage.PeriodQuarter:
		return "quarter"
	case maillage.PeriodYear:
		return "year"
	}
	return "month"
}
