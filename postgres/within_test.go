package postgres_test

import (
	"testing"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// within is the one "in or below" test of paths and domains: a path is
// within itself and its descendants, not within a sibling sharing a prefix,
// and "_" or "%" in a domain match only themselves.
func TestWithinAtTheBoundaries(t *testing.T) {
	db := pgtest.New(t)
	for _, tc := range []struct {
		domain, pattern string
		want            bool
	}{
		{"fr/28", "fr/28", true},
		{"fr/28/76", "fr/28", true},
		{"fr/28/76/@str_0a", "fr/28", true},
		{"fr/280", "fr/28", false},
		{"fr/2", "fr/28", false},
		{"fr", "fr/28", false},
		{"fr/28/76/@str_0a", "fr/28/76/@str_0a", true},
		{"fr/28/76/@str_0a/x", "fr/28/76/@str_0a", true},
		{"fr/28/76/@strX0a", "fr/28/76/@str_0a", false},
		{"fr/28/76/@strX0a/x", "fr/28/76/@str_0a", false},
		{"fr/28/76/@str_0a", "fr/28/76/@str%", false},
		{"fr/28/76/@str_0a", "fr/28/76/@str_", false},
	} {
		var got bool
		if err := db.Get(&got, `SELECT within($1, $2)`, tc.domain, tc.pattern); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("within(%q, %q) = %v, want %v", tc.domain, tc.pattern, got, tc.want)
		}
	}
}

