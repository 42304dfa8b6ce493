package server_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// closeCode reads until the hub closes the connection and returns the code.
func (c *wsClient) closeCode() int {
	c.t.Helper()
	for {
		_, err := c.read()
		if ce, ok := err.(*websocket.CloseError); ok {
			return ce.Code
		}
		if err != nil {
			c.t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

// The graphql-transport-ws close codes of its PROTOCOL.md, which clients act
// on (graphql-ws does not retry after 4400, 4401, 4409, 4429).
func TestWebsocketProtocolErrorsCloseWithTheProtocolsCodes(t *testing.T) {
	h := newHub(t, pgtest.Seeded(t), server.Config{})
	tok := map[string]any{"token": h.token("admin")}
	territory := h.id(rouenNord)
	cases := []struct {
		name string
		act  func(c *wsClient)
		want int
	}{
		{"subscribe before connection_init", func(c *wsClient) { c.subscribe("1", activityQuery, map[string]any{"t": territory}) }, 4401},
		{"a second connection_init", func(c *wsClient) {
			c.send(msg{Type: "connection_init", Payload: mustJSON(tok)})
			if m, err := c.read(); err != nil || m.Type != "connection_ack" {
				t.Fatalf("init: %v %v", m, err)
			}
			c.send(msg{Type: "connection_init", Payload: mustJSON(tok)})
		}, 4429},
		{"two subscriptions with one id", func(c *wsClient) {
			c.send(msg{Type: "connection_init", Payload: mustJSON(tok)})
			c.subscribe("1", activityQuery, map[string]any{"t": territory})
			c.subscribe("1", activityQuery, map[string]any{"t": territory})
		}, 4409},
		{"a message that is not JSON", func(c *wsClient) { c.conn.WriteMessage(websocket.TextMessage, []byte("{nope")) }, 4400},
		{"a message of no known type", func(c *wsClient) {
			c.send(msg{Type: "connection_init", Payload: mustJSON(tok)})
			c.send(msg{Type: "next", ID: "1"})
		}, 4400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := dialWS(t, h, "graphql-transport-ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			c.t = t
			tc.act(c)
			if got := c.closeCode(); got != tc.want {
				t.Fatalf("close code %d, want %d", got, tc.want)
			}
		})
	}
}

// A subscription holds no goroutine of its own: its events are read and
// written by the shared workers when the bus signals one (gqlgen's transport
// kept one goroutine per subscription, and three per connection).
func TestSubscriptionsHoldNoGoroutine(t *testing.T) {
	h := newHub(t, pgtest.Seeded(t), server.Config{})
	territory := h.id(rouenNord)
	const admin, subs = "admin", 40
	c, ack, err := connect(t, h, "graphql-transport-ws", map[string]any{"token": h.token(admin)})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connect: %v %v", ack, err)
	}
	cursor := h.cursor(admin)
	warm := h.createStructure(admin, territory, "MSP échauffement")
	before := runtime.NumGoroutine()
	for i := range subs {
		c.subscribe(fmt.Sprint(i), activityQuery, map[string]any{"t": territory, "after": cursor})
	}
	// Every subscription has replayed the first structure and is live.
	for range subs {
		if ev := c.nextActivity(""); ev.SubjectID != warm {
			t.Fatalf("got %+v, want %s", ev, warm)
		}
	}
	during := runtime.NumGoroutine()
	if during-before >= subs/2 {
		t.Fatalf("%d subscriptions took %d goroutines (%d before, %d with them)", subs, during-before, before, during)
	}
	// And each still gets the next event.
	live := h.createStructure(admin, territory, "MSP en direct")
	for range subs {
		if ev := c.nextActivity(""); ev.SubjectID != live {
			t.Fatalf("got %+v, want %s", ev, live)
		}
	}
}
