package maillage

import (
	"slices"
	"strings"
	"time"
)

// ReferralState is where a referral request stands in its life.
type ReferralState string

// Referral states: submitted → triaged → assigned → scheduled or answered →
// closed; and the ends redirected, declined and withdrawn.
const (
	ReferralSubmitted  ReferralState = "SUBMITTED"
	ReferralTriaged    ReferralState = "TRIAGED"
	ReferralAssigned   ReferralState = "ASSIGNED"
	ReferralScheduled  ReferralState = "SCHEDULED"
	ReferralAnswered   ReferralState = "ANSWERED"
	ReferralClosed     ReferralState = "CLOSED"
	ReferralRedirected ReferralState = "REDIRECTED"
	ReferralDeclined   ReferralState = "DECLINED"
	ReferralWithdrawn  ReferralState = "WITHDRAWN"
)

// ReferralStates lists every state, in the order of a request's life.
var ReferralStates = []ReferralState{
	ReferralSubmitted, ReferralTriaged, ReferralAssigned, ReferralScheduled, ReferralAnswered,
	ReferralClosed, ReferralRedirected, ReferralDeclined, ReferralWithdrawn,
}

// ReferralAction is a transition of a referral request.
type ReferralAction string

// Referral actions. SUBMIT creates a request (it is in the history, not in
// the transition table); FOLLOW_UP records what follows an answer (a
// pathway, supportive care, an ETP programme) without changing the state.
const (
	ActionSubmit   ReferralAction = "SUBMIT"
	ActionTriage   ReferralAction = "TRIAGE"
	ActionAssign   ReferralAction = "ASSIGN"
	ActionSchedule ReferralAction = "SCHEDULE"
	ActionAnswer   ReferralAction = "ANSWER"
	ActionFollowUp ReferralAction = "FOLLOW_UP"
	ActionClose    ReferralAction = "CLOSE"
	ActionRedirect ReferralAction = "REDIRECT"
	ActionDecline  ReferralAction = "DECLINE"
	ActionWithdraw ReferralAction = "WITHDRAW"
)

// ReferralActor is a role a caller plays towards one request. A caller may
// play several (a case manager who is also the requester).
type ReferralActor string

// Referral actors: the requester; the ESS's secretariat, case manager and
// specialists; the specialist the request is assigned to.
const (
	ActorRequester          ReferralActor = "REQUESTER"
	ActorSecretariat        ReferralActor = "SECRETARIAT"
	ActorCaseManager        ReferralActor = "CASE_MANAGER"
	ActorSpecialist         ReferralActor = "SPECIALIST"
	ActorAssignedSpecialist ReferralActor = "ASSIGNED_SPECIALIST"
)

// ReferralActors lists every actor role.
var ReferralActors = []ReferralActor{ActorRequester, ActorSecretariat, ActorCaseManager, ActorSpecialist, ActorAssignedSpecialist}

// ReferralRequirement is what a transition needs in its input.
type ReferralRequirement string

// Requirements, named after the input fields that carry them.
const (
	NeedsComment       ReferralRequirement = "comment"
	NeedsReason        ReferralRequirement = "reason"
	NeedsTarget        ReferralRequirement = "redirectTarget"
	NeedsSpecialist    ReferralRequirement = "specialistId"
	NeedsAppointmentAt ReferralRequirement = "appointmentAt"
	NeedsAnswer        ReferralRequirement = "answer"
	NeedsFollowUp      ReferralRequirement = "followUp"
)

// ReferralTransition is one row of the transition table.
type ReferralTransition struct {
	Action   ReferralAction
	From     []ReferralState
	To       ReferralState // "" keeps the state (FOLLOW_UP)
	Actors   []ReferralActor
	Requires []ReferralRequirement
}

// inHandling are the states in which the ESS may still redirect or decline.
var inHandling = []ReferralState{ReferralSubmitted, ReferralTriaged, ReferralAssigned}

// ReferralTransitions is the transition table: for each action, from which
// states, which actors may make it, and what it requires.
var ReferralTransitions = []ReferralTransition{
	{ActionTriage, []ReferralState{ReferralSubmitted}, ReferralTriaged,
		[]ReferralActor{ActorSecretariat, ActorCaseManager}, nil},
	{ActionAssign, []ReferralState{ReferralTriaged, ReferralAssigned}, ReferralAssigned,
		[]ReferralActor{ActorCaseManager}, []ReferralRequirement{NeedsSpecialist}},
	{ActionSchedule, []ReferralState{ReferralAssigned, ReferralScheduled}, ReferralScheduled,
		[]ReferralActor{ActorSecretariat, ActorAssignedSpecialist}, []ReferralRequirement{NeedsAppointmentAt}},
	{ActionAnswer, []ReferralState{ReferralAssigned, ReferralScheduled}, ReferralAnswered,
		[]ReferralActor{ActorAssignedSpecialist}, []ReferralRequirement{NeedsAnswer}},
	{ActionFollowUp, []ReferralState{ReferralAnswered}, "",
		[]ReferralActor{ActorAssignedSpecialist, ActorCaseManager}, []ReferralRequirement{NeedsFollowUp}},
	{ActionClose, []ReferralState{ReferralAnswered}, ReferralClosed,
		[]ReferralActor{ActorCaseManager, ActorAssignedSpecialist}, nil},
	{ActionRedirect, inHandling, ReferralRedirected,
		[]ReferralActor{ActorSecretariat, ActorCaseManager, ActorAssignedSpecialist}, []ReferralRequirement{NeedsTarget, NeedsComment}},
	{ActionDecline, inHandling, ReferralDeclined,
		[]ReferralActor{ActorCaseManager, ActorAssignedSpecialist}, []ReferralRequirement{NeedsReason}},
	{ActionWithdraw, append(slices.Clone(inHandling), ReferralScheduled), ReferralWithdrawn,
		[]ReferralActor{ActorRequester}, nil},
}

