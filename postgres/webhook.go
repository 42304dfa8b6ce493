package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

// WebhookStore keeps the webhooks and their delivery log: registration, the
// fan-out of the outbox's events to the webhooks allowed to see them, and
// the claims by which instances share the deliveries. The rules (URLs,
// secrets, retries) are package webhook's.
type WebhookStore struct{ *store }

// webhookRow is a webhooks row.
type webhookRow struct {
	maillage.Webhook
	Topics pq.StringArray `db:"topics"`
}

func (r *webhookRow) webhook() *maillage.Webhook {
	w := r.Webhook
	w.Topics = []string(r.Topics)
	return &w
}

const webhookColumns = `id, account_id, url, topics, description, created_at, updated_at`

// InsertWebhook registers a webhook of account, unless it already has max:
// CONFLICT then. The account's row lock serializes its registrations.
func (db *WebhookStore) InsertWebhook(ctx context.Context, account string, in maillage.WebhookInput, secret string, max int) (*maillage.Webhook, error) {
	var row webhookRow
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		const count = `SELECT count(w.id) FROM (SELECT id FROM accounts WHERE id = $1 FOR UPDATE) a
			LEFT JOIN webhooks w ON w.account_id = a.id AND w.deleted_at IS NULL`
		if err := tx.GetContext(ctx, &n, count, account); err != nil {
			return err
		}
		if n >= max {
			return maillage.Errorf(maillage.ECONFLICT, "an account may have at most %d webhooks: delete one first", max)
		}
		const q = `INSERT INTO webhooks (account_id, url, topics, description, secret) VALUES ($1, $2, $3, $4, $5)
			RETURNING ` + webhookColumns
		return tx.GetContext(ctx, &row, q, account, in.URL, pq.StringArray(in.Topics), description(in.Description), secret)
	})
	if err != nil {
		return nil, fmt.Errorf("register webhook: %w", mapError(err))
	}
	return row.webhook(), nil
}

