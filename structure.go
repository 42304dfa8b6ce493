package maillage

import (
	"context"
	"time"
)

// StructureKind is the kind of a coordination structure or partner.
type StructureKind string

// Structure kinds named by the domain: coordination structures first, then
// the medico-social partners a DAC works with.
const (
	KindESP     StructureKind = "ESP"
	KindMSP     StructureKind = "MSP"
	KindESS     StructureKind = "ESS"
	KindCPTS    StructureKind = "CPTS"
	KindDAC     StructureKind = "DAC"
	KindPTA     StructureKind = "PTA"
	KindSSIAD   StructureKind = "SSIAD"
	KindSAAD    StructureKind = "SAAD"
	KindSPASAD  StructureKind = "SPASAD"
	KindEHPAD   StructureKind = "EHPAD"
	KindCLIC    StructureKind = "CLIC"
	KindCCAS    StructureKind = "CCAS"
	KindCAMSP   StructureKind = "CAMSP"
	KindITEP    StructureKind = "ITEP"
	KindCPAM    StructureKind = "CPAM"
	KindHopital StructureKind = "HOSPITAL"
	// Medico-social structures and actors named by source 004 among the
	// DAC's partners.
	KindFAM   StructureKind = "FAM"  // foyer d'accueil médicalisé (disabled adults)
	KindMAS   StructureKind = "MAS"  // maison d'accueil spécialisée (disabled adults)
	KindPCPE  StructureKind = "PCPE" // pôle de compétences et de prestations externalisées
	KindESA   StructureKind = "ESA"  // équipe spécialisée Alzheimer (at home)
	KindMJPM  StructureKind = "MJPM" // mandataire judiciaire à la protection des majeurs
	KindOther StructureKind = "OTHER"
)

// Structure is an ESP, MSP, ESS, CPTS, DAC or partner, in one territory.
// Domain is the authorization domain of the structure: its territory's path
// followed by "/@" and its id, so a role on the territory holds on it.
type Structure struct {
	ID            string        `db:"id"`
	Kind          StructureKind `db:"kind"`
	Name          string        `db:"name"`
	TerritoryID   string        `db:"territory_id"`
	Domain        string        `db:"domain"`
	FINESS        *string       `db:"finess"`
	SIRET         *string       `db:"siret"`
	MSSante       *string       `db:"mssante"`
	Specialties   []string      `db:"-"`
	Commune       *string       `db:"commune"`
	CreatedAt     time.Time     `db:"created_at"`
	UpdatedAt     time.Time     `db:"updated_at"`
	ArchivedAt    *time.Time    `db:"archived_at"`
	FINESSWarning string        `db:"-"`
}

// StructureDomain returns the authorization domain of a structure.
func StructureDomain(territoryPath, structureID string) string {
	return territoryPath + "/@" + structureID
}

// LinkKind is how one structure relates to another.
type LinkKind string

// Link kinds: an MSP is PART_OF a CPTS, an ESS ADHERES_TO a DAC, a partner
// WORKS_WITH a DAC.
const (
	LinkPartOf    LinkKind = "PART_OF"
	LinkAdheresTo LinkKind = "ADHERES_TO"
	LinkWorksWith LinkKind = "WORKS_WITH"
)

// LinkRule allows links of Kind from structures of FromKind to structures
// of ToKind ("*": any kind): the configured rules (structure_link_rules)
// are the only links linkStructures accepts.
type LinkRule struct {
	Kind     LinkKind `db:"kind"`
	FromKind string   `db:"from_kind"`
	ToKind   string   `db:"to_kind"`
}

// Allows reports whether the rule admits a link of kind from → to.
func (r LinkRule) Allows(kind LinkKind, from, to StructureKind) bool {
	return r.Kind == kind && (r.FromKind == "*" || r.FromKind == string(from)) && (r.ToKind == "*" || r.ToKind == string(to))
}

// StructureLink is a directed link between two structures.
type StructureLink struct {
	ID         string     `db:"id"`
	FromID     string     `db:"from_id"`
	ToID       string     `db:"to_id"`
	Kind       LinkKind   `db:"kind"`
	CreatedAt  time.Time  `db:"created_at"`
	ArchivedAt *time.Time `db:"archived_at"`
}

// StructureFilter selects structures; nil fields are not set.
type StructureFilter struct {
	Kinds           []StructureKind
	Within          *string // a territory id: structures in it or below
	Specialty       *string
	Search          *string // in names, case- and accent-insensitive
	IncludeArchived bool
}

// StructureEdge is a structure and its cursor.
type StructureEdge struct {
	EdgeCursor
	Node *Structure
}

// StructureConnection is one page of structures. Total is the list's count
// when it was read with the page (PageArgs.Count), nil otherwise.
type StructureConnection struct {
	Edges    []StructureEdge
	PageInfo PageInfo
	Filter   StructureFilter
	Total    *int
}

