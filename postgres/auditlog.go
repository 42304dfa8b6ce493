package postgres

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

var _ maillage.AuditService = (*AuditService)(nil)

// auditWhere filters audit_log r: $1 all, $2 domains (the caller's audit
// scope), $3 account, $4 object kind, $5 object id, $6 operation, $7
// request, $8 since, $9 until.
const auditWhere = ` WHERE ($1 OR EXISTS (SELECT 1 FROM unnest($2::text[]) d WHERE within(r.domain, d)))
	AND ($3::text IS NULL OR r.account_id = $3) AND ($4::text IS NULL OR r.object_kind = $4)
	AND ($5::text IS NULL OR r.object_id = $5) AND ($6::text IS NULL OR r.operation = $6)
	AND ($7::text IS NULL OR r.request_id = $7)
	AND ($8::timestamptz IS NULL OR r.created_at >= $8) AND ($9::timestamptz IS NULL OR r.created_at < $9)`

// FindAuditRecords returns a page of the audit records in the caller's
// audit scope, newest first.
func (db *AuditService) FindAuditRecords(ctx context.Context, f maillage.AuditFilter, page maillage.PageArgs) (*maillage.AuditConnection, error) {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to read the audit trail")
	}
	scope, err := db.Authz.Scope(ctx, authz.ActRead, authz.KindAudit)
	if err != nil {
		return nil, fmt.Errorf("audit read scope: %w", err)
	}
	if scope.Empty() {
		return nil, maillage.Errorf(maillage.EFORBIDDEN, "not allowed to read the audit trail")
	}
	keys, err := startPage(&page, 1)
	if err != nil {
		return nil, err
	}
	before := int64(math.MaxInt64)
	if keys[0] != "" {
		if before, err = strconv.ParseInt(keys[0], 10, 64); err != nil {
			return nil, maillage.InvalidField("after", "not a cursor of this list: %q", page.After)
		}
	}
	all, domains := scopeArgs(scope)
	args := []any{all, domains, f.AccountID, f.ObjectKind, f.ObjectID, f.Operation, f.RequestID, f.Since, f.Until}
	q := `SELECT 'aud_' || r.id AS id, r.account_id, a.login, r.role, r.domain, r.object_kind, r.object_id, r.operation,
		r.request_id, r.created_at FROM audit_log r LEFT JOIN accounts a ON a.id = r.account_id` + auditWhere +
		` AND r.id < $10 ORDER BY r.id DESC LIMIT $11`
	var rows []*maillage.AuditRecord
	if err := db.SelectContext(ctx, &rows, q, append(args, before, page.First+1)...); err != nil {
		return nil, fmt.Errorf("find audit records: %w", err)
	}
	edges, info := endPage(rows, page, func(r *maillage.AuditRecord) []string { return []string{strings.TrimPrefix(r.ID, "aud_")} },
		func(c func() string, r *maillage.AuditRecord) maillage.AuditEdge {
			return maillage.AuditEdge{Cursor: c(), Node: r}
		})
	conn := &maillage.AuditConnection{Edges: edges, PageInfo: info}
	if err := db.GetContext(ctx, &conn.TotalCount, `SELECT count(*) FROM audit_log r`+auditWhere, args...); err != nil {
		return nil, fmt.Errorf("count audit records: %w", err)
	}
	return conn, nil
}
