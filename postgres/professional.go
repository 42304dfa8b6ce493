package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

var _ maillage.ProfessionalService = (*DirectoryService)(nil)

const professionalSelect = `SELECT p.id, p.rpps, p.first_name, p.last_name, p.profession, p.specialty,
	p.mssante, p.created_at, p.updated_at, p.archived_at FROM professionals p`

// The directory of professionals is national (the RPPS is): a professional is
// visible to whoever may read the directory anywhere.

func (db *DirectoryService) selectProfessionals(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]*maillage.Professional, error) {
	if ok, err := db.readsDirectory(ctx); !ok {
		return nil, err
	}
	var rows []*maillage.Professional
	if err := sqlx.SelectContext(ctx, q, &rows, professionalSelect+` WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("select professionals: %w", mapError(err))
	}
	return rows, nil
}

func (db *DirectoryService) findProfessional(ctx context.Context, q sqlx.QueryerContext, where, arg string) (*maillage.Professional, error) {
	rows, err := db.selectProfessionals(ctx, q, where, arg)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, maillage.NotFound("professional")
	}
	return rows[0], nil
}

// FindProfessionalByID returns one professional.
func (db *DirectoryService) FindProfessionalByID(ctx context.Context, id string) (*maillage.Professional, error) {
	return db.findProfessional(ctx, db, `p.id = $1`, id)
}

// FindProfessionalByRPPS returns the professional with that RPPS.
func (db *DirectoryService) FindProfessionalByRPPS(ctx context.Context, rpps string) (*maillage.Professional, error) {
	return db.findProfessional(ctx, db, `p.rpps = $1`, rpps)
}

// ProfessionalsByIDs loads professionals in one prepared statement, aligned
// with ids.
func (db *DirectoryService) ProfessionalsByIDs(ctx context.Context, ids []string) ([]*maillage.Professional, error) {
	var rows []*maillage.Professional
	ok, err := db.readsDirectory(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		if err := db.selectPrepared(ctx, &rows, professionalSelect+` WHERE p.id = ANY($1::text[])`, pq.StringArray(ids)); err != nil {
			return nil, fmt.Errorf("professionals by ids: %w", err)
		}
	}
	return alignByID(ids, rows, func(p *maillage.Professional) string { return p.ID }), nil
}

// ProfessionalsByRPPS loads professionals by RPPS in one statement, aligned
// with rpps, nil where none is visible.
func (db *DirectoryService) ProfessionalsByRPPS(ctx context.Context, rpps []string) ([]*maillage.Professional, error) {
	rows, err := db.selectProfessionals(ctx, db, `p.rpps = ANY($1)`, pq.StringArray(rpps))
	if err != nil {
		return nil, err
	}
	return alignByID(rpps, rows, func(p *maillage.Professional) string { return p.RPPS }), nil
}

// professionalFilter: $1 profession, $2 specialty, $3 within path, $4
// search, $5 include archived.
const professionalFilter = `($1::text IS NULL OR p.profession = $1)
	AND ($2::text IS NULL OR p.specialty = $2)
	AND ($3 = '' OR EXISTS (SELECT 1 FROM memberships m JOIN structures s ON s.id = m.structure_id
		JOIN territories t ON t.id = s.territory_id
		WHERE m.professional_id = p.id AND m.ended_at IS NULL AND within(t.path, $3)))
	AND ($4::text IS NULL OR search_key(p.last_name || ' ' || p.first_name) LIKE search_key($4))
	AND ($5 OR p.archived_at IS NULL)`

func (db *DirectoryService) professionalArgs(ctx context.Context, f maillage.ProfessionalFilter) ([]any, error) {
	path, err := db.withinPath(ctx, f.Within)
	if err != nil {
		return nil, err
	}
	return []any{f.Profession, f.Specialty, path, searchPattern(f.Search), f.IncludeArchived}, nil
}

// FindProfessionals returns a page of professionals in name order.
func (db *DirectoryService) FindProfessionals(ctx context.Context, f maillage.ProfessionalFilter, page maillage.PageArgs) (*maillage.ProfessionalConnection, error) {
	after, err := startPage(&page, 3)
	if err != nil {
		return nil, err
	}
	args, err := db.professionalArgs(ctx, f)
	if err != nil {
		return nil, err
	}
	where := professionalFilter + ` AND (p.last_name, p.first_name, p.id) > ($6, $7, $8)
		ORDER BY p.last_name, p.first_name, p.id LIMIT $9`
	rows, err := db.selectProfessionals(ctx, db, where, append(args, after[0], after[1], after[2], page.First+1)...)
	if err != nil {
		return nil, err
	}
	edges, info := endPage(rows, page, func(p *maillage.Professional) []string { return []string{p.LastName, p.FirstName, p.ID} },
		func(c func() string, p *maillage.Professional) maillage.ProfessionalEdge {
			return maillage.ProfessionalEdge{EdgeCursor: maillage.NewEdgeCursor(c), Node: p}
		})
	return &maillage.ProfessionalConnection{Edges: edges, PageInfo: info, Filter: f}, nil
}

// CountProfessionals counts the professionals f selects.
func (db *DirectoryService) CountProfessionals(ctx context.Context, f maillage.ProfessionalFilter) (int, error) {
	if ok, err := db.readsDirectory(ctx); !ok {
		return 0, err
	}
	args, err := db.professionalArgs(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM professionals p WHERE `+professionalFilter, args...); err != nil {
		return 0, fmt.Errorf("count professionals: %w", err)
	}
	return n, nil
}

