package postgres

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// The columns of the RPPS extract PS_LibreAcces_Personne_activite_<date>.txt
// the importer reads, by their header name (the file has 56; their order is
// not relied upon), spelt as in the header of the file published in 2026.
const (
	rppsColID         = "Identifiant PP"
	rppsColLastName   = "Nom d'exercice"
	rppsColFirstName  = "Prénom d'exercice"
	rppsColProfession = "Libellé profession"
	rppsColSpecialty  = "Libellé savoir-faire"
	rppsColSIRET      = "Numéro SIRET site"
	rppsColFINESS     = "Numéro FINESS site"
	rppsColCommune    = "Code commune (coord. structure)"
	rppsColDepartment = "Code Département (structure)"
)

// RPPSImport counts what ImportRPPS did. Read is the data lines read (the
// header excluded); Outside those left out by ImportOptions.Departments;
// Professionals the distinct valid RPPS among the rest (the file has one
// line per activity); Joined and Left the memberships the activities
// started and ended; Relocated the professionals already in the directory
// whose practice communes changed.
type RPPSImport struct {
	Read, Outside, Professionals, Inserted, Updated, Archived, Rejected int
	Joined, Left, Relocated                                             int
	Took                                                                time.Duration
}

// String is the one-line summary.
func (r *RPPSImport) String() string {
	return fmt.Sprintf("rpps: %d lines read, %d outside the departments, %d professionals, %d inserted, %d updated, %d archived, "+
		"%d memberships started, %d ended, %d with new practice communes, %d rejected in %s",
		r.Read, r.Outside, r.Professionals, r.Inserted, r.Updated, r.Archived, r.Joined, r.Left, r.Relocated, r.Rejected,
		r.Took.Round(time.Millisecond))
}

// rppsAuditRole is the role the RPPS import's audit records carry.
const rppsAuditRole = "system:import_rpps"

// ImportRPPS loads an RPPS PS_LibreAcces_Personne_activite extract (UTF-8,
// '|'-separated, one header line, one line per activity) into the
// directory of professionals and their memberships, streaming it in
// bounded memory.
//
// In one transaction it COPYs the valid lines into a staging table, then
// upserts by RPPS: a new RPPS is created, a changed name, profession or
// specialty is updated (a professional the import archived earlier who is
// back in the file is restored; one archived by hand stays archived), and a
// professional of the import's absent from the file (or outside
// opt.Departments) is archived (never deleted), their memberships ended and
// their care-team places left. The import's professionals are those it
// created or found in a file (professionals.source): one entered by hand
// that no file has listed is never archived by it.
// The identity, profession and specialty of a professional come from their
// first line in the file.
//
// An activity whose structure is in the directory (by the site's FINESS or
// SIRET) makes the professional a MEMBER of it, unless they already are;
// such a membership is the import's, and ends when its activity leaves the
// file. Memberships made by hand are never touched, except that archiving a
// professional ends all of theirs. A restored professional gets the
// memberships of their activities back (new ones: the ended ones stay as
// history).
//
// Each change appends its directory event and its audit record (role
// system:import_rpps), as the mutations do. A second import of the same
// file changes nothing.
//
// A line that cannot be imported (bad RPPS, missing name or profession) is
// written to opt.Rejects as "line N: reason" and skipped. An empty file (no
// valid line) is refused: it would archive the whole directory. If ctx is
// cancelled or anything fails the transaction is rolled back and the
// directory is as it was. After the commit the authorizer is reloaded once.
func ImportRPPS(ctx context.Context, db *DB, r io.Reader, opt ImportOptions) (*RPPSImport, error) {
	start := time.Now()
	rep := &RPPSImport{}
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("import rpps: %w", err)
	}
	ctx = importContext(ctx, "rpps")
	err := importTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := stageRPPS(ctx, tx, r, opt, rep); err != nil {
			return err
		}
		return upsertRPPS(ctx, tx, rep)
	})
	if err != nil {
		return nil, fmt.Errorf("import rpps: %w", err)
	}
	if db.Authz != nil {
		// Memberships imply roles: one reload for all.
		if err := db.Authz.Reload(context.WithoutCancel(ctx)); err != nil {
			return nil, fmt.Errorf("import rpps: %w", err)
		}
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// stageRPPS reads the file into the temporary table rpps_staging.
func stageRPPS(ctx context.Context, tx *sqlx.Tx, r io.Reader, opt ImportOptions, rep *RPPSImport) error {
	const create = `CREATE TEMPORARY TABLE rpps_staging (line int NOT NULL, rpps text NOT NULL, first_name text NOT NULL,
		last_name text NOT NULL, profession text NOT NULL, specialty text, siret text, finess text, commune text) ON COMMIT DROP`
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("staging table: %w", err)
	}
	x, err := newPipeExtract(r, "an RPPS activity extract", rejectWriter(opt.Rejects, &rep.Rejected),
		rppsColID, rppsColLastName, rppsColFirstName, rppsColProfession, rppsColSpecialty, rppsColSIRET, rppsColFINESS, rppsColCommune)
	if err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `COPY rpps_staging (line, rpps, first_name, last_name, profession, specialty, siret, finess, commune) FROM STDIN`)
	if err != nil {
		return fmt.Errorf("copy staging: %w", err)
	}
	defer stmt.Close()
	for x.next() {
		if x.read%importBatch == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if opt.Progress != nil {
				opt.Progress(x.read)
			}
		}
		if len(opt.Departments) > 0 && !opt.keeps(rppsDepartment(x)) {
			rep.Outside++
			continue
		}
		rpps, first, last, profession := x.get(rppsColID), x.get(rppsColFirstName), x.get(rppsColLastName), x.get(rppsColProfession)
		if reason := checkRPPSLine(rpps, first, last, profession); reason != "" {
			if err := x.reject(x.line, reason); err != nil {
				return err
			}
			continue
		}
		if _, err := stmt.ExecContext(ctx, x.line, rpps, first, last, profession, nullable(x.get(rppsColSpecialty)),
			nullable(x.get(rppsColSIRET)), nullable(maillage.CanonicalFINESS(x.get(rppsColFINESS))), nullable(rppsCommune(x))); err != nil {
			return fmt.Errorf("copy staging: %w", err)
		}
	}
	rep.Read = x.read
	if err := x.err(); err != nil {
		return err
	}
	if _, err := stmt.ExecContext(ctx); err != nil { // flush
		return fmt.Errorf("copy staging: %w", err)
	}
	if opt.Progress != nil {
		opt.Progress(rep.Read)
	}
	return ctx.Err()
}

