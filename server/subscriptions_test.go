package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// hub is one hub instance on a test database, served by httptest.
type hub struct {
	t   *testing.T
	db  *postgres.DB
	srv *server.Server
	ts  *httptest.Server
}

func newHub(t *testing.T, db *postgres.DB, cfg server.Config) *hub {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.CloseClientConnections(); ts.Close(); cancel(); <-srv.Bus().Done() })
	return &hub{t: t, db: db, srv: srv, ts: ts}
}

func (h *hub) token(login string, ttl time.Duration) string {
	h.t.Helper()
	tok, err := server.DevToken(context.Background(), server.Config{}, h.db, login, ttl)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// post runs a GraphQL operation over HTTP and returns its data, failing on errors.
func (h *hub) post(token, query string, vars map[string]any) map[string]any {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", h.ts.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   map[string]any
		Errors []any
	}
	json.NewDecoder(res.Body).Decode(&out)
	if len(out.Errors) > 0 {
		h.t.Fatalf("%s: %v", query, out.Errors)
	}
	return out.Data
}

// cursor is the hub's latest event cursor, asked as a client would.
func (h *hub) cursor(token string) string {
	return h.post(token, `{ eventCursor }`, nil)["eventCursor"].(string)
}

func (h *hub) id(q string, args ...any) string {
	h.t.Helper()
	var id string
	if err := h.db.Get(&id, q, args...); err != nil {
		h.t.Fatal(err)
	}
	return id
}

// createStructure creates an MSP in the territory as admin; returns its id.
func (h *hub) createStructure(adminToken, territoryID, name string) string {
	d := h.post(adminToken, `mutation($t: ID!, $n: String!) { createStructure(input: {kind: MSP, name: $n, territoryId: $t}) { id } }`,
		map[string]any{"t": territoryID, "n": name})
	return d["createStructure"].(map[string]any)["id"].(string)
}

// wsClient speaks graphql-transport-ws or the legacy graphql-ws over gorilla.
type wsClient struct {
	t     *testing.T
	conn  *websocket.Conn
	proto string
}

// msg is a protocol message.
type msg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func dialWS(t *testing.T, h *hub, proto string, header http.Header) (*wsClient, *http.Response, error) {
	d := websocket.Dialer{Subprotocols: []string{proto}}
	conn, res, err := d.Dial("ws"+strings.TrimPrefix(h.ts.URL, "http")+"/graphql", header)
	if err != nil {
		return nil, res, err
	}
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn, proto: proto}, res, nil
}

// connect dials and sends connection_init with payload, returning the
// client and the first answer (connection_ack, or a close error).
func connect(t *testing.T, h *hub, proto string, payload map[string]any) (*wsClient, msg, error) {
	t.Helper()
	c, _, err := dialWS(t, h, proto, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.send(msg{Type: "connection_init", Payload: mustJSON(payload)})
	m, err := c.read()
	return c, m, err
}

func mustJSON(v any) json.RawMessage { b, _ := json.Marshal(v); return b }

func (c *wsClient) send(m msg) {
	c.t.Helper()
	if err := c.conn.WriteJSON(m); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next message other than keep-alives (answering pings).
func (c *wsClient) read() (msg, error) {
	for {
		c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		var m msg
		if err := c.conn.ReadJSON(&m); err != nil {
			return m, err
		}
		if testing.Verbose() {
			c.t.Logf("<- %s %s %.200s", m.Type, m.ID, m.Payload)
		}
		switch m.Type {
		case "ka", "pong":
			continue
		case "ping":
			c.send(msg{Type: "pong"})
			continue
		}
		return m, nil
	}
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	typ := "subscribe"
	if c.proto == "graphql-ws" {
		typ = "start"
	}
	c.send(msg{Type: typ, ID: id, Payload: mustJSON(map[string]any{"query": query, "variables": vars})})
}

// activity is one territoryActivity event as received.
type activity struct {
	Cursor, Type, SubjectID string
}

// nextActivity reads the next data message of subscription id.
func (c *wsClient) nextActivity(id string) activity {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("read %s: %v", id, err)
	}
	if (m.Type != "next" && m.Type != "data") || m.ID != id {
		c.t.Fatalf("got %s %s %s, want data of %s", m.Type, m.ID, m.Payload, id)
	}
	var p struct {
		Data struct {
			TerritoryActivity activity
		}
		Errors []any
	}
	json.Unmarshal(m.Payload, &p)
	if len(p.Errors) > 0 {
		c.t.Fatalf("errors: %v", p.Errors)
	}
	return p.Data.TerritoryActivity
}

const activityQuery = `subscription($t: ID!, $after: String) { territoryActivity(territoryId: $t, after: $after) { cursor type subjectId domain at } }`

const rouenNord = `SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'`

func TestMutationOnOneInstanceReachesSubscriberOnAnother(t *testing.T) {
	db := pgtest.Seeded(t)
	a := newHub(t, db, server.Config{})
	b := newHub(t, pgtest.Open(t, db.DSN), server.Config{})
	territory := a.id(rouenNord)
	c, ack, err := connect(t, b, "graphql-transport-ws", map[string]any{"Authorization": "Bearer " + b.token("10003456781", time.Hour)})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connect: %v %v", ack, err)
	}
	admin := a.token("admin", time.Hour)
	c.subscribe("1", activityQuery, map[string]any{"t": territory, "after": b.cursor(admin)})
	id := a.createStructure(admin, territory, "MSP de test")
	ev := c.nextActivity("1")
	if ev.Type != "STRUCTURE_CREATED" || ev.SubjectID != id || ev.Cursor == "" {
		t.Fatalf("got %+v, want STRUCTURE_CREATED of %s", ev, id)
	}
}

