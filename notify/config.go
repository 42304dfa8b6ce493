// Package notify tells professionals, by MSSanté secure mail, of the events
// that concern them: a request submitted to their ESS, or withdrawn by its
// requester (the ESS's organisational mailbox), their request triaged, assigned, answered or declined, a request
// assigned to them, a note or a task in a care team they belong to, a team
// near its term. It follows the outbox (the source of truth) with a
// postgres.Follower, so each event is considered once across instances;
// checks every recipient with the guard subscriptions use; records one
// delivery per event, recipient and channel; and sends the mails through
// an SMTP relay (STARTTLS, client certificate) with go-mail, retrying with
// backoff, never blocking the hub. Each professional chooses immediate
// mails, a daily digest, or none. The mails are in French, dates in
// Europe/Paris, and name no patient: they link to the portal page, where
// access is checked again.
package notify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/maillage/maillage"
)

// Config is the relay and the notifier's settings (cmd/maillage: the
// -smtp-… and -notify-… flags). The notifier is off while Host is empty.
type Config struct {
	// Host and Port are the SMTP relay's (MSSanté operator's) address.
	Host string
	Port int
	// TLS is how the connection is protected: "starttls" (the default:
	// STARTTLS required), "tls" (implicit TLS, e.g. port 465), or "none"
	// (plain SMTP: only for a relay on the same host, never for MSSanté).
	TLS string
	// ClientCert and ClientKey are PEM files of the client certificate the
	// relay requires (MSSanté operators authenticate the sending system by
	// mutual TLS). Both or neither.
	ClientCert, ClientKey string
	// CAFile is a PEM bundle to verify the relay's certificate with instead
	// of the system's roots (e.g. the IGC Santé chain).
	CAFile string
	// Username and Password, if set, authenticate with SMTP AUTH PLAIN (over
	// TLS only) in addition to the certificate.
	Username, Password string
	// From is the sender address (the hub's applicative MSSanté mailbox).
	From string
	// Timeout bounds one SMTP conversation (default 30s).
	Timeout time.Duration
	// PublicURL is the hub's URL, for the portal links in the mails.
	PublicURL string
	// Defaults are the modes of the professionals who chose none, per
	// recipient role (maillage.Recipient…); a role absent is IMMEDIATE. An
	// ESS's organisational mailbox follows the ess_mailbox default (OFF
	// silences every mailbox).
	Defaults map[string]maillage.NotificationMode
	// DigestAt is the time of day (HH:MM, Europe/Paris) of the daily digest
	// (default 07:30).
	DigestAt string
	// TermNotice is how long before a care team's end of term its members
	// are told (default 30 days; 0 keeps the default).
	TermNotice time.Duration

	// RetryMin and RetryMax bound the backoff between two attempts of a
	// mail that failed (defaults 30s and 1h): RetryMin, doubling per attempt.
	RetryMin, RetryMax time.Duration
	// Poll is how often the sender looks for due mails when not woken
	// (default 5s); the jobs (digest, term notices) run every minute.
	Poll time.Duration
	// Batch is how many mails one sender takes at once (default 20).
	Batch int
	// JobsEvery is how often the digest, term-notice and pruning jobs look
	// for work (default 1 min).
	JobsEvery time.Duration
	// Retention is how long a delivery is kept once settled — its mail sent
	// or abandoned (the mail goes with it), or the delivery withheld from a
	// digest — before the jobs delete it (default 90 days; 0 keeps the
	// default).
	Retention time.Duration
	// PruneBatch is how many mails (or withheld deliveries) one deleting
	// statement of the pruning takes (default 1000).
	PruneBatch int
}

// Enabled reports whether a relay is configured.
func (c Config) Enabled() bool { return c.Host != "" }

// DefaultRoleModes are the defaults of Config.Defaults: everything at once,
// but a care team's notes and tasks in a daily digest (a busy team writes
// often).
func DefaultRoleModes() map[string]maillage.NotificationMode {
	return map[string]maillage.NotificationMode{
		maillage.RecipientESSMailbox:   maillage.NotifyImmediate,
		maillage.RecipientRequester:    maillage.NotifyImmediate,
		maillage.RecipientSpecialist:   maillage.NotifyImmediate,
		maillage.RecipientTaskAssignee: maillage.NotifyImmediate,
		maillage.RecipientTeamMember:   maillage.NotifyDigest,
	}
}

