package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// AuthzChannel is the LISTEN/NOTIFY channel announcing a change of policies
// or grants (an admin mutation, a membership added or ended, a structure or
// professional archived); every instance reloads its authorizer when it
// hears it.
const AuthzChannel = "maillage_authz"

// notifyAuthz announces in tx that policies or grants changed; PostgreSQL
// delivers it at commit, so a rolled-back change announces nothing.
func notifyAuthz(ctx context.Context, tx sqlx.ExecerContext, what string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, AuthzChannel, what); err != nil {
		return fmt.Errorf("notify authz: %w", err)
	}
	return nil
}

// ListenAuthz is ListenAuthz on db's database; the listener also stops when
// db is closed.
func (db *DB) ListenAuthz(ctx context.Context, reload func(context.Context) error) error {
	ctx, cancel := context.WithCancel(background(ctx))
	db.mu.Lock()
	db.stops = append(db.stops, cancel)
	db.mu.Unlock()
	if err := ListenAuthz(ctx, db.DSN, reload); err != nil {
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
// and calls reload after every notification, and after every reconnection
// (a notification may have been missed while the connection was down).
// Notifications that arrive while a reload runs are coalesced into the next
// one. It returns once listening; the listener stops when ctx is done.
func ListenAuthz(ctx context.Context, dsn string, reload func(context.Context) error) error {
	l := pq.NewListener(dsn, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
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
			case <-l.Notify: // nil after a reconnection: reload all the same
				drain(l.Notify)
				if err := reload(ctx); err != nil && ctx.Err() == nil {
					slog.Error("authz reload", "err", err)
				}
			case <-ping.C:
				go l.Ping()
			}
		}
	}()
	return nil
}

// drain discards the notifications already queued: one reload covers them.
func drain(c <-chan *pq.Notification) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}