const membershipColumns = `m.id, m.professional_id, m.structure_id, m.role, m.started_at, m.ended_at`

// MembershipsByIDs loads memberships by id; the directory is public, as the
// memberships of a structure are.
func (db *DirectoryService) MembershipsByIDs(ctx context.Context, ids []string) ([]*maillage.Membership, error) {
	var rows []*maillage.Membership
	ok, err := db.readsDirectory(ctx)
	if err != nil {
		return nil, err
	}
	if ok {
		if err := db.SelectContext(ctx, &rows, `SELECT `+membershipColumns+` FROM memberships m WHERE m.id = ANY($1)`, pq.StringArray(ids)); err != nil {
			return nil, fmt.Errorf("memberships by ids: %w", err)
		}
	}
	return alignByID(ids, rows, func(m *maillage.Membership) string { return m.ID }), nil
}

// MembershipPages loads, in one statement, a page of the current
// memberships of each parent (structures or professionals), in the order
// they started, with their counts when page.Count (read with the pages, so a
// page and its count agree).
func (db *DirectoryService) MembershipPages(ctx context.Context, of maillage.MembershipsOf, parents []string, f maillage.MembershipFilter, page maillage.PageArgs) ([]*maillage.MembershipConnection, error) {
	return db.membershipPages(ctx, of, parents, f, page, false, maillage.MembershipSelection{})
}

// MembershipPagesWithProfessionals is MembershipPages with each membership's
// professional joined in the same statement: the professionals are as
// visible as the memberships (the directory is). Only the columns sel needs
// are read.
func (db *DirectoryService) MembershipPagesWithProfessionals(ctx context.Context, of maillage.MembershipsOf, parents []string, f maillage.MembershipFilter, page maillage.PageArgs, sel maillage.MembershipSelection) ([]*maillage.MembershipConnection, error) {
	return db.membershipPages(ctx, of, parents, f, page, true, sel)
}

// pageColumn is a column a page of memberships may read: its SQL, the set
// it is read with, whether a read needs it, and where it scans to.
type pageColumn struct {
	sql   string
	set   columnSet
	needs func(of maillage.MembershipsOf, joined bool, sel maillage.MembershipSelection) bool
	dest  func(*membershipRow) any
}

