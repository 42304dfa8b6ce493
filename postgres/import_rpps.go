package postgres

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
)

// The columns of the RPPS extract PS_LibreAcces_Personne_activite_<date>.txt
// the importer reads, by their header name (the file has some fifty; their
// order is not relied upon).
const (
	rppsColID         = "Identifiant PP"
	rppsColLastName   = "Nom d'exercice"
	rppsColFirstName  = "Prénom d'exercice"
	rppsColProfession = "Libellé profession"
	rppsColSpecialty  = "Libellé savoir-faire"
)

// RPPSImport counts what ImportRPPS did. Read is the data lines read (the
// header excluded); Professionals the distinct valid RPPS among them (the
// file has one line per activity).
type RPPSImport struct {
	Read, Professionals, Inserted, Updated, Archived, Rejected int
	Took                                                       time.Duration
}

// String is the one-line summary.
func (r *RPPSImport) String() string {
	return fmt.Sprintf("rpps: %d lines read, %d professionals, %d inserted, %d updated, %d archived, %d rejected in %s",
		r.Read, r.Professionals, r.Inserted, r.Updated, r.Archived, r.Rejected, r.Took.Round(time.Millisecond))
}

// rppsMaxLine is the longest line accepted (a line is about 600 bytes).
const rppsMaxLine = 1 << 20

