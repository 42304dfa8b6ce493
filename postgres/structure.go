package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
)

var _ maillage.StructureService = (*DirectoryService)(nil)

// structureRow is a structures row with its territory's path joined in.
type structureRow struct {
	maillage.Structure
	Specialties pq.StringArray `db:"specialties"`
}

func (r *structureRow) toDomain() *maillage.Structure {
	s := r.Structure
	s.Specialties = []string(r.Specialties)
	if s.Specialties == nil {
		s.Specialties = []string{}
	}
	return &s
}

// structurePageRow is a row of a page of structures: its parent when the
// page is one of several, the count of the parent's list when counted.
type structurePageRow struct {
	ListParent string
	ListTotal  *int
	structureRow
}

// scanStructurePage runs a page query and scans its rows in the order of
// its columns: list_parent when paged, list_total when counted, then
// structureSelect's. A dashboard reads pages of structures on every view;
// scanning them by hand spares sqlx's reflection over each row.
func (db *DirectoryService) scanStructurePage(ctx context.Context, q string, args params, paged, counted bool) ([]*structurePageRow, error) {
	rs, err := db.queryPrepared(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var rows []*structurePageRow
	dest := make([]any, 0, 15)
	for rs.Next() {
		r := &structurePageRow{}
		dest = dest[:0]
		if paged {
			dest = append(dest, &r.ListParent)
		}
		if counted {
			dest = append(dest, &r.ListTotal)
		}
		s := &r.Structure
		dest = append(dest, &s.ID, &s.Kind, &s.Name, &s.TerritoryID, &s.Domain, &s.FINESS, &s.SIRET, &s.MSSante,
			&r.Specialties, &s.Commune, &s.CreatedAt, &s.UpdatedAt, &s.ArchivedAt)
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, rs.Err()
}

// structureSelect is a structure's columns, in the order scanStructurePage
// reads them.
const structureSelect = `SELECT s.id, s.kind, s.name, s.territory_id, t.path || '/@' || s.id AS domain,
	s.finess, s.siret, s.mssante, s.specialties, s.commune, s.created_at, s.updated_at, s.archived_at
	FROM structures s JOIN territories t ON t.id = s.territory_id`

// structureVisible is the directory scope on structures: $1 all, $2 domains.
const structureVisible = `($1 OR EXISTS (SELECT 1 FROM unnest($2::text[]) d WHERE within(t.path || '/@' || s.id, d)))`

func (db *DirectoryService) selectStructures(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]*maillage.Structure, error) {
	scope, err := db.directoryScope(ctx)
	if err != nil {
		return nil, err
	}
	all, domains := scopeArgs(scope)
	var rows []*structureRow
	query := structureSelect + ` WHERE ` + structureVisible + ` AND ` + where
	if err := sqlx.SelectContext(ctx, q, &rows, query, append([]any{all, domains}, args...)...); err != nil {
		return nil, fmt.Errorf("select structures: %w", mapError(err))
	}
	out := make([]*maillage.Structure, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// FindStructureByID returns one structure, archived or not.
func (db *DirectoryService) FindStructureByID(ctx context.Context, id string) (*maillage.Structure, error) {
	return db.findStructure(ctx, db, `s.id = $3`, id)
}

// FindStructureByFINESS returns the structure with that FINESS, in any
// case ("2a…" finds the Corsican "2A…").
func (db *DirectoryService) FindStructureByFINESS(ctx context.Context, finess string) (*maillage.Structure, error) {
	return db.findStructure(ctx, db, `s.finess = $3`, maillage.CanonicalFINESS(finess))
}

func (db *DirectoryService) findStructure(ctx context.Context, q sqlx.QueryerContext, where string, arg string) (*maillage.Structure, error) {
	rows, err := db.selectStructures(ctx, q, where, arg)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, maillage.NotFound("structure")
	}
	return rows[0], nil
}

// StructuresByIDs loads structures in one statement, aligned with ids.
func (db *DirectoryService) StructuresByIDs(ctx context.Context, ids []string) ([]*maillage.Structure, error) {
	rows, err := db.selectStructures(ctx, db, `s.id = ANY($3)`, pq.StringArray(ids))
	if err != nil {
		return nil, err
	}
	return alignByID(ids, rows, func(s *maillage.Structure) string { return s.ID }), nil
}

// StructuresByFINESS loads structures by FINESS in one statement, aligned
// with finess, nil where none is visible; each FINESS is matched in its
// canonical form, as FindStructureByFINESS does.
func (db *DirectoryService) StructuresByFINESS(ctx context.Context, finess []string) ([]*maillage.Structure, error) {
	canonical := make([]string, len(finess))
	for i, f := range finess {
		canonical[i] = maillage.CanonicalFINESS(f)
	}
	rows, err := db.selectStructures(ctx, db, `s.finess = ANY($3)`, pq.StringArray(canonical))
	if err != nil {
		return nil, err
	}
	return alignByID(canonical, rows, func(s *maillage.Structure) string { return *s.FINESS }), nil
}

// structureConds composes the filter of structure lists for what f gives
// and the caller's scope, its parameters added to p. pathExpr is the SQL path
// of the territory the list is within, "" for anywhere.
func (db *DirectoryService) structureConds(ctx context.Context, p *params, f maillage.StructureFilter, pathExpr string) (string, error) {
	scope, err := db.directoryScope(ctx)
	if err != nil {
		return "", err
	}
	conds := []string{}
	if !scope.All {
		conds = append(conds, domainCondition(p, "t.path || '/@' || s.id", pq.StringArray(scope.Domains)))
	}
	if pathExpr != "" {
		conds = append(conds, pathWithin("t.path", pathExpr))
	}
	if len(f.Kinds) > 0 {
		var kinds pq.StringArray
		for _, k := range f.Kinds {
			kinds = append(kinds, string(k))
		}
		conds = append(conds, "s.kind = ANY("+p.Add(kinds)+"::text[])")
	}
	if f.Specialty != nil {
		conds = append(conds, p.Add(*f.Specialty)+"::text = ANY(s.specialties)")
	}
	if f.Search != nil {
		conds = append(conds, "search_key(s.name) LIKE search_key("+p.Add(*searchPattern(f.Search))+"::text)")
	}
	if !f.IncludeArchived {
		conds = append(conds, "s.archived_at IS NULL")
	}
	if len(conds) == 0 {
		return "TRUE", nil
	}
	return strings.Join(conds, " AND "), nil
}

// pathWithin is true when the territory path at pathExpr is the one at
// parentExpr or below it: a range on the text_pattern_ops index of
// territories.path, usable in a prepared statement's generic plan (a LIKE
// with a parameter, or within(), is not).
func pathWithin(pathExpr, parentExpr string) string {
	return "(" + pathExpr + " = " + parentExpr + " OR (" + pathExpr + " ~>=~ (" + parentExpr + " || '/') AND " +
		pathExpr + " ~<~ (" + parentExpr + " || '0')))"
}

// structureAfter is the keyset condition of a page after the cursor keys.
func structureAfter(p *params, page maillage.PageArgs, after []string) string {
	if page.After == "" {
		return ""
	}
	return " AND (s.name, s.id) > (" + p.Add(after[0]) + "::text, " + p.Add(after[1]) + "::text)"
}

// FindStructures returns a page of structures in name order.
func (db *DirectoryService) FindStructures(ctx context.Context, f maillage.StructureFilter, page maillage.PageArgs) (*maillage.StructureConnection, error) {
	after, err := startPage(&page, 2)
	if err != nil {
		return nil, err
	}
	path, err := db.withinPath(ctx, f.Within)
	if err != nil {
		return nil, err
	}
	var p params
	within := ""
	if path != "" {
		within = p.Add(path) + "::text"
	}
	where, err := db.structureConds(ctx, &p, f, within)
	if err != nil {
		return nil, err
	}
	q := structureSelect + ` WHERE ` + where + structureAfter(&p, page, after) + ` ORDER BY s.name, s.id` + pageLimit(page)
	if page.Count { // the count in the same statement, so that it agrees with the page
		q = `SELECT c.n AS list_total, x.* FROM (SELECT count(*) AS n FROM ` + structureCount + ` WHERE ` + where + `) c
			CROSS JOIN LATERAL (` + q + `) x ORDER BY x.name, x.id`
	}
	rows, err := db.scanStructurePage(ctx, q, p, false, page.Count)
	if err != nil {
		return nil, fmt.Errorf("find structures: %w", mapError(err))
	}
	out := make([]*maillage.Structure, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	conn := structureConnection(out, f, page)
	if page.Count {
		n := 0
		switch {
		case len(rows) > 0:
			n = *rows[0].ListTotal
		case page.After != "": // an empty page after a cursor: no row carried the count
			if n, err = db.CountStructures(ctx, f); err != nil {
				return nil, err
			}
		}
		conn.Total = &n
	}
	return conn, nil
}

func structureConnection(rows []*maillage.Structure, f maillage.StructureFilter, page maillage.PageArgs) *maillage.StructureConnection {
	edges, info := endPage(rows, page, func(s *maillage.Structure) []string { return []string{s.Name, s.ID} },
		func(c func() string, s *maillage.Structure) maillage.StructureEdge {
			return maillage.StructureEdge{EdgeCursor: maillage.NewEdgeCursor(c), Node: s}
		})
	return &maillage.StructureConnection{Edges: edges, PageInfo: info, Filter: f}
}

// FindStructuresWithin returns, in one statement, the page of the structures
// f selects within each parent territory (f.Within is ignored), aligned with
// parents, and their counts when page.Count (read with the pages, so a page
// and its count agree); an unknown parent gets an empty page.
func (db *DirectoryService) FindStructuresWithin(ctx context.Context, parents []string, f maillage.StructureFilter, page maillage.PageArgs) ([]*maillage.StructureConnection, error) {
	after, err := startPage(&page, 2)
	if err != nil {
		return nil, err
	}
	// One parent (a territory's page, the usual read) is compared with =,
	// so that PostgreSQL estimates one parent and keeps the statement's
	// generic plan (see pageLimit); ANY($1) is estimated at ten.
	p, parent := params{pq.StringArray(parents)}, `k.id = ANY($1::text[])`
	if len(parents) == 1 {
		p, parent = params{parents[0]}, `k.id = $1`
	}
	where, err := db.structureConds(ctx, &p, f, "k.path")
	if err != nil {
		return nil, err
	}
	total, count := "", ""
	if page.Count {
		total = "c.n AS list_total, "
		count = ` CROSS JOIN LATERAL (SELECT count(*) AS n FROM ` + structureCount + ` WHERE ` + where + `) c`
	}
	q := `SELECT k.id AS list_parent, ` + total + `x.* FROM territories k` + count + ` CROSS JOIN LATERAL (` + structureSelect +
		` WHERE ` + where + structureAfter(&p, page, after) + ` ORDER BY s.name, s.id` + pageLimit(page) + `) x
		WHERE ` + parent + ` ORDER BY k.id, x.name, x.id`
	rows, err := db.scanStructurePage(ctx, q, p, true, page.Count)
	if err != nil {
		return nil, fmt.Errorf("find structures within: %w", mapError(err))
	}
	byParent := make(map[string][]*maillage.Structure, len(parents))
	totals := map[string]int{}
	for _, r := range rows {
		byParent[r.ListParent] = append(byParent[r.ListParent], r.toDomain())
		if r.ListTotal != nil {
			totals[r.ListParent] = *r.ListTotal
		}
	}
	out := make([]*maillage.StructureConnection, len(parents))
	var uncounted []int // an empty page after a cursor: its count is read apart
	for i, parent := range parents {
		pf := f
		pf.Within = &parents[i]
		out[i] = structureConnection(byParent[parent], pf, page)
		if page.Count {
			n := totals[parent]
			out[i].Total = &n
			if len(byParent[parent]) == 0 && page.After != "" {
				uncounted = append(uncounted, i)
			}
		}
	}
	return out, db.countEmptyPages(ctx, parents, f, uncounted, out)
}

// countEmptyPages counts the lists whose page came back empty after a cursor
// (no row carried their count).
func (db *DirectoryService) countEmptyPages(ctx context.Context, parents []string, f maillage.StructureFilter, at []int, out []*maillage.StructureConnection) error {
	if len(at) == 0 {
		return nil
	}
	ids := make([]string, len(at))
	for j, i := range at {
		ids[j] = parents[i]
	}
	ns, err := db.CountStructuresWithin(ctx, ids, f)
	if err != nil {
		return err
	}
	for j, i := range at {
		out[i].Total = &ns[j]
	}
	return nil
}

// structureCount is what the structure counts count over.
const structureCount = `structures s JOIN territories t ON t.id = s.territory_id`

// CountStructures counts the structures f selects.
func (db *DirectoryService) CountStructures(ctx context.Context, f maillage.StructureFilter) (int, error) {
	path, err := db.withinPath(ctx, f.Within)
	if err != nil {
		return 0, err
	}
	var p params
	within := ""
	if path != "" {
		within = p.Add(path) + "::text"
	}
	where, err := db.structureConds(ctx, &p, f, within)
	if err != nil {
		return 0, err
	}
	q := `SELECT count(*) FROM ` + structureCount + ` WHERE ` + where
	var n []int
	if err := db.selectPrepared(ctx, &n, q, p...); err != nil {
		return 0, fmt.Errorf("count structures: %w", err)
	}
	return n[0], nil
}

// CountStructuresWithin counts, in one statement, the structures f selects
// within each parent territory (f.Within is ignored), aligned with parents.
func (db *DirectoryService) CountStructuresWithin(ctx context.Context, parents []string, f maillage.StructureFilter) ([]int, error) {
	p := params{pq.StringArray(parents)}
	where, err := db.structureConds(ctx, &p, f, "k.path")
	if err != nil {
		return nil, err
	}
	q := `SELECT k.id, c.n AS count FROM territories k CROSS JOIN LATERAL (SELECT count(*) AS n FROM ` + structureCount +
		` WHERE ` + where + `) c WHERE k.id = ANY($1::text[])`
	return db.countWithin(ctx, "count structures within", q, parents, p...)
}

// LinksByIDs loads links by id, for whoever may read the directory.
func (db *DirectoryService) LinksByIDs(ctx context.Context, ids []string) ([]*maillage.StructureLink, error) {
	var rows []*maillage.StructureLink
	ok, err := db.readsDirectory(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		const q = `SELECT id, from_id, to_id, kind, created_at, archived_at FROM structure_links WHERE id = ANY($1)`
		if err := db.SelectContext(ctx, &rows, q, pq.StringArray(ids)); err != nil {
			return nil, fmt.Errorf("links by ids: %w", err)
		}
	}
	return alignByID(ids, rows, func(l *maillage.StructureLink) string { return l.ID }), nil
}

// LinksByStructureIDs loads the active links from or to each structure.
func (db *DirectoryService) LinksByStructureIDs(ctx context.Context, ids []string) ([][]*maillage.StructureLink, error) {
	// One row per (structure asked for, link), so that grouping has one key.
	const q = `SELECT DISTINCT k.id AS structure_id, l.id, l.from_id, l.to_id, l.kind, l.created_at, l.archived_at
		FROM unnest($1::text[]) k(id) JOIN structure_links l ON k.id IN (l.from_id, l.to_id)
		WHERE l.archived_at IS NULL ORDER BY l.created_at, l.id`
	var rows []*linkRow
	if err := db.SelectContext(ctx, &rows, q, pq.StringArray(ids)); err != nil {
		return nil, fmt.Errorf("links by structure: %w", err)
	}
	groups := groupByID(ids, rows, func(r *linkRow) string { return r.StructureID })
	out := make([][]*maillage.StructureLink, len(ids))
	for i, g := range groups {
		out[i] = make([]*maillage.StructureLink, len(g))
		for j, r := range g {
			out[i][j] = &r.StructureLink
		}
	}
	return out, nil
}

// linkRow is a link with the structure it was loaded for.
type linkRow struct {
	StructureID string `db:"structure_id"`
	maillage.StructureLink
}

// canonicalLocation puts a FINESS and a commune code given in their
// canonical form (Corsica's 2A/2B in capitals).
func canonicalLocation(finess, commune *string) {
	if finess != nil {
		*finess = maillage.CanonicalFINESS(*finess)
	}
	if commune != nil {
		*commune = maillage.CanonicalCommune(*commune)
	}
}

// finessWarnings adds to the key's warning the department's: a FINESS
// whose department is not the one of the structure's territory.
func finessWarnings(keyWarning string, s *maillage.Structure) string {
	if s.FINESS == nil {
		return keyWarning
	}
	dept := maillage.FINESSDepartmentWarning("input.finess", *s.FINESS, s.Domain)
	switch {
	case keyWarning == "":
		return dept
	case dept == "":
		return keyWarning
	}
	return keyWarning + "; " + dept
}

// checkStructureIdentifiers validates the identifiers of a structure, and
// returns the FINESS key warning if any.
func checkStructureIdentifiers(finess, siret, mssante *string) (string, error) {
	warning := ""
	if finess != nil {
		w, err := maillage.ValidateFINESS("input.finess", *finess)
		if err != nil {
			return "", err
		}
		warning = w
	}
	if siret != nil {
		if err := maillage.ValidateSIRET("input.siret", *siret); err != nil {
			return "", err
		}
	}
	if mssante != nil {
		if err := maillage.ValidateMSSante("input.mssante", *mssante); err != nil {
			return "", err
		}
	}
	return warning, nil
}

var structureKinds = map[maillage.StructureKind]bool{
	maillage.KindESP: true, maillage.KindMSP: true, maillage.KindESS: true, maillage.KindCPTS: true,
	maillage.KindDAC: true, maillage.KindPTA: true, maillage.KindSSIAD: true, maillage.KindSAAD: true,
	maillage.KindSPASAD: true, maillage.KindEHPAD: true, maillage.KindCLIC: true, maillage.KindCCAS: true,
	maillage.KindCAMSP: true, maillage.KindITEP: true, maillage.KindCPAM: true, maillage.KindHopital: true,
	maillage.KindFAM: true, maillage.KindMAS: true, maillage.KindPCPE: true, maillage.KindESA: true, maillage.KindMJPM: true,
	maillage.KindOther: true,
}

// CreateStructure validates and creates a structure.
func (db *DirectoryService) CreateStructure(ctx context.Context, in maillage.StructureInput) (*maillage.Structure, error) {
	if !structureKinds[in.Kind] {
		return nil, maillage.InvalidField("input.kind", "unknown structure kind %q", in.Kind)
	}
	if err := maillage.ValidateName("input.name", in.Name); err != nil {
		return nil, err
	}
	if in.Kind == maillage.KindESS {
		if err := maillage.ValidateESSSpecialties("input.specialties", in.Specialties); err != nil {
			return nil, err
		}
	}
	canonicalLocation(in.FINESS, in.Commune)
	warning, err := checkStructureIdentifiers(in.FINESS, in.SIRET, in.MSSante)
	if err != nil {
		return nil, err
	}
	var s *maillage.Structure
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		path, err := territoryPath(ctx, tx, "input.territoryId", in.TerritoryID)
		if err != nil {
			return err
		}
		if err := db.canWriteDirectory(ctx, path); err != nil {
			return err
		}
		var id string
		const q = `INSERT INTO structures (kind, name, territory_id, finess, siret, mssante, specialties, commune)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`
		if err := tx.GetContext(ctx, &id, q, in.Kind, strings.TrimSpace(in.Name), in.TerritoryID, in.FINESS, in.SIRET,
			in.MSSante, pq.StringArray(nonNil(in.Specialties)), in.Commune); err != nil {
			return mapError(err)
		}
		if s, err = db.findStructure(ctx, tx, `s.id = $3`, id); err != nil {
			return err
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventStructureCreated, SubjectID: s.ID, Domain: s.Domain})
	})
	if err != nil {
		return nil, fmt.Errorf("create structure: %w", err)
	}
	s.FINESSWarning = finessWarnings(warning, s)
	return s, nil
}

