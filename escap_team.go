package maillage

import (
	"context"
	"time"
)

// Id prefixes of the ESCAP area.
const (
	PrefixESCAP        = "esc"
	PrefixESCAPConsent = "cns"
	PrefixESCAPMember  = "esm"
	PrefixESCAPEntry   = "etl"
)

// ESCAPStatus is where a team stands: FORMING until it has enough members
// and is activated, ACTIVE for its term, CLOSED once the patient has left
// or the term ended unrenewed.
type ESCAPStatus string

// ESCAP statuses.
const (
	ESCAPForming ESCAPStatus = "FORMING"
	ESCAPActive  ESCAPStatus = "ACTIVE"
	ESCAPClosed  ESCAPStatus = "CLOSED"
)

// ConsentMethod is how the patient gave consent.
type ConsentMethod string

// Consent methods.
const (
	ConsentOral    ConsentMethod = "ORAL"
	ConsentWritten ConsentMethod = "WRITTEN"
	ConsentDigital ConsentMethod = "DIGITAL"
)

// ExitReason is why a patient left an ESCAP.
type ExitReason string

// Exit reasons.
const (
	ExitRecovery         ExitReason = "RECOVERY"
	ExitHospitalisation  ExitReason = "HOSPITALISATION"
	ExitMoved            ExitReason = "MOVED"
	ExitDeceased         ExitReason = "DECEASED"
	ExitConsentWithdrawn ExitReason = "CONSENT_WITHDRAWN"
	ExitOther            ExitReason = "OTHER"
	// ExitEndOfTerm is recorded by the expiry job when a team reaches the end
	// of its term unrenewed; never chosen by a caller.
	ExitEndOfTerm ExitReason = "END_OF_TERM"
)

// EntryKind tells a note from a task in a team's timeline.
type EntryKind string

// Entry kinds.
const (
	EntryNote EntryKind = "NOTE"
	EntryTask EntryKind = "TASK"
)

// TaskStatus is the state of a timeline task.
type TaskStatus string

// Task statuses.
const (
	TaskOpen      TaskStatus = "OPEN"
	TaskDone      TaskStatus = "DONE"
	TaskCancelled TaskStatus = "CANCELLED"
)

// ESCAPConsent is a patient's consent to a care team: who recorded it, when
// it was given, how; WithdrawnAt closes every team it covers.
type ESCAPConsent struct {
	ID          string        `db:"id"`
	PatientID   string        `db:"patient_id"`
	Method      ConsentMethod `db:"method"`
	GivenAt     time.Time     `db:"given_at"`
	RecordedBy  string        `db:"recorded_by"` // a professional id
	RecordedAt  time.Time     `db:"recorded_at"`
	WithdrawnAt *time.Time    `db:"withdrawn_at"`
}

// NodeID implements Node.
func (c *ESCAPConsent) NodeID() string { return c.ID }

// ESCAP is a care team around one patient.
type ESCAP struct {
	ID        string `db:"id"`
	PatientID string `db:"patient_id"`
	ConsentID string `db:"consent_id"`
	// PatientCommune: where the patient lives, when the team was placed by it.
	PatientCommune *string     `db:"patient_commune"`
	TerritoryID    string      `db:"territory_id"`
	Domain         string      `db:"domain"` // the territory's path
	Situation      string      `db:"situation"`
	Pregnant       bool        `db:"pregnant"`
	Score          int         `db:"score"`
	GridSize       int         `db:"grid_size"`
	Status         ESCAPStatus `db:"status"`
	InitiatorID    string      `db:"initiator_id"`
	CreatedAt      time.Time   `db:"created_at"`
	ActivatedAt    *time.Time  `db:"activated_at"`
	ExpiresAt      *time.Time  `db:"expires_at"`
	Renewals       int         `db:"renewals"`
	ExitedAt       *time.Time  `db:"exited_at"`
	ExitReason     *ExitReason `db:"exit_reason"`
	ExitNote       *string     `db:"exit_note"`
}

// NodeID implements Node.
func (e *ESCAP) NodeID() string { return e.ID }

