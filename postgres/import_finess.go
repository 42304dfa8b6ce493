package postgres

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/encoding/charmap"

	"github.com/maillage/maillage"
)

// The fields of a structureet line of the FINESS extract
// etalab-cs1100507-stock-<date>.csv the importer reads, by position (the
// extract names no column): 0 "structureet", 1 nofinesset, 2 nofinessej,
// 3 rs, 4 rslongue, 5 complrs, 6 compldistrib, 7 numvoie, 8 typvoie,
// 9 voie, 10 compvoie, 11 lieuditbp, 12 commune, 13 departement,
// 14 libdepartement, 15 ligneacheminement, 16 telephone, 17 telecopie,
// 18 categetab, 19 libcategetab, 20 categagretab, 21 libcategagretab,
// 22 siret, 23 codeape, 24 codemft, 25 libmft, 26 codesph, 27 libsph,
// 28 dateouv, 29 dateautor, 30 datemaj, 31 numuai.
const (
	finessColFINESS     = 1
	finessColName       = 3
	finessColLongName   = 4
	finessColCommune    = 12 // the commune's three digits within its department
	finessColDepartment = 13 // INSEE department, 9A…9F overseas
	finessColCategory   = 18
	finessColSIRET      = 22
	finessFields        = 32
)

// finessOverseas are the overseas department codes of FINESS and their
// INSEE codes; an overseas commune's INSEE code is "97" and its three digits.
var finessOverseas = map[string]string{"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9F": "976"}

// FINESSImport counts what ImportFINESS did. Read is the data lines read
// (the first line excluded); Structures the distinct establishments loaded.
type FINESSImport struct {
	Read, Structures, Inserted, Updated, Archived, Rejected int
	// Skipped: establishments of a category the hub does not model
	// (finess_categories); Outside: establishments outside
	// ImportOptions.Departments; HandMade: establishments whose structure
	// was entered by hand (it carries their FINESS) or archived by hand,
	// left as they are;
	// Geolocations: geolocalisation lines, read and not stored (the hub keeps
	// no coordinates); Territories: department and region territories created.
	Skipped, Outside, HandMade, Geolocations, Territories int
	// Left: the memberships of the archived structures, ended.
	Left int
	Took time.Duration
}

// String is the one-line summary.
func (r *FINESSImport) String() string {
	return fmt.Sprintf("finess: %d lines read, %d structures, %d inserted, %d updated, %d archived (%d memberships ended), %d rejected, "+
		"%d skipped (category not modelled), %d outside the departments, %d left as entered or archived by hand, "+
		"%d territories created, %d geolocation lines ignored in %s",
		r.Read, r.Structures, r.Inserted, r.Updated, r.Archived, r.Left, r.Rejected, r.Skipped, r.Outside, r.HandMade,
		r.Territories, r.Geolocations, r.Took.Round(time.Millisecond))
}

// finessAuditRole is the role of the FINESS import's audit records.
const finessAuditRole = "system:import_finess"

