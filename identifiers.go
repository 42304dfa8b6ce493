package maillage

import (
	"fmt"
	"strings"
)

// ValidateRPPS checks an RPPS number: exactly 11 digits. No Luhn key is
// enforced: published example numbers fail it.
func ValidateRPPS(field, rpps string) error {
	if len(rpps) != 11 || !allDigits(rpps) {
		return InvalidField(field, "RPPS must be exactly 11 digits, got %q", rpps)
	}
	return nil
}

// ValidateFINESS checks a FINESS number: 9 characters, the first two the
// department (01-19, 21-95, 2A and 2B for Corsica, 97 and 98 for overseas),
// the rest digits. The number must be in canonical form (CanonicalFINESS).
// A failing Luhn key is not a rejection: it comes back as a warning text
// (empty when the key holds).
func ValidateFINESS(field, finess string) (warning string, err error) {
	if len(finess) != 9 {
		return "", InvalidField(field, "FINESS must be 9 characters, got %q", finess)
	}
	dept, rest := finess[:2], finess[2:]
	corsica := dept == "2A" || dept == "2B"
	if !allDigits(rest) || (!allDigits(dept) && !corsica) {
		return "", InvalidField(field, "FINESS must be 9 digits (2A/2B allowed for Corsica), got %q", finess)
	}
	switch dept {
	case "00", "96", "99":
		return "", InvalidField(field, "FINESS must start with a department, got %q", dept)
	case "20":
		return "", InvalidField(field, "FINESS of Corsica starts with 2A or 2B, got %q", dept)
	}
	if !corsica && !luhnValid(finess) {
		return field + ": FINESS key does not verify (Luhn); kept as given", nil
	}
	return "", nil
}

// CanonicalFINESS is the stored form of a FINESS: trimmed, Corsica's
// department in capitals ("2a…" is "2A…").
func CanonicalFINESS(finess string) string { return strings.ToUpper(strings.TrimSpace(finess)) }

// CanonicalTerritoryCode is the stored form of a territory code: INSEE
// department codes of Corsica in capitals, "2A" and "2B", as INSEE, FINESS
// and the INS write them; any other code as given.
func CanonicalTerritoryCode(code string) string {
	if strings.EqualFold(code, "2a") || strings.EqualFold(code, "2b") {
		return strings.ToUpper(code)
	}
	return code
}

// CanonicalCommune is the stored form of an INSEE commune code: Corsica's
// "2a004" is "2A004".
func CanonicalCommune(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// DepartmentOfPath returns the department code of a territory path
// ("fr/28/76/cpts-rouen-nord" → "76"), "" above the departments.
func DepartmentOfPath(path string) string {
	parts := strings.Split(path, "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// FINESSDepartmentWarning returns a warning when a FINESS's department is
// not the department of the structure's territory (path), "" otherwise. A
// warning, not a rejection: a structure may carry the FINESS of its legal
// entity, registered in another department.
func FINESSDepartmentWarning(field, finess, path string) string {
	dept := DepartmentOfPath(path)
	if dept == "" || len(finess) < len(dept) || strings.HasPrefix(finess, dept) {
		return ""
	}
	return fmt.Sprintf("%s: FINESS department %s is not the structure's department %s; kept as given", field, finess[:2], dept)
}

// ValidateSIRET checks a SIRET number: 14 digits with a valid Luhn key.
func ValidateSIRET(field, siret string) error {
	if len(siret) != 14 || !allDigits(siret) {
		return InvalidField(field, "SIRET must be exactly 14 digits, got %q", siret)
	}
	if !luhnValid(siret) {
		return InvalidField(field, "SIRET key does not verify (Luhn): %q", siret)
	}
	return nil
}

// MSSanteDomainSuffix is the domain suffix of the MSSanté trust space.
const MSSanteDomainSuffix = "mssante.fr"

// ValidateMSSante checks an MSSanté address: name@domain, the domain in the
// MSSanté trust space (ending in mssante.fr).
func ValidateMSSante(field, address string) error {
	name, domain, ok := strings.Cut(address, "@")
	if !ok || name == "" || domain == "" || strings.ContainsAny(address, " \t\r\n") || strings.Contains(domain, "@") {
		return InvalidField(field, "MSSanté address must be name@domain, got %q", address)
	}
	domain = strings.ToLower(domain)
	if domain != MSSanteDomainSuffix && !strings.HasSuffix(domain, "."+MSSanteDomainSuffix) {
		return InvalidField(field, "MSSanté address must be in the MSSanté trust space (*.%s), got domain %q", MSSanteDomainSuffix, domain)
	}
	return nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// luhnValid reports whether a string of digits passes the Luhn check.
func luhnValid(digits string) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// Id prefixes: every id is a kind prefix, "_", and 32 hex digits, so the kind
// of any id (for node(id:)) is read from the id itself.
const (
	PrefixTerritory    = "ter"
	PrefixStructure    = "str"
	PrefixLink         = "lnk"
	PrefixProfessional = "pro"
	PrefixMembership   = "mem"
	PrefixAccount      = "acc"
)

// IDPrefix returns the kind prefix of an id ("str" for "str_9f1c…"), or "" if
// the id has none.
func IDPrefix(id string) string {
	prefix, _, ok := strings.Cut(id, "_")
	if !ok {
		return ""
	}
	return prefix
}

// Node is anything with a global id: GraphQL's Node interface. Every id is
// unique across kinds, so node(id:) finds its kind from IDPrefix.
type Node interface{ NodeID() string }

// NodeID implements Node.
func (t *Territory) NodeID() string { return t.ID }

// NodeID implements Node.
func (s *Structure) NodeID() string { return s.ID }

// NodeID implements Node.
func (l *StructureLink) NodeID() string { return l.ID }

// NodeID implements Node.
func (p *Professional) NodeID() string { return p.ID }

// NodeID implements Node.
func (m *Membership) NodeID() string { return m.ID }

// IsEntity marks Territory as an Apollo Federation entity.
func (*Territory) IsEntity() {}

// IsEntity marks Structure as an Apollo Federation entity.
func (*Structure) IsEntity() {}

// IsEntity marks Professional as an Apollo Federation entity.
func (*Professional) IsEntity() {}

// MaxNameLength bounds a name (of a structure, a territory, a person), in
// characters.
const MaxNameLength = 200

// ValidateName checks a name: not blank, at most MaxNameLength characters.
func ValidateName(field, name string) error {
	switch n := len([]rune(strings.TrimSpace(name))); {
	case n == 0:
		return InvalidField(field, "must not be empty")
	case n > MaxNameLength:
		return InvalidField(field, "must be at most %d characters, got %d", MaxNameLength, n)
	}
	return nil
}

// ValidateCommune checks an INSEE commune code in canonical form: five
// characters, the department (two digits, 2A or 2B, or 97x overseas) first.
func ValidateCommune(field, code string) error {
	if len(code) != 5 || !allDigits(code[2:]) || !(allDigits(code[:2]) || code[:2] == "2A" || code[:2] == "2B") {
		return InvalidField(field, "must be an INSEE commune code (5 characters, 2A/2B for Corsica), got %q", code)
	}
	return nil
}

// DepartmentOfCommune returns the department of an INSEE commune code:
// "76540" → "76", "2A004" → "2A", "97105" → "971".
func DepartmentOfCommune(code string) string {
	if len(code) < 3 {
		return ""
	}
	if strings.HasPrefix(code, "97") || strings.HasPrefix(code, "98") {
		return code[:3]
	}
	return code[:2]
}
