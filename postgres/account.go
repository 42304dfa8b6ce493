package postgres

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

var _ maillage.AccountService = (*AccountService)(nil)

// FindAccountByLogin returns the account with that login.
func (db *AccountService) FindAccountByLogin(ctx context.Context, login string) (*maillage.Account, error) {
	var a maillage.Account
	const q = `SELECT id, login, display_name, professional_id, disabled_at FROM accounts WHERE login = $1`
	if err := db.GetContext(ctx, &a, q, login); err != nil {
		if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
			return nil, maillage.NotFound("account")
		}
		return nil, fmt.Errorf("find account: %w", err)
	}
	return &a, nil
}

// DevSigningKey returns the development issuer's signing key and its id,
// creating it on first use; every instance and "maillage token" share it.
func (db *AccountService) DevSigningKey(ctx context.Context) (*ecdsa.PrivateKey, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, "", err
	}
	kid := make([]byte, 8)
	rand.Read(kid)
	// Insert ours unless one exists; either way read back the one that won.
	const insert = `INSERT INTO dev_signing_keys (id, private_pem)
		SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM dev_signing_keys) ON CONFLICT DO NOTHING`
	if _, err := db.ExecContext(ctx, insert, hex.EncodeToString(kid), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))); err != nil {
		return nil, "", fmt.Errorf("dev signing key: %w", err)
	}
	var row struct {
		ID  string `db:"id"`
		PEM string `db:"private_pem"`
	}
	if err := db.GetContext(ctx, &row, `SELECT id, private_pem FROM dev_signing_keys ORDER BY created_at, id LIMIT 1`); err != nil {
		return nil, "", fmt.Errorf("dev signing key: %w", err)
	}
	block, _ := pem.Decode([]byte(row.PEM))
	if block == nil {
		return nil, "", fmt.Errorf("dev signing key: not PEM")
	}
	stored, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		return nil, "", fmt.Errorf("dev signing key: %w", err)
	}
	return stored, row.ID, nil
}

// DevAccount is an account as the development sign-in page lists it: who it
// is and where it works.
type DevAccount struct {
	Login       string `db:"login" json:"login"`
	DisplayName string `db:"display_name" json:"displayName"`
	// Roles lists "ROLE — structure" for a professional's current
	// memberships, or the staff roles granted ("ROLE — domain").
	Roles pq.StringArray `db:"roles" json:"roles"`
}

// DevAccounts lists up to limit enabled accounts whose login or name
// contains search (case-insensitive), by login: for the development
// issuer's sign-in page only.
func (db *AccountService) DevAccounts(ctx context.Context, search string, limit int) ([]DevAccount, error) {
	const q = `SELECT a.login, a.display_name,
		coalesce((SELECT array_agg(m.role || ' — ' || s.name ORDER BY m.started_at, m.id)
			FROM memberships m JOIN structures s ON s.id = m.structure_id
			WHERE m.professional_id = a.professional_id AND m.ended_at IS NULL), '{}') ||
		coalesce((SELECT array_agg(g.role || ' — ' || g.domain ORDER BY g.created_at, g.id)
			FROM role_grants g WHERE g.account_id = a.id AND g.revoked_at IS NULL), '{}') AS roles
		FROM accounts a
		WHERE a.disabled_at IS NULL AND ($1 = '' OR a.login ILIKE '%' || $1 || '%' OR a.display_name ILIKE '%' || $1 || '%')
		ORDER BY a.login LIMIT $2`
	out := []DevAccount{}
	if err := db.SelectContext(ctx, &out, q, search, limit); err != nil {
		return nil, fmt.Errorf("dev accounts: %w", err)
	}
	return out, nil
}