// ImportFINESS loads a FINESS establishments extract
// (etalab-cs1100507-stock-<date>.csv: ';'-separated, Windows-1252, a first
// line "finess;etalab;…", then structureet and geolocalisation lines) into
// the directory of structures, streaming it in bounded memory.
//
// Only establishments of the categories listed in finess_categories are
// loaded, as the structure kind given there. In one transaction the valid
// lines are COPYed into a staging table, then structures are upserted by
// FINESS établissement: a new one is created in its department's territory
// (the department and its region are created from the COG if the hub lacks
// them); a changed name, kind, commune or SIRET is updated (a change made
// by hand is undone), and a structure the import archived earlier that is
// back in the file is restored; an imported
// structure absent from the file (or outside opt.Departments) is archived,
// never deleted, its links archived and its memberships ended. A structure
// moved by hand into a territory below its department stays there.
// Structures entered by hand, and imported ones archived by hand, are never
// changed: their lines are counted in HandMade. Each change appends its
// directory event and its audit record (role system:import_finess), as the
// mutations do; a second import of the same file changes nothing.
//
// A line that cannot be imported (bad FINESS or key, missing name, unknown
// department…) is written to opt.Rejects as "line N: reason" and skipped. A
// file with no establishment to load is refused: it would archive every
// imported structure. If ctx is cancelled or anything fails the transaction
// is rolled back and the directory is as it was. After the commit the
// authorizer is reloaded once.
func ImportFINESS(ctx context.Context, db *DB, r io.Reader, opt ImportOptions) (*FINESSImport, error) {
	start := time.Now()
	rep := &FINESSImport{}
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("import finess: %w", err)
	}
	ctx = importContext(ctx, "finess")
	err := importTx(ctx, db, func(tx *sqlx.Tx) error {
		kinds, err := finessCategories(ctx, tx)
		if err != nil {
			return err
		}
		st := &finessStager{opt: opt, rep: rep, kinds: kinds}
		if err := st.stage(ctx, tx, r); err != nil {
			return err
		}
		return upsertFINESS(ctx, tx, rep)
	})
	if err != nil {
		return nil, fmt.Errorf("import finess: %w", err)
	}
	if db.Authz != nil {
		// Archived structures ended their memberships: one reload for all.
		if err := db.Authz.Reload(context.WithoutCancel(ctx)); err != nil {
			return nil, fmt.Errorf("import finess: %w", err)
		}
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// finessCategories reads the configured categories and their kinds.
func finessCategories(ctx context.Context, tx *sqlx.Tx) (map[string]maillage.StructureKind, error) {
	var rows []struct {
		Code string                 `db:"code"`
		Kind maillage.StructureKind `db:"kind"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT code, kind FROM finess_categories`); err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	kinds := make(map[string]maillage.StructureKind, len(rows))
	for _, r := range rows {
		if !structureKinds[r.Kind] {
			return nil, maillage.Errorf(maillage.EINVALID, "finess_categories: category %s has kind %q, which is not a structure kind", r.Code, r.Kind)
		}
		kinds[r.Code] = r.Kind
	}
	return kinds, nil
}

// finessStager reads an extract into the temporary table finess_staging.
type finessStager struct {
	opt   ImportOptions
	rep   *FINESSImport
	kinds map[string]maillage.StructureKind
}

// finessRow is one establishment to load.
type finessRow struct {
	finess, name, commune, department, siret string
	kind                                     maillage.StructureKind
}

// stage checks the first line of r and stages its lines with the other
// extracts' loop (extractLines.stage): the format differs in its encoding,
// its first line and its fields, read by position.
func (st *finessStager) stage(ctx context.Context, tx *sqlx.Tx, r io.Reader) error {
	const create = `CREATE TEMPORARY TABLE finess_staging (line int NOT NULL, finess text NOT NULL, kind text NOT NULL,
		name text NOT NULL, commune text NOT NULL, department text NOT NULL, siret text) ON COMMIT DROP`
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("staging table: %w", err)
	}
	// One record per line: the extract has no line breaks inside fields, so
	// a stray quote cannot swallow the lines after it.
	lines := newExtractLines(charmap.Windows1252.NewDecoder().Reader(r), rejectWriter(st.opt.Rejects, &st.rep.Rejected))
	first, ok, err := lines.first()
	if err != nil {
		return err
	}
	if !ok || !strings.HasPrefix(first, "finess;") {
		return maillage.Errorf(maillage.EINVALID, "not a FINESS extract: the first line does not start with \"finess;\"")
	}
	const q = `COPY finess_staging (line, finess, kind, name, commune, department, siret) FROM STDIN`
	err = lines.stage(ctx, tx, q, st.opt, func(text string) ([]any, string) { return st.row(lines.line, text) })
	st.rep.Read = lines.read
	return err
}

// splitFINESS splits a line into its fields: between ';', a field that
// holds ';' or '"' in quotes with its quotes doubled.
func splitFINESS(text string) ([]string, error) {
	if !strings.Contains(text, `"`) {
		return strings.Split(text, ";"), nil
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes = ';', -1, true
	return cr.Read()
}

// row reads one line (number line, for the staging table): the values of
// its establishment, or why it is rejected, or neither for a line left out
// (counted: geolocation, category not modelled, outside the departments).
func (st *finessStager) row(line int, text string) ([]any, string) {
	rep := st.rep
	rec, err := splitFINESS(text)
	if err != nil {
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			err = perr.Err
		}
		return nil, fmt.Sprintf("not a line of fields between ';': %v", err)
	}
	switch rec[0] {
	case "structureet":
	case "geolocalisation":
		rep.Geolocations++
		return nil, ""
	default:
		return nil, fmt.Sprintf("unknown line kind %q (want structureet or geolocalisation)", rec[0])
	}
	if len(rec) <= finessColSIRET {
		return nil, fmt.Sprintf("structureet line with %d fields, want %d", len(rec), finessFields)
	}
	get := func(i int) string { return strings.TrimSpace(rec[i]) }
	kind, ok := st.kinds[get(finessColCategory)]
	if !ok {
		rep.Skipped++
		return nil, ""
	}
	row, reason := parseFINESSLine(get, kind)
	if reason != "" {
		return nil, reason
	}
	if !st.opt.keeps(row.department) {
		rep.Outside++
		return nil, ""
	}
	return []any{line, row.finess, string(row.kind), row.name, row.commune, row.department, nullable(row.siret)}, ""
}

