package maillage_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage"
)

// grid answers items 1..size, the first met of them met.
func grid(size, met int) []maillage.GridAnswer {
	g := make([]maillage.GridAnswer, size)
	for i := range g {
		g[i] = maillage.GridAnswer{Item: i + 1, Met: i < met}
	}
	return g
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func codes(r maillage.ESCAPEligibility) []string {
	out := []string{}
	for _, x := range r.Reasons {
		out = append(out, x.Code)
	}
	return out
}

func TestCheckEligibility(t *testing.T) {
	cfg := maillage.DefaultESCAPConfig()
	// 2026-06-15 10:00 in Paris; the 65th birthday boundary is 1961-06-15.
	now := time.Date(2026, 6, 15, 10, 0, 0, 0, maillage.Paris)
	// 23:30 UTC on 14 June is already 15 June in Paris (UTC+2 in summer).
	lateUTC := time.Date(2026, 6, 14, 23, 30, 0, 0, time.UTC)
	woman := func(birth string) *maillage.Patient {
		return &maillage.Patient{BirthDate: date(birth), Sex: maillage.SexFemale}
	}
	man := func(birth string) *maillage.Patient {
		return &maillage.Patient{BirthDate: date(birth), Sex: maillage.SexMale}
	}
	ev := func(s string) *time.Time { d := date(s); return &d }
	pal := func(g []maillage.GridAnswer) maillage.ESCAPAssessment {
		return maillage.ESCAPAssessment{Situation: maillage.SituationPalliative, Grid: g}
	}
	tests := []struct {
		name    string
		patient *maillage.Patient
		a       maillage.ESCAPAssessment
		now     time.Time
		want    []string // reason codes; empty: eligible
		score   int
	}{
		// The grid at and around its thresholds.
		{"12 of 26 fails", man("1950-01-01"), pal(grid(26, 12)), now, []string{maillage.ReasonGridScoreTooLow}, 12},
		{"13 of 26 passes", man("1950-01-01"), pal(grid(26, 13)), now, nil, 13},
		{"26 of 26 passes", man("1950-01-01"), pal(grid(26, 26)), now, nil, 26},
		{"0 of 26 fails", man("1950-01-01"), pal(grid(26, 0)), now, []string{maillage.ReasonGridScoreTooLow}, 0},
		{"pregnant 13 of 28 fails", woman("1995-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationPalliative, Pregnant: true, Grid: grid(28, 13)}, now,
			[]string{maillage.ReasonGridScoreTooLow}, 13},
		{"pregnant 14 of 28 passes", woman("1995-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationPalliative, Pregnant: true, Grid: grid(28, 14)}, now, nil, 14},
		{"pregnant answered on the 26-item grid: items 27-28 missing", woman("1995-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationPalliative, Pregnant: true, Grid: grid(26, 20)}, now,
			[]string{maillage.ReasonGridIncomplete}, 20},
		{"pregnant man", man("1995-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationPalliative, Pregnant: true, Grid: grid(28, 14)}, now,
			[]string{maillage.ReasonPregnantNotFemale}, 14},
		// Missing and malformed items.
		{"one item missing", man("1950-01-01"), pal(grid(26, 20)[1:]), now, []string{maillage.ReasonGridIncomplete}, 19},
		{"empty grid", man("1950-01-01"), pal(nil), now, []string{maillage.ReasonGridIncomplete, maillage.ReasonGridScoreTooLow}, 0},
		{"item 27 on a 26-item grid", man("1950-01-01"),
			pal(append(grid(26, 13), maillage.GridAnswer{Item: 27, Met: true})), now, []string{maillage.ReasonGridItemInvalid}, 13},
		{"item answered twice", man("1950-01-01"),
			pal(append(grid(26, 13), maillage.GridAnswer{Item: 1, Met: true})), now, []string{maillage.ReasonGridItemInvalid}, 13},
		// Each situation.
		{"unknown situation", man("1950-01-01"), maillage.ESCAPAssessment{Situation: "OBESITY", Grid: grid(26, 13)}, now,
			[]string{maillage.ReasonUnknownSituation}, 13},
		{"polypathology at 65 today (Paris)", man("1961-06-15"),
			maillage.ESCAPAssessment{Situation: maillage.SituationChronicPolypathology, Grid: grid(26, 13)}, now, nil, 13},
		{"polypathology 65 tomorrow", man("1961-06-16"),
			maillage.ESCAPAssessment{Situation: maillage.SituationChronicPolypathology, Grid: grid(26, 13)}, now,
			[]string{maillage.ReasonTooYoung}, 13},
		{"polypathology: birthday counted in Paris, not UTC", man("1961-06-15"),
			maillage.ESCAPAssessment{Situation: maillage.SituationChronicPolypathology, Grid: grid(26, 13)}, lateUTC, nil, 13},
		{"polypathology at 64, grid 12: both reasons", man("1961-06-16"),
			maillage.ESCAPAssessment{Situation: maillage.SituationChronicPolypathology, Grid: grid(26, 12)}, now,
			[]string{maillage.ReasonTooYoung, maillage.ReasonGridScoreTooLow}, 12},
		{"palliative at any age", woman("2001-02-03"), pal(grid(26, 13)), now, nil, 13},
		{"cardiac event 364 days ago", man("1970-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationCardiacEvent, EventDate: ev("2025-06-16"), Hospitalised: true, Grid: grid(26, 13)}, now, nil, 13},
		{"cardiac event exactly a year ago", man("1970-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationCardiacEvent, EventDate: ev("2025-06-15"), Hospitalised: true, Grid: grid(26, 13)}, now,
			[]string{maillage.ReasonEventTooOld}, 13},
		{"cardiac event today", man("1970-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationCardiacEvent, EventDate: ev("2026-06-15"), Hospitalised: true, Grid: grid(26, 13)}, now, nil, 13},
		{"cardiac event tomorrow", man("1970-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationCardiacEvent, EventDate: ev("2026-06-16"), Hospitalised: true, Grid: grid(26, 13)}, now,
			[]string{maillage.ReasonEventInFuture}, 13},
		{"cardiac event: the day is Paris's (late UTC evening)", man("1970-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationCardiacEvent, EventDate: ev("2025-06-15"), Hospitalised: true, Grid: grid(26, 13)}, lateUTC,
			[]string{maillage.ReasonEventTooOld}, 13},
		{"cardiac event without hospitalisation", man("1970-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationCardiacEvent, EventDate: ev("2026-01-10"), Grid: grid(26, 13)}, now,
			[]string{maillage.ReasonNotHospitalised}, 13},
		{"cardiac event without a date nor hospitalisation, grid 12", man("1970-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationCardiacEvent, Grid: grid(26, 12)}, now,
			[]string{maillage.ReasonEventDateMissing, maillage.ReasonNotHospitalised, maillage.ReasonGridScoreTooLow}, 12},
		{"diabetes under insulin", woman("1980-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationDiabetesInsulin, UnderInsulin: true, Grid: grid(26, 13)}, now, nil, 13},
		{"diabetes without insulin", woman("1980-01-01"),
			maillage.ESCAPAssessment{Situation: maillage.SituationDiabetesInsulin, Grid: grid(26, 13)}, now,
			[]string{maillage.ReasonNotUnderInsulin}, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cfg.CheckEligibility(tt.patient, tt.a, tt.now)
			if got := codes(r); !slices.Equal(got, append([]string{}, tt.want...)) {
				t.Fatalf("reasons = %v, want %v (%+v)", got, tt.want, r.Reasons)
			}
			if r.Eligible != (len(tt.want) == 0) {
				t.Errorf("eligible = %v with reasons %v", r.Eligible, codes(r))
			}
			if r.Score != tt.score {
				t.Errorf("score = %d, want %d", r.Score, tt.score)
			}
			for _, x := range r.Reasons {
				if !strings.HasPrefix(x.Field, "input.") || x.Message == "" {
					t.Errorf("reason %s names no field or says nothing: %+v", x.Code, x)
				}
			}
		})
	}
}

func TestEligibilityFollowsConfiguration(t *testing.T) {
	cfg := maillage.DefaultESCAPConfig()
	cfg.GridThreshold = 15
	cfg.Situations = append(cfg.Situations, maillage.ESCAPSituation{Code: "STROKE", EventWithinMonths: 6, RequiresHospitalisation: true})
	now := time.Date(2026, 6, 15, 10, 0, 0, 0, maillage.Paris)
	p := &maillage.Patient{BirthDate: date("1950-01-01"), Sex: maillage.SexMale}
	if r := cfg.CheckEligibility(p, maillage.ESCAPAssessment{Situation: maillage.SituationPalliative, Grid: grid(26, 14)}, now); r.Eligible || r.Threshold != 15 {
		t.Errorf("14/26 with threshold 15: eligible=%v threshold=%d", r.Eligible, r.Threshold)
	}
	d := date("2025-12-16")
	if r := cfg.CheckEligibility(p, maillage.ESCAPAssessment{Situation: "STROKE", EventDate: &d, Hospitalised: true, Grid: grid(26, 15)}, now); !r.Eligible {
		t.Errorf("configured situation STROKE 6 months minus a day: %+v", r.Reasons)
	}
	d = date("2025-12-15")
	if r := cfg.CheckEligibility(p, maillage.ESCAPAssessment{Situation: "STROKE", EventDate: &d, Hospitalised: true, Grid: grid(26, 15)}, now); !slices.Equal(codes(r), []string{maillage.ReasonEventTooOld}) {
		t.Errorf("configured situation STROKE 6 months: %v", codes(r))
	}
}

func TestCheckActivation(t *testing.T) {
	cfg := maillage.DefaultESCAPConfig()
	ok := maillage.TeamState{Status: maillage.ESCAPForming, Members: 3, GPIsMember: true, ConsentValid: true}
	tests := []struct {
		name string
		s    maillage.TeamState
		want []string // fragments of the message; nil: allowed
	}{
		{"3 with GP and consent", ok, nil},
		{"2 members", maillage.TeamState{Status: maillage.ESCAPForming, Members: 2, GPIsMember: true, ConsentValid: true}, []string{"2 professionals, at least 3"}},
		{"no GP", maillage.TeamState{Status: maillage.ESCAPForming, Members: 4, ConsentValid: true}, []string{"médecin traitant"}},
		{"no consent", maillage.TeamState{Status: maillage.ESCAPForming, Members: 3, GPIsMember: true}, []string{"consent"}},
		{"everything missing", maillage.TeamState{Status: maillage.ESCAPForming, Members: 1}, []string{"consent", "1 professionals", "médecin traitant"}},
		{"already active", maillage.TeamState{Status: maillage.ESCAPActive, Members: 3, GPIsMember: true, ConsentValid: true}, []string{"already active"}},
		{"closed", maillage.TeamState{Status: maillage.ESCAPClosed, Members: 3, GPIsMember: true, ConsentValid: true}, []string{"closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cfg.CheckActivation(tt.s)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if maillage.ErrorCode(err) != maillage.ECONFLICT {
				t.Fatalf("code = %q (%v), want CONFLICT", maillage.ErrorCode(err), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err.Error(), w)
				}
			}
		})
	}
	cfg.MinTeamSize = 4
	if cfg.CheckActivation(ok) == nil {
		t.Error("a configured minimum of 4 lets 3 members activate")
	}
}

func TestIncentive(t *testing.T) {
	cfg := maillage.DefaultESCAPConfig()
	tests := []struct {
		teams                int
		tool                 bool
		counted, total       int
		overCap              bool
		teamsEuros, toolEuro int
	}{
		{0, false, 0, 0, false, 0, 0},
		{4, false, 4, 0, false, 0, 0},
		{5, false, 5, 100, false, 100, 0},
		{4, true, 4, 100, false, 0, 100},
		{5, true, 5, 200, false, 100, 100},
		{20, true, 20, 200, false, 100, 100},
		{21, false, 20, 100, true, 100, 0},
	}
	for _, tt := range tests {
		in := cfg.Incentive("pro_x", 2026, tt.teams, tt.tool)
		if in.CountedTeams != tt.counted || in.TotalEuros != tt.total || in.OverCap != tt.overCap ||
			in.TeamsEuros != tt.teamsEuros || in.ToolEuros != tt.toolEuro {
			t.Errorf("Incentive(%d, %v) = %+v", tt.teams, tt.tool, in)
		}
	}
	cfg.CapPerProfessionalYear = 0
	if in := cfg.Incentive("pro_x", 2026, 40, false); in.OverCap || in.CountedTeams != 40 {
		t.Errorf("no cap: %+v", in)
	}
	cfg.IncentiveTeams, cfg.IncentiveTeamsEuros = 3, 150
	if in := cfg.Incentive("pro_x", 2026, 3, false); in.TeamsEuros != 150 {
		t.Errorf("configured incentive: %+v", in)
	}
}

func TestTerm(t *testing.T) {
	cfg := maillage.DefaultESCAPConfig()
	// Activated on 29 Feb 2028 at 00:30 Paris: the term ends a year later on Paris's calendar.
	start := time.Date(2028, 2, 29, 0, 30, 0, 0, maillage.Paris)
	end := cfg.Term(start).In(maillage.Paris)
	if end.Year() != 2029 || end.Month() != time.March || end.Day() != 1 || end.Hour() != 0 {
		t.Errorf("term of %v = %v", start, end)
	}
	start = time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC) // 29 March 00:30 CEST in Paris
	if end := cfg.Term(start).In(maillage.Paris); end.Format("2006-01-02 15:04") != "2027-03-29 00:30" {
		t.Errorf("term across DST = %v", end)
	}
	from, to := maillage.YearBounds(2026)
	if from.Format(time.RFC3339) != "2025-12-31T23:00:00Z" || to.Format(time.RFC3339) != "2026-12-31T23:00:00Z" {
		t.Errorf("year bounds = %v, %v", from, to)
	}
}

func TestValidateESCAPConfig(t *testing.T) {
	if err := maillage.ValidateESCAPConfig(maillage.DefaultESCAPConfig()); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	bad := maillage.DefaultESCAPConfig()
	bad.GridThreshold = 27
	if maillage.ErrorCode(maillage.ValidateESCAPConfig(bad)) != maillage.EINVALID {
		t.Error("threshold above the grid accepted")
	}
	bad = maillage.DefaultESCAPConfig()
	bad.Situations = nil
	if maillage.ErrorCode(maillage.ValidateESCAPConfig(bad)) != maillage.EINVALID {
		t.Error("no situation accepted")
	}
}

func BenchmarkCheckEligibility(b *testing.B) {
	cfg := maillage.DefaultESCAPConfig()
	p := &maillage.Patient{BirthDate: date("1950-01-01"), Sex: maillage.SexFemale}
	a := maillage.ESCAPAssessment{Situation: maillage.SituationCardiacEvent, EventDate: ptrTime(date("2026-01-10")), Hospitalised: true, Grid: grid(26, 13)}
	now := time.Date(2026, 6, 15, 10, 0, 0, 0, maillage.Paris)
	for b.Loop() {
		if !cfg.CheckEligibility(p, a, now).Eligible {
			b.Fatal("not eligible")
		}
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestCheckRenewalOpensNearTheEnd(t *testing.T) {
	cfg := maillage.DefaultESCAPConfig() // a 60-day window
	end := time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		now time.Time
		ok  bool
	}{
		{end.AddDate(0, 0, -61), false},
		{end.AddDate(0, 0, -60), true},
		{end.AddDate(0, 0, -1), true},
		{end.AddDate(0, 0, 5), true}, // past its end: renewal still allowed
	} {
		err := cfg.CheckRenewal(&end, tc.now)
		if (err == nil) != tc.ok || (err != nil && maillage.ErrorCode(err) != maillage.ECONFLICT) {
			t.Errorf("renewal on %s of a team ending %s: %v, want ok=%v", tc.now.Format(time.DateOnly), end.Format(time.DateOnly), err, tc.ok)
		}
	}
}
