package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/server"
)

// The fault test: steady writes and resuming subscribers while PostgreSQL
// becomes unreachable, first refused (dropped), then silent (black-holed),
// then back. What must hold, whatever the timing:
//   - every mutation answered OK is in the database afterwards, whole (its
//     history row and its event with it), once;
//   - every resuming subscriber gets every event of its ESS's queue in the
//     outbox, in order, once;
//   - clients see only retryable answers: 503, SERVICE_UNAVAILABLE or
//     INTERNAL, websocket closes 1011/1012/1013; never 401, 4401 nor
//     BAD_USER_INPUT;
//   - every request, and /readyz, is answered (the client's own timeout is
//     well above the hub's).

// faultLog collects, from the test's goroutines, what the clients saw.
type faultLog struct {
	mu         sync.Mutex
	referrals  map[string]string // client key → id, answered OK
	structures []string          // ids, answered OK
	answers    map[string]int    // "200 OK", "503 SERVICE_UNAVAILABLE", "close 1013"…
	wrong      []string          // answers a client must never see
}

func (l *faultLog) saw(answer string, wrong bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answers[answer]++
	if wrong && len(l.wrong) < 20 {
		l.wrong = append(l.wrong, answer)
	}
}

// retryable reports whether a GraphQL error code is one a client retries.
func retryable(code string) bool {
	return code == maillage.EUNAVAILABLE || code == maillage.EINTERNAL
}

// faultClient posts GraphQL operations with a timeout of its own.
type faultClient struct {
	url  string
	http *http.Client
	log  *faultLog
}

// post sends an operation with token and returns its data when it
// succeeded; any other answer is logged, and flagged if not retryable.
func (c *faultClient) post(token, query string, vars map[string]any) (map[string]any, bool) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.http.Do(req)
	if err != nil {
		c.log.saw("no answer: "+err.Error(), true)
		return nil, false
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		c.log.saw(fmt.Sprintf("%d not JSON: %.100s", res.StatusCode, b), true)
		return nil, false
	}
	if res.StatusCode == http.StatusOK && len(r.Errors) == 0 {
		c.log.saw("200 OK", false)
		return r.Data, true
	}
	ok := res.StatusCode == http.StatusOK || res.StatusCode == http.StatusServiceUnavailable
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		ok = ok && retryable(code) && !leaks(e.Message)
	}
	c.log.saw(fmt.Sprintf("%d %s %.80s", res.StatusCode, r.code(), messageOf(r)), !ok)
	return nil, false
}

func messageOf(r response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Message
}

