package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// EventsChannel is the LISTEN/NOTIFY channel on which each committed event's
// id is announced. NOTIFY inside a transaction is delivered at commit, so a
// rolled-back change announces nothing.
const EventsChannel = "maillage_events"

// Event is an event to append; the database gives it its id and time.
type Event struct {
	Topic     string
	Type      string
	SubjectID string
	Domain    string
	// ESSID is the ESS a referral event's request is addressed to ("" for
	// other events).
	ESSID   string
	Payload any
}

// appendEvent writes ev to the outbox in tx and notifies listeners at commit.
func appendEvent(ctx context.Context, tx *sqlx.Tx, ev Event) error {
	payload := []byte("{}")
	if ev.Payload != nil {
		var err error
		if payload, err = json.Marshal(ev.Payload); err != nil {
			return fmt.Errorf("event payload: %w", err)
		}
	}
	// The transaction takes its xid (pg_current_xact_id) before the event
	// takes its id (nextval, in the insert's projection): so the transaction
	// holding a missing id has an xid below any taken after a later id was
	// seen committed, which is how the bus proves a hole dead (see gap).
	const q = `WITH x AS MATERIALIZED (SELECT pg_current_xact_id() AS xid),
		e AS (INSERT INTO events (topic, type, subject_id, domain, ess_id, payload)
			SELECT $1, $2, $3, $4, NULLIF($5, ''), $6 FROM x RETURNING id)
		SELECT pg_notify($7, e.id::text) FROM e`
	if _, err := tx.ExecContext(ctx, q, ev.Topic, ev.Type, ev.SubjectID, ev.Domain, ev.ESSID, payload, EventsChannel); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// EventsAfter returns up to limit events of the given topics with an id
// greater than after, in id order (for replay and for the live bus).
func (db *DB) EventsAfter(ctx context.Context, after int64, limit int) ([]*maillage.Event, error) {
	const q = `SELECT id, topic, type, subject_id, domain, COALESCE(ess_id, '') AS ess_id, payload, created_at
		FROM events WHERE id > $1 ORDER BY id LIMIT $2`
	var evs []*maillage.Event
	if err := db.SelectContext(ctx, &evs, q, after, limit); err != nil {
		return nil, fmt.Errorf("events after %d: %w", after, err)
	}
	return evs, nil
}
