// Package postgres implements the hub's services over PostgreSQL with sqlx and
// lib/pq: one service per area (DirectoryService, AccountService,
// PolicyService, AuditService, PatientService, ESCAPService,
// ReferralService) sharing one connection pool, built ready to use by Open;
// the event outbox and its LISTEN/NOTIFY bus; and the audit trail. Every list
// runs a constant number of statements; every write runs in one transaction
// with its event. Statements are composed with params (params.go), which
// numbers each fragment's placeholders as it is added. A service's methods
// name their receiver db: each reads db.SelectContext(…), db.Authz… from the
// shared store.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/qustavo/sqlhooks/v2"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// driverName is lib/pq wrapped with the statement counter.
const driverName = "postgres-maillage"

var registerDriver sync.Once

// statements counts every SQL statement sent by this process.
var statements atomic.Int64

// StatementObserver, if set before Connect or Open, is called after every statement with
// its duration (for metrics).
var StatementObserver func(d time.Duration)

type startKey struct{}

type countingHooks struct{}

func (countingHooks) Before(ctx context.Context, query string, args ...any) (context.Context, error) {
	if ctx.Value(backgroundKey{}) == nil {
		statements.Add(1)
	}
	return context.WithValue(ctx, startKey{}, time.Now()), nil
}

func (countingHooks) After(ctx context.Context, query string, args ...any) (context.Context, error) {
	if obs := StatementObserver; obs != nil {
		if t, ok := ctx.Value(startKey{}).(time.Time); ok {
			obs(time.Since(t))
		}
	}
	return ctx, nil
}

type backgroundKey struct{}

// background marks ctx as the hub's own background work (the event bus, the
// authorization listener): its statements are not counted by Statements,
// which measures what requests cost. The metrics hook still times them.
func background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// Background marks ctx as the hub's own background work, as background
// does, for the jobs other packages run (webhook deliveries).
func Background(ctx context.Context) context.Context { return background(ctx) }

// Statements returns how many SQL statements this process has sent for
// requests (background work excluded).
func Statements() int64 { return statements.Load() }

// store is what every service shares: the connection pool and the
// authorizer. Services embed it, so a method reads db.SelectContext(…) or
// db.Authz whatever service it belongs to.
type store struct {
	*sqlx.DB
	DSN   string
	Authz *authz.Authorizer

	mu    sync.Mutex
	stops []context.CancelFunc // listeners to stop on Close
	stmts preparedStatements
}

// DB is the hub's database, ready to use: the shared connection pool, one
// service per area, and the event outbox that the Bus reads.
type DB struct {
	*store
	Directory *DirectoryService
	Accounts  *AccountService
	Policies  *PolicyService
	Audit     *AuditService
	Patients  *PatientService
	ESCAP     *ESCAPService
	Referrals *ReferralService
	Notify    *NotifyPreferences
	Webhooks  *WebhookStore
}

// DirectoryService is the public directory: territories, structures and
// their links, professionals and their memberships.
type DirectoryService struct{ *store }

// AccountService finds the hub's accounts and keeps the development signing key.
type AccountService struct{ *store }

// PolicyService administers the authorization policies and role grants.
type PolicyService struct{ *store }

// AuditService reads the audit trail.
type AuditService struct{ *store }

// PatientService records patients and reads them for their care circle.
type PatientService struct{ *store }

// ESCAPService runs the ESCAP care teams: consent, membership, timeline,
// and the territory's figures.
type ESCAPService struct {
	*store
	patients *PatientService
}

// ReferralService runs the ESS single-entry referral requests.
type ReferralService struct {
	*store
	patients *PatientService
}

// maxConns is the most connections a pool opens.
const maxConns = 20