// A territory list within "fr/28" leaves out a sibling "fr/280".
func TestWithinFilterStopsAtPathBoundaries(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := pgtest.As(t, db, "admin")
	if _, err := db.Exec(`INSERT INTO territories (code, name, level, path, parent_id)
		VALUES ('280', 'Not Normandie', 'REGION', 'fr/280', (SELECT id FROM territories WHERE path = 'fr'))`); err != nil {
		t.Fatal(err)
	}
	normandie := territoryID(t, db, "fr/28")
	conn, err := db.Directory.FindTerritories(ctx, maillage.TerritoryFilter{Within: &normandie}, maillage.PageArgs{First: 100})
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Directory.CountTerritoriesWithin(ctx, []string{normandie}, maillage.TerritoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range conn.Edges {
		if e.Node.Path == "fr/280" {
			t.Fatalf("fr/280 is listed within fr/28")
		}
	}
	if want := count(t, db, `SELECT count(*) FROM territories WHERE path = 'fr/28' OR path LIKE 'fr/28/%'`); len(conn.Edges) != want || n[0] != want {
		t.Fatalf("%d territories listed, %d counted within fr/28, want %d", len(conn.Edges), n[0], want)
	}
}

// Nested pages are loaded for many parents in one call, each page cut and
// continued (after its cursor) on its own, and equal to the root list with
// that parent as its Within.
func TestNestedPagesMatchTheRootList(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := pgtest.As(t, db, "admin")
	parents := []string{territoryID(t, db, "fr/28"), territoryID(t, db, "fr/28/76"), "ter_nope"}
	for _, page := range []maillage.PageArgs{{First: 2}, {First: 100}} {
		structures, err := db.Directory.FindStructuresWithin(ctx, parents, maillage.StructureFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		territories, err := db.Directory.FindTerritoriesWithin(ctx, parents, maillage.TerritoryFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		counts, err := db.Directory.CountStructuresWithin(ctx, parents, maillage.StructureFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range parents[:2] {
			root, err := db.Directory.FindStructures(ctx, maillage.StructureFilter{Within: &p}, page)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := names(structures[i]), names(root); len(got) == 0 || !equal(got, want) || structures[i].PageInfo.HasNextPage != root.PageInfo.HasNextPage {
				t.Fatalf("structures within %s: %v, root list %v", p, got, want)
			}
			n, _ := db.Directory.CountStructures(ctx, maillage.StructureFilter{Within: &p})
			if counts[i] != n {
				t.Fatalf("count within %s: %d, root count %d", p, counts[i], n)
			}
			rootT, _ := db.Directory.FindTerritories(ctx, maillage.TerritoryFilter{Within: &p}, page)
			if len(territories[i].Edges) != len(rootT.Edges) || territories[i].PageInfo.HasNextPage != rootT.PageInfo.HasNextPage {
				t.Fatalf("territories within %s: %d %+v, root list %d %+v", p, len(territories[i].Edges), territories[i].PageInfo, len(rootT.Edges), rootT.PageInfo)
			}
			if page.First == 2 { // the next page continues where this one stopped
				next := maillage.PageArgs{First: 2, After: *structures[i].PageInfo.EndCursor}
				more, err := db.Directory.FindStructuresWithin(ctx, []string{p}, maillage.StructureFilter{}, next)
				rootMore, _ := db.Directory.FindStructures(ctx, maillage.StructureFilter{Within: &p}, next)
				if err != nil || !equal(names(more[0]), names(rootMore)) {
					t.Fatalf("next page within %s: %v (%v), root %v", p, names(more[0]), err, names(rootMore))
				}
			}
		}
		if len(structures[2].Edges) != 0 || counts[2] != 0 {
			t.Fatalf("unknown parent: %d structures, count %d", len(structures[2].Edges), counts[2])
		}
	}
}

func names(c *maillage.StructureConnection) []string {
	var out []string
	for _, e := range c.Edges {
		out = append(out, e.Node.Name)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Grouped loads give an empty list, never nil, to a key with no row.
func TestGroupedLoadsGiveEmptyLists(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := pgtest.As(t, db, "admin")
	none := []string{"str_00000000000000000000000000000000"}
	members, err := db.Directory.MembershipPages(ctx, maillage.MembershipsOfStructure, none, maillage.MembershipFilter{}, maillage.PageArgs{Count: true})
	if err != nil || members[0] == nil || members[0].Edges == nil || members[0].TotalCount != 0 {
		t.Fatalf("memberships of a structure with none: %#v, %v", members, err)
	}
	links, err := db.Directory.LinksByStructureIDs(ctx, none)
	if err != nil || links[0] == nil {
		t.Fatalf("links of a structure with none: %#v, %v", links, err)
	}
	history, err := db.Referrals.HistoryByReferralIDs(ctx, []string{"ref_00000000000000000000000000000000"})
	if err != nil || history[0] == nil {
		t.Fatalf("history of no referral: %#v, %v", history, err)
	}
}

// Every page size a caller may ask reads its page, cut where it should be,
// from a few statement texts: the page size is written into a structure
// page's statement (pageLimit), and each text is prepared and kept (up to
// maxPrepared, then every new text is planned on each call), so one text
// per size would let any reader of the directory fill the cache with one
// list.
func TestStructurePageSizesShareTheirStatements(t *testing.T) {
	db := pgtest.Seeded(t)
	ctx := pgtest.As(t, db, "admin")
	root := territoryID(t, db, "fr")
	all, err := db.Directory.FindStructures(ctx, maillage.StructureFilter{Within: &root}, maillage.PageArgs{First: maillage.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	before := postgres.PreparedStatements(db)
	for n := 1; n <= maillage.MaxPageSize; n++ {
		page := maillage.PageArgs{First: n}
		conn, err := db.Directory.FindStructures(ctx, maillage.StructureFilter{Within: &root}, page)
		if err != nil {
			t.Fatal(err)
		}
		within, err := db.Directory.FindStructuresWithin(ctx, []string{root}, maillage.StructureFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		want := names(all)[:min(n, len(all.Edges))]
		for _, c := range []*maillage.StructureConnection{conn, within[0]} {
			if got := names(c); !equal(got, want) || c.PageInfo.HasNextPage != (n < len(all.Edges)) {
				t.Fatalf("a page of %d: %v (next %v), want %v (next %v)", n, got, c.PageInfo.HasNextPage, want, n < len(all.Edges))
			}
		}
	}
	if grown := postgres.PreparedStatements(db) - before; grown > 16 {
		t.Fatalf("pages of 1 to %d structures prepared %d statements: want a few", maillage.MaxPageSize, grown)
	}
}
