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
	// Buffer is how many events may wait for one live subscriber; one more
	// and the subscriber falls behind: it catches up from the outbox (the
	// bus holds nothing more for it), so memory stays bounded.
	Buffer int
	// StallTimeout cuts a subscriber that takes no event for this long while
	// one is ready for it: a consumer that stopped reading (ErrSlowConsumer).
	StallTimeout time.Duration
	// GuardRetry is how long a subscriber's stream retries reading the outbox
	// or deciding its guard while the database is away, before ending with
	// ErrEventsUnavailable (the client resumes from its last cursor).
	GuardRetry time.Duration
	// Batch is how many outbox rows one read returns.
	Batch int
	// SafetyTick re-reads the outbox even without a notification (a lost
	// notification costs at most this delay).
	SafetyTick time.Duration
	// GapRecheck is how often a missing id is looked for again while later
	// ids wait behind it.
	GapRecheck time.Duration
	// GapTimeout is the longest a missing id is waited for while
	// transactions that could hold it are still open (a hub transaction
	// ends within its request's deadline; past this, the bus logs the open
	// transactions and goes on, and the ids they hold are not delivered live).
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
		Buffer:       32,
		StallTimeout: 30 * time.Second,
		GuardRetry:   20 * time.Second,
		Batch:        500,
		SafetyTick:   5 * time.Second,
		GapRecheck:   50 * time.Millisecond,
		GapTimeout:   5 * time.Minute,
		Retention:    7 * 24 * time.Hour,
		PruneEvery:   time.Hour,
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
	set(&c.StallTimeout, d.StallTimeout)
	set(&c.GuardRetry, d.GuardRetry)
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
// ever blocking on one.
//
// Ids come from a sequence, so a transaction may commit id 12 while the one
// holding id 11 is still running (or will roll back). The bus delivers in id
// order and never goes past a missing id (a hole) until it appears or is
// proven dead (see gap), so every cursor handed out is "settled": nothing
// below it can still appear.
type Bus struct {
	db  *DB
	cfg BusConfig

	mu          sync.Mutex
	settled     int64 // every id up to this is delivered or dead
	handing     bool  // settled+1 is being handed out (its guards run)
	settledNext chan struct{}
	subs        map[*subscriber]struct{}
	stopped     bool

	gap         *gap  // the hole the bus waits on, if any
	provenBelow int64 // the missing ids below this are proven dead
	listener    *pq.Listener
	done        chan struct{}
	stats       busCounters
}

var _ maillage.EventService = (*Bus)(nil)

// gap is the first missing id above settled (a hole), with what it takes to
// prove the hole dead.
//
// The argument. A hole h is seen by a read whose snapshot S shows a committed
// id e > h. The sequence hands out ids in increasing order, so h was drawn
// before e, hence before S was taken. appendEvent takes its transaction id
// (xid) before it draws its event id, so the transaction T holding h had its
// xid before S. Right after that read, the bus takes an xid of its own, x,
// in a transaction of its own that commits at once: xids are handed out in
// increasing order too, so T's xid < x. A later snapshot whose xmin > x
// proves that every transaction with an xid below x has ended, T included:
// h either committed (and that snapshot shows it) or is dead forever.
//
// Why not S itself: a snapshot's in-progress list (xip) holds only the xids
// below its xmax, and xmax is the latest completed xid + 1, not the next xid
// to be handed out. If T took its xid after the transaction holding e yet drew
// the lower id, and no later xid has completed, T's xid is >= S.xmax: T is
// missing from S's xip, and so S's xmin or xmax bound nothing about it. x is
// above T's xid by construction, and x has completed, so every later
// snapshot's xmax is above x and its xmin counts T.
//
// The same proof covers every missing id below e (all drawn before e), so
// holes below proven are dead at once.
type gap struct {
	start int64  // the missing id (settled+1 when seen)
	below int64  // e: the first committed id seen above it
	xid   uint64 // x: an xid taken after the read that saw the hole
	since time.Time
}

// pgSnapshot is the part of a pg_snapshot the bus uses.
type pgSnapshot struct {
	xmin uint64
	xip  []uint64
}

