// Package authz decides who may do what in the hub. It is the only package
// that imports casbin: callers ask Can for one object and Scope for the SQL
// filter of a list, and never see a policy.
//
// The decision is deny unless a policy allows. Policies (p rules) live in the
// authz_policies table; grants (g rules) in the authz_grants view, which
// joins explicit role grants and the roles that memberships imply. Reload
// reads both again; the server calls it whenever PostgreSQL notifies a change.
package authz

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

//go:embed model.conf
var modelText string

// Object kinds that policies name.
const (
	KindDirectory = "directory" // territories, structures, professionals, memberships
	KindStats     = "stats"     // aggregates, never patient-level
	KindPolicy    = "policy"    // the authorization policies themselves
	KindStaff     = "staff"     // appointing members whose role carries rights
	KindAudit     = "audit"     // the audit trail
	KindPatient   = "patient"
	KindESCAP     = "escap"
	KindReferral  = "referral"
)

// Actions that policies name.
const (
	ActRead  = "read"
	ActWrite = "write"
)

// Subjects that are not accounts.
const (
	subjectPublic  = "public"
	relationPrefix = "rel:"
	accountPrefix  = "account:"
)

// NationalDomain is the root of every domain.
const NationalDomain = "fr"

// Object is what an action is asked on: its kind, its domain, and the
// relations the caller has with it (e.g. "care_circle"), computed by the
// service that loaded it.
type Object struct {
	Kind      string
	Domain    string
	Relations []string
}

// Scope is where an action on a kind is allowed, for filtering lists in SQL:
// everywhere (All), in and below Domains, or on objects with which the
// caller has one of Relations.
type Scope struct {
	All       bool
	Domains   []string
	Relations []string
}

// Empty reports whether the scope allows nothing.
func (s Scope) Empty() bool { return !s.All && len(s.Domains) == 0 && len(s.Relations) == 0 }

// decisions counts the decisions taken by this process (Allowed and Scope
// calls), for benchmarks and metrics.
var decisions atomic.Int64

// Decisions returns how many authorization decisions this process has taken.
func Decisions() int64 { return decisions.Load() }

// Authorizer answers Can and Scope from the policies in PostgreSQL.
type Authorizer struct {
	db       *sqlx.DB
	enforcer atomic.Pointer[snapshot]
}

// maxCached bounds the decisions a snapshot remembers.
const maxCached = 1 << 16

// snapshot is one loaded set of policies and grants, with the decisions
// taken on it: a decision is a pure function of the snapshot, so it is
// remembered until the next reload replaces the snapshot (a casbin
// evaluation costs tens of microseconds; a remembered one, a map lookup).
type snapshot struct {
	*casbin.Enforcer
	cache  sync.Map // "sub\x00dom\x00obj\x00act" -> bool
	cached atomic.Int64
}

// Enforce is casbin's decision, remembered.
func (s *snapshot) Enforce(sub, dom, obj, act string) (bool, error) {
	key := sub + "\x00" + dom + "\x00" + obj + "\x00" + act
	if ok, hit := s.cache.Load(key); hit {
		return ok.(bool), nil
	}
	ok, err := s.Enforcer.Enforce(sub, dom, obj, act)
	if err == nil && s.cached.Add(1) <= maxCached {
		s.cache.Store(key, ok)
	}
	return ok, err
}

