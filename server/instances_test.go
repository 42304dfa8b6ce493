package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// Two hub instances on one PostgreSQL, eight writers submitting referrals
// through both, and subscribers that leave every second or so and resume
// with their last cursor on the other instance: for 30 s. Every subscriber
// must get every event of its ESS's queue in the outbox, in order, once:
// whatever the commit order of concurrent writers (holes in the ids) and
// wherever it resumes.
func TestTwoInstancesEightWritersResumingSubscribers(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: 30 s")
	}
	const run = 30 * time.Second
	db := pgtest.Seeded(t)
	cfg := server.Config{WebsocketPingInterval: time.Second}
	hubs := []*hub{newHub(t, db, cfg), newHub(t, pgtest.Open(t, db.DSN), cfg)}
	h := hubs[0]
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	patient := jpath(h.ok(gpMartin, createPatient, map[string]any{"in": map[string]any{"familyName": "Charge", "givenNames": "Test",
		"birthDate": "1950-01-01", "sex": "F", "gpId": h.id(`SELECT id FROM professionals WHERE rpps = $1`, gpMartin)}}), "createPatient.id").(string)
	start := h.cursor(secretariat)
	log := &faultLog{referrals: map[string]string{}, answers: map[string]int{}}

	writing, stopWriting := context.WithCancel(context.Background())
	var writers sync.WaitGroup
	referral := map[string]any{"essId": ess, "patientId": patient, "requesterKind": "TREATING_GP",
		"reason": "lésion à surveiller", "urgency": "ROUTINE", "modality": "TELEEXPERTISE"}
	for w := range 8 {
		c := &faultClient{url: hubs[w%2].url, http: &http.Client{Timeout: 10 * time.Second}, log: log}
		tok := hubs[w%2].token(gpMartin)
		writers.Go(func() { c.submitUntilAcknowledged(writing, tok, "w"+strconv.Itoa(w), referral) })
	}

	following, stopFollowing := context.WithCancel(context.Background())
	var wsURLs []string
	for _, h := range hubs {
		wsURLs = append(wsURLs, "ws"+strings.TrimPrefix(h.url, "http")+"/graphql")
	}
	subscribers := []string{secretariat, caseManager, secretariat, caseManager}
	received := make([]*cursors, len(subscribers))
	var followers sync.WaitGroup
	for i, login := range subscribers {
		tok, got := h.token(login), &cursors{}
		received[i] = got
		followers.Go(func() {
			// Each connection lasts about a second, and the next one is on
			// the other instance.
			for n := i; following.Err() == nil; n++ {
				leave, cancel := context.WithTimeout(following, time.Duration(800+100*i)*time.Millisecond)
				if err := follow(leave, wsURLs[n%2], tok, ess, got.last(start), got, log); err != nil && leave.Err() == nil {
					time.Sleep(100 * time.Millisecond)
				}
				cancel()
			}
		})
	}
	time.Sleep(run)
	stopWriting()
	writers.Wait()

	want := essQueueSince(t, db, start, ess)
	awaitCaughtUp(received, start, want)
	stopFollowing()
	followers.Wait()

	log.mu.Lock()
	defer log.mu.Unlock()
	t.Logf("%d referrals acknowledged, %d queue events, answers %v", len(log.referrals), len(want), log.answers)
	if len(log.wrong) > 0 {
		t.Errorf("answers a client must never see: %q", log.wrong)
	}
	if len(log.referrals) < 100 {
		t.Errorf("only %d referrals in %s: the test measured little", len(log.referrals), run)
	}
	if len(want) < len(log.referrals) {
		t.Errorf("%d acknowledged referrals, %d events in the ESS's queue", len(log.referrals), len(want))
	}
	for i, login := range subscribers {
		got := received[i].all()
		if !slices.Equal(got, want) {
			t.Errorf("subscriber %d (%s): got %d events, want the outbox's %d in order once; %s",
				i, login, len(got), len(want), firstDifference(got, want))
		}
	}
}

// firstDifference describes where got first departs from want.
func firstDifference(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d got %s, want %s", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("one is a prefix of the other (%d, %d)", len(got), len(want))
}