// ESCAPMember is a professional's part in a team, with dates and role.
type ESCAPMember struct {
	ID             string     `db:"id"`
	ESCAPID        string     `db:"escap_id"`
	ProfessionalID string     `db:"professional_id"`
	Role           string     `db:"role"`
	JoinedAt       time.Time  `db:"joined_at"`
	LeftAt         *time.Time `db:"left_at"`
	// MSSante is the professional's nominative MSSanté address.
	MSSante *string `db:"mssante"`
	// Counted: the member is of a health profession when they joined, so
	// counts among the team's minimum, in the figures and the incentives.
	// Others (a CPTS coordinator, a secretary) help but do not count.
	Counted bool `db:"counted"`
}

// NodeID implements Node.
func (m *ESCAPMember) NodeID() string { return m.ID }

// ESCAPEntry is a note or a task of a team's coordination timeline.
type ESCAPEntry struct {
	ID         string      `db:"id"`
	ESCAPID    string      `db:"escap_id"`
	Kind       EntryKind   `db:"kind"`
	AuthorID   string      `db:"author_id"`
	Body       string      `db:"body"`
	TaskStatus *TaskStatus `db:"task_status"`
	AssigneeID *string     `db:"assignee_id"`
	DueDate    *time.Time  `db:"due_date"`
	CreatedAt  time.Time   `db:"created_at"`
	UpdatedAt  time.Time   `db:"updated_at"`
}

// NodeID implements Node.
func (e *ESCAPEntry) NodeID() string { return e.ID }

// ESCAPEntryEdge is a timeline entry and its cursor.
type ESCAPEntryEdge struct {
	Cursor string
	Node   *ESCAPEntry
}

// ESCAPEntryConnection is one page of a timeline, oldest first.
type ESCAPEntryConnection struct {
	Edges    []ESCAPEntryEdge
	PageInfo PageInfo
}

// ESCAPEdge is a team and its cursor.
type ESCAPEdge struct {
	Cursor string
	Node   *ESCAP
}

// ESCAPConnection is one page of teams.
type ESCAPConnection struct {
	Edges    []ESCAPEdge
	PageInfo PageInfo
}

// ESCAPFilter selects the caller's teams; nil fields are not set.
type ESCAPFilter struct {
	Status    *ESCAPStatus
	PatientID *string
}

// ConsentInput records a patient's consent.
type ConsentInput struct {
	PatientID string
	Method    ConsentMethod
	GivenAt   *time.Time // default: now
}

// ESCAPInput starts a team: the assessment that makes the patient eligible,
// the recorded consent, the territory it belongs to, the initiator's role.
// The territory must be one where the initiator practises (a structure of
// theirs in or below it, or in its department a commune of their RPPS
// activity), or the department where the patient lives (PatientCommune).
type ESCAPInput struct {
	Assessment     ESCAPAssessment
	ConsentID      string
	TerritoryID    string
	InitiatorRole  string
	PatientCommune *string
}

// MemberInput adds a professional to a team.
type MemberInput struct {
	ESCAPID        string
	ProfessionalID string
	Role           string
}

// EntryInput writes a note or a task to a team's timeline.
type EntryInput struct {
	ESCAPID    string
	Kind       EntryKind
	Body       string
	AssigneeID *string
	DueDate    *time.Time
}

