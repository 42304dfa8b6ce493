package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/wneessen/go-mail"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
)

// FollowerName is the notifier's outbox follower (outbox_followers.name).
const FollowerName = "notify_mail"

// Service is the notifier of one instance: the outbox follower that makes
// the deliveries, the sender of the mails, the digest and term-notice jobs;
// and the caller's own preferences for the API.
type Service struct {
	db     *postgres.DB
	cfg    Config
	sender *sender
	wake   chan struct{}
	stats  counters
}

var _ maillage.NotificationPreferenceService = (*Service)(nil)

type counters struct {
	deliveries, sent, failures, digests, abandoned atomic.Int64
	pending, oldestSeconds                         atomic.Int64
}

// Stats are the notifier's figures, for metrics.
type Stats struct {
	Deliveries int64         // deliveries this instance made
	Sent       int64         // mails this instance handed to the relay
	Failures   int64         // attempts that failed (each retried later)
	Abandoned  int64         // mails whose recipient the relay refused for good
	Digests    int64         // digest mails this instance queued
	Pending    int64         // mails waiting to be sent (all instances), as last seen
	Oldest     time.Duration // age of the oldest of them
}

// New returns the notifier of db configured by cfg (checked when a relay is
// configured). Start runs it; without a relay it only serves preferences.
func New(db *postgres.DB, cfg Config) (*Service, error) {
	s := &Service{db: db, cfg: cfg.withDefaults(), wake: make(chan struct{}, 1)}
	if !cfg.Enabled() {
		return s, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mail notifications: %w", err)
	}
	snd, err := newSender(s.cfg)
	if err != nil {
		return nil, fmt.Errorf("mail notifications: %w", err)
	}
	s.sender = snd
	return s, nil
}

// Stats returns the notifier's figures.
func (s *Service) Stats() Stats {
	return Stats{Deliveries: s.stats.deliveries.Load(), Sent: s.stats.sent.Load(), Failures: s.stats.failures.Load(),
		Digests: s.stats.digests.Load(), Abandoned: s.stats.abandoned.Load(), Pending: s.stats.pending.Load(), Oldest: time.Duration(s.stats.oldestSeconds.Load()) * time.Second}
}

// Start runs the notifier until ctx ends, when a relay is configured: the
// follower of the outbox over bus, the sender, and the daily jobs. Every
// instance may run it; the follower, the claims and the jobs' locks make
// each mail go once.
func (s *Service) Start(ctx context.Context, bus *postgres.Bus, follow postgres.FollowConfig) error {
	if !s.cfg.Enabled() {
		return nil
	}
	if _, err := postgres.StartFollower(ctx, s.db, bus, FollowerName, s.Handle, follow); err != nil {
		return fmt.Errorf("mail notifications: %w", err)
	}
	go s.sendLoop(ctx)
	go s.jobLoop(ctx)
	slog.Info("mail notifications on", "relay", fmt.Sprintf("%s:%d", s.cfg.Host, s.cfg.Port), "tls", s.cfg.TLS,
		"client_certificate", s.cfg.ClientCert != "", "from", s.cfg.From)
	return nil
}

// Handle is the follower's handler: for each event that concerns someone,
// the deliveries to its recipients who may see it and did not turn mails
// off, written in tx (see postgres.FollowHandler).
func (s *Service) Handle(ctx context.Context, tx *sqlx.Tx, evs []*maillage.Event) error {
	var ds []postgres.NotifyDelivery
	for _, ev := range evs {
		more, err := s.plan(ctx, tx, ev)
		if err != nil {
			return fmt.Errorf("event %d: %w", ev.ID, err)
		}
		ds = append(ds, more...)
	}
	n, err := postgres.InsertNotifyDeliveries(ctx, tx, ds)
	if err != nil {
		return err
	}
	s.stats.deliveries.Add(int64(n))
	if n > 0 {
		s.poke()
	}
	return nil
}

