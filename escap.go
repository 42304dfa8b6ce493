package maillage

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ESCAP situation codes of the default configuration.
const (
	SituationChronicPolypathology = "CHRONIC_POLYPATHOLOGY"
	SituationPalliative           = "PALLIATIVE"
	SituationCardiacEvent         = "CARDIAC_EVENT"
	SituationDiabetesInsulin      = "DIABETES_INSULIN"
)

// ESCAPSituation is one eligible situation and what it requires. A zero
// requirement is not checked.
type ESCAPSituation struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	// MinAge is the age the patient must have reached (whole years, on the
	// day of the check in Europe/Paris).
	MinAge int `json:"minAge,omitempty"`
	// EventWithinMonths: the event (cardiac event, stroke) must have happened
	// strictly less than this many months before the day of the check.
	EventWithinMonths int `json:"eventWithinMonths,omitempty"`
	// RequiresHospitalisation: the event must have led to a hospitalisation.
	RequiresHospitalisation bool `json:"requiresHospitalisation,omitempty"`
	// RequiresInsulin: the patient must be under insulin.
	RequiresInsulin bool `json:"requiresInsulin,omitempty"`
}

// ESCAPConfig is every figure the ESCAP rules depend on. DefaultESCAPConfig
// gives the national experiment's values; the database may override any of
// them (escap_settings).
type ESCAPConfig struct {
	Situations []ESCAPSituation `json:"situations"`
	// GridItems and GridThreshold: the inclusion grid and the score needed.
	GridItems     int `json:"gridItems"`
	GridThreshold int `json:"gridThreshold"`
	// PregnantGridItems and PregnantGridThreshold: the grid of a pregnant woman.
	PregnantGridItems     int `json:"pregnantGridItems"`
	PregnantGridThreshold int `json:"pregnantGridThreshold"`
	// MinTeamSize professionals, the médecin traitant among them, before a
	// team may become active.
	MinTeamSize int `json:"minTeamSize"`
	// TermMonths is how long a team runs once active (and per renewal).
	TermMonths int `json:"termMonths"`
	// RenewalWindowDays: a team may be renewed only this close to its end
	// (or after it), one term at a time.
	RenewalWindowDays int `json:"renewalWindowDays"`
	// IncentiveTeams ESCAP in a year earn IncentiveTeamsEuros.
	IncentiveTeams      int `json:"incentiveTeams"`
	IncentiveTeamsEuros int `json:"incentiveTeamsEuros"`
	// IncentiveToolEuros for using the coordination tool in the year.
	IncentiveToolEuros int `json:"incentiveToolEuros"`
	// CapPerProfessionalYear caps the ESCAP counted per professional and
	// year (0: no cap).
	CapPerProfessionalYear int `json:"capPerProfessionalYear"`
	// HealthProfessions are the RPPS professions (labels, compared without
	// case or accents) whose members start a team, count among its
	// MinTeamSize and in the figures and incentives.
	HealthProfessions []string `json:"healthProfessions"`
	// GridItemLabels and PregnantGridItemLabels are the French texts of the
	// grids' items, in item order: empty (numbered placeholders) or exactly
	// one per item.
	GridItemLabels         []string `json:"gridItemLabels"`
	PregnantGridItemLabels []string `json:"pregnantGridItemLabels"`
	// ExperimentStart and ExperimentEnd are the first and last day
	// (YYYY-MM-DD, Europe/Paris) of the national experiment.
	ExperimentStart string `json:"experimentStart"`
	ExperimentEnd   string `json:"experimentEnd"`
	// LiveRegions are the INSEE codes of the regions where the ESCAP secure
	// messaging (MSSanté) is live.
	LiveRegions []string `json:"liveRegions"`
}

// DefaultESCAPConfig returns the values of the national experiment.
func DefaultESCAPConfig() ESCAPConfig {
	return ESCAPConfig{
		Situations: []ESCAPSituation{
			{Code: SituationChronicPolypathology, Label: "Polypathologie chronique, patient de 65 ans ou plus", MinAge: 65},
			{Code: SituationPalliative, Label: "Soins palliatifs"},
			{Code: SituationCardiacEvent, Label: "Événement cardiaque ou AVC hospitalisé il y a moins d'un an", EventWithinMonths: 12, RequiresHospitalisation: true},
			{Code: SituationDiabetesInsulin, Label: "Diabète de type 1 ou 2 sous insuline", RequiresInsulin: true},
		},
		GridItems:              26,
		GridThreshold:          13,
		PregnantGridItems:      28,
		PregnantGridThreshold:  14,
		MinTeamSize:            3,
		TermMonths:             12,
		RenewalWindowDays:      60,
		IncentiveTeams:         5,
		IncentiveTeamsEuros:    100,
		IncentiveToolEuros:     100,
		CapPerProfessionalYear: 20,
		HealthProfessions:      DefaultHealthProfessions(),
		ExperimentStart:        "2025-03-24",
		ExperimentEnd:          "2028-03-23",
		LiveRegions:            []string{"28", "84"}, // Normandie, Auvergne-Rhône-Alpes
	}
}