// ESCAPService runs care teams. Every read and write of a team is audited;
// a team is visible only to its care circle (current members, while the
// patient's consent holds): to anyone else it is NOT_FOUND.
type ESCAPService interface {
	// ESCAPConfig returns the rules in force (defaults overridden by the database).
	ESCAPConfig(ctx context.Context) (ESCAPConfig, error)
	// ESCAPRules returns the rules in force as the API shows them (anyone
	// may read them); INTERNAL if the stored configuration is broken.
	ESCAPRules(ctx context.Context) (*ESCAPRules, error)
	// UpdateESCAPRules applies a patch to the stored configuration, after
	// validating the whole result: BAD_USER_INPUT naming the key at fault
	// (and nothing changes), FORBIDDEN but for a national administrator.
	UpdateESCAPRules(ctx context.Context, p ESCAPConfigPatch) (*ESCAPRules, error)
	// CheckESCAPEligibility changes nothing; NOT_FOUND (patient), BAD_USER_INPUT.
	CheckESCAPEligibility(ctx context.Context, a ESCAPAssessment) (*ESCAPEligibility, error)
	// RecordConsent returns NOT_FOUND (patient), BAD_USER_INPUT, UNAUTHENTICATED.
	RecordConsent(ctx context.Context, in ConsentInput) (*ESCAPConsent, error)
	// WithdrawConsent records that the patient withdrew the consent of a
	// team: every open team it covers closes (exit reason CONSENT_WITHDRAWN)
	// and the care circle loses access at once; NOT_FOUND, CONFLICT (closed).
	WithdrawConsent(ctx context.Context, escapID string) (*ESCAPConsent, error)
	// CreateESCAP returns BAD_USER_INPUT (not eligible, naming every reason),
	// NOT_FOUND (patient, territory), CONFLICT (no valid consent, an open team
	// already), UNAUTHENTICATED or FORBIDDEN.
	CreateESCAP(ctx context.Context, in ESCAPInput) (*ESCAP, error)
	// AddMember returns NOT_FOUND, BAD_USER_INPUT, CONFLICT (already a
	// member, team closed).
	AddMember(ctx context.Context, in MemberInput) (*ESCAPMember, error)
	// RemoveMember ends a membership; CONFLICT if the team is closed or an
	// active team would fall below its minimum or lose the médecin traitant.
	RemoveMember(ctx context.Context, memberID string) (*ESCAPMember, error)
	// ActivateESCAP returns CONFLICT (too few members, no médecin traitant,
	// consent withdrawn, not FORMING) and changes nothing then.
	ActivateESCAP(ctx context.Context, id string) (*ESCAP, error)
	// RenewESCAP extends an active team by one term; CONFLICT if not ACTIVE.
	RenewESCAP(ctx context.Context, id string) (*ESCAP, error)
	// ExitPatient closes the team; CONFLICT if already closed.
	ExitPatient(ctx context.Context, id string, reason ExitReason, note *string) (*ESCAP, error)
	// AddEntry writes to the timeline; CONFLICT if the team is closed.
	AddEntry(ctx context.Context, in EntryInput) (*ESCAPEntry, error)
	// UpdateTask sets a task's status; CONFLICT if the team is closed.
	UpdateTask(ctx context.Context, entryID string, status TaskStatus) (*ESCAPEntry, error)
	// FindESCAPs returns a page of the caller's teams.
	FindESCAPs(ctx context.Context, f ESCAPFilter, page PageArgs) (*ESCAPConnection, error)
	// ESCAPsByIDs, ConsentsByIDs, MembersByIDs and EntriesByIDs load in one
	// statement, aligned with ids, nil where invisible.
	ESCAPsByIDs(ctx context.Context, ids []string) ([]*ESCAP, error)
	ConsentsByIDs(ctx context.Context, ids []string) ([]*ESCAPConsent, error)
	MembersByIDs(ctx context.Context, ids []string) ([]*ESCAPMember, error)
	EntriesByIDs(ctx context.Context, ids []string) ([]*ESCAPEntry, error)
	// MembersByESCAPIDs loads the members of many teams in one statement.
	MembersByESCAPIDs(ctx context.Context, ids []string) ([][]*ESCAPMember, error)
	// Timelines loads one page of many teams' timelines in one statement.
	Timelines(ctx context.Context, keys []TimelineKey) ([]*ESCAPEntryConnection, error)
}

// TimelineKey asks for one page of one team's timeline.
type TimelineKey struct {
	ESCAPID string
	Page    PageArgs
}

// SituationCount is a number of patients of a situation in a month
// ("2026-11", Europe/Paris).
type SituationCount struct {
	Period    string      `db:"period"`
	Situation string      `db:"situation"`
	Reason    *ExitReason `db:"reason"` // exits only: the exit reason
	N         int         `db:"count"`  // the count as computed
	// Count is N, or nil when Suppressed (N under the small-count threshold).
	Count      *int `db:"-"`
	Suppressed bool `db:"-"`
}

