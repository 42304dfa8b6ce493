package postgres

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// AuthzStore is where the authorizer reads the policy rules and a caller's
// grants. Its statements are the authorizer's cache fills, not a request's
// own work: Statements does not count them.
type AuthzStore struct {
	db *sqlx.DB

	mu     sync.Mutex
	grants *sqlx.Stmt // prepared once: every first decision runs it
}

var _ authz.Store = (*AuthzStore)(nil)

// NewAuthzStore reads from db.
func NewAuthzStore(db *sqlx.DB) *AuthzStore { return &AuthzStore{db: db} }

// Policies returns every policy rule, in id order.
func (s *AuthzStore) Policies(ctx context.Context) ([]authz.Rule, error) {
	var rules []authz.Rule
	if err := s.db.SelectContext(background(ctx), &rules, `SELECT subject, object, action FROM authz_policies ORDER BY id`); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	return rules, nil
}

// AccountGrants returns an account's grants, as the authz_grants view
// derives them, in one prepared statement on indexes keyed by the account
// (authz_account_grants, migrations/00047_authz_account_grants.sql).
func (s *AuthzStore) AccountGrants(ctx context.Context, accountID string) ([]maillage.Grant, error) {
	ctx = background(ctx)
	stmt, err := s.grantsStatement(ctx)
	if err != nil {
		return nil, err
	}
	var grants []maillage.Grant
	if err := stmt.SelectContext(ctx, &grants, accountID); err != nil {
		return nil, fmt.Errorf("grants of %s: %w", accountID, err)
	}
	return grants, nil
}

// grantsStatement prepares the grants statement on first use (again if
// that failed).
func (s *AuthzStore) grantsStatement(ctx context.Context) (*sqlx.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grants == nil {
		const q = `SELECT role, domain FROM authz_account_grants($1) ORDER BY domain, role`
		stmt, err := s.db.PreparexContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("prepare grants statement: %w", err)
		}
		s.grants = stmt
	}
	return s.grants, nil
}
