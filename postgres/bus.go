package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

// BusConfig tunes the event bus; zero fields take the defaults of
// DefaultBusConfig.
type BusConfig struct {
	// Buffer is how many events may wait for one subscriber; one more and the
	// subscriber is dropped as a slow consumer.
	Buffer int
	// Batch is how many outbox rows one read returns.
	Batch int
	// SafetyTick re-reads the outbox even without a notification (a lost
	// notification costs at most this delay).
	SafetyTick time.Duration
	// GapRecheck is how often a missing id is looked for again while later
	// ids wait behind it.
	GapRecheck time.Duration
	// GapTimeout is the longest a missing id is waited for, when the
	// transactions that could hold it cannot be proven finished.
	GapTimeout time.Duration
	// Retention is how long events stay in the outbox (MAILLAGE_EVENT_RETENTION).
	Retention time.Duration
	// PruneEvery is how often an instance tries to prune (one at a time).
	PruneEvery time.Duration
	// Delivered, if set, is called for each event handed to a subscriber,
	// with the event's topic family ("directory", "escap", "referral"…).
	Delivered func(family string)
}

// DefaultBusConfig returns the bus defaults.
func DefaultBusConfig() BusConfig {
	return BusConfig{
		Buffer:     256,
		Batch:      500,
		SafetyTick: 5 * time.Second,
		GapRecheck: 50 * time.Millisecond,
		GapTimeout: 30 * time.Second,
		Retention:  7 * 24 * time.Hour,
		PruneEvery: time.Hour,
	}
}

func (c BusConfig) withDefaults() BusConfig {
	d := DefaultBusConfig()
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	if c.Buffer <= 0 {
		c.Buffer = d.Buffer
	}
	if c.Batch <= 0 {
		c.Batch = d.Batch
	}
	set(&c.SafetyTick, d.SafetyTick)
	set(&c.GapRecheck, d.GapRecheck)
	set(&c.GapTimeout, d.GapTimeout)
	set(&c.Retention, d.Retention)
	set(&c.PruneEvery, d.PruneEvery)
	return c
}

// Bus hands the outbox's events to this instance's subscribers. One LISTEN
// connection per instance hears each commit's notification; the bus then
// reads the new rows in id order and offers each to the subscribers, without
// ever blocking on one: a subscriber whose buffer is full is dropped.
//
// Ids come from a sequence, so a transaction may commit id 12 while the one
// holding id 11 is still running (or will roll back). The bus delivers in id
// order and never past a missing id until it appears or is proven dead: the
// transactions in progress when the gap was seen (the snapshot's xip) have all
// ended, since appendEvent takes its transaction id before its event id. So
// every cursor handed out is "settled": nothing below it can still appear.
type Bus struct {
	db  *DB
	cfg BusConfig

	mu      sync.Mutex
	settled int64 // every id up to this is delivered or dead
	subs    map[*subscriber]struct{}
	stopped bool

	gap      *gap // the missing id the bus waits for, if any
	listener *pq.Listener
	done     chan struct{}
	stats    busCounters
}

var _ maillage.EventService = (*Bus)(nil)

// gap is the first missing id above settled, and the transactions that were
// in progress when it was first seen: one of them may still commit it.
type gap struct {
	start int64
	xip   []uint64
	since time.Time
}

// closedIn reports whether none of the gap's transactions is still in
// progress in the snapshot whose in-progress list is xip.
func (g *gap) closedIn(xip []uint64) bool {
	for _, a := range g.xip {
		for _, b := range xip {
			if a == b {
				return false
			}
		}
	}
	return true
}

// subscriber is one live subscription's mailbox.
type subscriber struct {
	filter *maillage.EventFilter
	from   int64 // live events up to this id are not for it (replayed, or before its cursor)
	ch     chan *maillage.Event
	gone   chan struct{} // closed when the bus drops it, with ch
	err    error         // why the bus dropped it (set before closing)
}

type busCounters struct {
	delivered, dropped, reads atomic.Int64
	waitingFor                atomic.Int64
	decided                   atomic.Int64
}

// BusStats are counters for metrics.
type BusStats struct {
	Subscribers   int   // open subscriptions on this instance
	Delivered     int64 // events handed to subscribers' buffers
	SlowConsumers int64 // subscribers dropped for a full buffer
	Reads         int64 // outbox reads
	Settled       int64 // highest settled event id
	WaitingFor    int64 // the missing id later events wait behind (0: none)
	Decided       int64 // events a subscriber's guard has allowed or withheld
}

// Stats returns the bus counters.
func (b *Bus) Stats() BusStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return BusStats{Subscribers: len(b.subs), Delivered: b.stats.delivered.Load(),
		SlowConsumers: b.stats.dropped.Load(), Reads: b.stats.reads.Load(), Settled: b.settled,
		WaitingFor: b.stats.waitingFor.Load(), Decided: b.stats.decided.Load()}
}

// StartBus listens for events on db and runs the bus and the pruning job
// until ctx ends.
func StartBus(ctx context.Context, db *DB, cfg BusConfig) (*Bus, error) {
	b := &Bus{db: db, cfg: cfg.withDefaults(), subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
	b.listener = pq.NewListener(db.DSN, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			slog.Warn("event bus listener", "event", ev, "err", err)
		}
	})
	if err := b.listener.Listen(EventsChannel); err != nil {
		b.listener.Close()
		return nil, fmt.Errorf("listen %s: %w", EventsChannel, err)
	}
	if err := b.start(ctx); err != nil {
		b.listener.Close()
		return nil, err
	}
	go b.run(background(ctx))
	return b, nil
}

