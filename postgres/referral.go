package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

var _ maillage.ReferralService = (*ReferralService)(nil)

// Referral relations. A request is seen by its requester and its assigned
// specialist through relations, and by the ESS's staff through their roles on
// the ESS's domain. Its patient is seen by the requester, and by the ESS's
// secretariat and case manager (and the assigned specialist) while the
// request is with the ESS: a specialist who merely sees the queue does not
// see who the patients are.
func init() {
	addRelation(authz.KindReferral, "requester",
		`EXISTS (SELECT 1 FROM referrals rr WHERE rr.id = :id AND rr.requested_by = :acc)`)
	addRelation(authz.KindReferral, "assigned_specialist",
		`EXISTS (SELECT 1 FROM referrals rr WHERE rr.id = :id AND rr.specialist_id = :pro)`)
	addRelation(authz.KindPatient, "referral_requester",
		`EXISTS (SELECT 1 FROM referrals rr WHERE rr.patient_id = :id AND rr.requested_by = :acc)`)
	// An ESS's access to a request's patient follows the request: while it
	// is being handled, its secretariat and case managers and its assigned
	// specialist; once answered or closed, only the staff who handled it
	// (wrote in its history, or were assigned) and only for
	// referral_settings.handled_access after the answer; declined,
	// redirected or withdrawn, nobody of the ESS.
	addRelation(authz.KindPatient, "referral_ess_staff",
		`EXISTS (SELECT 1 FROM referrals rr
			JOIN memberships rm ON rm.structure_id = rr.ess_id AND rm.ended_at IS NULL AND rm.professional_id = :pro
			WHERE rr.patient_id = :id AND (
			  rr.state IN ('SUBMITTED', 'TRIAGED', 'ASSIGNED', 'SCHEDULED')
			    AND (rm.role IN ('SECRETARIAT', 'CASE_MANAGER') OR (rm.role = 'SPECIALIST' AND rr.specialist_id = :pro))
			  OR rr.state IN ('ANSWERED', 'CLOSED') AND rm.role IN ('SECRETARIAT', 'CASE_MANAGER', 'SPECIALIST')
			    AND (rr.specialist_id = :pro OR EXISTS (SELECT 1 FROM referral_history rh WHERE rh.referral_id = rr.id AND rh.author_id = :acc))
			    AND EXISTS (SELECT 1 FROM referral_history ra WHERE ra.referral_id = rr.id AND ra.action = 'ANSWER'
			      AND ra.created_at > now() - (SELECT handled_access FROM referral_settings))))`)
	conflictMessages["referrals_client_key"] = "clientKey: this client key was already used for another request"
}

// referralRules are the limits submissions are checked against.
var referralRules = maillage.DefaultReferralRules

const referralColumns = `r.id, r.ess_id, et.path || '/@' || es.id AS domain, r.patient_id, r.requester_id,
	r.requested_by, r.requester_kind, r.reason, r.urgency, r.modality, r.attachments, r.state, r.specialist_id,
	r.appointment_at, r.answer, r.answer_modality, r.decline_reason, r.redirect_target, r.redirected_to_id,
	r.redirected_from_id, r.pathway, r.supportive_care, r.etp_programme, r.submitted_at, r.updated_at`

const referralFrom = ` FROM referrals r JOIN structures es ON es.id = r.ess_id JOIN territories et ON et.id = es.territory_id`

const referralSelect = `SELECT ` + referralColumns + referralFrom

// referralsVisible is the read filter on referrals: everything, or the
// domains where the caller's roles allow, or the allowed relations with the
// caller; its parameters added to p. A failure to read the caller's grants
// is an error, never a narrower filter.
func (db *ReferralService) referralsVisible(ctx context.Context, p *params) (string, error) {
	scope, err := db.Authz.Scope(ctx, authz.ActRead, authz.KindReferral, relationNames(authz.KindReferral)...)
	if err != nil {
		return "", fmt.Errorf("referral read scope: %w", err)
	}
	all, domains := scopeArgs(scope)
	return "(" + p.Add(all) + "::bool OR " + domainCondition(p, "(et.path || '/@' || es.id)", domains) + " OR " +
		relationFilter(authz.KindReferral, "r.id", scope.Relations, callerOf(ctx, p)) + ")", nil
}

