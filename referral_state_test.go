package maillage_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage"
)

// legal is the transition table written out by hand, one line per legal
// (action, from state, actor) → to state. The test checks the table in code
// against it, and every other combination is refused.
const legal = `
TRIAGE SUBMITTED SECRETARIAT TRIAGED
TRIAGE SUBMITTED CASE_MANAGER TRIAGED
ASSIGN TRIAGED CASE_MANAGER ASSIGNED
ASSIGN ASSIGNED CASE_MANAGER ASSIGNED
SCHEDULE ASSIGNED SECRETARIAT SCHEDULED
SCHEDULE ASSIGNED ASSIGNED_SPECIALIST SCHEDULED
SCHEDULE SCHEDULED SECRETARIAT SCHEDULED
SCHEDULE SCHEDULED ASSIGNED_SPECIALIST SCHEDULED
ANSWER ASSIGNED ASSIGNED_SPECIALIST ANSWERED
ANSWER SCHEDULED ASSIGNED_SPECIALIST ANSWERED
FOLLOW_UP ANSWERED ASSIGNED_SPECIALIST ANSWERED
FOLLOW_UP ANSWERED CASE_MANAGER ANSWERED
CLOSE ANSWERED CASE_MANAGER CLOSED
CLOSE ANSWERED ASSIGNED_SPECIALIST CLOSED
REDIRECT SUBMITTED SECRETARIAT REDIRECTED
REDIRECT SUBMITTED CASE_MANAGER REDIRECTED
REDIRECT SUBMITTED ASSIGNED_SPECIALIST REDIRECTED
REDIRECT TRIAGED SECRETARIAT REDIRECTED
REDIRECT TRIAGED CASE_MANAGER REDIRECTED
REDIRECT TRIAGED ASSIGNED_SPECIALIST REDIRECTED
REDIRECT ASSIGNED SECRETARIAT REDIRECTED
REDIRECT ASSIGNED CASE_MANAGER REDIRECTED
REDIRECT ASSIGNED ASSIGNED_SPECIALIST REDIRECTED
DECLINE SUBMITTED CASE_MANAGER DECLINED
DECLINE SUBMITTED ASSIGNED_SPECIALIST DECLINED
DECLINE TRIAGED CASE_MANAGER DECLINED
DECLINE TRIAGED ASSIGNED_SPECIALIST DECLINED
DECLINE ASSIGNED CASE_MANAGER DECLINED
DECLINE ASSIGNED ASSIGNED_SPECIALIST DECLINED
WITHDRAW SUBMITTED REQUESTER WITHDRAWN
WITHDRAW TRIAGED REQUESTER WITHDRAWN
WITHDRAW ASSIGNED REQUESTER WITHDRAWN
WITHDRAW SCHEDULED REQUESTER WITHDRAWN
`

// fullInput carries everything any transition may require.
func fullInput(a maillage.ReferralAction) maillage.ReferralTransitionInput {
	s := func(v string) *string { return &v }
	target := maillage.RedirectToESS
	pathway := maillage.HealthPathway
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, maillage.Paris)
	mod := maillage.ModalityTeleexpertise
	return maillage.ReferralTransitionInput{
		Action: a, Comment: s("commentaire"), Reason: s("hors spécialité"), RedirectTarget: &target,
		RedirectESSID: s("str_x"), SpecialistID: s("pro_x"), AppointmentAt: &at, Answer: s("avis"),
		AnswerModality: &mod, FollowUp: maillage.ReferralFollowUp{Pathway: &pathway},
	}
}

func TestReferralTransitionTable(t *testing.T) {
	want := map[string]maillage.ReferralState{}
	for _, line := range strings.Split(strings.TrimSpace(legal), "\n") {
		f := strings.Fields(line)
		want[f[0]+" "+f[1]+" "+f[2]] = maillage.ReferralState(f[3])
	}
	var seen []string
	for _, tr := range maillage.ReferralTransitions {
		for _, state := range maillage.ReferralStates {
			for _, actor := range maillage.ReferralActors {
				key := fmt.Sprintf("%s %s %s", tr.Action, state, actor)
				t.Run(key, func(t *testing.T) {
					got, err := maillage.NextReferralState(state, []maillage.ReferralActor{actor}, fullInput(tr.Action))
					to, ok := want[key]
					switch {
					case ok:
						if err != nil || got != to {
							t.Fatalf("got %q, %v; want %s", got, err, to)
						}
						seen = append(seen, key)
					case !slices.Contains(tr.Actors, actor):
						if maillage.ErrorCode(err) != maillage.EFORBIDDEN || got != "" {
							t.Fatalf("wrong role: got %q, %v; want FORBIDDEN", got, err)
						}
					default:
						if maillage.ErrorCode(err) != maillage.ECONFLICT || got != "" {
							t.Fatalf("wrong state: got %q, %v; want CONFLICT", got, err)
						}
					}
				})
			}
		}
	}
	if len(seen) != len(want) {
		var missing []string
		for k := range want {
			if !slices.Contains(seen, k) {
				missing = append(missing, k)
			}
		}
		sort.Strings(missing)
		t.Errorf("legal transitions the table does not allow: %v", missing)
	}
}

