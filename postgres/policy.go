package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

var _ maillage.PolicyService = (*PolicyService)(nil)

// canAdminister checks the "policy" permission nationally: only who may
// manage policies may see them.
func (db *PolicyService) canAdminister(ctx context.Context, action authz.Action) error {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to manage policies")
	}
	return db.Authz.Can(ctx, action, authz.Object{Kind: authz.KindPolicy, Domain: authz.NationalDomain})
}

// afterPolicyChange reloads this instance's policies at once (the others
// hear the notification a trigger sends): the caller sees their change in
// their next request.
func (db *PolicyService) afterPolicyChange(ctx context.Context) error {
	if err := db.Authz.ReloadPolicies(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("reload authz: %w", err)
	}
	return nil
}

// afterGrantChange makes this instance forget the account's grants at once
// (the others hear the notification a trigger sends).
func (db *PolicyService) afterGrantChange(accountID string) { db.Authz.Forget(accountID) }

// policyColumns give a policies row its id in the hub's form ("pol_12").
const policyColumns = `'pol_' || id AS id, subject, object, action, created_at`

// FindPolicies returns a page of policies in id order.
func (db *PolicyService) FindPolicies(ctx context.Context, page maillage.PageArgs) (*maillage.PolicyConnection, error) {
	if err := db.canAdminister(ctx, authz.ActRead); err != nil {
		return nil, err
	}
	after, err := idCursor(&page)
	if err != nil {
		return nil, err
	}
	const q = `SELECT ` + policyColumns + ` FROM authz_policies WHERE id > $1 ORDER BY authz_policies.id LIMIT $2`
	var rows []*maillage.Policy
	if err := db.SelectContext(ctx, &rows, q, after, page.First+1); err != nil {
		return nil, fmt.Errorf("find policies: %w", err)
	}
	edges, info := endPage(rows, page, func(p *maillage.Policy) []string { return []string{strings.TrimPrefix(p.ID, "pol_")} },
		func(c func() string, p *maillage.Policy) maillage.PolicyEdge {
			return maillage.PolicyEdge{Cursor: c(), Node: p}
		})
	conn := &maillage.PolicyConnection{Edges: edges, PageInfo: info}
	if err := db.GetContext(ctx, &conn.TotalCount, `SELECT count(*) FROM authz_policies`); err != nil {
		return nil, fmt.Errorf("count policies: %w", err)
	}
	return conn, nil
}

// idCursor checks page and returns the numeric key its cursor holds (0 for
// the first page).
func idCursor(page *maillage.PageArgs) (int64, error) {
	keys, err := startTypedPage(page, keyInt)
	if err != nil || keys[0] == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(keys[0], 10, 64)
	if err != nil {
		return 0, maillage.InvalidField("after", "not a cursor of this list: %q", page.After)
	}
	return n, nil
}

// known reports whether name is in the reference table, or already used in
// column of authz_policies (a name another area's migration introduced).
func known(ctx context.Context, q sqlx.QueryerContext, table, column, name string) (bool, error) {
	query := `SELECT EXISTS (SELECT 1 FROM ` + table + ` WHERE name = $1)
		OR EXISTS (SELECT 1 FROM authz_policies WHERE ` + column + ` = $2)`
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, query, name, name); err != nil {
		return false, fmt.Errorf("check %s: %w", table, err)
	}
	return ok, nil
}

// relationRegistered reports whether a service registered the relation for
// some kind.
func relationRegistered(name string) bool {
	for _, rels := range relations {
		for _, r := range rels {
			if r.name == name {
				return true
			}
		}
	}
	return false
}