// New loads the policies and grants from db.
func New(ctx context.Context, db *sqlx.DB) (*Authorizer, error) {
	a := &Authorizer{db: db}
	if err := a.Reload(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Reload reads policies and grants again and swaps them in at once: a
// decision sees either the old set or the new one, never half of each.
func (a *Authorizer) Reload(ctx context.Context) error {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return fmt.Errorf("authz model: %w", err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return fmt.Errorf("authz enforcer: %w", err)
	}
	e.AddNamedDomainMatchingFunc("g", "within", Within)
	if err := loadRules(ctx, a.db, e); err != nil {
		return err
	}
	// Compile the matcher now, not in the first request after the swap.
	if _, err := e.Enforce(subjectPublic, NationalDomain, KindDirectory, ActRead); err != nil {
		return fmt.Errorf("authz warm-up: %w", err)
	}
	a.enforcer.Store(&snapshot{Enforcer: e})
	return nil
}

// Within reports whether domain lies in or below pattern: "fr/28/76" is
// within "fr/28", "fr/280" is not.
func Within(domain, pattern string) bool {
	return domain == pattern || strings.HasPrefix(domain, pattern+"/")
}

func loadRules(ctx context.Context, db *sqlx.DB, e *casbin.Enforcer) error {
	var policies [][]string
	rows, err := db.QueryxContext(ctx, `SELECT subject, object, action FROM authz_policies ORDER BY id`)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s, o, act string
		if err := rows.Scan(&s, &o, &act); err != nil {
			return fmt.Errorf("load policies: %w", err)
		}
		policies = append(policies, []string{s, o, act})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	var grants []struct {
		Subject string `db:"subject"`
		Role    string `db:"role"`
		Domain  string `db:"domain"`
	}
	if err := db.SelectContext(ctx, &grants, `SELECT subject, role, domain FROM authz_grants`); err != nil {
		return fmt.Errorf("load grants: %w", err)
	}
	gs := make([][]string, len(grants))
	for i, g := range grants {
		gs[i] = []string{g.Subject, g.Role, g.Domain}
	}
	if len(policies) > 0 {
		if _, err := e.AddPolicies(policies); err != nil {
			return fmt.Errorf("add policies: %w", err)
		}
	}
	if len(gs) > 0 {
		if _, err := e.AddGroupingPolicies(gs); err != nil {
			return fmt.Errorf("add grants: %w", err)
		}
	}
	return nil
}

// Can returns nil if the caller in ctx may do action on obj, and a FORBIDDEN
// error otherwise. Services that must hide an object's existence turn that
// into NOT_FOUND.
func (a *Authorizer) Can(ctx context.Context, action string, obj Object) error {
	if a.Allowed(ctx, action, obj) {
		return nil
	}
	return maillage.Errorf(maillage.EFORBIDDEN, "not allowed to %s this %s", action, obj.Kind)
}

// Allowed reports whether the caller in ctx may do action on obj: as the
// public, as their account (by the roles granted on the object's domain or
// above), or through one of their relations with the object.
func (a *Authorizer) Allowed(ctx context.Context, action string, obj Object) bool {
	decisions.Add(1)
	e := a.enforcer.Load()
	for _, sub := range subjects(ctx, obj.Relations) {
		if ok, err := e.Enforce(sub, obj.Domain, obj.Kind, action); err == nil && ok {
			return true
		}
	}
	return false
}

// subjects lists who the caller acts as: the public, their account, and their
// relations with the object.
func subjects(ctx context.Context, relations []string) []string {
	subs := make([]string, 0, 2+len(relations))
	subs = append(subs, subjectPublic)
	if id := maillage.IdentityFrom(ctx); !id.Anonymous() {
		subs = append(subs, accountPrefix+id.AccountID)
	}
	for _, r := range relations {
		subs = append(subs, relationPrefix+r)
	}
	return subs
}

// Scope returns where the caller in ctx may do action on objects of kind,
// for a list's SQL filter. knownRelations are the relations the kind's
// service can test in SQL; Scope keeps those a policy allows.
func (a *Authorizer) Scope(ctx context.Context, action, kind string, knownRelations ...string) Scope {
	decisions.Add(1)
	e := a.enforcer.Load()
	var s Scope
	if ok, _ := e.Enforce(subjectPublic, NationalDomain, kind, action); ok {
		return Scope{All: true}
	}
	if id := maillage.IdentityFrom(ctx); !id.Anonymous() {
		sub := accountPrefix + id.AccountID
		grants, _ := e.GetFilteredNamedGroupingPolicy("g", 0, sub)
		for _, g := range grants {
			if ok, _ := e.Enforce(sub, g[2], kind, action); ok {
				if g[2] == NationalDomain {
					return Scope{All: true}
				}
				s.Domains = append(s.Domains, g[2])
			}
		}
	}
	s.Domains = outermost(s.Domains)
	for _, r := range knownRelations {
		if ok, _ := e.Enforce(relationPrefix+r, NationalDomain, kind, action); ok {
			s.Relations = append(s.Relations, r)
		}
	}
	return s
}

// outermost drops the domains that lie within another of the list: the SQL
// filter needs only the outermost ones.
func outermost(domains []string) []string {
	var out []string
	for i, d := range domains {
		covered := false
		for j, o := range domains {
			if i != j && Within(d, o) && (d != o || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, d)
		}
	}
	return out
}

// Grants returns the roles the account holds, by domain, as casbin sees them.
func (a *Authorizer) Grants(accountID string) []maillage.Grant {
	rules, _ := a.enforcer.Load().GetFilteredNamedGroupingPolicy("g", 0, accountPrefix+accountID)
	out := make([]maillage.Grant, len(rules))
	for i, g := range rules {
		out[i] = maillage.Grant{Role: g[1], Domain: g[2]}
	}
	return out
}