// parseFINESSLine reads the establishment of a structureet line, or says why
// it cannot be imported.
func parseFINESSLine(get func(int) string, kind maillage.StructureKind) (finessRow, string) {
	row := finessRow{kind: kind, finess: maillage.CanonicalFINESS(get(finessColFINESS))}
	if warning, err := maillage.ValidateFINESS("nofinesset", row.finess); err != nil {
		return row, reasonOf(err)
	} else if warning != "" {
		return row, warning[:strings.Index(warning, ";")]
	}
	row.name = get(finessColLongName)
	if row.name == "" {
		row.name = get(finessColName)
	}
	if err := maillage.ValidateName("rs", row.name); err != nil {
		return row, reasonOf(err)
	}
	dept, commune := strings.ToUpper(get(finessColDepartment)), get(finessColCommune)
	if len(dept) == 1 { // an extract re-saved by a spreadsheet lost its zeros
		dept = "0" + dept
	}
	if len(commune) > 0 && len(commune) < 3 && allDigits(commune) {
		commune = strings.Repeat("0", 3-len(commune)) + commune
	}
	if len(commune) != 3 || !allDigits(commune) {
		return row, fmt.Sprintf("commune: must be the 3 digits of the commune in its department, got %q", commune)
	}
	if overseas, ok := finessOverseas[dept]; ok {
		if commune[0] != overseas[2] {
			return row, fmt.Sprintf("commune: %q is not a commune of department %s (%s)", commune, dept, overseas)
		}
		row.commune = "97" + commune
	} else {
		row.commune = dept + commune
	}
	row.department = maillage.DepartmentOfCommune(row.commune)
	if _, _, ok := regionOfDepartment(row.department); !ok || maillage.ValidateCommune("commune", row.commune) != nil {
		return row, fmt.Sprintf("departement: unknown department %q", get(finessColDepartment))
	}
	if _, _, ok := CommuneOf(row.commune); !ok {
		return row, fmt.Sprintf("commune: %s is not a commune code of the COG", row.commune)
	}
	if siret := get(finessColSIRET); maillage.ValidateSIRET("siret", siret) == nil {
		row.siret = siret // a SIRET that does not verify is left out, not rejected
	}
	return row, ""
}

// allDigits reports whether s is made of ASCII digits only.
func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// upsertFINESS applies finess_staging to structures with set-based
// statements, each change with its event and audit record.
func upsertFINESS(ctx context.Context, tx *sqlx.Tx, rep *FINESSImport) error {
	for _, q := range []string{
		`CREATE TEMPORARY TABLE finess_import ON COMMIT DROP AS
			SELECT DISTINCT ON (finess) finess, kind, name, commune, department, siret,
				NULL::text AS territory_id, NULL::text AS territory_path
			FROM finess_staging ORDER BY finess, line`,
		`CREATE UNIQUE INDEX ON finess_import (finess)`,
		`CREATE INDEX ON finess_import (siret)`,
		`ANALYZE finess_import`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("distinct: %w", err)
		}
	}
	if err := tx.GetContext(ctx, &rep.Structures, `SELECT count(*) FROM finess_import`); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	if rep.Structures == 0 {
		return nothingToLoad(rep.Read, rep.Outside, rep.Rejected, "archive every imported structure")
	}
	if err := placeFINESS(ctx, tx, rep); err != nil {
		return err
	}
	for _, q := range []string{finessDropSIRET, finessChanged, finessReleaseSIRET} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
	}
	if err := tx.GetContext(ctx, &rep.HandMade, finessHandMade); err != nil {
		return fmt.Errorf("hand-made: %w", err)
	}
	steps := []importStep{
		{"update", finessUpdate, &rep.Updated, maillage.EventStructureUpdated, "import_update"},
		{"insert", finessInsert, &rep.Inserted, maillage.EventStructureCreated, "import_create"},
		{"archive", finessArchive, &rep.Archived, maillage.EventStructureArchived, "import_archive"},
		{"end memberships of archived", finessEndMemberships, &rep.Left, maillage.EventMembershipEnded, "import_end_membership"},
	}
	if err := runImportSteps(ctx, tx, finessAuditRole, steps); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, finessArchiveLinks); err != nil {
		return fmt.Errorf("archive links: %w", err)
	}
	if rep.Inserted+rep.Updated+rep.Archived+rep.Left+rep.Territories > 0 {
		return notifyEvents(ctx, tx)
	}
	return nil
}

