package postgres

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// The columns of the MSSanté directory extract
// Extraction_Correspondance_MSSante_<date>.txt the importer reads, by their
// header name (the file has 31).
const (
	mssColType       = "Type de BAL"
	mssColAddress    = "Adresse BAL"
	mssColPP         = "Identifiant PP"
	mssColStructure  = "Identification Structure"
	mssColDepartment = "Département structure BAL"
)

// mssanteKinds maps the extract's mailbox types to the hub's kinds: a
// personal mailbox (PER) is a professional's; an organisational (ORG),
// applicative (APP) or practice (CAB) mailbox is a structure's.
var mssanteKinds = map[string]maillage.MSSanteKind{
	"PER": maillage.MSSanteNominative,
	"ORG": maillage.MSSanteOrganisational,
	"APP": maillage.MSSanteOrganisational,
	"CAB": maillage.MSSanteOrganisational,
}

// MSSanteImport counts what ImportMSSante did. Read is the data lines read;
// Outside those left out by ImportOptions.Departments (by the department of
// the mailbox's structure; a line without one is kept); Addresses the
// distinct valid addresses among the rest; Assigned the holders given a new
// address, Released those whose imported address left the file; Unused the
// addresses not registered because their holder keeps another (the hub
// holds one address per holder).
type MSSanteImport struct {
	Read, Outside, Addresses, Assigned, Released, Unused, Rejected int
	Took                                                           time.Duration
}

// String is the one-line summary.
func (r *MSSanteImport) String() string {
	return fmt.Sprintf("mssante: %d lines read, %d outside the departments, %d addresses, %d assigned, %d released, "+
		"%d not kept (holder has another), %d rejected in %s",
		r.Read, r.Outside, r.Addresses, r.Assigned, r.Released, r.Unused, r.Rejected, r.Took.Round(time.Millisecond))
}

// mssanteAuditRole is the role the MSSanté import's audit records carry.
const mssanteAuditRole = "system:import_mssante"