// columnSet groups the columns of a page: a page reads whole sets (see
// pageColumnsFor).
type columnSet int

const (
	leanColumns   columnSet = iota // what a list of members shows: role, names, profession
	cursorColumns                  // the page's order: id and start
	otherColumns                   // the rest
)

// membershipField is a column of the membership that a read needs when it
// selects one of fields.
func membershipField(sql string, set columnSet, dest func(*membershipRow) any, fields ...string) pageColumn {
	return pageColumn{sql, set, func(_ maillage.MembershipsOf, _ bool, sel maillage.MembershipSelection) bool {
		return sel.ReadsMembership(fields...)
	}, dest}
}

// professionalField is a column of the joined professional that a read
// needs when it selects one of fields.
func professionalField(sql string, set columnSet, dest func(*maillage.Professional) any, fields ...string) pageColumn {
	return pageColumn{sql, set, func(_ maillage.MembershipsOf, joined bool, sel maillage.MembershipSelection) bool {
		return joined && sel.ReadsProfessional(fields...)
	}, func(r *membershipRow) any { return dest(&r.P) }}
}

// otherEnd is the membership's link to the end that is not its parent (the
// parent's is set from the parent), read when the read selects that end,
// or the id of the professional it joins.
func otherEnd(sql string, end maillage.MembershipsOf, field string, dest func(*membershipRow) any) pageColumn {
	return pageColumn{sql, leanColumns, func(of maillage.MembershipsOf, joined bool, sel maillage.MembershipSelection) bool {
		if of == end {
			return false
		}
		if joined && end == maillage.MembershipsOfProfessional {
			return sel.ReadsProfessional("id")
		}
		return sel.ReadsMembership(field)
	}, dest}
}

// membershipPageColumns are the columns a page of memberships may read, in
// the order they are read. A page holds current memberships only, so
// ended_at is never read.
var membershipPageColumns = []pageColumn{
	membershipField(`m.id`, cursorColumns, func(r *membershipRow) any { return &r.ID }, "id", "cursor"),
	membershipField(`m.role`, leanColumns, func(r *membershipRow) any { return &r.Role }, "role"),
	membershipField(`m.started_at`, cursorColumns, func(r *membershipRow) any { return &r.StartedAt }, "startedAt", "cursor"),
	otherEnd(`m.professional_id`, maillage.MembershipsOfProfessional, "professional", func(r *membershipRow) any { return &r.ProfessionalID }),
	otherEnd(`m.structure_id`, maillage.MembershipsOfStructure, "structure", func(r *membershipRow) any { return &r.StructureID }),
	professionalField(`p.rpps`, leanColumns, func(p *maillage.Professional) any { return &p.RPPS }, "rpps", "nationalId"),
	professionalField(`p.first_name`, leanColumns, func(p *maillage.Professional) any { return &p.FirstName }, "firstName"),
	professionalField(`p.last_name`, leanColumns, func(p *maillage.Professional) any { return &p.LastName }, "lastName"),
	professionalField(`p.profession`, leanColumns, func(p *maillage.Professional) any { return &p.Profession }, "profession"),
	professionalField(`p.specialty`, otherColumns, func(p *maillage.Professional) any { return &p.Specialty }, "specialty"),
	professionalField(`p.mssante`, otherColumns, func(p *maillage.Professional) any { return &p.MSSante }, "mssante"),
	professionalField(`p.created_at`, otherColumns, func(p *maillage.Professional) any { return &p.CreatedAt }, "createdAt"),
	professionalField(`p.updated_at`, otherColumns, func(p *maillage.Professional) any { return &p.UpdatedAt }, "updatedAt"),
	professionalField(`p.archived_at`, otherColumns, func(p *maillage.Professional) any { return &p.ArchivedAt }, "archivedAt"),
}

