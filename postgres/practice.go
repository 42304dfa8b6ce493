package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

// SetPracticeCommunes replaces the communes of a professional's RPPS
// activity addresses. The professional may set their own; otherwise it is
// a directory write on the professional (as updateProfessional).
func (db *DirectoryService) SetPracticeCommunes(ctx context.Context, professionalID string, communes []string) ([]string, error) {
	canon := make([]string, 0, len(communes))
	for i, c := range communes {
		c = maillage.CanonicalCommune(c)
		if err := maillage.ValidateCommune(fmt.Sprintf("communes[%d]", i), c); err != nil {
			return nil, err
		}
		if !slices.Contains(canon, c) {
			canon = append(canon, c)
		}
	}
	slices.Sort(canon)
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := db.findProfessional(ctx, tx, `p.id = $1`, professionalID); err != nil {
			return err
		}
		if maillage.IdentityFrom(ctx).ProfessionalID != professionalID {
			if err := db.canWriteProfessional(ctx, tx, professionalID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM professional_practice_communes WHERE professional_id = $1`, professionalID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO professional_practice_communes (professional_id, commune)
			SELECT $1, unnest($2::text[])`, professionalID, pq.StringArray(canon))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set practice communes: %w", err)
	}
	return canon, nil
}

// practisesIn reports whether a professional practises in or below a
// territory: a current membership of a structure there, or one of their
// practice communes in its department.
func practisesIn(ctx context.Context, tx *sqlx.Tx, professionalID string, territoryPath string) (bool, error) {
	var communes []string
	const q = `SELECT commune FROM professional_practice_communes WHERE professional_id = $1`
	if err := tx.SelectContext(ctx, &communes, q, professionalID); err != nil {
		return false, fmt.Errorf("practice communes: %w", err)
	}
	if dept := maillage.DepartmentOfPath(territoryPath); dept != "" {
		for _, c := range communes {
			if maillage.DepartmentOfCommune(c) == dept {
				return true, nil
			}
		}
	}
	const practises = `SELECT EXISTS (SELECT 1 FROM memberships m JOIN structures s ON s.id = m.structure_id
		JOIN territories st ON st.id = s.territory_id
		WHERE m.professional_id = $1 AND m.ended_at IS NULL AND s.archived_at IS NULL AND within(st.path, $2))`
	var ok bool
	if err := tx.GetContext(ctx, &ok, practises, professionalID, territoryPath); err != nil {
		return false, fmt.Errorf("initiator's territory: %w", err)
	}
	return ok, nil
}
