package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

// SubscribeEvents implements maillage.EventService: replay from the outbox
// after the cursor, then live events from the bus, each shown to the caller
// only if f's guard allows it.
func (b *Bus) SubscribeEvents(ctx context.Context, after string, f maillage.EventFilter) (<-chan *maillage.Event, error) {
	guard := eventGuards[f.Guard]
	if guard == nil {
		return nil, fmt.Errorf("subscribe: no event guard %q", f.Guard)
	}
	from, err := maillage.ParseEventCursor("after", after)
	if err != nil {
		return nil, err
	}
	if f.Probe != nil {
		ok, err := guard(ctx, b.db, []guardCheck{{sub: ctx, ev: f.Probe}})
		if err != nil {
			return nil, fmt.Errorf("subscribe: %w", err)
		}
		if !ok[0] {
			return nil, maillage.Errorf(maillage.EFORBIDDEN, "not allowed to follow these events")
		}
	}
	if after != "" {
		if err := b.checkCursor(ctx, from); err != nil {
			return nil, err
		}
	}
	who := maillage.WithIdentity(maillage.WithRequestID(context.Background(), maillage.RequestID(ctx)), maillage.IdentityFrom(ctx))
	s := &subscriber{ctx: ctx, who: who, filter: &f, guard: guard,
		out: make(chan *maillage.Event, b.cfg.Buffer), gone: make(chan struct{})}
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return nil, maillage.Errorf(maillage.EINTERNAL, "%v", maillage.ErrShuttingDown)
	}
	if after == "" {
		from = b.settled // live only
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() { b.leave(s) })
	go b.catchUp(s, from)
	return s.out, nil
}

// LatestCursor implements maillage.EventService: the cursor of the newest
// settled event on this instance.
func (b *Bus) LatestCursor(ctx context.Context) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strconv.FormatInt(b.settled, 10)
}

// CheckCursor refuses, as a subscription's after, a cursor older than the
// retention (CURSOR_EXPIRED) or ahead of every event (BAD_USER_INPUT).
func (b *Bus) CheckCursor(ctx context.Context, from int64) error { return b.checkCursor(ctx, from) }

// checkCursor refuses a cursor older than the outbox's retention, or newer
// than any event id ever given (another instance may be ahead of this one,
// so the sequence, not this bus, is the bound).
func (b *Bus) checkCursor(ctx context.Context, from int64) error {
	var pruned, issued int64
	if err := b.db.QueryRowContext(ctx, `SELECT (SELECT pruned_through FROM events_pruned),
		(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM events_id_seq)`).Scan(&pruned, &issued); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if from > issued {
		return maillage.InvalidField("after", "cursor %d is ahead of every event: subscribe without after, or with a cursor the hub gave", from)
	}
	if from < pruned {
		return b.cursorExpired(from)
	}
	return nil
}

// cursorExpired is the CURSOR_EXPIRED error of a stream at from, past which
// the outbox has pruned events.
func (b *Bus) cursorExpired(from int64) error {
	return &maillage.Error{Code: maillage.ECURSOREXPIRED, Field: "after", Message: fmt.Sprintf(
		"cursor %d is older than the event retention (%s): refetch the current state with queries, then subscribe without after",
		from, b.cfg.Retention)}
}

// A subscription has no goroutine of its own while it is live: the bus
// hands each event to its buffered channel (out) without blocking. When that
// buffer is full, or its guard could not decide, the subscriber falls behind:
// a catch-up goroutine reads its events from the outbox (the source of
// truth), waits for the subscriber to take them, makes it live again and
// ends. Whoever writes to out closes it: the bus while the subscriber is
// live, the catch-up goroutine otherwise. The stream ends when the
// subscriber leaves (its context), or on the service's side, OnEnd saying
// why: a stopping instance, a consumer that took nothing for StallTimeout,
// a database away for longer than GuardRetry; or it completes at the first
// event withheld from an EndWhenDenied subscriber.

// errDenied completes a stream whose guard withheld an event (EndWhenDenied).
var errDenied = errors.New("access lost")

// errLeft ends a catch-up whose subscriber left.
var errLeft = errors.New("subscriber left")

