package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

var _ maillage.ESCAPService = (*ESCAPService)(nil)

// The care circle of a patient is the current members of an open team of the
// patient whose consent holds; the care circle of a team is its current
// members while the consent holds (a closed team stays readable to them as
// history, and refuses every write). A withdrawn consent ends both at once.
func init() {
	addRelation(authz.KindPatient, "care_circle", `EXISTS (SELECT 1 FROM escaps re
		JOIN escap_members rm ON rm.escap_id = re.id AND rm.left_at IS NULL
		JOIN escap_consents rc ON rc.id = re.consent_id AND rc.withdrawn_at IS NULL
		WHERE re.patient_id = :id AND re.status <> 'CLOSED' AND rm.professional_id = :pro)`)
	addRelation(authz.KindESCAP, "care_circle", `EXISTS (SELECT 1 FROM escap_members rm
		JOIN escaps re ON re.id = rm.escap_id
		JOIN escap_consents rc ON rc.id = re.consent_id AND rc.withdrawn_at IS NULL
		WHERE rm.escap_id = :id AND rm.left_at IS NULL AND rm.professional_id = :pro)`)
	conflictMessages["escaps_open_patient"] = "patientId: this patient already has an open ESCAP"
	conflictMessages["escap_members_active"] = "professionalId: this professional is already a member of this ESCAP"
}

// ESCAPConfig returns the default rules overridden by escap_settings.
func (db *ESCAPService) ESCAPConfig(ctx context.Context) (maillage.ESCAPConfig, error) {
	return escapConfig(ctx, db)
}

func escapConfig(ctx context.Context, q sqlx.QueryerContext) (maillage.ESCAPConfig, error) {
	cfg := maillage.DefaultESCAPConfig()
	var raw []byte
	const query = `SELECT config FROM escap_settings WHERE id = 1`
	if err := sqlx.GetContext(ctx, q, &raw, query); err != nil {
		if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
			return cfg, nil
		}
		return cfg, fmt.Errorf("escap settings: %w", err)
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, fmt.Errorf("escap_settings does not decode (operator's error): %v", err)
	}
	// A stored configuration that does not validate was written around
	// updateESCAPRules: the operator's error, so INTERNAL (the maillage.Error
	// is flattened into the text, its code must not reach the caller).
	if err := maillage.ValidateESCAPConfig(cfg); err != nil {
		return cfg, fmt.Errorf("escap_settings is invalid (operator's error): %v", err)
	}
	return cfg, nil
}

// acting returns the professional the caller is: ESCAP work is done by
// professionals only.
func acting(ctx context.Context) (string, error) {
	id := maillage.IdentityFrom(ctx)
	switch {
	case id.Anonymous():
		return "", maillage.Errorf(maillage.EUNAUTHENTICATED, "sign in to work on an ESCAP")
	case id.ProfessionalID == "":
		return "", maillage.Errorf(maillage.EFORBIDDEN, "only a health professional may work on an ESCAP")
	}
	return id.ProfessionalID, nil
}

// CheckESCAPEligibility applies the rules in force; it writes nothing but
// the audit record of the patient read.
func (db *ESCAPService) CheckESCAPEligibility(ctx context.Context, a maillage.ESCAPAssessment) (*maillage.ESCAPEligibility, error) {
	if _, err := acting(ctx); err != nil {
		return nil, err
	}
	cfg, err := db.ESCAPConfig(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := db.patients.PatientsByIDs(ctx, []string{a.PatientID})
	if err != nil {
		return nil, err
	}
	if ps[0] == nil {
		return nil, maillage.NotFound("patient")
	}
	r := cfg.CheckEligibility(ps[0], a, time.Now())
	return &r, nil
}

const consentColumns = `c.id, c.patient_id, c.method, c.given_at, c.recorded_by, c.recorded_at, c.withdrawn_at`

// RecordConsent records a patient's consent, given by a professional who may
// write the patient's record (treating GP, recorder).
func (db *ESCAPService) RecordConsent(ctx context.Context, in maillage.ConsentInput) (*maillage.ESCAPConsent, error) {
	pro, err := acting(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if err := in.Validate(now); err != nil {
		return nil, err
	}
	given := now
	if in.GivenAt != nil {
		given = *in.GivenAt
	}
	var c maillage.ESCAPConsent
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := db.patients.patientFor(ctx, tx, authz.ActWrite, in.PatientID); err != nil {
			return err
		}
		const q = `INSERT INTO escap_consents AS c (patient_id, method, given_at, recorded_by) VALUES ($1, $2, $3, $4)
			RETURNING ` + consentColumns
		if err := tx.GetContext(ctx, &c, q, in.PatientID, in.Method, given, pro); err != nil {
			return mapError(err)
		}
		if err := appendAudits(ctx, tx, authz.KindPatient, []string{in.PatientID}, "record_consent", literalDomain(patientDomain)); err != nil {
			return err
		}
		return appendEvent(ctx, tx, Event{Topic: maillage.PatientTopic(in.PatientID), Type: maillage.EventConsentRecorded, SubjectID: c.ID,
			Domain: patientDomain, Payload: map[string]string{"consentId": c.ID, "patientId": in.PatientID}})
	})
	if err != nil {
		return nil, fmt.Errorf("record consent: %w", err)
	}
	return &c, nil
}

