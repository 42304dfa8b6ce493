package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// Two instances on one database run the same follower: every event
// committed after it started is handled exactly once, by one or the other.
func TestFollowerHandlesEachEventOnceAcrossInstances(t *testing.T) {
	dsn := pgtest.NewURL(t)
	db1 := pgtest.Open(t, dsn)
	db2 := pgtest.Open(t, dsn)
	if _, err := db1.Exec(`CREATE TABLE handled (event_id bigint NOT NULL, instance int NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	before := publish(t, db1, "t", "BEFORE") // before the follower's first start: not handled
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i, db := range []*postgres.DB{db1, db2} {
		bus := startBus(t, db, postgres.BusConfig{})
		handle := func(ctx context.Context, tx *sqlx.Tx, evs []*maillage.Event) error {
			for _, ev := range evs {
				if _, err := tx.ExecContext(ctx, `INSERT INTO handled VALUES ($1, $2)`, ev.ID, i); err != nil {
					return err
				}
			}
			return nil
		}
		f, err := postgres.StartFollower(ctx, db, bus, "test", handle, postgres.FollowConfig{Batch: 7})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); <-f.Done() }()
	}
	var last int64
	for range 60 {
		last = publish(t, db1, "t", "E")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		pos, err := db2.FollowerPosition(context.Background(), "test")
		if err != nil {
			t.Fatal(err)
		}
		if pos >= last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("follower at %d, want %d", pos, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var n, distinct int
	var lowest int64
	if err := db1.QueryRow(`SELECT count(*), count(DISTINCT event_id), COALESCE(min(event_id), 0) FROM handled`).Scan(&n, &distinct, &lowest); err != nil {
		t.Fatal(err)
	}
	if n != 60 || distinct != 60 || lowest <= before {
		t.Fatalf("handled %d rows, %d distinct events, lowest %d (before start: %d); want 60 once each after it", n, distinct, lowest, before)
	}
}

// The outbox keeps, past its retention, what a follower active within the
// retention has not handled; a follower idle for longer holds nothing back,
// and when it resumes it is told which events it missed, once, and goes on
// with the next.
func TestPruneWaitsForActiveFollowers(t *testing.T) {
	db := pgtest.Open(t, pgtest.NewURL(t))
	bus := startBus(t, db, postgres.BusConfig{Retention: time.Hour})
	ctx := context.Background()
	start := publish(t, db, "t", "START")
	if _, err := db.Exec(`INSERT INTO outbox_followers (name, position) VALUES ('behind', $1)`, start); err != nil {
		t.Fatal(err)
	}
	var last int64
	for range 3 {
		last = publish(t, db, "t", "OLD")
	}
	if _, err := db.Exec(`UPDATE events SET created_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	pruneThrough(t, db, bus, start) // what the follower has handled goes
	var kept int
	if err := db.Get(&kept, `SELECT count(*) FROM events WHERE id > $1`, start); err != nil {
		t.Fatal(err)
	}
	if kept != 3 {
		t.Fatalf("%d of the 3 events the active follower has not handled are left", kept)
	}

	// Idle for longer than the retention: its events go.
	if _, err := db.Exec(`UPDATE outbox_followers SET updated_at = now() - interval '2 hours' WHERE name = 'behind'`); err != nil {
		t.Fatal(err)
	}
	pruneThrough(t, db, bus, last)
	var (
		mu      sync.Mutex
		missed  [][2]int64
		handled []int64
	)
	handle := func(ctx context.Context, tx *sqlx.Tx, evs []*maillage.Event) error {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			handled = append(handled, ev.ID)
		}
		return nil
	}
	told := func(from, through int64) {
		mu.Lock()
		defer mu.Unlock()
		missed = append(missed, [2]int64{from, through})
	}
	missedBefore := postgres.MissedEvents()
	fctx, stop := context.WithCancel(ctx)
	f, err := postgres.StartFollower(fctx, db, bus, "behind", handle, postgres.FollowConfig{Tick: 20 * time.Millisecond, Missed: told})
	if err != nil {
		t.Fatal(err)
	}
	next := publish(t, db, "t", "NEW")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		done := len(handled) > 0 && len(missed) > 0
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: handled %v, told %v", handled, missed)
		}
	}
	time.Sleep(100 * time.Millisecond) // a few more steps: nothing more to tell
	stop()
	<-f.Done()
	if got := postgres.MissedEvents() - missedBefore; got < last-start {
		t.Fatalf("MissedEvents grew by %d, want at least %d", got, last-start)
	}
	if len(missed) != 1 || missed[0][0] != start || missed[0][1] < last {
		t.Fatalf("told it missed %v, want once (%d, ≥%d)", missed, start, last)
	}
	if len(handled) != 1 || handled[0] != next {
		t.Fatalf("handled %v, want only the new event %d", handled, next)
	}
}

// A follower idle for longer than the retention resumes while a prune
// commits: the events the prune deleted after the follower read how far
// the outbox was pruned, and before it read the events, are told as
// missed, not skipped silently. The prune here holds the outbox (as a
// long one would) until the follower waits on it.
func TestFollowerToldOfAPruneCommittedDuringItsStep(t *testing.T) {
	db := pgtest.Open(t, pgtest.NewURL(t))
	bus := startBus(t, db, postgres.BusConfig{Retention: time.Hour})
	ctx := context.Background()
	waitSettled(t, bus, publish(t, db, "t", "START"))
	var (
		missed  [][2]int64
		handled []int64
	)
	handle := func(ctx context.Context, tx *sqlx.Tx, evs []*maillage.Event) error {
		for _, ev := range evs {
			handled = append(handled, ev.ID)
		}
		return nil
	}
	told := func(from, through int64) { missed = append(missed, [2]int64{from, through}) }
	fctx, stop := context.WithCancel(ctx)
	f, err := postgres.StartFollower(fctx, db, bus, "resuming", handle, postgres.FollowConfig{Missed: told})
	if err != nil {
		t.Fatal(err)
	}
	stop() // the steps below are the test's own
	<-f.Done()
	from, err := db.FollowerPosition(ctx, "resuming")
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for range 3 {
		last = publish(t, db, "t", "OLD")
	}
	next := publish(t, db, "t", "NEW")
	waitSettled(t, bus, next)

	prune := holdPrune(t, db, last)
	stepped := make(chan error, 1)
	go func() {
		_, err := f.Step(ctx)
		stepped <- err
	}()
	prune.commitOnceWaitedFor(t, db, "the follower's step")
	if err := <-stepped; err != nil {
		t.Fatal(err)
	}
	if len(missed) != 1 || missed[0] != [2]int64{from, last} {
		t.Fatalf("told it missed %v, want once (%d, %d)", missed, from, last)
	}
	if len(handled) != 1 || handled[0] != next {
		t.Fatalf("handled %v, want only the event after the prune %d", handled, next)
	}
}
