package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// A relation is a named SQL predicate telling whether the caller has that
// relation with one object: "treating_gp" of a patient, "care_circle" of an
// ESCAP, "requester" of a referral… Need-to-know access is decided by the
// authorizer from the relations the caller has ("rel:<name>" subjects), and
// list filters are the same predicates, so every door applies one rule.
//
// In a predicate, :id stands for the object's id expression, :pro for the
// caller's professional id and :acc for the caller's account id.
type relation struct {
	name      string
	predicate string
}

// relations lists, per object kind, the relations the hub can test. Each
// area adds its own in an init function.
var relations = map[string][]relation{}

// addRelation registers a relation of a kind.
func addRelation(kind, name, predicate string) {
	relations[kind] = append(relations[kind], relation{name: name, predicate: predicate})
}

// relationNames lists the relations known for kind, for authz.Scope.
func relationNames(kind string) []string {
	names := make([]string, 0, len(relations[kind]))
	for _, r := range relations[kind] {
		names = append(names, r.name)
	}
	return names
}

// callerRelations returns the relations the caller in ctx has with object id
// of kind, in one statement.
func callerRelations(ctx context.Context, q sqlx.QueryerContext, kind, id string) ([]string, error) {
	rels := relations[kind]
	if len(rels) == 0 {
		return nil, nil
	}
	if maillage.IdentityFrom(ctx).Anonymous() {
		return nil, nil
	}
	p := params{id}
	caller := callerOf(ctx, &p)
	cols := make([]string, len(rels))
	for i, r := range rels {
		cols[i] = fmt.Sprintf("CASE WHEN %s THEN %s END", expand(r.predicate, "$1", caller), quoteLiteral(r.name))
	}
	query := `SELECT x FROM unnest(ARRAY[` + strings.Join(cols, ", ") + `]::text[]) x WHERE x IS NOT NULL`
	var names []string
	if err := sqlx.SelectContext(ctx, q, &names, query, p...); err != nil {
		return nil, fmt.Errorf("relations with %s: %w", kind, err)
	}
	sort.Strings(names)
	return names, nil
}

// relationFilter returns a SQL condition true when the caller has one of the
// allowed relations with the object at idExpr ("FALSE" when none is allowed).
func relationFilter(kind, idExpr string, allowed []string, caller *callerParams) string {
	var conds []string
	for _, r := range relations[kind] {
		for _, a := range allowed {
			if a == r.name {
				conds = append(conds, "("+expand(r.predicate, idExpr, caller)+")")
			}
		}
	}
	if len(conds) == 0 {
		return "FALSE"
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
