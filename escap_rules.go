package maillage

import (
	"fmt"
	"regexp"
	"time"
)

// ESCAPGridItem is one item of an inclusion grid: its number (from 1) and
// its French label.
type ESCAPGridItem struct {
	Number int
	Label  string
}

// ESCAPGrid is an inclusion grid: its items and the score a patient needs.
type ESCAPGrid struct {
	Size      int
	Threshold int
	Items     []ESCAPGridItem
}

// Grid returns the grid of a patient who is not pregnant.
func (c ESCAPConfig) Grid() ESCAPGrid {
	return grid(c.GridItems, c.GridThreshold, c.GridItemLabels, "")
}

// PregnantGrid returns the grid of a pregnant woman.
func (c ESCAPConfig) PregnantGrid() ESCAPGrid {
	return grid(c.PregnantGridItems, c.PregnantGridThreshold, c.PregnantGridItemLabels, " (grossesse)")
}

// grid numbers the items; without configured labels each is named by its
// number (the sources give the score, not the items' texts).
func grid(size, threshold int, labels []string, suffix string) ESCAPGrid {
	g := ESCAPGrid{Size: size, Threshold: threshold, Items: make([]ESCAPGridItem, size)}
	for i := range g.Items {
		g.Items[i] = ESCAPGridItem{Number: i + 1, Label: fmt.Sprintf("Critère n° %d de la grille d'inclusion%s", i+1, suffix)}
		if i < len(labels) {
			g.Items[i].Label = labels[i]
		}
	}
	return g
}

// ESCAPExperiment is the national experiment's window and the regions where
// its secure messaging is live.
type ESCAPExperiment struct {
	// Start and End are the first and last day, YYYY-MM-DD in Europe/Paris.
	Start, End string
	// LiveRegionCodes are INSEE region codes ("28" Normandie);
	// LiveRegionIDs the ids of those of them the directory holds.
	LiveRegionCodes []string
	LiveRegionIDs   []string
}

// Experiment returns the experiment's window and live regions.
func (c ESCAPConfig) Experiment() ESCAPExperiment {
	return ESCAPExperiment{Start: c.ExperimentStart, End: c.ExperimentEnd, LiveRegionCodes: c.LiveRegions}
}

// Bounds returns the first instant of the window and the first instant
// after it, in UTC; the zero times when a day does not parse.
func (x ESCAPExperiment) Bounds() (from, to time.Time) {
	s, err1 := time.ParseInLocation(time.DateOnly, x.Start, Paris)
	e, err2 := time.ParseInLocation(time.DateOnly, x.End, Paris)
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}
	}
	return s.UTC(), e.AddDate(0, 0, 1).UTC()
}

// Running reports whether today is within the window.
func (x ESCAPExperiment) Running() bool { return x.RunningAt(time.Now()) }

// RunningAt reports whether now falls within the window.
func (x ESCAPExperiment) RunningAt(now time.Time) bool {
	from, to := x.Bounds()
	return !now.Before(from) && now.Before(to)
}

// ESCAPRules are the rules in force as the API shows them: the
// configuration, and the experiment with its live regions' territories.
type ESCAPRules struct {
	ESCAPConfig
	Window ESCAPExperiment
}

// regionCode is an INSEE region code: two digits.
var regionCode = regexp.MustCompile(`^[0-9]{2}$`)