func TestLegacyGraphQLWSProtocolResumesFromCursor(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{})
	territory := h.id(rouenNord)
	admin := h.token("admin", time.Hour)
	c, ack, err := connect(t, h, "graphql-ws", map[string]any{"token": h.token("10003456781", time.Hour)})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connect: %v %v", ack, err)
	}
	c.subscribe("s1", activityQuery, map[string]any{"t": territory, "after": h.cursor(admin)})
	first := h.createStructure(admin, territory, "MSP une")
	got := c.nextActivity("s1")
	if got.SubjectID != first {
		t.Fatalf("got %+v, want %s", got, first)
	}
	c.conn.Close()
	// Missed while disconnected: two in the territory, one elsewhere.
	missed := []string{h.createStructure(admin, territory, "MSP deux"), h.createStructure(admin, territory, "MSP trois")}
	h.createStructure(admin, h.id(`SELECT id FROM territories WHERE path = 'fr/84/69/cpts-lyon-8'`), "MSP ailleurs")
	c2, _, _ := connect(t, h, "graphql-ws", map[string]any{"token": h.token("10003456781", time.Hour)})
	c2.subscribe("s2", activityQuery, map[string]any{"t": territory, "after": got.Cursor})
	for _, want := range missed {
		if ev := c2.nextActivity("s2"); ev.SubjectID != want || ev.Type != "STRUCTURE_CREATED" {
			t.Fatalf("replay: got %+v, want %s", ev, want)
		}
	}
	live := h.createStructure(admin, territory, "MSP quatre")
	if ev := c2.nextActivity("s2"); ev.SubjectID != live {
		t.Fatalf("live: got %+v, want %s", ev, live)
	}
}

func TestCoordinatorWhoLosesAccessStopsReceiving(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{})
	territory := h.id(rouenNord)
	admin := h.token("admin", time.Hour)
	claire, _, _ := connect(t, h, "graphql-transport-ws", map[string]any{"token": h.token("10003456781", time.Hour)})
	claire.subscribe("1", activityQuery, map[string]any{"t": territory, "after": h.cursor(admin)})
	before := h.createStructure(admin, territory, "MSP avant")
	if ev := claire.nextActivity("1"); ev.SubjectID != before {
		t.Fatalf("got %+v", ev)
	}
	membership := h.id(`SELECT m.id FROM memberships m JOIN professionals p ON p.id = m.professional_id
		WHERE p.rpps = '10003456781' AND m.role = 'COORDINATOR' AND m.ended_at IS NULL`)
	h.post(admin, `mutation($id: ID!) { endMembership(id: $id) { id } }`, map[string]any{"id": membership})
	// What the authz reload listener (issue 3) does on maillage_authz.
	if err := h.db.Authz.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	hidden := h.createStructure(admin, territory, "MSP pendant")
	// She gets the coordination back; the next structure reaches her, and
	// the one created while she had no access never did.
	pro := h.id(`SELECT id FROM professionals WHERE rpps = '10003456781'`)
	cpts := h.id(`SELECT id FROM structures WHERE name = 'CPTS Rouen Nord'`)
	h.post(admin, `mutation($p: ID!, $s: ID!) { addMembership(input: {professionalId: $p, structureId: $s, role: COORDINATOR}) { id } }`,
		map[string]any{"p": pro, "s": cpts})
	if err := h.db.Authz.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := h.createStructure(admin, territory, "MSP après")
	for {
		ev := claire.nextActivity("1")
		if ev.SubjectID == hidden {
			t.Fatalf("received %+v while without access", ev)
		}
		if ev.SubjectID == after {
			break
		}
	}
}

func TestWebsocketRefusesBadTokenAndForeignOrigin(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{AllowedOrigins: []string{"https://portail.example.fr"}})
	_, _, err := connect(t, h, "graphql-transport-ws", map[string]any{"Authorization": "Bearer " + h.token("admin", time.Hour) + "x"})
	if !websocket.IsCloseError(err, server.CloseTokenRefused) || !strings.Contains(err.Error(), "invalid or expired token") {
		t.Fatalf("tampered token: got %v, want close 4403", err)
	}
	if _, res, err := dialWS(t, h, "graphql-transport-ws", http.Header{"Origin": {"https://evil.example.com"}}); err == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v", err)
	}
	if _, _, err := dialWS(t, h, "graphql-transport-ws", http.Header{"Origin": {"https://portail.example.fr"}}); err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
}

func TestTokenExpiryEndsTheConnection(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{})
	c, ack, err := connect(t, h, "graphql-transport-ws", map[string]any{"token": h.token("admin", 2*time.Second)})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connect: %v %v", ack, err)
	}
	c.subscribe("1", activityQuery, map[string]any{"t": h.id(rouenNord)})
	_, err = c.read()
	if !websocket.IsCloseError(err, server.CloseTokenExpired) || !strings.Contains(err.Error(), "token expired") {
		t.Fatalf("got %v, want close 4401 token expired", err)
	}
}

func TestSubscriptionsPerConnectionAreBounded(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{MaxSubscriptionsPerConnection: 2})
	c, _, _ := connect(t, h, "graphql-transport-ws", map[string]any{"token": h.token("admin", time.Hour)})
	territory := h.id(rouenNord)
	for i := 1; i <= 3; i++ {
		c.subscribe(fmt.Sprint(i), activityQuery, map[string]any{"t": territory})
	}
	m, err := c.read()
	if err != nil || m.Type != "next" || !strings.Contains(string(m.Payload), "too many subscriptions") {
		t.Fatalf("got %s %s %s, %v", m.Type, m.ID, m.Payload, err)
	}
}