// ReferralsByIDs loads the visible requests among ids in one statement, and
// audits the reads in one more.
func (db *ReferralService) ReferralsByIDs(ctx context.Context, ids []string) ([]*maillage.Referral, error) {
	p := params{pq.StringArray(ids)}
	var rows []*maillage.Referral
	visible, err := db.referralsVisible(ctx, &p)
	if err != nil {
		return nil, err
	}
	q := referralSelect + ` WHERE r.id = ANY($1) AND ` + visible
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("referrals by ids: %w", err)
	}
	if err := auditReferralReads(ctx, db, rows); err != nil {
		return nil, err
	}
	return alignByID(ids, rows, func(r *maillage.Referral) string { return r.ID }), nil
}

// FindReferralByID returns a visible request; NOT_FOUND otherwise.
func (db *ReferralService) FindReferralByID(ctx context.Context, id string) (*maillage.Referral, error) {
	rs, err := db.ReferralsByIDs(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if rs[0] == nil {
		return nil, maillage.NotFound("referral")
	}
	return rs[0], nil
}

// auditReferralReads appends one audit record per request read.
func auditReferralReads(ctx context.Context, q sqlx.ExecerContext, rs []*maillage.Referral) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	const domainOfRequest = `(SELECT et.path || '/@' || es.id FROM referrals ar
		JOIN structures es ON es.id = ar.ess_id JOIN territories et ON et.id = es.territory_id WHERE ar.id = o.id)`
	return appendAudits(ctx, q, authz.KindReferral, ids, "read", domainOfRequest)
}

// HistoryByReferralIDs loads the history of many requests in one statement.
// The caller must already have loaded the requests (which checks access).
func (db *ReferralService) HistoryByReferralIDs(ctx context.Context, ids []string) ([][]*maillage.ReferralHistoryEntry, error) {
	p := params{pq.StringArray(ids)}
	visible, err := db.referralsVisible(ctx, &p)
	if err != nil {
		return nil, err
	}
	const cols = `SELECT h.id, h.referral_id, h.action, h.from_state, h.to_state, h.author_id,
		ha.professional_id AS author_professional_id, h.author_role, h.comment, h.created_at`
	q := cols + ` FROM referral_history h JOIN accounts ha ON ha.id = h.author_id JOIN referrals r ON r.id = h.referral_id
		JOIN structures es ON es.id = r.ess_id JOIN territories et ON et.id = es.territory_id
		WHERE h.referral_id = ANY($1) AND ` + visible + ` ORDER BY h.id`
	var rows []*maillage.ReferralHistoryEntry
	if err := db.SelectContext(ctx, &rows, q, p...); err != nil {
		return nil, fmt.Errorf("referral history: %w", err)
	}
	return groupByID(ids, rows, func(h *maillage.ReferralHistoryEntry) string { return h.ReferralID }), nil
}

// essDomain returns the domain of an active ESS: NOT_FOUND if no structure
// has that id, BAD_USER_INPUT naming field if it is not an active ESS.
func essDomain(ctx context.Context, q sqlx.QueryerContext, field, id string) (string, error) {
	var s struct {
		Kind     string     `db:"kind"`
		Domain   string     `db:"domain"`
		Archived *time.Time `db:"archived_at"`
	}
	const query = `SELECT s.kind, t.path || '/@' || s.id AS domain, s.archived_at
		FROM structures s JOIN territories t ON t.id = s.territory_id WHERE s.id = $1`
	if err := sqlx.GetContext(ctx, q, &s, query, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", maillage.NotFound("ESS")
		}
		return "", fmt.Errorf("ess: %w", err)
	}
	if s.Kind != string(maillage.KindESS) || s.Archived != nil {
		return "", maillage.InvalidField(field, "%s is not an active ESS", id)
	}
	return s.Domain, nil
}