// escapColumns reads a team with its domain (its territory's path).
const escapColumns = `e.id, e.patient_id, e.consent_id, e.patient_commune, e.territory_id, t.path AS domain, e.situation, e.pregnant,
	e.score, e.grid_size, e.status, e.initiator_id, e.created_at, e.activated_at, e.expires_at, e.renewals,
	e.exited_at, e.exit_reason, e.exit_note`

const escapFrom = ` FROM escaps e JOIN territories t ON t.id = e.territory_id`

// escapForWrite locks a team the caller may write, NOT_FOUND otherwise.
func (db *ESCAPService) escapForWrite(ctx context.Context, tx *sqlx.Tx, id string) (*maillage.ESCAP, error) {
	var e maillage.ESCAP
	if err := tx.GetContext(ctx, &e, `SELECT `+escapColumns+escapFrom+` WHERE e.id = $1 FOR UPDATE OF e`, id); err != nil {
		if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
			return nil, maillage.NotFound("escap")
		}
		return nil, err
	}
	rels, err := callerRelations(ctx, tx, authz.KindESCAP, id)
	if err != nil {
		return nil, err
	}
	if err := db.canSee(ctx, authz.ActWrite, authz.Object{Kind: authz.KindESCAP, Domain: e.Domain, Relations: rels}, "escap"); err != nil {
		return nil, err
	}
	return &e, nil
}

// open refuses a write on a closed team.
func open(e *maillage.ESCAP) error {
	if e.Status == maillage.ESCAPClosed {
		return maillage.Errorf(maillage.ECONFLICT, "escap is closed")
	}
	return nil
}

// escapEvent appends a team's event (topic escap:<id>, domain its territory):
// ids and statuses only, never the patient's identity.
func escapEvent(ctx context.Context, tx *sqlx.Tx, e *maillage.ESCAP, typ, subject string, payload map[string]any) error {
	if payload == nil {
		payload = map[string]any{}
	}
	payload["escapId"] = e.ID
	return appendEvent(ctx, tx, Event{Topic: maillage.ESCAPTopic(e.ID), Type: typ, SubjectID: subject, Domain: e.Domain, Payload: payload})
}

// auditESCAP records one operation on a team.
func auditESCAP(ctx context.Context, tx *sqlx.Tx, e *maillage.ESCAP, op string) error {
	return appendAudits(ctx, tx, authz.KindESCAP, []string{e.ID}, op, literalDomain(e.Domain))
}