// AllowedReferralActions lists, in table order, the transitions that one of
// actors may make from state (what each requires aside).
func AllowedReferralActions(state ReferralState, actors []ReferralActor) []ReferralAction {
	out := []ReferralAction{}
	for _, t := range ReferralTransitions {
		if !slices.Contains(t.From, state) {
			continue
		}
		for _, a := range actors {
			if slices.Contains(t.Actors, a) {
				out = append(out, t.Action)
				break
			}
		}
	}
	return out
}

// FindReferralTransition returns the table row of an action.
func FindReferralTransition(a ReferralAction) (ReferralTransition, bool) {
	for _, t := range ReferralTransitions {
		if t.Action == a {
			return t, true
		}
	}
	return ReferralTransition{}, false
}

// RedirectTarget is where a redirected request goes.
type RedirectTarget string

// Redirect targets: another ESS (a new request is submitted there), or back
// to primary care (the médecin traitant).
const (
	RedirectToESS         RedirectTarget = "ESS"
	RedirectToPrimaryCare RedirectTarget = "PRIMARY_CARE"
)

// PathwayKind is what an answered request opens.
type PathwayKind string

// Pathways: a care pathway for an acute condition, a health pathway for a
// chronic one.
const (
	CarePathway   PathwayKind = "CARE_PATHWAY"
	HealthPathway PathwayKind = "HEALTH_PATHWAY"
)

// ReferralFollowUp is what follows an answer.
type ReferralFollowUp struct {
	Pathway        *PathwayKind
	SupportiveCare *string // the supportive care proposed ("soins de support")
	ETPProgramme   *string // the therapeutic education programme proposed
}

// Empty reports whether nothing is proposed.
func (f ReferralFollowUp) Empty() bool {
	return f.Pathway == nil && blank(f.SupportiveCare) && blank(f.ETPProgramme)
}

// ReferralTransitionInput is what a caller gives with a transition.
type ReferralTransitionInput struct {
	Action         ReferralAction
	Comment        *string
	Reason         *string
	RedirectTarget *RedirectTarget
	RedirectESSID  *string
	SpecialistID   *string
	AppointmentAt  *time.Time
	Answer         *string
	AnswerModality *Modality
	FollowUp       ReferralFollowUp
}

func blank(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }

// NextReferralState checks a transition against the table and returns the
// state it leads to. Errors: BAD_USER_INPUT for an unknown action or a
// missing requirement (naming the input field), FORBIDDEN when none of the
// caller's actor roles may make it, CONFLICT when the request's state does
// not allow it. The role is checked before the state, so a caller who may
// not act learns nothing of the state.
func NextReferralState(state ReferralState, actors []ReferralActor, in ReferralTransitionInput) (ReferralState, error) {
	t, ok := FindReferralTransition(in.Action)
	if !ok {
		return "", InvalidField("input.action", "unknown action %q", in.Action)
	}
	allowed := false
	for _, a := range actors {
		if slices.Contains(t.Actors, a) {
			allowed = true
		}
	}
	if !allowed {
		return "", Errorf(EFORBIDDEN, "not allowed to %s this referral", strings.ToLower(string(in.Action)))
	}
	if !slices.Contains(t.From, state) {
		return "", Errorf(ECONFLICT, "cannot %s a referral in state %s", strings.ToLower(string(in.Action)), state)
	}
	for _, r := range t.Requires {
		if err := checkRequirement(r, in); err != nil {
			return "", err
		}
	}
	if t.To == "" {
		return state, nil
	}
	return t.To, nil
}

func checkRequirement(r ReferralRequirement, in ReferralTransitionInput) error {
	field := "input." + string(r)
	switch r {
	case NeedsComment:
		if blank(in.Comment) {
			return InvalidField(field, "a comment is required to %s", strings.ToLower(string(in.Action)))
		}
	case NeedsReason:
		if blank(in.Reason) {
			return InvalidField(field, "a reason is required to %s", strings.ToLower(string(in.Action)))
		}
	case NeedsTarget:
		if in.RedirectTarget == nil {
			return InvalidField(field, "say where the request goes: ESS or PRIMARY_CARE")
		}
		switch *in.RedirectTarget {
		case RedirectToESS:
			if blank(in.RedirectESSID) {
				return InvalidField("input.redirectEssId", "the ESS to redirect to is required")
			}
		case RedirectToPrimaryCare:
		default:
			return InvalidField(field, "must be ESS or PRIMARY_CARE, got %q", *in.RedirectTarget)
		}
	case NeedsSpecialist:
		if blank(in.SpecialistID) {
			return InvalidField(field, "the specialist to assign is required")
		}
	case NeedsAppointmentAt:
		if in.AppointmentAt == nil || in.AppointmentAt.IsZero() {
			return InvalidField(field, "the appointment time is required")
		}
	case NeedsAnswer:
		if blank(in.Answer) {
			return InvalidField(field, "the answer is required")
		}
		if in.AnswerModality != nil && !in.AnswerModality.Valid() {
			return InvalidField("input.answerModality", "unknown modality %q", *in.AnswerModality)
		}
	case NeedsFollowUp:
		if in.FollowUp.Empty() {
			return InvalidField(field, "propose a pathway, supportive care or an ETP programme")
		}
		if p := in.FollowUp.Pathway; p != nil && *p != CarePathway && *p != HealthPathway {
			return InvalidField("input.followUp.pathway", "must be CARE_PATHWAY or HEALTH_PATHWAY, got %q", *p)
		}
	}
	return nil
}
