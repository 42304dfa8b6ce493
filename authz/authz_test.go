package authz_test

import (
	"context"
	"sync"
	"testing"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

func TestWithin(t *testing.T) {
	for _, c := range []struct {
		domain, pattern string
		want            bool
	}{
		{"fr/28/76", "fr/28/76", true},
		{"fr/28/76", "fr/28", true},
		{"fr/28/76/@str_1", "fr/28", true},
		{"fr/28", "fr/28/76", false},    // a grant never holds above
		{"fr/280", "fr/28", false},      // nor beside with a common prefix
		{"fr/28/14", "fr/28/76", false}, // nor in a sibling
		{"fr/84/69", "fr/28", false},
	} {
		if got := authz.Within(c.domain, c.pattern); got != c.want {
			t.Errorf("Within(%q, %q) = %v, want %v", c.domain, c.pattern, got, c.want)
		}
	}
}

// TestDecisions checks Can and Scope on the seeded policies and grants.
func TestDecisions(t *testing.T) {
	db := pgtest.Seeded(t)
	a := db.Authz
	claire := pgtest.As(t, db, "10003456781") // CPTS Rouen Nord coordinator
	anonymous := context.Background()
	for _, c := range []struct {
		name   string
		ctx    context.Context
		action authz.Action
		obj    authz.Object
		want   bool
	}{
		{"anyone reads the directory", anonymous, authz.ActRead, authz.Object{Kind: authz.KindDirectory, Domain: "fr/84"}, true},
		{"anonymous writes nothing", anonymous, authz.ActWrite, authz.Object{Kind: authz.KindDirectory, Domain: "fr/84"}, false},
		{"coordinator writes in her CPTS", claire, authz.ActWrite, authz.Object{Kind: authz.KindDirectory, Domain: "fr/28/76/cpts-rouen-nord/@str_x"}, true},
		{"coordinator not in the department", claire, authz.ActWrite, authz.Object{Kind: authz.KindDirectory, Domain: "fr/28/76"}, false},
		{"coordinator not in the sibling CPTS", claire, authz.ActWrite, authz.Object{Kind: authz.KindDirectory, Domain: "fr/28/76/cpts-le-havre"}, false},
		{"no patient by role", claire, authz.ActRead, authz.Object{Kind: authz.KindPatient, Domain: "fr"}, false},
		{"a patient through a relation", claire, authz.ActRead, authz.Object{Kind: authz.KindPatient, Domain: "fr", Relations: []string{"treating_gp"}}, true},
		{"not through an unknown relation", claire, authz.ActRead, authz.Object{Kind: authz.KindPatient, Domain: "fr", Relations: []string{"neighbour"}}, false},
		{"anonymous has no relation", anonymous, authz.ActRead, authz.Object{Kind: authz.KindPatient, Domain: "fr"}, false},
	} {
		if got := a.Allowed(c.ctx, c.action, c.obj); got != c.want {
			t.Errorf("%s: Allowed = %v, want %v", c.name, got, c.want)
		}
	}
	s := scope(t, a, claire, authz.ActWrite, authz.KindDirectory)
	if s.All || len(s.Domains) != 1 || s.Domains[0] != "fr/28/76/cpts-rouen-nord" {
		t.Errorf("Claire's directory write scope = %+v", s)
	}
	s = scope(t, a, claire, authz.ActRead, authz.KindPatient, "treating_gp", "recorder", "neighbour")
	if s.All || len(s.Domains) != 0 || len(s.Relations) != 2 {
		t.Errorf("Claire's patient read scope = %+v: relations only", s)
	}
	if s := scope(t, a, pgtest.As(t, db, "admin"), authz.ActRead, authz.KindPatient); !s.Empty() {
		t.Errorf("the national admin reads no patient by role, got %+v", s)
	}
}

// TestDecisionsDuringReload: decisions taken while the policies reload see
// the old set or the new one, never a broken one (run with -race).
func TestDecisionsDuringReload(t *testing.T) {
	db := pgtest.Seeded(t)
	claire := pgtest.As(t, db, "10003456781")
	obj := authz.Object{Kind: authz.KindDirectory, Domain: "fr/28/76/cpts-rouen-nord"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !db.Authz.Allowed(claire, authz.ActWrite, obj) {
					t.Error("a decision during a reload lost a grant")
					return
				}
				if _, err := db.Authz.Scope(claire, authz.ActRead, authz.KindPatient, "treating_gp"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 20 {
		if err := db.Authz.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

// BenchmarkCan is one decision on one object: a grant held above the
// object's domain, and a relation.
func BenchmarkCan(b *testing.B) {
	db := pgtest.Seeded(b)
	claire := pgtest.As(b, db, "10003456781")
	b.Run("grant", func(b *testing.B) {
		obj := authz.Object{Kind: authz.KindDirectory, Domain: "fr/28/76/cpts-rouen-nord/@str_x"}
		for b.Loop() {
			if db.Authz.Can(claire, authz.ActWrite, obj) != nil {
				b.Fatal("denied")
			}
		}
	})
	b.Run("denied", func(b *testing.B) {
		obj := authz.Object{Kind: authz.KindDirectory, Domain: "fr/84/69"}
		for b.Loop() {
			if db.Authz.Can(claire, authz.ActWrite, obj) == nil {
				b.Fatal("allowed")
			}
		}
	})
	b.Run("relation", func(b *testing.B) {
		obj := authz.Object{Kind: authz.KindPatient, Domain: "fr", Relations: []string{"treating_gp"}}
		for b.Loop() {
			if db.Authz.Can(claire, authz.ActRead, obj) != nil {
				b.Fatal("denied")
			}
		}
	})
}

// BenchmarkScope is one list filter.
func BenchmarkScope(b *testing.B) {
	db := pgtest.Seeded(b)
	claire := pgtest.As(b, db, "10003456781")
	b.Run("directory read (public)", func(b *testing.B) {
		for b.Loop() {
			db.Authz.Scope(claire, authz.ActRead, authz.KindDirectory)
		}
	})
	b.Run("directory write (grants)", func(b *testing.B) {
		for b.Loop() {
			db.Authz.Scope(claire, authz.ActWrite, authz.KindDirectory)
		}
	})
	b.Run("patient read (relations)", func(b *testing.B) {
		for b.Loop() {
			db.Authz.Scope(claire, authz.ActRead, authz.KindPatient, "treating_gp", "recorder")
		}
	})
}

// BenchmarkReload is the cost of reloading after a change.
func BenchmarkReload(b *testing.B) {
	db := pgtest.Seeded(b)
	for b.Loop() {
		if err := db.Authz.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanFirst is the first decision after a reload, before the
// snapshot remembers it: casbin's own evaluation.
func BenchmarkCanFirst(b *testing.B) {
	db := pgtest.Seeded(b)
	claire := pgtest.As(b, db, "10003456781")
	obj := authz.Object{Kind: authz.KindDirectory, Domain: "fr/28/76/cpts-rouen-nord/@str_x"}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := db.Authz.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if db.Authz.Can(claire, authz.ActWrite, obj) != nil {
			b.Fatal("denied")
		}
	}
}

// TestScopeOfFiftyTerritories: a caller holding a role in 50 local
// territories, in 2 departments above some of them, and twice in one place,
// gets the outermost domains only, whatever order the grants come in.
func TestScopeOfFiftyTerritories(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	shape := postgres.NationalShape{Departments: 5, LocalsPerDepartment: 10, Structures: 300, Professionals: 10, Seed: 3}
	if _, err := postgres.SeedNationalShape(ctx, db, shape); err != nil {
		t.Fatal(err)
	}
	var locals, departments []string
	if err := db.Select(&locals, `SELECT path FROM territories WHERE level = 'LOCAL' ORDER BY md5(path)`); err != nil || len(locals) != 50 {
		t.Fatalf("%d local territories, %v", len(locals), err)
	}
	if err := db.Select(&departments, `SELECT path FROM territories WHERE level = 'DEPARTMENT' ORDER BY path LIMIT 2`); err != nil {
		t.Fatal(err)
	}
	var account string
	if err := db.Get(&account, `INSERT INTO accounts (login, display_name) VALUES ('ars-50', 'ARS') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for _, d := range append(append(locals, departments...), locals[7]+"/@str_0") {
		if _, err := db.Exec(`INSERT INTO role_grants (account_id, role, domain) VALUES ($1, 'ars_agent', $2)`, account, d); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{departments[0]: true, departments[1]: true}
	for _, l := range locals {
		if !authz.Within(l, departments[0]) && !authz.Within(l, departments[1]) {
			want[l] = true
		}
	}
	caller := maillage.WithIdentity(ctx, maillage.Identity{AccountID: account, Login: "ars-50"})
	s := scope(t, db.Authz, caller, authz.ActWrite, authz.KindDirectory)
	if s.All || len(s.Domains) != len(want) {
		t.Fatalf("scope of %d domains, want the %d outermost: %v", len(s.Domains), len(want), s.Domains)
	}
	for _, d := range s.Domains {
		if !want[d] {
			t.Errorf("scope holds %s, which is not outermost", d)
		}
	}
	if !db.Authz.Allowed(caller, authz.ActWrite, authz.Object{Kind: authz.KindDirectory, Domain: locals[49] + "/@str_1"}) {
		t.Error("a grant on a local territory does not hold on its structures")
	}
}

// scope is Scope for a test: it fails the test on an error.
func scope(t *testing.T, a *authz.Authorizer, ctx context.Context, action authz.Action, kind string, relations ...string) authz.Scope {
	t.Helper()
	s, err := a.Scope(ctx, action, kind, relations...)
	if err != nil {
		t.Fatalf("scope of %s %s: %v", action, kind, err)
	}
	return s
}

// TestScopeOfUnreadableGrantsIsAnError: when a caller's grants cannot be
// read (here the function that computes them is gone), Scope is an error,
// never the narrower scope of someone with no grant; a kind the public may
// read needs no grant and still gets its scope.
func TestScopeOfUnreadableGrantsIsAnError(t *testing.T) {
	db := pgtest.Seeded(t)
	claire := pgtest.As(t, db, "10003456781")
	if s := scope(t, db.Authz, claire, authz.ActRead, authz.KindPatient, "treating_gp"); len(s.Relations) != 1 {
		t.Fatalf("before: Claire's patient read scope = %+v", s)
	}
	if _, err := db.ExecContext(context.Background(), `DROP FUNCTION authz_account_grants(text)`); err != nil {
		t.Fatal(err)
	}
	db.Authz.ForgetAll()
	for _, kind := range []string{authz.KindPatient, authz.KindReferral, authz.KindESCAP, authz.KindAudit} {
		if s, err := db.Authz.Scope(claire, authz.ActRead, kind, "treating_gp"); err == nil {
			t.Errorf("%s: grants unreadable, want an error, got the scope %+v", kind, s)
		}
	}
	if _, err := db.Authz.Scope(claire, authz.ActWrite, authz.KindDirectory); err == nil {
		t.Error("directory write: grants unreadable, want an error")
	}
	if s := scope(t, db.Authz, claire, authz.ActRead, authz.KindDirectory); !s.All {
		t.Errorf("the public reads the directory: want all of it without grants, got %+v", s)
	}
}