// CreateESCAP starts a team for an eligible patient with recorded consent;
// the initiator is its first member.
func (db *ESCAPService) CreateESCAP(ctx context.Context, in maillage.ESCAPInput) (*maillage.ESCAP, error) {
	pro, err := acting(ctx)
	if err != nil {
		return nil, err
	}
	if err := maillage.ValidateRole("input.initiatorRole", in.InitiatorRole); err != nil {
		return nil, err
	}
	var e maillage.ESCAP
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		cfg, err := escapConfig(ctx, tx)
		if err != nil {
			return err
		}
		var territory maillage.Territory
		if err := tx.GetContext(ctx, &territory, `SELECT id, code, name, level, path, parent_id, created_at FROM territories WHERE id = $1`, in.TerritoryID); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.InvalidField("input.territoryId", "unknown territory %q", in.TerritoryID)
			}
			return err
		}
		// Starting a team is writing the patient's record: the treating GP or
		// who recorded the patient, not whoever may only read it (an ESS's
		// staff during a request).
		p, err := db.patients.patientFor(ctx, tx, authz.ActWrite, in.Assessment.PatientID)
		if err != nil {
			return err
		}
		if err := db.Authz.Can(ctx, authz.ActCreate, authz.Object{Kind: authz.KindESCAP, Domain: territory.Path}); err != nil {
			return err
		}
		// A team counts in the figures of its territory: one where the
		// initiator practises (a structure of theirs in or below it, or a
		// commune of their RPPS activity in its department), or the
		// department where the patient lives.
		ok, err := practisesIn(ctx, tx, pro, territory.Path)
		if err != nil {
			return err
		}
		if in.PatientCommune != nil {
			c := maillage.CanonicalCommune(*in.PatientCommune)
			if err := maillage.ValidateCommune("input.patientCommune", c); err != nil {
				return err
			}
			in.PatientCommune = &c
			dept := maillage.DepartmentOfPath(territory.Path)
			if dept == "" || maillage.DepartmentOfCommune(c) != dept {
				return maillage.InvalidField("input.territoryId", "territory %q is not in the department of the patient's commune %s", territory.Name, c)
			}
			ok = true
		}
		if !ok {
			return maillage.InvalidField("input.territoryId", "the initiator neither practises in territory %q (a structure there, or an activity address in its department) nor gave the patient's commune there", territory.Name)
		}
		var profession string
		if err := tx.GetContext(ctx, &profession, `SELECT profession FROM professionals WHERE id = $1`, pro); err != nil {
			return fmt.Errorf("initiator's profession: %w", err)
		}
		if !cfg.IsHealthProfession(profession) {
			return maillage.Errorf(maillage.EFORBIDDEN, "only a health professional may start an ESCAP: %q is not a health profession of the RPPS", profession)
		}
		elig := cfg.CheckEligibility(p, in.Assessment, time.Now())
		if !elig.Eligible {
			msgs := make([]string, len(elig.Reasons))
			for i, r := range elig.Reasons {
				msgs[i] = r.Code + ": " + r.Message
			}
			return &maillage.Error{Code: maillage.EINVALID, Field: strings.Replace(elig.Reasons[0].Field, "input.", "input.assessment.", 1),
				Message: "the patient is not eligible: " + strings.Join(msgs, "; ")}
		}
		if in.ConsentID == "" {
			return maillage.Errorf(maillage.ECONFLICT, "consentId: the patient's consent must be recorded first")
		}
		var c maillage.ESCAPConsent
		if err := tx.GetContext(ctx, &c, `SELECT `+consentColumns+` FROM escap_consents c WHERE c.id = $1 FOR UPDATE`, in.ConsentID); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.Errorf(maillage.ECONFLICT, "consentId: no such consent of this patient")
			}
			return err
		}
		if c.PatientID != p.ID {
			return maillage.Errorf(maillage.ECONFLICT, "consentId: no such consent of this patient")
		}
		if c.WithdrawnAt != nil {
			return maillage.Errorf(maillage.ECONFLICT, "consentId: the patient withdrew this consent")
		}
		grid, _ := json.Marshal(in.Assessment.Grid)
		const q = `WITH e AS (INSERT INTO escaps (patient_id, consent_id, territory_id, situation, pregnant, score, grid_size, grid, initiator_id, patient_commune)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *)
			SELECT ` + escapColumns + ` FROM e JOIN territories t ON t.id = e.territory_id`
		if err := tx.GetContext(ctx, &e, q, p.ID, c.ID, territory.ID, elig.Situation, in.Assessment.Pregnant,
			elig.Score, elig.GridSize, grid, pro, in.PatientCommune); err != nil {
			return mapError(err)
		}
		var memberID string
		const qm = `INSERT INTO escap_members (escap_id, professional_id, role, added_by, counted) VALUES ($1, $2, $3, $2, true) RETURNING id`
		if err := tx.GetContext(ctx, &memberID, qm, e.ID, pro, in.InitiatorRole); err != nil {
			return mapError(err)
		}
		if err := auditESCAP(ctx, tx, &e, "create"); err != nil {
			return err
		}
		if err := escapEvent(ctx, tx, &e, maillage.EventESCAPCreated, e.ID, map[string]any{"status": e.Status, "territoryId": e.TerritoryID}); err != nil {
			return err
		}
		return escapEvent(ctx, tx, &e, maillage.EventMemberJoined, memberID, map[string]any{"memberId": memberID, "professionalId": pro})
	})
	if err != nil {
		return nil, fmt.Errorf("create escap: %w", err)
	}
	return &e, nil
}

