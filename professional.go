package maillage

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Professional is a health professional of the RPPS directory. NationalID
// (8 + RPPS) is derived, not stored.
type Professional struct {
	ID         string     `db:"id"`
	RPPS       string     `db:"rpps"`
	FirstName  string     `db:"first_name"`
	LastName   string     `db:"last_name"`
	Profession string     `db:"profession"`
	Specialty  *string    `db:"specialty"`
	MSSante    *string    `db:"mssante"`
	CreatedAt  time.Time  `db:"created_at"`
	UpdatedAt  time.Time  `db:"updated_at"`
	ArchivedAt *time.Time `db:"archived_at"`
}

// NationalID is the national identifier of a professional: "8" + RPPS.
func (p *Professional) NationalID() string { return "8" + p.RPPS }

// ProfessionalFilter selects professionals; nil fields are not set.
type ProfessionalFilter struct {
	Profession      *string
	Specialty       *string
	Within          *string // a territory id: members of a structure in it or below
	Search          *string // in names, case- and accent-insensitive
	IncludeArchived bool
}

// ProfessionalEdge is a professional and its cursor.
type ProfessionalEdge struct {
	EdgeCursor
	Node *Professional
}

// ProfessionalConnection is one page of professionals.
type ProfessionalConnection struct {
	Edges    []ProfessionalEdge
	PageInfo PageInfo
	Filter   ProfessionalFilter
}

// ProfessionalInput creates a professional.
type ProfessionalInput struct {
	RPPS       string
	FirstName  string
	LastName   string
	Profession string
	Specialty  *string
	MSSante    *string
}

// ProfessionalUpdate changes a professional; nil fields are left as they are.
type ProfessionalUpdate struct {
	FirstName  *string
	LastName   *string
	Profession *string
	Specialty  *string
	MSSante    *string
}

// MembershipRole is a professional's role in a structure.
type MembershipRole string

// Membership roles.
const (
	MemberRoleMember        MembershipRole = "MEMBER"
	MemberRoleCoordinator   MembershipRole = "COORDINATOR"
	MemberRoleSecretariat   MembershipRole = "SECRETARIAT"
	MemberRoleCaseManager   MembershipRole = "CASE_MANAGER"
	MemberRoleSpecialist    MembershipRole = "SPECIALIST"
	MemberRoleGP            MembershipRole = "GP"
	MemberRoleNurse         MembershipRole = "NURSE"
	MemberRoleMobileTeam    MembershipRole = "MOBILE_TEAM"
	MemberRoleAdministrator MembershipRole = "ADMINISTRATOR"
)

// Membership is a professional's place in a structure, from StartedAt until
// EndedAt (nil while it lasts). Memberships are ended, never deleted.
type Membership struct {
	ID             string         `db:"id"`
	ProfessionalID string         `db:"professional_id"`
	StructureID    string         `db:"structure_id"`
	Role           MembershipRole `db:"role"`
	StartedAt      time.Time      `db:"started_at"`
	EndedAt        *time.Time     `db:"ended_at"`

	professional *Professional // read with the membership, see SetProfessional
}

// MembershipSelection is what a reader of membership pages writes, by
// GraphQL field name, so that a page reads only the columns it needs: a
// dashboard's page has hundreds of members, and every column read costs its
// decoding on every row. A nil list means every field.
type MembershipSelection struct {
	// Membership is the membership's fields, with "cursor" when an edge's
	// or a page's cursor is written.
	Membership []string
	// Professional is the fields of the membership's professional.
	Professional []string
}

// selects reports whether fields (nil: all) holds one of names.
func selects(fields []string, names ...string) bool {
	return fields == nil || slices.ContainsFunc(names, func(n string) bool { return slices.Contains(fields, n) })
}

// ReadsMembership reports whether the selection needs one of the
// membership's fields names.
func (s MembershipSelection) ReadsMembership(names ...string) bool {
	return selects(s.Membership, names...)
}

// ReadsProfessional reports whether the selection needs one of the
// professional's fields names.
func (s MembershipSelection) ReadsProfessional(names ...string) bool {
	return selects(s.Professional, names...)
}

// SetProfessional keeps p, the member, with the membership: read in the same
// batch as the membership, it is then served without a lookup of its own.
func (m *Membership) SetProfessional(p *Professional) { m.professional = p }

// Professional is the member set by SetProfessional, or NOT_FOUND when none
// was (the professional is not visible, or was not read with the membership).
func (m *Membership) Professional() (*Professional, error) {
	if m.professional == nil {
		return nil, NotFound("professional")
	}
	return m.professional, nil
}

// MembershipFilter selects among the current memberships of a structure or
// of a professional.
type MembershipFilter struct {
	Role *MembershipRole
}

// MembershipEdge is a membership and its cursor.
type MembershipEdge struct {
	EdgeCursor
	Node *Membership
}

// MembershipConnection is one page of the current memberships of a structure
// or a professional, in the order they started. TotalCount is filled when
// the page was asked with PageArgs.Count.
type MembershipConnection struct {
	Edges      []MembershipEdge
	PageInfo   PageInfo
	TotalCount int
}

