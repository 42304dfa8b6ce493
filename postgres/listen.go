package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage/authz"
)

// AuthzChannel is the LISTEN/NOTIFY channel announcing a change of policies
// or grants. Triggers send it (migrations/00047_authz_account_grants.sql),
// whatever code made the change: "policy" when the policy rules changed,
// "accounts:<id>,<id>…" naming the accounts whose grants changed, "all"
// when any account may be concerned (a territory moved).
const AuthzChannel = "maillage_authz"

// ParseAuthzChange reads a notification of AuthzChannel. Anything it does
// not know means every caller must be forgotten.
func ParseAuthzChange(payload string) authz.Change {
	switch {
	case payload == "policy":
		return authz.Change{Policies: true}
	case strings.HasPrefix(payload, "accounts:"):
		return authz.Change{Accounts: strings.Split(strings.TrimPrefix(payload, "accounts:"), ",")}
	}
	return authz.Change{All: true}
}

// ListenAuthz keeps a on db's database up to date until ctx is done or db
// is closed; see ListenAuthz.
func (db *DB) ListenAuthz(ctx context.Context, a *authz.Authorizer) error {
	ctx, cancel := context.WithCancel(background(ctx))
	db.mu.Lock()
	db.stops = append(db.stops, cancel)
	db.mu.Unlock()
	if err := ListenAuthz(ctx, db.DSN, a); err != nil {
		cancel()
		return err
	}
	return nil
}

// Close stops the listeners started on db, then closes its connections.
func (db *DB) Close() error {
	db.mu.Lock()
	for _, stop := range db.stops {
		stop()
	}
	db.stops = nil
	db.mu.Unlock()
	db.closePrepared()
	return db.DB.Close()
}

// authzPing is how often an idle listener checks its connection.
const authzPing = 60 * time.Second

// ListenAuthz LISTENs on AuthzChannel with a connection of its own to dsn
// and applies every change to a: the accounts named are forgotten, the
// policies reloaded. When the connection is lost a stops caching (a
// notification may be missed), and when it is back a forgets every caller
// and reloads its policies. Notifications already queued are applied
// together. It returns once listening; the listener stops when ctx is done.
func ListenAuthz(ctx context.Context, dsn string, a *authz.Authorizer) error {
	l := pq.NewListener(dsn, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		if ev == pq.ListenerEventDisconnected {
			a.Suspend()
		}
		if err != nil {
			slog.Warn("authz listener", "event", ev, "err", err)
		}
	})
	if err := l.Listen(AuthzChannel); err != nil {
		l.Close()
		return fmt.Errorf("listen %s: %w", AuthzChannel, err)
	}
	go func() {
		defer l.Close()
		ping := time.NewTicker(authzPing)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				if err := apply(ctx, a, n, l.Notify); err != nil && ctx.Err() == nil {
					slog.Error("authz change", "err", err)
				}
			case <-ping.C:
				go l.Ping()
			}
		}
	}()
	return nil
}

// apply applies notification n and those already queued behind it; a nil
// notification (the connection came back) resumes a.
func apply(ctx context.Context, a *authz.Authorizer, n *pq.Notification, queued <-chan *pq.Notification) error {
	var c authz.Change
	resume := false
	for {
		if n == nil {
			resume = true
		} else {
			next := ParseAuthzChange(n.Extra)
			c.All, c.Policies = c.All || next.All, c.Policies || next.Policies
			c.Accounts = append(c.Accounts, next.Accounts...)
		}
		select {
		case n = <-queued:
			continue
		default:
		}
		break
	}
	if resume {
		if err := a.Resume(ctx); err != nil {
			return err
		}
	}
	return a.Apply(ctx, c)
}

// drain discards the notifications already queued.
func drain(c <-chan *pq.Notification) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}
