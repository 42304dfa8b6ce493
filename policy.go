package maillage

import (
	"context"
	"time"
)

// Policy is one rule of the authorizer: Subject (a role, "public", or
// "rel:<relation>") may do Action ("read", "write", or "*") on objects of
// kind Object. Anything no policy allows is denied.
type Policy struct {
	ID        string    `db:"id"`
	Subject   string    `db:"subject"`
	Object    string    `db:"object"`
	Action    string    `db:"action"`
	CreatedAt time.Time `db:"created_at"`
}

// PolicyInput adds a policy.
type PolicyInput struct {
	Subject string
	Object  string
	Action  string
}

// PolicyEdge is a policy and its cursor.
type PolicyEdge struct {
	Cursor string
	Node   *Policy
}

// PolicyConnection is one page of policies.
type PolicyConnection struct {
	Edges      []PolicyEdge
	PageInfo   PageInfo
	TotalCount int
}

// RoleGrant is a role granted explicitly to an account on a domain (a
// territory path, or a structure's domain). Roles implied by memberships are
// not RoleGrants: they come and go with the memberships.
type RoleGrant struct {
	ID        string     `db:"id"`
	AccountID string     `db:"account_id"`
	Login     string     `db:"login"`
	Role      string     `db:"role"`
	Domain    string     `db:"domain"`
	CreatedAt time.Time  `db:"created_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}

// RoleGrantInput grants a role to the account with Login on Domain.
type RoleGrantInput struct {
	Login  string
	Role   string
	Domain string
}

// RoleGrantFilter selects role grants; nil fields are not set.
type RoleGrantFilter struct {
	Login          *string
	Role           *string
	IncludeRevoked bool
}

// RoleGrantEdge is a role grant and its cursor.
type RoleGrantEdge struct {
	Cursor string
	Node   *RoleGrant
}

// RoleGrantConnection is one page of role grants.
type RoleGrantConnection struct {
	Edges      []RoleGrantEdge
	PageInfo   PageInfo
	TotalCount int
}

// PolicyService manages the authorization policies and the explicit role
// grants. Every method takes the "policy" permission nationally (a national
// admin); every change is one transaction with its event, and every hub
// instance reloads its authorizer within a second of the commit.
type PolicyService interface {
	// FindPolicies returns a page of policies in id order.
	// UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT (first, after).
	FindPolicies(ctx context.Context, page PageArgs) (*PolicyConnection, error)
	// AddPolicy adds a rule. UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT
	// (input.subject, input.object, input.action), CONFLICT (already there).
	AddPolicy(ctx context.Context, in PolicyInput) (*Policy, error)
	// RemovePolicy removes a rule. UNAUTHENTICATED, FORBIDDEN, NOT_FOUND,
	// CONFLICT (the last rule letting anyone administer policies).
	RemovePolicy(ctx context.Context, id string) (*Policy, error)
	// FindRoleGrants returns a page of explicit role grants in id order.
	// UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT (first, after).
	FindRoleGrants(ctx context.Context, f RoleGrantFilter, page PageArgs) (*RoleGrantConnection, error)
	// GrantRole grants a role. UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT
	// (input.login, input.role, input.domain), CONFLICT (already granted).
	GrantRole(ctx context.Context, in RoleGrantInput) (*RoleGrant, error)
	// RevokeRole revokes a grant. UNAUTHENTICATED, FORBIDDEN, NOT_FOUND,
	// CONFLICT (already revoked, or the last national admin).
	RevokeRole(ctx context.Context, id string) (*RoleGrant, error)
}
