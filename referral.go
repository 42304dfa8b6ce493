package maillage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// PrefixReferral is the id prefix of referral requests.
const PrefixReferral = "ref"

// Urgency is how soon the requester needs the ESS.
type Urgency string

// Urgencies, most urgent first.
const (
	UrgencyUrgent   Urgency = "URGENT"
	UrgencyPriority Urgency = "PRIORITY"
	UrgencyRoutine  Urgency = "ROUTINE"
)

// Valid reports whether u is a known urgency.
func (u Urgency) Valid() bool {
	return u == UrgencyUrgent || u == UrgencyPriority || u == UrgencyRoutine
}

// Modality is how the ESS provides its care: in person or remotely.
type Modality string

// Modalities.
const (
	ModalityInPerson         Modality = "IN_PERSON"
	ModalityTeleconsultation Modality = "TELECONSULTATION"
	ModalityTeleexpertise    Modality = "TELEEXPERTISE"
)

// Valid reports whether m is a known modality.
func (m Modality) Valid() bool {
	return m == ModalityInPerson || m == ModalityTeleconsultation || m == ModalityTeleexpertise
}

// RequesterKind is in which capacity a request is submitted.
type RequesterKind string

// Requester kinds: health professionals, or a CPTS or DAC coordinator on a
// patient's behalf.
const (
	RequesterTreatingGP      RequesterKind = "TREATING_GP"
	RequesterGP              RequesterKind = "GP"
	RequesterSpecialist      RequesterKind = "SPECIALIST"
	RequesterGeriatrician    RequesterKind = "GERIATRICIAN"
	RequesterEHPADNurse      RequesterKind = "EHPAD_NURSE"
	RequesterCPTSCoordinator RequesterKind = "CPTS_COORDINATOR"
	RequesterDACCoordinator  RequesterKind = "DAC_COORDINATOR"
)

// RequesterKinds lists the kinds that may submit.
var RequesterKinds = []RequesterKind{
	RequesterTreatingGP, RequesterGP, RequesterSpecialist, RequesterGeriatrician,
	RequesterEHPADNurse, RequesterCPTSCoordinator, RequesterDACCoordinator,
}

// Attachment describes a document sent with a request. The hub stores the
// metadata only, never the medical file.
type Attachment struct {
	Reference string `json:"reference"`
	MediaType string `json:"mediaType"`
	Size      int    `json:"size"`
}

// Referral is a single-entry request to an ESS for one patient.
type Referral struct {
	ID               string          `db:"id"`
	ESSID            string          `db:"ess_id"`
	Domain           string          `db:"domain"` // the ESS's authorization domain
	PatientID        string          `db:"patient_id"`
	RequesterID      string          `db:"requester_id"` // a professional
	RequestedBy      string          `db:"requested_by"` // an account
	RequesterKind    RequesterKind   `db:"requester_kind"`
	Reason           string          `db:"reason"`
	Urgency          Urgency         `db:"urgency"`
	Modality         Modality        `db:"modality"`
	AttachmentsJSON  json.RawMessage `db:"attachments"`
	State            ReferralState   `db:"state"`
	SpecialistID     *string         `db:"specialist_id"`
	AppointmentAt    *time.Time      `db:"appointment_at"`
	Answer           *string         `db:"answer"`
	AnswerModality   *Modality       `db:"answer_modality"`
	DeclineReason    *string         `db:"decline_reason"`
	RedirectTarget   *RedirectTarget `db:"redirect_target"`
	RedirectedToID   *string         `db:"redirected_to_id"`
	RedirectedFromID *string         `db:"redirected_from_id"`
	Pathway          *PathwayKind    `db:"pathway"`
	SupportiveCare   *string         `db:"supportive_care"`
	ETPProgramme     *string         `db:"etp_programme"`
	SubmittedAt      time.Time       `db:"submitted_at"`
	UpdatedAt        time.Time       `db:"updated_at"`
}