// ImportMSSante loads the MSSanté directory extract (UTF-8, '|'-separated,
// one header line, one line per mailbox) into the hub's register of MSSanté
// addresses, streaming it in bounded memory, in one transaction.
//
// An address is its natural key (compared without case). A personal
// mailbox goes to the professional of its RPPS, an organisational one to
// the structure of its FINESS or SIRET; the holder must be in the directory
// and not archived. The hub holds one address per holder: a holder keeps
// its current imported address while the file still lists it, else gets
// the first of its addresses in alphabetical order. An address entered by
// hand is never replaced nor released: the file's address for that holder
// is left unused, unless it is the same address, which the import then
// owns. An imported address that leaves the file is released (the holder's
// address becomes empty); its history stays in the holder's events
// (payload: mssante, previous) and the audit trail (role
// system:import_mssante).
//
// A line with a bad address, an unknown mailbox type or an unknown holder,
// or whose address a holder in the hub entered by hand for another, is
// written to opt.Rejects as "line N: reason" (the lines the database
// judges after those the reader does). A file with no valid line is
// refused. A second import of the same file changes nothing.
func ImportMSSante(ctx context.Context, db *DB, r io.Reader, opt ImportOptions) (*MSSanteImport, error) {
	start := time.Now()
	rep := &MSSanteImport{}
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("import mssante: %w", err)
	}
	ctx = importContext(ctx, "mssante")
	err := importTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := stageMSSante(ctx, tx, r, opt, rep); err != nil {
			return err
		}
		return upsertMSSante(ctx, tx, opt, rep)
	})
	if err != nil {
		return nil, fmt.Errorf("import mssante: %w", err)
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// stageMSSante reads the file into the temporary table mssante_staging.
func stageMSSante(ctx context.Context, tx *sqlx.Tx, r io.Reader, opt ImportOptions, rep *MSSanteImport) error {
	const create = `CREATE TEMPORARY TABLE mssante_staging (line int NOT NULL, address text NOT NULL, kind text NOT NULL,
		rpps text, finess text, siret text) ON COMMIT DROP`
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("staging table: %w", err)
	}
	x, err := newPipeExtract(r, "an MSSanté directory extract", rejectWriter(opt.Rejects, &rep.Rejected),
		mssColType, mssColAddress, mssColPP, mssColStructure)
	if err != nil {
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `COPY mssante_staging (line, address, kind, rpps, finess, siret) FROM STDIN`)
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
		// A mailbox without a department (its structure's) is kept: its
		// holder, if the directory has it, says where it is.
		if d := x.get(mssColDepartment); d != "" && !opt.keeps(d) {
			rep.Outside++
			continue
		}
		address, kind, rpps, finess, siret, reason := mssanteLine(x)
		if reason != "" {
			if err := x.reject(x.line, reason); err != nil {
				return err
			}
			continue
		}
		if _, err := stmt.ExecContext(ctx, x.line, address, kind, nullable(rpps), nullable(finess), nullable(siret)); err != nil {
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

// mssanteLine reads the address, kind and holder of the current line, or
// says why it cannot be imported.
func mssanteLine(x *pipeExtract) (address string, kind maillage.MSSanteKind, rpps, finess, siret, reason string) {
	address = strings.ToLower(x.get(mssColAddress))
	if err := maillage.ValidateMSSante(mssColAddress, address); err != nil {
		return "", "", "", "", "", reasonOf(err)
	}
	typ := strings.ToUpper(x.get(mssColType))
	kind, ok := mssanteKinds[typ]
	switch {
	case !ok:
		return "", "", "", "", "", fmt.Sprintf("%s: unknown mailbox type %q (PER, ORG, APP or CAB)", mssColType, typ)
	case kind == maillage.MSSanteNominative:
		rpps = x.get(mssColPP)
		if err := maillage.ValidateRPPS(mssColPP, rpps); err != nil {
			return "", "", "", "", "", reasonOf(err)
		}
	default:
		if finess, siret = mssanteStructure(x.get(mssColStructure)); finess == "" && siret == "" {
			return "", "", "", "", "", fmt.Sprintf("%s: no FINESS or SIRET of the holder structure, got %q", mssColStructure, x.get(mssColStructure))
		}
	}
	return address, kind, rpps, finess, siret, ""
}

// mssanteStructure reads the FINESS or SIRET of a mailbox's structure from
// the extract's structure identification: bare (9 characters: FINESS; 14
// digits: SIRET) or as a national structure identifier, the identifier
// prefixed by its type (1 + FINESS, 3 + SIRET).
func mssanteStructure(id string) (finess, siret string) {
	id = maillage.CanonicalFINESS(id)
	switch {
	case len(id) == 9:
		return id, ""
	case len(id) == 10 && id[0] == '1':
		return id[1:], ""
	case len(id) == 14 && maillage.ValidateSIRET("", id) == nil:
		return "", id
	case len(id) == 15 && id[0] == '3':
		return "", id[1:]
	}
	return "", ""
}

// upsertMSSante applies mssante_staging to the register with set-based
// statements: it writes the holders' addresses (professionals.mssante,
// structures.mssante), which the register's triggers follow.
func upsertMSSante(ctx context.Context, tx *sqlx.Tx, opt ImportOptions, rep *MSSanteImport) error {
	// Each address once, from its first line, with its holder if the
	// directory has it.
	const resolve = `CREATE TEMPORARY TABLE mssante_import ON COMMIT DROP AS
		SELECT DISTINCT ON (st.address) st.line, st.address, st.kind, st.rpps, st.finess, st.siret,
			p.id AS professional_id, s.id AS structure_id
		FROM mssante_staging st
		LEFT JOIN professionals p ON st.kind = 'NOMINATIVE' AND p.rpps = st.rpps AND p.archived_at IS NULL
		LEFT JOIN LATERAL (SELECT s.id FROM structures s WHERE st.kind = 'ORGANISATIONAL' AND s.archived_at IS NULL
			AND (s.finess = st.finess OR s.siret = st.siret) ORDER BY s.finess = st.finess DESC, s.id LIMIT 1) s ON true
		ORDER BY st.address, st.line`
	if _, err := tx.ExecContext(ctx, `ANALYZE mssante_staging`); err != nil {
		return fmt.Errorf("resolve holders: %w", err)
	}
	if _, err := tx.ExecContext(ctx, resolve); err != nil {
		return fmt.Errorf("resolve holders: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE UNIQUE INDEX ON mssante_import (address); ANALYZE mssante_import`); err != nil {
		return fmt.Errorf("resolve holders: %w", err)
	}
	if err := tx.GetContext(ctx, &rep.Addresses, `SELECT count(*) FROM mssante_import`); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	if rep.Addresses == 0 {
		return nothingToLoad(rep.Read, rep.Outside, rep.Rejected, "release every imported address")
	}
	if err := rejectMSSanteHolders(ctx, tx, opt, rep); err != nil {
		return err
	}
	// The address each holder gets: its current one if the file lists it,
	// else its first; none for a holder that keeps a hand-entered address.
	const want = `CREATE TEMPORARY TABLE mssante_want ON COMMIT DROP AS
		SELECT DISTINCT ON (coalesce(i.professional_id, i.structure_id)) i.address, i.professional_id, i.structure_id
		FROM mssante_import i LEFT JOIN mssante_addresses a ON a.address = i.address
		WHERE coalesce(i.professional_id, i.structure_id) IS NOT NULL
		AND (a.address IS NULL OR a.imported OR (a.professional_id, a.structure_id) IS NOT DISTINCT FROM (i.professional_id, i.structure_id))
		AND NOT EXISTS (SELECT 1 FROM mssante_addresses h WHERE NOT h.imported AND h.address <> i.address
			AND (h.professional_id = i.professional_id OR h.structure_id = i.structure_id))
		ORDER BY coalesce(i.professional_id, i.structure_id), a.address IS NOT NULL DESC, i.address`
	if _, err := tx.ExecContext(ctx, want); err != nil {
		return fmt.Errorf("addresses to hold: %w", err)
	}
	// Indexed: the register's statistics are stale in the middle of an
	// import, and the planner may loop over this table where it should hash.
	const index = `CREATE UNIQUE INDEX ON mssante_want (address); CREATE INDEX ON mssante_want (professional_id);
		CREATE INDEX ON mssante_want (structure_id); ANALYZE mssante_want`
	if _, err := tx.ExecContext(ctx, index); err != nil {
		return fmt.Errorf("addresses to hold: %w", err)
	}
	var held int
	if err := tx.GetContext(ctx, &held, `SELECT count(*) FROM mssante_want`); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	var known int
	const q = `SELECT count(*) FROM mssante_import i WHERE coalesce(i.professional_id, i.structure_id) IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM mssante_addresses a WHERE a.address = i.address AND NOT a.imported
			AND (a.professional_id, a.structure_id) IS DISTINCT FROM (i.professional_id, i.structure_id))`
	if err := tx.GetContext(ctx, &known, q); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	rep.Unused = known - held
	// The holders the import may change, and their address before it.
	const before = `CREATE TEMPORARY TABLE mssante_before ON COMMIT DROP AS
		SELECT h.professional_id, h.structure_id, coalesce(ap.address, ast.address) AS address
		FROM (SELECT professional_id, structure_id FROM mssante_addresses WHERE imported
			UNION SELECT professional_id, structure_id FROM mssante_want) h
		LEFT JOIN mssante_addresses ap ON ap.professional_id = h.professional_id
		LEFT JOIN mssante_addresses ast ON ast.structure_id = h.structure_id`
	if _, err := tx.ExecContext(ctx, before); err != nil {
		return fmt.Errorf("holders: %w", err)
	}
	// Release first (an address may pass from one holder to another), then
	// assign; the register's triggers follow each holder's column.
	writes := []struct{ name, sql string }{
		{"release professionals", `UPDATE professionals p SET mssante = NULL, updated_at = now()
			FROM mssante_addresses a WHERE a.professional_id = p.id AND a.imported
			AND NOT EXISTS (SELECT 1 FROM mssante_want w WHERE w.professional_id = p.id AND w.address = a.address)`},
		{"release structures", `UPDATE structures s SET mssante = NULL, updated_at = now()
			FROM mssante_addresses a WHERE a.structure_id = s.id AND a.imported
			AND NOT EXISTS (SELECT 1 FROM mssante_want w WHERE w.structure_id = s.id AND w.address = a.address)`},
		{"assign professionals", `UPDATE professionals p SET mssante = w.address, updated_at = now()
			FROM mssante_want w WHERE w.professional_id = p.id AND p.mssante IS NULL`},
		{"assign structures", `UPDATE structures s SET mssante = w.address, updated_at = now()
			FROM mssante_want w WHERE w.structure_id = s.id AND s.mssante IS NULL`},
		{"own", `UPDATE mssante_addresses a SET imported = true FROM mssante_want w WHERE a.address = w.address AND NOT a.imported`},
	}
	for _, w := range writes {
		if _, err := tx.ExecContext(ctx, w.sql); err != nil {
			return fmt.Errorf("%s: %w", w.name, err)
		}
	}
	// One event and audit record per holder whose address changed.
	const changed = `SELECT %s AS id, %s AS domain, jsonb_build_object('mssante', a.address, 'previous', b.address) AS payload
		FROM mssante_before b %s LEFT JOIN mssante_addresses a ON a.%s = b.%s
		WHERE b.%s IS NOT NULL AND a.address IS DISTINCT FROM b.address AND (a.address IS NULL) = %s`
	professional := func(released string) string {
		return fmt.Sprintf(changed, "b.professional_id", "'fr'", "", "professional_id", "professional_id", "professional_id", released)
	}
	structure := func(released string) string {
		return fmt.Sprintf(changed, "s.id", structureDomainSQL,
			"JOIN structures s ON s.id = b.structure_id JOIN territories t ON t.id = s.territory_id",
			"structure_id", "structure_id", "structure_id", released)
	}
	var n [4]int
	steps := []importStep{
		{"professionals assigned", professional("false"), &n[0], maillage.EventProfessionalUpdated, "import_mssante_assign"},
		{"professionals released", professional("true"), &n[1], maillage.EventProfessionalUpdated, "import_mssante_release"},
		{"structures assigned", structure("false"), &n[2], maillage.EventStructureUpdated, "import_mssante_assign"},
		{"structures released", structure("true"), &n[3], maillage.EventStructureUpdated, "import_mssante_release"},
	}
	if err := runImportSteps(ctx, tx, mssanteAuditRole, steps); err != nil {
		return err
	}
	rep.Assigned, rep.Released = n[0]+n[2], n[1]+n[3]
	if rep.Assigned+rep.Released > 0 {
		return notifyEvents(ctx, tx)
	}
	return nil
}

// rejectMSSanteHolders rejects, in line order, the addresses whose holder
// the directory does not have, and those a holder in the hub entered by
// hand for another holder than the file's.
func rejectMSSanteHolders(ctx context.Context, tx *sqlx.Tx, opt ImportOptions, rep *MSSanteImport) error {
	const q = `SELECT i.line, CASE
			WHEN i.kind = 'NOMINATIVE' AND i.professional_id IS NULL THEN 'unknown holder: no professional with RPPS ' || i.rpps
			WHEN i.structure_id IS NULL AND i.professional_id IS NULL
				THEN 'unknown holder: no structure with ' || coalesce('FINESS ' || i.finess, 'SIRET ' || i.siret)
			ELSE 'address entered by hand for another holder in the hub'
		END AS reason
		FROM mssante_import i
		WHERE coalesce(i.professional_id, i.structure_id) IS NULL
		OR EXISTS (SELECT 1 FROM mssante_addresses a WHERE a.address = i.address AND NOT a.imported
			AND (a.professional_id, a.structure_id) IS DISTINCT FROM (i.professional_id, i.structure_id))
		ORDER BY i.line`
	rows, err := tx.QueryxContext(ctx, q)
	if err != nil {
		return fmt.Errorf("rejected holders: %w", err)
	}
	defer rows.Close()
	reject := rejectWriter(opt.Rejects, &rep.Rejected)
	for rows.Next() {
		var line int
		var reason string
		if err := rows.Scan(&line, &reason); err != nil {
			return fmt.Errorf("rejected holders: %w", err)
		}
		if err := reject(line, reason); err != nil {
			return err
		}
	}
	return rows.Err()
}
