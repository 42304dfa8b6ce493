package notify_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/notify"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// Seeded logins (postgres/seed.go).
const (
	gpLefebvre  = "10003456781" // GP, member of Jeanne Dupont's team
	gpMartin    = "10003456782" // GP, not in Dupont's team
	nurseDurand = "10003456783" // nurse, member of Dupont's team
	pharmacist  = "10003456785" // member of Dupont's team
	specialist  = "10003456787" // ESS Dermatologie Rouen
	secretariat = "10003456789"
	caseManager = "10003456790"
	geriatric   = "10003456791" // member of Dupont's team
)

const publicURL = "https://maillage.example"

// startNotifier runs a notifier on db (its own bus, as an instance has)
// with the relay r, and quick retries.
func startNotifier(t testing.TB, db *postgres.DB, r *relay, c certs, change func(*notify.Config)) *notify.Service {
	t.Helper()
	cfg := notify.Config{Host: "127.0.0.1", Port: r.Port(), TLS: "starttls", ClientCert: c.ClientCert, ClientKey: c.ClientKey,
		CAFile: c.CA, From: "notifications@maillage.mssante.fr", PublicURL: publicURL, Timeout: 5 * time.Second,
		RetryMin: 200 * time.Millisecond, RetryMax: time.Second, Poll: 100 * time.Millisecond, JobsEvery: time.Hour,
		Defaults: map[string]maillage.NotificationMode{maillage.RecipientTeamMember: maillage.NotifyImmediate}}
	if change != nil {
		change(&cfg)
	}
	svc, err := notify.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bus, err := postgres.StartBus(ctx, db, postgres.BusConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-bus.Done() })
	if err := svc.Start(ctx, bus, postgres.FollowConfig{Tick: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	return svc
}

// settle waits until the notifier has considered every event and sent
// every mail, then returns what the relay received.
func settle(t *testing.T, db *postgres.DB, r *relay) []received {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		// One snapshot: the position and the mails its step queued.
		var last, pos, unsent int64
		err := db.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0),
			COALESCE((SELECT position FROM outbox_followers WHERE name = $1), 0),
			(SELECT count(*) FROM notification_mails WHERE sent_at IS NULL AND abandoned_at IS NULL) FROM events`, notify.FollowerName).Scan(&last, &pos, &unsent)
		if err != nil {
			t.Fatal(err)
		}
		if pos >= last && unsent == 0 {
			return r.Received()
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifier not settled: position %d of %d, %d mails unsent", pos, last, unsent)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func address(t *testing.T, db *postgres.DB, rpps string) string {
	t.Helper()
	var a string
	if err := db.Get(&a, `SELECT lower(mssante) FROM professionals WHERE rpps = $1`, rpps); err != nil {
		t.Fatal(err)
	}
	return a
}

func idOf(t testing.TB, db *postgres.DB, q string, args ...any) string {
	t.Helper()
	var id string
	if err := db.Get(&id, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

func ptr[T any](v T) *T { return &v }

// recipients lists the To of ms, sorted.
func recipients(ms []received) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.To)
	}
	slices.Sort(out)
	return out
}

// sorted returns s sorted.
func sorted(s ...string) []string { slices.Sort(s); return s }

// noPatientData fails if a mail carries what identifies the patient or
// what the request or the note says.
func noPatientData(t *testing.T, ms []received, secrets ...string) {
	t.Helper()
	for _, m := range ms {
		for _, s := range secrets {
			if strings.Contains(strings.ToLower(m.Subject+"\n"+m.Body), strings.ToLower(s)) {
				t.Errorf("mail to %s (%q) carries %q:\n%s", m.To, m.Subject, s, m.Body)
			}
		}
	}
}

// TestReferralLifeAndCareTeamMails follows a request through its life and
// a care team's timeline with a real SMTP relay that requires the hub's
// client certificate: each event reaches exactly the people it concerns
// who may see it, in French, with the portal link, and no patient data.
func TestReferralLifeAndCareTeamMails(t *testing.T) {
	db := pgtest.Seeded(t)
	c := newCerts(t)
	r := startRelay(t, c)
	startNotifier(t, db, r, c, nil)
	ctx := context.Background()
	ess := idOf(t, db, `SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	essMailbox := idOf(t, db, `SELECT lower(mssante) FROM structures WHERE id = $1`, ess)
	martin, fournier := address(t, db, gpMartin), address(t, db, specialist)

	gp := pgtest.As(t, db, gpMartin)
	patient, err := db.Patients.CreatePatient(gp, maillage.PatientInput{FamilyName: "Renaud", GivenNames: "Simone",
		BirthDate: time.Date(1955, 4, 3, 0, 0, 0, 0, time.UTC), Sex: maillage.SexFemale,
		GPID: ptr(idOf(t, db, `SELECT id FROM professionals WHERE rpps = $1`, gpMartin))})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := db.Referrals.SubmitReferral(gp, maillage.ReferralInput{ClientKey: "k1", ESSID: ess, PatientID: patient.ID,
		RequesterKind: maillage.RequesterTreatingGP, Reason: "naevus atypique du dos", Urgency: maillage.UrgencyPriority,
		Modality: maillage.ModalityTeleexpertise})
	if err != nil {
		t.Fatal(err)
	}
	link := publicURL + "/portal/demandes/" + ref.ID
	step := func(login string, in maillage.ReferralTransitionInput) {
		t.Helper()
		if _, err := db.Referrals.TransitionReferral(pgtest.As(t, db, login), ref.ID, in); err != nil {
			t.Fatalf("%s %s: %v", login, in.Action, err)
		}
	}
	seen := 0
	expect := func(what string, want []string, words ...string) []received {
		t.Helper()
		all := settle(t, db, r)
		got := all[seen:]
		seen = len(all)
		if !slices.Equal(recipients(got), want) {
			var dump []string
			db.Select(&dump, `SELECT d.event_id || ' ' || e.type || ' ' || d.recipient || ' ' || COALESCE(m.sent_at::text, 'unsent') FROM notification_deliveries d
				LEFT JOIN events e ON e.id = d.event_id LEFT JOIN notification_mails m ON m.id = d.mail_id ORDER BY d.event_id`)
			var evs []string
			db.Select(&evs, `SELECT id || ' ' || type FROM events WHERE id > (SELECT max(id) - 5 FROM events) ORDER BY id`)
			pos, _ := db.FollowerPosition(ctx, notify.FollowerName)
			t.Fatalf("%s: mails to %v, want %v\ndeliveries %v\nlast events %v\nposition %d", what, recipients(got), want, dump, evs, pos)
		}
		for _, m := range got {
			for _, w := range words {
				if !strings.Contains(m.Subject+"\n"+m.Body, w) {
					t.Errorf("%s: mail to %s lacks %q:\n%s\n%s", what, m.To, w, m.Subject, m.Body)
				}
			}
		}
		return got
	}

	today := time.Now().In(maillage.Paris).Format("02/01/2006")
	sub := expect("submitted", []string{essMailbox}, "Nouvelle demande d’avis", "Thomas Martin", link, "heure de Paris", today)
	if sub[0].From != "notifications@maillage.mssante.fr" || !strings.Contains(sub[0].Raw, "Auto-Submitted: auto-generated") {
		t.Errorf("sender %q, headers:\n%s", sub[0].From, sub[0].Raw)
	}
	step(secretariat, maillage.ReferralTransitionInput{Action: maillage.ActionTriage, Comment: ptr("dossier complet")})
	expect("triaged", []string{martin}, "prise en charge", link)
	step(caseManager, maillage.ReferralTransitionInput{Action: maillage.ActionAssign,
		SpecialistID: ptr(idOf(t, db, `SELECT id FROM professionals WHERE rpps = $1`, specialist))})
	assigned := expect("assigned", sorted(martin, fournier), link)
	for _, m := range assigned {
		if m.To == fournier && !strings.Contains(m.Subject, "vous est confiée") {
			t.Errorf("the specialist's mail: %q", m.Subject)
		}
	}
	step(specialist, maillage.ReferralTransitionInput{Action: maillage.ActionAnswer, Answer: ptr("exérèse conseillée sous 15 jours")})
	expect("answered", []string{martin}, "a reçu une réponse", link)

	// Another request, declined: the ESS's mailbox, then the requester; the
	// reason stays on the portal.
	declined, err := db.Referrals.SubmitReferral(gp, maillage.ReferralInput{ClientKey: "k2", ESSID: ess, PatientID: patient.ID,
		RequesterKind: maillage.RequesterTreatingGP, Reason: "prurit chronique", Urgency: maillage.UrgencyRoutine,
		Modality: maillage.ModalityInPerson})
	if err != nil {
		t.Fatal(err)
	}
	expect("second submitted", []string{essMailbox}, publicURL+"/portal/demandes/"+declined.ID)
	if _, err := db.Referrals.TransitionReferral(pgtest.As(t, db, caseManager), declined.ID, maillage.ReferralTransitionInput{
		Action: maillage.ActionDecline, Reason: ptr("hors du champ de l’ESS")}); err != nil {
		t.Fatal(err)
	}
	expect("declined", []string{martin}, "a été déclinée", publicURL+"/portal/demandes/"+declined.ID)

	// A third request, triaged, then withdrawn by its requester: the ESS's
	// mailbox is told it need not be handled, and nobody else (the
	// requester did it); the patient and the reason stay on the portal.
	withdrawn, err := db.Referrals.SubmitReferral(gp, maillage.ReferralInput{ClientKey: "k3", ESSID: ess, PatientID: patient.ID,
		RequesterKind: maillage.RequesterTreatingGP, Reason: "eczéma de contact des mains", Urgency: maillage.UrgencyRoutine,
		Modality: maillage.ModalityTeleconsultation})
	if err != nil {
		t.Fatal(err)
	}
	withdrawnLink := publicURL + "/portal/demandes/" + withdrawn.ID
	expect("third submitted", []string{essMailbox}, withdrawnLink)
	if _, err := db.Referrals.TransitionReferral(pgtest.As(t, db, secretariat), withdrawn.ID, maillage.ReferralTransitionInput{
		Action: maillage.ActionTriage}); err != nil {
		t.Fatal(err)
	}
	expect("third triaged", []string{martin}, "prise en charge", withdrawnLink)
	if _, err := db.Referrals.TransitionReferral(gp, withdrawn.ID, maillage.ReferralTransitionInput{
		Action: maillage.ActionWithdraw, Comment: ptr("lésions disparues sous émollient")}); err != nil {
		t.Fatal(err)
	}
	gone := expect("withdrawn", []string{essMailbox}, "Demande d’avis retirée par son demandeur (ESS Dermatologie Rouen Métropole)",
		"Thomas Martin a retiré sa demande d’avis adressée à ESS Dermatologie Rouen Métropole", "n’est plus à traiter", withdrawnLink, "heure de Paris", today)
	if !strings.HasPrefix(gone[0].Subject, "Demande d’avis retirée") {
		t.Errorf("the withdrawal's subject: %q", gone[0].Subject)
	}

	// A note in Jeanne Dupont's team: every other current member, not the
	// author, not a GP outside the team.
	team := idOf(t, db, `SELECT e.id FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Dupont'`)
	nurse := pgtest.As(t, db, nurseDurand)
	if _, err := db.ESCAP.AddEntry(nurse, maillage.EntryInput{ESCAPID: team, Kind: maillage.EntryNote,
		Body: "tension 15/9 ce matin, Mme Dupont fatiguée"}); err != nil {
		t.Fatal(err)
	}
	teamLink := publicURL + "/portal/escap/" + team
	members := sorted(address(t, db, gpLefebvre), address(t, db, geriatric), address(t, db, pharmacist))
	expect("note", members, "Sophie Durand a ajouté une note", teamLink)
	// A task given to one member: that member only.
	if _, err := db.ESCAP.AddEntry(nurse, maillage.EntryInput{ESCAPID: team, Kind: maillage.EntryTask,
		Body: "réévaluer le traitement de Mme Dupont", AssigneeID: ptr(idOf(t, db, `SELECT id FROM professionals WHERE rpps = $1`, geriatric))}); err != nil {
		t.Fatal(err)
	}
	expect("task", []string{address(t, db, geriatric)}, "vous a confié une tâche", teamLink)

	// The team nears its term: every member, told once.
	end := time.Now().Add(10 * 24 * time.Hour)
	if _, err := db.Exec(`UPDATE escaps SET expires_at = $2 WHERE id = $1`, team, end); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := db.ESCAP.AnnounceESCAPTerms(ctx, time.Now(), 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	expect("term near", sorted(append(members, address(t, db, nurseDurand))...), "arrive à son terme le "+end.In(maillage.Paris).Format("02/01/2006"), teamLink)

	all := r.Received()
	noPatientData(t, all, "Renaud", "Simone", "03/04/1955", "1955-04-03", "naevus", "exérèse", "prurit", "hors du champ", "eczéma", "émollient", "Dupont", "Jeanne", "tension", "réévaluer")
	ids := map[string]bool{}
	for _, m := range all {
		ids[m.MessageID] = true
	}
	if len(ids) != len(all) {
		t.Errorf("%d mails, %d distinct Message-IDs", len(all), len(ids))
	}

	// Whoever is outside the care circle is refused by the same guard as a
	// subscription, whatever the recipients' query says.
	evs, err := db.EventsAfter(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var note *maillage.Event
	for _, ev := range evs {
		if ev.Type == maillage.EventNoteAdded && ev.Topic == maillage.ESCAPTopic(team) {
			note = ev
		}
	}
	who := func(rpps string) postgres.NotifyRecipient {
		var acc, pro string
		db.QueryRow(`SELECT a.id, p.id FROM accounts a JOIN professionals p ON p.id = a.professional_id WHERE p.rpps = $1`, rpps).Scan(&acc, &pro)
		return postgres.NotifyRecipient{Key: "professional:" + pro, AccountID: acc, ProfessionalID: pro}
	}
	ok, err := db.NotifyAllowed(ctx, note, []postgres.NotifyRecipient{who(gpLefebvre), who(gpMartin), {Key: "structure:" + ess, StructureID: ess}})
	if err != nil || !slices.Equal(ok, []bool{true, false, false}) {
		t.Errorf("allowed for a member, a GP outside, an ESS mailbox: %v %v, want [true false false]", ok, err)
	}
}

// TestRelayDownTwoInstances runs two notifiers on one database while the
// relay is down for 30 s (3 s with -short): every mail arrives once it is
// back, none twice, and the failed attempts were counted.
func TestRelayDownTwoInstances(t *testing.T) {
	db := pgtest.Seeded(t)
	other := pgtest.Open(t, db.DSN)
	c := newCerts(t)
	r := startRelay(t, c)
	a := startNotifier(t, db, r, c, nil)
	b := startNotifier(t, other, r, c, nil)
	settle(t, db, r)
	r.Stop()

	team := idOf(t, db, `SELECT e.id FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Dupont'`)
	authors := []string{nurseDurand, gpLefebvre, pharmacist, geriatric}
	want := map[string]int{}
	for i := range 8 {
		author := authors[i%len(authors)]
		svc := []*postgres.DB{db, other}[i%2]
		if _, err := svc.ESCAP.AddEntry(pgtest.As(t, db, author), maillage.EntryInput{ESCAPID: team, Kind: maillage.EntryNote,
			Body: fmt.Sprintf("note %d", i)}); err != nil {
			t.Fatal(err)
		}
		for _, m := range authors {
			if m != author {
				want[address(t, db, m)]++
			}
		}
	}
	down := 30 * time.Second
	if testing.Short() {
		down = 3 * time.Second
	}
	time.Sleep(down)
	if n := len(r.Received()); n != 0 {
		t.Fatalf("%d mails received while the relay was down", n)
	}
	var attempts int
	db.Get(&attempts, `SELECT COALESCE(max(attempts), 0) FROM notification_mails`)
	if failures := a.Stats().Failures + b.Stats().Failures; failures == 0 || attempts < 2 {
		t.Fatalf("while down: %d failed attempts counted, at most %d attempts of a mail", failures, attempts)
	}
	r.Restart()
	got := settle(t, db, r)
	counts := map[string]int{}
	ids := map[string]bool{}
	for _, m := range got {
		counts[m.To]++
		ids[m.MessageID] = true
	}
	total := 0
	for _, n := range want {
		total += n
	}
	if len(got) != total || len(ids) != total || fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("after the outage: %d mails (%d distinct), per recipient %v; want %d once each, %v", len(got), len(ids), counts, total, want)
	}
	t.Logf("%d mails after a %s outage: instance a sent %d, b sent %d; %d failed attempts", total, down,
		a.Stats().Sent, b.Stats().Sent, a.Stats().Failures+b.Stats().Failures)
}

// TestPreferencesAndDigest: a member who chose the digest gets one mail a
// day gathering the events, one who chose OFF nothing, the others at once;
// a member who left the team before the digest gets nothing of it; a bad
// mode is refused naming the field.
func TestPreferencesAndDigest(t *testing.T) {
	db := pgtest.Seeded(t)
	c := newCerts(t)
	r := startRelay(t, c)
	svc := startNotifier(t, db, r, c, nil)
	ctx := context.Background()

	lefebvre := pgtest.As(t, db, gpLefebvre)
	if _, err := svc.SetMyNotificationPreference(lefebvre, "WEEKLY"); maillage.ErrorCode(err) != maillage.EINVALID || !strings.Contains(err.Error(), "mode") {
		t.Fatalf("mode WEEKLY: %v, want BAD_USER_INPUT naming mode", err)
	}
	p, err := svc.MyNotificationPreference(lefebvre)
	if err != nil || p.Mode != nil || p.Address == nil || *p.Address != address(t, db, gpLefebvre) || len(p.Defaults) != len(notify.Roles) {
		t.Fatalf("before any choice: %+v %v", p, err)
	}
	if p, err = svc.SetMyNotificationPreference(lefebvre, maillage.NotifyDigest); err != nil || p.Mode == nil || *p.Mode != maillage.NotifyDigest {
		t.Fatalf("set DIGEST: %+v %v", p, err)
	}
	if _, err := svc.SetMyNotificationPreference(pgtest.As(t, db, geriatric), maillage.NotifyOff); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.MyNotificationPreference(pgtest.As(t, db, "admin")); maillage.ErrorCode(err) != maillage.EFORBIDDEN {
		t.Errorf("an account that is not a professional: %v, want FORBIDDEN", err)
	}

	team := idOf(t, db, `SELECT e.id FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Dupont'`)
	note := func(body string) {
		t.Helper()
		if _, err := db.ESCAP.AddEntry(pgtest.As(t, db, nurseDurand), maillage.EntryInput{ESCAPID: team, Kind: maillage.EntryNote, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	note("première note") // Fontaine chose OFF: nothing for him
	settle(t, db, r)      // (the preference is read when the event is handled)
	if _, err := svc.SetMyNotificationPreference(pgtest.As(t, db, geriatric), maillage.NotifyDigest); err != nil {
		t.Fatal(err)
	}
	note("deuxième note")
	got := settle(t, db, r)
	if want := []string{address(t, db, pharmacist), address(t, db, pharmacist)}; !slices.Equal(recipients(got), want) {
		t.Fatalf("immediate mails to %v, want %v", recipients(got), want)
	}
	// Fontaine leaves the team before the digest: checked again then, he
	// hears nothing of it.
	fontaine := idOf(t, db, `SELECT id FROM professionals WHERE rpps = $1`, geriatric)
	if _, err := db.Exec(`UPDATE escap_members SET left_at = now() WHERE escap_id = $1 AND professional_id = $2`, team, fontaine); err != nil {
		t.Fatal(err)
	}
	// Tomorrow's digest, at its time in Paris: one mail with both notes.
	tomorrow := time.Now().In(maillage.Paris).AddDate(0, 0, 1)
	at := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 7, 30, 0, 0, maillage.Paris)
	if n, err := svc.Digest(ctx, at.Add(-time.Minute)); err != nil || n != 0 {
		t.Fatalf("digest before its time: %d %v", n, err)
	}
	if n, err := svc.Digest(ctx, at); err != nil || n != 1 {
		t.Fatalf("digest: %d mails, %v; want 1", n, err)
	}
	if n, err := svc.Digest(ctx, at.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("second digest of the day: %d %v", n, err)
	}
	got = settle(t, db, r)[2:]
	if len(got) != 1 || got[0].To != address(t, db, gpLefebvre) || !strings.Contains(got[0].Subject, "2 notifications") ||
		strings.Count(got[0].Body, publicURL+"/portal/escap/"+team) != 2 {
		t.Fatalf("digest mails: %+v", got)
	}
	noPatientData(t, got, "Dupont", "Jeanne", "première", "deuxième")
	var withheld int
	db.Get(&withheld, `SELECT count(*) FROM notification_deliveries WHERE recipient = $1 AND withheld_at IS NOT NULL AND mail_id IS NULL`,
		"professional:"+fontaine)
	if withheld != 1 {
		t.Errorf("%d of Fontaine's digest items withheld, want 1", withheld)
	}
}

// TestRelayRefusesWithoutClientCertificate: the relay takes no mail from a
// hub that presents no client certificate; the mail stays queued, counted
// as a failure, and goes once the certificate is configured.
func TestRelayRefusesWithoutClientCertificate(t *testing.T) {
	db := pgtest.Seeded(t)
	c := newCerts(t)
	r := startRelay(t, c)
	bare := startNotifier(t, db, r, c, func(cfg *notify.Config) { cfg.ClientCert, cfg.ClientKey = "", "" })
	team := idOf(t, db, `SELECT e.id FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Dupont'`)
	if _, err := db.ESCAP.AddEntry(pgtest.As(t, db, nurseDurand), maillage.EntryInput{ESCAPID: team, Kind: maillage.EntryTask,
		Body: "pansement", AssigneeID: ptr(idOf(t, db, `SELECT id FROM professionals WHERE rpps = $1`, pharmacist))}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for bare.Stats().Failures == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no failed attempt without a client certificate")
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.mu.Lock()
	refused := r.refused
	r.mu.Unlock()
	if refused == 0 || len(r.Received()) != 0 {
		t.Fatalf("relay refused %d, received %d", refused, len(r.Received()))
	}
	// Another instance with the certificate sends it (the first keeps failing
	// on what it takes, so stop it by giving it nothing more to take).
	startNotifier(t, pgtest.Open(t, db.DSN), r, c, nil)
	deadline = time.Now().Add(20 * time.Second)
	for len(r.Received()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the mail never went")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := r.Received(); len(got) != 1 || got[0].To != address(t, db, pharmacist) {
		t.Fatalf("received %+v", got)
	}
}

// TestRecipientRefusedForGood: a mailbox the relay does not know (550 to
// RCPT TO) is not tried again, counted, and does not hold up the other
// mails of the same conversation.
func TestRecipientRefusedForGood(t *testing.T) {
	db := pgtest.Seeded(t)
	c := newCerts(t)
	r := startRelay(t, c)
	svc := startNotifier(t, db, r, c, nil)
	if _, err := db.Exec(`UPDATE professionals SET mssante = 'inconnu.petit@pharmacien.mssante.fr' WHERE rpps = $1`, pharmacist); err != nil {
		t.Fatal(err)
	}
	team := idOf(t, db, `SELECT e.id FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Dupont'`)
	if _, err := db.ESCAP.AddEntry(pgtest.As(t, db, nurseDurand), maillage.EntryInput{ESCAPID: team, Kind: maillage.EntryNote, Body: "n"}); err != nil {
		t.Fatal(err)
	}
	got := settle(t, db, r)
	if want := sorted(address(t, db, gpLefebvre), address(t, db, geriatric)); !slices.Equal(recipients(got), want) {
		t.Fatalf("mails to %v, want %v", recipients(got), want)
	}
	time.Sleep(time.Second) // several retry periods (RetryMin 200ms)
	var attempts int
	var lastError string
	if err := db.QueryRow(`SELECT attempts, last_error FROM notification_mails WHERE address LIKE 'inconnu%' AND abandoned_at IS NOT NULL`).
		Scan(&attempts, &lastError); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 || !strings.Contains(lastError, "550") || svc.Stats().Abandoned != 1 {
		t.Errorf("abandoned mail: %d attempts, %q, %d counted", attempts, lastError, svc.Stats().Abandoned)
	}
}

// TestPruneSettledDeliveries: the deliveries settled longer than the
// retention ago (default 90 days) — their mail sent or abandoned, or
// withheld from a digest — are deleted with their mails, in batches, by one
// instance at a time; a mail still to send, a delivery waiting for the
// digest and a recent one stay; and the running notifier's jobs do it.
func TestPruneSettledDeliveries(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := context.Background()
	ev := int64(1_000_000)
	// mail queues a mail settled days ago (sent, abandoned or, with "",
	// never) with n deliveries, and returns its id.
	mail := func(recipient, settled string, days, n int) int64 {
		t.Helper()
		var id int64
		at := fmt.Sprintf("now() - interval '%d days'", days)
		sent, abandoned := "NULL", "NULL"
		switch settled {
		case "sent":
			sent = at
		case "abandoned":
			abandoned = at
		}
		if err := db.Get(&id, `INSERT INTO notification_mails (recipient, address, subject, body, created_at, sent_at, abandoned_at)
			VALUES ($1, 'x@test.mssante.fr', 's', 'b', now() - interval '200 days', `+sent+`, `+abandoned+`) RETURNING id`, recipient); err != nil {
			t.Fatal(err)
		}
		for range n {
			ev++
			if _, err := db.Exec(`INSERT INTO notification_deliveries (event_id, recipient, channel, mode, address, summary, link, mail_id, created_at)
				VALUES ($1, $2, 'MAIL', 'IMMEDIATE', 'x@test.mssante.fr', 's', 'l', $3, now() - interval '200 days')`, ev, recipient, id); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	// digestLine records a delivery waiting for the digest, or withheld
	// from it days ago (withheldDays > 0).
	digestLine := func(recipient string, withheldDays int) {
		t.Helper()
		ev++
		withheld := "NULL"
		if withheldDays > 0 {
			withheld = fmt.Sprintf("now() - interval '%d days'", withheldDays)
		}
		if _, err := db.Exec(`INSERT INTO notification_deliveries (event_id, recipient, channel, mode, address, summary, link, created_at, withheld_at)
			VALUES ($1, $2, 'MAIL', 'DIGEST', 'x@test.mssante.fr', 's', 'l', now() - interval '200 days', `+withheld+`)`, ev, recipient); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		mail("professional:old-sent", "sent", 120, 1)
	}
	mail("professional:old-abandoned", "abandoned", 95, 1)
	mail("professional:old-digest", "sent", 91, 3) // a digest mail and its three lines
	mail("professional:old-sent", "sent", 91, 1)   // 7 old mails, 9 deliveries
	keptIDs := []int64{
		mail("professional:recent", "sent", 89, 1),
		mail("professional:recent", "abandoned", 10, 1),
		mail("professional:unsent", "", 0, 1), // created 200 days ago, never sent
	}
	for range 3 {
		digestLine("professional:withheld", 100)
	}
	digestLine("professional:withheld", 80)
	digestLine("professional:waiting", 0) // waits for the next digest
	count := func() (mails, deliveries int) {
		t.Helper()
		if err := db.QueryRow(`SELECT (SELECT count(*) FROM notification_mails), (SELECT count(*) FROM notification_deliveries)`).Scan(&mails, &deliveries); err != nil {
			t.Fatal(err)
		}
		return mails, deliveries
	}
	if m, d := count(); m != 10 || d != 17 {
		t.Fatalf("set up %d mails, %d deliveries; want 10, 17", m, d)
	}

	// No relay, the default retention, two mails a statement.
	svc, err := notify.New(db, notify.Config{PruneBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Another instance pruning (holding the lock): this one leaves it alone.
	other, err := db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext('maillage_notify_prune'))`); err != nil {
		t.Fatal(err)
	}
	if p, err := svc.Prune(ctx); err != nil || p.Ran || p.Mails+p.Deliveries != 0 {
		t.Fatalf("while another instance prunes: %+v %v; want nothing done", p, err)
	}
	if m, d := count(); m != 10 || d != 17 {
		t.Fatalf("while another instance prunes: %d mails, %d deliveries left; want 10, 17", m, d)
	}
	if _, err := other.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtext('maillage_notify_prune'))`); err != nil {
		t.Fatal(err)
	}

	p, err := svc.Prune(ctx)
	// 7 old mails in batches of 2 (2, 2, 2, 1), 3 withheld lines (2, 1).
	if err != nil || !p.Ran || p.Mails != 7 || p.Deliveries != 9+3 || p.Batches != 4+2 {
		t.Fatalf("prune: %+v %v; want 7 mails and 12 deliveries deleted in 6 statements", p, err)
	}
	var left []string
	if err := db.Select(&left, `SELECT recipient || ' ' || COALESCE(mail_id::text, '-') || ' ' || (withheld_at IS NOT NULL)
		FROM notification_deliveries ORDER BY recipient, mail_id`); err != nil {
		t.Fatal(err)
	}
	want := []string{
		fmt.Sprintf("professional:recent %d false", keptIDs[0]), fmt.Sprintf("professional:recent %d false", keptIDs[1]),
		fmt.Sprintf("professional:unsent %d false", keptIDs[2]),
		"professional:waiting - false", "professional:withheld - true",
	}
	if !slices.Equal(left, want) {
		t.Fatalf("deliveries left %q\nwant %q", left, want)
	}
	var mails []int64
	if err := db.Select(&mails, `SELECT id FROM notification_mails ORDER BY id`); err != nil || !slices.Equal(mails, keptIDs) {
		t.Fatalf("mails left %v %v, want %v", mails, err, keptIDs)
	}
	if p, err := svc.Prune(ctx); err != nil || !p.Ran || p.Mails+p.Deliveries != 0 {
		t.Fatalf("second prune: %+v %v; want nothing more", p, err)
	}

	// A running notifier prunes in its jobs, with its configured retention.
	c := newCerts(t)
	startNotifier(t, db, startRelay(t, c), c, func(cfg *notify.Config) { cfg.Retention = 48 * time.Hour; cfg.JobsEvery = 100 * time.Millisecond })
	deadline := time.Now().Add(30 * time.Second)
	for {
		var left int
		if err := db.Get(&left, `SELECT count(*) FROM notification_mails WHERE id = ANY($1)`, pq.Array(keptIDs[:2])); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the notifier's jobs did not prune the mails settled 89 and 10 days ago (retention 48h)")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
