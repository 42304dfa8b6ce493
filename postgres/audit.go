package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

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

// appendAudits writes one audit record per object of ids, in one statement;
// the role of each is the relations the caller has with it (joined by "+"),
// and its domain the SQL expression domainSQL over o.id (see literalDomain).
func appendAudits(ctx context.Context, q sqlx.ExecerContext, kind string, ids []string, operation, domainSQL string) error {
	if len(ids) == 0 {
		return nil
	}
	caller := maillage.IdentityFrom(ctx)
	var account *string
	if !caller.Anonymous() {
		account = &caller.AccountID
	}
	roleExpr := "'role'"
	if rels := relations[kind]; len(rels) > 0 {
		parts := make([]string, len(rels))
		for i, r := range rels {
			parts[i] = fmt.Sprintf("CASE WHEN %s THEN %s END", expand(r.predicate, "o.id", 5, 6), quoteLiteral("rel:"+r.name))
		}
		roleExpr = "COALESCE(NULLIF(concat_ws('+', " + strings.Join(parts, ", ") + "), ''), 'role')"
	}
	query := `INSERT INTO audit_log (account_id, role, domain, object_kind, object_id, operation, request_id)
		SELECT $1, ` + roleExpr + `, ` + domainSQL + `, $2, o.id, $3, $4
		FROM unnest($7::text[]) AS o(id) WHERE ` + callerTyped(5, 6)
	if _, err := q.ExecContext(ctx, query, account, kind, operation, maillage.RequestID(ctx),
		caller.ProfessionalID, caller.AccountID, pq.StringArray(ids)); err != nil {
		return fmt.Errorf("append audits: %w", err)
	}
	return nil
}

// literalDomain is the domainSQL of appendAudits for objects all in one domain.
func literalDomain(domain string) string { return quoteLiteral(domain) }
