// Package authz decides who may do what in the hub. It is the only package
// that imports casbin: callers ask Can for one object and Scope for the SQL
// filter of a list, and never see a policy.
//
// The decision is deny unless a policy allows. It has two halves:
//
//   - Which roles the caller holds, and where (the g half). A caller's
//     grants — explicit role grants and the roles their memberships imply,
//     each on a domain — are read from the Store when the caller is first
//     seen, in one indexed statement, and kept in a bounded LRU cache
//     (hashicorp/golang-lru). A grant holds in its domain and every domain
//     below it (Within); the authorizer evaluates this itself, over the
//     caller's few grants.
//   - What a role may do (the p half): the "role × kind × action" rules,
//     a few dozen rows in authz_policies, evaluated by casbin. Every
//     decision casbin takes is remembered with the rule set it was taken on.
//
// Why not casbin's g rules or a casbin RoleManager: casbin's domain role
// manager keeps every link of every account in memory and copies the links
// into a role manager per domain it is asked about, so its memory and load
// time grow with accounts × domains (a national directory has 200,000+
// accounts). A custom RoleManager would have to do database reads inside
// casbin's HasLink, which takes no context and cannot return an error.
// Evaluating g here keeps casbin a pure function of the small policy set,
// and lets a failed read be an error instead of a silent deny.
//
// The cache is invalidated precisely: PostgreSQL triggers notify the
// accounts whose grants changed, and Apply forgets just those; a change of
// policies reloads the policy set. While the notification channel is down,
// nothing is cached (Suspend), and on its return every caller is forgotten,
// so a missed notification never keeps a revoked grant alive.
package authz

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	lru "github.com/hashicorp/golang-lru/v2"

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
	KindSettings  = "settings" // the rules' configuration (ESCAP situations, grids, thresholds)
)

// Action is what a caller asks to do on an object; policies name the same
// actions (the authz_actions table), or "*" for any.
type Action string

// Actions that policies name.
const (
	ActRead   Action = "read"   // see
	ActCreate Action = "create" // create
	ActWrite  Action = "write"  // change, archive
	ActAny    Action = "*"      // in a policy only: any action
)

