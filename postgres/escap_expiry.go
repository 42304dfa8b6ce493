package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// escapExpiryLock names the advisory lock under which one instance at a
// time closes the lapsed teams.
const escapExpiryLock = `hashtext('maillage_escap_expiry')`

// ExpireESCAPs closes every active team whose term ended at or before now,
// unrenewed: status CLOSED, exit reason END_OF_TERM, exited at the end of
// its term (so the exit falls in the month the term ended), one audit
// record and one PATIENT_EXITED event each. The care circle's access to the
// patient ends with the team (care_circle reads open teams only).
//
// Every instance may run it; it runs on one at a time, under a
// transaction-scoped advisory lock: ran is false, and nothing changes, when
// another instance holds it. A team being renewed meanwhile is skipped
// (and re-checked under its lock), never closed over the renewal.
func (db *ESCAPService) ExpireESCAPs(ctx context.Context, now time.Time) (ran bool, closed []*maillage.ESCAP, err error) {
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &ran, `SELECT pg_try_advisory_xact_lock(`+escapExpiryLock+`)`); err != nil || !ran {
			return err
		}
		const q = `WITH lapsed AS (SELECT id FROM escaps WHERE status = 'ACTIVE' AND expires_at <= $1 FOR UPDATE SKIP LOCKED)
			UPDATE escaps e SET status = 'CLOSED', exited_at = e.expires_at, exit_reason = 'END_OF_TERM'
			FROM lapsed, territories t
			WHERE e.id = lapsed.id AND t.id = e.territory_id AND e.status = 'ACTIVE' AND e.expires_at <= $1
			RETURNING ` + escapColumns
		if err := tx.SelectContext(ctx, &closed, q, now); err != nil {
			return fmt.Errorf("close lapsed teams: %w", err)
		}
		if len(closed) == 0 {
			return nil
		}
		ids := distinctIDs(closed, func(e *maillage.ESCAP) string { return e.ID })
		const domainOfTeam = `(SELECT t.path FROM escaps e JOIN territories t ON t.id = e.territory_id WHERE e.id = o.id)`
		if err := insertAudits(ctx, tx, "escap", ids, "end_of_term", domainOfTeam, "system:escap_expiry"); err != nil {
			return err
		}
		for _, e := range closed {
			if err := escapEvent(ctx, tx, e, maillage.EventPatientExited, e.ID,
				map[string]any{"status": e.Status, "reason": maillage.ExitEndOfTerm}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, nil, fmt.Errorf("expire escaps: %w", err)
	}
	return ran, closed, nil
}

// StartESCAPExpiry runs ExpireESCAPs once before returning, then every
// interval in the background until ctx is done; failures are logged and
// retried at the next tick.
func StartESCAPExpiry(ctx context.Context, db *ESCAPService, every time.Duration) {
	expire := func() {
		if _, closed, err := db.ExpireESCAPs(ctx, time.Now()); err != nil && ctx.Err() == nil {
			slog.Error("escap expiry", "err", err)
		} else if len(closed) > 0 {
			slog.Info("escap teams closed at the end of their term", "closed", len(closed))
		}
	}
	expire()
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				expire()
			}
		}
	}()
}
