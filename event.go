package maillage

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Event is one change, appended to the outbox in the transaction that made
// it. ID is its cursor: events are totally ordered by ID. Topic groups events
// for subscriptions ("directory", "escap:<id>", "referral:<id>", …); Domain
// is the authorization domain of the subject, so a subscriber receives the
// event only if the same check as a query allows it.
type Event struct {
	ID        int64  `db:"id" json:"id"`
	Topic     string `db:"topic" json:"topic"`
	Type      string `db:"type" json:"type"`
	SubjectID string `db:"subject_id" json:"subjectId"`
	Domain    string `db:"domain" json:"domain"`
	// ESSID is the ESS a referral event's request is addressed to ("" for
	// other events).
	ESSID     string          `db:"ess_id" json:"essId,omitempty"`
	Payload   json.RawMessage `db:"payload" json:"payload"`
	CreatedAt time.Time       `db:"created_at" json:"createdAt"`
}

// ECURSOREXPIRED is the code of a subscription refused because its after
// cursor is older than the outbox's retention: the client must refetch the
// current state with queries and subscribe again without after.
const ECURSOREXPIRED = "CURSOR_EXPIRED"

// Cursor is the event's opaque resume position (its id).
func (e *Event) Cursor() string { return strconv.FormatInt(e.ID, 10) }

// ParseEventCursor reads a cursor given as argument field ("" is 0);
// anything else than an event's cursor is BAD_USER_INPUT naming field.
func ParseEventCursor(field, cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || id < 0 {
		return 0, InvalidField(field, "not an event cursor: %q", cursor)
	}
	return id, nil
}

// Event guards (EventFilter.Guard): the per-event checks the event service
// knows, each the same check as the queries of its area.
const (
	// GuardTerritoryActivity: statistics read on the event's domain
	// (coordinators, ARS agents, admins): directory activity, counts.
	GuardTerritoryActivity = "territory_activity"
	// GuardPatient: the patient's care circle (relations with the patient
	// of the topic "patient:<id>").
	GuardPatient = "patient"
	// GuardESCAP: who may read the team of the topic "escap:<id>" (its
	// current members, by relation; domain grants that policies give).
	GuardESCAP = "escap"
	// GuardReferral: who may read the request of the topic "referral:<id>"
	// (its requester and assigned specialist by relation; the ESS's staff by
	// their role on the ESS's domain).
	GuardReferral = "referral"
)

// EventFilter selects the events of one subscription.
type EventFilter struct {
	// Guard names the check that decides, for each event, whether the
	// subscriber may see it: the same check as the queries of that area
	// (e.g. "territory_activity"). Required: no guard, no event.
	Guard string
	// Topics are the exact topics wanted; TopicPrefix, if set, also selects
	// every topic starting with it (e.g. "referral:").
	Topics      []string
	TopicPrefix string
	// ESS, if set, selects only the referral events of requests addressed
	// to this ESS (Event.ESSID).
	ESS string
	// Match, if set, further selects events in memory (domain, payload).
	Match func(*Event) bool
	// Probe, if set, is an event naming the subscribed object (its Domain
	// and SubjectID): the guard must allow it at subscription time, or the
	// subscription is refused with FORBIDDEN.
	Probe *Event
	// OnEnd, if set, is called once when the service ends the stream itself
	// (ErrSlowConsumer, ErrShuttingDown, ErrEventsUnavailable) rather than
	// because the subscriber left or lost access.
	OnEnd func(error)
	// Ready, if set, is called (without blocking, possibly under the
	// service's locks) after each event put in the returned channel and
	// after the channel is closed: a receive from the channel will not block.
	// A transport uses it to read the channel only when it has something,
	// with no goroutine waiting per subscription.
	Ready func()
	// EndWhenDenied completes the subscription at the first event its guard
	// withholds: following one object (a team, a request), losing access
	// to it ends the stream rather than leaving it silent.
	EndWhenDenied bool
}

// Selects reports whether the filter wants ev (topics and Match; the guard
// is applied separately, with the subscriber's identity).
func (f *EventFilter) Selects(ev *Event) bool {
	topicOK := f.TopicPrefix != "" && strings.HasPrefix(ev.Topic, f.TopicPrefix)
	for _, t := range f.Topics {
		topicOK = topicOK || t == ev.Topic
	}
	return topicOK && (f.ESS == "" || f.ESS == ev.ESSID) && (f.Match == nil || f.Match(ev))
}

// EventService streams the events of the outbox to subscribers.
type EventService interface {
	// SubscribeEvents returns the events selected by f that the caller in ctx
	// may see, in cursor order: first those after the cursor after ("": none,
	// live only; "0": from the oldest) still in the outbox, then live ones, without gap or
	// duplicate. The channel closes when ctx ends or the subscriber is too
	// slow (f.OnEnd then tells why).
	// Errors: BAD_USER_INPUT (after), CURSOR_EXPIRED, UNAUTHENTICATED.
	SubscribeEvents(ctx context.Context, after string, f EventFilter) (<-chan *Event, error)
	// LatestCursor returns the cursor of the newest event delivered to
	// subscribers: read with the state a client fetches, then given as after,
	// it makes sure nothing is missed between the query and the subscription.
	LatestCursor(ctx context.Context) string
}

// Why an event stream ends on the service's side (see EventFilter.OnEnd).
var (
	// ErrSlowConsumer: the subscriber let too many events pile up; it may
	// resume from the cursor of the last event it received.
	ErrSlowConsumer = errors.New("slow consumer: too many events pending, resume with after set to your last cursor")
	// ErrShuttingDown: the instance is stopping; resume on another one.
	ErrShuttingDown = errors.New("hub instance shutting down: resume with after set to your last cursor")
	// ErrEventsUnavailable: the database stayed away while the stream
	// needed it (to read the outbox or to check access); nothing was
	// skipped: resume with after set to your last cursor.
	ErrEventsUnavailable = &Error{Code: EUNAVAILABLE, Message: "events unavailable: the database is away, resume with after set to your last cursor"}
)
