package postgres

import (
	"testing"

	"github.com/maillage/maillage"
)

// A forged cursor is BAD_USER_INPUT on "after" before any SQL runs, whatever
// the type of its keys.
func TestStartTypedPageChecksEveryKey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		keys  []string
		kinds []keyKind
		ok    bool
	}{
		{"queue cursor", []string{"2", "2026-03-10T08:00:00.123456Z", "ref_1"}, []keyKind{keySmallInt, keyTime, keyText}, true},
		{"urgency beyond a smallint", []string{"99999999", "2026-03-10T08:00:00Z", "ref_1"}, []keyKind{keySmallInt, keyTime, keyText}, false},
		{"time that is not one", []string{"bad", "x"}, []keyKind{keyTime, keyText}, false},
		{"integer that is not one", []string{"12a"}, []keyKind{keyInt}, false},
		{"text with a NUL", []string{"a\x00b", "x"}, []keyKind{keyText, keyText}, false},
		{"too few keys", []string{"x"}, []keyKind{keyText, keyText}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := maillage.PageArgs{First: 10, After: encodeCursor(tc.keys...)}
			keys, err := startTypedPage(&page, tc.kinds...)
			if tc.ok && (err != nil || len(keys) != len(tc.kinds)) {
				t.Fatalf("keys %v, err %v", keys, err)
			}
			if !tc.ok && (maillage.ErrorCode(err) != maillage.EINVALID || err.(*maillage.Error).Field != "after") {
				t.Fatalf("err %v, want BAD_USER_INPUT on after", err)
			}
		})
	}
	page := maillage.PageArgs{}
	if keys, err := startTypedPage(&page, keyTime, keyText); err != nil || len(keys) != 2 || page.First != maillage.DefaultPageSize {
		t.Fatalf("first page: %v %v %d", keys, err, page.First)
	}
}
