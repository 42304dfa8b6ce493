package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

// The SQL of mail notifications (package notify decides what an event means
// to whom, renders it, and sends): who an event concerns, with their
// MSSanté address and stored preference; whether each may see the event
// (the subscriptions' guard); the deliveries and mails; the daily digest;
// the care teams near their term.

// NotifyRecipient is someone an event may be mailed to: a professional (by
// their nominative address) or a structure (its organisational mailbox).
type NotifyRecipient struct {
	// Key names the recipient in deliveries: "professional:<id>" or
	// "structure:<id>".
	Key string `db:"recipient"`
	// Role is what the recipient is to the event (maillage.Recipient…).
	Role           string `db:"role"`
	ProfessionalID string `db:"professional_id"`
	AccountID      string `db:"account_id"`
	StructureID    string `db:"structure_id"`
	Address        string `db:"address"`
	// Mode is the professional's stored choice ("" if none).
	Mode maillage.NotificationMode `db:"mode"`
}

// NotifyFacts is what a message about an event may say: directory names
// and dates, never the patient.
type NotifyFacts struct {
	ESSName       string     `db:"ess_name"`
	RequesterName string     `db:"requester_name"`
	SubmittedAt   *time.Time `db:"submitted_at"`
	AuthorName    string     `db:"author_name"`
	ExpiresAt     *time.Time `db:"expires_at"`
	// Assignee is the professional a task is given to ("" for a note, or a
	// task for the whole team).
	Assignee string `db:"assignee_id"`
}

// recipientColumns are the columns of a professional recipient of role,
// from p (professionals), a (accounts) and np (notification_preferences).
func recipientColumns(role string) string {
	return `'professional:' || p.id AS recipient, ` + quoteLiteral(role) + ` AS role, p.id AS professional_id,
		a.id AS account_id, '' AS structure_id, lower(p.mssante) AS address, COALESCE(np.mode, '') AS mode`
}

// recipientJoins complete recipientColumns: an active account and a
// nominative address are needed to be mailed.
const recipientJoins = ` JOIN accounts a ON a.professional_id = p.id AND a.disabled_at IS NULL
	LEFT JOIN notification_preferences np ON np.professional_id = p.id`

const recipientActive = ` p.mssante IS NOT NULL AND p.archived_at IS NULL`

// ReferralNotifyPlan returns the facts of a referral event and its
// recipients among: the ESS's organisational mailbox, the account that
// submitted the request, the specialist it is assigned to.
func ReferralNotifyPlan(ctx context.Context, q sqlx.QueryerContext, referralID string, mailbox, requester, specialist bool) (*NotifyFacts, []NotifyRecipient, error) {
	var f NotifyFacts
	const qf = `SELECT s.name AS ess_name, p.first_name || ' ' || p.last_name AS requester_name, r.submitted_at
		FROM referrals r JOIN structures s ON s.id = r.ess_id JOIN professionals p ON p.id = r.requester_id WHERE r.id = $1`
	if err := sqlx.GetContext(ctx, q, &f, qf, referralID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("referral notify facts: %w", err)
	}
	query := `SELECT 'structure:' || s.id AS recipient, 'ess_mailbox' AS role, '' AS professional_id, '' AS account_id,
			s.id AS structure_id, lower(s.mssante) AS address, '' AS mode
		FROM referrals r JOIN structures s ON s.id = r.ess_id
		WHERE $2 AND r.id = $1 AND s.mssante IS NOT NULL AND s.archived_at IS NULL
		UNION ALL
		SELECT ` + recipientColumns("requester") + ` FROM referrals r JOIN accounts ra ON ra.id = r.requested_by
			JOIN professionals p ON p.id = ra.professional_id` + recipientJoins + `
		WHERE $3 AND r.id = $1 AND` + recipientActive + `
		UNION ALL
		SELECT ` + recipientColumns("assigned_specialist") + ` FROM referrals r JOIN professionals p ON p.id = r.specialist_id` + recipientJoins + `
		WHERE $4 AND r.id = $1 AND` + recipientActive
	var rs []NotifyRecipient
	if err := sqlx.SelectContext(ctx, q, &rs, query, referralID, mailbox, requester, specialist); err != nil {
		return nil, nil, fmt.Errorf("referral notify recipients: %w", err)
	}
	return &f, dedupe(rs), nil
}