const memberColumns = `m.id, m.escap_id, m.professional_id, m.role, m.joined_at, m.left_at, p.mssante, m.counted`

// AddMember adds a professional to an open team.
func (db *ESCAPService) AddMember(ctx context.Context, in maillage.MemberInput) (*maillage.ESCAPMember, error) {
	pro, err := acting(ctx)
	if err != nil {
		return nil, err
	}
	if err := maillage.ValidateRole("input.role", in.Role); err != nil {
		return nil, err
	}
	var m maillage.ESCAPMember
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		e, err := db.escapForWrite(ctx, tx, in.ESCAPID)
		if err != nil {
			return err
		}
		if err := open(e); err != nil {
			return err
		}
		var profession string
		if err := tx.GetContext(ctx, &profession, `SELECT profession FROM professionals WHERE id = $1 AND archived_at IS NULL`, in.ProfessionalID); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.InvalidField("input.professionalId", "unknown professional %q", in.ProfessionalID)
			}
			return err
		}
		// Anyone may help; only a health professional counts.
		cfg, err := escapConfig(ctx, tx)
		if err != nil {
			return err
		}
		const q = `WITH m AS (INSERT INTO escap_members (escap_id, professional_id, role, added_by, counted) VALUES ($1, $2, $3, $4, $5) RETURNING *)
			SELECT ` + memberColumns + ` FROM m JOIN professionals p ON p.id = m.professional_id`
		if err := tx.GetContext(ctx, &m, q, e.ID, in.ProfessionalID, in.Role, pro, cfg.IsHealthProfession(profession)); err != nil {
			return mapError(err)
		}
		if err := auditESCAP(ctx, tx, e, "add_member"); err != nil {
			return err
		}
		return escapEvent(ctx, tx, e, maillage.EventMemberJoined, m.ID, map[string]any{"memberId": m.ID, "professionalId": m.ProfessionalID, "role": m.Role})
	})
	if err != nil {
		return nil, fmt.Errorf("add escap member: %w", err)
	}
	return &m, nil
}

// teamState reads what activation depends on.
func teamState(ctx context.Context, tx *sqlx.Tx, e *maillage.ESCAP, excludingMember string) (maillage.TeamState, error) {
	var s struct {
		Members      int  `db:"members"`
		GPIsMember   bool `db:"gp_is_member"`
		ConsentValid bool `db:"consent_valid"`
	}
	const q = `SELECT
		(SELECT count(*) FROM escap_members m WHERE m.escap_id = e.id AND m.left_at IS NULL AND m.id <> $2 AND m.counted) AS members,
		EXISTS (SELECT 1 FROM escap_members m JOIN patients p ON p.id = e.patient_id
			WHERE m.escap_id = e.id AND m.left_at IS NULL AND m.id <> $2 AND m.professional_id = p.gp_id) AS gp_is_member,
		EXISTS (SELECT 1 FROM escap_consents c WHERE c.id = e.consent_id AND c.withdrawn_at IS NULL) AS consent_valid
		FROM escaps e WHERE e.id = $1`
	if err := tx.GetContext(ctx, &s, q, e.ID, excludingMember); err != nil {
		return maillage.TeamState{}, fmt.Errorf("team state: %w", err)
	}
	return maillage.TeamState{Status: e.Status, Members: s.Members, GPIsMember: s.GPIsMember, ConsentValid: s.ConsentValid}, nil
}