// rppsCommune is the commune of an activity line if the official
// geographic code knows it, "" otherwise (none, or a code the COG does not
// have: the line is kept, without a practice commune).
func rppsCommune(x *pipeExtract) string {
	c := maillage.CanonicalCommune(x.get(rppsColCommune))
	if _, _, ok := CommuneOf(c); !ok {
		return ""
	}
	return c
}

// rppsDepartment is the department of an activity line: its commune's (the
// department column is often empty in the published file), else the
// department column.
func rppsDepartment(x *pipeExtract) string {
	if d := maillage.DepartmentOfCommune(maillage.CanonicalCommune(x.get(rppsColCommune))); d != "" {
		return d
	}
	return x.get(rppsColDepartment)
}

// checkRPPSLine says why a line cannot be imported, "" if it can.
func checkRPPSLine(rpps, first, last, profession string) string {
	checks := []error{
		maillage.ValidateRPPS(rppsColID, rpps),
		maillage.ValidateName(rppsColLastName, last),
		maillage.ValidateName(rppsColFirstName, first),
		maillage.ValidateName(rppsColProfession, profession),
	}
	for _, err := range checks {
		if err != nil {
			return reasonOf(err)
		}
	}
	return ""
}

// upsertRPPS applies rpps_staging to professionals and memberships with
// set-based statements, each change with its event and audit record.
func upsertRPPS(ctx context.Context, tx *sqlx.Tx, rep *RPPSImport) error {
	const distinct = `CREATE TEMPORARY TABLE rpps_import ON COMMIT DROP AS
		SELECT DISTINCT ON (rpps) rpps, first_name, last_name, profession, specialty FROM rpps_staging ORDER BY rpps, line`
	if _, err := tx.ExecContext(ctx, distinct); err != nil {
		return fmt.Errorf("distinct: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE UNIQUE INDEX ON rpps_import (rpps); ANALYZE rpps_staging, rpps_import`); err != nil {
		return fmt.Errorf("distinct: %w", err)
	}
	if err := tx.GetContext(ctx, &rep.Professionals, `SELECT count(*) FROM rpps_import`); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	if rep.Professionals == 0 {
		return nothingToLoad(rep.Read, rep.Outside, rep.Rejected, "archive every imported professional")
	}
	var endedOfArchived int
	professionals := []importStep{
		{"insert", `INSERT INTO professionals (rpps, first_name, last_name, profession, specialty, source)
				SELECT i.rpps, i.first_name, i.last_name, i.profession, i.specialty, 'rpps' FROM rpps_import i
				WHERE NOT EXISTS (SELECT 1 FROM professionals p WHERE p.rpps = i.rpps)
				RETURNING id, 'fr' AS domain, '{}'::jsonb AS payload`,
			&rep.Inserted, maillage.EventProfessionalCreated, "import_create"},
		{"update", `UPDATE professionals p SET first_name = i.first_name, last_name = i.last_name,
				profession = i.profession, specialty = i.specialty,
				archived_at = CASE WHEN ` + rppsArchivedByHand + ` THEN p.archived_at END, updated_at = now()
				FROM rpps_import i WHERE p.rpps = i.rpps
				AND (p.first_name, p.last_name, p.profession, p.specialty, p.archived_at IS NULL)
				IS DISTINCT FROM (i.first_name, i.last_name, i.profession, i.specialty, NOT ` + rppsArchivedByHand + `)
				RETURNING p.id, 'fr' AS domain, '{}'::jsonb AS payload`,
			&rep.Updated, maillage.EventProfessionalUpdated, "import_update"},
		{"archive", `UPDATE professionals p SET archived_at = now(), updated_at = now()
				WHERE p.source = 'rpps' AND p.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM rpps_import i WHERE i.rpps = p.rpps)
				RETURNING p.id, 'fr' AS domain, '{}'::jsonb AS payload`,
			&rep.Archived, maillage.EventProfessionalArchived, "import_archive"},
		// Archived professionals hold no membership, hand-made ones included
		// (as ArchiveProfessional): those this import archived, and any left over.
		{"end memberships of archived", `UPDATE memberships m SET ended_at = now()
				FROM professionals p, structures s JOIN territories t ON t.id = s.territory_id
				WHERE p.id = m.professional_id AND p.archived_at IS NOT NULL AND m.ended_at IS NULL AND s.id = m.structure_id
				RETURNING m.id, ` + structureDomainSQL + ` AS domain, ` + membershipPayloadSQL,
			&endedOfArchived, maillage.EventMembershipEnded, "import_end_membership"},
	}
	if err := runImportSteps(ctx, tx, rppsAuditRole, professionals); err != nil {
		return err
	}
	// The professionals entered by hand that the file lists are the
	// import's from now on (nothing visible changes: no event).
	const claim = `UPDATE professionals p SET source = 'rpps' FROM rpps_import i WHERE p.rpps = i.rpps AND p.source IS NULL`
	if _, err := tx.ExecContext(ctx, claim); err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	if err := importMemberships(ctx, tx, rep); err != nil {
		return err
	}
	if err := importPracticeCommunes(ctx, tx, rep); err != nil {
		return err
	}
	rep.Left += endedOfArchived
	if err := leaveTeamsOfArchived(ctx, tx); err != nil {
		return err
	}
	if rep.Inserted+rep.Updated+rep.Archived+rep.Joined+rep.Left+rep.Relocated > 0 {
		return notifyEvents(ctx, tx)
	}
	return nil
}

// rppsArchivedByHand says whether professional p was archived by someone
// rather than by an import: the import's archives are known by their audit
// record, written in the same transaction (so at the same now()). A
// professional archived by hand stays archived though the file lists them.
const rppsArchivedByHand = `(p.archived_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM audit_log a
	WHERE a.object_kind = 'directory' AND a.object_id = p.id AND a.operation = 'import_archive' AND a.created_at = p.archived_at))`

// membershipPayloadSQL is the event payload of a membership m, as
// appendMembershipEvent writes it.
const membershipPayloadSQL = `jsonb_build_object('professionalId', m.professional_id, 'structureId', m.structure_id, 'role', m.role) AS payload`

// importMemberships brings the import's memberships in line with the
// activities of rpps_staging: one per (active professional, active
// structure of the activity's FINESS or SIRET).
func importMemberships(ctx context.Context, tx *sqlx.Tx, rep *RPPSImport) error {
	const activities = `CREATE TEMPORARY TABLE rpps_memberships ON COMMIT DROP AS
		WITH a AS (SELECT DISTINCT rpps, finess, siret FROM rpps_staging WHERE finess IS NOT NULL OR siret IS NOT NULL),
		sites AS (SELECT a.rpps, s.id FROM a JOIN structures s ON s.finess = a.finess AND s.archived_at IS NULL
			UNION SELECT a.rpps, s.id FROM a JOIN structures s ON s.siret = a.siret AND s.archived_at IS NULL)
		SELECT p.id AS professional_id, sites.id AS structure_id
		FROM sites JOIN professionals p ON p.rpps = sites.rpps AND p.archived_at IS NULL`
	if _, err := tx.ExecContext(ctx, activities); err != nil {
		return fmt.Errorf("activities: %w", err)
	}
	// Indexed: the statistics of memberships are stale in the middle of an
	// import, and the planner may loop over this table where it should hash.
	if _, err := tx.ExecContext(ctx, `CREATE INDEX ON rpps_memberships (professional_id, structure_id); ANALYZE rpps_memberships`); err != nil {
		return fmt.Errorf("activities: %w", err)
	}
	steps := []importStep{
		{"end memberships", `UPDATE memberships m SET ended_at = now()
				FROM structures s JOIN territories t ON t.id = s.territory_id
				WHERE m.source = 'rpps' AND m.ended_at IS NULL AND s.id = m.structure_id
				AND NOT EXISTS (SELECT 1 FROM rpps_memberships w WHERE w.professional_id = m.professional_id AND w.structure_id = m.structure_id)
				RETURNING m.id, ` + structureDomainSQL + ` AS domain, ` + membershipPayloadSQL,
			&rep.Left, maillage.EventMembershipEnded, "import_end_membership"},
		{"add memberships", `INSERT INTO memberships AS m (professional_id, structure_id, role, source)
				SELECT w.professional_id, w.structure_id, 'MEMBER', 'rpps' FROM rpps_memberships w
				WHERE NOT EXISTS (SELECT 1 FROM memberships o WHERE o.professional_id = w.professional_id
					AND o.structure_id = w.structure_id AND o.ended_at IS NULL)
				RETURNING m.id, (SELECT ` + structureDomainSQL + ` FROM structures s JOIN territories t ON t.id = s.territory_id
					WHERE s.id = m.structure_id) AS domain, ` + membershipPayloadSQL,
			&rep.Joined, maillage.EventMembershipAdded, "import_add_membership"},
	}
	return runImportSteps(ctx, tx, rppsAuditRole, steps)
}

// importPracticeCommunes brings the import's practice communes in line
// with the activity communes of rpps_staging, for the professionals not
// archived; the communes set by hand stay. A professional who was already
// in the directory and is not archived gets a PROFESSIONAL_UPDATED event
// when theirs change (one created or archived by this import has its own).
func importPracticeCommunes(ctx context.Context, tx *sqlx.Tx, rep *RPPSImport) error {
	const q = `CREATE TEMPORARY TABLE rpps_communes ON COMMIT DROP AS
			SELECT DISTINCT p.id AS professional_id, st.commune FROM rpps_staging st
			JOIN professionals p ON p.rpps = st.rpps AND p.archived_at IS NULL WHERE st.commune IS NOT NULL;
		CREATE INDEX ON rpps_communes (professional_id, commune); ANALYZE rpps_communes;
		CREATE TEMPORARY TABLE rpps_relocated (professional_id text PRIMARY KEY) ON COMMIT DROP;
		WITH gone AS (DELETE FROM professional_practice_communes c WHERE c.imported
				AND NOT EXISTS (SELECT 1 FROM rpps_communes w WHERE w.professional_id = c.professional_id AND w.commune = c.commune)
				RETURNING c.professional_id),
			came AS (INSERT INTO professional_practice_communes (professional_id, commune, imported)
				SELECT w.professional_id, w.commune, true FROM rpps_communes w
				ON CONFLICT (professional_id, commune) DO NOTHING RETURNING professional_id)
		INSERT INTO rpps_relocated SELECT professional_id FROM gone UNION SELECT professional_id FROM came`
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("practice communes: %w", err)
	}
	return runImportSteps(ctx, tx, rppsAuditRole, []importStep{
		{"practice communes", `SELECT p.id, 'fr' AS domain, jsonb_build_object('practiceCommunes',
				(SELECT coalesce(jsonb_agg(c.commune ORDER BY c.commune), '[]') FROM professional_practice_communes c
				WHERE c.professional_id = p.id)) AS payload
			FROM rpps_relocated r JOIN professionals p ON p.id = r.professional_id
			WHERE p.archived_at IS NULL AND p.created_at <> now()`,
			&rep.Relocated, maillage.EventProfessionalUpdated, "import_practice_communes"},
	})
}

// leaveTeamsOfArchived ends the care-team places still held by archived
// professionals — those this import archived, and any left over — one
// professional at a time, as archiveProfessional does (a few at most: the
// loop runs only over those still in a team).
func leaveTeamsOfArchived(ctx context.Context, tx *sqlx.Tx) error {
	var ids []string
	const q = `SELECT DISTINCT m.professional_id FROM escap_members m JOIN professionals p ON p.id = m.professional_id
		WHERE m.left_at IS NULL AND p.archived_at IS NOT NULL`
	if err := tx.SelectContext(ctx, &ids, q); err != nil {
		return fmt.Errorf("archived team members: %w", err)
	}
	for _, id := range ids {
		if err := leaveESCAPTeams(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}
