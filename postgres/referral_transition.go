package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// TransitionReferral moves a request through its life: the row is locked,
// the caller's actor roles computed (relations and ESS roles), the transition
// checked against the table, and the change, its history row, its event and
// its audit record written in one transaction. A refused transition changes
// nothing.
func (db *ReferralService) TransitionReferral(ctx context.Context, id string, in maillage.ReferralTransitionInput) (*maillage.Referral, error) {
	caller := maillage.IdentityFrom(ctx)
	if caller.Anonymous() {
		return nil, maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to act on a referral")
	}
	var out *maillage.Referral
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		r, err := getReferral(ctx, tx, id, true)
		if err != nil {
			return err
		}
		rels, err := callerRelations(ctx, tx, authz.KindReferral, id)
		if err != nil {
			return err
		}
		if err := db.canSee(ctx, authz.ActRead, authz.Object{Kind: authz.KindReferral, Domain: r.Domain, Relations: rels}, "referral"); err != nil {
			return err
		}
		actors, err := db.referralActors(ctx, caller, r.Domain, rels)
		if err != nil {
			return err
		}
		next, err := maillage.NextReferralState(r.State, actors, in)
		if err != nil {
			return err
		}
		role := actingAs(in.Action, actors)
		if err := db.applyTransition(ctx, tx, r, next, role, in); err != nil {
			return err
		}
		if err := recordTransition(ctx, tx, r.ID, r.Domain, r.ESSID, in.Action, r.State, next, role, trimmed(in.Comment)); err != nil {
			return err
		}
		if err := appendAudit(ctx, tx, Audit{ObjectKind: authz.KindReferral, ObjectID: r.ID,
			Operation: strings.ToLower(string(in.Action)), Domain: r.Domain, Role: auditRole(role, r.Domain)}); err != nil {
			return err
		}
		out, err = getReferral(ctx, tx, r.ID, false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s referral: %w", strings.ToLower(string(in.Action)), err)
	}
	return out, nil
}

// referralActors returns the roles the caller plays towards a request: its
// relations, and the ESS roles casbin grants them on the ESS's domain.
func (db *ReferralService) referralActors(ctx context.Context, caller maillage.Identity, domain string, rels []string) ([]maillage.ReferralActor, error) {
	var actors []maillage.ReferralActor
	for _, rel := range rels {
		switch rel {
		case "requester":
			actors = append(actors, maillage.ActorRequester)
		case "assigned_specialist":
			actors = append(actors, maillage.ActorAssignedSpecialist)
		}
	}
	grants, err := db.Authz.Grants(ctx, caller.AccountID)
	if err != nil {
		return nil, err
	}
	for _, g := range grants {
		if !authz.Within(domain, g.Domain) {
			continue
		}
		switch g.Role {
		case maillage.RoleESSSecretariat:
			actors = append(actors, maillage.ActorSecretariat)
		case maillage.RoleESSCaseManager:
			actors = append(actors, maillage.ActorCaseManager)
		case maillage.RoleESSSpecialist:
			actors = append(actors, maillage.ActorSpecialist)
		}
	}
	return actors, nil
}

// actingAs is the role recorded as the author's: the first of the caller's
// roles that the transition allows.
// auditRole names, in the audit trail's vocabulary, what the caller acted
// as: a relation with the request, or their ESS role on its domain (a
// transition is allowed by the state machine's table, not by a casbin
// policy, so the audit cannot derive it from the policies).
func auditRole(actor maillage.ReferralActor, essDomain string) string {
	switch actor {
	case maillage.ActorRequester:
		return "rel:requester"
	case maillage.ActorAssignedSpecialist:
		return "rel:assigned_specialist"
	case maillage.ActorSecretariat:
		return maillage.RoleESSSecretariat + "@" + essDomain
	case maillage.ActorCaseManager:
		return maillage.RoleESSCaseManager + "@" + essDomain
	case maillage.ActorSpecialist:
		return maillage.RoleESSSpecialist + "@" + essDomain
	}
	return "unknown"
}

func actingAs(a maillage.ReferralAction, actors []maillage.ReferralActor) maillage.ReferralActor {
	t, _ := maillage.FindReferralTransition(a)
	for _, allowed := range t.Actors {
		if slices.Contains(actors, allowed) {
			return allowed
		}
	}
	return ""
}

func trimmed(s *string) *string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	t := strings.TrimSpace(*s)
	return &t
}