// checkPolicy validates a policy's subject, object kind and action against
// the reference lists.
func checkPolicy(ctx context.Context, tx *sqlx.Tx, in maillage.PolicyInput) error {
	var ok bool
	var err error
	switch rel, isRel := strings.CutPrefix(in.Subject, "rel:"); {
	case in.Subject == "public":
		ok = true
	case isRel:
		// A relation some service can test (postgres/relations.go): any
		// other would never match.
		ok = relationRegistered(rel)
	default:
		err = tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM authz_roles WHERE name = $1)`, in.Subject)
	}
	if err != nil {
		return err
	}
	if !ok {
		return maillage.InvalidField("input.subject", "unknown subject %q: a role, \"public\", or \"rel:\" and a known relation", in.Subject)
	}
	if ok, err = known(ctx, tx, "authz_kinds", "object", in.Object); err != nil {
		return err
	} else if !ok {
		return maillage.InvalidField("input.object", "unknown object kind %q", in.Object)
	}
	if ok, err = known(ctx, tx, "authz_actions", "action", in.Action); err != nil {
		return err
	} else if !ok {
		return maillage.InvalidField("input.action", "unknown action %q", in.Action)
	}
	return checkPolicyReach(ctx, tx, in)
}

// adminKinds are the kinds that only roles may be given: who manages
// policies, appoints staff or reads the audit trail is never "anyone" nor
// "whoever has a relation with something".
var adminKinds = map[string]bool{authz.KindPolicy: true, authz.KindStaff: true, authz.KindAudit: true}

// checkPolicyReach refuses a rule that would open what the design keeps
// closed: an administrative kind to the public or a relation, patient-level
// data to the public, to a role without patient access (an ARS agent, a
// coordinator, an admin), or to any role for anything but creating (reads
// and writes go through relations only; see authz.PatientLevel).
func checkPolicyReach(ctx context.Context, tx *sqlx.Tx, in maillage.PolicyInput) error {
	isRole := in.Subject != "public" && !strings.HasPrefix(in.Subject, "rel:")
	if adminKinds[in.Object] && !isRole {
		return maillage.InvalidField("input.subject", "only a role may be given %q", in.Object)
	}
	var patientLevel bool
	if err := tx.GetContext(ctx, &patientLevel, `SELECT COALESCE((SELECT patient_level FROM authz_kinds WHERE name = $1), false)`, in.Object); err != nil {
		return err
	}
	if !patientLevel || !isRole && in.Subject != "public" {
		return nil
	}
	if isRole && in.Action != string(authz.ActCreate) {
		return maillage.InvalidField("input.subject", "patient-level data (%s) is reached only through a relation: give %q to a \"rel:\" subject, not to the role %q",
			in.Object, in.Action, in.Subject)
	}
	var access bool
	if err := tx.GetContext(ctx, &access, `SELECT COALESCE((SELECT patient_access FROM authz_roles WHERE name = $1), false)`, in.Subject); err != nil {
		return err
	}
	if !access {
		return maillage.InvalidField("input.subject", "%q may not be given patient-level data (%s)", in.Subject, in.Object)
	}
	return nil
}

// policyAdminRemains reports whether someone still holds, nationally, a role
// that a policy lets manage policies: no change may leave the hub without.
func policyAdminRemains(ctx context.Context, tx *sqlx.Tx) error {
	var left bool
	// Only these accounts can hold a grant on "fr": those granted a role
	// there, any one professional account (all hold "professional" there),
	// and the members of structures placed on the nation itself. Asking
	// their grants alone keeps the check's cost off the directory's size.
	const q = `SELECT EXISTS (SELECT 1 FROM (
			SELECT g.account_id AS id FROM role_grants g WHERE g.domain = 'fr' AND g.revoked_at IS NULL
			UNION (SELECT id FROM accounts WHERE professional_id IS NOT NULL AND disabled_at IS NULL LIMIT 1)
			UNION SELECT a.id FROM territories t JOIN structures s ON s.territory_id = t.id
				JOIN memberships m ON m.structure_id = s.id AND m.ended_at IS NULL
				JOIN accounts a ON a.professional_id = m.professional_id
			 WHERE t.path = 'fr') c
		CROSS JOIN LATERAL authz_account_grants(c.id) g JOIN authz_policies p ON p.subject = g.role
		WHERE g.domain = 'fr' AND p.object = 'policy' AND p.action IN ('write', '*'))`
	if err := tx.GetContext(ctx, &left, q); err != nil {
		return err
	}
	if !left {
		return maillage.Errorf(maillage.ECONFLICT, "nobody would be left to manage policies nationally")
	}
	return nil
}

// AddPolicy validates and adds a policy.
func (db *PolicyService) AddPolicy(ctx context.Context, in maillage.PolicyInput) (*maillage.Policy, error) {
	in.Subject, in.Object, in.Action = strings.TrimSpace(in.Subject), strings.TrimSpace(in.Object), strings.TrimSpace(in.Action)
	if err := db.canAdminister(ctx, authz.ActWrite); err != nil {
		return nil, err
	}
	var p maillage.Policy
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := checkPolicy(ctx, tx, in); err != nil {
			return err
		}
		const q = `INSERT INTO authz_policies (subject, object, action) VALUES ($1, $2, $3) RETURNING ` + policyColumns
		if err := tx.GetContext(ctx, &p, q, in.Subject, in.Object, in.Action); err != nil {
			return mapError(err)
		}
		return policyChanged(ctx, tx, maillage.EventPolicyAdded, p.ID, authz.NationalDomain, p)
	})
	if err != nil {
		return nil, fmt.Errorf("add policy: %w", err)
	}
	return &p, db.afterPolicyChange(ctx)
}

// policyChanged appends the event of a policy or grant change, in tx; a
// trigger notifies every instance.
func policyChanged(ctx context.Context, tx *sqlx.Tx, typ, subjectID, domain string, payload any) error {
	return appendEvent(ctx, tx, Event{Topic: maillage.TopicAuthz, Type: typ, SubjectID: subjectID, Domain: domain, Payload: payload})
}

// RemovePolicy removes a policy, unless it is the last one letting anyone
// manage policies.
func (db *PolicyService) RemovePolicy(ctx context.Context, id string) (*maillage.Policy, error) {
	if err := db.canAdminister(ctx, authz.ActWrite); err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "pol_"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "pol_") {
		return nil, maillage.NotFound("policy")
	}
	var p maillage.Policy
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		// Serialise policy removals: the lock-out check below must see the others.
		if _, err := tx.ExecContext(ctx, `LOCK TABLE authz_policies IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &p, `DELETE FROM authz_policies WHERE id = $1 RETURNING `+policyColumns, n); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.NotFound("policy")
			}
			return err
		}
		if err := policyAdminRemains(ctx, tx); err != nil {
			return err
		}
		return policyChanged(ctx, tx, maillage.EventPolicyRemoved, p.ID, authz.NationalDomain, p)
	})
	if err != nil {
		return nil, fmt.Errorf("remove policy: %w", err)
	}
	return &p, db.afterPolicyChange(ctx)
}

