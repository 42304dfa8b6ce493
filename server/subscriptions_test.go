package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// cursor is the hub's latest event cursor, asked as login would.
func (h *hub) cursor(login string) string {
	return h.ok(login, `{ eventCursor }`, nil)["eventCursor"].(string)
}

// createStructure creates an MSP in the territory as admin; returns its id.
func (h *hub) createStructure(admin, territoryID, name string) string {
	d := h.ok(admin, `mutation($t: ID!, $n: String!) { createStructure(input: {kind: MSP, name: $n, territoryId: $t}) { id } }`,
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
	conn, res, err := d.Dial("ws"+strings.TrimPrefix(h.url, "http")+"/graphql", header)
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

// nextActivity reads the next data message of subscription id (of any
// subscription when id is "").
func (c *wsClient) nextActivity(id string) activity {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("read %s: %v", id, err)
	}
	if (m.Type != "next" && m.Type != "data") || (id != "" && m.ID != id) {
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
	c, ack, err := connect(t, b, "graphql-transport-ws", map[string]any{"Authorization": "Bearer " + b.token("10003456781")})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connect: %v %v", ack, err)
	}
	const admin = "admin"
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
	const admin = "admin"
	c, ack, err := connect(t, h, "graphql-ws", map[string]any{"token": h.token("10003456781")})
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
	c2, _, _ := connect(t, h, "graphql-ws", map[string]any{"token": h.token("10003456781")})
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
	const admin = "admin"
	claire, _, _ := connect(t, h, "graphql-transport-ws", map[string]any{"token": h.token("10003456781")})
	claire.subscribe("1", activityQuery, map[string]any{"t": territory, "after": h.cursor(admin)})
	before := h.createStructure(admin, territory, "MSP avant")
	if ev := claire.nextActivity("1"); ev.SubjectID != before {
		t.Fatalf("got %+v", ev)
	}
	membership := h.id(`SELECT m.id FROM memberships m JOIN professionals p ON p.id = m.professional_id
		WHERE p.rpps = '10003456781' AND m.role = 'COORDINATOR' AND m.ended_at IS NULL`)
	h.ok(admin, `mutation($id: ID!) { endMembership(id: $id) { id } }`, map[string]any{"id": membership})
	// What every instance's authz listener does within a second (ListenAuthz);
	// done here at once so that the test waits on no clock.
	if err := h.db.Authz.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	hidden := h.createStructure(admin, territory, "MSP pendant")
	// Her subscription decides on that event before she gets access back:
	// guards decide at delivery, with the rights of that moment, and the bus
	// settles an event only once every live subscriber's guard has decided on
	// it. (Counting decisions would not do: the membership's own event may
	// be decided after the count is read.)
	var hiddenEvent int64
	if err := h.db.Get(&hiddenEvent, `SELECT max(id) FROM events WHERE subject_id = $1`, hidden); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); h.srv.Bus().Stats().Settled < hiddenEvent; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the event created without access was never decided on")
		}
	}
	// She gets the coordination back; the next structure reaches her, and
	// the one created while she had no access never did.
	pro := h.id(`SELECT id FROM professionals WHERE rpps = '10003456781'`)
	cpts := h.id(`SELECT id FROM structures WHERE name = 'CPTS Rouen Nord'`)
	h.ok(admin, `mutation($p: ID!, $s: ID!) { addMembership(input: {professionalId: $p, structureId: $s, role: COORDINATOR}) { id } }`,
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
	_, _, err := connect(t, h, "graphql-transport-ws", map[string]any{"Authorization": "Bearer " + h.token("admin") + "x"})
	if !websocket.IsCloseError(err, server.CloseUnauthenticated) || !strings.Contains(err.Error(), "invalid or expired token") {
		t.Fatalf("tampered token: got %v, want close 4401", err)
	}
	if _, res, err := dialWS(t, h, "graphql-transport-ws", http.Header{"Origin": {"https://evil.example.com"}}); err == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v", err)
	}
	if _, _, err := dialWS(t, h, "graphql-transport-ws", http.Header{"Origin": {"https://portail.example.fr"}}); err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	// The explorer served by the hub itself, reached under any host name.
	if _, _, err := dialWS(t, h, "graphql-transport-ws", http.Header{"Origin": {h.url}}); err != nil {
		t.Fatalf("same origin: %v", err)
	}
}