// StructureInput creates a structure.
type StructureInput struct {
	Kind        StructureKind
	Name        string
	TerritoryID string
	FINESS      *string
	SIRET       *string
	MSSante     *string
	Specialties []string
	Commune     *string
}

// StructureUpdate changes a structure; nil fields are left as they are.
type StructureUpdate struct {
	Name        *string
	TerritoryID *string
	FINESS      *string
	SIRET       *string
	MSSante     *string
	Specialties []string // nil: unchanged
	Commune     *string
}

// StructureLinkInput links two structures.
type StructureLinkInput struct {
	FromID string
	ToID   string
	Kind   LinkKind
}

// StructureService reads and writes structures and their links.
type StructureService interface {
	// FindStructureByID returns NOT_FOUND if none exists.
	FindStructureByID(ctx context.Context, id string) (*Structure, error)
	// FindStructureByFINESS returns NOT_FOUND if none exists.
	FindStructureByFINESS(ctx context.Context, finess string) (*Structure, error)
	// FindStructures returns a page, with its Total when page.Count;
	// BAD_USER_INPUT for a bad cursor or size.
	FindStructures(ctx context.Context, f StructureFilter, page PageArgs) (*StructureConnection, error)
	// CountStructures counts the structures f selects.
	CountStructures(ctx context.Context, f StructureFilter) (int, error)
	// StructuresByIDs loads many structures in one statement, aligned with ids.
	StructuresByIDs(ctx context.Context, ids []string) ([]*Structure, error)
	// StructuresByFINESS loads many structures by FINESS in one statement,
	// aligned with finess, nil where none exists.
	StructuresByFINESS(ctx context.Context, finess []string) ([]*Structure, error)
	// FindStructuresWithin returns in one statement the page of the
	// structures f selects within each parent territory (f.Within ignored),
	// aligned with parents, with their Total when page.Count; BAD_USER_INPUT
	// for a bad cursor or size.
	FindStructuresWithin(ctx context.Context, parents []string, f StructureFilter, page PageArgs) ([]*StructureConnection, error)
	// CountStructuresWithin counts in one statement the structures f selects
	// within each parent territory, aligned with parents.
	CountStructuresWithin(ctx context.Context, parents []string, f StructureFilter) ([]int, error)
	// LinksByIDs loads links (active or archived) in one statement, aligned
	// with ids.
	LinksByIDs(ctx context.Context, ids []string) ([]*StructureLink, error)
	// LinksByStructureIDs loads the active links from or to each structure,
	// aligned with ids.
	LinksByStructureIDs(ctx context.Context, ids []string) ([][]*StructureLink, error)
	// CreateStructure returns BAD_USER_INPUT naming the field, NOT_FOUND
	// (territory), CONFLICT (FINESS or SIRET taken) or FORBIDDEN.
	CreateStructure(ctx context.Context, in StructureInput) (*Structure, error)
	// UpdateStructure returns the codes of CreateStructure.
	UpdateStructure(ctx context.Context, id string, upd StructureUpdate) (*Structure, error)
	// ArchiveStructure archives (never deletes) a structure, its links and
	// memberships; NOT_FOUND, FORBIDDEN or CONFLICT (already archived).
	ArchiveStructure(ctx context.Context, id string) (*Structure, error)
	// LinkStructures returns BAD_USER_INPUT, NOT_FOUND, CONFLICT or FORBIDDEN.
	LinkStructures(ctx context.Context, in StructureLinkInput) (*StructureLink, error)
	// SetStructureSites replaces the sites of a structure, in order;
	// BAD_USER_INPUT naming the site, NOT_FOUND, FORBIDDEN.
	SetStructureSites(ctx context.Context, structureID string, sites []StructureSiteInput) ([]*StructureSite, error)
	// SitesByStructureIDs loads the sites of many structures in one
	// statement, aligned with ids.
	SitesByStructureIDs(ctx context.Context, ids []string) ([][]*StructureSite, error)
	// LinkRules returns the configured link rules, by kind.
	LinkRules(ctx context.Context) ([]LinkRule, error)
	// FindMSSanteAddress returns the holder and kind of an MSSanté address
	// (compared without case); NOT_FOUND if no one holds it.
	FindMSSanteAddress(ctx context.Context, address string) (*MSSanteAddress, error)
	// ArchiveStructureLink returns NOT_FOUND or FORBIDDEN.
	ArchiveStructureLink(ctx context.Context, id string) (*StructureLink, error)
}

// StructureSite is one site of a multi-site structure (an MSP or ESS on
// several sites), with its INSEE commune.
type StructureSite struct {
	ID          string `db:"id"`
	StructureID string `db:"structure_id"`
	Name        string `db:"name"`
	Commune     string `db:"commune"`
	Position    int    `db:"position"`
}

// StructureSiteInput describes one site.
type StructureSiteInput struct {
	Name    string
	Commune string
}
