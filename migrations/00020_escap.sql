-- +goose Up
-- ESCAP: care teams around one patient. History is kept: members leave with
-- a date, teams close with a reason; nothing is deleted.

-- The rules' figures, overriding maillage.DefaultESCAPConfig() key by key
-- (JSON keys of ESCAPConfig). One row.
CREATE TABLE escap_settings (
    id         int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    config     jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO escap_settings (config) VALUES ('{
  "situations": [
    {"code": "CHRONIC_POLYPATHOLOGY", "label": "Polypathologie chronique, patient de 65 ans ou plus", "minAge": 65},
    {"code": "PALLIATIVE", "label": "Soins palliatifs"},
    {"code": "CARDIAC_EVENT", "label": "Événement cardiaque ou AVC hospitalisé il y a moins d''un an", "eventWithinMonths": 12, "requiresHospitalisation": true},
    {"code": "DIABETES_INSULIN", "label": "Diabète de type 1 ou 2 sous insuline", "requiresInsulin": true}
  ],
  "gridItems": 26, "gridThreshold": 13, "pregnantGridItems": 28, "pregnantGridThreshold": 14,
  "minTeamSize": 3, "termMonths": 12,
  "incentiveTeams": 5, "incentiveTeamsEuros": 100, "incentiveToolEuros": 100,
  "capPerProfessionalYear": 20
}');

CREATE TABLE escap_consents (
    id           text PRIMARY KEY DEFAULT new_id('cns'),
    patient_id   text NOT NULL REFERENCES patients (id),
    method       text NOT NULL CHECK (method IN ('ORAL', 'WRITTEN', 'DIGITAL')),
    given_at     timestamptz NOT NULL,
    recorded_by  text NOT NULL REFERENCES professionals (id),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz
);
CREATE INDEX escap_consents_patient ON escap_consents (patient_id);

CREATE TABLE escaps (
    id           text PRIMARY KEY DEFAULT new_id('esc'),
    patient_id   text NOT NULL REFERENCES patients (id),
    consent_id   text NOT NULL REFERENCES escap_consents (id),
    territory_id text NOT NULL REFERENCES territories (id),
    situation    text NOT NULL,
    pregnant     boolean NOT NULL DEFAULT false,
    score        int NOT NULL,
    grid_size    int NOT NULL,
    grid         jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'FORMING' CHECK (status IN ('FORMING', 'ACTIVE', 'CLOSED')),
    initiator_id text NOT NULL REFERENCES professionals (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz,
    expires_at   timestamptz,
    renewals     int NOT NULL DEFAULT 0,
    exited_at    timestamptz,
    exit_reason  text CHECK (exit_reason IN ('RECOVERY', 'HOSPITALISATION', 'MOVED', 'DECEASED', 'CONSENT_WITHDRAWN', 'OTHER')),
    exit_note    text,
    CHECK ((status = 'CLOSED') = (exited_at IS NOT NULL))
);
-- One open team per patient.
CREATE UNIQUE INDEX escaps_open_patient ON escaps (patient_id) WHERE status <> 'CLOSED';
CREATE INDEX escaps_territory ON escaps (territory_id);
CREATE INDEX escaps_consent ON escaps (consent_id);
CREATE INDEX escaps_activated ON escaps (activated_at) WHERE activated_at IS NOT NULL;

CREATE TABLE escap_members (
    id              text PRIMARY KEY DEFAULT new_id('esm'),
    escap_id        text NOT NULL REFERENCES escaps (id),
    professional_id text NOT NULL REFERENCES professionals (id),
    role            text NOT NULL,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    left_at         timestamptz,
    added_by        text REFERENCES professionals (id)
);
CREATE UNIQUE INDEX escap_members_active ON escap_members (escap_id, professional_id) WHERE left_at IS NULL;
CREATE INDEX escap_members_professional ON escap_members (professional_id, escap_id);

CREATE TABLE escap_entries (
    id          text PRIMARY KEY DEFAULT new_id('etl'),
    escap_id    text NOT NULL REFERENCES escaps (id),
    kind        text NOT NULL CHECK (kind IN ('NOTE', 'TASK')),
    author_id   text NOT NULL REFERENCES professionals (id),
    body        text NOT NULL,
    task_status text CHECK (task_status IN ('OPEN', 'DONE', 'CANCELLED')),
    assignee_id text REFERENCES professionals (id),
    due_date    date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'TASK') = (task_status IS NOT NULL))
);
CREATE INDEX escap_entries_escap ON escap_entries (escap_id, created_at, id);
CREATE INDEX escap_entries_author ON escap_entries (author_id, created_at);

-- The care circle (rel:care_circle, postgres/escap.go) reads the patient of
-- an open team and reads and writes the team; a professional may start one.
INSERT INTO authz_policies (subject, object, action) VALUES
    ('rel:care_circle', 'patient', 'read'),
    ('rel:care_circle', 'escap',   'read'),
    ('rel:care_circle', 'escap',   'write'),
    ('professional',    'escap',   'create');

-- +goose Down
DELETE FROM authz_policies WHERE subject = 'rel:care_circle' OR (subject = 'professional' AND object = 'escap');
DROP TABLE escap_entries;
DROP TABLE escap_members;
DROP TABLE escaps;
DROP TABLE escap_consents;
DROP TABLE escap_settings;
