package notify_test

import (
	"strings"
	"testing"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/notify"
)

// A relay configured wrongly stops the start with a message naming each
// setting at fault; no relay is no notifier, and no error.
func TestConfigErrorsNameTheSetting(t *testing.T) {
	if _, err := notify.New(nil, notify.Config{}); err != nil {
		t.Fatalf("no relay: %v", err)
	}
	_, err := notify.New(nil, notify.Config{Host: "relay.example", Port: 70000, TLS: "ssl", ClientCert: "c.pem", From: "not a mail",
		DigestAt: "7h30", Defaults: map[string]maillage.NotificationMode{"patient": maillage.NotifyImmediate}})
	if err == nil {
		t.Fatal("a wrong configuration was accepted")
	}
	for _, setting := range []string{"smtp-tls", "smtp-port", "smtp-client-cert and smtp-client-key", "smtp-from", "notify-digest-at",
		"notify-defaults: patient", "public-url"} {
		if !strings.Contains(err.Error(), setting) {
			t.Errorf("error does not name %s: %v", setting, err)
		}
	}
	_, err = notify.New(nil, notify.Config{Host: "relay.example", ClientCert: "/nonexistent.pem", ClientKey: "/nonexistent.key",
		From: "hub@maillage.mssante.fr", PublicURL: "https://maillage.example"})
	if err == nil || !strings.Contains(err.Error(), "client certificate") {
		t.Errorf("a missing certificate file: %v", err)
	}
}

func TestRoleModesFlag(t *testing.T) {
	m, err := notify.ParseRoleModes("escap_member=digest, requester=OFF")
	if err != nil || m["escap_member"] != maillage.NotifyDigest || m["requester"] != maillage.NotifyOff || len(m) != 2 {
		t.Fatalf("%v %v", m, err)
	}
	if got := notify.FormatRoleModes(m); got != "escap_member=DIGEST,requester=OFF" {
		t.Errorf("format: %s", got)
	}
	for _, bad := range []string{"escap_member", "nobody=DIGEST", "requester=WEEKLY"} {
		if _, err := notify.ParseRoleModes(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