// parseSnapshot reads a pg_snapshot's text form "xmin:xmax:xip,…".
func parseSnapshot(text string) (pgSnapshot, error) {
	parts := strings.SplitN(text, ":", 3)
	if len(parts) < 3 {
		return pgSnapshot{}, fmt.Errorf("snapshot %q: not xmin:xmax:xip", text)
	}
	xmin, err := strconv.ParseUint(parts[0], 10, 64)
	if err != nil {
		return pgSnapshot{}, fmt.Errorf("snapshot %q: %w", text, err)
	}
	snap := pgSnapshot{xmin: xmin}
	if parts[2] != "" {
		for _, x := range strings.Split(parts[2], ",") {
			v, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				return pgSnapshot{}, fmt.Errorf("snapshot %q: %w", text, err)
			}
			snap.xip = append(snap.xip, v)
		}
	}
	return snap, nil
}

// ended reports whether every transaction with an xid below x had ended
// when snap was taken.
func (snap pgSnapshot) ended(x uint64) bool { return snap.xmin > x }

// takeXid returns a fresh xid, from a transaction of its own that has
// committed when it returns (see gap).
func (b *Bus) takeXid(ctx context.Context) (uint64, error) {
	var x uint64
	if err := b.db.QueryRowContext(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&x); err != nil {
		return 0, fmt.Errorf("take xid: %w", err)
	}
	return x, nil
}

// subscriber is one subscription (see catchUp). The fields after gone are
// guarded by Bus.mu.
type subscriber struct {
	ctx    context.Context // the subscriber's: its identity, its end
	who    context.Context // its identity and request id alone: what live guards read, in a short chain
	filter *maillage.EventFilter
	guard  eventGuard
	out    chan *maillage.Event // to the subscriber, buffered
	gone   chan struct{}        // closed when it is dropped

	live    bool  // the bus hands it events; otherwise a catch-up goroutine does
	from    int64 // live: events up to this id are not for it
	dropped bool
	err     error // why it was dropped
}

type busCounters struct {
	delivered, dropped, lagged, reads atomic.Int64
	waitingFor                        atomic.Int64
	decided                           atomic.Int64
}

// BusStats are counters for metrics.
type BusStats struct {
	Subscribers   int   // open subscriptions on this instance
	Delivered     int64 // events handed to subscribers' buffers
	SlowConsumers int64 // subscribers cut for not reading (StallTimeout)
	CaughtUp      int64 // times a live subscriber fell behind and read the outbox
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
		SlowConsumers: b.stats.dropped.Load(), CaughtUp: b.stats.lagged.Load(), Reads: b.stats.reads.Load(), Settled: b.settled,
		WaitingFor: b.stats.waitingFor.Load(), Decided: b.stats.decided.Load()}
}

