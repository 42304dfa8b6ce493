package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/maillage/maillage"
)

// A professional reads and sets their own notification mode; anyone else
// is refused with a code, a bad mode is refused naming the argument, and
// the notifier's metrics are served (zero without a relay).
func TestNotificationPreferenceOverGraphQL(t *testing.T) {
	h := seededHub(t)
	const read = `{ myNotificationPreference { mode address updatedAt defaults { role mode } } }`
	const set = `mutation($m: NotificationMode!) { setMyNotificationPreference(mode: $m) { mode address updatedAt } }`

	h.fails("", read, nil, maillage.EUNAUTHENTICATED, "")
	h.fails("admin", read, nil, maillage.EFORBIDDEN, "")
	d := h.ok(martin, read, nil)
	address := h.id(`SELECT lower(mssante) FROM professionals WHERE rpps = $1`, martin)
	if jpath(d, "myNotificationPreference.mode") != nil || jpath(d, "myNotificationPreference.address") != address {
		t.Fatalf("before any choice: %v", d)
	}
	defaults, _ := jpath(d, "myNotificationPreference.defaults").([]any)
	modes := map[string]any{}
	for _, x := range defaults {
		m := x.(map[string]any)
		modes[m["role"].(string)] = m["mode"]
	}
	if len(modes) != 5 || modes["escap_member"] != "DIGEST" || modes["requester"] != "IMMEDIATE" {
		t.Errorf("defaults %v", modes)
	}
	d = h.ok(martin, set, map[string]any{"m": "DIGEST"})
	if jpath(d, "setMyNotificationPreference.mode") != "DIGEST" || jpath(d, "setMyNotificationPreference.updatedAt") == nil {
		t.Fatalf("set: %v", d)
	}
	if got := jpath(h.ok(martin, read, nil), "myNotificationPreference.mode"); got != "DIGEST" {
		t.Errorf("read after set: %v", got)
	}
	// Another professional's choice is their own.
	if got := jpath(h.ok(roux, read, nil), "myNotificationPreference.mode"); got != nil {
		t.Errorf("another professional sees %v", got)
	}
	r := h.as(martin, set, map[string]any{"m": "WEEKLY"})
	if len(r.Errors) != 1 || r.code() != "GRAPHQL_VALIDATION_FAILED" || fmt.Sprint(r.Errors[0].Path) != "[variable m]" ||
		!strings.Contains(r.Errors[0].Message, "NotificationMode") {
		t.Errorf("mode WEEKLY: %+v", r.Errors)
	}

	m := scrape(t, h)
	for _, name := range []string{"maillage_notify_mails_pending", "maillage_notify_mails_sent_total", "maillage_notify_mail_failures_total",
		"maillage_notify_deliveries_total", "maillage_notify_oldest_pending_seconds"} {
		if _, ok := m[name]; !ok {
			t.Errorf("/metrics has no %s", name)
		}
	}
}