// Situation returns the situation of that code, if configured.
func (c ESCAPConfig) Situation(code string) (ESCAPSituation, bool) {
	i := slices.IndexFunc(c.Situations, func(s ESCAPSituation) bool { return s.Code == code })
	if i < 0 {
		return ESCAPSituation{}, false
	}
	return c.Situations[i], true
}

// GridAnswer is one item of the inclusion grid (numbered from 1) and whether
// the patient meets it.
type GridAnswer struct {
	Item int
	Met  bool
}

// ESCAPAssessment is what a professional answers to check a patient's
// eligibility: the situation, its facts, and the inclusion grid.
type ESCAPAssessment struct {
	PatientID    string
	Situation    string
	Pregnant     bool
	EventDate    *time.Time // the cardiac event or stroke
	Hospitalised bool
	UnderInsulin bool
	Grid         []GridAnswer
}

// Eligibility reason codes: why an inclusion fails.
const (
	ReasonUnknownSituation  = "UNKNOWN_SITUATION"
	ReasonTooYoung          = "AGE_BELOW_MINIMUM"
	ReasonEventDateMissing  = "EVENT_DATE_MISSING"
	ReasonEventInFuture     = "EVENT_IN_FUTURE"
	ReasonEventTooOld       = "EVENT_TOO_OLD"
	ReasonNotHospitalised   = "NOT_HOSPITALISED"
	ReasonNotUnderInsulin   = "NOT_UNDER_INSULIN"
	ReasonPregnantNotFemale = "PREGNANT_NOT_FEMALE"
	ReasonGridIncomplete    = "GRID_INCOMPLETE"
	ReasonGridItemInvalid   = "GRID_ITEM_INVALID"
	ReasonGridScoreTooLow   = "GRID_SCORE_TOO_LOW"
)

// EligibilityReason is one reason an inclusion fails, naming the input field.
type EligibilityReason struct {
	Code    string
	Field   string
	Message string
}

// ESCAPEligibility is the outcome of an eligibility check: eligible only when
// Reasons is empty; Reasons lists every failure, not only the first.
type ESCAPEligibility struct {
	Eligible  bool
	Situation string
	Score     int
	GridSize  int
	Threshold int
	Reasons   []EligibilityReason
}