const roleGrantSelect = `SELECT g.id, g.account_id, a.login, g.role, g.domain, g.created_at, g.revoked_at
	FROM role_grants g JOIN accounts a ON a.id = g.account_id`

// roleGrantFilter: $1 login, $2 role, $3 include revoked.
const roleGrantFilter = `($1::text IS NULL OR a.login = $1) AND ($2::text IS NULL OR g.role = $2)
	AND ($3 OR g.revoked_at IS NULL)`

// FindRoleGrants returns a page of explicit grants in id order.
func (db *PolicyService) FindRoleGrants(ctx context.Context, f maillage.RoleGrantFilter, page maillage.PageArgs) (*maillage.RoleGrantConnection, error) {
	if err := db.canAdminister(ctx, authz.ActRead); err != nil {
		return nil, err
	}
	after, err := startPage(&page, 1)
	if err != nil {
		return nil, err
	}
	q := roleGrantSelect + ` WHERE ` + roleGrantFilter + ` AND g.id > $4 ORDER BY g.id LIMIT $5`
	var rows []*maillage.RoleGrant
	if err := db.SelectContext(ctx, &rows, q, f.Login, f.Role, f.IncludeRevoked, after[0], page.First+1); err != nil {
		return nil, fmt.Errorf("find role grants: %w", err)
	}
	edges, info := endPage(rows, page, func(g *maillage.RoleGrant) []string { return []string{g.ID} },
		func(c func() string, g *maillage.RoleGrant) maillage.RoleGrantEdge {
			return maillage.RoleGrantEdge{Cursor: c(), Node: g}
		})
	conn := &maillage.RoleGrantConnection{Edges: edges, PageInfo: info}
	count := `SELECT count(*) FROM role_grants g JOIN accounts a ON a.id = g.account_id WHERE ` + roleGrantFilter
	if err := db.GetContext(ctx, &conn.TotalCount, count, f.Login, f.Role, f.IncludeRevoked); err != nil {
		return nil, fmt.Errorf("count role grants: %w", err)
	}
	return conn, nil
}

// structureDomain is a structure's domain: its territory path, "/@", its id.
var structureDomain = regexp.MustCompile(`^(.+)/@([a-z]+_[0-9a-f]+)$`)