// plan returns the deliveries of one event.
func (s *Service) plan(ctx context.Context, tx *sqlx.Tx, ev *maillage.Event) ([]postgres.NotifyDelivery, error) {
	var facts *postgres.NotifyFacts
	var rs []postgres.NotifyRecipient
	var err error
	var render func(role string) (message, bool)
	switch {
	case strings.HasPrefix(ev.Topic, maillage.TopicPrefixReferral):
		// The ESS's mailbox hears of a request arriving and of one its
		// requester takes back; the requester of what the ESS did; the
		// specialist of a request given to them.
		toMailbox := ev.Type == maillage.ReferralEventType(maillage.ActionSubmit) || ev.Type == maillage.ReferralEventType(maillage.ActionWithdraw)
		_, toRequester := referralOutcome[ev.Type]
		assign := ev.Type == maillage.ReferralEventType(maillage.ActionAssign)
		if !toMailbox && !toRequester && !assign {
			return nil, nil
		}
		facts, rs, err = postgres.ReferralNotifyPlan(ctx, tx, ev.SubjectID, toMailbox, toRequester, assign)
		render = func(role string) (message, bool) { return referralMessage(ev, facts, role) }
	case strings.HasPrefix(ev.Topic, maillage.TopicPrefixESCAP):
		if ev.Type != maillage.EventNoteAdded && ev.Type != maillage.EventTaskAdded && ev.Type != maillage.EventESCAPTermNear {
			return nil, nil
		}
		var p struct {
			EntryID  string `json:"entryId"`
			AuthorID string `json:"authorId"`
		}
		if len(ev.Payload) > 0 {
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				return nil, fmt.Errorf("payload: %w", err)
			}
		}
		teamID := strings.TrimPrefix(ev.Topic, maillage.TopicPrefixESCAP)
		facts, rs, err = postgres.ESCAPNotifyPlan(ctx, tx, teamID, p.EntryID, p.AuthorID)
		render = func(role string) (message, bool) { return escapMessage(ev, teamID, facts, role) }
	default:
		return nil, nil
	}
	if err != nil || facts == nil || len(rs) == 0 {
		return nil, err
	}
	allowed, err := s.db.NotifyAllowed(ctx, ev, rs)
	if err != nil {
		return nil, err
	}
	var ds []postgres.NotifyDelivery
	for i, r := range rs {
		mode := s.modeOf(r)
		if !allowed[i] || mode == maillage.NotifyOff {
			continue
		}
		m, ok := render(r.Role)
		if !ok {
			continue
		}
		link := s.cfg.PublicURL + m.Path
		ds = append(ds, postgres.NotifyDelivery{Event: ev, Recipient: r.Key, Mode: mode, Address: r.Address,
			Summary: m.Summary, Link: link, Subject: m.Subject, Body: immediateBody(m, link, ev.CreatedAt)})
	}
	return ds, nil
}

// modeOf is the recipient's chosen mode, or the default of their role.
func (s *Service) modeOf(r postgres.NotifyRecipient) maillage.NotificationMode {
	if r.Mode.Valid() {
		return r.Mode
	}
	if m, ok := s.cfg.Defaults[r.Role]; ok {
		return m
	}
	return maillage.NotifyImmediate
}

// poke wakes the sender.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// sendLoop sends the due mails: when woken by new deliveries, or every Poll
// (mails whose retry came due, a lease that lapsed on another instance).
func (s *Service) sendLoop(ctx context.Context) {
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	for {
		for {
			n, err := s.SendDue(ctx)
			if err != nil && ctx.Err() == nil {
				slog.Error("mail notifications: send", "err", err)
			}
			if err != nil || n < s.cfg.Batch {
				break
			}
		}
		s.refreshQueue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// refreshQueue reads the queue's figures for the metrics.
func (s *Service) refreshQueue(ctx context.Context) {
	pending, oldest, err := s.db.MailQueue(ctx)
	if err != nil {
		return
	}
	s.stats.pending.Store(pending)
	s.stats.oldestSeconds.Store(int64(oldest / time.Second))
}

// SendDue takes a batch of due mails and sends them through the relay, one
// SMTP conversation for the batch; a mail the relay refused, or a relay
// that does not answer, is tried again after a backoff (RetryMin doubling
// per attempt, up to RetryMax). It returns how many mails it took.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	if s.sender == nil {
		return 0, nil
	}
	lease := 2*s.cfg.Timeout + time.Minute
	ms, err := s.db.ClaimMails(ctx, s.cfg.Batch, lease)
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	results := s.sender.send(ctx, ms)
	for i, m := range ms {
		if results[i] == nil {
			if err := s.db.MailSent(ctx, m.ID); err != nil {
				return len(ms), err
			}
			s.stats.sent.Add(1)
			continue
		}
		s.stats.failures.Add(1)
		if refusedForGood(results[i]) {
			s.stats.abandoned.Add(1)
			slog.Error("mail notifications: the relay refuses the recipient, mail abandoned", "mail", m.ID,
				"recipient", m.Recipient, "address", m.Address, "err", results[i])
			if err := s.db.MailAbandoned(ctx, m.ID, results[i].Error()); err != nil {
				return len(ms), err
			}
			continue
		}
		retry := s.backoff(m.Attempts)
		slog.Warn("mail notifications: not sent, will retry", "mail", m.ID, "attempt", m.Attempts,
			"retry_in", retry.String(), "err", results[i])
		if err := s.db.MailFailed(ctx, m.ID, retry, results[i].Error()); err != nil {
			return len(ms), err
		}
	}
	return len(ms), nil
}

