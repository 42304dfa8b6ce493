package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage"
)

// Figures that cannot single out a patient or a request, tried as an ARS
// agent, a DAC coordinator or the national admin would: narrowing windows,
// territories and ESS until an answer speaks of one team or one request.

const smallCount = maillage.DefaultSmallCount

// statsReaders are the seeded callers outside every need-to-know set who
// read aggregates, and the territories whose figures they may read.
var statsReaders = []struct{ login, within string }{
	{"ars-normandie", "fr/28"},
	{"10003456793", "fr/28/76"}, // DAC Seine-Maritime
	{"admin", "fr"},
}

// months returns the Paris month starts from n months before this one to
// the next one.
func months(n int) []time.Time {
	now := time.Now().In(maillage.Paris)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, maillage.Paris).AddDate(0, -n, 0)
	var out []time.Time
	for i := 0; i <= n+1; i++ {
		out = append(out, first.AddDate(0, i, 0))
	}
	return out
}

// moreReferrals adds, to the dermatology ESS, n requests copied from the
// seeded demo-2 in this month, with varied states, kinds and modalities:
// enough for some cells to pass the threshold, so that the test also sees
// figures shown, not only suppressed.
func moreReferrals(h *hub, n int) {
	h.exec(`INSERT INTO referrals (ess_id, patient_id, requester_id, requested_by, requester_kind, reason, urgency, modality,
			client_key, content_hash, state, submitted_at)
		SELECT r.ess_id, r.patient_id, r.requester_id, r.requested_by,
			(ARRAY['TREATING_GP', 'TREATING_GP', 'TREATING_GP', 'GP'])[1 + g % 4], r.reason, r.urgency,
			(ARRAY['TELEEXPERTISE', 'TELEEXPERTISE', 'IN_PERSON'])[1 + g % 3], 'gen-' || g, r.content_hash,
			(ARRAY['SUBMITTED', 'SUBMITTED', 'SUBMITTED', 'TRIAGED', 'DECLINED'])[1 + g % 5],
			date_trunc('month', now() AT TIME ZONE 'Europe/Paris') AT TIME ZONE 'Europe/Paris' + make_interval(hours => g)
		FROM referrals r, generate_series(1, $1) g WHERE r.client_key = 'demo-2'`, n)
}

