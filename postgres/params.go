package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

// params collects the parameters of one SQL statement. Add appends a value
// and returns its placeholder ("$3"), so the fragments of a statement that
// live in different files — the caller's visibility filter, a relation's
// predicate, the scope's domains — never agree on numbers: each takes the
// statement's *params and asks for its own placeholders. A statement's own
// literal $1…$k come first (start with params{v1, …, vk}); fragments number
// themselves after them. Pass the collected values as p... to the query.
type params []any

// Add appends v and returns its placeholder.
func (p *params) Add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// callerParams is the caller of ctx as parameters of one statement: the
// professional and the account ids are added to the statement's params on
// first use only, since PostgreSQL refuses a parameter that a statement never
// uses (and a relation's predicate may use one of them, or none).
type callerParams struct {
	p        *params
	id       maillage.Identity
	pro, acc string // placeholders, "" until used
}

// callerOf returns the caller in ctx as parameters of p's statement.
func callerOf(ctx context.Context, p *params) *callerParams {
	return &callerParams{p: p, id: maillage.IdentityFrom(ctx)}
}

// Pro is the placeholder of the caller's professional id (text).
func (c *callerParams) Pro() string {
	if c.pro == "" {
		c.pro = c.p.Add(c.id.ProfessionalID) + "::text"
	}
	return c.pro
}

// Acc is the placeholder of the caller's account id (text).
func (c *callerParams) Acc() string {
	if c.acc == "" {
		c.acc = c.p.Add(c.id.AccountID) + "::text"
	}
	return c.acc
}

// domainCondition returns a SQL condition that is true when domainExpr lies
// in or below one of domains (the SQL function within,
// migrations/00007_within.sql, is the one "in or below" test).
func domainCondition(p *params, domainExpr string, domains pq.StringArray) string {
	return "EXISTS (SELECT 1 FROM unnest(" + p.Add(domains) + "::text[]) d WHERE within(" + domainExpr + ", d))"
}

// expand substitutes the placeholders of a relation's predicate: :id by
// idExpr, :pro and :acc by the caller's parameters (added when used).
func expand(predicate, idExpr string, c *callerParams) string {
	s := strings.ReplaceAll(predicate, ":id", idExpr)
	if strings.Contains(s, ":pro") {
		s = strings.ReplaceAll(s, ":pro", c.Pro())
	}
	if strings.Contains(s, ":acc") {
		s = strings.ReplaceAll(s, ":acc", c.Acc())
	}
	return s
}

// pageLimit is a page's LIMIT (its size and one more, to know whether a
// next page exists), written into the statement rather than passed: a
// prepared statement keeps its generic plan only when that plan costs no
// more than the plans made for the values, and a generic plan guesses a
// parameter LIMIT at a tenth of the rows, which for a page of structures
// walks the whole name index. Planning the statement again on every call
// cost more than running it. The size written is the first of pageSizes
// that holds the page (endPage cuts the rows past it): one text per size a
// caller may ask would let any reader fill the prepared statements (kept
// up to maxPrepared, see prepared).
func pageLimit(page maillage.PageArgs) string {
	n := page.First
	if i := slices.IndexFunc(pageSizes, func(s int) bool { return s >= n }); i >= 0 {
		n = pageSizes[i]
	}
	return " LIMIT " + strconv.Itoa(n+1)
}

// pageSizes are the page sizes a LIMIT is written for, in order; the
// default and the sizes the portal asks most (20, 50) among them.
var pageSizes = []int{1, 2, 5, 10, 20, 50, maillage.MaxPageSize}
