package maillage_test

import (
	"os"
	"strings"
	"testing"

	"github.com/maillage/maillage"
)

// The schema documents the event types subscribers receive: every type the
// hub appends on a subscribable topic is named there.
func TestSchemaDocumentsEveryEventType(t *testing.T) {
	doc, err := os.ReadFile("schema/subscriptions.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	words := strings.FieldsFunc(string(doc), func(r rune) bool { return !(r == '_' || r >= 'A' && r <= 'Z') })
	documented := map[string]bool{}
	for _, w := range words {
		documented[w] = true
	}
	for family, types := range maillage.EventTypes() {
		if family == maillage.TopicAuthz || family == "patient" {
			continue // no subscription carries them
		}
		for _, typ := range types {
			if !documented[typ] {
				t.Errorf("%s event %s is not in schema/subscriptions.graphqls", family, typ)
			}
		}
	}
}
