package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// Audit is one access to patient-level data: the object, the operation, and
// the role or relation under which the caller was allowed (e.g.
// "rel:care_circle", "ess_secretariat") in which domain.
type Audit struct {
	ObjectKind string
	ObjectID   string
	Operation  string // "read", "create", "update", …
	Role       string
	Domain     string
}

// appendAudit writes an audit record in tx, for the caller in ctx and the
// request in ctx. The table is append-only (a trigger refuses UPDATE and
// DELETE) and no mutation writes it.
func appendAudit(ctx context.Context, tx sqlx.ExecerContext, a Audit) error {
	var account *string
	if id := maillage.IdentityFrom(ctx); !id.Anonymous() {
		account = &id.AccountID
	}
	const q = `INSERT INTO audit_log (account_id, role, domain, object_kind, object_id, operation, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	if _, err := tx.ExecContext(ctx, q, account, a.Role, a.Domain, a.ObjectKind, a.ObjectID, a.Operation, maillage.RequestID(ctx)); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}