// DefaultRetention is how long a settled delivery is kept by default
// (Config.Retention): 90 days.
const DefaultRetention = 90 * 24 * time.Hour

// Roles are the recipient roles, in the order they are documented.
var Roles = []string{maillage.RecipientESSMailbox, maillage.RecipientRequester, maillage.RecipientSpecialist,
	maillage.RecipientTeamMember, maillage.RecipientTaskAssignee}

func (c Config) withDefaults() Config {
	if c.TLS == "" {
		c.TLS = "starttls"
	}
	if c.Port == 0 {
		c.Port = map[string]int{"tls": 465, "none": 25}[c.TLS]
		if c.Port == 0 {
			c.Port = 587
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	modes := DefaultRoleModes()
	for role, m := range c.Defaults {
		modes[role] = m
	}
	c.Defaults = modes
	if c.DigestAt == "" {
		c.DigestAt = "07:30"
	}
	if c.TermNotice <= 0 {
		c.TermNotice = 30 * 24 * time.Hour
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 30 * time.Second
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Hour
	}
	if c.Poll <= 0 {
		c.Poll = 5 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 20
	}
	if c.JobsEvery <= 0 {
		c.JobsEvery = time.Minute
	}
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.PruneBatch <= 0 {
		c.PruneBatch = 1000
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// Validate checks the settings a running notifier needs: one error naming
// every setting at fault, on one line.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []string
	if c.TLS != "starttls" && c.TLS != "tls" && c.TLS != "none" {
		errs = append(errs, fmt.Sprintf("smtp-tls: %q is not starttls, tls or none", c.TLS))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Sprintf("smtp-port: %d is not a port", c.Port))
	}
	if (c.ClientCert == "") != (c.ClientKey == "") {
		errs = append(errs, "smtp-client-cert and smtp-client-key: give both or neither")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Sprintf("smtp-from: %q is not a mail address", c.From))
	}
	if _, err := time.Parse("15:04", c.DigestAt); err != nil {
		errs = append(errs, fmt.Sprintf("notify-digest-at: %q is not HH:MM", c.DigestAt))
	}
	for role, m := range c.Defaults {
		if !m.Valid() || !knownRole(role) {
			errs = append(errs, fmt.Sprintf("notify-defaults: %s=%s is not a recipient role (%s) and a mode (IMMEDIATE, DIGEST, OFF)",
				role, m, strings.Join(Roles, ", ")))
		}
	}
	if c.PublicURL == "" {
		errs = append(errs, "public-url: needed for the portal links of the mails")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func knownRole(role string) bool {
	for _, r := range Roles {
		if r == role {
			return true
		}
	}
	return false
}

// ParseRoleModes reads "role=MODE,role=MODE" (the -notify-defaults flag).
func ParseRoleModes(s string) (map[string]maillage.NotificationMode, error) {
	out := map[string]maillage.NotificationMode{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		role, mode, ok := strings.Cut(part, "=")
		m := maillage.NotificationMode(strings.ToUpper(strings.TrimSpace(mode)))
		role = strings.TrimSpace(role)
		if !ok || !m.Valid() || !knownRole(role) {
			return nil, fmt.Errorf("%q: want role=MODE, role among %s, MODE among IMMEDIATE, DIGEST, OFF", part, strings.Join(Roles, ", "))
		}
		out[role] = m
	}
	return out, nil
}

// FormatRoleModes writes modes as ParseRoleModes reads them, sorted.
func FormatRoleModes(modes map[string]maillage.NotificationMode) string {
	parts := make([]string, 0, len(modes))
	for role, m := range modes {
		parts = append(parts, role+"="+string(m))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// tlsConfig is the TLS of the relay connection: its name verified against
// CAFile or the system roots, the client certificate presented.
func (c Config) tlsConfig() (*tls.Config, error) {
	conf := &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp-ca-file: no PEM certificate in %s", c.CAFile)
		}
		conf.RootCAs = pool
	}
	if c.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("smtp client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}
