package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// smallCount returns the small-count threshold in force
// (disclosure_settings, migrations/00064).
func smallCount(ctx context.Context, q sqlx.QueryerContext) (int, error) {
	var k int
	if err := sqlx.GetContext(ctx, q, &k, `SELECT small_count FROM disclosure_settings`); err != nil {
		return 0, fmt.Errorf("small-count threshold: %w", err)
	}
	return k, nil
}
