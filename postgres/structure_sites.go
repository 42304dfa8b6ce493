package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

// SetStructureSites replaces a structure's sites, for who may write the
// structure; two sites may not share a name and a commune.
func (db *DirectoryService) SetStructureSites(ctx context.Context, structureID string, sites []maillage.StructureSiteInput) ([]*maillage.StructureSite, error) {
	names, communes := make(pq.StringArray, len(sites)), make(pq.StringArray, len(sites))
	seen := map[string]bool{}
	for i, s := range sites {
		field := fmt.Sprintf("sites[%d]", i)
		if err := maillage.ValidateName(field+".name", s.Name); err != nil {
			return nil, err
		}
		c := maillage.CanonicalCommune(s.Commune)
		if err := maillage.ValidateCommune(field+".commune", c); err != nil {
			return nil, err
		}
		key := maillage.ProfessionKey(s.Name) + "|" + c
		if seen[key] {
			return nil, maillage.InvalidField(field+".name", "site %q in %s appears twice", s.Name, c)
		}
		seen[key] = true
		names[i], communes[i] = s.Name, c
	}
	var out []*maillage.StructureSite
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		st, err := db.lockStructure(ctx, tx, structureID)
		if err != nil {
			return err
		}
		if err := db.canWriteDirectory(ctx, st.Domain); err != nil {
			return err
		}
		if st.ArchivedAt != nil {
			return maillage.Errorf(maillage.ECONFLICT, "structure is archived")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM structure_sites WHERE structure_id = $1`, structureID); err != nil {
			return err
		}
		const q = `INSERT INTO structure_sites (structure_id, name, commune, position)
			SELECT $1, s.name, s.commune, s.n FROM unnest($2::text[], $3::text[]) WITH ORDINALITY s(name, commune, n)
			RETURNING id, structure_id, name, commune, position`
		if err := tx.SelectContext(ctx, &out, q, structureID, names, communes); err != nil {
			return mapError(err)
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventStructureUpdated, SubjectID: st.ID, Domain: st.Domain})
	})
	if err != nil {
		return nil, fmt.Errorf("set structure sites: %w", err)
	}
	return out, nil
}

// SitesByStructureIDs loads the sites of many structures in one statement,
// for whoever may read the directory.
func (db *DirectoryService) SitesByStructureIDs(ctx context.Context, ids []string) ([][]*maillage.StructureSite, error) {
	var rows []*maillage.StructureSite
	ok, err := db.readsDirectory(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		const q = `SELECT id, structure_id, name, commune, position FROM structure_sites WHERE structure_id = ANY($1) ORDER BY structure_id, position`
		if err := db.SelectContext(ctx, &rows, q, pq.StringArray(ids)); err != nil {
			return nil, fmt.Errorf("structure sites: %w", err)
		}
	}
	return groupByID(ids, rows, func(s *maillage.StructureSite) string { return s.StructureID }), nil
}
