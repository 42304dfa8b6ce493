package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

func init() {
	conflictMessages["mssante_addresses_pkey"] = "mssante: this MSSanté address is another holder's (a nominative address is one professional's, an organisational one a structure's)"
}

// LinkRules returns the configured link rules, by kind, for whoever may
// read the directory (none for the others).
func (db *DirectoryService) LinkRules(ctx context.Context) ([]maillage.LinkRule, error) {
	var rules []maillage.LinkRule
	if ok, err := db.readsDirectory(ctx); !ok {
		return rules, err
	}
	if err := db.SelectContext(ctx, &rules, `SELECT kind, from_kind, to_kind FROM structure_link_rules ORDER BY kind, from_kind, to_kind`); err != nil {
		return nil, fmt.Errorf("link rules: %w", err)
	}
	return rules, nil
}

// checkLinkRule refuses a link that no configured rule allows, naming the
// pairs that are allowed for its kind.
func checkLinkRule(ctx context.Context, tx *sqlx.Tx, kind maillage.LinkKind, from, to *maillage.Structure) error {
	var rules []maillage.LinkRule
	if err := tx.SelectContext(ctx, &rules, `SELECT kind, from_kind, to_kind FROM structure_link_rules WHERE kind = $1 ORDER BY from_kind, to_kind`, kind); err != nil {
		return fmt.Errorf("link rules: %w", err)
	}
	allowed := make([]string, len(rules))
	for i, r := range rules {
		if r.Allows(kind, from.Kind, to.Kind) {
			return nil
		}
		allowed[i] = r.FromKind + " → " + r.ToKind
	}
	return maillage.InvalidField("input.kind", "a %s cannot be %s a %s (allowed: %s)", from.Kind, kind, to.Kind, strings.Join(allowed, ", "))
}

// FindMSSanteAddress returns the holder of an address, for whoever may read
// the directory.
func (db *DirectoryService) FindMSSanteAddress(ctx context.Context, address string) (*maillage.MSSanteAddress, error) {
	if ok, err := db.readsDirectory(ctx); err != nil {
		return nil, err
	} else if !ok {
		return nil, maillage.NotFound("MSSanté address")
	}
	var a maillage.MSSanteAddress
	const q = `SELECT address, kind, professional_id, structure_id FROM mssante_addresses WHERE address = lower($1)`
	if err := db.GetContext(ctx, &a, q, strings.TrimSpace(address)); err != nil {
		if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
			return nil, maillage.NotFound("MSSanté address")
		}
		return nil, fmt.Errorf("mssante address: %w", err)
	}
	return &a, nil
}
