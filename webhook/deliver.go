package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
)

// FollowerName is the outbox follower that queues the webhooks' deliveries.
const FollowerName = "webhooks"

// Body is the JSON a delivery posts: the event as a subscription shows it.
type Body struct {
	// ID is the event's cursor, also sent as the webhook-id header: the same
	// event is the same id on every attempt and replay (deduplicate on it),
	// and replaying from it redelivers what came after.
	ID         string          `json:"id"`
	Topic      string          `json:"topic"`
	Type       string          `json:"type"`
	SubjectID  string          `json:"subjectId"`
	OccurredAt time.Time       `json:"occurredAt"`
	Payload    json.RawMessage `json:"payload"`
}

// BodyOf returns the body of ev's delivery. A directory event shows its
// domain, as territoryActivity does; a team's or request's event its
// payload (ids and statuses), as CareEvent does.
func BodyOf(ev *maillage.Event) ([]byte, error) {
	payload := ev.Payload
	if ev.Topic == maillage.TopicDirectory {
		var err error
		if payload, err = json.Marshal(map[string]string{"domain": ev.Domain}); err != nil {
			return nil, err
		}
	}
	return json.Marshal(Body{ID: ev.Cursor(), Topic: ev.Topic, Type: ev.Type, SubjectID: ev.SubjectID,
		OccurredAt: ev.CreatedAt.UTC(), Payload: payload})
}

// Sign returns the headers that sign body as Standard Webhooks: webhook-id
// (the event's id), webhook-timestamp (Unix seconds) and webhook-signature
// ("v1," + base64 of HMAC-SHA256, keyed by the secret's base64-decoded bytes,
// over id + "." + timestamp + "." + body).
func Sign(secret, id string, at time.Time, body []byte) (http.Header, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	sig, err := wh.Sign(id, at, body)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set(standardwebhooks.HeaderWebhookID, id)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, sig)
	return h, nil
}

// publicTransport is the HTTP transport of deliveries: outside development
// it dials public addresses only, so a webhook cannot reach the hub's
// network (a name that resolves to a private address included).
func publicTransport(dev bool) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	if dev {
		return t
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !public(ip) {
				return fmt.Errorf("%s is not a public address", host)
			}
			return nil
		}}
	t.DialContext = dialer.DialContext
	return t
}

// Dispatcher delivers the due deliveries of every webhook from one
// instance; run one per instance: they share the work through the
// database. It claims when its poll ticks, when the follower has queued
// deliveries on this instance, and when an attempt ends; at most Workers
// attempts at once, at most PerWebhook to one webhook, so an endpoint that
// hangs holds a few workers, never all of them.
type Dispatcher struct {
	db       *postgres.DB
	cfg      Config
	client   *http.Client
	follower *postgres.Follower
	wake     chan struct{} // a claim may find something now
	inFlight sync.WaitGroup
	done     chan struct{}

	mu      sync.Mutex
	running int            // attempts in flight
	perHook map[string]int // attempts in flight by webhook
}

// Start starts the outbox follower that queues deliveries and the
// dispatcher that sends them, until ctx ends.
func Start(ctx context.Context, db *postgres.DB, bus *postgres.Bus, cfg Config) (*Dispatcher, error) {
	cfg = cfg.withDefaults()
	transport := cfg.Transport
	if transport == nil {
		transport = publicTransport(cfg.AllowLoopbackHTTP)
	}
	d := &Dispatcher{db: db, cfg: cfg, wake: make(chan struct{}, 1), done: make(chan struct{}), perHook: map[string]int{},
		client: &http.Client{Transport: transport, Timeout: cfg.Timeout,
			// A redirect is an answer that is not 2xx: the endpoint is the registered URL.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	f, err := postgres.StartFollower(ctx, db, bus, FollowerName, db.Webhooks.FanOut, postgres.FollowConfig{Committed: d.nudge})
	if err != nil {
		return nil, err
	}
	d.follower = f
	go d.run(postgres.Background(ctx))
	return d, nil
}

// Done is closed when the dispatcher and its follower have stopped and no
// attempt is in flight.
func (d *Dispatcher) Done() <-chan struct{} { return d.done }

// nudge makes the dispatcher claim soon, without blocking.
func (d *Dispatcher) nudge() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// lease is how long a claimed delivery is this instance's: its attempt
// must be over by then, or another instance tries again.
func (d *Dispatcher) lease() time.Duration { return d.cfg.Timeout + 30*time.Second }

func (d *Dispatcher) run(ctx context.Context) {
	defer close(d.done)
	defer func() { <-d.follower.Done() }()
	defer d.inFlight.Wait()
	tick := time.NewTicker(d.cfg.Poll)
	defer tick.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-d.wake:
		case <-prune.C:
			if n, err := d.db.Webhooks.PruneLog(ctx, d.cfg.LogRetention); err != nil && ctx.Err() == nil {
				slog.Error("prune webhook log", "err", err)
			} else if n > 0 {
				slog.Info("pruned webhook log", "deleted", n)
			}
			continue
		}
		for d.claim(ctx) {
		}
	}
}

