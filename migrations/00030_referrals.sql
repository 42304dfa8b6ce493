-- +goose Up
-- ESS single-entry referral requests. A request is never deleted: its state
-- moves, and every transition is a row of referral_history.
CREATE TABLE referrals (
    id                 text PRIMARY KEY DEFAULT new_id('ref'),
    ess_id             text NOT NULL REFERENCES structures (id),
    patient_id         text NOT NULL REFERENCES patients (id),
    requester_id       text NOT NULL REFERENCES professionals (id),
    requested_by       text NOT NULL REFERENCES accounts (id),
    requester_kind     text NOT NULL CHECK (requester_kind IN ('TREATING_GP', 'GP', 'SPECIALIST', 'GERIATRICIAN',
                           'EHPAD_NURSE', 'CPTS_COORDINATOR', 'DAC_COORDINATOR')),
    reason             text NOT NULL,
    urgency            text NOT NULL CHECK (urgency IN ('URGENT', 'PRIORITY', 'ROUTINE')),
    urgency_rank       smallint GENERATED ALWAYS AS (CASE urgency WHEN 'URGENT' THEN 0 WHEN 'PRIORITY' THEN 1 ELSE 2 END) STORED,
    modality           text NOT NULL CHECK (modality IN ('IN_PERSON', 'TELECONSULTATION', 'TELEEXPERTISE')),
    attachments        jsonb NOT NULL DEFAULT '[]',
    client_key         text NOT NULL,
    content_hash       text NOT NULL,
    state              text NOT NULL DEFAULT 'SUBMITTED' CHECK (state IN ('SUBMITTED', 'TRIAGED', 'ASSIGNED',
                           'SCHEDULED', 'ANSWERED', 'CLOSED', 'REDIRECTED', 'DECLINED', 'WITHDRAWN')),
    specialist_id      text REFERENCES professionals (id),
    appointment_at     timestamptz,
    answer             text,
    answer_modality    text CHECK (answer_modality IN ('IN_PERSON', 'TELECONSULTATION', 'TELEEXPERTISE')),
    decline_reason     text,
    redirect_target    text CHECK (redirect_target IN ('ESS', 'PRIMARY_CARE')),
    redirected_to_id   text REFERENCES referrals (id),
    redirected_from_id text REFERENCES referrals (id),
    pathway            text CHECK (pathway IN ('CARE_PATHWAY', 'HEALTH_PATHWAY')),
    supportive_care    text,
    etp_programme      text,
    submitted_at       timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- Idempotent submission: one request per requester and client key.
CREATE UNIQUE INDEX referrals_client_key ON referrals (requested_by, client_key);
-- The ESS queue: most urgent, then oldest first.
CREATE INDEX referrals_queue ON referrals (ess_id, urgency_rank, submitted_at, id);
CREATE INDEX referrals_requester ON referrals (requested_by, submitted_at DESC, id DESC);
CREATE INDEX referrals_patient ON referrals (patient_id);
CREATE INDEX referrals_specialist ON referrals (specialist_id) WHERE specialist_id IS NOT NULL;

-- Every transition: author, role, time, comment. Append-only.
CREATE TABLE referral_history (
    id          bigserial PRIMARY KEY,
    referral_id text NOT NULL REFERENCES referrals (id),
    action      text NOT NULL,
    from_state  text,
    to_state    text NOT NULL,
    author_id   text NOT NULL REFERENCES accounts (id),
    author_role text NOT NULL,
    comment     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX referral_history_referral ON referral_history (referral_id, id);
CREATE INDEX referral_history_action ON referral_history (action, referral_id);

-- Who sees a request: its requester (relation), the assigned specialist
-- (relation), and the ESS's staff by their roles on the ESS's domain. Their
-- figures (stats) go to the ESS's staff, and, as before, to coordinators and
-- ARS agents above it: aggregates only.
INSERT INTO authz_policies (subject, object, action) VALUES
    ('professional',            'referral', 'create'),
    ('rel:requester',           'referral', 'read'),
    ('rel:assigned_specialist', 'referral', 'read'),
    ('ess_secretariat',         'referral', 'read'),
    ('ess_case_manager',        'referral', 'read'),
    ('ess_specialist',          'referral', 'read'),
    ('ess_secretariat',         'stats',    'read'),
    ('ess_case_manager',        'stats',    'read'),
    ('ess_specialist',          'stats',    'read'),
    -- the patient of a request: to its requester, to the ESS's secretariat and
    -- case manager while the request is with them, and to its assigned specialist.
    ('rel:referral_requester',  'patient',  'read'),
    ('rel:referral_ess_staff',  'patient',  'read')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM authz_policies WHERE object = 'referral'
    OR (object = 'stats' AND subject IN ('ess_secretariat', 'ess_case_manager', 'ess_specialist'))
    OR subject IN ('rel:referral_requester', 'rel:referral_ess_staff');
DROP TABLE referral_history;
DROP TABLE referrals;
