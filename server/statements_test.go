package server_test

import (
	"testing"

	"github.com/maillage/maillage/postgres"
)

// fewestStatements runs a request three times and returns the fewest SQL
// statements one run took. A dataloader that fires one level in two batches
// (its wait ran out on a loaded machine) only ever adds statements, so the
// fewest is the design's count; an N+1 would show on every run.
func fewestStatements(t *testing.T, do func()) int64 {
	t.Helper()
	fewest := int64(-1)
	for range 3 {
		before := postgres.Statements()
		do()
		if n := postgres.Statements() - before; fewest < 0 || n < fewest {
			fewest = n
		}
	}
	return fewest
}
