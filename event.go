package maillage

import (
	"encoding/json"
	"time"
)

// Event is one change, appended to the outbox in the transaction that made
// it. ID is its cursor: events are totally ordered by ID. Topic groups events
// for subscriptions ("directory", "escap:<id>", "referral:<id>", …); Domain
// is the authorization domain of the subject, so a subscriber receives the
// event only if the same check as a query allows it.
type Event struct {
	ID        int64           `db:"id" json:"id"`
	Topic     string          `db:"topic" json:"topic"`
	Type      string          `db:"type" json:"type"`
	SubjectID string          `db:"subject_id" json:"subjectId"`
	Domain    string          `db:"domain" json:"domain"`
	Payload   json.RawMessage `db:"payload" json:"payload"`
	CreatedAt time.Time       `db:"created_at" json:"createdAt"`
}
