package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/server"
)

// leaks reports whether a caller-facing message carries driver or network
// text.
func leaks(message string) bool {
	for _, s := range []string{"pq:", "driver", "dial", "tcp", "127.0.0.1", "connection", "EOF"} {
		if strings.Contains(message, s) {
			return true
		}
	}
	return false
}

// TestDatabaseDownIsRetryableNeverUnauthenticated: with PostgreSQL
// unreachable, a query is 503 SERVICE_UNAVAILABLE with no driver text, a
// valid token is 503 (never 401, which makes clients drop it), and a
// websocket closes with 1013 (try again later) rather than 4401; once the
// database is back the same requests succeed.
func TestDatabaseDownIsRetryableNeverUnauthenticated(t *testing.T) {
	h, p, _ := proxiedHub(t, server.Config{RequestTimeout: 2 * time.Second})
	tok := h.token(gpMartin)
	const public = `{ territories(first: 1) { totalCount } }`
	const mine = `{ me { login } }`
	for _, fault := range []struct {
		name  string
		start func()
	}{{"dropped", p.drop}, {"black-holed", p.blackHole}} {
		t.Run(fault.name, func(t *testing.T) {
			// A connection of the pool first, so the fault catches one open.
			if r := h.post("", public, nil); r.Status != http.StatusOK {
				t.Fatalf("before the fault: %d %+v", r.Status, r.Errors)
			}
			fault.start()
			for _, tc := range []struct{ name, token, query string }{
				{"anonymous query", "", public},
				{"valid token", tok, mine},
			} {
				r := h.post(tc.token, tc.query, nil)
				if r.Status != http.StatusServiceUnavailable || r.code() != maillage.EUNAVAILABLE || r.Data != nil {
					t.Errorf("%s: want 503 SERVICE_UNAVAILABLE without data, got %d %+v", tc.name, r.Status, r)
				}
				for _, e := range r.Errors {
					if leaks(e.Message) {
						t.Errorf("%s: the message leaks the driver: %q", tc.name, e.Message)
					}
				}
			}
			_, _, err := connect(t, h, "graphql-transport-ws", map[string]any{"Authorization": "Bearer " + tok})
			var closed *websocket.CloseError
			if !errors.As(err, &closed) || closed.Code != server.CloseTryAgainLater {
				t.Errorf("websocket init: want close 1013, got %v", err)
			} else if leaks(closed.Text) {
				t.Errorf("close reason leaks the driver: %q", closed.Text)
			}
			if res, err := http.Get(h.url + "/readyz"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("/readyz: want 503, got %v %v", res, err)
			}

			// Back: a client retrying the same requests gets its answers
			// (the first may meet a connection the fault cut).
			p.restore()
			within(t, 10*time.Second, "database back, anonymous query", func() bool {
				r := h.post("", public, nil)
				return r.Status == http.StatusOK && r.Errors == nil
			})
			within(t, 10*time.Second, "database back, the same token", func() bool {
				r := h.post(tok, mine, nil)
				return r.Status == http.StatusOK && jpath(r.Data, "me.login") == gpMartin
			})
		})
	}
}

