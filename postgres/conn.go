package postgres

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/lib/pq"
)

// ConnectionDefaults are the settings the hub adds to a DATABASE_URL that
// does not name them, so that no statement, transaction or connection
// attempt can wait on PostgreSQL for ever. Each may be set in the URL
// instead (?statement_timeout=2min, 0 to disable):
//   - connect_timeout (seconds): a connection attempt, TCP and start-up,
//     gives up after it (a black-holed network accepts nothing, answers
//     nothing);
//   - statement_timeout: PostgreSQL cancels a statement running longer (a
//     backstop: a request's own deadline cancels its statements first);
//   - idle_in_transaction_session_timeout: PostgreSQL ends a session left
//     idle in a transaction (a hub cut off mid-transaction), releasing its
//     locks.
var ConnectionDefaults = [][2]string{
	{"connect_timeout", "5"},
	{"statement_timeout", "30s"},
	{"idle_in_transaction_session_timeout", "60s"},
}

// withConnectionDefaults returns dsn (a postgres:// URL or key=value
// settings) with the ConnectionDefaults it does not set.
func withConnectionDefaults(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		for _, d := range ConnectionDefaults {
			if !q.Has(d[0]) && !strings.Contains(q.Get("options"), d[0]) {
				q.Set(d[0], d[1])
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for _, d := range ConnectionDefaults {
		if !strings.Contains(dsn, d[0]) {
			dsn += " " + d[0] + "=" + d[1]
		}
	}
	return strings.TrimSpace(dsn)
}

// keepAlive probes an idle connection after 10 s and gives it up after 3
// unanswered probes 5 s apart; userTimeout gives up a connection whose sent
// bytes stay unacknowledged that long (Linux). Together they find a
// PostgreSQL gone behind a silent network within half a minute, instead of
// the system's two hours and more.
var (
	keepAlive   = net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3}
	userTimeout = 25 * time.Second
)

// dialer is lib/pq's dialer with keepAlive and userTimeout.
type dialer struct{ net.Dialer }

var netDialer = dialer{net.Dialer{KeepAliveConfig: keepAlive, Control: setUserTimeout(userTimeout)}}

func (d dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

// pqDriver is lib/pq opening its connections through netDialer.
type pqDriver struct{}

func (pqDriver) Open(dsn string) (driver.Conn, error) { return pq.DialOpen(netDialer, dsn) }

// WaitForServer waits, with exponential backoff, until the PostgreSQL server
// that dsn names answers, for at most within; each failed attempt is logged.
// An error other than an unreachable server (a wrong password, say) is
// returned at once. It lets an instance start before its database.
func WaitForServer(ctx context.Context, dsn string, within time.Duration) error {
	db, _, err := maintenanceDB(withConnectionDefaults(dsn))
	if err != nil {
		return err
	}
	defer db.Close()
	attempt := 0
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		attempt++
		err := db.PingContext(ctx)
		if err != nil && !Unavailable(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		if err != nil {
			slog.WarnContext(ctx, "waiting for PostgreSQL", "attempt", attempt, "err", err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(&backoff.ExponentialBackOff{
		InitialInterval: 200 * time.Millisecond, RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: 5 * time.Second,
	}), backoff.WithMaxElapsedTime(within))
	if err != nil {
		return fmt.Errorf("PostgreSQL did not answer within %s: %w", within, err)
	}
	return nil
}