// ImportRPPS loads an RPPS PS_LibreAcces_Personne_activite extract (UTF-8,
// '|'-separated, one header line, one line per activity) into the
// directory of professionals, streaming it in bounded memory.
//
// In one transaction it COPYs the valid lines into a staging table, then
// upserts by RPPS: a new RPPS is created, a changed name, profession or
// specialty is updated (a professional archived earlier who is back in the
// file is restored), and a professional absent from the file is archived
// (never deleted), their memberships ended and their care-team places left.
// Each change appends its directory event, as the mutations do. A second
// import of the same file changes nothing. The identity, profession and
// specialty of a professional come from their first line in the file.
//
// A line that cannot be imported (bad RPPS, missing name or profession) is
// written to rejects as "line N: reason" and skipped. An empty file (no
// valid line) is refused: it would archive the whole directory. If ctx is
// cancelled or anything fails the transaction is rolled back and the
// directory is as it was. After the commit the authorizer is reloaded once.
// progress, if not nil, is called with the lines read so far every batch.
func ImportRPPS(ctx context.Context, db *DB, r io.Reader, rejects io.Writer, progress func(lines int)) (*RPPSImport, error) {
	start := time.Now()
	rep := &RPPSImport{}
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := stageRPPS(ctx, tx, r, rejects, progress, rep); err != nil {
			return err
		}
		return upsertRPPS(ctx, tx, rep)
	})
	if err != nil {
		return nil, fmt.Errorf("import rpps: %w", err)
	}
	if db.Authz != nil {
		// Archived professionals lost their memberships: one reload for all.
		if err := db.Authz.Reload(context.WithoutCancel(ctx)); err != nil {
			return nil, fmt.Errorf("import rpps: %w", err)
		}
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// stageRPPS reads the file into the temporary table rpps_staging.
func stageRPPS(ctx context.Context, tx *sqlx.Tx, r io.Reader, rejects io.Writer, progress func(int), rep *RPPSImport) error {
	const create = `CREATE TEMPORARY TABLE rpps_staging (line int NOT NULL, rpps text NOT NULL, first_name text NOT NULL,
		last_name text NOT NULL, profession text NOT NULL, specialty text) ON COMMIT DROP`
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("staging table: %w", err)
	}
	// The extract uses no quoting: a line is its fields between '|'.
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), rppsMaxLine)
	if !sc.Scan() {
		return fmt.Errorf("header: %w", cmp.Or(sc.Err(), io.ErrUnexpectedEOF))
	}
	col := map[string]int{}
	for i, h := range strings.Split(strings.TrimSuffix(sc.Text(), "\r"), "|") {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, name := range []string{rppsColID, rppsColLastName, rppsColFirstName, rppsColProfession, rppsColSpecialty} {
		if _, ok := col[name]; !ok {
			return maillage.Errorf(maillage.EINVALID, "not an RPPS activity extract: no column %q in the header", name)
		}
	}
	stmt, err := tx.PrepareContext(ctx, `COPY rpps_staging (line, rpps, first_name, last_name, profession, specialty) FROM STDIN`)
	if err != nil {
		return fmt.Errorf("copy staging: %w", err)
	}
	defer stmt.Close()
	line := 1
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if text == "" {
			continue
		}
		rep.Read++
		if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
			if err := reject(rejects, line, "not UTF-8 text", &rep.Rejected); err != nil {
				return err
			}
			continue
		}
		rec := strings.Split(text, "|")
		get := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		rpps, first, last, profession := get(rppsColID), get(rppsColFirstName), get(rppsColLastName), get(rppsColProfession)
		if reason := checkRPPSLine(rpps, first, last, profession); reason != "" {
			if err := reject(rejects, line, reason, &rep.Rejected); err != nil {
				return err
			}
			continue
		}
		if _, err := stmt.ExecContext(ctx, line, rpps, first, last, profession, nullable(get(rppsColSpecialty))); err != nil {
			return fmt.Errorf("copy staging: %w", err)
		}
		if rep.Read%importBatch == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if progress != nil {
				progress(rep.Read)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	if _, err := stmt.ExecContext(ctx); err != nil { // flush
		return fmt.Errorf("copy staging: %w", err)
	}
	if progress != nil {
		progress(rep.Read)
	}
	return ctx.Err()
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

// upsertRPPS applies rpps_staging to professionals with set-based
// statements, each appending its events.
func upsertRPPS(ctx context.Context, tx *sqlx.Tx, rep *RPPSImport) error {
	const distinct = `CREATE TEMPORARY TABLE rpps_import ON COMMIT DROP AS
		SELECT DISTINCT ON (rpps) rpps, first_name, last_name, profession, specialty FROM rpps_staging ORDER BY rpps, line`
	if _, err := tx.ExecContext(ctx, distinct); err != nil {
		return fmt.Errorf("distinct: %w", err)
	}
	if err := tx.GetContext(ctx, &rep.Professionals, `SELECT count(*) FROM rpps_import`); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	if rep.Professionals == 0 {
		return maillage.Errorf(maillage.EINVALID, "no valid line in the file: refusing to archive the whole directory")
	}
	steps := []struct {
		name  string
		sql   string
		n     *int
		event string // the type of the events the step appends
	}{
		{"insert", `WITH ins AS (INSERT INTO professionals (rpps, first_name, last_name, profession, specialty)
				SELECT i.rpps, i.first_name, i.last_name, i.profession, i.specialty FROM rpps_import i
				WHERE NOT EXISTS (SELECT 1 FROM professionals p WHERE p.rpps = i.rpps) RETURNING id),
			ev AS (INSERT INTO events (topic, type, subject_id, domain) SELECT $1, $2, id, 'fr' FROM ins)
			SELECT count(*) FROM ins`, &rep.Inserted, maillage.EventProfessionalCreated},
		{"update", `WITH upd AS (UPDATE professionals p SET first_name = i.first_name, last_name = i.last_name,
				profession = i.profession, specialty = i.specialty, archived_at = NULL, updated_at = now()
				FROM rpps_import i WHERE p.rpps = i.rpps
				AND (p.first_name, p.last_name, p.profession, p.specialty, p.archived_at IS NULL)
				IS DISTINCT FROM (i.first_name, i.last_name, i.profession, i.specialty, true) RETURNING p.id),
			ev AS (INSERT INTO events (topic, type, subject_id, domain) SELECT $1, $2, id, 'fr' FROM upd)
			SELECT count(*) FROM upd`, &rep.Updated, maillage.EventProfessionalUpdated},
		{"archive", `WITH arc AS (UPDATE professionals p SET archived_at = now(), updated_at = now()
				WHERE p.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM rpps_import i WHERE i.rpps = p.rpps) RETURNING p.id),
			mem AS (UPDATE memberships m SET ended_at = now() FROM arc WHERE m.professional_id = arc.id AND m.ended_at IS NULL),
			ev AS (INSERT INTO events (topic, type, subject_id, domain) SELECT $1, $2, id, 'fr' FROM arc)
			SELECT count(*) FROM arc`, &rep.Archived, maillage.EventProfessionalArchived},
	}
	for _, s := range steps {
		if err := tx.GetContext(ctx, s.n, s.sql, maillage.TopicDirectory, s.event); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if err := leaveTeamsOfArchived(ctx, tx); err != nil {
		return err
	}
	if rep.Inserted+rep.Updated+rep.Archived > 0 {
		return notifyEvents(ctx, tx)
	}
	return nil
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
