package resolvers

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// A direct read writes every string exactly as gqlgen's marshaler does,
// whether or not it has something to escape.
func TestDirectStringsAsGqlgenWritesThem(t *testing.T) {
	for _, s := range []string{
		"", "Maison de santé Saint-Éloi", `a "quoted" name`, `back\slash`, "tab\there", "line\nbreak\r",
		"\x00\x01\x1f\x7f", "é\xff\xfeinvalid UTF-8", "emoji 🩺", "</script>&<>",
	} {
		var want bytes.Buffer
		graphql.MarshalString(s).MarshalGQL(&want)
		var w directWriter
		w.str(s)
		if got := string(w.b); got != want.String() {
			t.Errorf("%q: wrote %s, gqlgen writes %s", s, got, want.String())
		}
	}
}