// CheckEligibility applies the rules of c to a patient (birth date, sex) and
// an assessment, on the day of now in Europe/Paris.
func (c ESCAPConfig) CheckEligibility(p *Patient, a ESCAPAssessment, now time.Time) ESCAPEligibility {
	r := ESCAPEligibility{Situation: a.Situation, GridSize: c.GridItems, Threshold: c.GridThreshold}
	fail := func(code, field, format string, args ...any) {
		r.Reasons = append(r.Reasons, EligibilityReason{Code: code, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if a.Pregnant {
		r.GridSize, r.Threshold = c.PregnantGridItems, c.PregnantGridThreshold
		if p.Sex == SexMale {
			fail(ReasonPregnantNotFemale, "input.pregnant", "the patient is recorded as male")
		}
	}
	if s, ok := c.Situation(a.Situation); !ok {
		codes := make([]string, len(c.Situations))
		for i, s := range c.Situations {
			codes[i] = s.Code
		}
		fail(ReasonUnknownSituation, "input.situation", "%q is not an eligible situation (one of %s)", a.Situation, strings.Join(codes, ", "))
	} else {
		c.checkSituation(s, p, a, now, fail)
	}
	c.scoreGrid(&r, a.Grid, fail)
	r.Eligible = len(r.Reasons) == 0
	return r
}

// checkSituation checks the requirements of one situation.
func (c ESCAPConfig) checkSituation(s ESCAPSituation, p *Patient, a ESCAPAssessment, now time.Time, fail func(code, field, format string, args ...any)) {
	if s.MinAge > 0 {
		if age := p.AgeAt(now); age < s.MinAge {
			fail(ReasonTooYoung, "input.patientId", "the patient is %d, this situation requires %d or more", age, s.MinAge)
		}
	}
	if s.EventWithinMonths > 0 {
		switch {
		case a.EventDate == nil:
			fail(ReasonEventDateMissing, "input.eventDate", "the date of the event is required for this situation")
		default:
			today := civilDay(now.In(Paris))
			event := civilDay(*a.EventDate)
			limit := today.AddDate(0, -s.EventWithinMonths, 0)
			switch {
			case event.After(today):
				fail(ReasonEventInFuture, "input.eventDate", "the event date %s is after today", event.Format(time.DateOnly))
			case !event.After(limit):
				fail(ReasonEventTooOld, "input.eventDate", "the event of %s is not less than %d months ago (must be after %s)",
					event.Format(time.DateOnly), s.EventWithinMonths, limit.Format(time.DateOnly))
			}
		}
	}
	if s.RequiresHospitalisation && !a.Hospitalised {
		fail(ReasonNotHospitalised, "input.hospitalised", "this situation requires a hospitalisation")
	}
	if s.RequiresInsulin && !a.UnderInsulin {
		fail(ReasonNotUnderInsulin, "input.underInsulin", "this situation requires a treatment under insulin")
	}
}

// scoreGrid checks that every item of the grid is answered once, and scores it.
func (c ESCAPConfig) scoreGrid(r *ESCAPEligibility, grid []GridAnswer, fail func(code, field, format string, args ...any)) {
	seen := make([]bool, r.GridSize+1)
	for _, g := range grid {
		switch {
		case g.Item < 1 || g.Item > r.GridSize:
			fail(ReasonGridItemInvalid, "input.grid", "item %d is not in the grid of %d items", g.Item, r.GridSize)
			continue
		case seen[g.Item]:
			fail(ReasonGridItemInvalid, "input.grid", "item %d is answered twice", g.Item)
			continue
		}
		seen[g.Item] = true
		if g.Met {
			r.Score++
		}
	}
	var missing []string
	for i := 1; i <= r.GridSize; i++ {
		if !seen[i] {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		fail(ReasonGridIncomplete, "input.grid", "%d of %d items unanswered: %s", len(missing), r.GridSize, strings.Join(missing, ", "))
	}
	if r.Score < r.Threshold {
		fail(ReasonGridScoreTooLow, "input.grid", "score %d of %d, at least %d required", r.Score, r.GridSize, r.Threshold)
	}
}

// civilDay is the calendar day of t, at midnight UTC, for date arithmetic.
func civilDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ESCAPIncentive is a professional's incentive status for a year.
type ESCAPIncentive struct {
	ProfessionalID string
	Year           int
	// Teams is how many ESCAP the professional took part in during the year;
	// CountedTeams is that number under the cap, OverCap whether it exceeds it.
	Teams        int
	CountedTeams int
	OverCap      bool
	ToolInUse    bool
	TeamsEuros   int
	ToolEuros    int
	TotalEuros   int
}

// Incentive computes a professional's incentive for a year from the number
// of ESCAP they took part in and whether they used the coordination tool.
func (c ESCAPConfig) Incentive(professionalID string, year, teams int, toolInUse bool) ESCAPIncentive {
	in := ESCAPIncentive{ProfessionalID: professionalID, Year: year, Teams: teams, CountedTeams: teams, ToolInUse: toolInUse}
	if c.CapPerProfessionalYear > 0 && teams > c.CapPerProfessionalYear {
		in.CountedTeams, in.OverCap = c.CapPerProfessionalYear, true
	}
	if c.IncentiveTeams > 0 && in.CountedTeams >= c.IncentiveTeams {
		in.TeamsEuros = c.IncentiveTeamsEuros
	}
	if toolInUse {
		in.ToolEuros = c.IncentiveToolEuros
	}
	in.TotalEuros = in.TeamsEuros + in.ToolEuros
	return in
}

// Term returns when a team activated (or renewed) at start ends: TermMonths
// later, on the same calendar day in Europe/Paris.
func (c ESCAPConfig) Term(start time.Time) time.Time {
	return start.In(Paris).AddDate(0, c.TermMonths, 0).UTC()
}

// CheckRenewal refuses to renew a team whose end is further away than the
// renewal window: renewals go one term at a time, near the end.
func (c ESCAPConfig) CheckRenewal(expiresAt *time.Time, now time.Time) error {
	if expiresAt == nil {
		return nil
	}
	if opens := expiresAt.AddDate(0, 0, -c.RenewalWindowDays); now.Before(opens) {
		return Errorf(ECONFLICT, "a team is renewed within %d days of its end: this one ends on %s, renew from %s",
			c.RenewalWindowDays, expiresAt.In(Paris).Format(time.DateOnly), opens.In(Paris).Format(time.DateOnly))
	}
	return nil
}

// YearBounds returns the first instant of year and of the next in
// Europe/Paris, as UTC.
func YearBounds(year int) (time.Time, time.Time) {
	return time.Date(year, 1, 1, 0, 0, 0, 0, Paris).UTC(), time.Date(year+1, 1, 1, 0, 0, 0, 0, Paris).UTC()
}

// TeamState is what activation depends on.
type TeamState struct {
	Status       ESCAPStatus
	Members      int  // current members
	GPIsMember   bool // the patient's médecin traitant is a current member
	ConsentValid bool // the patient's consent is recorded and not withdrawn
}

// CheckActivation returns a CONFLICT error listing every reason a team may
// not become active, or nil.
func (c ESCAPConfig) CheckActivation(s TeamState) error {
	if s.Status != ESCAPForming {
		if s.Status == ESCAPClosed {
			return Errorf(ECONFLICT, "escap is closed")
		}
		return Errorf(ECONFLICT, "escap is already %s", strings.ToLower(string(s.Status)))
	}
	var why []string
	if !s.ConsentValid {
		why = append(why, "the patient's consent is not recorded or was withdrawn")
	}
	if s.Members < c.MinTeamSize {
		why = append(why, fmt.Sprintf("the team has %d professionals, at least %d are required", s.Members, c.MinTeamSize))
	}
	if !s.GPIsMember {
		why = append(why, "the patient's médecin traitant is not a member")
	}
	if len(why) > 0 {
		return Errorf(ECONFLICT, "escap cannot be activated: %s", strings.Join(why, "; "))
	}
	return nil
}
