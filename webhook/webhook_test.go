package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/webhook"
)

// The seeded people: a nurse of the Dupont team (not of the Leroy team),
// and a GP of each team.
const (
	nurse    = "10003456783" // member of escap:dupont
	gpDupont = "10003456781" // member of escap:dupont
	gpLeroy  = "10003456782" // member of escap:leroy only
)

// receiver is a real HTTPS endpoint: it verifies each delivery with the
// secret as a receiver would (the Standard Webhooks library), records it,
// and answers what answer says (200 by default).
type receiver struct {
	*httptest.Server
	t      testing.TB
	mu     sync.Mutex
	secret string
	got    []received
	answer func(n int, b webhook.Body) int // n: deliveries of this event so far, this one included
	hold   func()                          // if set, called first (outside the lock): an endpoint that hangs
}

type received struct {
	id   string // webhook-id header
	body webhook.Body
	code int
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{t: t}
	r.Server = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if r.hold != nil {
		r.hold()
	}
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	wh, err := standardwebhooks.NewWebhook(r.secret)
	if err != nil {
		r.t.Errorf("secret %q: %v", r.secret, err)
	}
	if err := wh.Verify(body, req.Header); err != nil {
		r.t.Errorf("delivery does not verify: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var b webhook.Body
	if err := json.Unmarshal(body, &b); err != nil {
		r.t.Errorf("delivery body %s: %v", body, err)
	}
	id := req.Header.Get("webhook-id")
	n := 1
	for _, g := range r.got {
		if g.id == id {
			n++
		}
	}
	code := http.StatusOK
	if r.answer != nil {
		code = r.answer(n, b)
	}
	r.got = append(r.got, received{id: id, body: b, code: code})
	w.WriteHeader(code)
}

// accepted returns the ids of the deliveries answered 2xx, in arrival order.
func (r *receiver) accepted() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, g := range r.got {
		if g.code < 300 {
			ids = append(ids, g.id)
		}
	}
	return ids
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// fast are delivery settings for tests: quick polls and retries, the
// receiver's certificate trusted, endpoints on loopback accepted.
func fast(r *receiver) webhook.Config {
	return webhook.Config{AllowLoopbackHTTP: true, Poll: 20 * time.Millisecond, InitialBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		MaxAttempts: 4, Timeout: 5 * time.Second, Transport: r.Client().Transport}
}

// instance runs a hub instance's event bus and webhook dispatcher on db.
func instance(t testing.TB, db *postgres.DB, cfg webhook.Config) (*webhook.Service, *postgres.Bus) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	bus, err := postgres.StartBus(ctx, db, postgres.BusConfig{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := webhook.Start(ctx, db, bus, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-d.Done(); <-bus.Done() })
	return webhook.NewService(db, bus, cfg), bus
}

// register registers a webhook to r for the account of ctx and gives r its secret.
func register(t testing.TB, svc *webhook.Service, ctx context.Context, r *receiver, topics ...string) *maillage.Webhook {
	t.Helper()
	w, secret, err := svc.RegisterWebhook(ctx, maillage.WebhookInput{URL: r.URL + "/hook", Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.secret = secret
	r.mu.Unlock()
	return w
}

// teamID returns the id of the seeded team of situation.
func teamID(t testing.TB, db *postgres.DB, situation string) string {
	t.Helper()
	var id string
	if err := db.Get(&id, `SELECT id FROM escaps WHERE situation = $1`, situation); err != nil {
		t.Fatal(err)
	}
	return id
}

// note writes a note to team as the professional of ctx and returns its
// event's cursor.
func note(t testing.TB, db *postgres.DB, ctx context.Context, team string) string {
	t.Helper()
	x, err := db.ESCAP.AddEntry(ctx, maillage.EntryInput{ESCAPID: team, Kind: maillage.EntryNote, Body: "Passage infirmier"})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Get(&id, `SELECT id FROM events WHERE subject_id = $1`, x.ID); err != nil {
		t.Fatal(err)
	}
	return (&maillage.Event{ID: id}).Cursor()
}

// eventually waits for cond, failing after a generous wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// log returns the delivery log of w, as its owner in ctx reads it.
func log(t *testing.T, svc *webhook.Service, ctx context.Context, w *maillage.Webhook) map[string]*maillage.WebhookDelivery {
	t.Helper()
	lines, err := svc.WebhookDeliveries(ctx, []string{w.ID}, 50)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*maillage.WebhookDelivery{}
	for _, d := range lines[w.ID] {
		out[d.Cursor()] = d
	}
	return out
}

func TestDeliveryIsSignedAsStandardWebhooks(t *testing.T) {
	db := pgtest.Seeded(t)
	r := newReceiver(t)
	svc, _ := instance(t, db, fast(r))
	nurseCtx := pgtest.As(t, db, nurse)
	dupont := teamID(t, db, "CHRONIC_POLYPATHOLOGY")
	register(t, svc, nurseCtx, r, "escap:"+dupont)
	cursor := note(t, db, pgtest.As(t, db, gpDupont), dupont)
	eventually(t, "the delivery", func() bool { return len(r.all()) == 1 })
	got := r.all()[0]
	if got.id != cursor || got.body.ID != cursor || got.body.Topic != "escap:"+dupont || got.body.Type != maillage.EventNoteAdded {
		t.Fatalf("got webhook-id %q, body %+v; want id %s, topic escap:%s, NOTE_ADDED", got.id, got.body, cursor, dupont)
	}
	var payload map[string]any
	if err := json.Unmarshal(got.body.Payload, &payload); err != nil || payload["kind"] != "NOTE" || payload["entryId"] == "" {
		t.Fatalf("payload %s (%v): want the note's ids and kind", got.body.Payload, err)
	}
	// The scheme as documented, by hand: a receiver with another secret, or
	// a body changed in transit, fails.
	body, _ := json.Marshal(got.body)
	h, err := webhook.Sign(r.secret, cursor, time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := webhook.NewSecret()
	wh, _ := standardwebhooks.NewWebhook(other)
	if wh.Verify(body, h) == nil {
		t.Fatal("a delivery verifies with another secret")
	}
	wh, _ = standardwebhooks.NewWebhook(r.secret)
	if wh.Verify(append(body, ' '), h) == nil {
		t.Fatal("a changed body verifies")
	}
}

func TestFailedDeliveryIsRetriedThenDeliveredOnce(t *testing.T) {
	db := pgtest.Seeded(t)
	r := newReceiver(t)
	r.answer = func(n int, _ webhook.Body) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	var mu sync.Mutex
	outcomes := map[string]int{}
	cfg := fast(r)
	cfg.Observe = func(o string) { mu.Lock(); outcomes[o]++; mu.Unlock() }
	svc, _ := instance(t, db, cfg)
	nurseCtx := pgtest.As(t, db, nurse)
	dupont := teamID(t, db, "CHRONIC_POLYPATHOLOGY")
	w := register(t, svc, nurseCtx, r, "escap:")
	cursor := note(t, db, pgtest.As(t, db, gpDupont), dupont)
	eventually(t, "delivered", func() bool {
		d := log(t, svc, nurseCtx, w)[cursor]
		return d != nil && d.Status == maillage.DeliveryDelivered
	})
	d := log(t, svc, nurseCtx, w)[cursor]
	if d.Attempts != 2 || d.StatusCode == nil || *d.StatusCode != 200 || d.Error != nil {
		t.Fatalf("log line %+v: want delivered at the 2nd attempt, 200, no error", d)
	}
	time.Sleep(300 * time.Millisecond) // longer than the backoff: a wrong retry would show
	got := r.all()
	if len(got) != 2 || got[0].code != 500 || got[1].code != 200 || got[0].id != cursor || got[1].id != cursor {
		t.Fatalf("receiver got %+v: want the event twice, 500 then 200", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if outcomes["retrying"] != 1 || outcomes["delivered"] != 1 {
		t.Fatalf("outcomes %v: want 1 retrying, 1 delivered", outcomes)
	}
}

func TestEndpointThatKeepsFailingIsMarkedFailed(t *testing.T) {
	db := pgtest.Seeded(t)
	r := newReceiver(t)
	r.answer = func(int, webhook.Body) int { return http.StatusServiceUnavailable }
	svc, _ := instance(t, db, fast(r))
	nurseCtx := pgtest.As(t, db, nurse)
	w := register(t, svc, nurseCtx, r, "escap:")
	cursor := note(t, db, pgtest.As(t, db, gpDupont), teamID(t, db, "CHRONIC_POLYPATHOLOGY"))
	eventually(t, "failed", func() bool {
		d := log(t, svc, nurseCtx, w)[cursor]
		return d != nil && d.Status == maillage.DeliveryFailed
	})
	d := log(t, svc, nurseCtx, w)[cursor]
	if d.Attempts != 4 || *d.StatusCode != 503 || d.Error == nil || len(r.all()) != 4 {
		t.Fatalf("log line %+v, %d requests: want 4 attempts, 503", d, len(r.all()))
	}
}

func TestEventTheAccountMayNotSeeIsNeverDelivered(t *testing.T) {
	db := pgtest.Seeded(t)
	r := newReceiver(t)
	cfg := fast(r)
	cfg.InitialBackoff, cfg.MaxBackoff = time.Second, time.Second // a failed delivery stays pending a while
	svc, _ := instance(t, db, cfg)
	nurseCtx := pgtest.As(t, db, nurse)
	dupont, leroy := teamID(t, db, "CHRONIC_POLYPATHOLOGY"), teamID(t, db, "DIABETES_INSULIN")
	// Every team's events, and one of a team the nurse is not in, by name.
	w := register(t, svc, nurseCtx, r, "escap:", "escap:"+leroy, "directory")
	hidden := note(t, db, pgtest.As(t, db, gpLeroy), leroy)
	seen := note(t, db, pgtest.As(t, db, gpDupont), dupont)
	eventually(t, "the visible note", func() bool { return len(r.accepted()) > 0 })
	time.Sleep(200 * time.Millisecond)
	if got := r.accepted(); !slices.Equal(got, []string{seen}) {
		t.Fatalf("delivered %v: want only %s (the Leroy note %s is not the nurse's to see)", got, seen, hidden)
	}
	if _, ok := log(t, svc, nurseCtx, w)[hidden]; ok {
		t.Fatal("the hidden event is in the delivery log")
	}

	// The account disabled: a queued delivery is withheld, nothing more is sent.
	r.mu.Lock()
	r.answer = func(int, webhook.Body) int { return http.StatusInternalServerError }
	r.mu.Unlock()
	pending := note(t, db, pgtest.As(t, db, gpDupont), dupont)
	eventually(t, "a failed attempt", func() bool {
		d := log(t, svc, nurseCtx, w)[pending]
		return d != nil && d.Attempts >= 1 && d.Status == maillage.DeliveryPending
	})
	if _, err := db.Exec(`UPDATE accounts SET disabled_at = now() WHERE login = $1`, nurse); err != nil {
		t.Fatal(err)
	}
	after := note(t, db, pgtest.As(t, db, gpDupont), dupont)
	eventually(t, "the pending delivery withheld", func() bool {
		return log(t, svc, nurseCtx, w)[pending].Status == maillage.DeliveryWithheld
	})
	time.Sleep(200 * time.Millisecond)
	if _, ok := log(t, svc, nurseCtx, w)[after]; ok {
		t.Fatal("an event after the account was disabled was queued")
	}
	for _, g := range r.all() {
		if g.id == after {
			t.Fatal("an event after the account was disabled was sent")
		}
	}
}

func TestReplayRedeliversExactlyTheEventsAfterTheCursor(t *testing.T) {
	db := pgtest.Seeded(t)
	r := newReceiver(t)
	svc, _ := instance(t, db, fast(r))
	nurseCtx, gp := pgtest.As(t, db, nurse), pgtest.As(t, db, gpDupont)
	dupont, leroy := teamID(t, db, "CHRONIC_POLYPATHOLOGY"), teamID(t, db, "DIABETES_INSULIN")
	w := register(t, svc, nurseCtx, r, "escap:")
	var cursors []string
	for range 4 {
		cursors = append(cursors, note(t, db, gp, dupont))
		note(t, db, pgtest.As(t, db, gpLeroy), leroy) // never the nurse's
	}
	eventually(t, "the first deliveries", func() bool { return len(r.accepted()) == 4 })
	rep, err := svc.ReplayWebhook(nurseCtx, w.ID, cursors[1])
	if err != nil {
		t.Fatal(err)
	}
	if rep.Queued != 2 || rep.HasMore {
		t.Fatalf("replay %+v: want 2 queued, no more", rep)
	}
	eventually(t, "the replay", func() bool { return len(r.accepted()) == 6 })
	time.Sleep(200 * time.Millisecond)
	if got := r.accepted(); !slices.Equal(got, append(slices.Clone(cursors), cursors[2:]...)) {
		t.Fatalf("delivered %v: want %v then %v again", got, cursors, cursors[2:])
	}

	// A cursor beyond every event, or not a cursor: the field is named.
	for _, after := range []string{"99999999", "abc"} {
		if _, err := svc.ReplayWebhook(nurseCtx, w.ID, after); maillage.ErrorCode(err) != maillage.EINVALID {
			t.Fatalf("replay after %q: %v, want BAD_USER_INPUT", after, err)
		}
	}
	// Someone else's webhook is not found.
	if _, err := svc.ReplayWebhook(gp, w.ID, cursors[0]); maillage.ErrorCode(err) != maillage.ENOTFOUND {
		t.Fatalf("replay of another account's webhook: %v, want NOT_FOUND", err)
	}
}

func TestTwoInstancesDeliverEachEventOnce(t *testing.T) {
	dsn := pgtest.NewURL(t)
	seeded := pgtest.Open(t, dsn)
	if _, err := postgres.Seed(context.Background(), seeded); err != nil {
		t.Fatal(err)
	}
	r := newReceiver(t)
	svc, _ := instance(t, seeded, fast(r))
	instance(t, pgtest.Open(t, dsn), fast(r))
	nurseCtx, gp := pgtest.As(t, seeded, nurse), pgtest.As(t, seeded, gpDupont)
	dupont := teamID(t, seeded, "CHRONIC_POLYPATHOLOGY")
	register(t, svc, nurseCtx, r, "escap:")
	var want []string
	for range 30 {
		want = append(want, note(t, seeded, gp, dupont))
	}
	eventually(t, "30 deliveries", func() bool { return len(r.accepted()) >= 30 })
	time.Sleep(300 * time.Millisecond)
	got := r.accepted()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %d: %v; want each of %v once", len(got), got, want)
	}
}

func TestRegistrationRules(t *testing.T) {
	db := pgtest.Seeded(t)
	svc := webhook.NewService(db, nil, webhook.Config{MaxPerAccount: 2})
	ctx := pgtest.As(t, db, nurse)
	bad := []struct {
		in    maillage.WebhookInput
		field string
	}{
		{maillage.WebhookInput{URL: "http://example.org/hook", Topics: []string{"escap:"}}, "input.url"},
		{maillage.WebhookInput{URL: "http://127.0.0.1:9/hook", Topics: []string{"escap:"}}, "input.url"}, // no dev mode
		{maillage.WebhookInput{URL: "https://user:pw@example.org/", Topics: []string{"escap:"}}, "input.url"},
		{maillage.WebhookInput{URL: "example.org/hook", Topics: []string{"escap:"}}, "input.url"},
		{maillage.WebhookInput{URL: "https://example.org/hook", Topics: []string{"authz"}}, "input.topics"},
		{maillage.WebhookInput{URL: "https://example.org/hook", Topics: []string{"patient:"}}, "input.topics"},
		{maillage.WebhookInput{URL: "https://example.org/hook", Topics: nil}, "input.topics"},
	}
	for _, c := range bad {
		_, _, err := svc.RegisterWebhook(ctx, c.in)
		var e *maillage.Error
		if maillage.ErrorCode(err) != maillage.EINVALID || !asError(err, &e) || e.Field != c.field {
			t.Fatalf("register %+v: %v, want BAD_USER_INPUT on %s", c.in, err, c.field)
		}
	}
	if _, _, err := svc.RegisterWebhook(context.Background(), maillage.WebhookInput{URL: "https://example.org/", Topics: []string{"escap:"}}); maillage.ErrorCode(err) != maillage.EUNAUTHENTICATED {
		t.Fatalf("anonymous register: %v", err)
	}
	var secrets []string
	for range 2 {
		w, secret, err := svc.RegisterWebhook(ctx, maillage.WebhookInput{URL: "https://example.org/hook", Topics: []string{"escap:", "escap:"}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(w.Topics, []string{"escap:"}) {
			t.Fatalf("topics %v", w.Topics)
		}
		secrets = append(secrets, secret)
	}
	if secrets[0] == secrets[1] || len(secrets[0]) < 40 {
		t.Fatalf("secrets %v: want two distinct whsec_ secrets", secrets)
	}
	if _, _, err := svc.RegisterWebhook(ctx, maillage.WebhookInput{URL: "https://example.org/3", Topics: []string{"escap:"}}); maillage.ErrorCode(err) != maillage.ECONFLICT {
		t.Fatalf("third webhook: %v, want CONFLICT", err)
	}
	mine, err := svc.MyWebhooks(ctx)
	if err != nil || len(mine) != 2 {
		t.Fatalf("my webhooks: %v %v", mine, err)
	}
	other := pgtest.As(t, db, gpDupont)
	if err := svc.DeleteWebhook(other, mine[0].ID); maillage.ErrorCode(err) != maillage.ENOTFOUND {
		t.Fatalf("delete another's webhook: %v, want NOT_FOUND", err)
	}
	if theirs, _ := svc.MyWebhooks(other); len(theirs) != 0 {
		t.Fatalf("another account sees %v", theirs)
	}
	if err := svc.DeleteWebhook(ctx, mine[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.RegisterWebhook(ctx, maillage.WebhookInput{URL: "https://example.org/3", Topics: []string{"escap:"}}); err != nil {
		t.Fatalf("register after a delete: %v", err)
	}
}

func asError(err error, target **maillage.Error) bool { return errors.As(err, target) }

// A member who leaves the team gets nothing of it afterwards, though its
// webhook still names the team; the event of the departure itself, decided
// after it, is not shown either.
func TestLeavingTheTeamStopsItsDeliveries(t *testing.T) {
	db := pgtest.Seeded(t)
	r := newReceiver(t)
	svc, _ := instance(t, db, fast(r))
	nurseCtx, gp := pgtest.As(t, db, nurse), pgtest.As(t, db, gpDupont)
	dupont := teamID(t, db, "CHRONIC_POLYPATHOLOGY")
	register(t, svc, nurseCtx, r, "escap:"+dupont)
	before := note(t, db, gp, dupont)
	eventually(t, "the note before leaving", func() bool { return len(r.accepted()) == 1 })
	var member string
	if err := db.Get(&member, `SELECT m.id FROM escap_members m JOIN professionals p ON p.id = m.professional_id
		WHERE m.escap_id = $1 AND p.rpps = $2`, dupont, nurse); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ESCAP.RemoveMember(gp, member); err != nil {
		t.Fatal(err)
	}
	after := note(t, db, gp, dupont)
	eventually(t, "the follower past the later note", func() bool {
		pos, err := db.FollowerPosition(context.Background(), webhook.FollowerName)
		return err == nil && cursorAtLeast(pos, after)
	})
	time.Sleep(200 * time.Millisecond)
	if got := r.accepted(); !slices.Equal(got, []string{before}) {
		t.Fatalf("delivered %v: want only %s, from before the nurse left", got, before)
	}
}

func cursorAtLeast(pos int64, cursor string) bool {
	id, err := maillage.ParseEventCursor("after", cursor)
	return err == nil && pos >= id
}

// Outside development a webhook reaches public addresses only: an IP
// literal of the hub's network is refused at registration, and a
// connection to one (a name resolving there, or a URL written before) is
// refused when dialled.
func TestEndpointsOnPrivateAddressesAreRefused(t *testing.T) {
	db := pgtest.Seeded(t)
	r := newReceiver(t) // on 127.0.0.1
	cfg := fast(r)
	cfg.Transport, cfg.AllowLoopbackHTTP = nil, false // the hub's own transport, production mode
	cfg.MaxAttempts = 1
	svc, _ := instance(t, db, cfg)
	nurseCtx := pgtest.As(t, db, nurse)
	for _, url := range []string{"https://10.1.2.3/hook", "https://127.0.0.1:8443/hook", "https://localhost/hook", "https://[::1]/hook", "https://169.254.169.254/latest"} {
		_, _, err := svc.RegisterWebhook(nurseCtx, maillage.WebhookInput{URL: url, Topics: []string{"escap:"}})
		var e *maillage.Error
		if !asError(err, &e) || e.Code != maillage.EINVALID || e.Field != "input.url" {
			t.Fatalf("register %s: %v, want BAD_USER_INPUT on input.url", url, err)
		}
	}
	w := register(t, svc, nurseCtx, &receiver{t: t, Server: &httptest.Server{URL: "https://hook.example"}}, "escap:")
	if _, err := db.Exec(`UPDATE webhooks SET url = $1 WHERE id = $2`, r.URL+"/hook", w.ID); err != nil {
		t.Fatal(err)
	}
	cursor := note(t, db, pgtest.As(t, db, gpDupont), teamID(t, db, "CHRONIC_POLYPATHOLOGY"))
	eventually(t, "the delivery failed", func() bool {
		d := log(t, svc, nurseCtx, w)[cursor]
		return d != nil && d.Status == maillage.DeliveryFailed
	})
	if d := log(t, svc, nurseCtx, w)[cursor]; d.Error == nil || !strings.Contains(*d.Error, "not a public address") || len(r.all()) != 0 {
		t.Fatalf("log line %+v, %d requests received: want refused before connecting", d, len(r.all()))
	}
}

// The log keeps pending deliveries whatever their age, and finished ones
// for the retention.
func TestLogPruning(t *testing.T) {
	db := pgtest.Seeded(t)
	svc := webhook.NewService(db, nil, webhook.Config{})
	ctx := pgtest.As(t, db, nurse)
	w, _, err := svc.RegisterWebhook(ctx, maillage.WebhookInput{URL: "https://example.org/hook", Topics: []string{"escap:"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO webhook_deliveries (webhook_id, event_id, topic, type, status, updated_at)
		SELECT $1, e.id, e.topic, e.type, s.status, now() - s.age
		FROM (SELECT * FROM events ORDER BY id LIMIT 4) e
		JOIN (VALUES (1, 'DELIVERED', interval '40 days'), (2, 'FAILED', interval '40 days'),
			(3, 'PENDING', interval '40 days'), (4, 'DELIVERED', interval '1 day')) s(n, status, age)
			ON s.n = (SELECT count(*) FROM events x WHERE x.id <= e.id)`, w.ID); err != nil {
		t.Fatal(err)
	}
	n, err := db.Webhooks.PruneLog(context.Background(), 30*24*time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("pruned %d (%v), want the 2 finished lines older than 30 days", n, err)
	}
	var left []string
	if err := db.Select(&left, `SELECT status FROM webhook_deliveries ORDER BY event_id`); err != nil || !slices.Equal(left, []string{"PENDING", "DELIVERED"}) {
		t.Fatalf("left %v (%v)", left, err)
	}
}

// An endpoint that hangs holds its own share of the workers, never the
// others' deliveries: a second webhook receives every event meanwhile.
func TestHangingEndpointDoesNotHoldOtherWebhooks(t *testing.T) {
	db := pgtest.Seeded(t)
	stuck, fine := newReceiver(t), newReceiver(t)
	release := make(chan struct{})
	var mu sync.Mutex
	hanging, most := 0, 0
	stuck.hold = func() {
		mu.Lock()
		hanging++
		most = max(most, hanging)
		mu.Unlock()
		<-release
		mu.Lock()
		hanging--
		mu.Unlock()
	}
	cfg := fast(fine)
	cfg.Timeout, cfg.Workers, cfg.PerWebhook = time.Minute, 6, 2
	svc, _ := instance(t, db, cfg)
	t.Cleanup(func() { close(release) }) // before the instance stops: it waits for its attempts
	nurseCtx, gp := pgtest.As(t, db, nurse), pgtest.As(t, db, gpDupont)
	dupont := teamID(t, db, "CHRONIC_POLYPATHOLOGY")
	register(t, svc, nurseCtx, stuck, "escap:")
	register(t, svc, nurseCtx, fine, "escap:")
	var want []string
	for range 10 {
		want = append(want, note(t, db, gp, dupont))
	}
	eventually(t, "the other webhook's deliveries", func() bool { return len(fine.accepted()) == 10 })
	if got := fine.accepted(); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if most != 2 {
		t.Fatalf("%d requests at once to the hanging endpoint, want its share: 2", most)
	}
}