// pageColumnsFor is the columns a page reads for sel, in the order of
// membershipPageColumns: the lean set when it holds what sel needs, with the
// cursor's when sel needs one of those, or else every column. A statement
// text is prepared on every connection of the pool; reading whole sets keeps
// the texts a few, where a caller choosing its fields one by one could
// otherwise make thousands.
func pageColumnsFor(of maillage.MembershipsOf, joined bool, sel maillage.MembershipSelection) []pageColumn {
	var all, chosen []pageColumn
	var needs [otherColumns + 1]bool // by columnSet
	for _, c := range membershipPageColumns {
		if !c.needs(of, joined, maillage.MembershipSelection{}) {
			continue // not a column of this page (the parent's end, an unjoined professional)
		}
		all = append(all, c)
		needs[c.set] = needs[c.set] || c.needs(of, joined, sel)
	}
	if needs[otherColumns] {
		return all
	}
	for _, c := range all {
		if c.set == leanColumns || needs[cursorColumns] {
			chosen = append(chosen, c)
		}
	}
	return chosen
}

// membershipRow is a row of a page of memberships: the position of its
// parent in the parents, the count of the parent's list when asked, and
// the professional when joined.
type membershipRow struct {
	Parent    int
	ListTotal int
	maillage.Membership
	P maillage.Professional
}

