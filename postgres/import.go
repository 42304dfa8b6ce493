package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// The pieces the importers of national extracts (import_rpps.go,
// import_finess.go) share.

// importBatch is how many lines an importer reads between two checks of its
// context and two progress reports.
const importBatch = 5000

// reject writes one rejected line to w ("line N: reason") and counts it in n.
func reject(w io.Writer, line int, reason string, n *int) error {
	*n++
	if w == nil {
		return nil
	}
	if _, err := fmt.Fprintf(w, "line %d: %s\n", line, reason); err != nil {
		return fmt.Errorf("rejects file: %w", err)
	}
	return nil
}

// reasonOf is the reason a line is rejected for err: the message of a
// domain error (which names the field), the error's text otherwise.
func reasonOf(err error) string {
	var e *maillage.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// notifyEvents announces the events an import appended with one
// notification: listeners read every event after the last they saw.
func notifyEvents(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, (SELECT max(id) FROM events)::text)`, EventsChannel); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}