// ESCAPNotifyPlan returns the facts of an ESCAP event and the team's current
// members it concerns: all of them but the author, or only a task's
// assignee (when entryID names a task given to someone other than its
// author).
func ESCAPNotifyPlan(ctx context.Context, q sqlx.QueryerContext, escapID, entryID, authorID string) (*NotifyFacts, []NotifyRecipient, error) {
	var f NotifyFacts
	const qf = `SELECT e.expires_at, COALESCE((SELECT p.first_name || ' ' || p.last_name FROM professionals p WHERE p.id = $2), '') AS author_name,
			COALESCE((SELECT x.assignee_id FROM escap_entries x WHERE x.id = $3 AND x.escap_id = e.id), '') AS assignee_id
		FROM escaps e WHERE e.id = $1`
	if err := sqlx.GetContext(ctx, q, &f, qf, escapID, authorID, entryID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("escap notify facts: %w", err)
	}
	const qr = `SELECT 'professional:' || p.id AS recipient,
			CASE WHEN p.id = $3 THEN 'task_assignee' ELSE 'escap_member' END AS role,
			p.id AS professional_id, a.id AS account_id, '' AS structure_id, lower(p.mssante) AS address, COALESCE(np.mode, '') AS mode
		FROM escap_members m JOIN professionals p ON p.id = m.professional_id` + recipientJoins + `
		WHERE m.escap_id = $1 AND m.left_at IS NULL AND p.id <> $2 AND ($3 = '' OR p.id = $3) AND` + recipientActive + `
		ORDER BY p.id`
	assignee := f.Assignee
	if assignee == authorID {
		assignee = ""
	}
	var rs []NotifyRecipient
	if err := sqlx.SelectContext(ctx, q, &rs, qr, escapID, authorID, assignee); err != nil {
		return nil, nil, fmt.Errorf("escap notify recipients: %w", err)
	}
	return &f, dedupe(rs), nil
}

// dedupe keeps the first row of each recipient (a requester who is also the
// assigned specialist hears once).
func dedupe(rs []NotifyRecipient) []NotifyRecipient {
	seen := map[string]bool{}
	out := rs[:0]
	for _, r := range rs {
		if !seen[r.Key] {
			seen[r.Key] = true
			out = append(out, r)
		}
	}
	return out
}

// NotifyAllowed reports, for each recipient, whether they may see ev: for a
// professional, the guard a subscription to the event's topic runs (the
// same relations and policies as the queries), as the recipient's account;
// for a structure's mailbox, only a referral event of a request addressed to
// that structure (what the ESS's queue shows its staff).
func (db *DB) NotifyAllowed(ctx context.Context, ev *maillage.Event, rs []NotifyRecipient) ([]bool, error) {
	evs := make([]*maillage.Event, len(rs))
	for i := range evs {
		evs[i] = ev
	}
	return db.notifyAllowedPairs(ctx, evs, rs)
}

// notifyAllowedPairs is NotifyAllowed for recipient rs[i] and event evs[i],
// one guard call per guard whatever the pairs.
func (db *DB) notifyAllowedPairs(ctx context.Context, evs []*maillage.Event, rs []NotifyRecipient) ([]bool, error) {
	ok := make([]bool, len(rs))
	byGuard := map[string][]int{}
	for i, r := range rs {
		ev := evs[i]
		guard := ""
		switch {
		case strings.HasPrefix(ev.Topic, maillage.TopicPrefixReferral):
			guard = maillage.GuardReferral
		case strings.HasPrefix(ev.Topic, maillage.TopicPrefixESCAP):
			guard = maillage.GuardESCAP
		}
		switch {
		case guard == "": // no guard known: nobody
		case r.StructureID != "":
			ok[i] = guard == maillage.GuardReferral && ev.ESSID != "" && ev.ESSID == r.StructureID
		case r.AccountID != "":
			byGuard[guard] = append(byGuard[guard], i)
		}
	}
	for name, at := range byGuard {
		checks := make([]guardCheck, len(at))
		for j, i := range at {
			who := maillage.WithIdentity(ctx, maillage.Identity{AccountID: rs[i].AccountID, ProfessionalID: rs[i].ProfessionalID})
			checks[j] = guardCheck{sub: who, ev: evs[i]}
		}
		allowed, err := eventGuards[name](ctx, db, checks)
		if err != nil {
			return nil, fmt.Errorf("notify allowed: %w", err)
		}
		for j, i := range at {
			ok[i] = allowed[j]
		}
	}
	return ok, nil
}