// RemoveMember ends a membership. An active team keeps its minimum and its
// médecin traitant: a departure that would break them is refused.
func (db *ESCAPService) RemoveMember(ctx context.Context, memberID string) (*maillage.ESCAPMember, error) {
	if _, err := acting(ctx); err != nil {
		return nil, err
	}
	var m maillage.ESCAPMember
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var escapID string
		if err := tx.GetContext(ctx, &escapID, `SELECT escap_id FROM escap_members WHERE id = $1`, memberID); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.NotFound("escap member")
			}
			return err
		}
		e, err := db.escapForWrite(ctx, tx, escapID)
		if maillage.ErrorCode(err) == maillage.ENOTFOUND {
			return maillage.NotFound("escap member")
		} else if err != nil {
			return err
		}
		if err := open(e); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &m, `SELECT `+memberColumns+` FROM escap_members m JOIN professionals p ON p.id = m.professional_id WHERE m.id = $1`, memberID); err != nil {
			return err
		}
		if m.LeftAt != nil {
			return maillage.Errorf(maillage.ECONFLICT, "this member already left")
		}
		if e.Status == maillage.ESCAPActive {
			cfg, err := escapConfig(ctx, tx)
			if err != nil {
				return err
			}
			s, err := teamState(ctx, tx, e, memberID)
			if err != nil {
				return err
			}
			if s.Members < cfg.MinTeamSize || !s.GPIsMember {
				return maillage.Errorf(maillage.ECONFLICT, "an active team keeps at least %d professionals and the médecin traitant: add a replacement first", cfg.MinTeamSize)
			}
		}
		if err := tx.GetContext(ctx, &m.LeftAt, `UPDATE escap_members SET left_at = now() WHERE id = $1 RETURNING left_at`, memberID); err != nil {
			return err
		}
		if err := auditESCAP(ctx, tx, e, "remove_member"); err != nil {
			return err
		}
		return escapEvent(ctx, tx, e, maillage.EventMemberLeft, m.ID, map[string]any{"memberId": m.ID, "professionalId": m.ProfessionalID})
	})
	if err != nil {
		return nil, fmt.Errorf("remove escap member: %w", err)
	}
	return &m, nil
}

// ActivateESCAP makes a forming team active for one term, if it has its
// minimum, the médecin traitant, and the consent.
func (db *ESCAPService) ActivateESCAP(ctx context.Context, id string) (*maillage.ESCAP, error) {
	if _, err := acting(ctx); err != nil {
		return nil, err
	}
	var e *maillage.ESCAP
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if e, err = db.escapForWrite(ctx, tx, id); err != nil {
			return err
		}
		cfg, err := escapConfig(ctx, tx)
		if err != nil {
			return err
		}
		s, err := teamState(ctx, tx, e, "")
		if err != nil {
			return err
		}
		if err := cfg.CheckActivation(s); err != nil {
			return err
		}
		now := time.Now()
		const q = `UPDATE escaps SET status = 'ACTIVE', activated_at = $2, expires_at = $3 WHERE id = $1
			RETURNING status, activated_at, expires_at`
		if err := tx.QueryRowxContext(ctx, q, id, now, cfg.Term(now)).Scan(&e.Status, &e.ActivatedAt, &e.ExpiresAt); err != nil {
			return err
		}
		if err := auditESCAP(ctx, tx, e, "activate"); err != nil {
			return err
		}
		return escapEvent(ctx, tx, e, maillage.EventESCAPActivated, e.ID, map[string]any{"status": e.Status, "expiresAt": e.ExpiresAt})
	})
	if err != nil {
		return nil, fmt.Errorf("activate escap: %w", err)
	}
	return e, nil
}

// RenewESCAP extends an active team by one term from its current end.
func (db *ESCAPService) RenewESCAP(ctx context.Context, id string) (*maillage.ESCAP, error) {
	if _, err := acting(ctx); err != nil {
		return nil, err
	}
	var e *maillage.ESCAP
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if e, err = db.escapForWrite(ctx, tx, id); err != nil {
			return err
		}
		if e.Status != maillage.ESCAPActive {
			return maillage.Errorf(maillage.ECONFLICT, "only an active escap can be renewed (it is %s)", strings.ToLower(string(e.Status)))
		}
		cfg, err := escapConfig(ctx, tx)
		if err != nil {
			return err
		}
		if err := cfg.CheckRenewal(e.ExpiresAt, time.Now()); err != nil {
			return err
		}
		from := time.Now()
		if e.ExpiresAt != nil && e.ExpiresAt.After(from) {
			from = *e.ExpiresAt
		}
		const q = `UPDATE escaps SET expires_at = $2, renewals = renewals + 1 WHERE id = $1 RETURNING expires_at, renewals`
		if err := tx.QueryRowxContext(ctx, q, id, cfg.Term(from)).Scan(&e.ExpiresAt, &e.Renewals); err != nil {
			return err
		}
		if err := auditESCAP(ctx, tx, e, "renew"); err != nil {
			return err
		}
		return escapEvent(ctx, tx, e, maillage.EventESCAPRenewed, e.ID, map[string]any{"expiresAt": e.ExpiresAt, "renewals": e.Renewals})
	})
	if err != nil {
		return nil, fmt.Errorf("renew escap: %w", err)
	}
	return e, nil
}

