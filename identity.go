package maillage

import "context"

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

// Identity is who makes a request: an account, the professional it is (if
// any), and the roles it holds. The zero Identity is anonymous.
type Identity struct {
	AccountID      string
	Login          string
	ProfessionalID string
	Grants         []Grant
}

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