// Connect opens the connection pool to dsn, with the ConnectionDefaults it
// does not set (statements counted, see Statements), and checks it answers.
// Open builds the services on it; Connect alone serves migrations and
// maintenance.
func Connect(ctx context.Context, dsn string) (*sqlx.DB, error) {
	registerDriver.Do(func() {
		sql.Register(driverName, sqlhooks.Wrap(pqDriver{}, countingHooks{}))
	})
	dsn = withConnectionDefaults(dsn)
	db, err := sqlx.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db = sqlx.NewDb(db.DB, "postgres")
	// As many idle connections kept as open ones: a connection closed
	// because a burst left more than the idle limit is opened again at the
	// next (a new PostgreSQL backend, and every prepared statement parsed
	// and planned again on it). Idle ones still close after five minutes.
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// Open connects to dsn, migrates the schema up, loads the authorizer and
// returns the services ready to use.
func Open(ctx context.Context, dsn string) (*DB, error) {
	pool, err := Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, pool.DB, "up"); err != nil {
		pool.Close()
		return nil, err
	}
	az, err := authz.New(ctx, NewAuthzStore(pool))
	if err != nil {
		pool.Close()
		return nil, err
	}
	return newDB(&store{DB: pool, DSN: withConnectionDefaults(dsn), Authz: az}), nil
}

// newDB builds the services over s.
func newDB(s *store) *DB {
	patients := &PatientService{s}
	return &DB{
		store:     s,
		Directory: &DirectoryService{s},
		Accounts:  &AccountService{s},
		Policies:  &PolicyService{s},
		Audit:     &AuditService{s},
		Patients:  patients,
		ESCAP:     &ESCAPService{store: s, patients: patients},
		Referrals: &ReferralService{store: s, patients: patients},
		Notify:    &NotifyPreferences{s},
		Webhooks:  &WebhookStore{s},
	}
}

// InTx runs fn in one transaction, committed if fn returns nil and rolled
// back otherwise.
func (db *store) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit; undoes everything if fn fails or panics
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapError(err))
	}
	return nil
}

// mapError turns the PostgreSQL errors a caller can cause into domain errors;
// anything else is returned as it is (and becomes INTERNAL).
func mapError(err error) error {
	var pqErr *pq.Error
	if errors.Is(err, sql.ErrNoRows) {
		return maillage.Errorf(maillage.ENOTFOUND, "not found")
	}
	if !errors.As(err, &pqErr) {
		return err
	}
	switch pqErr.Code {
	case "23505": // unique_violation
		return &maillage.Error{Code: maillage.ECONFLICT, Message: conflictMessage(pqErr.Constraint)}
	case "23503": // foreign_key_violation
		return maillage.Errorf(maillage.ENOTFOUND, "a referenced object does not exist")
	case "23514": // check_violation
		return maillage.Errorf(maillage.EINVALID, "a value is outside what is allowed")
	case "22P02", "22007", "22008", "22003": // invalid text, datetime format or range, number out of range
		return maillage.Errorf(maillage.EINVALID, "a value is not of the expected type")
	case "22001", "54000": // string too long, index row too large
		return maillage.Errorf(maillage.EINVALID, "a value is too long")
	case "22021": // character not in repertoire (a NUL byte)
		return maillage.Errorf(maillage.EINVALID, "a value contains a NUL character")
	}
	return err
}

// conflictMessages names, per unique constraint, what is already taken.
var conflictMessages = map[string]string{
	"structures_finess":              "finess: a structure with this FINESS already exists",
	"structures_siret":               "siret: a structure with this SIRET already exists",
	"professionals_rpps_key":         "rpps: a professional with this RPPS already exists",
	"memberships_active":             "this professional already holds this role in this structure",
	"structure_links_active":         "these structures are already linked this way",
	"territories_parent_id_code_key": "code: a territory with this code already exists under this parent",
	"territories_path_key":           "code: a territory with this code already exists under this parent",
}

func conflictMessage(constraint string) string {
	if m, ok := conflictMessages[constraint]; ok {
		return m
	}
	return "already exists"
}

func asPQ(err error, target **pq.Error) bool { return errors.As(err, target) }
