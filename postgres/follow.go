package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// FollowHandler handles a page of settled events, in id order, inside the
// transaction that advances its follower's position past them: what it
// writes in tx (deliveries to make, messages to send) commits with the new
// position or not at all, so each event is handled once across instances.
// An error rolls both back; the page is handled again later.
type FollowHandler func(ctx context.Context, tx *sqlx.Tx, evs []*maillage.Event) error

// FollowConfig tunes a follower; zero fields take defaults.
type FollowConfig struct {
	// Batch is how many events one step handles (default 200).
	Batch int
	// Tick is how often a follower looks for work without a new event: the
	// instance holding the position may have stopped (default 2s).
	Tick time.Duration
	// Committed, if set, is called after each step that handled events has
	// committed (e.g. to send at once what the handler queued).
	Committed func()
	// Missed, if set, is called when the follower resumes behind what the
	// outbox has pruned (it was idle longer than the retention): the events
	// after from up to through are gone, never handled. It is logged too.
	Missed func(from, through int64)
}

// Follower hands the outbox's events to one handler, under a name whose
// position is stored in outbox_followers: every instance runs the same
// follower, one at a time advances it (the row lock of its position, taken
// with SKIP LOCKED), and a restarted or other instance resumes where the
// last step committed. It reads only settled events (see Bus): nothing below
// its position can still appear.
type Follower struct {
	db     *DB
	bus    *Bus
	name   string
	handle FollowHandler
	cfg    FollowConfig
	done   chan struct{}
}

// StartFollower runs the follower name over bus's settled events until ctx
// ends. A follower seen for the first time starts at the newest settled event:
// it handles what happens from then on.
func StartFollower(ctx context.Context, db *DB, bus *Bus, name string, handle FollowHandler, cfg FollowConfig) (*Follower, error) {
	if cfg.Batch <= 0 {
		cfg.Batch = 200
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 2 * time.Second
	}
	f := &Follower{db: db, bus: bus, name: name, handle: handle, cfg: cfg, done: make(chan struct{})}
	settled, _ := bus.Settled()
	const q = `INSERT INTO outbox_followers (name, position) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`
	if _, err := db.ExecContext(ctx, q, name, settled); err != nil {
		return nil, fmt.Errorf("follower %s: %w", name, err)
	}
	go f.run(background(ctx))
	return f, nil
}

// Done is closed when the follower has stopped.
func (f *Follower) Done() <-chan struct{} { return f.done }

func (f *Follower) run(ctx context.Context) {
	defer close(f.done)
	tick := time.NewTicker(f.cfg.Tick)
	defer tick.Stop()
	retry := 50 * time.Millisecond
	for {
		_, moved := f.bus.Settled()
		more, err := f.Step(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			slog.Error("outbox follower", "name", f.name, "err", err, "retry_in", retry.String())
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
			retry = min(2*retry, 5*time.Second)
			continue
		case more:
			continue
		}
		retry = 50 * time.Millisecond
		select {
		case <-ctx.Done():
			return
		case <-f.bus.Done():
			return
		case <-moved:
		case <-tick.C:
		}
	}
}

// Step handles the next page of settled events if this instance may advance
// the follower now, and reports whether more may wait.
func (f *Follower) Step(ctx context.Context) (more bool, err error) {
	settled, _ := f.bus.Settled()
	handled := false
	var missed [2]int64 // the events lost, told once the step has committed
	err = f.db.InTx(ctx, func(tx *sqlx.Tx) error {
		// The share lock on events_pruned holds a prune's commit until this
		// step has committed (or makes the step wait for it): the events
		// read below are then all those after max(pos, pruned), and none
		// is deleted unseen between the two reads.
		var pos, pruned int64
		err := tx.QueryRowxContext(ctx, `SELECT f.position, p.pruned_through FROM outbox_followers f, events_pruned p
			WHERE f.name = $1 FOR UPDATE OF f SKIP LOCKED FOR SHARE OF p`, f.name).Scan(&pos, &pruned)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // another instance holds it
		} else if err != nil {
			return err
		}
		const advance = `UPDATE outbox_followers SET position = $2, updated_at = now() WHERE name = $1`
		missed = [2]int64{}
		if pos < pruned { // idle longer than the retention: those events are gone
			missed, pos = [2]int64{pos, pruned}, pruned
			if _, err := tx.ExecContext(ctx, advance, f.name, pos); err != nil {
				return err
			}
		}
		if pos >= settled {
			return nil
		}
		const q = `SELECT id, topic, type, subject_id, domain, COALESCE(ess_id, '') AS ess_id, payload, created_at
			FROM events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3`
		var evs []*maillage.Event
		if err := tx.SelectContext(ctx, &evs, q, pos, settled, f.cfg.Batch); err != nil {
			return err
		}
		next := settled
		if len(evs) == f.cfg.Batch {
			next, more = evs[len(evs)-1].ID, true
		}
		if len(evs) > 0 {
			if err := f.handle(ctx, tx, evs); err != nil {
				return err
			}
			handled = true
		}
		_, err = tx.ExecContext(ctx, advance, f.name, next)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("follower %s: %w", f.name, err)
	}
	if missed != [2]int64{} {
		missedEvents.Add(missed[1] - missed[0])
		slog.ErrorContext(ctx, "outbox follower resumed behind the retention: events lost", "name", f.name,
			"after", missed[0], "through", missed[1])
		if f.cfg.Missed != nil {
			f.cfg.Missed(missed[0], missed[1])
		}
	}
	if handled && f.cfg.Committed != nil {
		f.cfg.Committed()
	}
	return more, nil
}

// missedEvents counts the event ids followers of this process resumed past
// without handling them.
var missedEvents atomic.Int64

// MissedEvents is how many event ids the followers of this process skipped
// because the outbox had pruned them (each was idle longer than the
// retention), for the metrics.
func MissedEvents() int64 { return missedEvents.Load() }

// FollowerPosition returns the id of the last event the follower name has handled.
func (db *DB) FollowerPosition(ctx context.Context, name string) (int64, error) {
	var pos int64
	if err := db.GetContext(ctx, &pos, `SELECT position FROM outbox_followers WHERE name = $1`, name); err != nil {
		return 0, fmt.Errorf("follower %s position: %w", name, err)
	}
	return pos, nil
}
