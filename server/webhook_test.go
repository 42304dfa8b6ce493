package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
	"github.com/maillage/maillage/webhook"
)

const (
	nurse           = "10003456783" // a member of the Dupont team
	registerWebhook = `mutation($url: String!, $topics: [String!]!) {
		registerWebhook(input: {url: $url, topics: $topics, description: "Logiciel du cabinet"}) { secret webhook { id url topics } } }`
	myWebhooks = `query($first: Int!) { myWebhooks { id url topics deliveries(first: $first) { cursor type status attempts statusCode error } } }`
)

// A professional's software registers a webhook through the API, gets its
// secret once, receives a team's note signed on a real HTTPS endpoint, and
// reads the delivery in its log.
func TestWebhookThroughTheAPI(t *testing.T) {
	var mu sync.Mutex
	var secret string
	var bodies []string
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		wh, err := standardwebhooks.NewWebhook(secret)
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		if err != nil {
			t.Errorf("delivery does not verify: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		bodies = append(bodies, string(body))
	}))
	defer ts.Close()
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{Webhooks: webhook.Config{
		AllowLoopbackHTTP: true, Poll: 20 * time.Millisecond, Transport: ts.Client().Transport}})

	h.fails(nurse, registerWebhook, map[string]any{"url": "http://example.org/hook", "topics": []string{"escap:"}}, "BAD_USER_INPUT", "input.url")
	h.fails(nurse, registerWebhook, map[string]any{"url": ts.URL, "topics": []string{"patient:"}}, "BAD_USER_INPUT", "input.topics")
	h.fails("", registerWebhook, map[string]any{"url": ts.URL, "topics": []string{"escap:"}}, "UNAUTHENTICATED", "")

	data := h.ok(nurse, registerWebhook, map[string]any{"url": ts.URL + "/maillage", "topics": []string{"escap:"}})
	mu.Lock()
	secret, _ = jpath(data, "registerWebhook.secret").(string)
	mu.Unlock()
	id, _ := jpath(data, "registerWebhook.webhook.id").(string)
	if !strings.HasPrefix(secret, "whsec_") || id == "" {
		t.Fatalf("registered %v: want an id and a whsec_ secret", data)
	}

	team := h.id(`SELECT id FROM escaps WHERE situation = 'CHRONIC_POLYPATHOLOGY'`)
	x, err := db.ESCAP.AddEntry(pgtest.As(t, db, "10003456781"), maillage.EntryInput{ESCAPID: team, Kind: maillage.EntryNote, Body: "Visite faite"})
	if err != nil {
		t.Fatal(err)
	}
	var line any
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		line = jpath(h.ok(nurse, myWebhooks, map[string]any{"first": 5}), "myWebhooks.0.deliveries.0")
		if jpath(line, "status") == "DELIVERED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log line %v: want DELIVERED", line)
		}
	}
	if jpath(line, "type") != "NOTE_ADDED" || jpath(line, "attempts") != 1.0 || jpath(line, "statusCode") != 200.0 {
		t.Fatalf("log line %v", line)
	}
	if n := webhookOutcomes(t, h, "delivered"); n < 1 {
		t.Fatalf("maillage_webhook_deliveries_total{outcome=\"delivered\"} = %d after a delivery", n)
	}
	mu.Lock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], x.ID) || !strings.Contains(bodies[0], `"type":"NOTE_ADDED"`) {
		t.Fatalf("received %v: want the note's event", bodies)
	}
	mu.Unlock()

	// The secret is never shown again; another account sees nothing.
	if shown, _ := json.Marshal(h.ok(nurse, `{ myWebhooks { id url topics description createdAt } }`, nil)); strings.Contains(string(shown), secret) {
		t.Fatal("myWebhooks shows the secret")
	}
	if got := jpath(h.ok("10003456781", myWebhooks, map[string]any{"first": 5}), "myWebhooks"); len(got.([]any)) != 0 {
		t.Fatalf("another account's webhooks: %v", got)
	}
	h.fails("10003456781", `mutation($id: ID!) { deleteWebhook(id: $id) }`, map[string]any{"id": id}, "NOT_FOUND", "")
	h.fails(nurse, myWebhooks, map[string]any{"first": 500}, "BAD_USER_INPUT", "first")
	h.fails(nurse, `mutation($id: ID!) { replayWebhook(id: $id, after: "x") { queued } }`, map[string]any{"id": id}, "BAD_USER_INPUT", "after")

	// Replay from before the note redelivers it.
	cursor := jpath(line, "cursor").(string)
	replay := h.ok(nurse, `mutation($id: ID!, $after: String!) { replayWebhook(id: $id, after: $after) { queued hasMore cursor } }`,
		map[string]any{"id": id, "after": previous(t, h, cursor)})
	if jpath(replay, "replayWebhook.queued") != 1.0 || jpath(replay, "replayWebhook.hasMore") != false {
		t.Fatalf("replay %v: want the note queued again", replay)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		got := len(bodies)
		mu.Unlock()
		if got == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replay was not delivered")
		}
	}

	// Updating and deleting.
	up := h.ok(nurse, `mutation($id: ID!) { updateWebhook(id: $id, input: {topics: ["escap:", "referral:"]}) { topics url } }`, map[string]any{"id": id})
	if got := jpath(up, "updateWebhook.topics").([]any); len(got) != 2 || jpath(up, "updateWebhook.url") != ts.URL+"/maillage" {
		t.Fatalf("updated %v", up)
	}
	h.ok(nurse, `mutation($id: ID!) { deleteWebhook(id: $id) }`, map[string]any{"id": id})
	if got := jpath(h.ok(nurse, myWebhooks, map[string]any{"first": 5}), "myWebhooks").([]any); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
}

// webhookOutcomes is the process's count of webhook deliveries with that
// outcome, from the hub's /metrics.
func webhookOutcomes(t *testing.T, h *hub, outcome string) int {
	t.Helper()
	return int(scrape(t, h)[`maillage_webhook_deliveries_total{outcome="`+outcome+`"}`])
}

// previous returns the cursor of the event just before cursor's.
func previous(t *testing.T, h *hub, cursor string) string {
	t.Helper()
	return h.id(`SELECT ($1::bigint - 1)::text`, cursor)
}

// myWebhooks and their logs cost the same statements for one webhook as
// for ten.
func TestMyWebhooksCostAConstantNumberOfStatements(t *testing.T) {
	db := pgtest.Seeded(t)
	h := newHub(t, db, server.Config{})
	register := func() {
		h.ok(nurse, registerWebhook, map[string]any{"url": "https://example.org/hook", "topics": []string{"escap:"}})
	}
	// Log lines for every webhook, so each has something to load.
	fill := func() {
		h.exec(`INSERT INTO webhook_deliveries (webhook_id, event_id, topic, type, status)
			SELECT w.id, e.id, e.topic, e.type, 'DELIVERED' FROM webhooks w CROSS JOIN (SELECT * FROM events ORDER BY id LIMIT 3) e
			ON CONFLICT DO NOTHING`)
	}
	read := func() { h.ok(nurse, myWebhooks, map[string]any{"first": 3}) }
	register()
	fill()
	one := fewestStatements(t, read)
	for range 9 {
		register()
	}
	fill()
	if got := jpath(h.ok(nurse, myWebhooks, map[string]any{"first": 3}), "myWebhooks.9.deliveries"); len(got.([]any)) != 3 {
		t.Fatalf("the tenth webhook's log: %v", got)
	}
	if ten := fewestStatements(t, read); ten != one {
		t.Fatalf("myWebhooks with logs: %d statements for ten webhooks, %d for one", ten, one)
	}
}