// TestAggregatesCannotBeNarrowedToFewerThanTheThreshold is generated: for
// every reader, every territory and ESS they may read, and every window
// they may ask (each month, consecutive pairs, the quarter and the year
// around them, at every period), every count shown is 0 or at least the
// threshold, every suppressed one is null, totals are only shown when
// nothing they sum is hidden (so two windows never differ by a small
// count), and windows that are not whole calendar periods are refused.
func TestAggregatesCannotBeNarrowedToFewerThanTheThreshold(t *testing.T) {
	h := seededHub(t)
	moreReferrals(h, 40)
	ms := months(13)
	var essIDs []string
	if err := h.db.SelectContext(t.Context(), &essIDs, `SELECT id FROM structures WHERE kind = 'ESS' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	shown, answers := 0, 0
	for _, r := range statsReaders {
		var territories []string
		if err := h.db.SelectContext(t.Context(), &territories, `SELECT id FROM territories WHERE within(path, $1) ORDER BY path`, r.within); err != nil {
			t.Fatal(err)
		}
		for _, ter := range territories {
			for _, w := range escapWindows(ms) {
				d := h.ok(r.login, `query($t: ID!, $f: String!, $to: String!) { escapStats(territoryId: $t, from: $f, to: $to) {
					smallCountThreshold entries { period situation count suppressed } exits { period situation reason count suppressed }
					activeTeams { count suppressed } teamsPerProfessional { year count } } }`,
					map[string]any{"t": ter, "f": w[0], "to": w[1]})
				answers++
				for _, list := range []string{"entries", "exits", "activeTeams"} {
					for _, c := range jpath(d, "escapStats."+list).([]any) {
						shown += checkCell(t, fmt.Sprintf("%s escapStats %s %v %s", r.login, ter, w, list), c)
					}
				}
				ty := h.ok(r.login, `query($t: ID!, $f: String!, $to: String!) { escapTypologyStats(territoryId: $t, from: $f, to: $to) {
					entries { count suppressed } exits { count suppressed } } }`, map[string]any{"t": ter, "f": w[0], "to": w[1]})
				answers++
				for _, list := range []string{"entries", "exits"} {
					for _, c := range jpath(ty, "escapTypologyStats."+list).([]any) {
						shown += checkCell(t, fmt.Sprintf("%s escapTypologyStats %s %v %s", r.login, ter, w, list), c)
					}
				}
				for _, c := range jpath(d, "escapStats.teamsPerProfessional").([]any) {
					if y := int(jpath(c, "year").(float64)); y < ms[0].Year() || y > ms[len(ms)-1].Year() {
						t.Errorf("teams per professional of year %d for window %v", y, w)
					}
				}
			}
			// Narrower than a month: refused.
			for _, w := range [][2]string{{ms[12].Format(time.DateOnly), ms[12].AddDate(0, 0, 1).Format(time.DateOnly)}, {ms[12].AddDate(0, 0, 1).Format(time.DateOnly), ms[13].Format(time.DateOnly)}} {
				h.fails(r.login, `query($t: ID!, $f: String!, $to: String!) { escapStats(territoryId: $t, from: $f, to: $to) { smallCountThreshold } }`,
					map[string]any{"t": ter, "f": w[0], "to": w[1]}, maillage.EINVALID, "")
			}
		}
		for _, ess := range essIDs {
			if !mayReadStats(h, r.login, ess) {
				continue
			}
			for _, w := range referralWindows(ms) {
				d := h.ok(r.login, `query($e: ID!, $f: Time!, $to: Time!, $p: StatsPeriod!) { referralStats(essId: $e, from: $f, to: $to, period: $p) {
					exact smallCountThreshold total totalSuppressed answeredSameDay answeredSameDaySuppressed sameDayShare
					toTriage { count medianSeconds suppressed } toAnswer { count medianSeconds suppressed }
					periods { total totalSuppressed byState { key count suppressed } byRequesterKind { key count suppressed } byModality { key count suppressed } } } }`,
					map[string]any{"e": ess, "f": w.from, "to": w.to, "p": w.period})
				answers++
				st := jpath(d, "referralStats")
				what := fmt.Sprintf("%s referralStats %s %v", r.login, ess, w)
				if jpath(st, "exact") != false {
					t.Fatalf("%s: exact figures outside the ESS's staff", what)
				}
				shown += checkNumber(t, what+" total", jpath(st, "total"), jpath(st, "totalSuppressed"))
				shown += checkNumber(t, what+" answeredSameDay", jpath(st, "answeredSameDay"), jpath(st, "answeredSameDaySuppressed"))
				for _, dl := range []string{"toTriage", "toAnswer"} {
					shown += checkNumber(t, what+" "+dl, jpath(st, dl+".count"), jpath(st, dl+".suppressed"))
					if jpath(st, dl+".suppressed") == true && jpath(st, dl+".medianSeconds") != nil {
						t.Errorf("%s: a suppressed delay shows its median", what)
					}
				}
				periodHidden := false
				for _, p := range jpath(st, "periods").([]any) {
					shown += checkNumber(t, what+" period total", jpath(p, "total"), jpath(p, "totalSuppressed"))
					periodHidden = periodHidden || jpath(p, "totalSuppressed") == true
					for _, b := range []string{"byState", "byRequesterKind", "byModality"} {
						hidden := 0
						for _, c := range jpath(p, b).([]any) {
							shown += checkCell(t, what+" "+b, c)
							if jpath(c, "suppressed") == true {
								hidden++
							}
						}
						if hidden == 1 && jpath(p, "totalSuppressed") == false {
							t.Errorf("%s %s: one cell hidden beside its total: total minus the others gives it", what, b)
						}
					}
				}
				if periodHidden && jpath(st, "total") != nil {
					t.Errorf("%s: the window's total is shown although a period's is hidden", what)
				}
			}
			// Not whole calendar periods, or days: refused.
			for _, w := range []statsWindow{
				{ms[12].UTC().Format(time.RFC3339), ms[12].Add(time.Second).UTC().Format(time.RFC3339), "MONTH"},
				{ms[12].Add(24 * time.Hour).UTC().Format(time.RFC3339), ms[13].UTC().Format(time.RFC3339), "MONTH"},
				{ms[12].UTC().Format(time.RFC3339), ms[13].UTC().Format(time.RFC3339), "DAY"},
				{ms[11].UTC().Format(time.RFC3339), ms[13].UTC().Format(time.RFC3339), "WEEK"},
			} {
				h.fails(r.login, `query($e: ID!, $f: Time!, $to: Time!, $p: StatsPeriod!) { referralStats(essId: $e, from: $f, to: $to, period: $p) { exact } }`,
					map[string]any{"e": ess, "f": w.from, "to": w.to, "p": w.period}, maillage.EINVALID, "")
			}
		}
	}
	if shown == 0 {
		t.Errorf("no figure was shown in %d answers: the test data should pass the threshold somewhere", answers)
	}
	t.Logf("%d answers, %d figures shown", answers, shown)
}

// checkCell asserts a count cell: suppressed and null, or 0 or at least the
// threshold. It returns 1 if a non-zero count was shown.
func checkCell(t *testing.T, what string, c any) int {
	t.Helper()
	return checkNumber(t, what, jpath(c, "count"), jpath(c, "suppressed"))
}

func checkNumber(t *testing.T, what string, count, suppressed any) int {
	t.Helper()
	if suppressed == true {
		if count != nil {
			t.Errorf("%s: suppressed but shows %v", what, count)
		}
		return 0
	}
	n, ok := count.(float64)
	if !ok {
		t.Errorf("%s: neither shown nor suppressed: %v", what, count)
		return 0
	}
	if n > 0 && n < smallCount {
		t.Errorf("%s: shows %v, under the threshold %d", what, n, smallCount)
	}
	if n > 0 {
		return 1
	}
	return 0
}

// escapWindows: each month, consecutive pairs, and the year before the
// current month, as "YYYY-MM-DD" pairs.
func escapWindows(ms []time.Time) [][2]string {
	d := func(t time.Time) string { return t.Format(time.DateOnly) }
	var out [][2]string
	for i := 0; i+1 < len(ms); i++ {
		out = append(out, [2]string{d(ms[i]), d(ms[i+1])})
		if i+2 < len(ms) {
			out = append(out, [2]string{d(ms[i]), d(ms[i+2])})
		}
	}
	return append(out, [2]string{d(ms[0]), d(ms[len(ms)-1])})
}

type statsWindow struct{ from, to, period string }

// referralWindows: the last three months one by one and together, by
// month; the current quarter; the current year, by quarter and by year.
func referralWindows(ms []time.Time) []statsWindow {
	r := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	n := len(ms)
	out := []statsWindow{{r(ms[n-4]), r(ms[n-1]), "MONTH"}}
	for i := n - 4; i < n-1; i++ {
		out = append(out, statsWindow{r(ms[i]), r(ms[i+1]), "MONTH"})
	}
	cur := ms[n-2]
	q := time.Date(cur.Year(), cur.Month()-(cur.Month()-1)%3, 1, 0, 0, 0, 0, maillage.Paris)
	y := time.Date(cur.Year(), 1, 1, 0, 0, 0, 0, maillage.Paris)
	return append(out, statsWindow{r(q), r(q.AddDate(0, 3, 0)), "QUARTER"}, statsWindow{r(q), r(q.AddDate(0, 3, 0)), "MONTH"},
		statsWindow{r(y), r(y.AddDate(1, 0, 0)), "QUARTER"}, statsWindow{r(y), r(y.AddDate(1, 0, 0)), "YEAR"})
}

// mayReadStats reports whether login may read the ESS's figures at all.
func mayReadStats(h *hub, login, ess string) bool {
	r := h.as(login, `query($e: ID!) { referralStats(essId: $e, from: "2025-12-31T23:00:00Z", to: "2026-12-31T23:00:00Z", period: YEAR) { exact } }`,
		map[string]any{"e": ess})
	return len(r.Errors) == 0
}

// TestOneTeamOrOneRequestCannotBeSingledOut replays the attacks: an ARS
// agent narrowing escapStats to the day a team started, and referralStats
// to the second a request was submitted, gets a refusal; on a whole month
// the one team's situation is a suppressed count and the professionals
// are counted over the whole year, so nothing ties them to one team.
func TestOneTeamOrOneRequestCannotBeSingledOut(t *testing.T) {
	h := seededHub(t)
	const ars = "ars-normandie"
	normandie := h.id(`SELECT id FROM territories WHERE path = 'fr/28'`)
	var activated time.Time
	if err := h.db.GetContext(t.Context(), &activated, `SELECT e.activated_at FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Dupont'`); err != nil {
		t.Fatal(err)
	}
	day := activated.In(maillage.Paris)
	r := h.as(ars, `query($t: ID!, $f: String!, $to: String!) { escapStats(territoryId: $t, from: $f, to: $to) { entries { situation count } } }`,
		map[string]any{"t": normandie, "f": day.Format(time.DateOnly), "to": day.AddDate(0, 0, 1).Format(time.DateOnly)})
	if r.code() != maillage.EINVALID || jpath(r.Data, "escapStats") != nil {
		t.Errorf("escapStats on the day a team started: %+v %v", r.Errors, r.Data)
	}
	month := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, maillage.Paris)
	d := h.ok(ars, `query($t: ID!, $f: String!, $to: String!) { escapStats(territoryId: $t, from: $f, to: $to) {
		entries { situation count suppressed } teamsPerProfessional { year count } } }`,
		map[string]any{"t": normandie, "f": month.Format(time.DateOnly), "to": month.AddDate(0, 1, 0).Format(time.DateOnly)})
	for _, e := range jpath(d, "escapStats.entries").([]any) {
		if jpath(e, "suppressed") != true || jpath(e, "count") != nil {
			t.Errorf("one team's entry is shown: %v", e)
		}
	}
	for _, c := range jpath(d, "escapStats.teamsPerProfessional").([]any) {
		if jpath(c, "year") != float64(day.Year()) {
			t.Errorf("teams per professional not per calendar year: %v", c)
		}
	}

	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	var submitted time.Time
	if err := h.db.GetContext(t.Context(), &submitted, `SELECT submitted_at FROM referrals WHERE client_key = 'demo-1'`); err != nil {
		t.Fatal(err)
	}
	const stats = `query($e: ID!, $f: Time!, $to: Time!, $p: StatsPeriod!) { referralStats(essId: $e, from: $f, to: $to, period: $p) {
		total periods { byState { key count suppressed } } toTriage { count medianSeconds } } }`
	for _, login := range []string{ars, "admin", "10003456793"} {
		r := h.as(login, stats, map[string]any{"e": ess, "f": submitted.UTC().Format(time.RFC3339Nano),
			"to": submitted.Add(time.Second).UTC().Format(time.RFC3339Nano), "p": "DAY"})
		if r.code() != maillage.EINVALID || jpath(r.Data, "referralStats") != nil {
			t.Errorf("%s narrows referralStats to one request's second: %+v %v", login, r.Errors, r.Data)
		}
	}
	m := time.Date(submitted.In(maillage.Paris).Year(), submitted.In(maillage.Paris).Month(), 1, 0, 0, 0, 0, maillage.Paris)
	d = h.ok(ars, stats, map[string]any{"e": ess, "f": m.UTC().Format(time.RFC3339), "to": m.AddDate(0, 1, 0).UTC().Format(time.RFC3339), "p": "MONTH"})
	if jpath(d, "referralStats.total") != nil || strings.Contains(fmt.Sprint(jpath(d, "referralStats.periods")), "count:1") {
		t.Errorf("a month of the seeded requests shows small counts: %v", d)
	}
	// The ESS's own staff see their figures exactly, by day.
	d = h.ok(secretariat, `query($e: ID!, $f: Time!, $to: Time!) { referralStats(essId: $e, from: $f, to: $to, period: DAY) { exact total } }`,
		map[string]any{"e": ess, "f": submitted.Add(-time.Hour).UTC().Format(time.RFC3339), "to": submitted.Add(time.Hour).UTC().Format(time.RFC3339)})
	if jpath(d, "referralStats.exact") != true || jpath(d, "referralStats.total") != 1.0 {
		t.Errorf("the ESS's staff see exact figures: %v", d)
	}
}