// scanMembershipRows runs a membership page query and scans its rows in
// the order of its columns: the parent's position, its count when counted,
// then columns. A dashboard's page has hundreds of memberships; scanning
// them by hand costs a fraction of sqlx's reflection, which walks the
// struct's fields again for every row.
func (db *DirectoryService) scanMembershipRows(ctx context.Context, q string, args params, counted bool, columns []pageColumn) ([]*membershipRow, error) {
	rs, err := db.queryPrepared(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var rows []*membershipRow
	dest := make([]any, 0, 2+len(columns))
	for rs.Next() {
		r := &membershipRow{}
		dest = append(dest[:0], &r.Parent)
		if counted {
			dest = append(dest, &r.ListTotal)
		}
		for _, c := range columns {
			dest = append(dest, c.dest(r))
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, rs.Err()
}

// membershipPages is MembershipPages, with the professional's columns sel
// needs when joined.
func (db *DirectoryService) membershipPages(ctx context.Context, of maillage.MembershipsOf, parents []string, f maillage.MembershipFilter, page maillage.PageArgs, joined bool, sel maillage.MembershipSelection) ([]*maillage.MembershipConnection, error) {
	if of != maillage.MembershipsOfStructure && of != maillage.MembershipsOfProfessional {
		return nil, fmt.Errorf("membership pages of %q", of)
	}
	after, err := startTypedPage(&page, keyTime, keyText)
	if err != nil {
		return nil, err
	}
	var rows []*membershipRow
	reads, err := db.readsDirectory(ctx)
	if err != nil {
		return nil, err
	}
	if reads {
		p := params{pq.StringArray(parents)}
		where := membershipWhere(&p, of, f)
		total, count := "", ""
		if page.Count {
			total = ", c.n"
			count = ` CROSS JOIN LATERAL (SELECT count(*) AS n FROM memberships m WHERE ` + where + `) c`
		}
		keyset := ""
		if page.After != "" {
			keyset = " AND (m.started_at, m.id) > (" + p.Add(after[0]) + "::timestamptz, " + p.Add(after[1]) + "::text)"
		}
		// The page is ordered on the lateral's o1, o2; only the columns
		// read (c1…) leave the statement.
		columns := pageColumnsFor(of, joined, sel)
		inner, outer := "m.started_at AS o1, m.id AS o2", ""
		for i, c := range columns {
			alias := "c" + strconv.Itoa(i+1)
			inner += ", " + c.sql + " AS " + alias
			outer += ", x." + alias
		}
		from := "memberships m"
		if joined {
			from += " JOIN professionals p ON p.id = m.professional_id"
		}
		q := `SELECT k.n` + total + outer + ` FROM unnest($1::text[]) WITH ORDINALITY k(id, n)` + count +
			` CROSS JOIN LATERAL (SELECT ` + inner + ` FROM ` + from + ` WHERE ` + where + keyset +
			` ORDER BY m.started_at, m.id LIMIT ` + p.Add(page.First+1) + `) x ORDER BY k.n, x.o1, x.o2`
		if rows, err = db.scanMembershipRows(ctx, q, p, page.Count, columns); err != nil {
			return nil, fmt.Errorf("membership pages: %w", err)
		}
	}
	return db.membershipConnections(ctx, of, parents, f, page, rows, reads, joined)
}

// membershipConnections makes each parent's connection of the rows of a
// page read, its parent's end of each membership set from the parent, and
// counts apart the pages that came back empty after a cursor (no row
// carried their count).
func (db *DirectoryService) membershipConnections(ctx context.Context, of maillage.MembershipsOf, parents []string, f maillage.MembershipFilter,
	page maillage.PageArgs, rows []*membershipRow, reads, joined bool) ([]*maillage.MembershipConnection, error) {
	byParent := make([][]*maillage.Membership, len(parents))
	totals := make([]int, len(parents))
	for _, r := range rows {
		i := r.Parent - 1 // ordinality counts from 1
		if of == maillage.MembershipsOfStructure {
			r.StructureID = parents[i]
		} else {
			r.ProfessionalID = parents[i]
		}
		if joined {
			r.P.ID = r.ProfessionalID
			r.Membership.SetProfessional(&r.P)
		}
		byParent[i] = append(byParent[i], &r.Membership)
		totals[i] = r.ListTotal // each row of a counted page carries its count
	}
	out := make([]*maillage.MembershipConnection, len(parents))
	var uncounted []string
	for i := range parents {
		edges, info := endPage(byParent[i], page,
			func(m *maillage.Membership) []string { return []string{timeKey(m.StartedAt), m.ID} },
			func(c func() string, m *maillage.Membership) maillage.MembershipEdge {
				return maillage.MembershipEdge{EdgeCursor: maillage.NewEdgeCursor(c), Node: m}
			})
		out[i] = &maillage.MembershipConnection{Edges: edges, PageInfo: info, TotalCount: totals[i]}
		if page.Count && page.After != "" && len(edges) == 0 && reads {
			uncounted = append(uncounted, parents[i])
		}
	}
	if len(uncounted) == 0 {
		return out, nil
	}
	p := params{pq.StringArray(uncounted)}
	q := `SELECT k.id, (SELECT count(*) FROM memberships m WHERE ` + membershipWhere(&p, of, f) + `) AS count
		FROM unnest($1::text[]) k(id)`
	ns, err := db.countWithin(ctx, "count memberships", q, uncounted, p...)
	if err != nil {
		return nil, err
	}
	for i, parent := range parents {
		if j := slices.Index(uncounted, parent); j >= 0 {
			out[i].TotalCount = ns[j]
		}
	}
	return out, nil
}

// membershipWhere selects the current memberships f selects of the parent
// k.id, its parameters added to p.
func membershipWhere(p *params, of maillage.MembershipsOf, f maillage.MembershipFilter) string {
	where := "m." + string(of) + " = k.id AND m.ended_at IS NULL"
	if f.Role != nil {
		where += " AND m.role = " + p.Add(string(*f.Role)) + "::text"
	}
	return where
}

// checkProfessional validates the fields of a professional that are set.
func checkProfessional(rpps, first, last, profession, mssante *string) error {
	if rpps != nil {
		if err := maillage.ValidateRPPS("input.rpps", *rpps); err != nil {
			return err
		}
	}
	for field, v := range map[string]*string{"input.firstName": first, "input.lastName": last, "input.profession": profession} {
		if v != nil {
			if err := maillage.ValidateName(field, *v); err != nil {
				return err
			}
		}
	}
	if mssante != nil {
		return maillage.ValidateMSSante("input.mssante", *mssante)
	}
	return nil
}

// CreateProfessional validates and creates a professional. The RPPS is
// national: creating one takes the directory write permission nationally.
func (db *DirectoryService) CreateProfessional(ctx context.Context, in maillage.ProfessionalInput) (*maillage.Professional, error) {
	if err := checkProfessional(&in.RPPS, &in.FirstName, &in.LastName, &in.Profession, in.MSSante); err != nil {
		return nil, err
	}
	var p maillage.Professional
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := db.canWriteProfessional(ctx, tx, ""); err != nil {
			return err
		}
		const q = `INSERT INTO professionals (rpps, first_name, last_name, profession, specialty, mssante)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, rpps, first_name, last_name, profession, specialty, mssante, created_at, updated_at, archived_at`
		if err := tx.GetContext(ctx, &p, q, in.RPPS, strings.TrimSpace(in.FirstName), strings.TrimSpace(in.LastName),
			in.Profession, in.Specialty, in.MSSante); err != nil {
			return mapError(err)
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventProfessionalCreated, SubjectID: p.ID, Domain: "fr"})
	})
	if err != nil {
		return nil, fmt.Errorf("create professional: %w", err)
	}
	return &p, nil
}