// applyTransition checks what the table cannot (the specialist is one of the
// ESS's, the target ESS exists) and updates the request.
func (db *ReferralService) applyTransition(ctx context.Context, tx *sqlx.Tx, r *maillage.Referral, next maillage.ReferralState,
	role maillage.ReferralActor, in maillage.ReferralTransitionInput) error {
	set, args := []string{"state = $2"}, []any{r.ID, next}
	add := func(col string, v any) {
		args = append(args, v)
		set = append(set, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	switch in.Action {
	case maillage.ActionAssign:
		var ok bool
		const q = `SELECT EXISTS (SELECT 1 FROM memberships WHERE structure_id = $1 AND professional_id = $2
			AND role = 'SPECIALIST' AND ended_at IS NULL)`
		if err := tx.GetContext(ctx, &ok, q, r.ESSID, *in.SpecialistID); err != nil {
			return fmt.Errorf("assign: %w", err)
		}
		if !ok {
			return maillage.InvalidField("input.specialistId", "%s is not a specialist of this ESS", *in.SpecialistID)
		}
		add("specialist_id", *in.SpecialistID)
	case maillage.ActionSchedule:
		add("appointment_at", *in.AppointmentAt)
	case maillage.ActionAnswer:
		add("answer", strings.TrimSpace(*in.Answer))
		mod := r.Modality
		if in.AnswerModality != nil {
			mod = *in.AnswerModality
		}
		add("answer_modality", mod)
	case maillage.ActionFollowUp:
		if in.FollowUp.Pathway != nil {
			add("pathway", *in.FollowUp.Pathway)
		}
		if s := trimmed(in.FollowUp.SupportiveCare); s != nil {
			add("supportive_care", *s)
		}
		if s := trimmed(in.FollowUp.ETPProgramme); s != nil {
			add("etp_programme", *s)
		}
	case maillage.ActionDecline:
		add("decline_reason", strings.TrimSpace(*in.Reason))
	case maillage.ActionRedirect:
		add("redirect_target", *in.RedirectTarget)
		if *in.RedirectTarget == maillage.RedirectToESS {
			newID, err := db.redirectToESS(ctx, tx, r, *in.RedirectESSID, role, trimmed(in.Comment))
			if err != nil {
				return err
			}
			add("redirected_to_id", newID)
		}
	}
	q := `UPDATE referrals SET ` + strings.Join(set, ", ") + `, updated_at = now() WHERE id = $1`
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("update referral: %w", mapError(err))
	}
	return nil
}

// redirectToESS submits the request again to another ESS, on the original
// requester's behalf, and returns the new request's id.
func (db *ReferralService) redirectToESS(ctx context.Context, tx *sqlx.Tx, r *maillage.Referral, essID string, role maillage.ReferralActor, comment *string) (string, error) {
	if essID == r.ESSID {
		return "", maillage.InvalidField("input.redirectEssId", "the request is already with this ESS")
	}
	domain, err := essDomain(ctx, tx, "input.redirectEssId", essID)
	if err != nil {
		return "", err
	}
	const q = `INSERT INTO referrals (ess_id, patient_id, requester_id, requested_by, requester_kind, reason,
			urgency, modality, attachments, client_key, content_hash, redirected_from_id)
		SELECT $2, patient_id, requester_id, requested_by, requester_kind, reason, urgency, modality, attachments,
			client_key || '#redirect:' || id, content_hash, id
		FROM referrals WHERE id = $1 RETURNING id`
	var id string
	if err := tx.GetContext(ctx, &id, q, r.ID, essID); err != nil {
		return "", fmt.Errorf("redirect: %w", mapError(err))
	}
	if err := recordTransition(ctx, tx, id, domain, essID, maillage.ActionSubmit, "", maillage.ReferralSubmitted, role, comment); err != nil {
		return "", err
	}
	return id, appendAudit(ctx, tx, Audit{ObjectKind: authz.KindReferral, ObjectID: id, Operation: "create", Role: auditRole(role, r.Domain), Domain: domain})
}

// ReferralActions returns the transitions the caller may make now on r (a
// request already read under the caller's rights): the caller's relations
// and ESS roles, matched against the table from r's state.
func (db *ReferralService) ReferralActions(ctx context.Context, r *maillage.Referral) ([]maillage.ReferralAction, error) {
	caller := maillage.IdentityFrom(ctx)
	if caller.Anonymous() {
		return []maillage.ReferralAction{}, nil
	}
	rels, err := callerRelations(ctx, db.DB, authz.KindReferral, r.ID)
	if err != nil {
		return nil, fmt.Errorf("referral actions: %w", err)
	}
	actors, err := db.referralActors(ctx, caller, r.Domain, rels)
	if err != nil {
		return nil, fmt.Errorf("referral actions: %w", err)
	}
	return maillage.AllowedReferralActions(r.State, actors), nil
}
