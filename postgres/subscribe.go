package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// An eventGuard decides whether the caller in ctx may see one event, with
// the same check as the queries of its area: Authz.Can with the relations the
// caller has with the event's subject. Guards run per event, so a subscriber
// who loses access stops receiving at once.
type eventGuard func(ctx context.Context, db *DB, ev *maillage.Event) bool

// eventGuards are the guards by name (EventFilter.Guard). Each area adds its
// own in an init function.
var eventGuards = map[string]eventGuard{}

// addEventGuard registers a guard.
func addEventGuard(name string, g eventGuard) { eventGuards[name] = g }

func init() {
	addEventGuard(maillage.GuardTerritoryActivity, func(ctx context.Context, db *DB, ev *maillage.Event) bool {
		return db.Authz.Allowed(ctx, authz.ActRead, authz.Object{Kind: authz.KindStats, Domain: ev.Domain})
	})
	addEventGuard(maillage.GuardPatient, relationGuard(authz.KindPatient))
	addEventGuard(maillage.GuardESCAP, relationGuard(authz.KindESCAP))
	addEventGuard(maillage.GuardReferral, relationGuard(authz.KindReferral))
}

// relationGuard is the guard of a need-to-know kind whose topic names the
// object ("<kind>:<id>"): the caller's relations with it, then Authz.Allowed
// on read in the event's domain, as the kind's queries decide.
func relationGuard(kind string) eventGuard {
	return func(ctx context.Context, db *DB, ev *maillage.Event) bool {
		_, id, _ := strings.Cut(ev.Topic, ":")
		rels, err := callerRelations(ctx, db, kind, id)
		if err != nil {
			slog.ErrorContext(ctx, "event guard", "kind", kind, "err", err)
			return false
		}
		return db.Authz.Allowed(ctx, authz.ActRead, authz.Object{Kind: kind, Domain: ev.Domain, Relations: rels})
	}
}

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
	if f.Probe != nil && !guard(ctx, b.db, f.Probe) {
		return nil, maillage.Errorf(maillage.EFORBIDDEN, "not allowed to follow these events")
	}
	replay := after != ""
	if replay {
		if err := b.checkCursor(ctx, from); err != nil {
			return nil, err
		}
	}
	s := &subscriber{filter: &f, ch: make(chan *maillage.Event, b.cfg.Buffer), gone: make(chan struct{})}
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return nil, maillage.Errorf(maillage.EINTERNAL, "%v", maillage.ErrShuttingDown)
	}
	settled := b.settled
	s.from = max(from, settled)
	b.subs[s] = struct{}{}
	b.mu.Unlock()

	out := make(chan *maillage.Event)
	go b.stream(ctx, s, guard, replay, from, settled, out)
	return out, nil
}

// LatestCursor implements maillage.EventService: the cursor of the newest
// settled event on this instance.
func (b *Bus) LatestCursor(ctx context.Context) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strconv.FormatInt(b.settled, 10)
}

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
		return &maillage.Error{Code: maillage.ECURSOREXPIRED, Field: "after", Message: fmt.Sprintf(
			"cursor %d is older than the event retention (%s): refetch the current state with queries, then subscribe without after",
			from, b.cfg.Retention)}
	}
	return nil
}

// stream sends the replay (from, settled], then the live events, to out.
func (b *Bus) stream(ctx context.Context, s *subscriber, guard eventGuard, replay bool, from, settled int64, out chan<- *maillage.Event) {
	defer close(out)
	defer b.remove(s)
	defer func() {
		select {
		case <-s.gone: // dropped by the bus: say why
			b.end(s, s.err)
		default:
		}
	}()
	send := func(ev *maillage.Event) bool {
		allowed := guard(ctx, b.db, ev)
		b.stats.decided.Add(1)
		if !allowed {
			return !s.filter.EndWhenDenied
		}
		select {
		case out <- ev:
			if b.cfg.Delivered != nil {
				family, _, _ := strings.Cut(ev.Topic, ":")
				b.cfg.Delivered(family)
			}
			return true
		case <-ctx.Done():
			return false
		case <-s.gone:
			return false
		}
	}
	for cur := from; replay && cur < settled; {
		evs, err := b.replay(ctx, s.filter, cur, settled)
		if err != nil {
			if ctx.Err() == nil {
				slog.ErrorContext(ctx, "event replay", "err", err)
				b.end(s, err)
			}
			return
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if s.filter.Selects(ev) && !send(ev) {
				return
			}
		}
		cur = evs[len(evs)-1].ID
	}
	for {
		select {
		case ev, ok := <-s.ch:
			if !ok {
				return
			}
			if !send(ev) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func (b *Bus) end(s *subscriber, err error) {
	if err != nil && s.filter.OnEnd != nil {
		s.filter.OnEnd(err)
	}
}

// replay returns the next page of f's topics in (after, through].
func (b *Bus) replay(ctx context.Context, f *maillage.EventFilter, after, through int64) ([]*maillage.Event, error) {
	const q = `SELECT id, topic, type, subject_id, domain, payload, created_at FROM events
		WHERE id > $1 AND id <= $2 AND (topic = ANY($3) OR ($4 <> '' AND starts_with(topic, $4)))
		ORDER BY id LIMIT $5`
	var evs []*maillage.Event
	if err := b.db.SelectContext(ctx, &evs, q, after, through, pq.StringArray(f.Topics), f.TopicPrefix, b.cfg.Batch); err != nil {
		return nil, fmt.Errorf("replay events after %d: %w", after, err)
	}
	return evs, nil
}

// Prune deletes the events older than the retention, on one instance at a
// time (a transaction-scoped advisory lock), and records how far it went.
// It returns how many events it deleted (0 when another instance holds the lock).
func (b *Bus) Prune(ctx context.Context) (int64, error) {
	var deleted int64
	err := b.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var locked bool
		if err := tx.GetContext(ctx, &locked, `SELECT pg_try_advisory_xact_lock(hashtext('maillage_events_prune'))`); err != nil || !locked {
			return err
		}
		const q = `WITH cut AS (SELECT max(id) AS id FROM events WHERE created_at < now() - make_interval(secs => $1)),
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