// MembershipsOf names whose memberships a page lists.
type MembershipsOf string

// The parents of membership pages.
const (
	MembershipsOfStructure    MembershipsOf = "structure_id"
	MembershipsOfProfessional MembershipsOf = "professional_id"
)

// MembershipInput adds a professional to a structure.
type MembershipInput struct {
	ProfessionalID string
	StructureID    string
	Role           MembershipRole
}

// ProfessionalService reads and writes professionals and memberships.
type ProfessionalService interface {
	// FindProfessionalByID returns NOT_FOUND if none exists.
	FindProfessionalByID(ctx context.Context, id string) (*Professional, error)
	// FindProfessionalByRPPS returns NOT_FOUND if none exists.
	FindProfessionalByRPPS(ctx context.Context, rpps string) (*Professional, error)
	// FindProfessionals returns a page; BAD_USER_INPUT for a bad cursor or size.
	FindProfessionals(ctx context.Context, f ProfessionalFilter, page PageArgs) (*ProfessionalConnection, error)
	// CountProfessionals counts the professionals f selects.
	CountProfessionals(ctx context.Context, f ProfessionalFilter) (int, error)
	// ProfessionalsByIDs loads many professionals in one statement, aligned with ids.
	ProfessionalsByIDs(ctx context.Context, ids []string) ([]*Professional, error)
	// ProfessionalsByRPPS loads many professionals by RPPS in one statement,
	// aligned with rpps, nil where none exists.
	ProfessionalsByRPPS(ctx context.Context, rpps []string) ([]*Professional, error)
	// MembershipsByIDs loads memberships (current or ended) in one statement,
	// aligned with ids.
	MembershipsByIDs(ctx context.Context, ids []string) ([]*Membership, error)
	// MembershipPages loads in one statement a page of the current
	// memberships of each parent (structures or professionals, as of says),
	// aligned with parents, with their total counts when page.Count;
	// BAD_USER_INPUT (first, after, role).
	MembershipPages(ctx context.Context, of MembershipsOf, parents []string, f MembershipFilter, page PageArgs) ([]*MembershipConnection, error)
	// MembershipPagesWithProfessionals is MembershipPages with each
	// membership's professional read in the same statement
	// (Membership.Professional). sel names the fields the caller reads; the
	// others may be left zero.
	MembershipPagesWithProfessionals(ctx context.Context, of MembershipsOf, parents []string, f MembershipFilter, page PageArgs, sel MembershipSelection) ([]*MembershipConnection, error)
	// CreateProfessional returns BAD_USER_INPUT naming the field, CONFLICT
	// (RPPS taken) or FORBIDDEN.
	CreateProfessional(ctx context.Context, in ProfessionalInput) (*Professional, error)
	// UpdateProfessional returns BAD_USER_INPUT, NOT_FOUND or FORBIDDEN.
	UpdateProfessional(ctx context.Context, id string, upd ProfessionalUpdate) (*Professional, error)
	// ArchiveProfessional archives a professional and ends their memberships;
	// NOT_FOUND, CONFLICT (already archived) or FORBIDDEN.
	ArchiveProfessional(ctx context.Context, id string) (*Professional, error)
	// AddMembership returns BAD_USER_INPUT, NOT_FOUND, CONFLICT (already a
	// member with that role) or FORBIDDEN.
	AddMembership(ctx context.Context, in MembershipInput) (*Membership, error)
	// EndMembership ends (never deletes) a membership; NOT_FOUND, CONFLICT
	// (already ended) or FORBIDDEN.
	EndMembership(ctx context.Context, id string) (*Membership, error)
	// SetPracticeCommunes replaces the communes where a professional
	// practises (their RPPS activity addresses); BAD_USER_INPUT, NOT_FOUND,
	// FORBIDDEN (but for the professional or who writes them).
	SetPracticeCommunes(ctx context.Context, professionalID string, communes []string) ([]string, error)
}

// GrantDomain is the domain on which a membership's implied role holds (as
// the authz_grants view derives it): a CPTS's or DAC's coordinator holds it
// on the structure's whole territory, any other member on the structure.
func GrantDomain(s *Structure, role MembershipRole) string {
	if (s.Kind == KindCPTS || s.Kind == KindDAC) && role == MemberRoleCoordinator {
		territory, _, _ := strings.Cut(s.Domain, "/@")
		return territory
	}
	return s.Domain
}

// AppointsStaff reports whether a membership with this role in a structure
// of this kind carries rights beyond the directory: the ESS's secretariat,
// case manager and specialists (patient-level requests), a CPTS's or DAC's
// coordinator (the directory of a territory), any structure's administrator
// (appoints its staff). Such memberships need the "staff write" permission,
// and nobody appoints themselves.
func AppointsStaff(kind StructureKind, role MembershipRole) bool {
	switch {
	case role == MemberRoleAdministrator:
		return true
	case kind == KindESS:
		return role == MemberRoleSecretariat || role == MemberRoleCaseManager || role == MemberRoleSpecialist
	case kind == KindCPTS || kind == KindDAC:
		return role == MemberRoleCoordinator
	}
	return false
}
