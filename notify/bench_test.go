package notify_test

import (
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres/pgtest"
)

// BenchmarkNoteToMails measures the time from a note written in a care
// team to its three mails accepted by the relay (STARTTLS, client
// certificate): outbox, follower, deliveries, sender, SMTP.
//
//	go test -run '^$' -bench NoteToMails -benchtime 50x ./notify/
func BenchmarkNoteToMails(b *testing.B) {
	db := pgtest.Seeded(b)
	c := newCerts(b)
	r := startRelay(b, c)
	startNotifier(b, db, r, c, nil)
	team := idOf(b, db, `SELECT e.id FROM escaps e JOIN patients p ON p.id = e.patient_id WHERE p.family_name = 'Dupont'`)
	nurse := pgtest.As(b, db, nurseDurand)
	b.ResetTimer()
	for range b.N {
		want := len(r.Received()) + 3
		if _, err := db.ESCAP.AddEntry(nurse, maillage.EntryInput{ESCAPID: team, Kind: maillage.EntryNote, Body: "note"}); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for len(r.Received()) < want {
			if time.Now().After(deadline) {
				b.Fatal("mails not received")
			}
			time.Sleep(time.Millisecond)
		}
	}
}