// NotifyDelivery is one delivery to record: an event for a recipient, sent
// at once (Mode IMMEDIATE: its mail, Subject and Body, is queued with it)
// or kept for the daily digest (Summary and Link are its line).
type NotifyDelivery struct {
	// Event is the event delivered (its id, topic, domain and ESS are kept
	// to check the recipient again at the digest).
	Event     *maillage.Event
	Recipient string
	Mode      maillage.NotificationMode
	Address   string
	Summary   string
	Link      string
	Subject   string
	Body      string
}

// InsertNotifyDeliveries records ds in tx in one statement, each at most once
// (event, recipient, channel): a delivery already made is left alone, and
// gets no second mail. It returns how many were new.
func InsertNotifyDeliveries(ctx context.Context, tx *sqlx.Tx, ds []NotifyDelivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	n := len(ds)
	ids, recipients, modes, addresses := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	summaries, links, subjects, bodies := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	topics, domains, esses := make([]string, n), make([]string, n), make([]string, n)
	for i, d := range ds {
		ids[i], recipients[i], modes[i], addresses[i] = d.Event.ID, d.Recipient, string(d.Mode), d.Address
		topics[i], domains[i], esses[i] = d.Event.Topic, d.Event.Domain, d.Event.ESSID
		summaries[i], links[i], subjects[i], bodies[i] = d.Summary, d.Link, d.Subject, d.Body
	}
	// The mail's id is drawn with the delivery, so both rows are written by
	// one statement and only for a delivery that is new.
	const q = `WITH i AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
				$9::text[], $10::text[], $11::text[])
			AS i(event_id, recipient, mode, address, summary, link, subject, body, topic, domain, ess_id)),
		d AS (INSERT INTO notification_deliveries (event_id, recipient, channel, mode, address, summary, link, topic, domain, ess_id, mail_id)
			SELECT event_id, recipient, 'MAIL', mode, address, summary, link, topic, domain, ess_id,
				CASE WHEN mode = 'IMMEDIATE' THEN nextval('notification_mails_id_seq') END FROM i
			ON CONFLICT (event_id, recipient, channel) DO NOTHING
			RETURNING event_id, recipient, mail_id),
		m AS (INSERT INTO notification_mails (id, recipient, address, subject, body)
			SELECT d.mail_id, i.recipient, i.address, i.subject, i.body FROM d JOIN i USING (event_id, recipient)
			WHERE d.mail_id IS NOT NULL RETURNING id)
		SELECT (SELECT count(*) FROM d) + 0 * (SELECT count(*) FROM m)`
	var made int
	if err := tx.GetContext(ctx, &made, q, pq.Array(ids), pq.StringArray(recipients), pq.StringArray(modes), pq.StringArray(addresses),
		pq.StringArray(summaries), pq.StringArray(links), pq.StringArray(subjects), pq.StringArray(bodies),
		pq.StringArray(topics), pq.StringArray(domains), pq.StringArray(esses)); err != nil {
		return 0, fmt.Errorf("insert deliveries: %w", err)
	}
	return made, nil
}

// OutgoingMail is a mail a sender has taken to send.
type OutgoingMail struct {
	ID        int64     `db:"id"`
	Recipient string    `db:"recipient"`
	Address   string    `db:"address"`
	Subject   string    `db:"subject"`
	Body      string    `db:"body"`
	Attempts  int       `db:"attempts"`
	CreatedAt time.Time `db:"created_at"`
}

