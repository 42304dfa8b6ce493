package maillage

// MSSanteKind is the type of an MSSanté mailbox, as the national MSSanté
// directory lists it.
type MSSanteKind string

// MSSanté mailbox kinds.
const (
	// MSSanteNominative: one professional's mailbox (Professional.MSSante).
	MSSanteNominative MSSanteKind = "NOMINATIVE"
	// MSSanteOrganisational: a structure's service mailbox (Structure.MSSante).
	MSSanteOrganisational MSSanteKind = "ORGANISATIONAL"
)

// MSSanteAddress is a registered MSSanté address, its kind and its one
// holder: a professional (nominative) or a structure (organisational).
type MSSanteAddress struct {
	Address        string      `db:"address"`
	Kind           MSSanteKind `db:"kind"`
	ProfessionalID *string     `db:"professional_id"`
	StructureID    *string     `db:"structure_id"`
}
