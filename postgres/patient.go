package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

var _ maillage.PatientService = (*PatientService)(nil)

func init() {
	addRelation(authz.KindPatient, "treating_gp", `EXISTS (SELECT 1 FROM patients rp WHERE rp.id = :id AND rp.gp_id = :pro)`)
	addRelation(authz.KindPatient, "recorder", `EXISTS (SELECT 1 FROM patient_recorders rr WHERE rr.patient_id = :id AND rr.account_id = :acc)`)
}

// patientDomain is the authorization domain of a patient: patients belong to
// no territory; access comes through relations only.
const patientDomain = authz.NationalDomain

const patientSelect = `SELECT p.id, p.family_name, p.given_names, p.birth_date, p.sex, p.ins, p.gp_id,
	p.created_by, p.created_at, p.updated_at, p.archived_at FROM patients p`

// CreatePatient records a patient; the caller becomes its recorder. An INS
// is stored in its canonical form (maillage.CanonicalINS), and one already
// recorded, in whatever case it is typed, is never recorded twice (see
// recordKnownINS).
func (db *PatientService) CreatePatient(ctx context.Context, in maillage.PatientInput) (*maillage.Patient, error) {
	caller := maillage.IdentityFrom(ctx)
	if caller.Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to record a patient")
	}
	if in.INS != nil {
		ins := maillage.CanonicalINS(*in.INS)
		in.INS = &ins
	}
	if err := maillage.ValidatePatient(in, time.Now()); err != nil {
		return nil, err
	}
	if err := db.Authz.Can(ctx, authz.ActCreate, authz.Object{Kind: authz.KindPatient, Domain: patientDomain}); err != nil {
		return nil, err
	}
	var p maillage.Patient
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if in.GPID != nil {
			var ok bool
			if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM professionals WHERE id = $1 AND archived_at IS NULL)`, *in.GPID); err != nil {
				return err
			}
			if !ok {
				return maillage.InvalidField("input.gpId", "unknown professional %q", *in.GPID)
			}
		}
		if in.INS != nil {
			existing, err := db.recordKnownINS(ctx, tx, in)
			if existing != nil || err != nil {
				p = maillage.Patient{}
				if existing != nil {
					p = *existing
				}
				return err
			}
		}
		const q = `INSERT INTO patients (family_name, given_names, birth_date, sex, ins, gp_id, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			RETURNING id, family_name, given_names, birth_date, sex, ins, gp_id, created_by, created_at, updated_at, archived_at`
		if err := tx.GetContext(ctx, &p, q, strings.TrimSpace(in.FamilyName), strings.TrimSpace(in.GivenNames),
			in.BirthDate.Format(time.DateOnly), in.Sex, in.INS, in.GPID, caller.AccountID); err != nil {
			return mapError(err)
		}
		if err := appendAudit(ctx, tx, Audit{ObjectKind: authz.KindPatient, ObjectID: p.ID, Operation: "create", Domain: patientDomain}); err != nil {
			return err
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.PatientTopic(p.ID), Type: maillage.EventPatientCreated, SubjectID: p.ID, Domain: patientDomain})
	})
	if err != nil {
		return nil, fmt.Errorf("create patient: %w", err)
	}
	return &p, nil
}

// recordKnownINS handles a patient whose INS is already recorded: nil, nil
// when it is not; the existing patient when the caller may already write
// it (its treating GP or a recorder: a second recording changes nothing);
// otherwise a refusal naming input.ins that shows nothing of the record.
// Knowing a patient's identity gives no access: someone who read it for a
// referral must not become its recorder. The refusal is audited (outside the
// transaction it rolls back), so probing INS is visible.
func (db *PatientService) recordKnownINS(ctx context.Context, tx *sqlx.Tx, in maillage.PatientInput) (*maillage.Patient, error) {
	var id string
	err := tx.GetContext(ctx, &id, `SELECT id FROM patients WHERE ins = $1 FOR UPDATE`, *in.INS)
	if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find ins: %w", err)
	}
	if existing, err := db.patientFor(ctx, tx, authz.ActWrite, id); err == nil && maillage.SameIdentity(existing, in) {
		return existing, nil
	}
	if err := appendAudit(ctx, db, Audit{ObjectKind: authz.KindPatient, ObjectID: id, Operation: "record_known_ins_refused", Domain: patientDomain}); err != nil {
		return nil, err
	}
	return nil, maillage.InvalidField("input.ins", "this INS is already recorded: ask the patient's médecin traitant to add you to the patient's care")
}

// FindPatientByID returns a patient the caller has a relation with, and
// audits the read; NOT_FOUND otherwise.
func (db *PatientService) FindPatientByID(ctx context.Context, id string) (*maillage.Patient, error) {
	ps, err := db.PatientsByIDs(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if ps[0] == nil {
		return nil, maillage.NotFound("patient")
	}
	return ps[0], nil
}

// patientFor loads a patient the caller may act on (action on kind patient),
// NOT_FOUND otherwise.
func (db *PatientService) patientFor(ctx context.Context, q sqlx.QueryerContext, action authz.Action, id string) (*maillage.Patient, error) {
	var p maillage.Patient
	if err := sqlx.GetContext(ctx, q, &p, patientSelect+` WHERE p.id = $1 AND p.archived_at IS NULL`, id); err != nil {
		if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
			return nil, maillage.NotFound("patient")
		}
		return nil, err
	}
	rels, err := callerRelations(ctx, q, authz.KindPatient, id)
	if err != nil {
		return nil, err
	}
	if err := db.canSee(ctx, action, authz.Object{Kind: authz.KindPatient, Domain: patientDomain, Relations: rels}, "patient"); err != nil {
		return nil, err
	}
	return &p, nil
}

// patientsVisible returns the scope filter of patient reads: the relations
// the policies allow, as SQL over p.id, its parameters added to p. A failure
// to read the caller's grants is an error, never a narrower filter.
func (db *PatientService) patientsVisible(ctx context.Context, p *params) (string, error) {
	scope, err := db.Authz.Scope(ctx, authz.ActRead, authz.KindPatient, relationNames(authz.KindPatient)...)
	if err != nil {
		return "", fmt.Errorf("patient read scope: %w", err)
	}
	return relationFilter(authz.KindPatient, "p.id", scope.Relations, callerOf(ctx, p)), nil
}

// PatientsByIDs loads the visible patients among ids in one statement, and
// audits each read in one more.
func (db *PatientService) PatientsByIDs(ctx context.Context, ids []string) ([]*maillage.Patient, error) {
	p := params{pq.StringArray(ids)}
	var rows []*maillage.Patient
	visible, err := db.patientsVisible(ctx, &p)
	if err != nil {
		return nil, err
	}
	q := patientSelect + ` WHERE p.id = ANY($1) AND ` + visible
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("patients by ids: %w", err)
	}
	if err := db.auditPatientReads(ctx, rows); err != nil {
		return nil, err
	}
	return alignByID(ids, rows, func(p *maillage.Patient) string { return p.ID }), nil
}

// FindPatients returns a page of the patients the caller may see.
func (db *PatientService) FindPatients(ctx context.Context, f maillage.PatientFilter, page maillage.PageArgs) (*maillage.PatientConnection, error) {
	after, err := startPage(&page, 3)
	if err != nil {
		return nil, err
	}
	p := params{searchPattern(f.Search), after[0], after[1], after[2], page.First + 1}
	visible, err := db.patientsVisible(ctx, &p)
	if err != nil {
		return nil, err
	}
	q := patientSelect + ` WHERE ` + visible + ` AND p.archived_at IS NULL
		AND ($1::text IS NULL OR search_key(p.family_name || ' ' || p.given_names) LIKE search_key($1))
		AND (p.family_name, p.given_names, p.id) > ($2, $3, $4)
		ORDER BY p.family_name, p.given_names, p.id LIMIT $5`
	var rows []*maillage.Patient
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("find patients: %w", err)
	}
	edges, info := endPage(rows, page, func(p *maillage.Patient) []string { return []string{p.FamilyName, p.GivenNames, p.ID} },
		func(c func() string, p *maillage.Patient) maillage.PatientEdge {
			return maillage.PatientEdge{Cursor: c(), Node: p}
		})
	read := make([]*maillage.Patient, len(edges))
	for i, e := range edges {
		read[i] = e.Node
	}
	if err := db.auditPatientReads(ctx, read); err != nil {
		return nil, err
	}
	return &maillage.PatientConnection{Edges: edges, PageInfo: info, Filter: f}, nil
}

// auditPatientReads appends one audit record per patient read, in one
// statement, naming the relations through which the caller saw each.
func (db *PatientService) auditPatientReads(ctx context.Context, ps []*maillage.Patient) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make(pq.StringArray, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return appendAudits(ctx, db, authz.KindPatient, ids, "read", literalDomain(patientDomain))
}