// SubmitReferral submits a request for a patient the caller has a relation
// with, to an active ESS; idempotent by the caller's client key.
func (db *ReferralService) SubmitReferral(ctx context.Context, in maillage.ReferralInput) (*maillage.Referral, error) {
	caller := maillage.IdentityFrom(ctx)
	if caller.Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to submit a referral")
	}
	if caller.ProfessionalID == "" {
		return nil, maillage.Errorf(maillage.EFORBIDDEN, "only a professional may submit a referral")
	}
	if err := referralRules.ValidateReferral(in); err != nil {
		return nil, err
	}
	if err := db.Authz.Can(ctx, authz.ActCreate, authz.Object{Kind: authz.KindReferral, Domain: authz.NationalDomain}); err != nil {
		return nil, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	hash := in.ContentHash()
	var out *maillage.Referral
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if r, err := db.replay(ctx, tx, in.ClientKey, hash); r != nil || err != nil {
			out = r
			return err
		}
		domain, err := essDomain(ctx, tx, "input.essId", in.ESSID)
		if err != nil {
			return err
		}
		if err := db.checkRequester(ctx, tx, in); err != nil {
			return err
		}
		attachments, _ := json.Marshal(nonNilAttachments(in.Attachments))
		const q = `INSERT INTO referrals (ess_id, patient_id, requester_id, requested_by, requester_kind, reason,
				urgency, modality, attachments, client_key, content_hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (requested_by, client_key) DO NOTHING RETURNING id`
		var id string
		err = tx.GetContext(ctx, &id, q, in.ESSID, in.PatientID, caller.ProfessionalID, caller.AccountID,
			in.RequesterKind, in.Reason, in.Urgency, in.Modality, attachments, in.ClientKey, hash)
		if errors.Is(err, sql.ErrNoRows) { // a concurrent submission with the same key won
			r, err := db.replay(ctx, tx, in.ClientKey, hash)
			out = r
			return err
		}
		if err != nil {
			return mapError(err)
		}
		if err := recordTransition(ctx, tx, id, domain, in.ESSID, maillage.ActionSubmit, "", maillage.ReferralSubmitted,
			maillage.ActorRequester, nil); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, Audit{ObjectKind: authz.KindReferral, ObjectID: id, Operation: "create", Domain: domain}); err != nil {
			return err
		}
		out, err = getReferral(ctx, tx, id, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("submit referral: %w", err)
	}
	return out, nil
}

