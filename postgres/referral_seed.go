package postgres

import (
	"fmt"

	"github.com/maillage/maillage"
)

// seedStep is one recorded transition of a seeded request: the action, who
// made it (an RPPS) in which role, how many hours ago, and a comment.
type seedStep struct {
	action   maillage.ReferralAction
	from     maillage.ReferralState
	to       maillage.ReferralState
	author   string
	role     maillage.ReferralActor
	hoursAgo int
	comment  string
}

// seedReferral is a demo request to ESS Dermatologie Rouen from a GP of MSP
// Bois-Guillaume, with its history.
type seedReferral struct {
	key, requester, patient string
	kind                    maillage.RequesterKind
	urgency                 maillage.Urgency
	modality                maillage.Modality
	reason                  string
	steps                   []seedStep
}

// The ESS's staff: secretariat, case manager, two specialists.
const (
	seedSecretariat = "10003456789"
	seedCaseManager = "10003456790"
	seedSpecialist  = "10003456787"
)

var seedReferralList = []seedReferral{
	{"demo-1", "10003456781", "patient:dupont", maillage.RequesterTreatingGP, maillage.UrgencyUrgent, maillage.ModalityInPerson,
		"Lésion pigmentée du dos évolutive, suspicion de mélanome", []seedStep{
			{maillage.ActionSubmit, "", maillage.ReferralSubmitted, "10003456781", maillage.ActorRequester, 3, ""},
		}},
	{"demo-2", "10003456782", "patient:leroy", maillage.RequesterTreatingGP, maillage.UrgencyRoutine, maillage.ModalityTeleexpertise,
		"Eczéma chronique des mains résistant aux dermocorticoïdes", []seedStep{
			{maillage.ActionSubmit, "", maillage.ReferralSubmitted, "10003456782", maillage.ActorRequester, 50, ""},
			{maillage.ActionTriage, maillage.ReferralSubmitted, maillage.ReferralTriaged, seedSecretariat, maillage.ActorSecretariat, 46, "dossier complet"},
		}},
	{"demo-3", "10003456781", "patient:dupont", maillage.RequesterTreatingGP, maillage.UrgencyPriority, maillage.ModalityTeleconsultation,
		"Ulcère de jambe ne cicatrisant pas", []seedStep{
			{maillage.ActionSubmit, "", maillage.ReferralSubmitted, "10003456781", maillage.ActorRequester, 120, ""},
			{maillage.ActionTriage, maillage.ReferralSubmitted, maillage.ReferralTriaged, seedSecretariat, maillage.ActorSecretariat, 118, ""},
			{maillage.ActionAssign, maillage.ReferralTriaged, maillage.ReferralAssigned, seedCaseManager, maillage.ActorCaseManager, 100, "Dr Fournier"},
			{maillage.ActionSchedule, maillage.ReferralAssigned, maillage.ReferralScheduled, seedSecretariat, maillage.ActorSecretariat, 96, "téléconsultation programmée"},
		}},
	{"demo-4", "10003456782", "patient:leroy", maillage.RequesterTreatingGP, maillage.UrgencyRoutine, maillage.ModalityTeleexpertise,
		"Psoriasis en plaques étendu, avis thérapeutique", []seedStep{
			{maillage.ActionSubmit, "", maillage.ReferralSubmitted, "10003456782", maillage.ActorRequester, 300, ""},
			{maillage.ActionTriage, maillage.ReferralSubmitted, maillage.ReferralTriaged, seedCaseManager, maillage.ActorCaseManager, 299, ""},
			{maillage.ActionAssign, maillage.ReferralTriaged, maillage.ReferralAssigned, seedCaseManager, maillage.ActorCaseManager, 298, ""},
			{maillage.ActionAnswer, maillage.ReferralAssigned, maillage.ReferralAnswered, seedSpecialist, maillage.ActorAssignedSpecialist, 290, "avis rendu par téléexpertise"},
			{maillage.ActionFollowUp, maillage.ReferralAnswered, maillage.ReferralAnswered, seedSpecialist, maillage.ActorAssignedSpecialist, 289, "parcours de santé"},
		}},
	{"demo-5", "10003456804", "patient:dupont", maillage.RequesterGP, maillage.UrgencyRoutine, maillage.ModalityInPerson,
		"Kératoses actiniques multiples du visage", []seedStep{
			{maillage.ActionSubmit, "", maillage.ReferralSubmitted, "10003456804", maillage.ActorRequester, 700, ""},
			{maillage.ActionTriage, maillage.ReferralSubmitted, maillage.ReferralTriaged, seedSecretariat, maillage.ActorSecretariat, 690, ""},
			{maillage.ActionAssign, maillage.ReferralTriaged, maillage.ReferralAssigned, seedCaseManager, maillage.ActorCaseManager, 680, ""},
			{maillage.ActionAnswer, maillage.ReferralAssigned, maillage.ReferralAnswered, seedSpecialist, maillage.ActorAssignedSpecialist, 600, "cryothérapie réalisée"},
			{maillage.ActionClose, maillage.ReferralAnswered, maillage.ReferralClosed, seedCaseManager, maillage.ActorCaseManager, 590, ""},
		}},
	{"demo-6", "10003456804", "patient:leroy", maillage.RequesterGP, maillage.UrgencyRoutine, maillage.ModalityTeleconsultation,
		"Chute de cheveux diffuse", []seedStep{
			{maillage.ActionSubmit, "", maillage.ReferralSubmitted, "10003456804", maillage.ActorRequester, 200, ""},
			{maillage.ActionDecline, maillage.ReferralSubmitted, maillage.ReferralDeclined, seedCaseManager, maillage.ActorCaseManager, 190, "relève de la médecine générale : bilan biologique d'abord"},
		}},
	{"demo-7", "10003456781", "patient:dupont", maillage.RequesterTreatingGP, maillage.UrgencyPriority, maillage.ModalityInPerson,
		"Prurit généralisé", []seedStep{
			{maillage.ActionSubmit, "", maillage.ReferralSubmitted, "10003456781", maillage.ActorRequester, 30, ""},
			{maillage.ActionWithdraw, maillage.ReferralSubmitted, maillage.ReferralWithdrawn, "10003456781", maillage.ActorRequester, 20, "résolu spontanément"},
		}},
}

