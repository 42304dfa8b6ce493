package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/maillage/maillage/graph"
)

// wsHub serves the GraphQL schema over websockets with WebsocketInit, as the
// subscriptions transport will.
func wsHub(t *testing.T, h *hub) string {
	t.Helper()
	gql := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: h.srv.resolver}))
	gql.AddTransport(transport.Websocket{InitFunc: h.srv.WebsocketInit, KeepAlivePingInterval: time.Hour})
	ts := httptest.NewServer(h.srv.authenticate(gql))
	t.Cleanup(ts.Close)
	return "ws" + strings.TrimPrefix(ts.URL, "http")
}

// dialInit opens a websocket with a subprotocol and sends connection_init.
func dialInit(t *testing.T, url, protocol string, payload map[string]any) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	msg, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": payload})
	if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
		t.Fatal(err)
	}
	return c
}

// readAll reads messages until the connection closes (or 10 s pass), and
// returns their types and texts, and the close status.
func readAll(c *websocket.Conn) (msgs []string, status websocket.StatusCode, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return msgs, ce.Code, ce.Reason
			}
			return msgs, -1, err.Error()
		}
		msgs = append(msgs, string(b))
	}
}