// NodeID implements Node.
func (r *Referral) NodeID() string { return r.ID }

// Attachments decodes the attachments' metadata.
func (r *Referral) Attachments() []Attachment {
	var as []Attachment
	_ = json.Unmarshal(r.AttachmentsJSON, &as)
	return as
}

// ReferralHistoryEntry is one recorded transition: who, when, what.
type ReferralHistoryEntry struct {
	ID         int64          `db:"id"`
	ReferralID string         `db:"referral_id"`
	Action     ReferralAction `db:"action"`
	FromState  *ReferralState `db:"from_state"`
	ToState    ReferralState  `db:"to_state"`
	AuthorID   string         `db:"author_id"` // an account
	// AuthorProfessionalID is the professional the author's account is, if any.
	AuthorProfessionalID *string       `db:"author_professional_id"`
	AuthorRole           ReferralActor `db:"author_role"`
	Comment              *string       `db:"comment"`
	CreatedAt            time.Time     `db:"created_at"`
}

// ReferralInput submits a request.
type ReferralInput struct {
	ClientKey     string
	ESSID         string
	PatientID     string
	RequesterKind RequesterKind
	Reason        string
	Urgency       Urgency
	Modality      Modality
	Attachments   []Attachment
}

// ReferralRules are the limits submissions are checked against.
type ReferralRules struct {
	MaxReasonLength    int
	MaxClientKeyLength int
	MaxAttachments     int
	MaxAttachmentBytes int
}

// DefaultReferralRules are the limits unless configured otherwise.
var DefaultReferralRules = ReferralRules{
	MaxReasonLength:    4000,
	MaxClientKeyLength: 128,
	MaxAttachments:     20,
	MaxAttachmentBytes: 100 << 20,
}

// ValidateReferral checks a submission's fields.
func (rules ReferralRules) ValidateReferral(in ReferralInput) error {
	switch {
	case strings.TrimSpace(in.ClientKey) == "":
		return InvalidField("input.clientKey", "must not be empty")
	case len(in.ClientKey) > rules.MaxClientKeyLength:
		return InvalidField("input.clientKey", "must be at most %d characters", rules.MaxClientKeyLength)
	case strings.TrimSpace(in.ESSID) == "":
		return InvalidField("input.essId", "must not be empty")
	case strings.TrimSpace(in.PatientID) == "":
		return InvalidField("input.patientId", "must not be empty")
	case strings.TrimSpace(in.Reason) == "":
		return InvalidField("input.reason", "must not be empty")
	case len(in.Reason) > rules.MaxReasonLength:
		return InvalidField("input.reason", "must be at most %d characters", rules.MaxReasonLength)
	case !in.Urgency.Valid():
		return InvalidField("input.urgency", "unknown urgency %q", in.Urgency)
	case !in.Modality.Valid():
		return InvalidField("input.modality", "unknown modality %q", in.Modality)
	case len(in.Attachments) > rules.MaxAttachments:
		return InvalidField("input.attachments", "at most %d attachments", rules.MaxAttachments)
	}
	known := false
	for _, k := range RequesterKinds {
		known = known || k == in.RequesterKind
	}
	if !known {
		return InvalidField("input.requesterKind", "unknown requester kind %q", in.RequesterKind)
	}
	for i, a := range in.Attachments {
		field := "input.attachments." + strconv.Itoa(i)
		switch {
		case strings.TrimSpace(a.Reference) == "" || len(a.Reference) > 1000:
			return InvalidField(field+".reference", "must be a document reference of 1 to 1000 characters")
		case !strings.Contains(a.MediaType, "/"):
			return InvalidField(field+".mediaType", "must be a media type such as application/pdf, got %q", a.MediaType)
		case a.Size <= 0 || a.Size > rules.MaxAttachmentBytes:
			return InvalidField(field+".size", "must be between 1 and %d bytes", rules.MaxAttachmentBytes)
		}
	}
	return nil
}