// UpdateStructure changes the fields of upd that are set.
func (db *DirectoryService) UpdateStructure(ctx context.Context, id string, upd maillage.StructureUpdate) (*maillage.Structure, error) {
	if upd.Name != nil {
		if err := maillage.ValidateName("input.name", *upd.Name); err != nil {
			return nil, err
		}
	}
	canonicalLocation(upd.FINESS, upd.Commune)
	warning, err := checkStructureIdentifiers(upd.FINESS, upd.SIRET, upd.MSSante)
	if err != nil {
		return nil, err
	}
	var s *maillage.Structure
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		old, err := db.lockStructure(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := db.canWriteDirectory(ctx, old.Domain); err != nil {
			return err
		}
		if old.Kind == maillage.KindESS && upd.Specialties != nil {
			if err := maillage.ValidateESSSpecialties("input.specialties", upd.Specialties); err != nil {
				return err
			}
		}
		if upd.TerritoryID != nil {
			path, err := territoryPath(ctx, tx, "input.territoryId", *upd.TerritoryID)
			if err != nil {
				return err
			}
			if err := db.canWriteDirectory(ctx, path); err != nil {
				return err
			}
		}
		var specialties any
		if upd.Specialties != nil {
			specialties = pq.StringArray(upd.Specialties)
		}
		const q = `UPDATE structures SET name = COALESCE($2, name), territory_id = COALESCE($3, territory_id),
			finess = COALESCE($4, finess), siret = COALESCE($5, siret), mssante = COALESCE($6, mssante),
			specialties = COALESCE($7, specialties), commune = COALESCE($8, commune), updated_at = now()
			WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, id, upd.Name, upd.TerritoryID, upd.FINESS, upd.SIRET, upd.MSSante, specialties, upd.Commune); err != nil {
			return mapError(err)
		}
		if s, err = db.findStructure(ctx, tx, `s.id = $3`, id); err != nil {
			return err
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventStructureUpdated, SubjectID: s.ID, Domain: s.Domain})
	})
	if err != nil {
		return nil, fmt.Errorf("update structure: %w", err)
	}
	if upd.FINESS != nil || upd.TerritoryID != nil {
		warning = finessWarnings(warning, s)
	}
	s.FINESSWarning = warning
	return s, nil
}

// lockStructure reads a structure FOR UPDATE in tx.
func (db *DirectoryService) lockStructure(ctx context.Context, tx *sqlx.Tx, id string) (*maillage.Structure, error) {
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM structures WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, mapError(err)
	}
	return db.findStructure(ctx, tx, `s.id = $3`, id)
}

// ArchiveStructure archives a structure, its links and its memberships.
func (db *DirectoryService) ArchiveStructure(ctx context.Context, id string) (*maillage.Structure, error) {
	var s *maillage.Structure
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		old, err := db.lockStructure(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := db.canWriteDirectory(ctx, old.Domain); err != nil {
			return err
		}
		if old.ArchivedAt != nil {
			return maillage.Errorf(maillage.ECONFLICT, "structure already archived")
		}
		now := time.Now().UTC()
		for _, q := range []string{
			`UPDATE structures SET archived_at = $2, updated_at = $2 WHERE id = $1`,
			`UPDATE structure_links SET archived_at = $2 WHERE (from_id = $1 OR to_id = $1) AND archived_at IS NULL`,
			`UPDATE memberships SET ended_at = $2 WHERE structure_id = $1 AND ended_at IS NULL`,
		} {
			if _, err := tx.ExecContext(ctx, q, id, now); err != nil {
				return fmt.Errorf("archive: %w", err)
			}
		}
		if s, err = db.findStructure(ctx, tx, `s.id = $3`, id); err != nil {
			return err
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventStructureArchived, SubjectID: s.ID, Domain: s.Domain})
	})
	if err != nil {
		return nil, fmt.Errorf("archive structure: %w", err)
	}
	return s, nil
}

// LinkStructures links two active structures.
func (db *DirectoryService) LinkStructures(ctx context.Context, in maillage.StructureLinkInput) (*maillage.StructureLink, error) {
	switch in.Kind {
	case maillage.LinkPartOf, maillage.LinkAdheresTo, maillage.LinkWorksWith:
	default:
		return nil, maillage.InvalidField("input.kind", "unknown link kind %q", in.Kind)
	}
	if in.FromID == in.ToID {
		return nil, maillage.InvalidField("input.toId", "a structure cannot be linked to itself")
	}
	var l maillage.StructureLink
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		from, err := db.activeStructure(ctx, tx, "input.fromId", in.FromID)
		if err != nil {
			return err
		}
		to, err := db.activeStructure(ctx, tx, "input.toId", in.ToID)
		if err != nil {
			return err
		}
		if err := db.canWriteDirectory(ctx, from.Domain); err != nil {
			return err
		}
		if err := checkLinkRule(ctx, tx, in.Kind, from, to); err != nil {
			return err
		}
		const q = `INSERT INTO structure_links (from_id, to_id, kind) VALUES ($1, $2, $3)
			RETURNING id, from_id, to_id, kind, created_at, archived_at`
		if err := tx.GetContext(ctx, &l, q, in.FromID, in.ToID, in.Kind); err != nil {
			return mapError(err)
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventStructuresLinked, SubjectID: l.ID, Domain: from.Domain})
	})
	if err != nil {
		return nil, fmt.Errorf("link structures: %w", err)
	}
	return &l, nil
}

// activeStructure returns a structure that is not archived, or
// BAD_USER_INPUT naming field.
func (db *DirectoryService) activeStructure(ctx context.Context, q sqlx.QueryerContext, field, id string) (*maillage.Structure, error) {
	s, err := db.findStructure(ctx, q, `s.id = $3`, id)
	if maillage.ErrorCode(err) == maillage.ENOTFOUND {
		return nil, maillage.InvalidField(field, "unknown structure %q", id)
	}
	if err != nil {
		return nil, err
	}
	if s.ArchivedAt != nil {
		return nil, maillage.InvalidField(field, "structure %q is archived", id)
	}
	return s, nil
}

// ArchiveStructureLink archives a link.
func (db *DirectoryService) ArchiveStructureLink(ctx context.Context, id string) (*maillage.StructureLink, error) {
	var l maillage.StructureLink
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &l, `SELECT id, from_id, to_id, kind, created_at, archived_at FROM structure_links WHERE id = $1 FOR UPDATE`, id); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.NotFound("structure link")
			}
			return err
		}
		from, err := db.findStructure(ctx, tx, `s.id = $3`, l.FromID)
		if err != nil {
			return err
		}
		if err := db.canWriteDirectory(ctx, from.Domain); err != nil {
			return err
		}
		if l.ArchivedAt != nil {
			return maillage.Errorf(maillage.ECONFLICT, "link already archived")
		}
		if err := tx.GetContext(ctx, &l.ArchivedAt, `UPDATE structure_links SET archived_at = now() WHERE id = $1 RETURNING archived_at`, id); err != nil {
			return err
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventStructureLinkArchived, SubjectID: l.ID, Domain: from.Domain})
	})
	if err != nil {
		return nil, fmt.Errorf("archive link: %w", err)
	}
	return &l, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