// TerritoryCount is a number of teams in a territory.
type TerritoryCount struct {
	TerritoryID string `db:"territory_id"`
	N           int    `db:"count"`
	Count       *int   `db:"-"` // nil when Suppressed
	Suppressed  bool   `db:"-"`
}

// ProfessionalCount is a number of teams of a professional in a calendar
// year: per-professional figures are never broken down further.
type ProfessionalCount struct {
	ProfessionalID string `db:"professional_id"`
	Year           int    `db:"year"`
	Count          int    `db:"count"`
}

// ESCAPStats are the aggregate figures of a territory and everything below
// it: counts only, never a patient. Counts under SmallCount are suppressed.
type ESCAPStats struct {
	TerritoryID string
	From, To    time.Time
	SmallCount  int
	// Entries count teams activated in each month, by situation; Exits count
	// activated teams closed in each month, by situation.
	Entries     []SituationCount
	Exits       []SituationCount
	ActiveTeams []TerritoryCount
	// TeamsPerProfessional: for each calendar year the window touches, the
	// whole year's teams of each professional.
	TeamsPerProfessional []ProfessionalCount
}

// ESCAPStatsService computes the figures of the CPTS dashboard and the
// national evaluation (kind "stats": coordinators, ARS, admins).
type ESCAPStatsService interface {
	// ESCAPStats returns the figures of a territory between from and to;
	// NOT_FOUND (territory), FORBIDDEN.
	ESCAPStats(ctx context.Context, territoryID string, from, to time.Time) (*ESCAPStats, error)
	// ESCAPIncentives returns the incentive status of each professional who
	// took part in a team of the territory during year; FORBIDDEN.
	ESCAPIncentives(ctx context.Context, territoryID string, year int) ([]ESCAPIncentive, error)
}

// Validate checks a consent input.
func (in ConsentInput) Validate(now time.Time) error {
	switch in.Method {
	case ConsentOral, ConsentWritten, ConsentDigital:
	default:
		return InvalidField("input.method", "must be ORAL, WRITTEN or DIGITAL, got %q", in.Method)
	}
	if in.GivenAt != nil && in.GivenAt.After(now) {
		return InvalidField("input.givenAt", "must not be in the future")
	}
	return nil
}

// ValidateExitReason checks an exit reason a caller gives (END_OF_TERM is
// the hub's to record, when the term ends).
func ValidateExitReason(r ExitReason) error {
	switch r {
	case ExitRecovery, ExitHospitalisation, ExitMoved, ExitDeceased, ExitConsentWithdrawn, ExitOther:
		return nil
	case ExitEndOfTerm:
		return InvalidField("reason", "END_OF_TERM is recorded by the hub when the term ends, unrenewed")
	}
	return InvalidField("reason", "unknown exit reason %q", r)
}

// ValidateRole checks a member's role in a team ("GP", "NURSE", …).
func ValidateRole(field, role string) error {
	if l := len(role); l == 0 || l > 60 {
		return InvalidField(field, "must be 1 to 60 characters")
	}
	return nil
}

// Validate checks a timeline entry.
func (in EntryInput) Validate() error {
	if l := len(in.Body); l == 0 || l > 4000 {
		return InvalidField("input.body", "must be 1 to 4000 characters")
	}
	switch in.Kind {
	case EntryNote:
		if in.AssigneeID != nil || in.DueDate != nil {
			return InvalidField("input.assigneeId", "a note has no assignee or due date")
		}
	case EntryTask:
	default:
		return InvalidField("input.kind", "must be NOTE or TASK, got %q", in.Kind)
	}
	return nil
}

// ValidateTaskStatus checks a task status.
func ValidateTaskStatus(s TaskStatus) error {
	switch s {
	case TaskOpen, TaskDone, TaskCancelled:
		return nil
	}
	return InvalidField("status", "must be OPEN, DONE or CANCELLED, got %q", s)
}