// ExitPatient closes a team with the reason the patient left. A
// CONSENT_WITHDRAWN exit also withdraws the consent.
func (db *ESCAPService) ExitPatient(ctx context.Context, id string, reason maillage.ExitReason, note *string) (*maillage.ESCAP, error) {
	if _, err := acting(ctx); err != nil {
		return nil, err
	}
	if err := maillage.ValidateExitReason(reason); err != nil {
		return nil, err
	}
	if note != nil && len(*note) > 2000 {
		return nil, maillage.InvalidField("note", "must be at most 2000 characters")
	}
	var e *maillage.ESCAP
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if e, err = db.escapForWrite(ctx, tx, id); err != nil {
			return err
		}
		if err := open(e); err != nil {
			return err
		}
		if reason == maillage.ExitConsentWithdrawn {
			_, closed, err := withdraw(ctx, tx, e.ConsentID, note)
			for _, c := range closed {
				if c.ID == e.ID {
					e = c
				}
			}
			return err
		}
		return closeTeam(ctx, tx, e, reason, note)
	})
	if err != nil {
		return nil, fmt.Errorf("exit escap patient: %w", err)
	}
	return e, nil
}

// closeTeam closes an open team and records the exit.
func closeTeam(ctx context.Context, tx *sqlx.Tx, e *maillage.ESCAP, reason maillage.ExitReason, note *string) error {
	const q = `UPDATE escaps SET status = 'CLOSED', exited_at = now(), exit_reason = $2, exit_note = $3 WHERE id = $1
		RETURNING status, exited_at, exit_reason, exit_note`
	if err := tx.QueryRowxContext(ctx, q, e.ID, reason, note).Scan(&e.Status, &e.ExitedAt, &e.ExitReason, &e.ExitNote); err != nil {
		return fmt.Errorf("close escap: %w", err)
	}
	if err := auditESCAP(ctx, tx, e, "exit"); err != nil {
		return err
	}
	return escapEvent(ctx, tx, e, maillage.EventPatientExited, e.ID, map[string]any{"status": e.Status, "reason": reason})
}

// WithdrawConsent records that the patient withdrew the consent of a team
// the caller belongs to: every open team it covers closes at once, and the
// care circle loses access in the same transaction.
func (db *ESCAPService) WithdrawConsent(ctx context.Context, escapID string) (*maillage.ESCAPConsent, error) {
	if _, err := acting(ctx); err != nil {
		return nil, err
	}
	var c *maillage.ESCAPConsent
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		e, err := db.escapForWrite(ctx, tx, escapID)
		if err != nil {
			return err
		}
		if err := open(e); err != nil {
			return err
		}
		c, _, err = withdraw(ctx, tx, e.ConsentID, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("withdraw consent: %w", err)
	}
	return c, nil
}

// withdraw closes the open teams of a consent and marks it withdrawn. The
// audit records and the closing come first, while the caller's relations
// still hold, so they name the relation that allowed them.
func withdraw(ctx context.Context, tx *sqlx.Tx, consentID string, note *string) (*maillage.ESCAPConsent, []*maillage.ESCAP, error) {
	var patientID string
	if err := tx.GetContext(ctx, &patientID, `SELECT patient_id FROM escap_consents WHERE id = $1 FOR UPDATE`, consentID); err != nil {
		return nil, nil, mapError(err)
	}
	if err := appendAudits(ctx, tx, authz.KindPatient, []string{patientID}, "withdraw_consent", literalDomain(patientDomain)); err != nil {
		return nil, nil, err
	}
	var teams []*maillage.ESCAP
	const qt = `SELECT ` + escapColumns + escapFrom + ` WHERE e.consent_id = $1 AND e.status <> 'CLOSED' ORDER BY e.id FOR UPDATE OF e`
	if err := tx.SelectContext(ctx, &teams, qt, consentID); err != nil {
		return nil, nil, err
	}
	for _, e := range teams {
		if err := escapEvent(ctx, tx, e, maillage.EventConsentWithdrawn, consentID, map[string]any{"consentId": consentID}); err != nil {
			return nil, nil, err
		}
		if err := closeTeam(ctx, tx, e, maillage.ExitConsentWithdrawn, note); err != nil {
			return nil, nil, err
		}
	}
	var c maillage.ESCAPConsent
	const q = `UPDATE escap_consents c SET withdrawn_at = now() WHERE c.id = $1 AND c.withdrawn_at IS NULL RETURNING ` + consentColumns
	if err := tx.GetContext(ctx, &c, q, consentID); err != nil {
		if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
			return nil, nil, maillage.Errorf(maillage.ECONFLICT, "consent already withdrawn")
		}
		return nil, nil, err
	}
	return &c, teams, nil
}

