package postgres

import (
	"encoding/base64"
	"encoding/json"

	"github.com/maillage/maillage"
)

// A cursor is the opaque base64url form of a row's sort keys; lists page by
// keyset, so a cursor stays valid while rows are added before it.

func encodeCursor(keys ...string) string {
	b, _ := json.Marshal(keys)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the n keys of a cursor, or a BAD_USER_INPUT error
// naming the "after" argument.
func decodeCursor(cursor string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var keys []string
	if err == nil {
		err = json.Unmarshal(b, &keys)
	}
	if err != nil || len(keys) != n {
		return nil, maillage.InvalidField("after", "not a cursor of this list: %q", cursor)
	}
	return keys, nil
}

// pageInfo fills a connection's PageInfo from the cursors of the rows fetched
// (one more than asked, to know whether there is a next page).
func pageInfo(cursors []string, page maillage.PageArgs) (maillage.PageInfo, int) {
	info := maillage.PageInfo{HasPreviousPage: page.After != ""}
	n := len(cursors)
	if n > page.First {
		info.HasNextPage = true
		n = page.First
	}
	if n > 0 {
		info.StartCursor, info.EndCursor = &cursors[0], &cursors[n-1]
	}
	return info, n
}