// placeFINESS gives each establishment of finess_import its department's
// territory, created with its region if the hub lacks it.
func placeFINESS(ctx context.Context, tx *sqlx.Tx, rep *FINESSImport) error {
	var depts []string
	if err := tx.SelectContext(ctx, &depts, `SELECT DISTINCT department FROM finess_import ORDER BY 1`); err != nil {
		return fmt.Errorf("departments: %w", err)
	}
	territories, err := ensureDepartments(ctx, tx, depts, &rep.Territories)
	if err != nil {
		return err
	}
	var ids, paths []string
	for _, d := range depts {
		ids, paths = append(ids, territories[d].ID), append(paths, territories[d].Path)
	}
	const q = `UPDATE finess_import i SET territory_id = d.id, territory_path = d.path
		FROM unnest($1::text[], $2::text[], $3::text[]) AS d (code, id, path) WHERE i.department = d.code`
	if _, err := tx.ExecContext(ctx, q, pq.StringArray(depts), pq.StringArray(ids), pq.StringArray(paths)); err != nil {
		return fmt.Errorf("territories: %w", err)
	}
	return nil
}

// The statements of upsertFINESS. The changes (finessUpdate…) return each
// changed object's id, domain and event payload, for runImportSteps.
const (
	// A SIRET is kept only if one establishment of the file has it and no
	// structure holds it but an imported one of the file, whose SIRET the
	// file replaces (so a structure entered by hand keeps its SIRET).
	finessDropSIRET = `UPDATE finess_import i SET siret = NULL WHERE i.siret IS NOT NULL AND (
		EXISTS (SELECT 1 FROM finess_import j WHERE j.siret = i.siret AND j.finess <> i.finess)
		OR EXISTS (SELECT 1 FROM structures s WHERE s.siret = i.siret AND s.finess IS DISTINCT FROM i.finess
			AND NOT (` + finessOwned + ` AND EXISTS (SELECT 1 FROM finess_import k WHERE k.finess = s.finess))))`
	// An imported structure is the import's to change unless someone
	// archived it by hand: only an archive the import made (its audit record,
	// written in the same transaction) is undone when it is back in the file.
	finessOwned = `(s.source IS NOT DISTINCT FROM 'FINESS' AND (s.archived_at IS NULL OR EXISTS (SELECT 1 FROM audit_log a
		WHERE a.object_kind = 'directory' AND a.object_id = s.id AND a.operation = 'import_archive'
		AND a.role = '` + finessAuditRole + `' AND a.created_at >= s.archived_at)))`
	finessHandMade = `SELECT count(*) FROM finess_import i JOIN structures s ON s.finess = i.finess WHERE NOT ` + finessOwned
	// What changes, computed before any SIRET moves. A structure stays in the
	// territory below its department where it was put.
	finessChanged = `CREATE TEMPORARY TABLE finess_changed ON COMMIT DROP AS
		SELECT s.id, i.kind, i.name, i.commune, i.siret,
			CASE WHEN within(t.path, i.territory_path) THEN s.territory_id ELSE i.territory_id END AS territory_id
		FROM finess_import i JOIN structures s ON s.finess = i.finess AND ` + finessOwned + `
		JOIN territories t ON t.id = s.territory_id
		WHERE (s.kind, s.name, s.commune, s.siret, s.archived_at IS NULL, within(t.path, i.territory_path))
			IS DISTINCT FROM (i.kind, i.name, i.commune, i.siret, true, true)`
	// The SIRETs that move to another structure are released first: the
	// unique index is checked row by row.
	finessReleaseSIRET = `UPDATE structures s SET siret = NULL FROM finess_changed c
		WHERE s.id = c.id AND s.siret IS NOT NULL AND s.siret IS DISTINCT FROM c.siret`
	finessUpdate = `UPDATE structures s SET kind = c.kind, name = c.name, commune = c.commune, siret = c.siret,
			territory_id = c.territory_id, archived_at = NULL, updated_at = now()
		FROM finess_changed c, territories t WHERE s.id = c.id AND t.id = c.territory_id
		RETURNING s.id, ` + structureDomainSQL + ` AS domain, '{}'::jsonb AS payload`
	finessInsert = `INSERT INTO structures AS s (kind, name, territory_id, finess, siret, commune, source)
		SELECT i.kind, i.name, i.territory_id, i.finess, i.siret, i.commune, 'FINESS' FROM finess_import i
		WHERE NOT EXISTS (SELECT 1 FROM structures o WHERE o.finess = i.finess) ORDER BY i.finess
		RETURNING s.id, (SELECT t.path FROM territories t WHERE t.id = s.territory_id) || '/@' || s.id AS domain, '{}'::jsonb AS payload`
	// An imported structure absent from the file is archived, as
	// ArchiveStructure does: its memberships end, its links are archived.
	finessArchive = `UPDATE structures s SET archived_at = now(), updated_at = now()
		FROM territories t WHERE t.id = s.territory_id AND s.source = 'FINESS' AND s.archived_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM finess_import i WHERE i.finess = s.finess)
		RETURNING s.id, ` + structureDomainSQL + ` AS domain, '{}'::jsonb AS payload`
	finessEndMemberships = `UPDATE memberships m SET ended_at = now()
		FROM structures s JOIN territories t ON t.id = s.territory_id
		WHERE s.id = m.structure_id AND s.source = 'FINESS' AND s.archived_at IS NOT NULL AND m.ended_at IS NULL
		RETURNING m.id, ` + structureDomainSQL + ` AS domain, ` + membershipPayloadSQL
	finessArchiveLinks = `UPDATE structure_links l SET archived_at = now() WHERE l.archived_at IS NULL
		AND EXISTS (SELECT 1 FROM structures s WHERE s.id IN (l.from_id, l.to_id) AND s.source = 'FINESS' AND s.archived_at IS NOT NULL)`
)