const entryColumns = `x.id, x.escap_id, x.kind, x.author_id, x.body, x.task_status, x.assignee_id, x.due_date, x.created_at, x.updated_at`

// AddEntry writes a note or a task to an open team's timeline.
func (db *ESCAPService) AddEntry(ctx context.Context, in maillage.EntryInput) (*maillage.ESCAPEntry, error) {
	pro, err := acting(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var x maillage.ESCAPEntry
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		e, err := db.escapForWrite(ctx, tx, in.ESCAPID)
		if err != nil {
			return err
		}
		if err := open(e); err != nil {
			return err
		}
		if in.AssigneeID != nil {
			var ok bool
			const qa = `SELECT EXISTS (SELECT 1 FROM escap_members WHERE escap_id = $1 AND professional_id = $2 AND left_at IS NULL)`
			if err := tx.GetContext(ctx, &ok, qa, e.ID, *in.AssigneeID); err != nil {
				return err
			}
			if !ok {
				return maillage.InvalidField("input.assigneeId", "the assignee must be a current member of the team")
			}
		}
		var status *maillage.TaskStatus
		if in.Kind == maillage.EntryTask {
			s := maillage.TaskOpen
			status = &s
		}
		const q = `INSERT INTO escap_entries AS x (escap_id, kind, author_id, body, task_status, assignee_id, due_date)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ` + entryColumns
		if err := tx.GetContext(ctx, &x, q, e.ID, in.Kind, pro, in.Body, status, in.AssigneeID, in.DueDate); err != nil {
			return mapError(err)
		}
		if err := auditESCAP(ctx, tx, e, "add_"+strings.ToLower(string(in.Kind))); err != nil {
			return err
		}
		typ := maillage.EventNoteAdded
		if in.Kind == maillage.EntryTask {
			typ = maillage.EventTaskAdded
		}
		return escapEvent(ctx, tx, e, typ, x.ID, map[string]any{"entryId": x.ID, "authorId": pro, "kind": x.Kind})
	})
	if err != nil {
		return nil, fmt.Errorf("add escap entry: %w", err)
	}
	return &x, nil
}

// UpdateTask sets the status of a task of an open team.
func (db *ESCAPService) UpdateTask(ctx context.Context, entryID string, status maillage.TaskStatus) (*maillage.ESCAPEntry, error) {
	pro, err := acting(ctx)
	if err != nil {
		return nil, err
	}
	if err := maillage.ValidateTaskStatus(status); err != nil {
		return nil, err
	}
	var x maillage.ESCAPEntry
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &x, `SELECT `+entryColumns+` FROM escap_entries x WHERE x.id = $1`, entryID); err != nil {
			if maillage.ErrorCode(mapError(err)) == maillage.ENOTFOUND {
				return maillage.NotFound("escap entry")
			}
			return err
		}
		e, err := db.escapForWrite(ctx, tx, x.ESCAPID)
		if maillage.ErrorCode(err) == maillage.ENOTFOUND {
			return maillage.NotFound("escap entry")
		} else if err != nil {
			return err
		}
		if err := open(e); err != nil {
			return err
		}
		if x.Kind != maillage.EntryTask {
			return maillage.InvalidField("id", "a note has no status")
		}
		const q = `UPDATE escap_entries x SET task_status = $2, updated_at = now() WHERE x.id = $1 RETURNING ` + entryColumns
		if err := tx.GetContext(ctx, &x, q, entryID, status); err != nil {
			return err
		}
		if err := auditESCAP(ctx, tx, e, "update_task"); err != nil {
			return err
		}
		return escapEvent(ctx, tx, e, maillage.EventTaskUpdated, x.ID, map[string]any{"entryId": x.ID, "authorId": pro, "status": status})
	})
	if err != nil {
		return nil, fmt.Errorf("update escap task: %w", err)
	}
	return &x, nil
}