// TestInfrastructureErrorIsInternal: an error that is not the caller's
// fault (here a table gone from under the hub) is INTERNAL, "internal
// error", never BAD_USER_INPUT, and is logged with its cause and the
// request id.
func TestInfrastructureErrorIsInternal(t *testing.T) {
	logs := &syncBuffer{}
	h, _, direct := proxiedHub(t, server.Config{Logger: slog.New(server.NewLogHandler(slog.NewJSONHandler(logs, nil)))})
	if _, err := direct.ExecContext(context.Background(), `ALTER TABLE territories RENAME TO territories_gone`); err != nil {
		t.Fatal(err)
	}
	r := h.postID("", "broken-table-1", `{ territories(first: 1) { totalCount } }`, nil)
	if r.code() != maillage.EINTERNAL || r.Errors[0].Message != "internal error" {
		t.Fatalf("want INTERNAL \"internal error\", got %d %+v", r.Status, r.Errors)
	}
	var logged bool
	for _, l := range logLines(t, logs, "internal error") {
		if l["request_id"] == "broken-table-1" && strings.Contains(l["err"].(string), "territories") {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no log line with the cause and the request id:\n%s", logs)
	}
}

// TestUnreadableGrantsAreNotAbsence: when a caller's grants cannot be read
// (here the function that computes them is gone), a transition of a request
// is INTERNAL, not NOT_FOUND: the request exists, and the caller must not be
// told otherwise because the database failed.
func TestUnreadableGrantsAreNotAbsence(t *testing.T) {
	h, _, direct := proxiedHub(t, server.Config{})
	ess := h.id(`SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`)
	patient := jpath(h.ok(gpMartin, createPatient, map[string]any{"in": map[string]any{"familyName": "Sansdroits", "givenNames": "Test",
		"birthDate": "1950-01-01", "sex": "F", "gpId": h.id(`SELECT id FROM professionals WHERE rpps = $1`, gpMartin)}}), "createPatient.id").(string)
	referral := jpath(h.ok(gpMartin, submit, map[string]any{"in": map[string]any{"clientKey": "grants-1", "essId": ess, "patientId": patient,
		"requesterKind": "TREATING_GP", "reason": "lésion", "urgency": "ROUTINE", "modality": "TELEEXPERTISE"}}), "submitReferral.id").(string)
	triage := map[string]any{"in": map[string]any{"id": referral, "action": "TRIAGE"}}
	tok := h.token(unrelatedKine) // before the function goes: signing reads the account

	if _, err := direct.ExecContext(context.Background(), `DROP FUNCTION authz_account_grants(text)`); err != nil {
		t.Fatal(err)
	}
	r := h.post(tok, transition, triage)
	if r.code() != maillage.EINTERNAL || r.Errors[0].Message != "internal error" {
		t.Fatalf("grants unreadable: want INTERNAL, got %d %+v", r.Status, r.Errors)
	}
}

// TestUnreadableGrantsAreNoEmptyList: when a signed-in caller's grants
// cannot be read (here the function that computes them is gone), their lists
// of patients and teams and the audit trail are INTERNAL without data, never
// an empty page or a refusal as if they had no rights; the directory, which
// the public reads, needs no grant and still answers.
func TestUnreadableGrantsAreNoEmptyList(t *testing.T) {
	h := seededHub(t)
	const patients = `{ patients(first: 5) { edges { node { id } } } }`
	if r := h.ok(gpMartin, patients, nil); len(jpath(r, "patients.edges").([]any)) == 0 {
		t.Fatalf("before: want the GP's patients, got %v", r)
	}
	tokens := map[string]string{gpMartin: h.token(gpMartin), "auditor": h.token("auditor")}

	if _, err := h.db.ExecContext(context.Background(), `DROP FUNCTION authz_account_grants(text)`); err != nil {
		t.Fatal(err)
	}
	h.db.Authz.ForgetAll()
	for _, tc := range []struct{ name, login, query string }{
		{"patients", gpMartin, patients},
		{"teams", gpMartin, `{ escaps(first: 5) { edges { node { id } } } }`},
		{"audit trail", "auditor", `{ auditLog(first: 5) { edges { node { id } } } }`},
	} {
		r := h.post(tokens[tc.login], tc.query, nil)
		if r.code() != maillage.EINTERNAL || r.Errors[0].Message != "internal error" || r.Data != nil {
			t.Errorf("%s: grants unreadable, want INTERNAL without data, got %d %+v", tc.name, r.Status, r)
		}
	}
	if r := h.post(tokens[gpMartin], `{ territories(first: 1) { totalCount } }`, nil); r.Errors != nil || jpath(r.Data, "territories.totalCount") == 0.0 {
		t.Errorf("the public directory needs no grant: got %+v", r)
	}
}
