package postgres

import (
	"context"
	"database/sql"
	"sync"

	"github.com/jmoiron/sqlx"
)

// The directory's read paths run as prepared statements: a statement text is
// prepared once per connection (database/sql prepares a Stmt again on each
// connection it runs on) and PostgreSQL reuses its plan, instead of parsing
// and planning an unnamed statement on every call. Their SQL is composed for
// the filters actually given (see params), so the texts are few and each
// plan fits its filters.

// maxPrepared bounds the statements kept; past it a text runs unprepared.
const maxPrepared = 500

// preparedStatements caches the prepared statements of one pool by text.
type preparedStatements struct {
	mu    sync.RWMutex
	stmts map[string]*sqlx.Stmt
}

// prepared returns the prepared statement of query, preparing it on first
// use; nil (run it unprepared) once the cache is full.
func (db *store) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	c := &db.stmts
	c.mu.RLock()
	st, ok := c.stmts[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	if len(c.stmts) >= maxPrepared {
		return nil, nil
	}
	st, err := db.PreparexContext(background(ctx), query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[string]*sqlx.Stmt{}
	}
	c.stmts[query] = st
	return st, nil
}

// selectPrepared is SelectContext through the prepared statement of query.
func (db *store) selectPrepared(ctx context.Context, dest any, query string, args ...any) error {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return err
	}
	if st == nil {
		return db.SelectContext(ctx, dest, query, args...)
	}
	return st.SelectContext(ctx, dest, args...)
}

// queryPrepared is QueryContext through the prepared statement of query,
// for the hot reads that scan their rows themselves (see
// scanMembershipRows).
func (db *store) queryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// closePrepared closes the cached statements (on Close).
func (db *store) closePrepared() {
	c := &db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		st.Close()
	}
	c.stmts = nil
}
