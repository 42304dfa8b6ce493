package postgres_test

import (
	"math"
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres/pgtest"
)

// The dashboard figures on the demo requests (postgres/referral_seed.go):
// delays per period and overall, the waiting queue's age, and a territory's
// figures over its ESSs, under the territory's statistics right.
func TestReferralDashboardFigures(t *testing.T) {
	db := pgtest.Seeded(t)
	ess := structureID(t, db, "ESS Dermatologie Rouen Métropole")
	normandie := idOf(t, db, `SELECT id FROM territories WHERE path = 'fr/28'`)
	from, to := time.Now().Add(-60*24*time.Hour), time.Now().Add(24*time.Hour)

	st, err := db.Referrals.ReferralStats(pgtest.As(t, db, caseManager), ess, from, to, maillage.PeriodDay)
	if err != nil {
		t.Fatal(err)
	}
	// Triaged after 4, 2, 1 and 10 hours; answered after 10 and 100 hours.
	hours := func(s *float64) float64 { return math.Round(*s/36) / 100 }
	if !st.Exact || *st.ToTriage.Count != 4 || hours(st.ToTriage.MedianSeconds) != 3 || hours(st.ToTriage.P90Seconds) != 8.2 {
		t.Errorf("to triage = %d, %v h, %v h; want 4, 3 h, 8.2 h", st.ToTriage.N, hours(st.ToTriage.MedianSeconds), hours(st.ToTriage.P90Seconds))
	}
	if *st.ToAnswer.Count != 2 || hours(st.ToAnswer.MedianSeconds) != 55 {
		t.Errorf("to answer = %d, %v h; want 2, 55 h", st.ToAnswer.N, hours(st.ToAnswer.MedianSeconds))
	}
	// Per period: the counts add up to the whole, and each period's delay is
	// its own requests' (one request a day here, so median = p90 = its delay).
	var triaged, answered int
	var seen []float64
	for _, p := range st.Periods {
		triaged += *p.ToTriage.Count
		answered += *p.ToAnswer.Count
		if *p.ToTriage.Count == 1 {
			if *p.ToTriage.MedianSeconds != *p.ToTriage.P90Seconds {
				t.Errorf("period %v: median %v ≠ p90 %v for one request", p.Start, *p.ToTriage.MedianSeconds, *p.ToTriage.P90Seconds)
			}
			seen = append(seen, hours(p.ToTriage.MedianSeconds))
		}
	}
	if triaged != 4 || answered != 2 || len(seen) != 4 {
		t.Errorf("per-period triaged %d, answered %d, single-request periods %v; want 4, 2, four", triaged, answered, seen)
	}
	// Waiting now: demo-1 (3 h, submitted), demo-2 (50 h, triaged), demo-3 (120 h, scheduled).
	if *st.Queue.Open != 3 || hours(st.Queue.OldestSeconds) != 120 || hours(st.Queue.MedianSeconds) != 50 {
		t.Errorf("queue = %d, oldest %v h, median %v h; want 3, 120 h, 50 h", st.Queue.N, hours(st.Queue.OldestSeconds), hours(st.Queue.MedianSeconds))
	}

	// The region's figures are its only ESS's, for its ARS agent: by whole
	// months, and its seven requests are too few to be shown.
	now := time.Now().In(maillage.Paris)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, maillage.Paris)
	from, to = month.AddDate(0, -2, 0), month.AddDate(0, 1, 0)
	if _, err := db.Referrals.TerritoryReferralStats(pgtest.As(t, db, "ars-normandie"), normandie, from.Add(time.Hour), to, maillage.PeriodMonth); maillage.ErrorCode(err) != maillage.EINVALID {
		t.Errorf("a region's figures over part of a month: %v, want BAD_USER_INPUT", err)
	}
	region, err := db.Referrals.TerritoryReferralStats(pgtest.As(t, db, "ars-normandie"), normandie, from, to, maillage.PeriodMonth)
	if err != nil {
		t.Fatal(err)
	}
	if region.Exact || region.N != 7 || region.Total != nil || !region.TotalSuppressed || !region.ToTriage.Suppressed ||
		region.Queue.Open != nil || region.Queue.OldestSeconds != nil || region.TerritoryID != normandie {
		t.Errorf("Normandie: %+v; want 7 requests, all suppressed", region)
	}
	// Another region's agent may not read it; nor may a professional of the ESS.
	for _, login := range []string{"ars-ara", caseManager} {
		if _, err := db.Referrals.TerritoryReferralStats(pgtest.As(t, db, login), normandie, from, to, maillage.PeriodMonth); maillage.ErrorCode(err) != maillage.EFORBIDDEN {
			t.Errorf("%s reading Normandie's figures: %v, want FORBIDDEN", login, err)
		}
	}
	if _, err := db.Referrals.TerritoryReferralStats(pgtest.As(t, db, "ars-normandie"), "ter_nope", from, to, maillage.PeriodMonth); maillage.ErrorCode(err) != maillage.ENOTFOUND {
		t.Errorf("unknown territory: %v, want NOT_FOUND", err)
	}
	// A region without an ESS with requests: zeros, no delay.
	ara := idOf(t, db, `SELECT id FROM territories WHERE path = 'fr/84'`)
	empty, err := db.Referrals.TerritoryReferralStats(pgtest.As(t, db, "ars-ara"), ara, from, to, maillage.PeriodMonth)
	if err != nil || empty.Total == nil || *empty.Total != 0 || *empty.Queue.Open != 0 || empty.ToTriage.MedianSeconds != nil || empty.Queue.OldestSeconds != nil {
		t.Errorf("ARA: %+v, %v; want zeros", empty, err)
	}
}