// claim claims up to as many deliveries as there are free workers, of the
// webhooks below their share, and starts their attempts; it reports
// whether it found any (more may be due).
func (d *Dispatcher) claim(ctx context.Context) bool {
	d.mu.Lock()
	free := d.cfg.Workers - d.running
	var busy []string
	for hook, n := range d.perHook {
		if n >= d.cfg.PerWebhook {
			busy = append(busy, hook)
		}
	}
	d.mu.Unlock()
	if free <= 0 {
		return false
	}
	dues, ended, err := d.db.Webhooks.Claim(ctx, free, busy, d.lease())
	if err != nil {
		if ctx.Err() == nil {
			slog.Error("webhook claim", "err", err)
		}
		return false
	}
	if d.cfg.Observe != nil {
		for status, n := range ended {
			for range n {
				d.cfg.Observe(strings.ToLower(string(status)))
			}
		}
	}
	d.mu.Lock()
	d.running += len(dues)
	for _, due := range dues {
		d.perHook[due.WebhookID]++
	}
	d.mu.Unlock()
	for _, due := range dues {
		d.inFlight.Add(1)
		go func() {
			defer d.inFlight.Done()
			d.attempt(context.WithoutCancel(ctx), due)
			d.mu.Lock()
			d.running--
			if d.perHook[due.WebhookID]--; d.perHook[due.WebhookID] == 0 {
				delete(d.perHook, due.WebhookID)
			}
			d.mu.Unlock()
			d.nudge()
		}()
	}
	return len(dues) > 0 || len(ended) > 0
}

// attempt posts one delivery and records its outcome.
func (d *Dispatcher) attempt(ctx context.Context, due *postgres.Due) {
	code, err := d.post(ctx, due)
	a := postgres.Attempt{Status: maillage.DeliveryDelivered, StatusCode: code}
	outcome := "delivered"
	if err != nil {
		a.Error = truncate(err.Error(), 500)
		if due.Attempt >= d.cfg.MaxAttempts {
			a.Status, outcome = maillage.DeliveryFailed, "failed"
		} else {
			a.Status, outcome = maillage.DeliveryPending, "retrying"
			a.Next = time.Now().Add(d.backoff(due.Attempt))
		}
	}
	if err := d.db.Webhooks.Record(ctx, due, a); err != nil {
		// The lease expires and the delivery is tried again: at least once.
		slog.Error("webhook record", "webhook", due.WebhookID, "event", due.Event.ID, "err", err)
	}
	if d.cfg.Observe != nil {
		d.cfg.Observe(outcome)
	}
}

// backoff is the wait after the n-th failed attempt: exponential with
// jitter, from InitialBackoff up to MaxBackoff.
func (d *Dispatcher) backoff(n int) time.Duration {
	b := &backoff.ExponentialBackOff{InitialInterval: d.cfg.InitialBackoff, RandomizationFactor: 0.2,
		Multiplier: 2, MaxInterval: d.cfg.MaxBackoff}
	b.Reset()
	var wait time.Duration
	for range n {
		wait = b.NextBackOff()
	}
	return wait
}

// post sends due's signed body; an answer other than 2xx is an error.
func (d *Dispatcher) post(ctx context.Context, due *postgres.Due) (int, error) {
	body, err := BodyOf(due.Event)
	if err != nil {
		return 0, err
	}
	h, err := Sign(due.Secret, due.Event.Cursor(), time.Now(), body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, due.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Maillage-Webhooks/1")
	resp, err := d.client.Do(req)
	if err != nil {
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) && uerr.Unwrap() != nil {
			err = uerr.Unwrap() // without the method and URL the caller knows
		}
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
