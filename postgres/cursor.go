package postgres

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/maillage/maillage"
)

// Lists page by keyset: a cursor is the opaque base64url form of a row's
// sort keys, so it stays valid while rows are added before it.

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

// keyKind is the type of one sort key of a cursor, checked when the cursor
// is read so that a forged key is a BAD_USER_INPUT, never a failed cast.
type keyKind int

const (
	keyText     keyKind = iota // any text without NUL
	keyTime                    // an RFC 3339 instant
	keyInt                     // a decimal 64-bit integer
	keySmallInt                // a decimal 16-bit integer
)

// startPage checks a page request and returns the n text sort keys to start
// after: those of its cursor, or n empty strings (before every row) for the
// first page.
func startPage(page *maillage.PageArgs, n int) ([]string, error) {
	kinds := make([]keyKind, n)
	return startTypedPage(page, kinds...)
}

// startTypedPage is startPage for keys of the given kinds; the keys of the
// first page are empty strings.
func startTypedPage(page *maillage.PageArgs, kinds ...keyKind) ([]string, error) {
	if err := page.Check(); err != nil {
		return nil, err
	}
	if page.After == "" {
		return make([]string, len(kinds)), nil
	}
	keys, err := decodeCursor(page.After, len(kinds))
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		if !validKey(kinds[i], k) {
			return nil, maillage.InvalidField("after", "not a cursor of this list: %q", page.After)
		}
	}
	return keys, nil
}

func validKey(kind keyKind, key string) bool {
	switch kind {
	case keyTime:
		_, err := time.Parse(time.RFC3339Nano, key)
		return err == nil
	case keyInt:
		_, err := strconv.ParseInt(key, 10, 64)
		return err == nil
	case keySmallInt:
		_, err := strconv.ParseInt(key, 10, 16)
		return err == nil
	}
	return !strings.ContainsRune(key, 0)
}

// endPage turns the rows fetched for a page (one more than asked, to know
// whether a next page exists) into its edges and PageInfo; keys gives a
// row's sort keys, edge makes an edge of a cursor (encoded when called) and
// a row.
func endPage[T, E any](rows []*T, page maillage.PageArgs, keys func(*T) []string, edge func(func() string, *T) E) ([]E, maillage.PageInfo) {
	info := maillage.PageInfo{HasPreviousPage: page.After != ""}
	n := len(rows)
	if n > page.First {
		info.HasNextPage, n = true, page.First
	}
	edges := make([]E, n)
	for i, row := range rows[:n] {
		edges[i] = edge(func() string { return encodeCursor(keys(row)...) }, row)
	}
	if n > 0 {
		start, end := encodeCursor(keys(rows[0])...), encodeCursor(keys(rows[n-1])...)
		info.StartCursor, info.EndCursor = &start, &end
	}
	return edges, info
}

// searchPattern escapes an optional search text for LIKE on search_key().
func searchPattern(search *string) *string {
	if search == nil {
		return nil
	}
	p := likePattern(*search)
	return &p
}
