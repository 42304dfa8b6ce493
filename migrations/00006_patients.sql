-- +goose Up
-- Patients: minimal identity, need-to-know. Nobody reads a patient by role
-- alone: only through a relation (treating GP, recorder, care circle,
-- referral requester, ESS staff), each a predicate in postgres/relations.go.
CREATE TABLE patients (
    id          text PRIMARY KEY DEFAULT new_id('pat'),
    family_name text NOT NULL,
    given_names text NOT NULL,
    birth_date  date NOT NULL,
    sex         text NOT NULL CHECK (sex IN ('F', 'M', 'U')),
    ins         text,
    gp_id       text REFERENCES professionals (id),
    created_by  text NOT NULL REFERENCES accounts (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz
);
CREATE UNIQUE INDEX patients_ins ON patients (ins) WHERE ins IS NOT NULL;
CREATE INDEX patients_gp ON patients (gp_id);
CREATE INDEX patients_created_by ON patients (created_by);
CREATE INDEX patients_name ON patients (family_name, given_names, id);

INSERT INTO authz_policies (subject, object, action) VALUES
    ('professional',     'patient', 'create'),
    ('rel:treating_gp',  'patient', 'read'),
    ('rel:treating_gp',  'patient', 'write'),
    ('rel:recorder',     'patient', 'read'),
    ('rel:recorder',     'patient', 'write');

-- +goose Down
DELETE FROM authz_policies WHERE object = 'patient';
DROP TABLE patients;
