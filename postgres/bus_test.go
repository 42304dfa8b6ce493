package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// startBus runs a bus on db for the test.
func startBus(t *testing.T, db *postgres.DB, cfg postgres.BusConfig) *postgres.Bus {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	bus, err := postgres.StartBus(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-bus.Done() })
	return bus
}

// adminCtx acts as the national admin, who may read every territory's stats.
func adminCtx(t *testing.T, db *postgres.DB) context.Context { return pgtest.As(t, db, "admin") }

// activity selects the test topic under the territory-activity guard.
func activity(topic string) maillage.EventFilter {
	return maillage.EventFilter{Guard: maillage.GuardTerritoryActivity, Topics: []string{topic}}
}

// publish commits one event on topic and returns its id.
func publish(t *testing.T, db *postgres.DB, topic, typ string) int64 {
	t.Helper()
	return publishIn(t, db, topic, typ, "fr/28")
}

// publishIn commits one event on topic in domain and returns its id.
func publishIn(t *testing.T, db *postgres.DB, topic, typ, domain string) int64 {
	t.Helper()
	tx, err := db.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.AppendEvent(context.Background(), tx, postgres.Event{Topic: topic, Type: typ, SubjectID: "x", Domain: domain}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := tx.Get(&id, `SELECT currval('events_id_seq')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return id
}

// next returns the next event of ch, failing after a generous wait.
func next(t *testing.T, ch <-chan *maillage.Event) *maillage.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return ev
	case <-time.After(15 * time.Second):
		t.Fatal("no event")
	}
	return nil
}

func TestBusDeliversInIDOrderAcrossOutOfOrderCommits(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{})
	ch, err := bus.SubscribeEvents(adminCtx(t, db), "", activity("test"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A takes the lower id but commits last; B commits first.
	txA, _ := db.BeginTxx(ctx, nil)
	if err := postgres.AppendEvent(ctx, txA, postgres.Event{Topic: "test", Type: "A", SubjectID: "a", Domain: "fr/28"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { txA.Rollback() })
	idB := publish(t, db, "test", "B")
	// Wait (on state, not time) until the bus has seen B and holds it back.
	for deadline := time.Now().Add(15 * time.Second); bus.Stats().WaitingFor != idB-1; {
		if time.Now().After(deadline) {
			t.Fatalf("bus never waited for id %d: %+v", idB-1, bus.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case ev := <-ch:
		t.Fatalf("event %d (%s) delivered while a lower id was uncommitted", ev.ID, ev.Type)
	default:
	}
	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	a, b := next(t, ch), next(t, ch)
	if a.Type != "A" || b.Type != "B" || a.ID != idB-1 || b.ID != idB {
		t.Fatalf("got %d %s, %d %s; want A (id %d) then B (id %d)", a.ID, a.Type, b.ID, b.Type, idB-1, idB)
	}
}

// The adversarial commit order: B takes its xid after A, yet draws the lower
// event id; A commits first. While no later xid has completed, B's xid is at
// or above the xmax of every snapshot the bus takes, so B is in no
// snapshot's in-progress list: a bus that trusts that list skips B's event.
func TestBusWaitsForALowerIDHeldByALaterTransaction(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{GapTimeout: time.Hour})
	ch, err := bus.SubscribeEvents(adminCtx(t, db), "", activity("test"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	begin := func() (*sqlx.Tx, uint64) {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback() })
		var xid uint64
		if err := tx.Get(&xid, `SELECT pg_current_xact_id()::text::bigint`); err != nil {
			t.Fatal(err)
		}
		return tx, xid
	}
	appendIn := func(tx *sqlx.Tx, typ string) int64 {
		if err := postgres.AppendEvent(ctx, tx, postgres.Event{Topic: "test", Type: typ, SubjectID: "x", Domain: "fr/28"}); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := tx.Get(&id, `SELECT currval('events_id_seq')`); err != nil {
			t.Fatal(err)
		}
		return id
	}
	txA, xidA := begin()
	txB, xidB := begin()
	idB := appendIn(txB, "B")
	idA := appendIn(txA, "A")
	if !(xidA < xidB && idB < idA) {
		t.Fatalf("setup: A (xid %d, id %d), B (xid %d, id %d)", xidA, idA, xidB, idB)
	}
	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	// Wait (on state, not time) until the bus has seen the hole and read
	// the outbox again twice since: each read could have skipped it.
	early := func() {
		select {
		case ev := <-ch:
			t.Fatalf("event %d (%s) delivered while the lower id %d was uncommitted", ev.ID, ev.Type, idB)
		default:
		}
	}
	for deadline := time.Now().Add(15 * time.Second); bus.Stats().WaitingFor != idB; {
		early()
		if time.Now().After(deadline) {
			t.Fatalf("bus never waited for id %d: %+v", idB, bus.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for reads := bus.Stats().Reads; bus.Stats().Reads < reads+2; {
		time.Sleep(5 * time.Millisecond)
	}
	early()
	if err := txB.Commit(); err != nil {
		t.Fatal(err)
	}
	b, a := next(t, ch), next(t, ch)
	if b.ID != idB || a.ID != idA {
		t.Fatalf("got %d (%s), %d (%s); want B (id %d) then A (id %d)", b.ID, b.Type, a.ID, a.Type, idB, idA)
	}
}

func TestBusSkipsIDsOfRolledBackTransactions(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{GapTimeout: time.Hour})
	ch, err := bus.SubscribeEvents(adminCtx(t, db), "", activity("test"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tx, _ := db.BeginTxx(ctx, nil)
	if err := postgres.AppendEvent(ctx, tx, postgres.Event{Topic: "test", Type: "ROLLED_BACK", SubjectID: "a", Domain: "fr/28"}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	id := publish(t, db, "test", "KEPT")
	// With an hour of gap timeout, only the proof that the rolled-back
	// transaction ended lets the bus go past the missing id.
	if ev := next(t, ch); ev.ID != id || ev.Type != "KEPT" {
		t.Fatalf("got %d %s, want %d KEPT", ev.ID, ev.Type, id)
	}
}

func TestResumeReplaysThenGoesLiveWithoutGapOrDuplicate(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{})
	var ids []int64
	for i := range 5 {
		ids = append(ids, publish(t, db, "test", fmt.Sprint("E", i)))
		publish(t, db, "noise", "N")
	}
	// Let the bus settle them, then resume after the second one.
	mark, _ := bus.SubscribeEvents(adminCtx(t, db), "", activity("mark"))
	publish(t, db, "mark", "M")
	next(t, mark)
	ch, err := bus.SubscribeEvents(adminCtx(t, db), fmt.Sprint(ids[1]), activity("test"))
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, publish(t, db, "test", "E5"), publish(t, db, "test", "E6"))
	for _, want := range ids[2:] {
		if ev := next(t, ch); ev.ID != want {
			t.Fatalf("got event %d, want %d", ev.ID, want)
		}
	}
	select {
	case ev := <-ch:
		t.Fatalf("unexpected extra event %d", ev.ID)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestALaggingSubscriberCatchesUpFromTheOutbox(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{Buffer: 2})
	lagging, err := bus.SubscribeEvents(adminCtx(t, db), "", activity("test"))
	if err != nil {
		t.Fatal(err)
	}
	fast, _ := bus.SubscribeEvents(adminCtx(t, db), "", activity("test"))
	var ids []int64
	for i := range 10 {
		ids = append(ids, publish(t, db, "test", fmt.Sprint("E", i)))
		next(t, fast) // the fast one is served while the other does not read
	}
	if bus.Stats().CaughtUp == 0 {
		t.Fatalf("10 events in a buffer of 2, and no subscriber fell behind: %+v", bus.Stats())
	}
	ids = append(ids, publish(t, db, "test", "E10"))
	for _, want := range ids {
		if ev := next(t, lagging); ev.ID != want {
			t.Fatalf("lagging subscriber got %d, want %d", ev.ID, want)
		}
	}
	if bus.Stats().SlowConsumers != 0 {
		t.Fatalf("a subscriber that reads late was cut: %+v", bus.Stats())
	}
}

func TestAConsumerThatStopsReadingIsCut(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{Buffer: 2, StallTimeout: 200 * time.Millisecond})
	ended := make(chan error, 1)
	f := activity("test")
	f.OnEnd = func(err error) { ended <- err }
	if _, err := bus.SubscribeEvents(adminCtx(t, db), "", f); err != nil { // never read
		t.Fatal(err)
	}
	fast, _ := bus.SubscribeEvents(adminCtx(t, db), "", activity("test"))
	for range 5 {
		publish(t, db, "test", "E")
		next(t, fast)
	}
	if err := <-ended; !errors.Is(err, maillage.ErrSlowConsumer) {
		t.Fatalf("stalled consumer ended with %v", err)
	}
	if bus.Stats().SlowConsumers != 1 {
		t.Fatalf("slow consumers: %+v", bus.Stats())
	}
}

func TestCursorOlderThanRetentionIsRefused(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{Retention: time.Hour})
	first := publish(t, db, "test", "OLDER")
	old := publish(t, db, "test", "OLD")
	if _, err := db.Exec(`UPDATE events SET created_at = now() - interval '2 hours' WHERE id <= $1`, old); err != nil {
		t.Fatal(err)
	}
	recent := publish(t, db, "test", "RECENT")
	pruneThrough(t, db, bus, old)
	_, err := bus.SubscribeEvents(adminCtx(t, db), fmt.Sprint(first), activity("test"))
	if maillage.ErrorCode(err) != maillage.ECURSOREXPIRED {
		t.Fatalf("old cursor: got %v, want CURSOR_EXPIRED", err)
	}
	ch, err := bus.SubscribeEvents(adminCtx(t, db), fmt.Sprint(old), activity("test"))
	if err != nil {
		t.Fatal(err)
	}
	if ev := next(t, ch); ev.ID != recent {
		t.Fatalf("got %d, want %d", ev.ID, recent)
	}
	if _, err := bus.SubscribeEvents(adminCtx(t, db), "abc", activity("test")); maillage.ErrorCode(err) != maillage.EINVALID {
		t.Fatalf("bad cursor: %v", err)
	}
	// A cursor ahead of every event ever issued would silently skip what
	// comes next: refused.
	if _, err := bus.SubscribeEvents(adminCtx(t, db), fmt.Sprint(recent+1000), activity("test")); maillage.ErrorCode(err) != maillage.EINVALID {
		t.Fatalf("cursor from the future: %v, want BAD_USER_INPUT", err)
	}
}

// pruneThrough prunes until every event up to id is gone. The bus prunes
// once as it starts, under the same advisory lock: a Prune that finds the
// lock held by it changes nothing, so one call is not enough.
func pruneThrough(t *testing.T, db *postgres.DB, bus *postgres.Bus, id int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := bus.Prune(context.Background()); err != nil {
			t.Fatalf("prune: %v", err)
		}
		var left int
		if err := db.Get(&left, `SELECT count(*) FROM events WHERE id <= $1`, id); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events up to %d left after pruning", left, id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestGuardDecidesEachEventUnderTheCurrentGrants(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{})
	const domain = "fr/28/76/cpts-rouen-nord"
	ctx := context.Background()
	admin := adminCtx(t, db)
	var membership, pro, cpts string
	db.Get(&membership, `SELECT m.id FROM memberships m JOIN professionals p ON p.id = m.professional_id
		WHERE p.rpps = '10003456781' AND m.role = 'COORDINATOR' AND m.ended_at IS NULL`)
	db.Get(&pro, `SELECT id FROM professionals WHERE rpps = '10003456781'`)
	db.Get(&cpts, `SELECT id FROM structures WHERE name = 'CPTS Rouen Nord'`)
	// Claire coordinates CPTS Rouen Nord: she sees its territory's activity.
	ch, err := bus.SubscribeEvents(pgtest.As(t, db, "10003456781"), "", activity("test"))
	if err != nil {
		t.Fatal(err)
	}
	first := publishIn(t, db, "test", "E1", domain)
	if ev := next(t, ch); ev.ID != first {
		t.Fatalf("got %d, want %d", ev.ID, first)
	}
	// Same domain, so a cached decision would still say yes: the grants
	// changed, and the next event is judged under the new ones.
	if _, err := db.Directory.EndMembership(admin, membership); err != nil {
		t.Fatal(err)
	}
	if err := db.Authz.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	hidden := publishIn(t, db, "test", "E2", domain)
	// The guard judges an event when the bus hands it over: let it judge E2
	// before access comes back.
	for deadline := time.Now().Add(15 * time.Second); bus.Stats().Decided < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("E2 never judged: %+v", bus.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := db.Directory.AddMembership(admin, maillage.MembershipInput{ProfessionalID: pro, StructureID: cpts, Role: maillage.MemberRoleCoordinator}); err != nil {
		t.Fatal(err)
	}
	if err := db.Authz.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	back := publishIn(t, db, "test", "E3", domain)
	if ev := next(t, ch); ev.ID != back {
		t.Fatalf("got event %d (%s), want %d: %d was published while she had no access", ev.ID, ev.Type, back, hidden)
	}
}

// essStaff acts as the secretariat of ESS Dermatologie Rouen, who may read
// the ESS's requests, and returns the ESS's domain.
func essStaff(t *testing.T, db *postgres.DB) (context.Context, string) {
	t.Helper()
	var domain string
	if err := db.Get(&domain, `SELECT t.path || '/@' || s.id FROM structures s JOIN territories t ON t.id = s.territory_id
		WHERE s.name = 'ESS Dermatologie Rouen Métropole'`); err != nil {
		t.Fatal(err)
	}
	return pgtest.As(t, db, "10003456789"), domain
}

// breakReferralGuard makes the referral guard's statement fail (its table
// is renamed) until the returned function puts it back.
func breakReferralGuard(t *testing.T, db *postgres.DB) (restore func()) {
	t.Helper()
	if _, err := db.Exec(`ALTER TABLE referrals RENAME TO referrals_away`); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	restore = func() {
		once.Do(func() {
			if _, err := db.Exec(`ALTER TABLE referrals_away RENAME TO referrals`); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Cleanup(restore)
	return restore
}

func TestAGuardThatFailsRetriesAndSkipsNothing(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{GuardRetry: time.Minute})
	ended := make(chan error, 1)
	f := maillage.EventFilter{Guard: maillage.GuardReferral, Topics: []string{"referral:x"}, EndWhenDenied: true,
		OnEnd: func(err error) { ended <- err }}
	staff, domain := essStaff(t, db)
	ch, err := bus.SubscribeEvents(staff, "", f)
	if err != nil {
		t.Fatal(err)
	}
	restore := breakReferralGuard(t, db)
	first := publishIn(t, db, "referral:x", "DURING", domain)
	// The bus could not decide: the subscriber fell behind and retries.
	for deadline := time.Now().Add(15 * time.Second); bus.Stats().CaughtUp == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the failed guard did not make the subscriber catch up: %+v", bus.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	restore()
	second := publishIn(t, db, "referral:x", "AFTER", domain)
	for _, want := range []int64{first, second} {
		if ev := next(t, ch); ev.ID != want {
			t.Fatalf("got %d, want %d", ev.ID, want)
		}
	}
	select {
	case err := <-ended:
		t.Fatalf("stream ended: %v", err)
	default:
	}
}

func TestAGuardThatKeepsFailingEndsWithARetryableError(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{GuardRetry: 300 * time.Millisecond})
	ended := make(chan error, 1)
	f := maillage.EventFilter{Guard: maillage.GuardReferral, Topics: []string{"referral:x"}, EndWhenDenied: true,
		OnEnd: func(err error) { ended <- err }}
	staff, domain := essStaff(t, db)
	ch, err := bus.SubscribeEvents(staff, "", f)
	if err != nil {
		t.Fatal(err)
	}
	breakReferralGuard(t, db)
	publishIn(t, db, "referral:x", "DURING", domain)
	select {
	case err := <-ended:
		if maillage.ErrorCode(err) != maillage.EUNAVAILABLE {
			t.Fatalf("ended with %v, want SERVICE_UNAVAILABLE", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("stream did not end")
	}
	if ev, ok := <-ch; ok {
		t.Fatalf("event %d delivered without a decision", ev.ID)
	}
}

// The seed appends events through the services: each has a type of the
// contract (maillage.EventTypes). (TestReferralServiceLifecycle checks that a
// referral event names its ESS.)
func TestAppendedEventsFollowTheContract(t *testing.T) {
	db := pgtest.Seeded(t)
	var rows []struct {
		Family string `db:"family"`
		Type   string `db:"type"`
	}
	if err := db.Select(&rows, `SELECT DISTINCT split_part(topic, ':', 1) AS family, type FROM events`); err != nil {
		t.Fatal(err)
	}
	types := maillage.EventTypes()
	for _, r := range rows {
		if !slices.Contains(types[r.Family], r.Type) {
			t.Errorf("event type %s on %s is not in maillage.EventTypes", r.Type, r.Family)
		}
	}
	if len(rows) == 0 {
		t.Fatal("the seed appended no event")
	}
}

// TestReadySignalsEachEventAndTheEnd: a transport that reads a
// subscription's channel only when Ready says so (the websocket transport
// does) never blocks and misses nothing, live or catching up; a stream the
// service ends says why (OnEnd) before its last Ready.
func TestReadySignalsEachEventAndTheEnd(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{Buffer: 2, StallTimeout: 300 * time.Millisecond})
	ready := make(chan struct{}, 100)
	ctx, cancel := context.WithCancel(adminCtx(t, db))
	defer cancel()
	f := activity("test")
	f.Ready = func() { ready <- struct{}{} }
	ch, err := bus.SubscribeEvents(ctx, "", f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 6 { // more than the buffer: the subscriber falls behind and catches up
		ids = append(ids, publish(t, db, "test", fmt.Sprint("E", i)))
	}
	readOnSignal := func() (*maillage.Event, bool) {
		t.Helper()
		select {
		case <-ready:
		case <-time.After(15 * time.Second):
			t.Fatal("no Ready")
		}
		select {
		case ev, ok := <-ch:
			return ev, ok
		default:
			t.Fatal("Ready, yet nothing to read")
		}
		return nil, false
	}
	for _, want := range ids {
		if ev, ok := readOnSignal(); !ok || ev.ID != want {
			t.Fatalf("got %v (open %v), want event %d", ev, ok, want)
		}
	}
	cancel()
	if _, ok := readOnSignal(); ok {
		t.Fatal("the channel of a subscriber that left is still open")
	}

	// A consumer that stops reading is cut: OnEnd, then the last Ready.
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	f = activity("test")
	f.Ready = func() { note("ready") }
	f.OnEnd = func(error) { note("end") }
	if _, err := bus.SubscribeEvents(adminCtx(t, db), "", f); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		publish(t, db, "test", "E")
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		got := slices.Clone(order)
		mu.Unlock()
		if slices.Contains(got, "end") {
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			got = slices.Clone(order)
			mu.Unlock()
			if n := len(got); n < 2 || got[n-2] != "end" || got[n-1] != "ready" {
				t.Fatalf("signals of a cut stream: %v, want OnEnd then the last Ready", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stalled consumer was never cut: %v", got)
		}
	}
}

// A subscription resuming from a cursor the retention still held, while a
// prune that deletes the events after it commits, ends with CURSOR_EXPIRED:
// it never goes on past events it was not given.
func TestResumeEndsWhenAPruneCommitsDuringItsReplay(t *testing.T) {
	db := pgtest.Seeded(t)
	bus := startBus(t, db, postgres.BusConfig{Retention: time.Hour})
	cursor := publish(t, db, "test", "SEEN")
	var last int64
	for range 3 {
		last = publish(t, db, "test", "MISSED")
	}
	after := publish(t, db, "test", "AFTER")
	waitSettled(t, bus, after)
	// The prune deletes the events after the cursor and keeps the table
	// locked until the subscription's replay waits for it.
	prune := holdPrune(t, db, last)
	ended := make(chan error, 1)
	f := activity("test")
	f.OnEnd = func(err error) { ended <- err }
	ch, err := bus.SubscribeEvents(adminCtx(t, db), fmt.Sprint(cursor), f) // the cursor is checked before the prune commits
	if err != nil {
		t.Fatal(err)
	}
	prune.commitOnceWaitedFor(t, db, "the subscription's replay")
	for ev := range ch {
		t.Fatalf("got event %d (%s) after events it was not given", ev.ID, ev.Type)
	}
	if err := <-ended; maillage.ErrorCode(err) != maillage.ECURSOREXPIRED {
		t.Fatalf("the stream ended with %v, want CURSOR_EXPIRED", err)
	}
}

// waitSettled waits until bus has settled the event id.
func waitSettled(t *testing.T, bus *postgres.Bus, id int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s, _ := bus.Settled(); s >= id {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %d not settled after 10 s", id)
		}
	}
}

// heldPrune is a prune of the events up to some id, not yet committed, that
// keeps the events table locked: whatever reads events waits for it.
type heldPrune struct {
	tx  *sqlx.Tx
	pid int
}

// holdPrune deletes the events up to through, and records it, in a
// transaction it keeps open (rolled back at the end of the test unless
// committed).
func holdPrune(t *testing.T, db *postgres.DB, through int64) *heldPrune {
	t.Helper()
	tx, err := db.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	for _, q := range []string{`UPDATE events_pruned SET pruned_through = $1`, `DELETE FROM events WHERE id <= $1`} {
		if _, err := tx.Exec(q, through); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(`LOCK TABLE events IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	p := &heldPrune{tx: tx}
	if err := tx.Get(&p.pid, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	return p
}

// commitOnceWaitedFor commits the prune once another session waits for its
// locks (who, for the failure message): no timing decides the order.
func (p *heldPrune) commitOnceWaitedFor(t *testing.T, db *postgres.DB, who string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := db.Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, p.pid); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not wait for the prune after 10 s", who)
		}
	}
	if err := p.tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
