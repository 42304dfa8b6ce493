package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// TestAccountGrantsMatchTheView: the one-account statement the authorizer
// reads gives, for every account, exactly what the authz_grants view gives.
func TestAccountGrantsMatchTheView(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Seeded(t)
	db.MustExec(`UPDATE accounts SET disabled_at = now() WHERE login = '10003456782'`)
	store := postgres.NewAuthzStore(db.DB)
	var accounts []string
	if err := db.Select(&accounts, `SELECT id FROM accounts ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, id := range accounts {
		got, err := store.AccountGrants(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var want []maillage.Grant
		if err := db.Select(&want, `SELECT role, domain FROM authz_grants WHERE subject = 'account:' || $1 ORDER BY domain, role`, id); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("account %s: %v, the view says %v", id, got, want)
		}
	}
}

// instance is a second authorizer on db's database, kept up to date by its
// own listener, as another hub instance's is.
func instance(t *testing.T, db *postgres.DB) *authz.Authorizer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := authz.New(ctx, postgres.NewAuthzStore(db.DB))
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.ListenAuthz(ctx, db.DSN, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// eventually polls check until it holds, failing after a second: the issue's
// bound for a change to reach every instance.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	for end := time.Now().Add(time.Second); !check(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within a second", what)
		}
	}
}

// TestGrantChangesForgetOnlyTheirAccounts: a role granted, a membership
// that confers a role, a professional archived and an account disabled on
// one instance reach another within a second, and that instance forgets
// the account concerned and no other.
func TestGrantChangesForgetOnlyTheirAccounts(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Seeded(t)
	other := instance(t, db)
	admin := pgtest.As(t, db, "admin")
	kine, gp := pgtest.As(t, db, "10003456784"), pgtest.As(t, db, "10003456782")
	kineID, gpID := maillage.IdentityFrom(kine).AccountID, maillage.IdentityFrom(gp).AccountID
	inLyon := authz.Object{Kind: authz.KindDirectory, Domain: "fr/84/69"}
	havre := authz.Object{Kind: authz.KindDirectory, Domain: "fr/28/76/cpts-le-havre/@str_x"}
	warm := func() {
		other.Allowed(kine, authz.ActWrite, inLyon)
		other.Allowed(gp, authz.ActWrite, inLyon)
	}
	stillCached := func(what string) {
		t.Helper()
		if !other.IsCached(gpID) {
			t.Errorf("%s: another account's grants were forgotten", what)
		}
	}

	warm()
	g, err := db.Policies.GrantRole(admin, maillage.RoleGrantInput{Login: "10003456784", Role: "ars_agent", Domain: "fr/84"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "a role granted applies on the other instance", func() bool { return other.Allowed(kine, authz.ActWrite, inLyon) })
	stillCached("grantRole")

	warm()
	if _, err := db.Policies.RevokeRole(admin, g.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a role revoked stops applying", func() bool { return !other.Allowed(kine, authz.ActWrite, inLyon) })
	stillCached("revokeRole")

	warm()
	other.Allowed(kine, authz.ActWrite, havre)
	var cpts, kinePro string
	db.Get(&cpts, `SELECT id FROM structures WHERE name = 'CPTS du Havre'`)
	db.Get(&kinePro, `SELECT professional_id FROM accounts WHERE id = $1`, kineID)
	if _, err := db.Directory.AddMembership(admin, maillage.MembershipInput{ProfessionalID: kinePro, StructureID: cpts, Role: maillage.MemberRoleCoordinator}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a coordinator membership applies", func() bool { return other.Allowed(kine, authz.ActWrite, havre) })
	stillCached("addMembership")

	warm()
	if _, err := db.Directory.ArchiveProfessional(admin, kinePro); err != nil {
		t.Fatal(err)
	}
	eventually(t, "archiving the professional ends the role", func() bool { return !other.Allowed(kine, authz.ActWrite, havre) })
	stillCached("archiveProfessional")

	// An archived professional's account holds nothing, explicit grants
	// included, until the professional is restored (by hand in SQL: the
	// trigger announces it all the same).
	db.MustExec(`INSERT INTO role_grants (account_id, role, domain) VALUES ($1, 'auditor', 'fr/84')`, kineID)
	warm()
	if other.Allowed(kine, authz.ActRead, authz.Object{Kind: authz.KindAudit, Domain: "fr/84"}) {
		t.Fatal("an archived professional's account holds an explicit grant")
	}
	db.MustExec(`UPDATE professionals SET archived_at = NULL WHERE id = $1`, kinePro)
	eventually(t, "a restored professional's grant applies", func() bool {
		return other.Allowed(kine, authz.ActRead, authz.Object{Kind: authz.KindAudit, Domain: "fr/84"})
	})

	// An account disabled by hand in SQL is announced all the same.
	db.MustExec(`INSERT INTO role_grants (account_id, role, domain) VALUES ($1, 'ars_agent', 'fr/84')`, kineID)
	eventually(t, "a grant inserted in SQL applies", func() bool { return other.Allowed(kine, authz.ActWrite, inLyon) })
	warm()
	db.MustExec(`UPDATE accounts SET disabled_at = now() WHERE id = $1`, kineID)
	eventually(t, "a disabled account holds nothing", func() bool { return !other.Allowed(kine, authz.ActWrite, inLyon) })
	stillCached("disabled account")
	_ = ctx
}

// TestMissedNotificationsForgetEverything: while the listener's connection
// is down, a revocation cannot be announced; the instance keeps nothing
// meanwhile and forgets everything when it is back, so the revoked grant
// never applies again.
func TestMissedNotificationsForgetEverything(t *testing.T) {
	db := pgtest.Seeded(t)
	other := instance(t, db)
	ars := pgtest.As(t, db, "ars-normandie")
	rouen := authz.Object{Kind: authz.KindDirectory, Domain: "fr/28/76"}
	if !other.Allowed(ars, authz.ActWrite, rouen) {
		t.Fatal("the ARS agent may not write in her region")
	}
	// Cut the listener's connection, and revoke in the same breath: the
	// notification goes to nobody.
	var cut int
	err := db.Get(&cut, `WITH l AS (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()),
		r AS (UPDATE role_grants SET revoked_at = now()
			WHERE account_id = (SELECT id FROM accounts WHERE login = 'ars-normandie') AND revoked_at IS NULL RETURNING 1)
		SELECT count(*) FROM l`)
	if err != nil || cut == 0 {
		t.Fatalf("no listener cut (%d): %v", cut, err)
	}
	eventually(t, "the revocation applies despite the missed notification", func() bool {
		return !other.Allowed(ars, authz.ActWrite, rouen)
	})
	// And once back, the instance listens and caches again.
	eventually(t, "the listener is back", func() bool {
		var n int
		db.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`)
		return n > 0
	})
	eventually(t, "the instance caches again", func() bool {
		other.Allowed(ars, authz.ActWrite, rouen)
		return other.IsCached(maillage.IdentityFrom(ars).AccountID)
	})
	db.MustExec(`INSERT INTO role_grants (account_id, role, domain) SELECT id, 'ars_agent', 'fr/28' FROM accounts WHERE login = 'ars-normandie'`)
	eventually(t, "a grant after the reconnection applies", func() bool { return other.Allowed(ars, authz.ActWrite, rouen) })
}

// TestParseAuthzChange reads the notifications the triggers send.
func TestParseAuthzChange(t *testing.T) {
	for payload, want := range map[string]string{
		"policy":            "{Policies:true Accounts:[] All:false}",
		"accounts:acc_1":    "{Policies:false Accounts:[acc_1] All:false}",
		"accounts:a,b":      "{Policies:false Accounts:[a b] All:false}",
		"all":               "{Policies:false Accounts:[] All:true}",
		"grants":            "{Policies:false Accounts:[] All:true}",
		"something unknown": "{Policies:false Accounts:[] All:true}",
	} {
		if got := fmt.Sprintf("%+v", postgres.ParseAuthzChange(payload)); got != want {
			t.Errorf("%q: %s, want %s", payload, got, want)
		}
	}
}
