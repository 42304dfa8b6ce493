package pgtest

// Generated RPPS activity and MSSanté directory extracts, in their
// published formats, with invented people and structures: for the
// importers' tests and benchmarks. No real personal data is ever committed.

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// The headers of the published extracts, column for column: the RPPS
// activity extract PS_LibreAcces_Personne_activite (56 columns) and the
// MSSanté directory extract Extraction_Correspondance_MSSante (31). Both
// are UTF-8, '|'-separated, each line ending with a '|' for the RPPS one.
var (
	// RPPSHeader is the header of PS_LibreAcces_Personne_activite.
	RPPSHeader = strings.Split("Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"+
		"Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|"+
		"Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|"+
		"Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|"+
		"Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|"+
		"Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|"+
		"Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|"+
		"Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|"+
		"Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|"+
		"Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|"+
		"Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|"+
		"Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|"+
		"Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|"+
		"Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|"+
		"Code section tableau pharmaciens|Libellé section tableau pharmaciens|Code rôle|Libellé rôle|"+
		"Code genre activité|Libellé genre activité", "|")
	// MSSanteHeader is the header of Extraction_Correspondance_MSSante.
	MSSanteHeader = strings.Split("Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|Identification nationale PP|"+
		"Type identifiant structure|Identification Structure|Service de rattachement|Civilité d'exercice|Nom d'exercice|"+
		"Prénom d'exercice|Catégorie profession|Libellé de catégorie profession|Code Profession|Libellé Profession|"+
		"Code savoir-faire|Libellé savoir-faire|Dématérialisation|Raison Sociale structure BAL|"+
		"Enseigne commerciale structure BAL|L2COMPLEMENTLOCALISATION structure BAL|L3COMPLEMENTDISTRIBUTION structure BAL|"+
		"L4NUMEROVOIE structure BAL|L4COMPLEMENTNUMEROVOIE structure BAL|NL4TYPEVOIE structure BAL|"+
		"L4LIBELLEVOIE structure BAL|L5LIEUDITMENTION structure BAL|L6LIGNEACHEMINEMENT structure BAL|"+
		"Code postal structure BAL|Département structure BAL|Pays structure BAL", "|")
)

// extractLine is one line of an extract with header h: the fields of
// values by header name, the others empty.
func extractLine(h []string, values map[string]string, trailing bool) string {
	rec := make([]string, len(h))
	for i, name := range h {
		rec[i] = values[name]
	}
	line := strings.Join(rec, "|")
	if trailing {
		line += "|"
	}
	return line + "\n"
}

// RPPSSite is where a generated professional practises: a site by SIRET or
// FINESS (either may be empty: a practice outside any structure), and the
// commune.
type RPPSSite struct{ SIRET, FINESS, Commune string }

// RPPSProfessional is a generated professional: invented names, never a real person.
type RPPSProfessional struct {
	RPPS, Last, First string
	Sites             []RPPSSite
}

// WriteRPPSActivities writes pros as an RPPS activity extract: the published
// header, one line per activity (per site), a trailing '|'.
func WriteRPPSActivities(w io.Writer, pros []RPPSProfessional) {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(RPPSHeader, "|") + "|\n")
	for _, p := range pros {
		for _, s := range p.Sites {
			bw.WriteString(extractLine(RPPSHeader, map[string]string{
				"Type d'identifiant PP": "8", "Identifiant PP": p.RPPS, "Identification nationale PP": "8" + p.RPPS,
				"Nom d'exercice": p.Last, "Prénom d'exercice": p.First, "Code profession": "10", "Libellé profession": "Médecin",
				"Code catégorie professionnelle": "C", "Libellé catégorie professionnelle": "Civil",
				"Code savoir-faire": "SM54", "Libellé savoir-faire": "Médecine générale",
				"Code mode exercice": "L", "Libellé mode exercice": "Libéral, indépendant, artisan, commerçant",
				"Numéro SIRET site": s.SIRET, "Numéro FINESS site": s.FINESS, "Raison sociale site": "CABINET " + p.Last,
				"Code commune (coord. structure)": s.Commune, "Code pays (coord. structure)": "99000",
				"Libellé pays (coord. structure)": "France",
			}, true))
		}
	}
	bw.Flush()
}

// MSSanteMailbox is a generated MSSanté mailbox: its type (PER, ORG…), its
// address, and its holder (an RPPS for PER, a structure identification
// otherwise).
type MSSanteMailbox struct{ Type, Address, RPPS, Structure, Department string }

// WriteMSSante writes boxes as an MSSanté directory extract: the published
// header, one line per mailbox.
func WriteMSSante(w io.Writer, boxes []MSSanteMailbox) {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(MSSanteHeader, "|") + "\n")
	for _, b := range boxes {
		v := map[string]string{"Type de BAL": b.Type, "Adresse BAL": b.Address, "Identification Structure": b.Structure,
			"Département structure BAL": b.Department, "Pays structure BAL": "99100", "Dématérialisation": "True"}
		if b.RPPS != "" {
			v["Type Identifiant PP"], v["Identifiant PP"], v["Identification nationale PP"] = "8", b.RPPS, "8"+b.RPPS
			v["Nom d'exercice"], v["Prénom d'exercice"], v["Libellé Profession"] = "NOM"+b.RPPS[7:], "Prénom", "Médecin"
		}
		bw.WriteString(extractLine(MSSanteHeader, v, false))
	}
	bw.Flush()
}

// GenSIRET is a valid SIRET (Luhn key) made from n, in a range FINESS
// extracts do not use.
func GenSIRET(n int) string { return WithLuhnKey(fmt.Sprintf("9%012d", n)) }
