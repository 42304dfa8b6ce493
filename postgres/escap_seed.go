package postgres

import (
	"encoding/json"
	"fmt"
)

// seedESCAPTeams are demo care teams in the two regions where the ESCAP
// secure messaging is live (Normandie, Auvergne-Rhône-Alpes): members by
// RPPS with their role, the first being the initiator; activeDays is how
// long ago the team became active (0: still forming).
var seedESCAPTeams = []struct {
	name, patient, territory, situation string
	score                               int
	members                             []string // "rpps:ROLE"
	activeDays                          int
}{
	{"escap:dupont", "patient:dupont", "fr/28/76/cpts-rouen-nord", "CHRONIC_POLYPATHOLOGY", 16,
		[]string{"10003456781:GP", "10003456783:NURSE", "10003456791:GERIATRICIAN", "10003456785:PHARMACIST"}, 120},
	{"escap:leroy", "patient:leroy", "fr/28/76/cpts-rouen-nord", "DIABETES_INSULIN", 14,
		[]string{"10003456782:GP", "10003456785:PHARMACIST"}, 0},
	{"escap:morel", "patient:morel", "fr/84/69/cpts-lyon-8", "CARDIAC_EVENT", 18,
		[]string{"10003456796:GP", "10003456798:NURSE", "10003456797:CARDIOLOGIST"}, 45},
}

// seedESCAPs records each demo team with its consent, members and a first
// note, as the service would (events included).
func seedESCAPs(s *Seeder) error {
	for _, t := range seedESCAPTeams {
		initiator := s.ID("rpps:" + t.members[0][:11])
		consent := s.Insert("consent:"+t.patient, `INSERT INTO escap_consents (patient_id, method, given_at, recorded_by)
			VALUES ($1, 'WRITTEN', now() - make_interval(days => $2 + 7), $3) RETURNING id`, s.ID(t.patient), t.activeDays, initiator)
		grid := make([]map[string]any, 26)
		for i := range grid {
			grid[i] = map[string]any{"Item": i + 1, "Met": i < t.score}
		}
		gridJSON, _ := json.Marshal(grid)
		status := "FORMING"
		if t.activeDays > 0 {
			status = "ACTIVE"
		}
		id := s.Insert(t.name, `INSERT INTO escaps (patient_id, consent_id, territory_id, situation, score, grid_size, grid,
				initiator_id, status, created_at, activated_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, 26, $6, $7, $8, now() - make_interval(days => $9 + 5),
				CASE WHEN $8 = 'ACTIVE' THEN now() - make_interval(days => $9) END,
				CASE WHEN $8 = 'ACTIVE' THEN now() - make_interval(days => $9) + interval '1 year' END)
			RETURNING id`,
			s.ID(t.patient), consent, s.ID(t.territory), t.situation, t.score, gridJSON, initiator, status, t.activeDays)
		s.Exec(`INSERT INTO events (topic, type, subject_id, domain, payload) VALUES ($1, 'ESCAP_CREATED', $2, $3, $4)`,
			"escap:"+id, id, t.territory, fmt.Sprintf(`{"escapId": %q, "status": "FORMING"}`, id))
		for _, m := range t.members {
			pro := s.ID("rpps:" + m[:11])
			s.Exec(`INSERT INTO escap_members (escap_id, professional_id, role, added_by, joined_at, counted)
				VALUES ($1, $2, $3, $4, now() - make_interval(days => $5 + 5), true)`, id, pro, m[12:], initiator, t.activeDays)
		}
		if status == "ACTIVE" {
			s.Exec(`INSERT INTO events (topic, type, subject_id, domain, payload) VALUES ($1, 'ESCAP_ACTIVATED', $2, $3, $4)`,
				"escap:"+id, id, t.territory, fmt.Sprintf(`{"escapId": %q, "status": "ACTIVE"}`, id))
			s.Exec(`INSERT INTO escap_entries (escap_id, kind, author_id, body, created_at)
				VALUES ($1, 'NOTE', $2, 'Réunion de concertation : plan de soins partagé validé.', now() - make_interval(days => $3))`,
				id, initiator, t.activeDays)
		}
	}
	return s.err
}