func TestTokenExpiryEndsTheConnection(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{})
	c, ack, err := connect(t, h, "graphql-transport-ws", map[string]any{"token": h.signed("admin", 2*time.Second)})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connect: %v %v", ack, err)
	}
	c.subscribe("1", activityQuery, map[string]any{"t": h.id(rouenNord)})
	_, err = c.read()
	if !websocket.IsCloseError(err, server.CloseUnauthenticated) || !strings.Contains(err.Error(), "token expired") {
		t.Fatalf("got %v, want close 4401 token expired", err)
	}
}

func TestSubscriptionsPerConnectionAreBounded(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{MaxSubscriptionsPerConnection: 2})
	c, _, _ := connect(t, h, "graphql-transport-ws", map[string]any{"token": h.token("admin")})
	territory := h.id(rouenNord)
	for i := 1; i <= 3; i++ {
		c.subscribe(fmt.Sprint(i), activityQuery, map[string]any{"t": territory})
	}
	m, err := c.read()
	if err != nil || m.Type != "next" || !strings.Contains(string(m.Payload), "too many subscriptions") {
		t.Fatalf("got %s %s %s, %v", m.Type, m.ID, m.Payload, err)
	}
}

// careEvent is one CareEvent as received.
type careEvent struct {
	Cursor, Type, Topic, SubjectID, Payload string
}

func (c *wsClient) nextCare(id, field string) careEvent {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("read %s: %v", id, err)
	}
	var p struct {
		Data   map[string]careEvent
		Errors []any
	}
	json.Unmarshal(m.Payload, &p)
	if m.Type != "next" || m.ID != id || len(p.Errors) > 0 {
		c.t.Fatalf("got %s %s %s, want an event of %s", m.Type, m.ID, m.Payload, id)
	}
	return p.Data[field]
}

