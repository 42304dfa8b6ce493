package maillage_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/maillage/maillage"
)

// The README's ESCAP section lists every configuration key with its
// default and meaning: one table row per JSON key of ESCAPConfig.
func TestREADMEListsEveryESCAPKey(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	typ := reflect.TypeOf(maillage.ESCAPConfig{})
	for i := range typ.NumField() {
		key, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if !strings.Contains(readme, "| `"+key+"` |") {
			t.Errorf("README lists no row for the configuration key %q", key)
		}
	}
}