// ContentHash is a digest of what a submission asks, to tell a retry (same
// client key, same content) from a different request reusing a key.
func (in ReferralInput) ContentHash() string {
	in.ClientKey = ""
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Attachments == nil {
		in.Attachments = []Attachment{}
	}
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ReferralQueueFilter selects requests of an ESS's queue; nil is not set.
type ReferralQueueFilter struct {
	States    []ReferralState
	Urgencies []Urgency
	// SubmittedBefore keeps requests at least this old; SubmittedAfter at most.
	SubmittedBefore *time.Time
	SubmittedAfter  *time.Time
	// AssignedToMe keeps the requests assigned to the caller.
	AssignedToMe bool
}

// ReferralEdge is a request and its cursor.
type ReferralEdge struct {
	Cursor string
	Node   *Referral
}

// ReferralConnection is one page of requests.
type ReferralConnection struct {
	Edges    []ReferralEdge
	PageInfo PageInfo
}

// StatsPeriod is the width of a dashboard bucket, in Europe/Paris.
type StatsPeriod string

// Periods.
const (
	PeriodDay   StatsPeriod = "DAY"
	PeriodWeek  StatsPeriod = "WEEK"
	PeriodMonth StatsPeriod = "MONTH"
)

// Count is a number of requests with one key (a state, a kind, a modality).
type Count struct {
	Key        string `db:"key"`
	N          int    `db:"count"` // as computed
	Count      *int   `db:"-"`     // N, or nil when Suppressed
	Suppressed bool   `db:"-"`
}

// ReferralPeriodStats are the counts of the requests submitted in one period.
// N fields are as computed; the pointer next to them is what is shown (nil
// when suppressed, see ReferralStats).
type ReferralPeriodStats struct {
	Start           time.Time
	N               int
	Total           *int
	TotalSuppressed bool
	ByState         []Count
	ByRequesterKind []Count
	ByModality      []Count
	// Delays of the period's requests from submission to triage and to
	// answer, and how many were answered on the Paris day they were submitted.
	ToTriage                  Delay
	ToAnswer                  Delay
	SameDayN                  int
	AnsweredSameDay           *int
	AnsweredSameDaySuppressed bool
}

// QueueAge describes the requests waiting now (submitted, triaged, assigned
// or scheduled, not yet answered nor ended), whenever they were submitted:
// how many, and how long ago the median and the oldest were submitted.
type QueueAge struct {
	N              int      `db:"open"`
	Open           *int     `db:"-"`
	OpenSuppressed bool     `db:"-"`
	MedianSeconds  *float64 `db:"median"`
	OldestSeconds  *float64 `db:"oldest"`
}

// Delay is the median and 90th percentile of a delay, in seconds; nil when
// no request has got that far, or when Suppressed (too few requests).
type Delay struct {
	N             int      `db:"n"`
	Count         *int     `db:"-"`
	MedianSeconds *float64 `db:"median"`
	P90Seconds    *float64 `db:"p90"`
	Suppressed    bool     `db:"-"`
}

// ReferralStats is an ESS's (or a territory's ESSs') dashboard over the
// requests submitted between From (included) and To (excluded): aggregates
// only, no patient data. Exact is true for the ESS's own staff (the
// need-to-know set: they see the requests themselves); anyone else gets
// whole calendar periods and counts under SmallCount suppressed.
type ReferralStats struct {
	// ESSID is the ESS, or empty for a territory's figures (TerritoryID).
	ESSID           string
	TerritoryID     string
	From            time.Time
	To              time.Time
	Period          StatsPeriod
	Exact           bool
	SmallCount      int
	N               int
	Total           *int
	TotalSuppressed bool
	Periods         []ReferralPeriodStats
	// Delays from submission to triage and to answer.
	ToTriage Delay
	ToAnswer Delay
	// AnsweredSameDay counts the requests answered on the Paris calendar day
	// they were submitted; SameDayShare is that over the total (nil if none,
	// or if either is suppressed).
	SameDayN                  int
	AnsweredSameDay           *int
	AnsweredSameDaySuppressed bool
	SameDayShare              *float64
	// Queue is the age of the requests waiting now.
	Queue QueueAge
}

// ReferralService submits referral requests, moves them through their life,
// and answers queues and figures. Every read and write is audited.
type ReferralService interface {
	// SubmitReferral is idempotent by (caller, ClientKey): the same content
	// again returns the same request; other content is CONFLICT. Also
	// BAD_USER_INPUT naming the field, NOT_FOUND (ESS or patient),
	// UNAUTHENTICATED, FORBIDDEN.
	SubmitReferral(ctx context.Context, in ReferralInput) (*Referral, error)
	// TransitionReferral applies a transition; NOT_FOUND for a request the
	// caller may not see, FORBIDDEN for a wrong role, CONFLICT for a wrong
	// state, BAD_USER_INPUT naming the missing field. A refused transition
	// changes nothing.
	TransitionReferral(ctx context.Context, id string, in ReferralTransitionInput) (*Referral, error)
	// FindReferralByID returns NOT_FOUND if none exists or it may not be seen.
	FindReferralByID(ctx context.Context, id string) (*Referral, error)
	// ReferralsByIDs loads visible requests in one statement, aligned with ids.
	ReferralsByIDs(ctx context.Context, ids []string) ([]*Referral, error)
	// HistoryByReferralIDs loads the history of many requests at once.
	HistoryByReferralIDs(ctx context.Context, ids []string) ([][]*ReferralHistoryEntry, error)
	// ReferralQueue returns a page of an ESS's queue, most urgent and oldest
	// first; NOT_FOUND for an ESS whose queue the caller may not see.
	ReferralQueue(ctx context.Context, essID string, f ReferralQueueFilter, page PageArgs) (*ReferralConnection, error)
	// MyReferrals returns a page of the caller's own requests, newest first.
	MyReferrals(ctx context.Context, states []ReferralState, page PageArgs) (*ReferralConnection, error)
	// ReferralStats returns an ESS's dashboard; FORBIDDEN without the right
	// to its figures, BAD_USER_INPUT for a bad range or period.
	ReferralStats(ctx context.Context, essID string, from, to time.Time, period StatsPeriod) (*ReferralStats, error)
	// TerritoryReferralStats returns the same figures over every ESS of a
	// territory and below it; FORBIDDEN without the right to the
	// territory's figures, NOT_FOUND for an unknown territory.
	TerritoryReferralStats(ctx context.Context, territoryID string, from, to time.Time, period StatsPeriod) (*ReferralStats, error)
	// ReferralActions returns the transitions the caller may make now on a
	// request they can see (roles and state; requirements aside).
	ReferralActions(ctx context.Context, r *Referral) ([]ReferralAction, error)
}

// RequesterFits reports whether a professional (profession and specialty as
// the RPPS directory gives them, and whether they work in an EHPAD) may
// submit as kind; the kinds checked by role or relation (treating GP,
// coordinators) are not decided here.
func RequesterFits(kind RequesterKind, profession string, specialty *string, inEHPAD bool) bool {
	fold := func(s string) string { return strings.ToLower(FoldAccents(s)) }
	doctor := fold(profession) == "medecin"
	spec := ""
	if specialty != nil {
		spec = fold(*specialty)
	}
	switch kind {
	case RequesterGP:
		return doctor && spec == "medecine generale"
	case RequesterSpecialist:
		return doctor && spec != "" && spec != "medecine generale"
	case RequesterGeriatrician:
		return doctor && strings.Contains(spec, "geriatr")
	case RequesterEHPADNurse:
		return strings.HasPrefix(fold(profession), "infirmi") && inEHPAD
	}
	return true
}