// ClaimMails takes up to n mails that are due and that no sender holds, for
// lease (longer than one send may take): until then no other instance takes
// them; a sender that stops mid-send leaves them to another after it.
func (db *DB) ClaimMails(ctx context.Context, n int, lease time.Duration) ([]OutgoingMail, error) {
	const q = `UPDATE notification_mails m SET lease_until = now() + make_interval(secs => $2), attempts = m.attempts + 1
		WHERE m.id IN (SELECT id FROM notification_mails
			WHERE sent_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
			ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
		RETURNING m.id, m.recipient, m.address, m.subject, m.body, m.attempts, m.created_at`
	var ms []OutgoingMail
	if err := db.SelectContext(background(ctx), &ms, q, n, lease.Seconds()); err != nil {
		return nil, fmt.Errorf("claim mails: %w", err)
	}
	return ms, nil
}

// MailSent records that mail id was handed to the relay.
func (db *DB) MailSent(ctx context.Context, id int64) error {
	const q = `UPDATE notification_mails SET sent_at = now(), lease_until = NULL, last_error = NULL WHERE id = $1`
	if _, err := db.ExecContext(background(ctx), q, id); err != nil {
		return fmt.Errorf("mail %d sent: %w", id, err)
	}
	return nil
}

// MailFailed records a failed attempt of mail id, to try again after retryIn.
func (db *DB) MailFailed(ctx context.Context, id int64, retryIn time.Duration, cause string) error {
	const q = `UPDATE notification_mails SET lease_until = NULL, last_error = $3,
		next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1 AND sent_at IS NULL`
	if _, err := db.ExecContext(background(ctx), q, id, retryIn.Seconds(), cause); err != nil {
		return fmt.Errorf("mail %d failed: %w", id, err)
	}
	return nil
}

// MailAbandoned records that the relay refused mail id's recipient for
// good: it is not tried again.
func (db *DB) MailAbandoned(ctx context.Context, id int64, cause string) error {
	const q = `UPDATE notification_mails SET lease_until = NULL, last_error = $2, abandoned_at = now() WHERE id = $1 AND sent_at IS NULL`
	if _, err := db.ExecContext(background(ctx), q, id, cause); err != nil {
		return fmt.Errorf("mail %d abandoned: %w", id, err)
	}
	return nil
}

// MailQueue tells how many mails wait to be sent and the age of the oldest.
func (db *DB) MailQueue(ctx context.Context) (pending int64, oldest time.Duration, err error) {
	const q = `SELECT count(*), COALESCE(EXTRACT(epoch FROM now() - min(created_at)), 0) FROM notification_mails WHERE sent_at IS NULL AND abandoned_at IS NULL`
	var secs float64
	if err := db.QueryRowContext(background(ctx), q).Scan(&pending, &secs); err != nil {
		return 0, 0, fmt.Errorf("mail queue: %w", err)
	}
	return pending, time.Duration(secs * float64(time.Second)), nil
}

// DigestItem is one line of a digest.
type DigestItem struct {
	EventID   int64     `db:"event_id"`
	Recipient string    `db:"recipient"`
	Address   string    `db:"address"`
	Summary   string    `db:"summary"`
	Link      string    `db:"link"`
	CreatedAt time.Time `db:"created_at"`

	topic, domain, essID                 string
	accountID, professionalID, structure string
}

// DigestRender makes the mail of one recipient's digest.
type DigestRender func(items []DigestItem) (subject, body string)

// notifyDigestLock names the advisory lock of the digest job.
const notifyDigestLock = `hashtext('maillage_notify_digest')`