// territoryRef is a territory's id and path.
type territoryRef struct{ ID, Path string }

// ensureDepartments returns the territory of each department of codes (INSEE
// codes), creating from the COG those the hub lacks, with their region (and
// the nation, in an empty hub); created counts the territories created, each
// with its event.
func ensureDepartments(ctx context.Context, tx *sqlx.Tx, codes []string, created *int) (map[string]territoryRef, error) {
	var rows []struct {
		ID    string `db:"id"`
		Code  string `db:"code"`
		Level string `db:"level"`
		Path  string `db:"path"`
	}
	const q = `SELECT id, code, level, path FROM territories WHERE level IN ('NATION', 'REGION', 'DEPARTMENT') ORDER BY path`
	if err := tx.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("territories: %w", err)
	}
	depts, regions := map[string]territoryRef{}, map[string]territoryRef{}
	var nation *territoryRef
	for _, r := range rows {
		ref := territoryRef{r.ID, r.Path}
		switch {
		case r.Level == string(maillage.LevelNation) && (nation == nil || r.Code == "fr"):
			nation = &ref
		case r.Level == string(maillage.LevelRegion) && regions[r.Code] == territoryRef{}:
			regions[r.Code] = ref
		case r.Level == string(maillage.LevelDepartment) && depts[r.Code] == territoryRef{}:
			depts[r.Code] = ref
		}
	}
	create := func(parent *territoryRef, code, name string, level maillage.TerritoryLevel) (territoryRef, error) {
		ref := territoryRef{Path: code}
		var parentID *string
		if parent != nil {
			ref.Path, parentID = parent.Path+"/"+code, &parent.ID
		}
		const q = `INSERT INTO territories (code, name, level, path, parent_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`
		if err := tx.GetContext(ctx, &ref.ID, q, code, name, level, ref.Path, parentID); err != nil {
			return ref, fmt.Errorf("create territory %s: %w", ref.Path, mapError(err))
		}
		*created++
		return ref, appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventTerritoryCreated, SubjectID: ref.ID, Domain: ref.Path})
	}
	for _, code := range codes {
		if _, ok := depts[code]; ok {
			continue
		}
		region, name, ok := regionOfDepartment(code)
		if !ok {
			return nil, fmt.Errorf("department %q is not in the COG", code)
		}
		reg, ok := regions[region.code]
		if !ok {
			if nation == nil {
				n, err := create(nil, "fr", "France", maillage.LevelNation)
				if err != nil {
					return nil, err
				}
				nation = &n
			}
			var err error
			if reg, err = create(nation, region.code, region.name, maillage.LevelRegion); err != nil {
				return nil, err
			}
			regions[region.code] = reg
		}
		dept, err := create(&reg, code, name, maillage.LevelDepartment)
		if err != nil {
			return nil, err
		}
		depts[code] = dept
	}
	return depts, nil
}
