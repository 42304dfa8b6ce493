package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/maillage/maillage"
)

// TestAdminMutationsValidate: each bad input is BAD_USER_INPUT naming the
// field, and changes nothing (no policy, no grant, no event).
func TestAdminMutationsValidate(t *testing.T) {
	h := seededHub(t)
	structureDomain := h.id(`SELECT t.path || '/@' || s.id FROM structures s
		JOIN territories t ON t.id = s.territory_id WHERE s.name = 'MSP Caen Venoix'`)
	const grant = `mutation($l: String!, $r: String!, $d: String!) { grantRole(input: {login: $l, role: $r, domain: $d}) { id } }`
	const policy = `mutation($s: String!, $o: String!, $a: String!) { addPolicy(input: {subject: $s, object: $o, action: $a}) { id } }`
	for _, c := range []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"unknown role", grant, map[string]any{"l": "10003456795", "r": "emperor", "d": "fr/28"}, maillage.EINVALID, "input.role"},
		{"unknown login", grant, map[string]any{"l": "nobody", "r": "auditor", "d": "fr/28"}, maillage.EINVALID, "input.login"},
		{"unknown territory", grant, map[string]any{"l": "10003456795", "r": "auditor", "d": "fr/99"}, maillage.EINVALID, "input.domain"},
		{"not a path", grant, map[string]any{"l": "10003456795", "r": "auditor", "d": "Normandie"}, maillage.EINVALID, "input.domain"},
		{"structure under the wrong territory", grant, map[string]any{"l": "10003456795", "r": "auditor",
			"d": "fr/28/76/@" + structureDomain[strings.LastIndex(structureDomain, "@")+1:]}, maillage.EINVALID, "input.domain"},
		{"unknown subject", policy, map[string]any{"s": "emperor", "o": "directory", "a": "read"}, maillage.EINVALID, "input.subject"},
		{"unknown relation", policy, map[string]any{"s": "rel:neighbour", "o": "patient", "a": "read"}, maillage.EINVALID, "input.subject"},
		{"unknown kind", policy, map[string]any{"s": "auditor", "o": "everything", "a": "read"}, maillage.EINVALID, "input.object"},
		{"unknown action", policy, map[string]any{"s": "auditor", "o": "stats", "a": "destroy"}, maillage.EINVALID, "input.action"},
		{"policy already there", policy, map[string]any{"s": "public", "o": "directory", "a": "read"}, maillage.ECONFLICT, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := countRows(t, h, `SELECT (SELECT count(*) FROM authz_policies) + (SELECT count(*) FROM role_grants) + (SELECT count(*) FROM events)`)
			r := h.as("admin", c.query, c.vars)
			if r.code() != c.code || (c.field != "" && r.Errors[0].Extensions["field"] != c.field) {
				t.Fatalf("want %s on %s, got %+v", c.code, c.field, r.Errors)
			}
			if after := countRows(t, h, `SELECT (SELECT count(*) FROM authz_policies) + (SELECT count(*) FROM role_grants) + (SELECT count(*) FROM events)`); after != before {
				t.Errorf("a refused change wrote %d rows", after-before)
			}
		})
	}

	t.Run("grant on a structure's domain, then revoke", func(t *testing.T) {
		r := h.as("admin", grant, map[string]any{"l": "10003456795", "r": "structure_admin", "d": structureDomain})
		id, _ := jpath(r.Data, "grantRole.id").(string)
		if id == "" {
			t.Fatalf("grant: %+v", r.Errors)
		}
		if n := countRows(t, h, `SELECT count(*) FROM events WHERE topic = 'authz' AND type = 'ROLE_GRANTED' AND subject_id = '`+id+`'`); n != 1 {
			t.Errorf("want one ROLE_GRANTED event, got %d", n)
		}
		if !hasRole(h, "10003456795", "structure_admin") {
			t.Errorf("the grant shows in me.grants at once on the instance that made it")
		}
		if r := h.as("admin", `mutation($id: ID!) { revokeRole(id: $id) { revokedAt } }`, map[string]any{"id": id}); jpath(r.Data, "revokeRole.revokedAt") == nil {
			t.Fatalf("revoke: %+v", r.Errors)
		}
		if hasRole(h, "10003456795", "structure_admin") {
			t.Errorf("a revoked grant still holds")
		}
		if r := h.as("admin", `mutation($id: ID!) { revokeRole(id: $id) { id } }`, map[string]any{"id": id}); r.code() != maillage.ECONFLICT {
			t.Errorf("revoking twice: want CONFLICT, got %+v", r.Errors)
		}
	})

	t.Run("no lock-out", func(t *testing.T) {
		adminGrant := h.id(`SELECT g.id FROM role_grants g JOIN accounts a ON a.id = g.account_id WHERE a.login = 'admin'`)
		adminPolicy := h.id(`SELECT 'pol_' || id FROM authz_policies WHERE subject = 'national_admin' AND object = 'policy' AND action = 'write'`)
		if r := h.as("admin", `mutation($id: ID!) { revokeRole(id: $id) { id } }`, map[string]any{"id": adminGrant}); r.code() != maillage.ECONFLICT {
			t.Errorf("revoking the last national admin: want CONFLICT, got %+v", r.Errors)
		}
		if r := h.as("admin", `mutation($id: ID!) { removePolicy(id: $id) { id } }`, map[string]any{"id": adminPolicy}); r.code() != maillage.ECONFLICT {
			t.Errorf("removing the last policy administration rule: want CONFLICT, got %+v", r.Errors)
		}
		if r := h.as("admin", `{ policies { totalCount } }`, nil); len(r.Errors) > 0 {
			t.Errorf("the admin still administers: %+v", r.Errors)
		}
	})
}