// MakeNotifyDigests makes the digest of day (a date, Europe/Paris): one mail
// per recipient gathering every delivery waiting for a digest that the
// recipient may still see (checked again now with the same guard; the
// others are withheld), once per day across instances (an advisory lock
// and notification_digest_days). made
// is how many mails it queued; ran is false when another instance holds
// the lock or the day's digest is already made.
func (db *DB) MakeNotifyDigests(ctx context.Context, day time.Time, render DigestRender) (made int, ran bool, err error) {
	ctx = background(ctx)
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &ran, `SELECT pg_try_advisory_xact_lock(`+notifyDigestLock+`)`); err != nil || !ran {
			return err
		}
		var fresh []time.Time
		if err := tx.SelectContext(ctx, &fresh, `INSERT INTO notification_digest_days (day) VALUES ($1::date)
			ON CONFLICT DO NOTHING RETURNING day`, day.Format(time.DateOnly)); err != nil {
			return fmt.Errorf("digest day: %w", err)
		}
		if len(fresh) == 0 {
			ran = false
			return nil
		}
		items, err := digestItems(ctx, tx)
		if err != nil {
			return err
		}
		// Checked again now: whoever lost access since hears nothing of it.
		evs := make([]*maillage.Event, len(items))
		rs := make([]NotifyRecipient, len(items))
		for i, it := range items {
			evs[i] = &maillage.Event{ID: it.EventID, Topic: it.topic, Domain: it.domain, ESSID: it.essID}
			rs[i] = NotifyRecipient{Key: it.Recipient, AccountID: it.accountID, ProfessionalID: it.professionalID, StructureID: it.structure}
		}
		allowed, err := db.notifyAllowedPairs(ctx, evs, rs)
		if err != nil {
			return err
		}
		var kept []DigestItem
		var withheldEvents []int64
		var withheldRecipients []string
		for i, it := range items {
			if allowed[i] {
				kept = append(kept, it)
			} else {
				withheldEvents, withheldRecipients = append(withheldEvents, it.EventID), append(withheldRecipients, it.Recipient)
			}
		}
		const qw = `UPDATE notification_deliveries d SET withheld_at = now() FROM unnest($1::bigint[], $2::text[]) AS w(event_id, recipient)
			WHERE d.event_id = w.event_id AND d.recipient = w.recipient AND d.channel = 'MAIL'`
		if _, err := tx.ExecContext(ctx, qw, pq.Array(withheldEvents), pq.StringArray(withheldRecipients)); err != nil {
			return fmt.Errorf("withhold digest items: %w", err)
		}
		var recipients, addresses, subjects, bodies []string
		var itemEvents []int64
		var itemRecipients []string
		for start := 0; start < len(kept); {
			end := start
			for end < len(kept) && kept[end].Recipient == kept[start].Recipient {
				itemEvents, itemRecipients = append(itemEvents, kept[end].EventID), append(itemRecipients, kept[end].Recipient)
				end++
			}
			subject, body := render(kept[start:end])
			recipients = append(recipients, kept[start].Recipient)
			addresses = append(addresses, kept[end-1].Address)
			subjects, bodies = append(subjects, subject), append(bodies, body)
			start = end
		}
		if len(recipients) == 0 {
			return nil
		}
		// Only the items read above join the mail: one recorded meanwhile
		// waits for the next digest.
		const qm = `WITH m AS (INSERT INTO notification_mails (recipient, address, subject, body, digest_day)
				SELECT r, a, s, b, $5::date FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS i(r, a, s, b)
				RETURNING id, recipient)
			UPDATE notification_deliveries d SET mail_id = m.id FROM m, unnest($6::bigint[], $7::text[]) AS k(event_id, recipient)
			WHERE d.recipient = m.recipient AND d.event_id = k.event_id AND d.recipient = k.recipient AND d.channel = 'MAIL'`
		if _, err := tx.ExecContext(ctx, qm, pq.StringArray(recipients), pq.StringArray(addresses), pq.StringArray(subjects),
			pq.StringArray(bodies), day.Format(time.DateOnly), pq.Array(itemEvents), pq.StringArray(itemRecipients)); err != nil {
			return fmt.Errorf("digest mails: %w", err)
		}
		made = len(recipients)
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("notify digest: %w", err)
	}
	return made, ran, nil
}