// Subjects that are not roles.
const (
	subjectPublic  = "public"
	relationPrefix = "rel:"
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

// Rule is one policy (p rule): Subject (a role, "public" or "rel:<name>")
// may do Action on objects of kind Object.
type Rule struct {
	Subject string `db:"subject"`
	Object  string `db:"object"`
	Action  string `db:"action"`
}

// Store is where the authorizer reads what it decides on.
type Store interface {
	// Policies returns every policy rule.
	Policies(ctx context.Context) ([]Rule, error)
	// AccountGrants returns the roles an account holds and their domains,
	// in one statement; none for an unknown or disabled account.
	AccountGrants(ctx context.Context, accountID string) ([]maillage.Grant, error)
}

// DefaultCacheSize is how many callers' grants an authorizer keeps by
// default (a few hundred bytes each).
const DefaultCacheSize = 100_000

// decisions counts the decisions taken by this process (Allowed and Scope
// calls), for benchmarks and metrics.
var decisions atomic.Int64

// Decisions returns how many authorization decisions this process has taken.
func Decisions() int64 { return decisions.Load() }

// Authorizer answers Can and Scope from the policies and the callers'
// grants in its Store.
type Authorizer struct {
	store    Store
	policies atomic.Pointer[policySet]
	callers  *lru.Cache[string, []maillage.Grant]

	// mu orders storing a loaded caller against forgetting: a load that
	// began before an invalidation (epoch moved) is used once, not kept.
	mu      sync.Mutex
	epoch   uint64
	offline bool // notifications may be missed: keep nothing
}

// Option configures an Authorizer.
type Option func(*Authorizer) error

// WithCacheSize bounds how many callers' grants are kept (the least recently
// used go first); 0 keeps DefaultCacheSize.
func WithCacheSize(n int) Option {
	return func(a *Authorizer) error {
		if n <= 0 {
			n = DefaultCacheSize
		}
		c, err := lru.New[string, []maillage.Grant](n)
		a.callers = c
		return err
	}
}

// New loads the policies from store; callers' grants are read when needed.
func New(ctx context.Context, store Store, opts ...Option) (*Authorizer, error) {
	a := &Authorizer{store: store}
	for _, opt := range append([]Option{WithCacheSize(0)}, opts...) {
		if err := opt(a); err != nil {
			return nil, fmt.Errorf("authz: %w", err)
		}
	}
	if err := a.ReloadPolicies(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// ReloadPolicies reads the policy rules again and swaps them in at once: a
// decision sees either the old set or the new one, never half of each.
func (a *Authorizer) ReloadPolicies(ctx context.Context) error {
	rules, err := a.store.Policies(ctx)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	ps, err := newPolicySet(rules)
	if err != nil {
		return err
	}
	a.policies.Store(ps)
	return nil
}

// Reload reads the policies again and forgets every caller's grants.
func (a *Authorizer) Reload(ctx context.Context) error {
	a.ForgetAll()
	return a.ReloadPolicies(ctx)
}

// Forget drops the cached grants of these accounts: their next decision
// reads them again.
func (a *Authorizer) Forget(accountIDs ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.epoch++
	for _, id := range accountIDs {
		a.callers.Remove(id)
	}
}

// ForgetAll drops every caller's cached grants.
func (a *Authorizer) ForgetAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.epoch++
	a.callers.Purge()
}

// Suspend forgets every caller and keeps nothing until Resume: for while
// the change notifications may be missed.
func (a *Authorizer) Suspend() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.epoch++
	a.offline = true
	a.callers.Purge()
}

// Resume forgets every caller (changes may have been missed), reloads the
// policies and caches again.
func (a *Authorizer) Resume(ctx context.Context) error {
	a.mu.Lock()
	a.epoch++
	a.offline = false
	a.callers.Purge()
	a.mu.Unlock()
	return a.ReloadPolicies(ctx)
}

// Change is what a change notification says changed.
type Change struct {
	Policies bool     // the policy rules
	Accounts []string // these accounts' grants
	All      bool     // anything: forget every caller and reload the policies
}

// Apply brings the authorizer up to date with a change.
func (a *Authorizer) Apply(ctx context.Context, c Change) error {
	if c.All {
		return a.Reload(ctx)
	}
	if len(c.Accounts) > 0 {
		a.Forget(c.Accounts...)
	}
	if c.Policies {
		return a.ReloadPolicies(ctx)
	}
	return nil
}

// SetCacheSize bounds how many callers' grants are kept from now on (the
// least recently used go first if there are more); 0 or less changes nothing.
func (a *Authorizer) SetCacheSize(n int) {
	if n > 0 {
		a.callers.Resize(n)
	}
}

// CachedCallers returns how many callers' grants are cached.
func (a *Authorizer) CachedCallers() int { return a.callers.Len() }

// IsCached reports whether the account's grants are cached.
func (a *Authorizer) IsCached(accountID string) bool { return a.callers.Contains(accountID) }

// grants returns an account's grants, from the cache or the store.
func (a *Authorizer) grants(ctx context.Context, accountID string) ([]maillage.Grant, error) {
	if g, ok := a.callers.Get(accountID); ok {
		return g, nil
	}
	a.mu.Lock()
	epoch := a.epoch
	a.mu.Unlock()
	g, err := a.store.AccountGrants(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("load grants: %w", err)
	}
	g = slices.Clip(g)
	a.mu.Lock()
	if a.epoch == epoch && !a.offline {
		a.callers.Add(accountID, g)
	}
	a.mu.Unlock()
	return g, nil
}

// callerGrants returns the grants of the caller in ctx: none if anonymous.
func (a *Authorizer) callerGrants(ctx context.Context) ([]maillage.Grant, error) {
	id := maillage.IdentityFrom(ctx)
	if id.Anonymous() {
		return nil, nil
	}
	return a.grants(ctx, id.AccountID)
}

// PatientLevel are the kinds of patient-level data (authz_kinds.patient_level):
// reached through a relation with the object, never by a role, whatever the
// policies say — except creating one (which opens nothing that exists: the
// creator gets a relation with what they created) and staffReads.
var PatientLevel = map[string]bool{KindPatient: true, KindESCAP: true, KindReferral: true}

// staffReads is the one role rule on patient-level data the authorizer
// honours: an ESS's staff read the requests addressed to their ESS (their
// queue), by their role on the ESS. These roles come only from memberships
// appointed by someone else ("staff write"), never from a role grant.
var staffReads = map[string]map[string]bool{
	KindReferral: {"ess_secretariat": true, "ess_case_manager": true, "ess_specialist": true},
}

// roleMayReach reports whether a policy rule for role may decide act on
// kind at all: always outside patient-level data; inside it, for create and
// for staffReads only. A rule a migration or SQL slipped in is ignored.
func roleMayReach(role, kind string, act Action) bool {
	if !PatientLevel[kind] || act == ActCreate {
		return true
	}
	return act == ActRead && staffReads[kind][role]
}

// Within reports whether domain lies in or below pattern: "fr/28/76" is
// within "fr/28", "fr/280" is not.
func Within(domain, pattern string) bool {
	return domain == pattern || len(domain) > len(pattern) && domain[len(pattern)] == '/' && strings.HasPrefix(domain, pattern)
}

// Can returns nil if the caller in ctx may do action on obj, a FORBIDDEN
// error if not, and an internal error if the caller's grants could not be
// read. Services that must hide an object's existence turn FORBIDDEN into
// NOT_FOUND.
func (a *Authorizer) Can(ctx context.Context, action Action, obj Object) error {
	ok, err := a.decide(ctx, action, obj)
	if err != nil {
		return fmt.Errorf("authorize %s %s: %w", action, obj.Kind, err)
	}
	if !ok {
		return maillage.Errorf(maillage.EFORBIDDEN, "not allowed to %s this %s", action, obj.Kind)
	}
	return nil
}

// Allowed reports whether the caller in ctx may do action on obj: as the
// public, by a role granted on the object's domain or above, or through one
// of their relations with the object (while they hold some grant). A failure to read the caller's grants
// is logged and denies.
func (a *Authorizer) Allowed(ctx context.Context, action Action, obj Object) bool {
	ok, err := a.decide(ctx, action, obj)
	if err != nil {
		slog.ErrorContext(ctx, "authorization denied: grants unavailable", "err", err)
	}
	return ok
}

func (a *Authorizer) decide(ctx context.Context, action Action, obj Object) (bool, error) {
	decisions.Add(1)
	ps := a.policies.Load()
	if ps.allows(subjectPublic, obj.Kind, action) {
		return true, nil
	}
	grants, err := a.callerGrants(ctx)
	if err != nil {
		return false, err
	}
	// A relation counts only for an active caller: one who holds some grant.
	// A disabled account, or the account of an archived professional, holds
	// none (authz_account_grants), so every relation they had ends with the
	// same notification that ends their roles.
	for _, r := range obj.Relations {
		if len(grants) > 0 && ps.allows(relationPrefix+r, obj.Kind, action) {
			return true, nil
		}
	}
	for _, g := range grants {
		if Within(obj.Domain, g.Domain) && roleMayReach(g.Role, obj.Kind, action) && ps.allows(g.Role, obj.Kind, action) {
			return true, nil
		}
	}
	return false, nil
}

// Scope returns where the caller in ctx may do action on objects of kind,
// for a list's SQL filter: the outermost domains where one of their roles
// allows it. knownRelations are the relations the kind's service can test
// in SQL; Scope keeps those a policy allows. When the public may do action
// on kind, no grant is read. A failure to read the caller's grants is an
// error, never a narrower scope: a database away must not show a caller an
// empty or partial list as if it were theirs.
func (a *Authorizer) Scope(ctx context.Context, action Action, kind string, knownRelations ...string) (Scope, error) {
	decisions.Add(1)
	ps := a.policies.Load()
	if ps.allows(subjectPublic, kind, action) {
		return Scope{All: true}, nil
	}
	grants, err := a.callerGrants(ctx)
	if err != nil {
		return Scope{}, fmt.Errorf("scope of %s %s: %w", action, kind, err)
	}
	var s Scope
	for _, g := range grants {
		if roleMayReach(g.Role, kind, action) && ps.allows(g.Role, kind, action) {
			if g.Domain == NationalDomain {
				return Scope{All: true}, nil
			}
			s.Domains = append(s.Domains, g.Domain)
		}
	}
	s.Domains = outermost(s.Domains)
	if len(grants) == 0 {
		return s, nil // an inactive caller has no relations (see decide)
	}
	for _, r := range knownRelations {
		if ps.allows(relationPrefix+r, kind, action) {
			s.Relations = append(s.Relations, r)
		}
	}
	return s, nil
}

// outermost sorts the domains and drops those within another of the list
// (and repeats): the SQL filter needs only the outermost ones. In sorted
// order the domains within d follow d, so one pass with a stack of the
// enclosing kept domains finds them.
func outermost(domains []string) []string {
	slices.Sort(domains)
	var out, stack []string
	for _, d := range domains {
		for len(stack) > 0 && !Within(d, stack[len(stack)-1]) {
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			continue // within a kept domain
		}
		out = append(out, d)
		stack = append(stack, d)
	}
	return out
}

// Grants returns the roles the account holds, by domain.
func (a *Authorizer) Grants(ctx context.Context, accountID string) ([]maillage.Grant, error) {
	g, err := a.grants(ctx, accountID)
	return slices.Clone(g), err
}

// policySet is one loaded set of policy rules with casbin's decisions on
// it: a decision is a pure function of the set, so it is remembered until
// the next reload replaces the set (a casbin evaluation costs microseconds;
// a remembered one, a map lookup). Subjects, kinds and actions come from
// code and from the roles table, so the memory is small; it is bounded
// all the same.
type policySet struct {
	mu       sync.Mutex // casbin's enforcer is not documented as safe for concurrent use
	enforcer *casbin.Enforcer
	memo     sync.Map // policyKey -> bool
	memoized atomic.Int64
}

type policyKey struct{ sub, kind, act string }

// maxMemo bounds the decisions a policy set remembers.
const maxMemo = 1 << 16

func newPolicySet(rules []Rule) (*policySet, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("authz model: %w", err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("authz enforcer: %w", err)
	}
	ps := make([][]string, len(rules))
	for i, r := range rules {
		ps[i] = []string{r.Subject, r.Object, r.Action}
	}
	if len(ps) > 0 {
		if _, err := e.AddPolicies(ps); err != nil {
			return nil, fmt.Errorf("add policies: %w", err)
		}
	}
	// Compile the matcher now, not in the first request after the swap.
	if _, err := e.Enforce(subjectPublic, KindDirectory, string(ActRead)); err != nil {
		return nil, fmt.Errorf("authz warm-up: %w", err)
	}
	return &policySet{enforcer: e}, nil
}

// allows reports whether a policy lets sub do act on objects of kind.
func (p *policySet) allows(sub, kind string, act Action) bool {
	key := policyKey{sub, kind, string(act)}
	if ok, hit := p.memo.Load(key); hit {
		return ok.(bool)
	}
	p.mu.Lock()
	ok, err := p.enforcer.Enforce(sub, kind, string(act))
	p.mu.Unlock()
	if err != nil {
		return false
	}
	if p.memoized.Add(1) <= maxMemo {
		p.memo.Store(key, ok)
	}
	return ok
}