// Every illegal state is refused with CONFLICT for every role allowed the
// action, and a wrong role is FORBIDDEN even in a wrong state.
func TestReferralRoleCheckedBeforeState(t *testing.T) {
	_, err := maillage.NextReferralState(maillage.ReferralClosed, []maillage.ReferralActor{maillage.ActorRequester}, fullInput(maillage.ActionTriage))
	if maillage.ErrorCode(err) != maillage.EFORBIDDEN {
		t.Fatalf("requester triaging a closed request: %v, want FORBIDDEN", err)
	}
	// Several roles: one allowed is enough.
	got, err := maillage.NextReferralState(maillage.ReferralSubmitted,
		[]maillage.ReferralActor{maillage.ActorRequester, maillage.ActorCaseManager}, fullInput(maillage.ActionTriage))
	if err != nil || got != maillage.ReferralTriaged {
		t.Fatalf("requester+case manager triaging: %q, %v", got, err)
	}
	// No role at all.
	if _, err := maillage.NextReferralState(maillage.ReferralSubmitted, nil, fullInput(maillage.ActionTriage)); maillage.ErrorCode(err) != maillage.EFORBIDDEN {
		t.Fatalf("no role: %v, want FORBIDDEN", err)
	}
}

func TestReferralRequirements(t *testing.T) {
	type tc struct {
		action maillage.ReferralAction
		state  maillage.ReferralState
		actor  maillage.ReferralActor
		strip  func(*maillage.ReferralTransitionInput)
		field  string
	}
	bad := maillage.RedirectTarget("HOSPITAL")
	badPathway := maillage.PathwayKind("PALLIATIVE")
	badModality := maillage.Modality("PHONE")
	blank := "  "
	cases := []tc{
		{maillage.ActionAssign, maillage.ReferralTriaged, maillage.ActorCaseManager, func(in *maillage.ReferralTransitionInput) { in.SpecialistID = nil }, "input.specialistId"},
		{maillage.ActionSchedule, maillage.ReferralAssigned, maillage.ActorSecretariat, func(in *maillage.ReferralTransitionInput) { in.AppointmentAt = nil }, "input.appointmentAt"},
		{maillage.ActionAnswer, maillage.ReferralAssigned, maillage.ActorAssignedSpecialist, func(in *maillage.ReferralTransitionInput) { in.Answer = &blank }, "input.answer"},
		{maillage.ActionAnswer, maillage.ReferralAssigned, maillage.ActorAssignedSpecialist, func(in *maillage.ReferralTransitionInput) { in.AnswerModality = &badModality }, "input.answerModality"},
		{maillage.ActionFollowUp, maillage.ReferralAnswered, maillage.ActorCaseManager, func(in *maillage.ReferralTransitionInput) { in.FollowUp = maillage.ReferralFollowUp{} }, "input.followUp"},
		{maillage.ActionFollowUp, maillage.ReferralAnswered, maillage.ActorCaseManager, func(in *maillage.ReferralTransitionInput) { in.FollowUp.Pathway = &badPathway }, "input.followUp.pathway"},
		{maillage.ActionRedirect, maillage.ReferralTriaged, maillage.ActorCaseManager, func(in *maillage.ReferralTransitionInput) { in.RedirectTarget = nil }, "input.redirectTarget"},
		{maillage.ActionRedirect, maillage.ReferralTriaged, maillage.ActorCaseManager, func(in *maillage.ReferralTransitionInput) { in.RedirectTarget = &bad }, "input.redirectTarget"},
		{maillage.ActionRedirect, maillage.ReferralTriaged, maillage.ActorCaseManager, func(in *maillage.ReferralTransitionInput) { in.RedirectESSID = nil }, "input.redirectEssId"},
		{maillage.ActionRedirect, maillage.ReferralTriaged, maillage.ActorCaseManager, func(in *maillage.ReferralTransitionInput) { in.Comment = nil }, "input.comment"},
		{maillage.ActionDecline, maillage.ReferralSubmitted, maillage.ActorCaseManager, func(in *maillage.ReferralTransitionInput) { in.Reason = &blank }, "input.reason"},
		{"ESCALATE", maillage.ReferralSubmitted, maillage.ActorCaseManager, func(in *maillage.ReferralTransitionInput) {}, "input.action"},
	}
	for _, c := range cases {
		t.Run(string(c.action)+" "+c.field, func(t *testing.T) {
			in := fullInput(c.action)
			c.strip(&in)
			got, err := maillage.NextReferralState(c.state, []maillage.ReferralActor{c.actor}, in)
			var e *maillage.Error
			if got != "" || maillage.ErrorCode(err) != maillage.EINVALID || !asError(err, &e) || e.Field != c.field {
				t.Fatalf("got %q, %v; want BAD_USER_INPUT on %s", got, err, c.field)
			}
		})
	}
	// Redirect back to primary care needs no ESS.
	in := fullInput(maillage.ActionRedirect)
	primary := maillage.RedirectToPrimaryCare
	in.RedirectTarget, in.RedirectESSID = &primary, nil
	if got, err := maillage.NextReferralState(maillage.ReferralTriaged, []maillage.ReferralActor{maillage.ActorSecretariat}, in); err != nil || got != maillage.ReferralRedirected {
		t.Fatalf("redirect to primary care: %q, %v", got, err)
	}
	// Follow-up keeps the state.
	if got, _ := maillage.NextReferralState(maillage.ReferralAnswered, []maillage.ReferralActor{maillage.ActorCaseManager}, fullInput(maillage.ActionFollowUp)); got != maillage.ReferralAnswered {
		t.Fatalf("follow-up moved the state to %q", got)
	}
}