// StartBus listens for events on db and runs the bus and the pruning job
// until ctx ends.
func StartBus(ctx context.Context, db *DB, cfg BusConfig) (*Bus, error) {
	b := &Bus{db: db, cfg: cfg.withDefaults(), subs: map[*subscriber]struct{}{},
		settledNext: make(chan struct{}), done: make(chan struct{})}
	b.listener = pq.NewListener(db.DSN, 100*time.Millisecond, 2*time.Second, func(ev pq.ListenerEventType, err error) {
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
// transaction that could still commit an older id has ended (the argument of
// gap, with the newest event as e).
func (b *Bus) start(ctx context.Context) error {
	var newest int64
	if err := b.db.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM events`).Scan(&newest); err != nil {
		return fmt.Errorf("event bus start: %w", err)
	}
	x, err := b.takeXid(ctx)
	if err != nil {
		return fmt.Errorf("event bus start: %w", err)
	}
	for since := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		snap, err := b.currentSnapshot(ctx)
		if err != nil {
			return fmt.Errorf("event bus start: %w", err)
		}
		if snap.ended(x) {
			break
		}
		if time.Since(since) > b.cfg.GapTimeout {
			slog.Error("event bus start: transactions older than the start still open; ids they hold will not be delivered live",
				"below", newest, "xid", x, "in_progress", snap.xip)
			break
		}
	}
	b.settled = newest
	return nil
}

// currentSnapshot returns a fresh snapshot.
func (b *Bus) currentSnapshot(ctx context.Context) (pgSnapshot, error) {
	var text string
	if err := b.db.QueryRowContext(ctx, `SELECT pg_current_snapshot()::text`).Scan(&text); err != nil {
		return pgSnapshot{}, err
	}
	return parseSnapshot(text)
}

// Settled returns the highest settled event id (nothing at or below it can
// still appear) and a channel closed when it next moves.
func (b *Bus) Settled() (int64, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.settled, b.settledNext
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
	again := time.NewTimer(time.Hour) // a hole to recheck, or a failed read to retry
	again.Stop()
	retry := b.cfg.GapRecheck
	b.prune(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.listener.Notify: // a commit, or nil after a reconnection: read at once
			drain(b.listener.Notify)
		case <-safety.C:
		case <-again.C:
		case <-prune.C:
			b.prune(ctx)
			continue
		}
		err := b.poll(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			// The database is away: read again soon, backing off, rather than
			// waiting for the safety tick (events pile up meanwhile).
			slog.Error("event bus read", "err", err, "retry_in", retry.String())
			again.Reset(retry)
			retry = min(retry*2, maxReadRetry)
		case b.gap != nil:
			retry = b.cfg.GapRecheck
			again.Reset(b.cfg.GapRecheck)
		default:
			retry = b.cfg.GapRecheck
		}
	}
}

// maxReadRetry bounds the wait between two reads while the database is away.
const maxReadRetry = time.Second

// stop closes the listener and ends every subscription.
func (b *Bus) stop() {
	b.listener.Close()
	b.mu.Lock()
	b.stopped = true
	var ended []*subscriber
	for s := range b.subs {
		if b.dropLocked(s, maillage.ErrShuttingDown) {
			ended = append(ended, s)
		}
	}
	b.mu.Unlock()
	for _, s := range ended {
		b.report(s, maillage.ErrShuttingDown)
		s.ready() // after report: the transport hears why before the end
	}
}

// poll reads the new rows and delivers them in id order, up to the first
// hole that may still fill.
func (b *Bus) poll(ctx context.Context) error {
	for {
		evs, snap, err := b.read(ctx, b.settled, b.cfg.Batch)
		if err != nil {
			return err
		}
		delivered := 0
		for _, ev := range evs {
			if ev.ID != b.settled+1 {
				dead, err := b.holeDead(ctx, ev.ID, snap)
				if err != nil || !dead {
					return err
				}
			}
			b.deliver(ctx, ev)
			delivered++
		}
		if len(evs) < b.cfg.Batch || delivered == 0 {
			return nil
		}
	}
}

// holeDead reports whether the ids between settled and next, the first
// committed id above it in snap, are dead (see gap for the argument).
func (b *Bus) holeDead(ctx context.Context, next int64, snap pgSnapshot) (bool, error) {
	start := b.settled + 1
	if next <= b.provenBelow {
		return true, nil
	}
	g := b.gap
	if g == nil || g.start != start {
		x, err := b.takeXid(ctx)
		if err != nil {
			return false, err
		}
		b.gap = &gap{start: start, below: next, xid: x, since: time.Now()}
		b.stats.waitingFor.Store(start)
		return false, nil // snap was taken before x: the next read decides
	}
	switch {
	case snap.ended(g.xid):
	case time.Since(g.since) > b.cfg.GapTimeout:
		slog.Error("event bus: gave up waiting for missing event ids; transactions that may hold them are still open",
			"from", start, "to", next-1, "xid", g.xid, "in_progress", snap.xip, "waited", time.Since(g.since).String())
	default:
		return false, nil
	}
	b.provenBelow = g.below
	b.gap = nil
	b.stats.waitingFor.Store(0)
	return true, nil
}

// scanJoinedEvent scans a row of lead's columns then an event's (id, topic,
// type, subject_id, domain, ess_id, payload, created_at) left-joined to
// them: nil where the row holds no event.
func scanJoinedEvent(rows *sql.Rows, lead ...any) (*maillage.Event, error) {
	var id sql.NullInt64
	var topic, typ, subject, domain, ess sql.NullString
	var payload []byte
	var at sql.NullTime
	if err := rows.Scan(append(lead, &id, &topic, &typ, &subject, &domain, &ess, &payload, &at)...); err != nil || !id.Valid {
		return nil, err
	}
	return &maillage.Event{ID: id.Int64, Topic: topic.String, Type: typ.String,
		SubjectID: subject.String, Domain: domain.String, ESSID: ess.String, Payload: payload, CreatedAt: at.Time}, nil
}

// read returns up to limit events after id, and the snapshot that saw them.
func (b *Bus) read(ctx context.Context, after int64, limit int) ([]*maillage.Event, pgSnapshot, error) {
	b.stats.reads.Add(1)
	const q = `SELECT s.snap, e.id, e.topic, e.type, e.subject_id, e.domain, e.ess_id, e.payload, e.created_at
		FROM (SELECT pg_current_snapshot()::text AS snap) s
		LEFT JOIN LATERAL (SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2) e ON true
		ORDER BY e.id`
	rows, err := b.db.QueryContext(ctx, q, after, limit)
	if err != nil {
		return nil, pgSnapshot{}, fmt.Errorf("read events after %d: %w", after, err)
	}
	defer rows.Close()
	var text string
	var evs []*maillage.Event
	for rows.Next() {
		ev, err := scanJoinedEvent(rows, &text)
		if err != nil {
			return nil, pgSnapshot{}, fmt.Errorf("read events: %w", err)
		}
		if ev != nil {
			evs = append(evs, ev)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, pgSnapshot{}, fmt.Errorf("read events: %w", err)
	}
	snap, err := parseSnapshot(text)
	return evs, snap, err
}

// deliver settles ev and hands it to every live subscriber that wants it,
// with its guard's verdict (one statement per guard for all of them),
// without blocking: a subscriber whose buffer is full, or whose guard could
// not decide, falls behind and catches up from the outbox.
func (b *Bus) deliver(ctx context.Context, ev *maillage.Event) {
	b.mu.Lock()
	b.handing = true
	groups := map[string][]*subscriber{}
	for s := range b.subs {
		if s.live && ev.ID > s.from && s.filter.Selects(ev) {
			groups[s.filter.Guard] = append(groups[s.filter.Guard], s)
		}
	}
	b.mu.Unlock()
	verdicts := make(map[string][]bool, len(groups))
	for name, subs := range groups {
		checks := make([]guardCheck, len(subs))
		for i, s := range subs {
			checks[i] = guardCheck{sub: s.who, ev: ev}
		}
		ok, err := eventGuards[name](ctx, b.db, checks)
		if err != nil {
			slog.Warn("event guard failed: its subscribers catch up from the outbox", "event", ev.ID, "guard", name, "err", err)
		}
		verdicts[name] = ok // nil on error
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for name, subs := range groups {
		ok := verdicts[name]
		for i, s := range subs {
			switch {
			case !s.live: // left meanwhile
			case ok == nil:
				b.lagLocked(s, ev.ID-1)
			case !ok[i]:
				b.stats.decided.Add(1)
				if s.filter.EndWhenDenied {
					if b.dropLocked(s, errDenied) { // completes the stream
						s.ready()
					}
				}
			default:
				b.stats.decided.Add(1)
				select {
				case s.out <- ev:
					s.ready()
					b.delivered(ev)
				default:
					b.lagLocked(s, ev.ID-1)
				}
			}
		}
	}
	b.settled = ev.ID
	b.handing = false
	close(b.settledNext)
	b.settledNext = make(chan struct{})
}

// lagLocked lets live s fall behind: every event of its up to resume is in
// its buffer; a catch-up goroutine reads the rest from the outbox.
func (b *Bus) lagLocked(s *subscriber, resume int64) {
	b.stats.lagged.Add(1)
	s.live = false
	go b.catchUp(s, resume)
}

// dropLocked ends s with err and reports whether it closed s's channel
// (s was live: its caller then reports err, then calls s.ready); otherwise
// s's catch-up goroutine closes it.
func (b *Bus) dropLocked(s *subscriber, err error) bool {
	if s.dropped {
		return false
	}
	delete(b.subs, s)
	s.dropped, s.err = true, err
	close(s.gone)
	if !s.live {
		return false
	}
	s.live = false
	close(s.out)
	return true
}

// ready tells s's transport that out has an event, or is closed.
func (s *subscriber) ready() {
	if s.filter.Ready != nil {
		s.filter.Ready()
	}
}
