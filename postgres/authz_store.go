package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// AuthzStore is where the authorizer reads the policy rules and a caller's
// grants. Its statements are the authorizer's cache fills, not a request's
// own work: Statements does not count them.
type AuthzStore struct{ DB *sqlx.DB }

var _ authz.Store = AuthzStore{}

// Policies returns every policy rule, in id order.
func (s AuthzStore) Policies(ctx context.Context) ([]authz.Rule, error) {
	var rules []authz.Rule
	if err := s.DB.SelectContext(background(ctx), &rules, `SELECT subject, object, action FROM authz_policies ORDER BY id`); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	return rules, nil
}

// AccountGrants returns an account's grants, as the authz_grants view
// derives them, in one statement on indexes keyed by the account
// (authz_account_grants, migrations/00047_authz_account_grants.sql).
func (s AuthzStore) AccountGrants(ctx context.Context, accountID string) ([]maillage.Grant, error) {
	var grants []maillage.Grant
	const q = `SELECT role, domain FROM authz_account_grants($1) ORDER BY domain, role`
	if err := s.DB.SelectContext(background(ctx), &grants, q, accountID); err != nil {
		return nil, fmt.Errorf("grants of %s: %w", accountID, err)
	}
	return grants, nil
}
