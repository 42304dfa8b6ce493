package postgres

import (
	"context"
	"fmt"
	"time"

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
		return nil, maillage.InvalidField("period", "must be DAY, WEEK, MONTH, QUARTER or YEAR, got %q", period)
	}
	if !to.After(from) {
		return nil, maillage.InvalidField("to", "must be after from")
	}
	if to.Sub(from)/step > maxStatsBuckets {
		return nil, maillage.InvalidField("from", "at most %d periods at once", maxStatsBuckets)
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
	if !exact {
		if err := maillage.WholePeriods(from, to, period); err != nil {
			return nil, err
		}
	}
	k, err := smallCount(ctx, db)
	if err != nil {
		return nil, err
	}
	st := &maillage.ReferralStats{ESSID: essID, From: from.UTC(), To: to.UTC(), Period: period, Exact: exact, SmallCount: k}
	if err := db.statsCounts(ctx, st); err != nil {
		return nil, err
	}
	if err := db.statsDelays(ctx, st); err != nil {
		return nil, err
	}
	disclose(st)
	return st, nil
}

// disclose fills the shown figures from the computed ones: all of them for
// the need-to-know set; otherwise a count under the threshold is
// suppressed with whatever would let it be recomputed — in each breakdown
// of a period against the period's total (maillage.Suppress), the window's
// total unless every period's total is shown (maillage.SumShown), the
// delays and the same-day count under the threshold or when the window's
// total is hidden, the share when either of its terms is.
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
	}
	st.TotalSuppressed = maillage.Small(st.N, k) || !maillage.SumShown(periodHidden)
	st.Total = maillage.Shown(st.N, st.TotalSuppressed)
	for _, d := range []*maillage.Delay{&st.ToTriage, &st.ToAnswer} {
		d.Suppressed = maillage.Small(d.N, k) || st.TotalSuppressed && d.N > 0
		d.Count = maillage.Shown(d.N, d.Suppressed)
		if d.Suppressed {
			d.MedianSeconds, d.P90Seconds = nil, nil
		}
	}
	st.AnsweredSameDaySuppressed = maillage.Small(st.SameDayN, k) || st.TotalSuppressed && st.SameDayN > 0
	st.AnsweredSameDay = maillage.Shown(st.SameDayN, st.AnsweredSameDaySuppressed)
	if st.N > 0 && !st.TotalSuppressed && !st.AnsweredSameDaySuppressed {
		share := float64(st.SameDayN) / float64(st.N)
		st.SameDayShare = &share
	}
}

// statsCounts fills the per-period counts in one statement.
func (db *ReferralService) statsCounts(ctx context.Context, st *maillage.ReferralStats) error {
	const q = `WITH r AS (
			SELECT date_trunc($4, r.submitted_at AT TIME ZONE $5) AT TIME ZONE $5 AS bucket, r.state, r.requester_kind, r.modality
			FROM referrals r WHERE r.ess_id = $1 AND r.submitted_at >= $2 AND r.submitted_at < $3)
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
	if err := db.SelectContext(ctx, &rows, q, st.ESSID, st.From, st.To, periodUnit(st.Period), maillage.Paris.String()); err != nil {
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

// statsDelays fills the delays and the same-day share in one statement.
func (db *ReferralService) statsDelays(ctx context.Context, st *maillage.ReferralStats) error {
	const q = `WITH r AS (
			SELECT r.submitted_at,
				(SELECT min(h.created_at) FROM referral_history h WHERE h.referral_id = r.id AND h.action = 'TRIAGE') AS triaged_at,
				(SELECT min(h.created_at) FROM referral_history h WHERE h.referral_id = r.id AND h.action = 'ANSWER') AS answered_at
			FROM referrals r WHERE r.ess_id = $1 AND r.submitted_at >= $2 AND r.submitted_at < $3)
		SELECT count(triaged_at) AS t_n,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM triaged_at - submitted_at)) AS t_median,
			percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM triaged_at - submitted_at)) AS t_p90,
			count(answered_at) AS a_n,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - submitted_at)) AS a_median,
			percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - submitted_at)) AS a_p90,
			count(*) FILTER (WHERE (answered_at AT TIME ZONE $4)::date = (submitted_at AT TIME ZONE $4)::date) AS same_day
		FROM r`
	var row struct {
		TN      int      `db:"t_n"`
		TMedian *float64 `db:"t_median"`
		TP90    *float64 `db:"t_p90"`
		AN      int      `db:"a_n"`
		AMedian *float64 `db:"a_median"`
		AP90    *float64 `db:"a_p90"`
		SameDay int      `db:"same_day"`
	}
	if err := db.GetContext(ctx, &row, q, st.ESSID, st.From, st.To, maillage.Paris.String()); err != nil {
		return fmt.Errorf("referral delays: %w", err)
	}
	st.ToTriage = maillage.Delay{N: row.TN, MedianSeconds: row.TMedian, P90Seconds: row.TP90}
	st.ToAnswer = maillage.Delay{N: row.AN, MedianSeconds: row.AMedian, P90Seconds: row.AP90}
	st.SameDayN = row.SameDay
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
