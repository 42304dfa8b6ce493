// Package webhook delivers the outbox's events to the HTTPS endpoints that
// professionals' software registered, signed as Standard Webhooks
// (https://www.standardwebhooks.com): one outbox follower queues, on one
// instance at a time, a delivery of each event to each webhook whose account
// may see it (the subscriptions' guards); every instance's dispatcher claims
// due deliveries (a lease, SKIP LOCKED), posts them, and retries failures
// with exponential backoff up to a limit. The delivery log is in PostgreSQL
// (postgres.WebhookStore), keyed by webhook and event, so each event reaches
// each webhook once whatever the number of instances.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
)

// Config tunes registration and delivery; zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// AllowLoopbackHTTP is the development mode: it accepts http:// URLs on
	// 127.0.0.1, ::1 and localhost, and endpoints on loopback or private
	// addresses. Otherwise only https:// is accepted, and only to public
	// addresses (checked at registration for an IP literal, and when each
	// connection is dialled, whatever the name resolved to).
	AllowLoopbackHTTP bool
	// MaxPerAccount bounds an account's webhooks.
	MaxPerAccount int
	// MaxAttempts is how many times a delivery is tried before it fails.
	MaxAttempts int
	// InitialBackoff is the wait after the first failed attempt; it doubles
	// (with jitter) up to MaxBackoff.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// Timeout bounds one attempt (connection, request and answer).
	Timeout time.Duration
	// Workers is how many attempts one instance makes at once.
	Workers int
	// PerWebhook is how many of them may go to one webhook.
	PerWebhook int
	// Poll is how often an instance looks for due deliveries.
	Poll time.Duration
	// ReplayLimit bounds the events one replay looks at.
	ReplayLimit int
	// LogLimit bounds the delivery log lines shown per webhook.
	LogLimit int
	// LogRetention is how long a finished delivery's log line is kept
	// (pruned hourly, by one instance at a time).
	LogRetention time.Duration
	// Transport, if set, makes the HTTP requests (tests trust their
	// server's certificate with it).
	Transport http.RoundTripper
	// Observe, if set, counts each attempt's outcome: "delivered",
	// "retrying", "failed", or "withheld".
	Observe func(outcome string)
}

