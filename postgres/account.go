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
