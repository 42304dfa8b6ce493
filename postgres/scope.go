package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// domainCondition returns a SQL condition that is true when domainExpr lies
// in or below one of the domains in the array parameter $n (the SQL function
// within, migrations/00007_within.sql, is the one "in or below" test).
func domainCondition(domainExpr string, n int) string {
	return fmt.Sprintf("EXISTS (SELECT 1 FROM unnest($%d::text[]) d WHERE within(%s, d))", n, domainExpr)
}

// scopeArgs turns a scope into the parameters of a list query: whether all
// rows are visible, and the domains where they are.
func scopeArgs(s authz.Scope) (all bool, domains pq.StringArray) {
	return s.All, pq.StringArray(s.Domains)
}

// likePattern escapes a search text for a LIKE '%…%' on search_key().
func likePattern(search string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.TrimSpace(search)) + "%"
}

// directoryScope is where the caller may read the directory; an empty scope
// is an empty list, not an error.
func (db *DB) directoryScope(ctx context.Context) authz.Scope {
	return db.Authz.Scope(ctx, authz.ActRead, authz.KindDirectory)
}

// canWriteDirectory checks the write permission on a directory object in
// domain; the caller sees FORBIDDEN (the directory is public, so its objects'
// existence is no secret).
func (db *DB) canWriteDirectory(ctx context.Context, domain string) error {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to change the directory")
	}
	return db.Authz.Can(ctx, authz.ActWrite, authz.Object{Kind: authz.KindDirectory, Domain: domain})
}