// digestItems reads the deliveries waiting for a digest, by recipient, with
// what checking them again needs: the recipient's active account (none: an
// archived professional or a disabled account, who may see nothing).
func digestItems(ctx context.Context, tx *sqlx.Tx) ([]DigestItem, error) {
	const q = `SELECT d.event_id, d.recipient, d.address, d.summary, d.link, d.created_at, d.topic, d.domain, d.ess_id,
			COALESCE(a.id, '') AS account_id, COALESCE(p.id, '') AS professional_id,
			CASE WHEN starts_with(d.recipient, 'structure:') THEN substr(d.recipient, 11) ELSE '' END AS structure_id
		FROM notification_deliveries d
		LEFT JOIN professionals p ON starts_with(d.recipient, 'professional:') AND p.id = substr(d.recipient, 14) AND p.archived_at IS NULL
		LEFT JOIN accounts a ON a.professional_id = p.id AND a.disabled_at IS NULL
		WHERE d.mode = 'DIGEST' AND d.mail_id IS NULL AND d.withheld_at IS NULL
		ORDER BY d.recipient, d.created_at, d.event_id`
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("digest items: %w", err)
	}
	defer rows.Close()
	var items []DigestItem
	for rows.Next() {
		var it DigestItem
		if err := rows.Scan(&it.EventID, &it.Recipient, &it.Address, &it.Summary, &it.Link, &it.CreatedAt, &it.topic, &it.domain,
			&it.essID, &it.accountID, &it.professionalID, &it.structure); err != nil {
			return nil, fmt.Errorf("digest items: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("digest items: %w", err)
	}
	return items, nil
}

// notifyPruneLock names the advisory lock of the pruning of settled
// deliveries.
const notifyPruneLock = `hashtext('maillage_notify_prune')`

// NotifyPruned is what one run of PruneNotifications did.
type NotifyPruned struct {
	// Ran is false when another instance held the lock (it is pruning).
	Ran bool
	// Mails and Deliveries are how many rows the run deleted.
	Mails, Deliveries int64
	// Batches is how many deleting statements it ran, each committed on
	// its own.
	Batches int
}

// PruneNotifications deletes what is settled since longer than keep: the
// mails sent or abandoned, with their deliveries, and the deliveries
// withheld from a digest. It deletes in batches — at most batch mails (an
// immediate mail has one delivery, a digest mail the lines of one
// recipient's day) or batch withheld deliveries per statement, each
// committed on its own — until none is left or ctx ends. Mails waiting to
// be sent and deliveries waiting for a digest are never touched. One
// instance at a time: the run holds a session advisory lock on one
// connection, and does nothing (Ran false) when another instance holds it.
func (db *DB) PruneNotifications(ctx context.Context, keep time.Duration, batch int) (NotifyPruned, error) {
	ctx = background(ctx)
	var out NotifyPruned
	if batch < 1 {
		return out, fmt.Errorf("prune notifications: batch %d: want at least 1", batch)
	}
	conn, err := db.Connx(ctx)
	if err != nil {
		return out, fmt.Errorf("prune notifications: %w", err)
	}
	defer conn.Close()
	if err := conn.GetContext(ctx, &out.Ran, `SELECT pg_try_advisory_lock(`+notifyPruneLock+`)`); err != nil || !out.Ran {
		if err != nil {
			err = fmt.Errorf("prune notifications: lock: %w", err)
		}
		return out, err
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+notifyPruneLock+`)`); err != nil {
			// A connection that may still hold the lock is closed, not
			// pooled: closing it releases the lock.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	// Each statement returns how many rows of its batch it took (mails, or
	// withheld deliveries), then the mails and deliveries it deleted. The
	// deliveries of a mail go in the statement that deletes it (their
	// reference to it is checked at the statement's end).
	const qm = `WITH m AS (SELECT id FROM notification_mails
			WHERE (sent_at IS NOT NULL OR abandoned_at IS NOT NULL) AND COALESCE(sent_at, abandoned_at) < now() - make_interval(secs => $1)
			ORDER BY COALESCE(sent_at, abandoned_at), id LIMIT $2),
		d AS (DELETE FROM notification_deliveries d USING m WHERE d.mail_id = m.id RETURNING 1),
		x AS (DELETE FROM notification_mails n USING m WHERE n.id = m.id RETURNING 1)
		SELECT (SELECT count(*) FROM x), (SELECT count(*) FROM x), (SELECT count(*) FROM d)`
	const qw = `WITH w AS (SELECT event_id, recipient, channel FROM notification_deliveries
			WHERE withheld_at < now() - make_interval(secs => $1) AND mail_id IS NULL ORDER BY withheld_at LIMIT $2),
		d AS (DELETE FROM notification_deliveries d USING w
			WHERE d.event_id = w.event_id AND d.recipient = w.recipient AND d.channel = w.channel RETURNING 1)
		SELECT count(*), 0, count(*) FROM d`
	for _, step := range []struct{ what, q string }{{"sent mails", qm}, {"withheld deliveries", qw}} {
		for {
			if err := ctx.Err(); err != nil {
				return out, fmt.Errorf("prune notifications: %w", err)
			}
			var taken, mails, deliveries int64
			if err := conn.QueryRowxContext(ctx, step.q, keep.Seconds(), batch).Scan(&taken, &mails, &deliveries); err != nil {
				return out, fmt.Errorf("prune notifications: %s: %w", step.what, err)
			}
			out.Batches++
			out.Mails += mails
			out.Deliveries += deliveries
			if taken < int64(batch) {
				break
			}
		}
	}
	return out, nil
}

// escapTermLock names the advisory lock of the term notices.
const escapTermLock = `hashtext('maillage_escap_term_notices')`

// AnnounceESCAPTerms appends an ESCAP_TERM_NEAR event for every active team
// whose term ends within notice of now, once per team and end of term (a
// renewal moves the end: the new one is announced in its turn). One
// instance at a time (an advisory lock); it returns the teams announced.
func (db *ESCAPService) AnnounceESCAPTerms(ctx context.Context, now time.Time, notice time.Duration) (int, error) {
	ctx = background(ctx)
	var teams []*maillage.ESCAP
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var locked bool
		if err := tx.GetContext(ctx, &locked, `SELECT pg_try_advisory_xact_lock(`+escapTermLock+`)`); err != nil || !locked {
			return err
		}
		const q = `WITH due AS (INSERT INTO escap_term_notices (escap_id, expires_at)
				SELECT id, expires_at FROM escaps WHERE status = 'ACTIVE' AND expires_at > $1 AND expires_at <= $1 + make_interval(secs => $2)
				ON CONFLICT DO NOTHING RETURNING escap_id)
			SELECT ` + escapColumns + escapFrom + ` JOIN due ON due.escap_id = e.id ORDER BY e.id`
		if err := tx.SelectContext(ctx, &teams, q, now, notice.Seconds()); err != nil {
			return fmt.Errorf("teams near their term: %w", err)
		}
		for _, e := range teams {
			if err := escapEvent(ctx, tx, e, maillage.EventESCAPTermNear, e.ID, map[string]any{"expiresAt": e.ExpiresAt}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("announce escap terms: %w", err)
	}
	return len(teams), nil
}

// NotifyPreferences reads and sets professionals' notification modes.
type NotifyPreferences struct{ *store }

// NotifyPreferenceOf returns the stored mode of the professional (nil:
// none), their nominative address and when the mode was set.
func (db *NotifyPreferences) NotifyPreferenceOf(ctx context.Context, professionalID string) (*maillage.NotificationPreference, error) {
	var row struct {
		Mode      *maillage.NotificationMode `db:"mode"`
		Address   *string                    `db:"address"`
		UpdatedAt *time.Time                 `db:"updated_at"`
	}
	const q = `SELECT np.mode, lower(p.mssante) AS address, np.updated_at
		FROM professionals p LEFT JOIN notification_preferences np ON np.professional_id = p.id WHERE p.id = $1`
	if err := db.GetContext(ctx, &row, q, professionalID); err != nil {
		return nil, fmt.Errorf("notification preference: %w", mapError(err))
	}
	return &maillage.NotificationPreference{Mode: row.Mode, Address: row.Address, UpdatedAt: row.UpdatedAt}, nil
}

// SetNotifyPreference stores the professional's mode.
func (db *NotifyPreferences) SetNotifyPreference(ctx context.Context, professionalID string, mode maillage.NotificationMode) error {
	const q = `INSERT INTO notification_preferences (professional_id, mode) VALUES ($1, $2)
		ON CONFLICT (professional_id) DO UPDATE SET mode = EXCLUDED.mode, updated_at = now()`
	if _, err := db.ExecContext(ctx, q, professionalID, string(mode)); err != nil {
		return fmt.Errorf("set notification preference: %w", mapError(err))
	}
	return nil
}