// TestAuditTrail: auditors read the trail, newest first, by pages; nobody
// changes it — there is no mutation, and the table refuses UPDATE and DELETE.
func TestAuditTrail(t *testing.T) {
	h := seededHub(t)
	dupont := h.id(`SELECT id FROM patients WHERE family_name = 'Dupont'`)
	for range 3 {
		if r := h.as("10003456781", `query($id: ID!) { patient(id: $id) { id } }`, map[string]any{"id": dupont}); jpath(r.Data, "patient.id") != dupont {
			t.Fatalf("read: %+v", r.Errors)
		}
	}
	const q = `query($id: ID!, $after: String) { auditLog(filter: {objectId: $id}, first: 2, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } edges { node { id login role objectKind objectId operation requestId } } } }`
	r := h.as("auditor", q, map[string]any{"id": dupont})
	if n := jpath(r.Data, "auditLog.totalCount"); n != float64(3) {
		t.Fatalf("want 3 records, got %v %+v", n, r.Errors)
	}
	edges := jpath(r.Data, "auditLog.edges").([]any)
	if len(edges) != 2 || jpath(edges[0], "node.login") != "10003456781" || jpath(edges[0], "node.operation") != "read" ||
		!strings.Contains(jpath(edges[0], "node.role").(string), "rel:") || jpath(edges[0], "node.requestId") == "" {
		t.Errorf("first page: %v", edges)
	}
	r = h.as("auditor", q, map[string]any{"id": dupont, "after": jpath(r.Data, "auditLog.pageInfo.endCursor")})
	if edges := jpath(r.Data, "auditLog.edges").([]any); len(edges) != 1 || jpath(r.Data, "auditLog.pageInfo.hasNextPage") != false {
		t.Errorf("second page: %v", r.Data)
	}
	if r := h.as("admin", `{ auditLog { totalCount } }`, nil); r.code() != maillage.EFORBIDDEN {
		t.Errorf("the national admin is no auditor: %+v", r.Errors)
	}
	if r := h.as("auditor", `mutation { deleteAuditRecord(id: "aud_1") }`, nil); r.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("there is no mutation of the audit trail: %+v", r.Errors)
	}
	for _, stmt := range []string{`UPDATE audit_log SET operation = 'nothing'`, `DELETE FROM audit_log`} {
		if _, err := h.db.ExecContext(context.Background(), stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: want the append-only refusal, got %v", stmt, err)
		}
	}
	if n := countRows(t, h, `SELECT count(*) FROM audit_log WHERE object_id = '`+dupont+`' AND operation = 'read'`); n != 3 {
		t.Errorf("the trail changed: %d records", n)
	}
}

func countRows(t *testing.T, h *hub, q string) int {
	t.Helper()
	var n int
	if err := h.db.GetContext(context.Background(), &n, q); err != nil {
		t.Fatal(err)
	}
	return n
}

// hasRole reports whether login holds role somewhere, per me.grants.
func hasRole(h *hub, login, role string) bool {
	grants, _ := jpath(h.as(login, `{ me { grants { role } } }`, nil).Data, "me.grants").([]any)
	for _, g := range grants {
		if jpath(g, "role") == role {
			return true
		}
	}
	return false
}