// DefaultConfig returns the defaults: 8 attempts, over about an hour
// (waits of 30 s, 1, 2, 4, 8, 16 and 32 min, with jitter).
func DefaultConfig() Config {
	return Config{
		MaxPerAccount:  10,
		MaxAttempts:    8,
		InitialBackoff: 30 * time.Second,
		MaxBackoff:     2 * time.Hour,
		Timeout:        10 * time.Second,
		Workers:        16,
		PerWebhook:     4,
		Poll:           time.Second,
		ReplayLimit:    1000,
		LogLimit:       50,
		LogRetention:   30 * 24 * time.Hour,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setDefault(&c.MaxPerAccount, d.MaxPerAccount)
	setDefault(&c.MaxAttempts, d.MaxAttempts)
	setDefault(&c.InitialBackoff, d.InitialBackoff)
	setDefault(&c.MaxBackoff, d.MaxBackoff)
	setDefault(&c.Timeout, d.Timeout)
	setDefault(&c.Workers, d.Workers)
	setDefault(&c.PerWebhook, d.PerWebhook)
	setDefault(&c.Poll, d.Poll)
	setDefault(&c.ReplayLimit, d.ReplayLimit)
	setDefault(&c.LogLimit, d.LogLimit)
	setDefault(&c.LogRetention, d.LogRetention)
	return c
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Service is the maillage.WebhookService over PostgreSQL: the caller's own
// webhooks, their log, and replays.
type Service struct {
	db  *postgres.DB
	bus *postgres.Bus
	cfg Config
}

var _ maillage.WebhookService = (*Service)(nil)

// NewService returns the webhook service over db; bus bounds replays.
func NewService(db *postgres.DB, bus *postgres.Bus, cfg Config) *Service {
	return &Service{db: db, bus: bus, cfg: cfg.withDefaults()}
}

// caller returns the signed-in account of ctx.
func caller(ctx context.Context) (string, error) {
	id := maillage.IdentityFrom(ctx)
	if id.Anonymous() {
		return "", maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to manage webhooks")
	}
	return id.AccountID, nil
}

// RegisterWebhook implements maillage.WebhookService.
func (s *Service) RegisterWebhook(ctx context.Context, in maillage.WebhookInput) (*maillage.Webhook, string, error) {
	account, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	if in.URL, err = CheckURL("input.url", in.URL, s.cfg.AllowLoopbackHTTP); err != nil {
		return nil, "", err
	}
	if in.Topics, err = CheckTopics("input.topics", in.Topics); err != nil {
		return nil, "", err
	}
	if err := checkDescription(in.Description); err != nil {
		return nil, "", err
	}
	secret, err := NewSecret()
	if err != nil {
		return nil, "", err
	}
	w, err := s.db.Webhooks.InsertWebhook(ctx, account, in, secret, s.cfg.MaxPerAccount)
	if err != nil {
		return nil, "", err
	}
	return w, secret, nil
}

// UpdateWebhook implements maillage.WebhookService.
func (s *Service) UpdateWebhook(ctx context.Context, id string, up maillage.WebhookUpdate) (*maillage.Webhook, error) {
	account, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if up.URL != nil {
		u, err := CheckURL("input.url", *up.URL, s.cfg.AllowLoopbackHTTP)
		if err != nil {
			return nil, err
		}
		up.URL = &u
	}
	if up.Topics != nil {
		if up.Topics, err = CheckTopics("input.topics", up.Topics); err != nil {
			return nil, err
		}
	}
	if err := checkDescription(up.Description); err != nil {
		return nil, err
	}
	return s.db.Webhooks.UpdateWebhook(ctx, account, id, up)
}

// DeleteWebhook implements maillage.WebhookService.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	account, err := caller(ctx)
	if err != nil {
		return err
	}
	return s.db.Webhooks.DeleteWebhook(ctx, account, id)
}

// MyWebhooks implements maillage.WebhookService.
func (s *Service) MyWebhooks(ctx context.Context) ([]*maillage.Webhook, error) {
	account, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.db.Webhooks.Webhooks(ctx, account, s.cfg.MaxPerAccount)
}

// WebhookDeliveries implements maillage.WebhookService.
func (s *Service) WebhookDeliveries(ctx context.Context, ids []string, limit int) (map[string][]*maillage.WebhookDelivery, error) {
	account, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > s.cfg.LogLimit {
		return nil, maillage.InvalidField("first", "between 1 and %d", s.cfg.LogLimit)
	}
	return s.db.Webhooks.Deliveries(ctx, account, ids, limit)
}

// ReplayWebhook implements maillage.WebhookService: the events after the
// cursor, up to the newest settled one and at most ReplayLimit of them.
func (s *Service) ReplayWebhook(ctx context.Context, id, after string) (*maillage.WebhookReplay, error) {
	account, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if after == "" {
		return nil, maillage.InvalidField("after", "required: the cursor of the last event you received")
	}
	from, err := maillage.ParseEventCursor("after", after)
	if err != nil {
		return nil, err
	}
	if err := s.bus.CheckCursor(ctx, from); err != nil {
		return nil, err
	}
	through, _ := s.bus.Settled()
	queued, last, err := s.db.Webhooks.Replay(ctx, account, id, from, max(through, from), s.cfg.ReplayLimit)
	if err != nil {
		return nil, err
	}
	return &maillage.WebhookReplay{Queued: queued, Cursor: (&maillage.Event{ID: max(last, from)}).Cursor(),
		HasMore: last < through}, nil
}

// NewSecret returns a fresh signing secret in the Standard Webhooks form:
// "whsec_" and 32 random bytes in base64.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// maxURL bounds a webhook's URL.
const maxURL = 2048

// CheckURL returns the endpoint URL raw given as field, or BAD_USER_INPUT:
// an absolute https:// URL without credentials or fragment, or with
// allowLoopbackHTTP an http:// URL on a loopback host.
func CheckURL(field, raw string, allowLoopbackHTTP bool) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	switch {
	case raw == "" || len(raw) > maxURL:
		return "", maillage.InvalidField(field, "an https:// URL of at most %d characters", maxURL)
	case err != nil || u.Host == "" || u.Hostname() == "" || u.Opaque != "":
		return "", maillage.InvalidField(field, "not an absolute URL")
	case u.User != nil:
		return "", maillage.InvalidField(field, "must not carry a user or password")
	case u.Fragment != "":
		return "", maillage.InvalidField(field, "must not carry a fragment (#…)")
	case u.Scheme == "https" && !allowLoopbackHTTP && (u.Hostname() == "localhost" || !public(net.ParseIP(u.Hostname()))):
		return "", maillage.InvalidField(field, "must be a public address: %s is loopback or private", u.Hostname())
	case u.Scheme == "https":
		return u.String(), nil
	case u.Scheme == "http" && allowLoopbackHTTP && loopback(u.Hostname()):
		return u.String(), nil
	}
	return "", maillage.InvalidField(field, "must be an https:// URL")
}

// public reports whether ip (nil: a name, checked when dialled) may be an
// endpoint's address outside development: not loopback, private,
// link-local, multicast or unspecified.
func public(ip net.IP) bool {
	return ip == nil || !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified())
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxTopics bounds a webhook's topics.
const maxTopics = 20

// CheckTopics returns the topics given as field, sorted and without
// duplicates, or BAD_USER_INPUT: "directory", "escap:", "referral:", or one
// team or request ("escap:<id>", "referral:<id>").
func CheckTopics(field string, topics []string) ([]string, error) {
	if len(topics) == 0 || len(topics) > maxTopics {
		return nil, maillage.InvalidField(field, "between 1 and %d topics", maxTopics)
	}
	out := make([]string, 0, len(topics))
	for _, t := range topics {
		family, id, found := strings.Cut(t, ":")
		ok := t == maillage.WebhookTopicDirectory ||
			(found && (family+":" == maillage.WebhookTopicESCAP || family+":" == maillage.WebhookTopicReferral) &&
				len(id) <= 100 && !strings.ContainsAny(id, " \t\r\n:\x00"))
		if !ok {
			return nil, maillage.InvalidField(field, "unknown topic %q: one of directory, escap:, escap:<team id>, referral:, referral:<request id>", t)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// maxDescription bounds a webhook's description.
const maxDescription = 200

func checkDescription(d *string) error {
	if d != nil && (len([]rune(*d)) > maxDescription || strings.ContainsRune(*d, 0)) {
		return maillage.InvalidField("input.description", "at most %d characters", maxDescription)
	}
	return nil
}
