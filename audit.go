package maillage

import (
	"context"
	"time"
)

// AuditRecord is one read or write of patient-level data: who (account),
// under which role or relation and in which domain, on what object, which
// operation, when, and from which request. Records are never changed.
type AuditRecord struct {
	ID         string    `db:"id"`
	AccountID  *string   `db:"account_id"`
	Login      *string   `db:"login"`
	Role       string    `db:"role"`
	Domain     string    `db:"domain"`
	ObjectKind string    `db:"object_kind"`
	ObjectID   string    `db:"object_id"`
	Operation  string    `db:"operation"`
	RequestID  string    `db:"request_id"`
	CreatedAt  time.Time `db:"created_at"`
}

// AuditFilter selects audit records; nil fields are not set.
type AuditFilter struct {
	AccountID  *string
	ObjectKind *string
	ObjectID   *string
	Operation  *string
	RequestID  *string
	Since      *time.Time
	Until      *time.Time
}

// AuditEdge is an audit record and its cursor.
type AuditEdge struct {
	Cursor string
	Node   *AuditRecord
}

// AuditConnection is one page of audit records, newest first.
type AuditConnection struct {
	Edges      []AuditEdge
	PageInfo   PageInfo
	TotalCount int
}

// AuditService reads the audit trail; nothing writes it but the services
// that touch patient data, and nothing changes or deletes it.
type AuditService interface {
	// FindAuditRecords returns a page of the records the caller (an auditor)
	// may read, newest first. UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT
	// (first, after).
	FindAuditRecords(ctx context.Context, f AuditFilter, page PageArgs) (*AuditConnection, error)
}
