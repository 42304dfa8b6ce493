package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// opResult reads the next message, which must be the result ("next") of
// operation id, followed by its "complete".
func (c *wsClient) opResult(id string) response {
	c.t.Helper()
	m, err := c.read()
	if err != nil || m.Type != "next" || m.ID != id {
		c.t.Fatalf("want the result of %s, got %s %s %s, %v", id, m.Type, m.ID, m.Payload, err)
	}
	var r response
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		c.t.Fatal(err)
	}
	if m, err := c.read(); err != nil || m.Type != "complete" || m.ID != id {
		c.t.Fatalf("want complete of %s, got %s %s %s, %v", id, m.Type, m.ID, m.Payload, err)
	}
	return r
}

// TestWebsocketQueryIsBoundedByTheRequestTimeout: a query over a websocket
// has the deadline of a request over HTTP: while it waits on PostgreSQL
// (here for a lock a test transaction holds), past RequestTimeout its
// statement is cancelled and its id gets SERVICE_UNAVAILABLE then complete;
// the connection stays open, its next query is answered, and a subscription
// on it outlives the timeout.
func TestWebsocketQueryIsBoundedByTheRequestTimeout(t *testing.T) {
	h := newHub(t, pgtest.Seeded(t), server.Config{RequestTimeout: time.Second})
	ctx := context.Background()
	territory := h.id(rouenNord)
	c, ack, err := connect(t, h, "graphql-transport-ws", map[string]any{"Authorization": "Bearer " + h.token("10003456781")}) // a coordinator, who follows her territory
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connect: %v %v", ack, err)
	}
	c.subscribe("activity", activityQuery, map[string]any{"t": territory, "after": h.cursor("admin")})
	if id := h.createStructure("admin", territory, "MSP avant le délai"); c.nextActivity("activity").SubjectID != id {
		t.Fatalf("the subscription does not follow")
	}

	lock, err := h.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.ExecContext(ctx, `LOCK TABLE territories IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	const count = `{ territories(first: 1) { totalCount } }`
	c.subscribe("slow", count, nil)
	r := c.opResult("slow")
	if r.code() != maillage.EUNAVAILABLE || r.Data != nil {
		t.Fatalf("past the timeout: want SERVICE_UNAVAILABLE without data, got %+v", r)
	}
	// Its statement is cancelled, not left waiting for the lock.
	within(t, 5*time.Second, "the statement cancelled", func() bool {
		var waiting int
		err := h.db.GetContext(ctx, &waiting, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`)
		return err == nil && waiting == 0
	})
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}

	c.subscribe("again", count, nil)
	r = c.opResult("again")
	if r.Errors != nil || jpath(r.Data, "territories.totalCount") == 0.0 {
		t.Fatalf("the next query on the same connection: got %+v", r)
	}
	id := h.createStructure("admin", territory, "MSP après le délai")
	if ev := c.nextActivity("activity"); ev.SubjectID != id {
		t.Fatalf("the subscription, past the timeout: got %+v, want %s", ev, id)
	}
}