// catchUp sends s's events in (pos, settled] from the outbox, then makes s
// live from there once no event is being handed out; or ends the stream.
func (b *Bus) catchUp(s *subscriber, pos int64) {
	err := b.replayUntilLive(s, pos)
	if err == nil {
		return // live: the bus owns out now
	}
	b.mu.Lock()
	if !b.dropLocked(s, err) && s.err != nil {
		err = s.err // dropped by the bus meanwhile (shutting down)
	}
	b.mu.Unlock()
	close(s.out)
	b.report(s, err)
	s.ready() // after report: the transport hears why before the end
}

// replayUntilLive is catchUp's loop; nil once s is live.
func (b *Bus) replayUntilLive(s *subscriber, pos int64) error {
	for {
		b.mu.Lock()
		if s.dropped {
			b.mu.Unlock()
			return errLeft
		}
		target, handing, settledNext := b.settled, b.handing, b.settledNext
		if pos >= target && !handing {
			// pos may be ahead of this instance's bus: a cursor another
			// instance gave.
			s.live, s.from = true, pos
			b.mu.Unlock()
			return nil
		}
		b.mu.Unlock()
		if pos >= target { // the bus is handing out target+1: wait for it
			select {
			case <-settledNext:
			case <-s.gone:
			}
			continue
		}
		evs, next, err := b.replayPage(s, pos, target)
		if err != nil {
			return err
		}
		ok, err := b.decide(s.ctx, s.guard, checksOf(s.ctx, evs))
		if err != nil {
			return err
		}
		for i, ev := range evs {
			b.stats.decided.Add(1)
			if !ok[i] {
				if s.filter.EndWhenDenied {
					return errDenied
				}
				continue
			}
			if err := b.push(s, ev); err != nil {
				return err
			}
		}
		pos = next
	}
}

// push waits for s to take ev. A subscriber that takes nothing for
// StallTimeout is a consumer that stopped reading: cut.
func (b *Bus) push(s *subscriber, ev *maillage.Event) error {
	select {
	case s.out <- ev:
	default:
		stall := time.NewTimer(b.cfg.StallTimeout)
		defer stall.Stop()
		select {
		case s.out <- ev:
		case <-stall.C:
			b.stats.dropped.Add(1)
			return maillage.ErrSlowConsumer
		case <-s.gone:
			return errLeft
		}
	}
	s.ready()
	b.delivered(ev)
	return nil
}

// delivered counts an event handed to a subscriber.
func (b *Bus) delivered(ev *maillage.Event) {
	b.stats.delivered.Add(1)
	if b.cfg.Delivered != nil {
		family, _, _ := strings.Cut(ev.Topic, ":")
		b.cfg.Delivered(family)
	}
}

// report tells the subscriber why the service ended its stream.
func (b *Bus) report(s *subscriber, err error) {
	if err == nil || errors.Is(err, errLeft) || errors.Is(err, errDenied) || s.ctx.Err() != nil {
		return
	}
	if !errors.Is(err, maillage.ErrShuttingDown) && !errors.Is(err, maillage.ErrSlowConsumer) {
		slog.ErrorContext(s.ctx, "event stream ended", "err", err)
	}
	if s.filter.OnEnd != nil {
		s.filter.OnEnd(err)
	}
}

// leave drops s when its subscriber has gone.
func (b *Bus) leave(s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropLocked(s, errLeft) {
		s.ready()
	}
}

// catchUpPage is how many events a subscriber catching up reads at once
// (it holds them until sent).
const catchUpPage = 64

// replayPage returns s's events in the next page of (after, through], and
// the position that page reaches; CURSOR_EXPIRED when the outbox has pruned
// events after it (a prune that committed once the subscription's cursor
// was checked, or a subscriber left behind for longer than the retention).
func (b *Bus) replayPage(s *subscriber, after, through int64) ([]*maillage.Event, int64, error) {
	var evs []*maillage.Event
	var pruned int64
	err := b.retry(s.ctx, func() error {
		var err error
		evs, pruned, err = b.replay(s.ctx, s.filter, after, through, catchUpPage)
		return err
	})
	if err != nil {
		return nil, after, err
	}
	if pruned > after {
		return nil, after, b.cursorExpired(after)
	}
	next := through
	if len(evs) == catchUpPage {
		next = evs[len(evs)-1].ID
	}
	kept := evs[:0]
	for _, ev := range evs {
		if s.filter.Selects(ev) {
			kept = append(kept, ev)
		}
	}
	return kept, next, nil
}

