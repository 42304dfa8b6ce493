package postgres_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// TestFollowerWaitsForLateCommitsAndRetriesFailures runs one follower name
// on two instances (two pools, two buses, one database) while events commit
// out of id order and the handler sometimes fails after writing: every event
// is handled exactly once in all, in id order, none is skipped behind a late
// commit, and the failed steps' writes are gone.
func TestFollowerWaitsForLateCommitsAndRetriesFailures(t *testing.T) {
	a := pgtest.New(t)
	b := pgtest.Open(t, a.DSN)
	if _, err := a.Exec(`CREATE TABLE follow_seen (id bigint NOT NULL, instance text NOT NULL, seq bigserial)`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var failures atomic.Int64
	cfg := postgres.FollowConfig{Batch: 7, Tick: 50 * time.Millisecond}
	handler := func(instance string) postgres.FollowHandler {
		return func(ctx context.Context, tx *sqlx.Tx, evs []*maillage.Event) error {
			for _, ev := range evs {
				if _, err := tx.ExecContext(ctx, `INSERT INTO follow_seen (id, instance) VALUES ($1, $2)`, ev.ID, instance); err != nil {
					return err
				}
			}
			if evs[0].ID%5 == 0 && failures.Add(1) < 4 { // fails after writing: the rows must go
				return errors.New("handler failed")
			}
			return nil
		}
	}
	for name, db := range map[string]*postgres.DB{"a": a, "b": b} {
		f, err := postgres.StartFollower(ctx, db, startBus(t, db, postgres.BusConfig{}), "test", handler(name), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); <-f.Done() }()
	}

	// A transaction takes an id and commits after later ones.
	late, err := a.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.AppendEvent(ctx, late, postgres.Event{Topic: "t", Type: "LATE", SubjectID: "x", Domain: "fr"}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := []*postgres.DB{a, b}[i%2]
			for range 20 {
				id := publish(t, db, "t", "E")
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var lateID int64
	if err := late.Get(&lateID, `SELECT currval('events_id_seq')`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the followers must not pass the open id meanwhile
	if pos, _ := a.FollowerPosition(ctx, "test"); pos >= lateID {
		t.Fatalf("cursor %d passed the uncommitted event %d", pos, lateID)
	}
	if err := late.Commit(); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, lateID)
	slices.Sort(ids)
	last := ids[len(ids)-1]
	waitUntil(t, func() bool { pos, _ := a.FollowerPosition(ctx, "test"); return pos >= last })

	var seen []int64
	if err := a.Select(&seen, `SELECT id FROM follow_seen ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, ids) {
		t.Fatalf("handled %v, want each of %v once, in id order", seen, ids)
	}
	var instances int
	if err := a.Get(&instances, `SELECT count(DISTINCT instance) FROM follow_seen`); err != nil {
		t.Fatal(err)
	}
	if failures.Load() < 1 {
		t.Fatal("no handler failure happened: the test proves nothing about retries")
	}
	t.Logf("%d events handled by %d instance(s), %d failed steps retried", len(ids), instances, failures.Load())
}

// waitUntil polls cond for a generous while.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}