// checkDomain returns nil if domain is an existing territory's path, or the
// domain of an existing structure, and BAD_USER_INPUT naming field otherwise.
func checkDomain(ctx context.Context, q sqlx.QueryerContext, field, domain string) error {
	var ok bool
	var err error
	if m := structureDomain.FindStringSubmatch(domain); m != nil {
		const q1 = `SELECT EXISTS (SELECT 1 FROM structures s JOIN territories t ON t.id = s.territory_id
			WHERE s.id = $1 AND t.path = $2)`
		err = sqlx.GetContext(ctx, q, &ok, q1, m[2], m[1])
	} else {
		err = sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM territories WHERE path = $1)`, domain)
	}
	if err != nil {
		return fmt.Errorf("check domain: %w", err)
	}
	if !ok {
		return maillage.InvalidField(field, "%q is neither a territory path (e.g. fr/28/76) nor a structure's domain (its territory path + /@ + its id)", domain)
	}
	return nil
}

// GrantRole validates and grants a role.
func (db *PolicyService) GrantRole(ctx context.Context, in maillage.RoleGrantInput) (*maillage.RoleGrant, error) {
	if err := db.canAdminister(ctx, authz.ActWrite); err != nil {
		return nil, err
	}
	var g maillage.RoleGrant
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var accountID string
		if err := tx.GetContext(ctx, &accountID, `SELECT id FROM accounts WHERE login = $1`, in.Login); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.InvalidField("input.login", "no account with login %q", in.Login)
			}
			return err
		}
		if accountID == maillage.IdentityFrom(ctx).AccountID {
			return maillage.Errorf(maillage.EFORBIDDEN, "input.login: nobody grants themselves a role")
		}
		var role struct {
			Known         bool `db:"known"`
			PatientAccess bool `db:"patient_access"`
		}
		const qRole = `SELECT count(*) > 0 AS known, COALESCE(bool_or(patient_access), false) AS patient_access FROM authz_roles WHERE name = $1`
		if err := tx.GetContext(ctx, &role, qRole, in.Role); err != nil {
			return err
		}
		if !role.Known {
			return maillage.InvalidField("input.role", "unknown role %q", in.Role)
		}
		if role.PatientAccess {
			return maillage.InvalidField("input.role", "%q carries patient access: it comes only from a membership appointed by someone else (addMembership), never from a grant", in.Role)
		}
		if err := checkDomain(ctx, tx, "input.domain", in.Domain); err != nil {
			return err
		}
		const q = `WITH g AS (INSERT INTO role_grants (account_id, role, domain) VALUES ($1, $2, $3)
			RETURNING id, account_id, role, domain, created_at, revoked_at)
			SELECT g.*, a.login FROM g JOIN accounts a ON a.id = g.account_id`
		if err := tx.GetContext(ctx, &g, q, accountID, in.Role, in.Domain); err != nil {
			return mapError(err)
		}
		return policyChanged(ctx, tx, maillage.EventRoleGranted, g.ID, g.Domain, g)
	})
	if err != nil {
		return nil, fmt.Errorf("grant role: %w", err)
	}
	db.afterGrantChange(g.AccountID)
	return &g, nil
}

// RevokeRole revokes an explicit grant, unless it is the last national
// admin's.
func (db *PolicyService) RevokeRole(ctx context.Context, id string) (*maillage.RoleGrant, error) {
	if err := db.canAdminister(ctx, authz.ActWrite); err != nil {
		return nil, err
	}
	var g maillage.RoleGrant
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE role_grants IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &g, roleGrantSelect+` WHERE g.id = $1`, id); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.NotFound("role grant")
			}
			return err
		}
		if g.RevokedAt != nil {
			return maillage.Errorf(maillage.ECONFLICT, "this grant is already revoked")
		}
		if err := tx.GetContext(ctx, &g.RevokedAt, `UPDATE role_grants SET revoked_at = now() WHERE id = $1 RETURNING revoked_at`, id); err != nil {
			return err
		}
		if err := policyAdminRemains(ctx, tx); err != nil {
			return err
		}
		return policyChanged(ctx, tx, maillage.EventRoleRevoked, g.ID, g.Domain, g)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke role: %w", err)
	}
	db.afterGrantChange(g.AccountID)
	return &g, nil
}
