package maillage

import (
	"slices"
	"time"
)

// Statistical disclosure control: figures that cannot single out a patient
// or a request.
//
// A count from 1 to SmallCount-1 is suppressed (shown as "fewer than
// SmallCount", never as its value); 0 is shown. The default threshold, 11,
// is the small-cell rule of French health-data publications: the SNDS
// (Système national des données de santé) rules for results taken out of
// the system forbid any cell of fewer than 11 individuals, a rule CNIL
// recalls for health-data releases and that ATIH applies to PMSI
// publications ("secret statistique": effectifs de 1 à 10 masqués). See
// the README, "Figures that cannot single out".
//
// Suppressing a cell is not enough when the cells of a breakdown are shown
// with their total: the one hidden cell would be the total minus the
// others. Suppress does the complementary suppression.

// DefaultSmallCount is the default threshold under which a count is
// suppressed.
const DefaultSmallCount = 11

// Small reports whether n must be suppressed under threshold k.
func Small(n, k int) bool { return n > 0 && n < k }

// Suppress decides which of a breakdown's cells, and whether its total,
// are suppressed under threshold k, so that no suppressed value can be
// recomputed from what is shown (cells absent from the list count 0):
//
//   - a total under k is suppressed with every cell;
//   - a cell under k is suppressed (primary);
//   - if exactly one cell is suppressed, the smallest other non-zero cell is
//     suppressed too; if there is none, the total is (secondary).
func Suppress(cells []int, total, k int) (hidden []bool, totalHidden bool) {
	hidden = make([]bool, len(cells))
	if Small(total, k) {
		for i, c := range cells {
			hidden[i] = c > 0
		}
		return hidden, true
	}
	n := 0
	for i, c := range cells {
		if Small(c, k) {
			hidden[i] = true
			n++
		}
	}
	if n != 1 {
		return hidden, false
	}
	next := -1
	for i, c := range cells {
		if !hidden[i] && c > 0 && (next < 0 || c < cells[next]) {
			next = i
		}
	}
	if next < 0 {
		return hidden, true
	}
	hidden[next] = true
	return hidden, false
}

// SumShown reports whether a sum over buckets may be shown: only when no
// bucket is hidden, or the sum minus the shown buckets would give the
// hidden ones (and narrowing a window by one bucket would give it too).
func SumShown(bucketHidden []bool) bool { return !slices.Contains(bucketHidden, true) }

// Shown is n unless hidden: nil for a suppressed count.
func Shown(n int, hidden bool) *int {
	if hidden {
		return nil
	}
	return &n
}

// Whole calendar periods (with PeriodMonth), the only periods figures are
// given for to whoever is outside the need-to-know set.
const (
	PeriodQuarter StatsPeriod = "QUARTER"
	PeriodYear    StatsPeriod = "YEAR"
)

// WholePeriods checks that [from, to) is made of whole calendar periods
// (Europe/Paris) of p, MONTH, QUARTER or YEAR: from and to are the starts of
// such periods. field names the argument at fault.
func WholePeriods(from, to time.Time, p StatsPeriod) error {
	var months int
	switch p {
	case PeriodMonth:
		months = 1
	case PeriodQuarter:
		months = 3
	case PeriodYear:
		months = 12
	default:
		return InvalidField("period", "must be MONTH, QUARTER or YEAR for figures outside the ESS's staff, got %q", p)
	}
	for _, b := range []struct {
		field string
		t     time.Time
	}{{"from", from}, {"to", to}} {
		t := b.t.In(Paris)
		if t.Day() != 1 || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 || (int(t.Month())-1)%months != 0 {
			return InvalidField(b.field, "must start a calendar %s (Europe/Paris midnight on the 1st of %s), got %s",
				periodName(p), periodMonths(p), b.t.Format(time.RFC3339))
		}
	}
	return nil
}

func periodName(p StatsPeriod) string {
	switch p {
	case PeriodQuarter:
		return "quarter"
	case PeriodYear:
		return "year"
	}
	return "month"
}

func periodMonths(p StatsPeriod) string {
	switch p {
	case PeriodQuarter:
		return "January, April, July or October"
	case PeriodYear:
		return "January"
	}
	return "a month"
}