func TestTeamMemberWhoLeavesStopsReceivingTheTeamsEvents(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{})
	const claire, nurse = "10003456781", "10003456783" // both members of the seeded Dupont team
	escap := h.id(`SELECT e.id FROM escaps e JOIN escap_members m ON m.escap_id = e.id JOIN professionals p ON p.id = m.professional_id
		WHERE p.rpps = $1 AND e.status = 'ACTIVE' AND m.left_at IS NULL LIMIT 1`, nurse)
	member := h.id(`SELECT m.id FROM escap_members m JOIN professionals p ON p.id = m.professional_id
		WHERE m.escap_id = $1 AND p.rpps = $2 AND m.left_at IS NULL`, escap, nurse)
	nurseID := h.id(`SELECT id FROM professionals WHERE rpps = $1`, nurse)
	nurseTok := h.token(nurse)
	note := func(body string) string {
		d := h.ok(claire, `mutation($in: AddESCAPEntryInput!) { addESCAPEntry(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"escapId": escap, "kind": "NOTE", "body": body}})
		return d["addESCAPEntry"].(map[string]any)["id"].(string)
	}
	c, _, _ := connect(t, h, "graphql-transport-ws", map[string]any{"token": nurseTok})
	c.subscribe("1", `subscription($e: ID!, $a: String) { escapEvents(escapId: $e, after: $a) { cursor type topic subjectId payload } }`,
		map[string]any{"e": escap, "a": h.cursor(claire)})
	first := note("Passage IDE fait.")
	if ev := c.nextCare("1", "escapEvents"); ev.SubjectID != first || ev.Topic != "escap:"+escap {
		t.Fatalf("got %+v, want the note %s", ev, first)
	}
	h.ok(claire, `mutation($id: ID!) { removeESCAPMember(id: $id) { id } }`, map[string]any{"id": member})
	hidden := note("Note écrite après le départ de l'infirmière.")
	// Her access ended with her membership: the subscription completes at
	// the first event she may no longer see (her own departure, or the
	// note), and the note written after she left never reaches her.
	for {
		m, err := c.read()
		if err != nil {
			t.Fatalf("the subscription neither completed nor went on: %v", err)
		}
		if m.Type == "complete" && m.ID == "1" {
			break
		}
		if strings.Contains(string(m.Payload), hidden) {
			t.Fatalf("received %s %s while out of the team", m.Type, m.Payload)
		}
	}
	// Back in the team, she follows it again.
	h.ok(claire, `mutation($e: ID!, $p: ID!) { addESCAPMember(input: {escapId: $e, professionalId: $p, role: "NURSE"}) { id } }`,
		map[string]any{"e": escap, "p": nurseID})
	c.subscribe("2", `subscription($e: ID!, $a: String) { escapEvents(escapId: $e, after: $a) { cursor type topic subjectId payload } }`,
		map[string]any{"e": escap, "a": h.cursor(claire)})
	back := note("Retour de l'infirmière dans l'équipe.")
	for {
		if ev := c.nextCare("2", "escapEvents"); ev.SubjectID == back {
			break
		}
	}
}

func TestESSQueueAndReferralEventsReachTheirReaders(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{})
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	gp, other := h.token(gpMartin), h.token("10003456794") // a GP in Caen: no access
	d := h.ok(gpMartin, createPatient, map[string]any{"in": map[string]any{"familyName": "Queue", "givenNames": "Test",
		"birthDate": "1950-01-01", "sex": "F", "gpId": h.id(`SELECT id FROM professionals WHERE rpps = $1`, gpMartin)}})
	patient := d["createPatient"].(map[string]any)["id"].(string)
	cursor := h.cursor(gpMartin)

	sec, _, _ := connect(t, h, "graphql-transport-ws", map[string]any{"token": h.token(secretariat)})
	sec.subscribe("q", `subscription($e: ID!, $a: String) { essQueueEvents(essId: $e, after: $a) { cursor type topic subjectId payload } }`,
		map[string]any{"e": ess, "a": cursor})
	// Someone outside the ESS may not follow its queue.
	out, _, _ := connect(t, h, "graphql-transport-ws", map[string]any{"token": other})
	out.subscribe("q", `subscription($e: ID!) { essQueueEvents(essId: $e) { cursor } }`, map[string]any{"e": ess})
	if m, err := out.read(); err != nil || !strings.Contains(string(m.Payload), "FORBIDDEN") {
		t.Fatalf("outsider: %s %s %v", m.Type, m.Payload, err)
	}

	d = h.ok(gpMartin, `mutation($in: SubmitReferralInput!) { submitReferral(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"clientKey": "subs-1", "essId": ess, "patientId": patient, "requesterKind": "TREATING_GP",
		"reason": "lésion pigmentée", "urgency": "ROUTINE", "modality": "TELEEXPERTISE"}})
	referral := d["submitReferral"].(map[string]any)["id"].(string)
	ev := sec.nextCare("q", "essQueueEvents")
	if ev.Topic != "referral:"+referral || !strings.Contains(ev.Payload, ess) {
		t.Fatalf("queue got %+v, want the new request %s", ev, referral)
	}
	// The requester follows the request; the outsider cannot (NOT_FOUND).
	gpc, _, _ := connect(t, h, "graphql-transport-ws", map[string]any{"token": gp})
	gpc.subscribe("r", `subscription($r: ID!, $a: String) { referralEvents(referralId: $r, after: $a) { cursor type topic subjectId payload } }`,
		map[string]any{"r": referral, "a": cursor})
	if ev := gpc.nextCare("r", "referralEvents"); ev.Topic != "referral:"+referral {
		t.Fatalf("requester got %+v", ev)
	}
	out.subscribe("r", `subscription($r: ID!) { referralEvents(referralId: $r) { cursor } }`, map[string]any{"r": referral})
	m, err := out.read()
	for err == nil && (m.ID != "r" || m.Type == "complete") {
		m, err = out.read()
	}
	if err != nil || !strings.Contains(string(m.Payload), "NOT_FOUND") {
		t.Fatalf("outsider on the request: %s %s %v", m.Type, m.Payload, err)
	}
}

// graphql-transport-ws keep-alive: the hub pings every interval and a
// client that never answers is disconnected within two intervals of a ping
// (clients that answer stay connected: every other websocket test).
func TestAClientThatAnswersNoPingIsDisconnected(t *testing.T) {
	h := newHub(t, pgtest.Seeded(t), server.Config{WebsocketPingInterval: 200 * time.Millisecond})
	silent, ack, err := connect(t, h, "graphql-transport-ws", map[string]any{"Authorization": "Bearer " + h.token("admin")})
	if err != nil || ack.Type != "connection_ack" {
		t.Fatalf("connect: %v %v", ack, err)
	}
	pings := 0
	for {
		silent.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var m msg
		if err := silent.conn.ReadJSON(&m); err != nil {
			if pings == 0 {
				t.Fatalf("disconnected without a ping: %v", err)
			}
			return
		}
		if m.Type == "ping" {
			pings++
		}
		if pings > 10 {
			t.Fatalf("%d pings unanswered and still connected", pings)
		}
	}
}
