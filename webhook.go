package maillage

import (
	"context"
	"strings"
	"time"
)

// Webhook is an HTTPS endpoint that an account's software registered to
// receive, signed, the events of some topics it may see. Each event is
// checked against the account's access when it is delivered, as a
// subscription's would be.
type Webhook struct {
	ID          string    `db:"id"`
	AccountID   string    `db:"account_id"`
	URL         string    `db:"url"`
	Topics      []string  `db:"-"`
	Description string    `db:"description"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

// The topics a webhook may follow: the directory of the territories whose
// statistics the account may read, every team or request the account may
// read (the prefix), or one of them (the prefix and its id).
const (
	WebhookTopicDirectory = TopicDirectory
	WebhookTopicESCAP     = TopicPrefixESCAP
	WebhookTopicReferral  = TopicPrefixReferral
)

// WebhookGuard returns the guard that decides who may see an event of topic
// (an event's topic, or a webhook's topic), or "" when webhooks may not
// follow it.
func WebhookGuard(topic string) string {
	switch {
	case topic == TopicDirectory:
		return GuardTerritoryActivity
	case strings.HasPrefix(topic, TopicPrefixESCAP):
		return GuardESCAP
	case strings.HasPrefix(topic, TopicPrefixReferral):
		return GuardReferral
	}
	return ""
}

// WebhookSelects reports whether a webhook following topics wants an event
// of topic: the same topic, or its family prefix ("escap:").
func WebhookSelects(topics []string, topic string) bool {
	family, _, found := strings.Cut(topic, ":")
	for _, t := range topics {
		if t == topic || (found && t == family+":") {
			return true
		}
	}
	return false
}

// DeliveryStatus is the state of one event's delivery to one webhook.
type DeliveryStatus string

// Delivery states of a webhook's event.
const (
	// DeliveryPending: not delivered yet; attempted at NextAttemptAt.
	DeliveryPending DeliveryStatus = "PENDING"
	// DeliveryDelivered: the endpoint answered 2xx.
	DeliveryDelivered DeliveryStatus = "DELIVERED"
	// DeliveryFailed: every attempt failed, or the event left the outbox first.
	DeliveryFailed DeliveryStatus = "FAILED"
	// DeliveryWithheld: the account could no longer see the event when it
	// was due: never sent.
	DeliveryWithheld DeliveryStatus = "WITHHELD"
)

// WebhookDelivery is one line of a webhook's delivery log.
type WebhookDelivery struct {
	WebhookID     string         `db:"webhook_id"`
	EventID       int64          `db:"event_id"`
	Topic         string         `db:"topic"`
	Type          string         `db:"type"`
	Status        DeliveryStatus `db:"status"`
	Attempts      int            `db:"attempts"`
	StatusCode    *int           `db:"status_code"`
	Error         *string        `db:"error"`
	NextAttemptAt *time.Time     `db:"next_attempt_at"`
	CreatedAt     time.Time      `db:"created_at"`
	UpdatedAt     time.Time      `db:"updated_at"`
}

// Cursor is the event's cursor (as subscriptions give it): replaying from
// it redelivers the events after this one.
func (d *WebhookDelivery) Cursor() string { return (&Event{ID: d.EventID}).Cursor() }

// WebhookInput registers a webhook.
type WebhookInput struct {
	URL         string
	Topics      []string
	Description *string
}

// WebhookUpdate changes a webhook; nil fields are left as they are.
type WebhookUpdate struct {
	URL         *string
	Topics      []string
	Description *string
}

// WebhookReplay is what a replay queued again.
type WebhookReplay struct {
	// Queued is how many events were queued for delivery again.
	Queued int
	// Cursor is the cursor of the last event the replay looked at: replay
	// again from it when HasMore.
	Cursor string
	// HasMore: the replay stopped at its bound before the newest event.
	HasMore bool
}

// WebhookService lets an account's software manage its webhooks. Every
// method acts on the caller's own webhooks only: another account's is
// NOT_FOUND.
type WebhookService interface {
	// RegisterWebhook registers a webhook and returns it with its signing
	// secret, shown this once.
	// Errors: UNAUTHENTICATED, BAD_USER_INPUT (url, topics, description), CONFLICT (too many webhooks).
	RegisterWebhook(ctx context.Context, in WebhookInput) (*Webhook, string, error)
	// UpdateWebhook changes a webhook. Errors: UNAUTHENTICATED, NOT_FOUND, BAD_USER_INPUT.
	UpdateWebhook(ctx context.Context, id string, up WebhookUpdate) (*Webhook, error)
	// DeleteWebhook stops a webhook's deliveries for good. Errors: UNAUTHENTICATED, NOT_FOUND.
	DeleteWebhook(ctx context.Context, id string) error
	// MyWebhooks returns the caller's webhooks, newest first. Errors: UNAUTHENTICATED.
	MyWebhooks(ctx context.Context) ([]*Webhook, error)
	// WebhookDeliveries returns the newest limit lines of the delivery log of
	// each of the caller's webhooks ids (one statement for all).
	WebhookDeliveries(ctx context.Context, ids []string, limit int) (map[string][]*WebhookDelivery, error)
	// ReplayWebhook queues again the events after the cursor after that the
	// webhook follows and the caller may see now, up to a bound.
	// Errors: UNAUTHENTICATED, NOT_FOUND, BAD_USER_INPUT (after), CURSOR_EXPIRED.
	ReplayWebhook(ctx context.Context, id, after string) (*WebhookReplay, error)
}
