package server_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// Malformed connection_init payloads, sent as a hostile or broken client
// would: each is refused with 4400 and a reason that says what is wrong,
// never acknowledged (not even as anonymous) and never answered with the
// hub's Go types.
func TestMalformedConnectionInitIsRefusedClearly(t *testing.T) {
	h := seededHub(t)
	for _, c := range []struct {
		name, frame, reason string
	}{
		{"string payload", `{"type":"connection_init","payload":"Bearer abc"}`, "payload is not an object"},
		{"token as a number", `{"type":"connection_init","payload":{"token":123}}`, "token must be a string"},
		{"token as an object", `{"type":"connection_init","payload":{"token":{"jwt":"x"}}}`, "token must be a string"},
		{"Authorization as a number", `{"type":"connection_init","payload":{"Authorization":5}}`, "Authorization must be a string"},
		{"bad JSON", `{"type":"connection_init","payload":{`, "Invalid message"},
		{"type not a string", `{"type":7}`, "Invalid message"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ws, _, err := dialWS(t, h, "graphql-transport-ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ws.conn.WriteMessage(websocket.TextMessage, []byte(c.frame)); err != nil {
				t.Fatal(err)
			}
			m, err := ws.read()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("want a close, got %+v %v", m, err)
			}
			if ce.Code != 4400 || !strings.Contains(ce.Text, c.reason) {
				t.Errorf("close %d %q, want 4400 naming %q", ce.Code, ce.Text, c.reason)
			}
			for _, goType := range []string{"map[string]", "json:", "Go value", "interface", "struct"} {
				if strings.Contains(ce.Text, goType) {
					t.Errorf("the reason %q names a Go type", ce.Text)
				}
			}
		})
	}
}