// canWriteProfessional allows a national directory writer, or a writer in
// the domain of a structure the professional belongs to.
func (db *DirectoryService) canWriteProfessional(ctx context.Context, tx *sqlx.Tx, id string) error {
	if err := db.canWriteDirectory(ctx, "fr"); err == nil || id == "" {
		return err
	}
	var domains []string
	const q = `SELECT t.path || '/@' || s.id FROM memberships m JOIN structures s ON s.id = m.structure_id
		JOIN territories t ON t.id = s.territory_id WHERE m.professional_id = $1 AND m.ended_at IS NULL`
	if err := tx.SelectContext(ctx, &domains, q, id); err != nil {
		return fmt.Errorf("professional domains: %w", err)
	}
	for _, d := range domains {
		if db.canWriteDirectory(ctx, d) == nil {
			return nil
		}
	}
	return maillage.Errorf(maillage.EFORBIDDEN, "not allowed to write this professional")
}

// UpdateProfessional changes the fields of upd that are set.
func (db *DirectoryService) UpdateProfessional(ctx context.Context, id string, upd maillage.ProfessionalUpdate) (*maillage.Professional, error) {
	if err := checkProfessional(nil, upd.FirstName, upd.LastName, upd.Profession, upd.MSSante); err != nil {
		return nil, err
	}
	var p maillage.Professional
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := db.findProfessional(ctx, tx, `p.id = $1`, id); err != nil {
			return err
		}
		if err := db.canWriteProfessional(ctx, tx, id); err != nil {
			return err
		}
		const q = `UPDATE professionals SET first_name = COALESCE($2, first_name), last_name = COALESCE($3, last_name),
			profession = COALESCE($4, profession), specialty = COALESCE($5, specialty), mssante = COALESCE($6, mssante),
			updated_at = now() WHERE id = $1
			RETURNING id, rpps, first_name, last_name, profession, specialty, mssante, created_at, updated_at, archived_at`
		if err := tx.GetContext(ctx, &p, q, id, upd.FirstName, upd.LastName, upd.Profession, upd.Specialty, upd.MSSante); err != nil {
			return mapError(err)
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventProfessionalUpdated, SubjectID: p.ID, Domain: "fr"})
	})
	if err != nil {
		return nil, fmt.Errorf("update professional: %w", err)
	}
	return &p, nil
}

