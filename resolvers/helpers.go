package resolvers

import (
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/graph"
)

// parseDate parses a YYYY-MM-DD date argument, naming field when it is not one.
func parseDate(field, s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, maillage.InvalidField(field, "must be a date as YYYY-MM-DD, got %q", s)
	}
	return d, nil
}

// parseWindow parses the from and to date arguments of a statistics field
// into the Paris midnights that start those days.
func parseWindow(from, to string) (time.Time, time.Time, error) {
	f, err := parseDate("from", from)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	t, err := parseDate("to", to)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return parisDay(f), parisDay(t), nil
}

// pageArgs converts the first/after arguments of a connection field.
func pageArgs(first *int, after *string) maillage.PageArgs {
	var p maillage.PageArgs
	if first != nil {
		p.First = *first
		if p.First == 0 {
			p.First = -1 // an explicit 0 is not "default": PageArgs.Check refuses it
		}
	}
	if after != nil {
		p.After = *after
	}
	return p
}

// deref returns *p, or the zero value for nil (a filter not given).
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// orNull turns NOT_FOUND into a null result: a single-object field answers
// null for what does not exist or may not be seen, and the two look the same.
func orNull[T any](v *T, err error) (*T, error) {
	if maillage.ErrorCode(err) == maillage.ENOTFOUND {
		return nil, nil
	}
	return v, err
}

// nodeOrNull is orNull for node(id:).
func nodeOrNull[T any, P interface {
	*T
	maillage.Node
}](v P, err error) (maillage.Node, error) {
	v, err = orNull(v, err)
	if v == nil || err != nil {
		return nil, err
	}
	return v, nil
}

// childLevel is the level of a territory's children ("" below LOCAL).
func childLevel(l maillage.TerritoryLevel) maillage.TerritoryLevel {
	switch l {
	case maillage.LevelNation:
		return maillage.LevelRegion
	case maillage.LevelRegion:
		return maillage.LevelDepartment
	case maillage.LevelDepartment:
		return maillage.LevelLocal
	}
	return ""
}

// parisDay is the first instant of a calendar day in Europe/Paris.
func parisDay(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, maillage.Paris)
}

// assessment converts an eligibility assessment argument.
func assessment(field string, in *graph.ESCAPAssessmentInput) (maillage.ESCAPAssessment, error) {
	a := maillage.ESCAPAssessment{PatientID: in.PatientID, Situation: in.Situation,
		Pregnant: deref(in.Pregnant), Hospitalised: deref(in.Hospitalised), UnderInsulin: deref(in.UnderInsulin)}
	if in.EventDate != nil {
		d, err := parseDate(field+".eventDate", *in.EventDate)
		if err != nil {
			return a, err
		}
		a.EventDate = &d
	}
	for _, g := range in.Grid {
		a.Grid = append(a.Grid, maillage.GridAnswer{Item: g.Item, Met: g.Met})
	}
	return a, nil
}