// refusedForGood reports whether the relay refused the recipient with a
// permanent error (5xx to RCPT TO: no such mailbox). Anything else — the
// relay away, a temporary refusal, a refusal of the sender (the hub's
// certificate or address, which its operator can fix) — is tried again.
func refusedForGood(err error) bool {
	var se *mail.SendError
	return errors.As(err, &se) && se.Reason == mail.ErrSMTPRcptTo && !se.IsTemp() && se.ErrorCode() >= 500
}

// backoff is the wait after the attempt-th failed attempt.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.cfg.RetryMin
	for i := 1; i < attempt && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

// jobLoop runs the jobs every JobsEvery: the term notices, the digest once
// its time of day has come, and the pruning of settled deliveries.
func (s *Service) jobLoop(ctx context.Context) {
	tick := time.NewTicker(s.cfg.JobsEvery)
	defer tick.Stop()
	for {
		now := time.Now()
		if _, err := s.db.ESCAP.AnnounceESCAPTerms(ctx, now, s.cfg.TermNotice); err != nil && ctx.Err() == nil {
			slog.Error("mail notifications: term notices", "err", err)
		}
		if _, err := s.Digest(ctx, now); err != nil && ctx.Err() == nil {
			slog.Error("mail notifications: digest", "err", err)
		}
		if p, err := s.Prune(ctx); err != nil && ctx.Err() == nil {
			slog.Error("mail notifications: prune", "err", err)
		} else if p.Mails+p.Deliveries > 0 {
			slog.Info("mail notifications: pruned settled deliveries", "mails", p.Mails, "deliveries", p.Deliveries,
				"batches", p.Batches, "retention", s.cfg.Retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Digest makes the digest of now's day (Europe/Paris) if its time has come
// and no instance made it yet: one mail per recipient with deliveries
// waiting. It returns how many mails it queued.
func (s *Service) Digest(ctx context.Context, now time.Time) (int, error) {
	at, _ := time.Parse("15:04", s.cfg.DigestAt)
	local := now.In(maillage.Paris)
	due := time.Date(local.Year(), local.Month(), local.Day(), at.Hour(), at.Minute(), 0, 0, maillage.Paris)
	if local.Before(due) {
		return 0, nil
	}
	made, _, err := s.db.MakeNotifyDigests(ctx, due, digestMail)
	if err != nil {
		return 0, err
	}
	s.stats.digests.Add(int64(made))
	if made > 0 {
		s.poke()
	}
	return made, nil
}

// Prune deletes the deliveries settled longer than Retention ago, with
// their mails, in batches of PruneBatch, on one instance at a time (see
// postgres.DB.PruneNotifications); the job loop runs it.
func (s *Service) Prune(ctx context.Context) (postgres.NotifyPruned, error) {
	return s.db.PruneNotifications(ctx, s.cfg.Retention, s.cfg.PruneBatch)
}

// MyNotificationPreference implements maillage.NotificationPreferenceService.
func (s *Service) MyNotificationPreference(ctx context.Context) (*maillage.NotificationPreference, error) {
	pro, err := professional(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.db.Notify.NotifyPreferenceOf(ctx, pro)
	if err != nil {
		return nil, err
	}
	p.Defaults = s.defaults()
	return p, nil
}

// SetMyNotificationPreference implements maillage.NotificationPreferenceService.
func (s *Service) SetMyNotificationPreference(ctx context.Context, mode maillage.NotificationMode) (*maillage.NotificationPreference, error) {
	pro, err := professional(ctx)
	if err != nil {
		return nil, err
	}
	if !mode.Valid() {
		return nil, maillage.InvalidField("mode", "must be IMMEDIATE, DIGEST or OFF, got %q", mode)
	}
	if err := s.db.Notify.SetNotifyPreference(ctx, pro, mode); err != nil {
		return nil, err
	}
	return s.MyNotificationPreference(ctx)
}

// defaults lists the configured defaults in the order of Roles.
func (s *Service) defaults() []maillage.NotificationRoleDefault {
	out := make([]maillage.NotificationRoleDefault, 0, len(Roles))
	for _, role := range Roles {
		out = append(out, maillage.NotificationRoleDefault{Role: role, Mode: s.cfg.Defaults[role]})
	}
	return out
}

// professional is the caller's professional id: preferences are a
// professional's own, for the mails to their nominative address.
func professional(ctx context.Context) (string, error) {
	id := maillage.IdentityFrom(ctx)
	switch {
	case id.Anonymous():
		return "", maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to read or set your notification preferences")
	case id.ProfessionalID == "":
		return "", maillage.Errorf(maillage.EFORBIDDEN, "only a health professional receives notifications")
	}
	return id.ProfessionalID, nil
}
