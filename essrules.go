package maillage

import "strings"

// GeneralMedicine is the specialty an ESS is built outside of.
const GeneralMedicine = "médecine générale"

// ValidateESSSpecialties checks the specialties of an ESS: an équipe de
// soins spécialisés gathers specialists "of one or several specialties
// other than general medicine", so at least one specialty other than it.
func ValidateESSSpecialties(field string, specialties []string) error {
	for _, s := range specialties {
		if k := ProfessionKey(s); k != "" && k != ProfessionKey(GeneralMedicine) {
			return nil
		}
	}
	return InvalidField(field, "an ESS needs at least one specialty other than %s, got [%s]", GeneralMedicine, strings.Join(specialties, ", "))
}