// ArchiveProfessional archives a professional and ends their memberships.
func (db *DirectoryService) ArchiveProfessional(ctx context.Context, id string) (*maillage.Professional, error) {
	var p *maillage.Professional
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		old, err := db.findProfessional(ctx, tx, `p.id = $1`, id)
		if err != nil {
			return err
		}
		if err := db.canWriteProfessional(ctx, tx, id); err != nil {
			return err
		}
		if old.ArchivedAt != nil {
			return maillage.Errorf(maillage.ECONFLICT, "professional already archived")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET ended_at = now() WHERE professional_id = $1 AND ended_at IS NULL`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE professionals SET archived_at = now(), updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		if err := leaveESCAPTeams(ctx, tx, id); err != nil {
			return err
		}
		if p, err = db.findProfessional(ctx, tx, `p.id = $1`, id); err != nil {
			return err
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: maillage.EventProfessionalArchived, SubjectID: p.ID, Domain: "fr"})
	})
	if err != nil {
		return nil, fmt.Errorf("archive professional: %w", err)
	}
	return p, nil
}

// leaveESCAPTeams ends an archived professional's place in every care team,
// each departure audited and announced to the team like a removal (the
// team may then lack its minimum: its members see it and replace them).
func leaveESCAPTeams(ctx context.Context, tx *sqlx.Tx, professionalID string) error {
	var left []struct {
		MemberID string `db:"member_id"`
		ESCAPID  string `db:"escap_id"`
		Domain   string `db:"domain"`
	}
	const q = `UPDATE escap_members m SET left_at = now() FROM escaps e JOIN territories t ON t.id = e.territory_id
		WHERE e.id = m.escap_id AND m.professional_id = $1 AND m.left_at IS NULL
		RETURNING m.id AS member_id, e.id AS escap_id, t.path AS domain`
	if err := tx.SelectContext(ctx, &left, q, professionalID); err != nil {
		return fmt.Errorf("leave escap teams: %w", err)
	}
	for _, l := range left {
		e := &maillage.ESCAP{ID: l.ESCAPID, Domain: l.Domain}
		if err := auditESCAP(ctx, tx, e, "remove_member"); err != nil {
			return err
		}
		if err := escapEvent(ctx, tx, e, maillage.EventMemberLeft, l.MemberID,
			map[string]any{"memberId": l.MemberID, "professionalId": professionalID, "reason": "professional archived"}); err != nil {
			return err
		}
	}
	return nil
}

var membershipRoles = map[maillage.MembershipRole]bool{
	maillage.MemberRoleMember: true, maillage.MemberRoleCoordinator: true, maillage.MemberRoleSecretariat: true,
	maillage.MemberRoleCaseManager: true, maillage.MemberRoleSpecialist: true, maillage.MemberRoleGP: true,
	maillage.MemberRoleNurse: true, maillage.MemberRoleMobileTeam: true, maillage.MemberRoleAdministrator: true,
}

// AddMembership adds a professional to a structure with a role.
func (db *DirectoryService) AddMembership(ctx context.Context, in maillage.MembershipInput) (*maillage.Membership, error) {
	if !membershipRoles[in.Role] {
		return nil, maillage.InvalidField("input.role", "unknown membership role %q", in.Role)
	}
	var m maillage.Membership
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		s, err := db.activeStructure(ctx, tx, "input.structureId", in.StructureID)
		if err != nil {
			return err
		}
		p, err := db.findProfessional(ctx, tx, `p.id = $1`, in.ProfessionalID)
		if maillage.ErrorCode(err) == maillage.ENOTFOUND {
			return maillage.InvalidField("input.professionalId", "unknown professional %q", in.ProfessionalID)
		} else if err != nil {
			return err
		}
		if p.ArchivedAt != nil {
			return maillage.InvalidField("input.professionalId", "professional %q is archived", in.ProfessionalID)
		}
		if err := db.canWriteDirectory(ctx, s.Domain); err != nil {
			return err
		}
		if err := db.canAppoint(ctx, s, in); err != nil {
			return err
		}
		const q = `INSERT INTO memberships (professional_id, structure_id, role) VALUES ($1, $2, $3)
			RETURNING id, professional_id, structure_id, role, started_at, ended_at`
		if err := tx.GetContext(ctx, &m, q, in.ProfessionalID, in.StructureID, in.Role); err != nil {
			return mapError(err)
		}
		return appendMembershipEvent(ctx, tx, maillage.EventMembershipAdded, &m, s.Domain)
	})
	if err != nil {
		return nil, fmt.Errorf("add membership: %w", err)
	}
	return &m, nil
}

// canAppoint checks, for a membership whose role carries rights
// (maillage.AppointsStaff), the "staff write" permission on the domain where
// those rights will hold (a coordinator's whole territory), and refuses to
// let anyone appoint themselves. Ending such a membership takes the same.
func (db *DirectoryService) canAppoint(ctx context.Context, s *maillage.Structure, in maillage.MembershipInput) error {
	if !maillage.AppointsStaff(s.Kind, in.Role) {
		return nil
	}
	if maillage.IdentityFrom(ctx).ProfessionalID == in.ProfessionalID {
		return maillage.Errorf(maillage.EFORBIDDEN, "nobody appoints themselves as %s of a %s", in.Role, s.Kind)
	}
	return db.Authz.Can(ctx, authz.ActWrite, authz.Object{Kind: authz.KindStaff, Domain: maillage.GrantDomain(s, in.Role)})
}

// canDismiss checks that the caller may end a membership: members may leave;
// anyone else needs the directory write permission, and for a role that
// carries rights, the "staff write" permission where they hold.
func (db *DirectoryService) canDismiss(ctx context.Context, s *maillage.Structure, m *maillage.Membership) error {
	if caller := maillage.IdentityFrom(ctx); !caller.Anonymous() && caller.ProfessionalID == m.ProfessionalID {
		return nil
	}
	if err := db.canWriteDirectory(ctx, s.Domain); err != nil {
		return err
	}
	if !maillage.AppointsStaff(s.Kind, m.Role) {
		return nil
	}
	return db.Authz.Can(ctx, authz.ActWrite, authz.Object{Kind: authz.KindStaff, Domain: maillage.GrantDomain(s, m.Role)})
}

// EndMembership ends a current membership.
func (db *DirectoryService) EndMembership(ctx context.Context, id string) (*maillage.Membership, error) {
	var m maillage.Membership
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &m, `SELECT `+membershipColumns+` FROM memberships m WHERE m.id = $1 FOR UPDATE`, id); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.NotFound("membership")
			}
			return err
		}
		s, err := db.findStructure(ctx, tx, `s.id = $3`, m.StructureID)
		if err != nil {
			return err
		}
		if err := db.canDismiss(ctx, s, &m); err != nil {
			return err
		}
		if m.EndedAt != nil {
			return maillage.Errorf(maillage.ECONFLICT, "membership already ended")
		}
		if err := tx.GetContext(ctx, &m.EndedAt, `UPDATE memberships SET ended_at = now() WHERE id = $1 RETURNING ended_at`, id); err != nil {
			return err
		}
		return appendMembershipEvent(ctx, tx, maillage.EventMembershipEnded, &m, s.Domain)
	})
	if err != nil {
		return nil, fmt.Errorf("end membership: %w", err)
	}
	return &m, nil
}

// appendMembershipEvent records a membership change. Memberships imply
// roles: the member's account is announced on AuthzChannel by a trigger.
func appendMembershipEvent(ctx context.Context, tx *sqlx.Tx, typ string, m *maillage.Membership, domain string) error {
	return appendEvent(ctx, tx, Event{Topic: maillage.TopicDirectory, Type: typ, SubjectID: m.ID, Domain: domain,
		Payload: map[string]string{"professionalId": m.ProfessionalID, "structureId": m.StructureID, "role": string(m.Role)}})
}
