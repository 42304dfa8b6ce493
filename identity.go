package maillage

import (
	"context"
	"time"
)

// Role names. A role is granted on a domain: a territory path such as
// "fr/28/76" or a structure's domain (its territory path + "/@" + its id).
// A grant on a domain holds in every domain below it.
const (
	RoleNationalAdmin   = "national_admin"
	RoleARSAgent        = "ars_agent"
	RoleCPTSCoordinator = "cpts_coordinator"
	RoleDACCoordinator  = "dac_coordinator"
	RoleESSSecretariat  = "ess_secretariat"
	RoleESSCaseManager  = "ess_case_manager"
	RoleESSSpecialist   = "ess_specialist"
	RoleProfessional    = "professional"
	RoleAuditor         = "auditor"
)

// Grant is one role held on one domain.
type Grant struct {
	Role   string `db:"role"`
	Domain string `db:"domain"`
}

// Identity is who makes a request: an account and the professional it is (if
// any). The roles it holds are the authorizer's to know. The zero Identity is
// anonymous.
type Identity struct {
	AccountID      string
	Login          string
	ProfessionalID string
	// TokenExpiry is when the token that proved this identity expires (zero
	// if none): a websocket subscription ends then.
	TokenExpiry time.Time
}

// ErrTokenExpired is the cause (context.Cause) of a websocket connection's
// context ended by the expiry of its token: a subscription that sees it
// ends with this error.
var ErrTokenExpired = &Error{Code: EUNAUTHENTICATED, Message: "token expired"}

// Anonymous reports whether no one is authenticated.
func (id Identity) Anonymous() bool { return id.AccountID == "" }

type identityKey struct{}

// WithIdentity returns a context carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity carried by ctx, anonymous if none.
func IdentityFrom(ctx context.Context) Identity {
	id, _ := ctx.Value(identityKey{}).(Identity)
	return id
}

type requestIDKey struct{}

// WithRequestID returns a context carrying the id of the request being served.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id of the request in ctx ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