// submitUntilAcknowledged submits referrals with fresh client keys until
// ctx is done, retrying each key until it is answered OK, as a client
// whose submissions are idempotent does.
func (c *faultClient) submitUntilAcknowledged(ctx context.Context, token, writer string, in map[string]any) {
	for i := 0; ctx.Err() == nil; i++ {
		key := fmt.Sprintf("outage-%s-%d", writer, i)
		in := maps(in, "clientKey", key)
		for ctx.Err() == nil {
			if d, ok := c.post(token, `mutation($in: SubmitReferralInput!) { submitReferral(input: $in) { id } }`, map[string]any{"in": in}); ok {
				c.log.mu.Lock()
				c.log.referrals[key] = jpath(d, "submitReferral.id").(string)
				c.log.mu.Unlock()
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// createStructures creates MSPs until ctx is done (a failed one is not
// retried: without a key, a retry would be another structure).
func (c *faultClient) createStructures(ctx context.Context, token, territory string) {
	for i := 0; ctx.Err() == nil; i++ {
		d, ok := c.post(token, `mutation($t: ID!, $n: String!) { createStructure(input: {kind: MSP, name: $n, territoryId: $t}) { id } }`,
			map[string]any{"t": territory, "n": fmt.Sprintf("Outage MSP %d", i)})
		if ok {
			c.log.mu.Lock()
			c.log.structures = append(c.log.structures, jpath(d, "createStructure.id").(string))
			c.log.mu.Unlock()
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// maps returns a copy of m with key set to v.
func maps(m map[string]any, key string, v any) map[string]any {
	out := map[string]any{key: v}
	for k, x := range m {
		if k != key {
			out[k] = x
		}
	}
	return out
}

// cursors are the events a subscriber received, in order.
type cursors struct {
	mu   sync.Mutex
	list []string
}

func (c *cursors) add(cursor string) {
	c.mu.Lock()
	c.list = append(c.list, cursor)
	c.mu.Unlock()
}

// last is the cursor of the last event received (after if none).
func (c *cursors) last(after string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.list) == 0 {
		return after
	}
	return c.list[len(c.list)-1]
}

func (c *cursors) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list)
}

// essQueueSince returns the cursors of an ESS's queue events after start, in
// order, read from the outbox: the truth subscribers are compared with.
func essQueueSince(t *testing.T, db *postgres.DB, start, ess string) []string {
	t.Helper()
	var ids []int64
	if err := db.SelectContext(context.Background(), &ids,
		`SELECT id FROM events WHERE id > $1 AND ess_id = $2 ORDER BY id`, start, ess); err != nil {
		t.Fatal(err)
	}
	want := make([]string, len(ids))
	for i, id := range ids {
		want[i] = strconv.FormatInt(id, 10)
	}
	return want
}

// awaitCaughtUp waits, 30 s at most, until every subscriber has received the
// last of want.
func awaitCaughtUp(received []*cursors, start string, want []string) {
	caughtUp := func() bool {
		for _, got := range received {
			if len(want) > 0 && got.last(start) != want[len(want)-1] {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(30 * time.Second); !caughtUp() && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
	}
}

// resumingSubscriber follows an ESS's queue over graphql-transport-ws from
// after, until ctx is done. It leaves every connection after a while, as
// mobile clients do, and whenever a connection ends it connects again and
// resubscribes with the last cursor it got.
func resumingSubscriber(ctx context.Context, wsURL, token, ess, after string, got *cursors, log *faultLog) {
	for ctx.Err() == nil {
		leave, cancel := context.WithTimeout(ctx, 1200*time.Millisecond)
		if err := follow(leave, wsURL, token, ess, got.last(after), got, log); err != nil && leave.Err() == nil {
			time.Sleep(100 * time.Millisecond)
		}
		cancel()
	}
}

// follow runs one connection of a resuming subscriber until it ends, or
// until ctx is done.
func follow(ctx context.Context, wsURL, token, ess, after string, got *cursors, log *faultLog) error {
	conn, _, err := (&websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}}).DialContext(ctx, wsURL, nil)
	if err != nil {
		if ctx.Err() == nil {
			log.saw("websocket dial: "+err.Error(), true)
		}
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	send := func(m msg) error { return conn.WriteJSON(m) }
	if err := send(msg{Type: "connection_init", Payload: mustJSON(map[string]any{"Authorization": "Bearer " + token})}); err != nil {
		return err
	}
	for {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // the hub pings every second
		var m msg
		if err := conn.ReadJSON(&m); err != nil {
			var closed *websocket.CloseError
			switch {
			case ctx.Err() != nil:
			case errors.As(err, &closed):
				retry := slices.Contains([]int{websocket.CloseInternalServerErr, websocket.CloseServiceRestart, websocket.CloseTryAgainLater}, closed.Code)
				log.saw(fmt.Sprintf("close %d %.60s", closed.Code, closed.Text), !retry || leaks(closed.Text))
			default:
				log.saw("websocket read: "+err.Error(), true)
			}
			return err
		}
		switch m.Type {
		case "connection_ack":
			var a *string
			if after != "" {
				a = &after
			}
			send(msg{Type: "subscribe", ID: "q", Payload: mustJSON(map[string]any{
				"query":     `subscription($e: ID!, $a: String) { essQueueEvents(essId: $e, after: $a) { cursor } }`,
				"variables": map[string]any{"e": ess, "a": a},
			})})
		case "ping":
			send(msg{Type: "pong"})
		case "next":
			var p struct {
				Data struct {
					EssQueueEvents struct{ Cursor string }
				}
				Errors []gqlError
			}
			json.Unmarshal(m.Payload, &p)
			if c := p.Data.EssQueueEvents.Cursor; c != "" {
				got.add(c)
				continue
			}
			for _, e := range p.Errors {
				code, _ := e.Extensions["code"].(string)
				log.saw("subscription error "+code, !retryable(code) || leaks(e.Message))
			}
		case "error":
			var errs []gqlError
			json.Unmarshal(m.Payload, &errs)
			for _, e := range errs {
				code, _ := e.Extensions["code"].(string)
				log.saw("subscribe refused "+code, !retryable(code) || leaks(e.Message))
			}
			return errors.New("subscribe refused")
		case "complete":
			log.saw("subscription completed", true) // an ESS's staff never loses access here
			return errors.New("completed")
		}
	}
}

func TestOutageUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: about 20 s")
	}
	h, p, direct := proxiedHub(t, server.Config{RequestTimeout: 2 * time.Second, WebsocketPingInterval: time.Second})
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	territory := h.id(rouenNord)
	patient := jpath(h.ok(gpMartin, createPatient, map[string]any{"in": map[string]any{"familyName": "Panne", "givenNames": "Test",
		"birthDate": "1950-01-01", "sex": "F", "gpId": h.id(`SELECT id FROM professionals WHERE rpps = $1`, gpMartin)}}), "createPatient.id").(string)
	start := h.cursor(secretariat)
	log := &faultLog{referrals: map[string]string{}, answers: map[string]int{}}
	client := &faultClient{url: h.url, http: &http.Client{Timeout: 10 * time.Second}, log: log}

	writing, stopWriting := context.WithCancel(context.Background())
	var writers sync.WaitGroup
	referral := map[string]any{"essId": ess, "patientId": patient, "requesterKind": "TREATING_GP",
		"reason": "lésion à surveiller", "urgency": "ROUTINE", "modality": "TELEEXPERTISE"}
	for w := range 3 {
		writers.Go(func() { client.submitUntilAcknowledged(writing, h.token(gpMartin), strconv.Itoa(w), referral) })
	}
	writers.Go(func() { client.createStructures(writing, h.token("admin"), territory) })
	writers.Go(func() { // a load balancer's readiness probe
		for writing.Err() == nil {
			if res, err := client.http.Get(h.url + "/readyz"); err != nil {
				log.saw("/readyz no answer: "+err.Error(), true)
			} else {
				res.Body.Close()
				log.saw("/readyz "+strconv.Itoa(res.StatusCode), false)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	following, stopFollowing := context.WithCancel(context.Background())
	wsURL := "ws" + strings.TrimPrefix(h.url, "http") + "/graphql"
	subscribers := []string{secretariat, caseManager}
	received := make([]*cursors, len(subscribers))
	var followers sync.WaitGroup
	for i, login := range subscribers {
		tok, got := h.token(login), &cursors{}
		received[i] = got
		followers.Go(func() { resumingSubscriber(following, wsURL, tok, ess, start, got, log) })
	}

	phase := func(name string, d time.Duration, fault func()) {
		fault()
		t.Logf("%s for %s", name, d)
		time.Sleep(d)
	}
	phase("steady", 1500*time.Millisecond, func() {})
	phase("PostgreSQL refused", 2*time.Second, p.drop)
	phase("back", 1500*time.Millisecond, p.restore)
	phase("PostgreSQL black-holed", 3*time.Second, p.blackHole)
	phase("back", 2*time.Second, p.restore)
	stopWriting()
	writers.Wait()

	want := essQueueSince(t, direct, start, ess)
	awaitCaughtUp(received, start, want)
	stopFollowing()
	followers.Wait()

	log.mu.Lock()
	defer log.mu.Unlock()
	t.Logf("answers: %v", log.answers)
	t.Logf("%d referrals and %d structures acknowledged, %d queue events", len(log.referrals), len(log.structures), len(want))
	if len(log.wrong) > 0 {
		t.Errorf("answers a client must never see: %q", log.wrong)
	}
	if len(log.referrals) == 0 || len(log.structures) == 0 {
		t.Errorf("no mutation succeeded: the test measured nothing")
	}
	assertAcknowledgedWritten(t, direct, log)
	for i, login := range subscribers {
		if got := received[i].all(); !slices.Equal(got, want) {
			t.Errorf("subscriber %s: got %d events, want the outbox's %d in order once\n got: %v\nwant: %v",
				login, len(got), len(want), got, want)
		}
	}
}

// assertAcknowledgedWritten checks, on the database reached directly, that
// every acknowledged mutation is there once and whole: a referral with its
// SUBMIT history row and its event, a structure with its event.
func assertAcknowledgedWritten(t *testing.T, db *postgres.DB, log *faultLog) {
	t.Helper()
	ctx := context.Background()
	for key, id := range log.referrals {
		var row struct {
			N       int `db:"n"`
			History int `db:"history"`
			Events  int `db:"events"`
		}
		const q = `SELECT (SELECT count(*) FROM referrals WHERE id = $1 AND client_key = $2) AS n,
			(SELECT count(*) FROM referral_history WHERE referral_id = $1 AND action = 'SUBMIT') AS history,
			(SELECT count(*) FROM events WHERE subject_id = $1 AND type = 'REFERRAL_SUBMIT') AS events`
		if err := db.GetContext(ctx, &row, q, id, key); err != nil {
			t.Fatal(err)
		}
		if row.N != 1 || row.History != 1 || row.Events != 1 {
			t.Errorf("acknowledged referral %s (%s): %d rows, %d SUBMIT history rows, %d events; want 1 of each", id, key, row.N, row.History, row.Events)
		}
	}
	for _, id := range log.structures {
		var n, events int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM structures WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if err := db.GetContext(ctx, &events, `SELECT count(*) FROM events WHERE subject_id = $1 AND type = 'STRUCTURE_CREATED'`, id); err != nil {
			t.Fatal(err)
		}
		if n != 1 || events != 1 {
			t.Errorf("acknowledged structure %s: %d rows, %d events; want 1 of each", id, n, events)
		}
	}
}
