package postgres_test

import (
	"context"
	"testing"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
	"github.com/maillage/maillage/postgres/pgtest"
)

// TestListsFollowTheVisibilityTable: with the directory no longer public
// and readable by ARS agents in their region, each directory list shows
// exactly what authz.Lists says of its type, for an agent of Normandie, and
// nothing to a professional.
func TestListsFollowTheVisibilityTable(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Seeded(t)
	db.MustExec(`DELETE FROM authz_policies WHERE subject = 'public' AND object = 'directory'`)
	db.MustExec(`INSERT INTO authz_policies (subject, object, action) VALUES ('ars_agent', 'directory', 'read')`)
	if err := db.Authz.ReloadPolicies(ctx); err != nil {
		t.Fatal(err)
	}
	page := maillage.PageArgs{First: 100}
	var allPaths, allDomains []string
	db.Select(&allPaths, `SELECT path FROM territories`)
	db.Select(&allDomains, `SELECT t.path || '/@' || s.id FROM structures s JOIN territories t ON t.id = s.territory_id WHERE s.archived_at IS NULL`)
	professionals := count(t, db, `SELECT count(*) FROM professionals WHERE archived_at IS NULL`)

	for _, login := range []string{"ars-normandie", "10003456782"} {
		caller := pgtest.As(t, db, login)
		scope, err := db.Authz.Scope(caller, authz.ActRead, authz.KindDirectory)
		if err != nil {
			t.Fatal(err)
		}
		territories, err := db.Directory.FindTerritories(caller, maillage.TerritoryFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		shown := map[string]bool{}
		for _, e := range territories.Edges {
			shown[e.Node.Path] = true
		}
		checkList(t, login, "Territory", scope, allPaths, shown)

		structures, err := db.Directory.FindStructures(caller, maillage.StructureFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		shown = map[string]bool{}
		for _, e := range structures.Edges {
			shown[e.Node.Domain] = true
		}
		checkList(t, login, "Structure", scope, allDomains, shown)

		n, err := db.Directory.CountProfessionals(caller, maillage.ProfessionalFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if scope.Visible(authz.Lists["Professional"].Visibility, "") {
			want = professionals
		}
		if n != want {
			t.Errorf("%s sees %d professionals, the table says %d", login, n, want)
		}
	}
}

// checkList fails unless shown holds exactly the domains of all that the
// table's rule for typ makes visible in scope, and is neither empty nor
// everything for the agent.
func checkList(t *testing.T, login, typ string, scope authz.Scope, all []string, shown map[string]bool) {
	t.Helper()
	visible := 0
	for _, d := range all {
		want := scope.Visible(authz.Lists[typ].Visibility, d)
		if want {
			visible++
		}
		if shown[d] != want {
			t.Errorf("%s, %s at %s: shown %v, the table says %v", login, typ, d, shown[d], want)
		}
	}
	if login == "ars-normandie" && (visible == 0 || visible == len(all)) {
		t.Errorf("%s: %d of %d %s visible: the case tells nothing", login, visible, len(all), typ)
	}
}