// UpdateWebhook changes account's webhook id (NOT_FOUND if it has none).
func (db *WebhookStore) UpdateWebhook(ctx context.Context, account, id string, up maillage.WebhookUpdate) (*maillage.Webhook, error) {
	var topics any
	if up.Topics != nil {
		topics = pq.StringArray(up.Topics)
	}
	var row webhookRow
	const q = `UPDATE webhooks SET url = COALESCE($3, url), topics = COALESCE($4, topics),
			description = COALESCE($5, description), updated_at = now()
		WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL RETURNING ` + webhookColumns
	if err := db.GetContext(ctx, &row, q, id, account, up.URL, topics, up.Description); err != nil {
		if err = mapError(err); maillage.ErrorCode(err) == maillage.ENOTFOUND {
			return nil, maillage.NotFound("webhook")
		}
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	return row.webhook(), nil
}

// DeleteWebhook stops account's webhook id: it is kept with its log, and
// its pending deliveries are withheld.
func (db *WebhookStore) DeleteWebhook(ctx context.Context, account, id string) error {
	const q = `WITH w AS (UPDATE webhooks SET deleted_at = now(), updated_at = now()
			WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL RETURNING id),
		d AS (UPDATE webhook_deliveries SET status = 'WITHHELD', error = 'webhook deleted', updated_at = now()
			WHERE webhook_id IN (SELECT id FROM w) AND status = 'PENDING')
		SELECT count(*) FROM w`
	var n int
	if err := db.GetContext(ctx, &n, q, id, account); err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if n == 0 {
		return maillage.NotFound("webhook")
	}
	return nil
}

// Webhooks returns account's webhooks, newest first (at most max).
func (db *WebhookStore) Webhooks(ctx context.Context, account string, max int) ([]*maillage.Webhook, error) {
	var rows []*webhookRow
	const q = `SELECT ` + webhookColumns + ` FROM webhooks WHERE account_id = $1 AND deleted_at IS NULL
		ORDER BY created_at DESC, id LIMIT $2`
	if err := db.SelectContext(ctx, &rows, q, account, max); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	out := make([]*maillage.Webhook, len(rows))
	for i, r := range rows {
		out[i] = r.webhook()
	}
	return out, nil
}

// Webhook returns account's webhook id (NOT_FOUND if it has none).
func (db *WebhookStore) Webhook(ctx context.Context, account, id string) (*maillage.Webhook, error) {
	var row webhookRow
	const q = `SELECT ` + webhookColumns + ` FROM webhooks WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL`
	if err := db.GetContext(ctx, &row, q, id, account); err != nil {
		if err = mapError(err); maillage.ErrorCode(err) == maillage.ENOTFOUND {
			return nil, maillage.NotFound("webhook")
		}
		return nil, fmt.Errorf("find webhook: %w", err)
	}
	return row.webhook(), nil
}

// Deliveries returns the newest limit log lines of each of account's
// webhooks ids, in one statement.
func (db *WebhookStore) Deliveries(ctx context.Context, account string, ids []string, limit int) (map[string][]*maillage.WebhookDelivery, error) {
	const q = `SELECT d.webhook_id, d.event_id, d.topic, d.type, d.status, d.attempts, d.status_code, d.error,
			CASE WHEN d.status = 'PENDING' THEN d.next_attempt_at END AS next_attempt_at, d.created_at, d.updated_at
		FROM webhooks w CROSS JOIN LATERAL (SELECT * FROM webhook_deliveries x WHERE x.webhook_id = w.id
			ORDER BY x.updated_at DESC, x.event_id DESC LIMIT $3) d
		WHERE w.id = ANY($1) AND w.account_id = $2
		ORDER BY d.webhook_id, d.updated_at DESC, d.event_id DESC`
	var rows []*maillage.WebhookDelivery
	if err := db.SelectContext(ctx, &rows, q, pq.StringArray(ids), account, limit); err != nil {
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	out := make(map[string][]*maillage.WebhookDelivery, len(ids))
	for _, d := range rows {
		out[d.WebhookID] = append(out[d.WebhookID], d)
	}
	return out, nil
}

// A webhookPair is one event for one webhook, with the account whose access
// decides it.
type webhookPair struct {
	webhook string
	who     context.Context
	ev      *maillage.Event
}

// follower is a webhook's owner as the guards see it.
type follower struct {
	ID             string         `db:"id"`
	Topics         pq.StringArray `db:"topics"`
	AccountID      string         `db:"account_id"`
	Login          string         `db:"login"`
	ProfessionalID string         `db:"professional_id"`
}

// identityOf is the context the guards decide a webhook's events in: its
// account's identity, as if it had subscribed.
func identityOf(ctx context.Context, account, login, professional string) context.Context {
	return maillage.WithIdentity(ctx, maillage.Identity{AccountID: account, Login: login, ProfessionalID: professional})
}

// allowed runs the guards of pairs (one call per guard, each one statement
// for all its pairs) and returns the verdicts; an error means they could not
// be decided (the database away), never a denial.
func (db *WebhookStore) allowed(ctx context.Context, pairs []webhookPair) ([]bool, error) {
	byGuard := map[string][]int{}
	ok := make([]bool, len(pairs))
	for i, p := range pairs {
		if g := maillage.WebhookGuard(p.ev.Topic); g != "" {
			byGuard[g] = append(byGuard[g], i)
		}
	}
	for name, idx := range byGuard {
		checks := make([]guardCheck, len(idx))
		for j, i := range idx {
			checks[j] = guardCheck{sub: pairs[i].who, ev: pairs[i].ev}
		}
		verdicts, err := eventGuards[name](ctx, &DB{store: db.store}, checks)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			ok[i] = verdicts[j]
		}
	}
	return ok, nil
}

// FanOut queues, in tx, a delivery of each of evs to each webhook that
// follows its topic and whose account may see it now (the subscriptions'
// guards). It is the handler of the webhooks' outbox follower.
func (db *WebhookStore) FanOut(ctx context.Context, tx *sqlx.Tx, evs []*maillage.Event) error {
	wanted := map[string]bool{}
	for _, ev := range evs {
		if maillage.WebhookGuard(ev.Topic) == "" {
			continue
		}
		wanted[ev.Topic] = true
		if family, _, ok := strings.Cut(ev.Topic, ":"); ok {
			wanted[family+":"] = true
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	topics := make([]string, 0, len(wanted))
	for t := range wanted {
		topics = append(topics, t)
	}
	const q = `SELECT w.id, w.topics, a.id AS account_id, a.login, COALESCE(a.professional_id, '') AS professional_id
		FROM webhooks w JOIN accounts a ON a.id = w.account_id LEFT JOIN professionals p ON p.id = a.professional_id
		WHERE w.deleted_at IS NULL AND a.disabled_at IS NULL AND p.archived_at IS NULL AND w.topics && $1`
	var hooks []follower
	if err := tx.SelectContext(ctx, &hooks, q, pq.StringArray(topics)); err != nil {
		return fmt.Errorf("webhooks of events: %w", err)
	}
	var pairs []webhookPair
	for _, h := range hooks {
		who := identityOf(ctx, h.AccountID, h.Login, h.ProfessionalID)
		for _, ev := range evs {
			if maillage.WebhookSelects(h.Topics, ev.Topic) {
				pairs = append(pairs, webhookPair{webhook: h.ID, who: who, ev: ev})
			}
		}
	}
	ok, err := db.allowed(ctx, pairs)
	if err != nil {
		return err
	}
	var hookIDs, topicsOf, types []string
	var eventIDs []int64
	for i, p := range pairs {
		if ok[i] {
			hookIDs, eventIDs = append(hookIDs, p.webhook), append(eventIDs, p.ev.ID)
			topicsOf, types = append(topicsOf, p.ev.Topic), append(types, p.ev.Type)
		}
	}
	if len(hookIDs) == 0 {
		return nil
	}
	const ins = `INSERT INTO webhook_deliveries (webhook_id, event_id, topic, type)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, ins, pq.StringArray(hookIDs), pq.Int64Array(eventIDs), pq.StringArray(topicsOf), pq.StringArray(types)); err != nil {
		return fmt.Errorf("queue webhook deliveries: %w", err)
	}
	return nil
}

// Due is a delivery an instance has claimed: its event, where to send it,
// and the secret to sign it with. Attempt is the attempt's number (1 for the
// first).
type Due struct {
	WebhookID string
	URL       string
	Secret    string
	Event     *maillage.Event
	Attempt   int
}

// Claim takes up to n due deliveries, at most one per webhook, for this
// instance: each is leased for lease (not due for any other instance), so
// its attempt must be recorded within it. The account's access is checked
// again now: a delivery it may no longer see is withheld, never returned;
// one whose event has left the outbox fails.
// Ended counts, by status, the claimed deliveries ended without an attempt.
// Webhooks in busy are skipped (those this instance already posts to as
// much as it allows).
func (db *WebhookStore) Claim(ctx context.Context, n int, busy []string, lease time.Duration) (dues []*Due, ended map[maillage.DeliveryStatus]int, err error) {
	const q = `WITH due AS (
			SELECT DISTINCT ON (webhook_id) webhook_id, event_id FROM webhook_deliveries
			WHERE status = 'PENDING' AND next_attempt_at <= now() AND webhook_id <> ALL(COALESCE($3, ARRAY[]::text[]))
			ORDER BY webhook_id, event_id),
		c AS (SELECT d.webhook_id, d.event_id FROM webhook_deliveries d JOIN due USING (webhook_id, event_id)
			WHERE d.status = 'PENDING' AND d.next_attempt_at <= now()
			LIMIT $1 FOR UPDATE OF d SKIP LOCKED)
		UPDATE webhook_deliveries d SET attempts = d.attempts + 1, updated_at = now(),
			next_attempt_at = now() + make_interval(secs => $2)
		FROM c JOIN webhooks w ON w.id = c.webhook_id JOIN accounts a ON a.id = w.account_id
			LEFT JOIN professionals p ON p.id = a.professional_id
			LEFT JOIN events e ON e.id = c.event_id
		WHERE d.webhook_id = c.webhook_id AND d.event_id = c.event_id
		RETURNING d.webhook_id, d.event_id, d.attempts, w.url, w.secret, a.id AS account_id, a.login,
			COALESCE(a.professional_id, '') AS professional_id,
			(w.deleted_at IS NOT NULL OR a.disabled_at IS NOT NULL OR p.archived_at IS NOT NULL) AS gone,
			e.id IS NOT NULL AS kept, d.topic, d.type, COALESCE(e.subject_id, '') AS subject_id,
			COALESCE(e.domain, '') AS domain, COALESCE(e.ess_id, '') AS ess_id,
			COALESCE(e.payload, '{}') AS payload, COALESCE(e.created_at, d.created_at) AS created_at`
	var rows []struct {
		WebhookID      string          `db:"webhook_id"`
		EventID        int64           `db:"event_id"`
		Attempts       int             `db:"attempts"`
		URL            string          `db:"url"`
		Secret         string          `db:"secret"`
		AccountID      string          `db:"account_id"`
		Login          string          `db:"login"`
		ProfessionalID string          `db:"professional_id"`
		Gone           bool            `db:"gone"`
		Kept           bool            `db:"kept"`
		Topic          string          `db:"topic"`
		Type           string          `db:"type"`
		SubjectID      string          `db:"subject_id"`
		Domain         string          `db:"domain"`
		ESSID          string          `db:"ess_id"`
		Payload        json.RawMessage `db:"payload"`
		CreatedAt      time.Time       `db:"created_at"`
	}
	if err := db.SelectContext(ctx, &rows, q, n, lease.Seconds(), pq.StringArray(busy)); err != nil {
		return nil, nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	var pairs []webhookPair
	var claimed []*Due
	ended = map[maillage.DeliveryStatus]int{}
	var endHooks, endStatus, endReason []string
	var endEvents []int64
	end := func(d *Due, status maillage.DeliveryStatus, reason string) {
		endHooks, endEvents = append(endHooks, d.WebhookID), append(endEvents, d.Event.ID)
		endStatus, endReason = append(endStatus, string(status)), append(endReason, reason)
		ended[status]++
	}
	for _, r := range rows {
		ev := &maillage.Event{ID: r.EventID, Topic: r.Topic, Type: r.Type, SubjectID: r.SubjectID, Domain: r.Domain,
			ESSID: r.ESSID, Payload: r.Payload, CreatedAt: r.CreatedAt}
		d := &Due{WebhookID: r.WebhookID, URL: r.URL, Secret: r.Secret, Event: ev, Attempt: r.Attempts}
		switch {
		case r.Gone:
			end(d, maillage.DeliveryWithheld, "webhook deleted or account disabled")
		case !r.Kept:
			end(d, maillage.DeliveryFailed, "the event left the outbox (retention) before it could be delivered")
		default:
			pairs = append(pairs, webhookPair{webhook: r.WebhookID, who: identityOf(ctx, r.AccountID, r.Login, r.ProfessionalID), ev: ev})
			claimed = append(claimed, d)
		}
	}
	ok, err := db.allowed(ctx, pairs)
	if err != nil {
		return nil, nil, err // the leases expire: due again then
	}
	for i, d := range claimed {
		if ok[i] {
			dues = append(dues, d)
		} else {
			end(d, maillage.DeliveryWithheld, "the account may no longer see this event")
		}
	}
	if len(endHooks) > 0 {
		const q = `UPDATE webhook_deliveries d SET status = x.status, error = x.reason, updated_at = now()
			FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS x(webhook_id, event_id, status, reason)
			WHERE d.webhook_id = x.webhook_id AND d.event_id = x.event_id`
		if _, err := db.ExecContext(ctx, q, pq.StringArray(endHooks), pq.Int64Array(endEvents),
			pq.StringArray(endStatus), pq.StringArray(endReason)); err != nil {
			return nil, nil, fmt.Errorf("end webhook deliveries: %w", err)
		}
	}
	return dues, ended, nil
}

// Attempt is the outcome of one delivery attempt.
type Attempt struct {
	// Status is DeliveryDelivered, DeliveryPending (to retry at Next) or
	// DeliveryFailed (no more attempts).
	Status     maillage.DeliveryStatus
	StatusCode int // 0: no HTTP answer
	Error      string
	Next       time.Time
}

// Record writes the outcome of d's attempt, unless a replay queued the
// delivery again meanwhile (its attempts count restarted).
func (db *WebhookStore) Record(ctx context.Context, d *Due, a Attempt) error {
	next := a.Next
	if next.IsZero() {
		next = time.Now()
	}
	const q = `UPDATE webhook_deliveries SET status = $4, status_code = NULLIF($5, 0), error = NULLIF($6, ''),
			next_attempt_at = $7, updated_at = now()
		WHERE webhook_id = $1 AND event_id = $2 AND attempts = $3 AND status = 'PENDING'`
	if _, err := db.ExecContext(ctx, q, d.WebhookID, d.Event.ID, d.Attempt, a.Status, a.StatusCode, a.Error, next); err != nil {
		return fmt.Errorf("record webhook delivery: %w", err)
	}
	return nil
}

// Replay queues again, for account's webhook id, the events in (after,
// through] of its topics that the caller in ctx may see now, at most limit
// events looked at; it returns how many it queued and the last event id it
// looked at (through when it looked at all).
func (db *WebhookStore) Replay(ctx context.Context, account, id string, after, through int64, limit int) (queued int, last int64, err error) {
	w, err := db.Webhook(ctx, account, id)
	if err != nil {
		return 0, 0, err
	}
	const q = `SELECT id, topic, type, subject_id, domain, COALESCE(ess_id, '') AS ess_id, payload, created_at
		FROM events WHERE id > $1 AND id <= $2 AND (topic = ANY($3) OR split_part(topic, ':', 1) || ':' = ANY($3))
		ORDER BY id LIMIT $4`
	var evs []*maillage.Event
	if err := db.SelectContext(ctx, &evs, q, after, through, pq.StringArray(w.Topics), limit); err != nil {
		return 0, 0, fmt.Errorf("replay webhook: %w", err)
	}
	last = through
	if len(evs) == limit {
		last = evs[len(evs)-1].ID
	}
	pairs := make([]webhookPair, len(evs))
	for i, ev := range evs {
		pairs[i] = webhookPair{webhook: id, who: ctx, ev: ev}
	}
	ok, err := db.allowed(ctx, pairs)
	if err != nil {
		return 0, 0, fmt.Errorf("replay webhook: %w", err)
	}
	var eventIDs []int64
	var topics, types []string
	for i, ev := range evs {
		if ok[i] {
			eventIDs, topics, types = append(eventIDs, ev.ID), append(topics, ev.Topic), append(types, ev.Type)
		}
	}
	if len(eventIDs) == 0 {
		return 0, last, nil
	}
	const ins = `INSERT INTO webhook_deliveries (webhook_id, event_id, topic, type)
		SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[])
		ON CONFLICT (webhook_id, event_id) DO UPDATE SET status = 'PENDING', attempts = 0, next_attempt_at = now(),
			status_code = NULL, error = NULL, updated_at = now()`
	if _, err := db.ExecContext(ctx, ins, id, pq.Int64Array(eventIDs), pq.StringArray(topics), pq.StringArray(types)); err != nil {
		return 0, 0, fmt.Errorf("replay webhook: %w", err)
	}
	return len(eventIDs), last, nil
}

// description is an optional description, "" when not given.
func description(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// PruneLog deletes the finished log lines (delivered, failed, withheld)
// last changed longer than keep ago, on one instance at a time, and returns
// how many it deleted (0 when another instance holds the lock).
func (db *WebhookStore) PruneLog(ctx context.Context, keep time.Duration) (int64, error) {
	var deleted int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var locked bool
		if err := tx.GetContext(ctx, &locked, `SELECT pg_try_advisory_xact_lock(hashtext('maillage_webhook_log_prune'))`); err != nil || !locked {
			return err
		}
		const q = `WITH d AS (DELETE FROM webhook_deliveries WHERE status <> 'PENDING'
				AND updated_at < now() - make_interval(secs => $1) RETURNING 1)
			SELECT count(*) FROM d`
		return tx.GetContext(ctx, &deleted, q, keep.Seconds())
	})
	if err != nil {
		return 0, fmt.Errorf("prune webhook log: %w", err)
	}
	return deleted, nil
}
