package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// Audit is one access to patient-level data: the object, the operation and
// the domain. The role under which the caller acted is computed as
// appendAudits does, unless Role says it (an action on behalf of another,
// such as a redirection).
type Audit struct {
	ObjectKind string
	ObjectID   string
	Operation  string // "read", "create", "triage", …
	Domain     string
	Role       string // empty: the caller's relations, or roles on Domain
}

// appendAudit writes one audit record in tx, for the caller and the request
// in ctx. The table is append-only (a trigger refuses UPDATE and DELETE) and
// no mutation writes it.
func appendAudit(ctx context.Context, tx sqlx.ExecerContext, a Audit) error {
	return insertAudits(ctx, tx, a.ObjectKind, []string{a.ObjectID}, a.Operation, literalDomain(a.Domain), a.Role)
}

// appendAudits writes one audit record per object of ids, in one statement.
// Its domain is the SQL expression domainSQL over o.id (see literalDomain);
// its role says under what the caller acted: the relations they have with
// the object ("rel:requester"), else the roles they hold on its domain that
// a policy on the kind names for a read (an operation "read…") or for a
// change (any other) ("ess_secretariat@fr/28/76/@str_…"), joined by
// "+", from the same grants and policies the authorizer loads.
func appendAudits(ctx context.Context, q sqlx.ExecerContext, kind string, ids []string, operation, domainSQL string) error {
	return insertAudits(ctx, q, kind, ids, operation, domainSQL, "")
}

// insertAudits is appendAudits with the role given (role != "") instead of
// computed.
func insertAudits(ctx context.Context, q sqlx.ExecerContext, kind string, ids []string, operation, domainSQL, role string) error {
	if len(ids) == 0 {
		return nil
	}
	caller := maillage.IdentityFrom(ctx)
	var account *string
	if !caller.Anonymous() {
		account = &caller.AccountID
	}
	p := params{account, kind, operation, maillage.RequestID(ctx), pq.StringArray(ids)}
	roleExpr := quoteLiteral(role)
	if role == "" {
		c := callerOf(ctx, &p)
		parts := []string{"NULL"}
		for _, r := range relations[kind] {
			parts = append(parts, fmt.Sprintf("CASE WHEN %s THEN %s END", expand(r.predicate, "o.id", c), quoteLiteral("rel:"+r.name)))
		}
		grantedRoles := `(SELECT string_agg(DISTINCT g.role || '@' || g.domain, '+') FROM authz_account_grants(` + c.Acc() + `) g
			JOIN authz_policies p ON p.subject = g.role AND p.object = $2
				AND (p.action = '*' OR (($3::text LIKE 'read%') = (p.action = 'read')))
			WHERE within(o.domain, g.domain))`
		roleExpr = "COALESCE(NULLIF(concat_ws('+', " + strings.Join(parts, ", ") + "), ''), " + grantedRoles + ", 'unknown')"
	}
	query := `INSERT INTO audit_log (account_id, role, domain, object_kind, object_id, operation, request_id)
		SELECT $1, ` + roleExpr + `, o.domain, $2, o.id, $3, $4
		FROM (SELECT o.id, ` + domainSQL + ` AS domain FROM unnest($5::text[]) AS o(id)) o`
	if _, err := q.ExecContext(ctx, query, p...); err != nil {
		return fmt.Errorf("append audits: %w", err)
	}
	return nil
}

// literalDomain is the domainSQL of appendAudits for objects all in one domain.
func literalDomain(domain string) string { return quoteLiteral(domain) }