// ValidateESCAPConfig checks a configuration for sense, naming the first
// key at fault (its JSON name) in a BAD_USER_INPUT error.
func ValidateESCAPConfig(c ESCAPConfig) error {
	if len(c.Situations) == 0 {
		return InvalidField("situations", "at least one situation is required")
	}
	seen := map[string]bool{}
	for i, s := range c.Situations {
		switch {
		case s.Code == "" || len(s.Code) > 60:
			return InvalidField(fmt.Sprintf("situations[%d].code", i), "must be 1 to 60 characters")
		case seen[s.Code]:
			return InvalidField(fmt.Sprintf("situations[%d].code", i), "%q appears twice", s.Code)
		case s.Label == "":
			return InvalidField(fmt.Sprintf("situations[%d].label", i), "must not be empty")
		case s.MinAge < 0 || s.MinAge > 130:
			return InvalidField(fmt.Sprintf("situations[%d].minAge", i), "must be 0 (not checked) to 130")
		case s.EventWithinMonths < 0 || s.EventWithinMonths > 120:
			return InvalidField(fmt.Sprintf("situations[%d].eventWithinMonths", i), "must be 0 (not checked) to 120")
		}
		seen[s.Code] = true
	}
	switch {
	case c.GridItems < 1 || c.GridItems > 200:
		return InvalidField("gridItems", "must be 1 to 200")
	case c.GridThreshold < 0 || c.GridThreshold > c.GridItems:
		return InvalidField("gridThreshold", "%d is not within the grid of %d items", c.GridThreshold, c.GridItems)
	case len(c.GridItemLabels) != 0 && len(c.GridItemLabels) != c.GridItems:
		return InvalidField("gridItemLabels", "%d labels for a grid of %d items", len(c.GridItemLabels), c.GridItems)
	case c.PregnantGridItems < 1 || c.PregnantGridItems > 200:
		return InvalidField("pregnantGridItems", "must be 1 to 200")
	case c.PregnantGridThreshold < 0 || c.PregnantGridThreshold > c.PregnantGridItems:
		return InvalidField("pregnantGridThreshold", "%d is not within the grid of %d items", c.PregnantGridThreshold, c.PregnantGridItems)
	case len(c.PregnantGridItemLabels) != 0 && len(c.PregnantGridItemLabels) != c.PregnantGridItems:
		return InvalidField("pregnantGridItemLabels", "%d labels for a grid of %d items", len(c.PregnantGridItemLabels), c.PregnantGridItems)
	case len(c.HealthProfessions) == 0:
		return InvalidField("healthProfessions", "at least one health profession is required")
	case c.MinTeamSize < 1:
		return InvalidField("minTeamSize", "must be positive")
	case c.TermMonths < 1 || c.TermMonths > 120:
		return InvalidField("termMonths", "must be 1 to 120")
	case c.RenewalWindowDays < 0 || c.RenewalWindowDays > 366:
		return InvalidField("renewalWindowDays", "must be 0 to 366")
	case c.IncentiveTeams < 0:
		return InvalidField("incentiveTeams", "must not be negative")
	case c.IncentiveTeamsEuros < 0:
		return InvalidField("incentiveTeamsEuros", "must not be negative")
	case c.IncentiveToolEuros < 0:
		return InvalidField("incentiveToolEuros", "must not be negative")
	case c.CapPerProfessionalYear < 0:
		return InvalidField("capPerProfessionalYear", "must not be negative (0: no cap)")
	}
	for _, l := range append(append([]string{}, c.GridItemLabels...), c.PregnantGridItemLabels...) {
		if l == "" {
			return InvalidField("gridItemLabels", "a label must not be empty")
		}
	}
	start, err := time.Parse(time.DateOnly, c.ExperimentStart)
	if err != nil {
		return InvalidField("experimentStart", "must be a day YYYY-MM-DD, got %q", c.ExperimentStart)
	}
	end, err := time.Parse(time.DateOnly, c.ExperimentEnd)
	if err != nil {
		return InvalidField("experimentEnd", "must be a day YYYY-MM-DD, got %q", c.ExperimentEnd)
	}
	if end.Before(start) {
		return InvalidField("experimentEnd", "%s is before the start %s", c.ExperimentEnd, c.ExperimentStart)
	}
	for i, r := range c.LiveRegions {
		if !regionCode.MatchString(r) {
			return InvalidField(fmt.Sprintf("liveRegions[%d]", i), "must be an INSEE region code (two digits), got %q", r)
		}
	}
	return nil
}

// ESCAPConfigPatch changes some keys of the configuration; nil fields are
// left as they are.
type ESCAPConfigPatch struct {
	Situations             []ESCAPSituation
	GridItems              *int
	GridThreshold          *int
	GridItemLabels         []string
	PregnantGridItems      *int
	PregnantGridThreshold  *int
	PregnantGridItemLabels []string
	HealthProfessions      []string
	MinTeamSize            *int
	TermMonths             *int
	RenewalWindowDays      *int
	IncentiveTeams         *int
	IncentiveTeamsEuros    *int
	IncentiveToolEuros     *int
	CapPerProfessionalYear *int
	ExperimentStart        *string
	ExperimentEnd          *string
	LiveRegions            []string
}

// Apply returns c with the patch's keys set.
func (p ESCAPConfigPatch) Apply(c ESCAPConfig) ESCAPConfig {
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setList := func(dst *[]string, v []string) {
		if v != nil {
			*dst = v
		}
	}
	if p.Situations != nil {
		c.Situations = p.Situations
	}
	setInt(&c.GridItems, p.GridItems)
	setInt(&c.GridThreshold, p.GridThreshold)
	setList(&c.GridItemLabels, p.GridItemLabels)
	setInt(&c.PregnantGridItems, p.PregnantGridItems)
	setInt(&c.PregnantGridThreshold, p.PregnantGridThreshold)
	setList(&c.PregnantGridItemLabels, p.PregnantGridItemLabels)
	setList(&c.HealthProfessions, p.HealthProfessions)
	setInt(&c.MinTeamSize, p.MinTeamSize)
	setInt(&c.TermMonths, p.TermMonths)
	setInt(&c.RenewalWindowDays, p.RenewalWindowDays)
	setInt(&c.IncentiveTeams, p.IncentiveTeams)
	setInt(&c.IncentiveTeamsEuros, p.IncentiveTeamsEuros)
	setInt(&c.IncentiveToolEuros, p.IncentiveToolEuros)
	setInt(&c.CapPerProfessionalYear, p.CapPerProfessionalYear)
	if p.ExperimentStart != nil {
		c.ExperimentStart = *p.ExperimentStart
	}
	if p.ExperimentEnd != nil {
		c.ExperimentEnd = *p.ExperimentEnd
	}
	setList(&c.LiveRegions, p.LiveRegions)
	return c
}