// replay returns up to limit events of f's topics in (after, through], and
// how far the outbox was pruned, both as one statement saw them: events
// missing because they were pruned are told apart from events never there.
func (b *Bus) replay(ctx context.Context, f *maillage.EventFilter, after, through int64, limit int) ([]*maillage.Event, int64, error) {
	const q = `SELECT p.pruned_through, e.id, e.topic, e.type, e.subject_id, e.domain, COALESCE(e.ess_id, ''), e.payload, e.created_at
		FROM events_pruned p LEFT JOIN LATERAL (SELECT * FROM events
			WHERE id > $1 AND id <= $2 AND (topic = ANY($3) OR ($4 <> '' AND starts_with(topic, $4)))
				AND ($5 = '' OR ess_id = $5)
			ORDER BY id LIMIT $6) e ON true
		ORDER BY e.id`
	rows, err := b.db.QueryContext(ctx, q, after, through, pq.StringArray(f.Topics), f.TopicPrefix, f.ESS, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("replay events after %d: %w", after, err)
	}
	defer rows.Close()
	var pruned int64
	var evs []*maillage.Event
	for rows.Next() {
		ev, err := scanJoinedEvent(rows, &pruned)
		if err != nil {
			return nil, 0, fmt.Errorf("replay events: %w", err)
		}
		if ev != nil {
			evs = append(evs, ev)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("replay events: %w", err)
	}
	return evs, pruned, nil
}

func checksOf(sub context.Context, evs []*maillage.Event) []guardCheck {
	checks := make([]guardCheck, len(evs))
	for i, ev := range evs {
		checks[i] = guardCheck{sub: sub, ev: ev}
	}
	return checks
}

// decide runs a guard, retrying while the database is away (see retry).
func (b *Bus) decide(ctx context.Context, guard eventGuard, checks []guardCheck) ([]bool, error) {
	var ok []bool
	err := b.retry(ctx, func() error {
		var err error
		ok, err = guard(ctx, b.db, checks)
		return err
	})
	return ok, err
}

// retry runs fn until it succeeds, backing off, for at most GuardRetry: then
// the stream ends with ErrEventsUnavailable, which tells the client to
// resume with its last cursor (nothing is skipped either way).
func (b *Bus) retry(ctx context.Context, fn func() error) error {
	wait := 50 * time.Millisecond
	deadline := time.Now().Add(b.cfg.GuardRetry)
	for {
		err := fn()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if time.Now().Add(wait).After(deadline) {
			slog.ErrorContext(ctx, "event stream: database away", "err", err)
			return maillage.ErrEventsUnavailable
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait = min(2*wait, time.Second)
	}
}

// Prune deletes the events older than the retention, on one instance at a
// time (a transaction-scoped advisory lock), and records how far it went.
// It keeps what an active follower (one that advanced within the retention:
// a notifier briefly stopped, a webhook fan-out catching up) has not handled
// yet; a follower idle longer than the retention holds nothing back, and
// learns what it missed when it resumes (see Follower.Step). It returns how
// many events it deleted (0 when another instance holds the lock).
func (b *Bus) Prune(ctx context.Context) (int64, error) {
	var deleted int64
	err := b.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var locked bool
		if err := tx.GetContext(ctx, &locked, `SELECT pg_try_advisory_xact_lock(hashtext('maillage_events_prune'))`); err != nil || !locked {
			return err
		}
		const q = `WITH hold AS (SELECT min(position) AS id FROM outbox_followers WHERE updated_at > now() - make_interval(secs => $1)),
			cut AS (SELECT max(id) AS id FROM events WHERE created_at < now() - make_interval(secs => $1)
				AND id <= COALESCE((SELECT id FROM hold), id)),
			d AS (DELETE FROM events WHERE id <= (SELECT id FROM cut) RETURNING id),
			u AS (UPDATE events_pruned SET pruned_through = GREATEST(pruned_through, (SELECT id FROM cut)), pruned_at = now()
				WHERE (SELECT id FROM cut) IS NOT NULL)
			SELECT count(*) FROM d`
		return tx.GetContext(ctx, &deleted, q, b.cfg.Retention.Seconds())
	})
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	return deleted, nil
}

func (b *Bus) prune(ctx context.Context) {
	n, err := b.Prune(ctx)
	if err != nil && ctx.Err() == nil {
		slog.Error("prune events", "err", err)
	} else if n > 0 {
		slog.Info("pruned old events", "deleted", n, "retention", b.cfg.Retention.String())
	}
}
