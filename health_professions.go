package maillage

import "strings"

// DefaultHealthProfessions returns the health professions of the Code de la
// santé publique (part IV) by their RPPS profession labels: medical
// professions, pharmacists, the auxiliaires médicaux, and the other
// professions the RPPS registers as health professions. Professions
// registered for the use of a title only (psychologue, ostéopathe,
// chiropracteur, psychothérapeute) and non-health staff (coordinateur,
// secrétaire médicale, cadre administratif) are not among them.
func DefaultHealthProfessions() []string {
	return []string{
		"Médecin", "Chirurgien-dentiste", "Sage-femme", "Pharmacien",
		"Infirmier", "Masseur-kinésithérapeute", "Pédicure-podologue", "Orthophoniste", "Orthoptiste",
		"Ergothérapeute", "Psychomotricien", "Diététicien", "Audioprothésiste", "Opticien-lunetier",
		"Manipulateur ERM", "Technicien de laboratoire médical", "Orthoprothésiste", "Podo-orthésiste",
		"Orthopédiste-orthésiste", "Oculariste", "Épithésiste", "Physicien médical",
		"Aide-soignant", "Auxiliaire de puériculture", "Ambulancier", "Assistant dentaire",
		"Préparateur en pharmacie", "Préparateur en pharmacie hospitalière",
	}
}

// ProfessionKey is how professions compare: lower case, without accents
// (as the database's search_key).
func ProfessionKey(profession string) string {
	return strings.ToLower(FoldAccents(strings.TrimSpace(profession)))
}

// IsHealthProfession reports whether an RPPS profession label is one of the
// configured health professions.
func (c ESCAPConfig) IsHealthProfession(profession string) bool {
	k := ProfessionKey(profession)
	for _, p := range c.HealthProfessions {
		if ProfessionKey(p) == k {
			return true
		}
	}
	return false
}