// seedReferrals records the demo requests and their histories, with their
// times in the past so that the queue and the dashboard have figures.
func seedReferrals(s *Seeder) error {
	ess := s.ID("ess-dermato-rouen")
	for _, r := range seedReferralList {
		in := maillage.ReferralInput{ClientKey: r.key, ESSID: ess, PatientID: s.ID(r.patient), RequesterKind: r.kind,
			Reason: r.reason, Urgency: r.urgency, Modality: r.modality}
		last := r.steps[len(r.steps)-1]
		var specialist, answer, answerModality, pathway, declineReason, appointment any
		for _, st := range r.steps {
			switch st.action {
			case maillage.ActionAssign:
				specialist = s.ID("rpps:" + seedSpecialist)
			case maillage.ActionSchedule:
				appointment = fmt.Sprintf("%d hours", 72)
			case maillage.ActionAnswer:
				answer, answerModality = st.comment, string(r.modality)
			case maillage.ActionFollowUp:
				pathway = string(maillage.HealthPathway)
			case maillage.ActionDecline:
				declineReason = st.comment
			}
		}
		id := s.Insert("referral:"+r.key, `INSERT INTO referrals (ess_id, patient_id, requester_id, requested_by, requester_kind,
				reason, urgency, modality, client_key, content_hash, state, specialist_id, answer, answer_modality, pathway,
				decline_reason, appointment_at, submitted_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
				now() + $17::interval, now() - make_interval(hours => $18), now() - make_interval(hours => $19)) RETURNING id`,
			ess, in.PatientID, s.ID("rpps:"+r.requester), s.ID("account:"+r.requester), r.kind, r.reason, r.urgency, r.modality,
			r.key, in.ContentHash(), last.to, specialist, answer, answerModality, pathway, declineReason, appointment,
			r.steps[0].hoursAgo, last.hoursAgo)
		for _, st := range r.steps {
			var from, comment any
			if st.from != "" {
				from = st.from
			}
			if st.comment != "" {
				comment = st.comment
			}
			s.Exec(`INSERT INTO referral_history (referral_id, action, from_state, to_state, author_id, author_role, comment, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, now() - make_interval(hours => $8))`,
				id, st.action, from, st.to, s.ID("account:"+st.author), st.role, comment, st.hoursAgo)
		}
	}
	return s.err
}
