package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

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

// directoryScope is where the caller may read the directory (what each
// directory list then shows of it is the table authz.Lists); an empty scope
// is an empty list, not an error. A failure to read the caller's grants is
// an error: never a narrower directory.
func (db *DirectoryService) directoryScope(ctx context.Context) (authz.Scope, error) {
	s, err := db.Authz.Scope(ctx, authz.ActRead, authz.KindDirectory)
	if err != nil {
		return s, fmt.Errorf("directory scope: %w", err)
	}
	return s, nil
}

// readsDirectory reports whether the caller may read the directory anywhere.
func (db *DirectoryService) readsDirectory(ctx context.Context) (bool, error) {
	s, err := db.directoryScope(ctx)
	return !s.Empty(), err
}

// canWriteDirectory checks the write permission on a directory object in
// domain; the caller sees FORBIDDEN (the directory is public, so its objects'
// existence is no secret).
func (db *DirectoryService) canWriteDirectory(ctx context.Context, domain string) error {
	if maillage.IdentityFrom(ctx).Anonymous() {
		return maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to change the directory")
	}
	return db.Authz.Can(ctx, authz.ActWrite, authz.Object{Kind: authz.KindDirectory, Domain: domain})
}

// canSee returns nil if the caller may do action on obj, NOT_FOUND naming
// kind if not (what a caller may not see does not exist for them), and the
// error itself if the caller's grants could not be read: a database away is
// not a refusal, and the caller must not be told the object is gone.
func (s *store) canSee(ctx context.Context, action authz.Action, obj authz.Object, kind string) error {
	err := s.Authz.Can(ctx, action, obj)
	if maillage.ErrorCode(err) == maillage.EFORBIDDEN {
		return maillage.NotFound(kind)
	}
	return err
}