// replay returns the caller's request with that client key, if any: the same
// content is a retry (the request, its read audited), other content CONFLICT.
func (db *ReferralService) replay(ctx context.Context, tx *sqlx.Tx, key, hash string) (*maillage.Referral, error) {
	var prior struct {
		ID   string `db:"id"`
		Hash string `db:"content_hash"`
	}
	const q = `SELECT id, content_hash FROM referrals WHERE requested_by = $1 AND client_key = $2`
	err := tx.GetContext(ctx, &prior, q, maillage.IdentityFrom(ctx).AccountID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if prior.Hash != hash {
		return nil, &maillage.Error{Code: maillage.ECONFLICT, Field: "input.clientKey",
			Message: "input.clientKey: this client key was already used for a different request"}
	}
	r, err := getReferral(ctx, tx, prior.ID, false)
	if err != nil {
		return nil, err
	}
	return r, auditReferralReads(ctx, tx, []*maillage.Referral{r})
}

// checkRequester checks that the caller may submit for this patient in this
// capacity: they have a relation with the patient; a médecin traitant is the
// patient's; a coordinator holds the coordinator role of a CPTS or DAC.
func (db *ReferralService) checkRequester(ctx context.Context, tx *sqlx.Tx, in maillage.ReferralInput) error {
	caller := maillage.IdentityFrom(ctx)
	p := params{in.PatientID}
	var gp *string
	visible, err := db.patients.patientsVisible(ctx, &p)
	if err != nil {
		return err
	}
	q := `SELECT p.gp_id FROM patients p WHERE p.id = $1 AND p.archived_at IS NULL AND ` + visible
	if err := tx.GetContext(ctx, &gp, q, p...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return maillage.NotFound("patient")
		}
		return fmt.Errorf("referral patient: %w", err)
	}
	role := ""
	switch in.RequesterKind {
	case maillage.RequesterGP, maillage.RequesterSpecialist, maillage.RequesterGeriatrician, maillage.RequesterEHPADNurse:
		var who struct {
			Profession string  `db:"profession"`
			Specialty  *string `db:"specialty"`
			InEHPAD    bool    `db:"in_ehpad"`
		}
		const q = `SELECT p.profession, p.specialty, EXISTS (SELECT 1 FROM memberships m JOIN structures s ON s.id = m.structure_id
			WHERE m.professional_id = p.id AND m.ended_at IS NULL AND s.kind = 'EHPAD') AS in_ehpad
			FROM professionals p WHERE p.id = $1`
		if err := tx.GetContext(ctx, &who, q, caller.ProfessionalID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("requester: %w", err)
		}
		if !maillage.RequesterFits(in.RequesterKind, who.Profession, who.Specialty, who.InEHPAD) {
			return maillage.InvalidField("input.requesterKind", "your profession in the directory does not make you a %s requester", in.RequesterKind)
		}
	case maillage.RequesterTreatingGP:
		if gp == nil || *gp != caller.ProfessionalID {
			return maillage.InvalidField("input.requesterKind", "you are not this patient's médecin traitant")
		}
	case maillage.RequesterCPTSCoordinator:
		role = maillage.RoleCPTSCoordinator
	case maillage.RequesterDACCoordinator:
		role = maillage.RoleDACCoordinator
	}
	if role != "" {
		grants, err := db.Authz.Grants(ctx, caller.AccountID)
		if err != nil {
			return err
		}
		held := false
		for _, g := range grants {
			held = held || g.Role == role
		}
		if !held {
			return maillage.InvalidField("input.requesterKind", "you are not a %s", strings.ReplaceAll(role, "_", " "))
		}
	}
	return nil
}

func nonNilAttachments(as []maillage.Attachment) []maillage.Attachment {
	if as == nil {
		return []maillage.Attachment{}
	}
	return as
}

// getReferral reads one request in tx without an access check (the caller
// has made it), locking it for update if asked.
func getReferral(ctx context.Context, tx *sqlx.Tx, id string, lock bool) (*maillage.Referral, error) {
	q := referralSelect + ` WHERE r.id = $1`
	if lock {
		q += ` FOR UPDATE OF r`
	}
	var r maillage.Referral
	if err := tx.GetContext(ctx, &r, q, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, maillage.NotFound("referral")
		}
		return nil, fmt.Errorf("get referral: %w", err)
	}
	return &r, nil
}

// referralEvent is the payload of a referral event: ids and states, never
// the patient's identity.
type referralEvent struct {
	ReferralID string `json:"referralId"`
	ESSID      string `json:"essId"`
	Action     string `json:"action"`
	FromState  string `json:"fromState,omitempty"`
	State      string `json:"state"`
}

// recordTransition appends the history row and the event of a transition.
func recordTransition(ctx context.Context, tx *sqlx.Tx, id, domain, essID string, action maillage.ReferralAction,
	from, to maillage.ReferralState, role maillage.ReferralActor, comment *string) error {
	var fromArg any
	if from != "" {
		fromArg = from
	}
	const q = `INSERT INTO referral_history (referral_id, action, from_state, to_state, author_id, author_role, comment)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	if _, err := tx.ExecContext(ctx, q, id, action, fromArg, to, maillage.IdentityFrom(ctx).AccountID, role, comment); err != nil {
		return fmt.Errorf("record transition: %w", err)
	}
	return appendEvent(ctx, tx, Event{
		Topic: maillage.ReferralTopic(id), Type: maillage.ReferralEventType(action), SubjectID: id, Domain: domain, ESSID: essID,
		Payload: referralEvent{ReferralID: id, ESSID: essID, Action: string(action), FromState: string(from), State: string(to)},
	})
}