func asError(err error, target **maillage.Error) bool {
	e, ok := err.(*maillage.Error)
	*target = e
	return ok
}

func TestValidateReferral(t *testing.T) {
	good := maillage.ReferralInput{
		ClientKey: "k1", ESSID: "str_1", PatientID: "pat_1", RequesterKind: maillage.RequesterGP,
		Reason: "lésion pigmentée", Urgency: maillage.UrgencyRoutine, Modality: maillage.ModalityTeleexpertise,
		Attachments: []maillage.Attachment{{Reference: "dmp://doc/1", MediaType: "image/jpeg", Size: 2048}},
	}
	rules := maillage.DefaultReferralRules
	if err := rules.ValidateReferral(good); err != nil {
		t.Fatalf("good input: %v", err)
	}
	cases := map[string]func(*maillage.ReferralInput){
		"input.clientKey":               func(in *maillage.ReferralInput) { in.ClientKey = " " },
		"input.essId":                   func(in *maillage.ReferralInput) { in.ESSID = "" },
		"input.patientId":               func(in *maillage.ReferralInput) { in.PatientID = "" },
		"input.reason":                  func(in *maillage.ReferralInput) { in.Reason = strings.Repeat("x", rules.MaxReasonLength+1) },
		"input.urgency":                 func(in *maillage.ReferralInput) { in.Urgency = "NOW" },
		"input.modality":                func(in *maillage.ReferralInput) { in.Modality = "PIGEON" },
		"input.requesterKind":           func(in *maillage.ReferralInput) { in.RequesterKind = "PATIENT" },
		"input.attachments.0.mediaType": func(in *maillage.ReferralInput) { in.Attachments[0].MediaType = "jpeg" },
		"input.attachments.0.size":      func(in *maillage.ReferralInput) { in.Attachments[0].Size = 0 },
		"input.attachments.0.reference": func(in *maillage.ReferralInput) { in.Attachments[0].Reference = "" },
	}
	for field, breakIt := range cases {
		in := good
		in.Attachments = slices.Clone(good.Attachments)
		breakIt(&in)
		var e *maillage.Error
		if err := rules.ValidateReferral(in); !asError(err, &e) || e.Code != maillage.EINVALID || e.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	// The content hash ignores the client key and tells content apart.
	other := good
	other.ClientKey = "k2"
	if good.ContentHash() != other.ContentHash() {
		t.Error("content hash depends on the client key")
	}
	other.Urgency = maillage.UrgencyUrgent
	if good.ContentHash() == other.ContentHash() {
		t.Error("content hash ignores the urgency")
	}
}

func TestRequesterFitsTheDirectory(t *testing.T) {
	general, derm, geri := "Médecine générale", "Dermatologie", "Gériatrie"
	for _, tc := range []struct {
		kind       maillage.RequesterKind
		profession string
		specialty  *string
		inEHPAD    bool
		ok         bool
	}{
		{maillage.RequesterGP, "Médecin", &general, false, true},
		{maillage.RequesterGP, "Médecin", &derm, false, false},
		{maillage.RequesterGP, "Secrétaire médicale", nil, false, false},
		{maillage.RequesterSpecialist, "Médecin", &derm, false, true},
		{maillage.RequesterSpecialist, "Médecin", &general, false, false},
		{maillage.RequesterGeriatrician, "Médecin", &geri, false, true},
		{maillage.RequesterGeriatrician, "Médecin", &derm, false, false},
		{maillage.RequesterEHPADNurse, "Infirmier", nil, true, true},
		{maillage.RequesterEHPADNurse, "Infirmier", nil, false, false},
		{maillage.RequesterEHPADNurse, "Médecin", &geri, true, false},
	} {
		if got := maillage.RequesterFits(tc.kind, tc.profession, tc.specialty, tc.inEHPAD); got != tc.ok {
			t.Errorf("%s as %s (%v, EHPAD %v) = %v, want %v", tc.kind, tc.profession, tc.specialty, tc.inEHPAD, got, tc.ok)
		}
	}
}
