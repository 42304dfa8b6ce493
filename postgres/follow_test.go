package postgres_test

import (
	"context"
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
