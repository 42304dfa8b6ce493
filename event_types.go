package maillage

// The topics of the outbox. A subscription selects events by topic; the
// topic of a need-to-know object names it ("escap:<id>").
const (
	// TopicDirectory: the directory (territories, structures, professionals,
	// memberships, links), guarded by GuardTerritoryActivity.
	TopicDirectory = "directory"
	// TopicAuthz: policies and role grants (admin changes).
	TopicAuthz = "authz"
	// TopicPrefixESCAP, TopicPrefixReferral, TopicPrefixPatient start the
	// topic of one team, one request, one patient: see ESCAPTopic,
	// ReferralTopic, PatientTopic.
	TopicPrefixESCAP    = "escap:"
	TopicPrefixReferral = "referral:"
	TopicPrefixPatient  = "patient:"
)

// ESCAPTopic is the topic of the team id's events.
func ESCAPTopic(id string) string { return TopicPrefixESCAP + id }

// ReferralTopic is the topic of the request id's events.
func ReferralTopic(id string) string { return TopicPrefixReferral + id }

// PatientTopic is the topic of the patient id's events.
func PatientTopic(id string) string { return TopicPrefixPatient + id }

// The event types of TopicDirectory.
const (
	EventTerritoryCreated      = "TERRITORY_CREATED"
	EventStructureCreated      = "STRUCTURE_CREATED"
	EventStructureUpdated      = "STRUCTURE_UPDATED"
	EventStructureArchived     = "STRUCTURE_ARCHIVED"
	EventStructuresLinked      = "STRUCTURES_LINKED"
	EventStructureLinkArchived = "STRUCTURE_LINK_ARCHIVED"
	EventProfessionalCreated   = "PROFESSIONAL_CREATED"
	EventProfessionalUpdated   = "PROFESSIONAL_UPDATED"
	EventProfessionalArchived  = "PROFESSIONAL_ARCHIVED"
	EventMembershipAdded       = "MEMBERSHIP_ADDED"
	EventMembershipEnded       = "MEMBERSHIP_ENDED"
)

// The event types of TopicAuthz.
const (
	EventPolicyAdded   = "POLICY_ADDED"
	EventPolicyRemoved = "POLICY_REMOVED"
	EventRoleGranted   = "ROLE_GRANTED"
	EventRoleRevoked   = "ROLE_REVOKED"
)

// The event types of an ESCAP team's topic.
const (
	EventESCAPCreated     = "ESCAP_CREATED"
	EventESCAPActivated   = "ESCAP_ACTIVATED"
	EventESCAPRenewed     = "ESCAP_RENEWED"
	EventMemberJoined     = "MEMBER_JOINED"
	EventMemberLeft       = "MEMBER_LEFT"
	EventNoteAdded        = "NOTE_ADDED"
	EventTaskAdded        = "TASK_ADDED"
	EventTaskUpdated      = "TASK_UPDATED"
	EventPatientExited    = "PATIENT_EXITED"
	EventConsentWithdrawn = "CONSENT_WITHDRAWN"
	// EventESCAPTermNear: an active team's term ends soon (its members are
	// told, once per end of term; see notify).
	EventESCAPTermNear = "ESCAP_TERM_NEAR"
)

// The event types of a patient's topic.
const (
	EventPatientCreated  = "PATIENT_CREATED"
	EventConsentRecorded = "CONSENT_RECORDED"
)

// ReferralEventType is the type of the event of a referral transition
// ("REFERRAL_SUBMIT", "REFERRAL_TRIAGE"…, one per ReferralAction). Such an
// event carries the ESS the request is addressed to (Event.ESSID).
func ReferralEventType(a ReferralAction) string { return "REFERRAL_" + string(a) }

// EventTypes lists every event type the hub appends, by topic family (the
// topic up to its colon), as the schema's documentation does.
func EventTypes() map[string][]string {
	var referral []string
	for _, a := range []ReferralAction{ActionSubmit, ActionTriage, ActionAssign, ActionSchedule, ActionAnswer,
		ActionFollowUp, ActionClose, ActionRedirect, ActionDecline, ActionWithdraw} {
		referral = append(referral, ReferralEventType(a))
	}
	return map[string][]string{
		TopicDirectory: {EventTerritoryCreated, EventStructureCreated, EventStructureUpdated, EventStructureArchived,
			EventStructuresLinked, EventStructureLinkArchived, EventProfessionalCreated, EventProfessionalUpdated,
			EventProfessionalArchived, EventMembershipAdded, EventMembershipEnded},
		TopicAuthz: {EventPolicyAdded, EventPolicyRemoved, EventRoleGranted, EventRoleRevoked},
		"escap": {EventESCAPCreated, EventMemberJoined, EventMemberLeft, EventESCAPActivated, EventESCAPRenewed,
			EventNoteAdded, EventTaskAdded, EventTaskUpdated, EventPatientExited, EventConsentWithdrawn, EventESCAPTermNear},
		"patient":  {EventPatientCreated, EventConsentRecorded},
		"referral": referral,
	}
}