// start sets the settled horizon to the newest event, once every
// transaction that could still commit an older id has ended.
func (b *Bus) start(ctx context.Context) error {
	var snap string
	var max int64
	if err := b.db.QueryRowContext(ctx, `SELECT pg_current_snapshot()::text, COALESCE(max(id), 0) FROM events`).Scan(&snap, &max); err != nil {
		return fmt.Errorf("event bus start: %w", err)
	}
	pending := &gap{xip: parseXip(snap), since: time.Now()}
	for len(pending.xip) > 0 && time.Since(pending.since) < b.cfg.GapTimeout {
		time.Sleep(10 * time.Millisecond)
		if err := b.db.QueryRowContext(ctx, `SELECT pg_current_snapshot()::text`).Scan(&snap); err != nil {
			return fmt.Errorf("event bus start: %w", err)
		}
		if pending.closedIn(parseXip(snap)) {
			break
		}
	}
	b.settled = max
	return nil
}

// Done is closed when the bus has stopped.
func (b *Bus) Done() <-chan struct{} { return b.done }

func (b *Bus) run(ctx context.Context) {
	defer close(b.done)
	defer b.stop()
	safety := time.NewTicker(b.cfg.SafetyTick)
	defer safety.Stop()
	prune := time.NewTicker(b.cfg.PruneEvery)
	defer prune.Stop()
	recheck := time.NewTimer(time.Hour)
	recheck.Stop()
	b.prune(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.listener.Notify: // a commit, or nil after a reconnection
		drain:
			for {
				select {
				case <-b.listener.Notify:
				default:
					break drain
				}
			}
		case <-safety.C:
		case <-recheck.C:
		case <-prune.C:
			b.prune(ctx)
			continue
		}
		if err := b.poll(ctx); err != nil && ctx.Err() == nil {
			slog.Error("event bus read", "err", err)
		}
		if b.gap != nil {
			recheck.Reset(b.cfg.GapRecheck)
		}
	}
}

// stop closes the listener and ends every subscription.
func (b *Bus) stop() {
	b.listener.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	for s := range b.subs {
		b.dropLocked(s, maillage.ErrShuttingDown)
	}
}

// poll reads the new rows and delivers them in id order, up to the first
// gap that may still fill.
func (b *Bus) poll(ctx context.Context) error {
	for {
		evs, xip, err := b.read(ctx, b.settled, b.cfg.Batch)
		if err != nil {
			return err
		}
		delivered := 0
		for _, ev := range evs {
			if ev.ID != b.settled+1 {
				if b.gap == nil || b.gap.start != b.settled+1 {
					b.gap = &gap{start: b.settled + 1, xip: xip, since: time.Now()}
					b.stats.waitingFor.Store(b.gap.start)
				}
				if !b.gap.closedIn(xip) {
					if time.Since(b.gap.since) < b.cfg.GapTimeout {
						return nil // wait for the transactions that may hold it
					}
					slog.Warn("event bus: gave up waiting for missing event ids", "from", b.gap.start, "to", ev.ID-1)
				}
			}
			b.gap = nil
			b.stats.waitingFor.Store(0)
			b.deliver(ev)
			delivered++
		}
		if len(evs) < b.cfg.Batch || delivered == 0 {
			return nil
		}
	}
}

// read returns up to limit events after id, and the in-progress
// transactions of the snapshot that saw them.
func (b *Bus) read(ctx context.Context, after int64, limit int) ([]*maillage.Event, []uint64, error) {
	b.stats.reads.Add(1)
	const q = `SELECT s.snap, e.id, e.topic, e.type, e.subject_id, e.domain, e.payload, e.created_at
		FROM (SELECT pg_current_snapshot()::text AS snap) s
		LEFT JOIN LATERAL (SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2) e ON true
		ORDER BY e.id`
	rows, err := b.db.QueryContext(ctx, q, after, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	defer rows.Close()
	var snap string
	var evs []*maillage.Event
	for rows.Next() {
		var id sql.NullInt64
		var topic, typ, subject, domain sql.NullString
		var payload []byte
		var at sql.NullTime
		if err := rows.Scan(&snap, &id, &topic, &typ, &subject, &domain, &payload, &at); err != nil {
			return nil, nil, fmt.Errorf("read events: %w", err)
		}
		if id.Valid {
			evs = append(evs, &maillage.Event{ID: id.Int64, Topic: topic.String, Type: typ.String,
				SubjectID: subject.String, Domain: domain.String, Payload: payload, CreatedAt: at.Time})
		}
	}
	return evs, parseXip(snap), rows.Err()
}

// parseXip returns the in-progress transaction ids of a pg_snapshot's text
// form "xmin:xmax:xip,…".
func parseXip(snap string) []uint64 {
	parts := strings.SplitN(snap, ":", 3)
	if len(parts) < 3 || parts[2] == "" {
		return nil
	}
	var xip []uint64
	for _, s := range strings.Split(parts[2], ",") {
		if x, err := strconv.ParseUint(s, 10, 64); err == nil {
			xip = append(xip, x)
		}
	}
	return xip
}

// deliver settles ev and offers it to every subscriber that wants it,
// without blocking: a full buffer drops its subscriber.
func (b *Bus) deliver(ev *maillage.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settled = ev.ID
	for s := range b.subs {
		if ev.ID <= s.from || !s.filter.Selects(ev) {
			continue
		}
		select {
		case s.ch <- ev:
			b.stats.delivered.Add(1)
		default:
			b.stats.dropped.Add(1)
			b.dropLocked(s, maillage.ErrSlowConsumer)
		}
	}
}

func (b *Bus) dropLocked(s *subscriber, err error) {
	if _, ok := b.subs[s]; !ok {
		return
	}
	delete(b.subs, s)
	s.err = err
	close(s.ch)
	close(s.gone)
}

func (b *Bus) remove(s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dropLocked(s, nil)
}
