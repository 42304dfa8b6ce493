package maillage

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Sex as care software records it (INS referential: F, M, or U unknown).
type Sex string

// Sexes.
const (
	SexFemale  Sex = "F"
	SexMale    Sex = "M"
	SexUnknown Sex = "U"
)

// Patient is the minimal identity of a patient as French care software
// records it, with their médecin traitant. Patient data is need-to-know:
// only those with a relation to the patient (treating GP, recorder, care
// circle, referral requester or ESS staff) see it.
type Patient struct {
	ID         string     `db:"id"`
	FamilyName string     `db:"family_name"`
	GivenNames string     `db:"given_names"`
	BirthDate  time.Time  `db:"birth_date"`
	Sex        Sex        `db:"sex"`
	INS        *string    `db:"ins"`
	GPID       *string    `db:"gp_id"`
	CreatedBy  string     `db:"created_by"`
	CreatedAt  time.Time  `db:"created_at"`
	UpdatedAt  time.Time  `db:"updated_at"`
	ArchivedAt *time.Time `db:"archived_at"`
}

// NodeID implements Node.
func (p *Patient) NodeID() string { return p.ID }

// PrefixPatient is the id prefix of patients.
const PrefixPatient = "pat"

// AgeAt returns the patient's age in whole years on the calendar day of t in
// Europe/Paris.
func (p *Patient) AgeAt(t time.Time) int {
	day := t.In(Paris)
	age := day.Year() - p.BirthDate.Year()
	if day.Month() < p.BirthDate.Month() || (day.Month() == p.BirthDate.Month() && day.Day() < p.BirthDate.Day()) {
		age--
	}
	return age
}

// Paris is the time zone in which days, periods and delays are counted.
var Paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// PatientInput records a patient.
type PatientInput struct {
	FamilyName string
	GivenNames string
	BirthDate  time.Time
	Sex        Sex
	INS        *string
	GPID       *string
}

// PatientFilter selects the patients the caller may see.
type PatientFilter struct {
	Search *string
}

// PatientEdge is a patient and its cursor.
type PatientEdge struct {
	Cursor string
	Node   *Patient
}

// PatientConnection is one page of patients.
type PatientConnection struct {
	Edges    []PatientEdge
	PageInfo PageInfo
	Filter   PatientFilter
}

// PatientService records and reads patients. Every read and write is audited.
type PatientService interface {
	// CreatePatient returns BAD_USER_INPUT naming the field, CONFLICT (INS
	// taken), UNAUTHENTICATED or FORBIDDEN. The caller becomes its recorder.
	CreatePatient(ctx context.Context, in PatientInput) (*Patient, error)
	// FindPatientByID returns NOT_FOUND for a patient that does not exist or
	// that the caller may not see.
	FindPatientByID(ctx context.Context, id string) (*Patient, error)
	// FindPatients returns a page of the patients the caller may see.
	FindPatients(ctx context.Context, f PatientFilter, page PageArgs) (*PatientConnection, error)
	// PatientsByIDs loads patients in one statement, aligned with ids; nil
	// where none exists or the caller may not see it.
	PatientsByIDs(ctx context.Context, ids []string) ([]*Patient, error)
}

// ValidatePatient checks a patient's identity fields.
func ValidatePatient(in PatientInput, now time.Time) error {
	if err := ValidateName("input.familyName", in.FamilyName); err != nil {
		return err
	}
	if err := ValidateName("input.givenNames", in.GivenNames); err != nil {
		return err
	}
	if in.BirthDate.IsZero() || in.BirthDate.After(now) || in.BirthDate.Year() < 1880 {
		return InvalidField("input.birthDate", "must be a date in the past")
	}
	switch in.Sex {
	case SexFemale, SexMale, SexUnknown:
	default:
		return InvalidField("input.sex", "must be F, M or U, got %q", in.Sex)
	}
	if in.INS != nil {
		return ValidateINS("input.ins", *in.INS)
	}
	return nil
}

// SameIdentity reports whether in describes the recorded patient p: the
// strict identity traits of the INS referential (birth family name, first
// given name, birth date, sex), compared without case or accents.
func SameIdentity(p *Patient, in PatientInput) bool {
	first := func(names string) string {
		f, _, _ := strings.Cut(strings.TrimSpace(names), " ")
		return f
	}
	return foldName(p.FamilyName) == foldName(in.FamilyName) &&
		foldName(first(p.GivenNames)) == foldName(first(in.GivenNames)) &&
		p.BirthDate.Format(time.DateOnly) == in.BirthDate.Format(time.DateOnly) && p.Sex == in.Sex
}

// foldName lowers a name, strips its accents and reads a hyphen as a space.
func foldName(s string) string {
	return strings.ToLower(strings.ReplaceAll(FoldAccents(strings.TrimSpace(s)), "-", " "))
}

// frenchAccents maps the accented letters of French names to plain ones.
var frenchAccents = strings.NewReplacer("É", "E", "È", "E", "Ê", "E", "Ë", "E", "À", "A", "Â", "A", "Î", "I", "Ï", "I",
	"Ô", "O", "Ù", "U", "Û", "U", "Ü", "U", "Ç", "C", "é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a",
	"î", "i", "ï", "i", "ô", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c")

// FoldAccents replaces the accented letters of French names by plain ones.
func FoldAccents(s string) string { return frenchAccents.Replace(s) }

// CanonicalINS is the one form an INS is stored and compared in: without
// surrounding spaces, upper-case (the Corsican departments 2A and 2B).
func CanonicalINS(ins string) string { return strings.ToUpper(strings.TrimSpace(ins)) }

// ValidateINS checks an INS (the NIR-based national health identifier): 13
// characters (digits, or 2A/2B at the department position for Corsica) and
// a 2-digit key equal to 97 minus the number modulo 97.
func ValidateINS(field, ins string) error {
	if len(ins) != 15 {
		return InvalidField(field, "INS must be 15 characters (13 + a 2-digit key), got %q", ins)
	}
	body := ins[:13]
	// Corsica: 2A counts as 19, 2B as 18 in the key computation.
	switch strings.ToUpper(body[5:7]) {
	case "2A":
		body = body[:5] + "19" + body[7:]
	case "2B":
		body = body[:5] + "18" + body[7:]
	}
	if !allDigits(body) || !allDigits(ins[13:]) {
		return InvalidField(field, "INS must be digits (2A/2B allowed for Corsica), got %q", ins)
	}
	n, _ := strconv.ParseUint(body, 10, 64)
	key, _ := strconv.Atoi(ins[13:])
	if int(97-n%97) != key {
		return InvalidField(field, "INS key does not verify: %q", ins)
	}
	return nil
}
