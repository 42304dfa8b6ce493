-- +goose Up
-- The reference lists the admin mutations validate against: the roles that
-- may be granted, the object kinds and actions policies may name, and the
-- relations ("rel:<name>" subjects) services know how to test. Areas add
-- their own rows in their migrations; a name already used by a policy is
-- accepted too.
CREATE TABLE authz_roles (
    name        text PRIMARY KEY,
    description text NOT NULL
);
INSERT INTO authz_roles (name, description) VALUES
    ('national_admin',   'National administrator: the directory everywhere, policies and grants'),
    ('ars_agent',        'Regional health agency agent: directory and aggregates of a region, never patient-level data'),
    ('cpts_coordinator', 'CPTS coordinator: directory and aggregates of the CPTS territory; counts, not people'),
    ('dac_coordinator',  'DAC coordinator: directory and aggregates of the DAC territory; counts, not people'),
    ('ess_secretariat',  'ESS secretariat: the single-entry requests addressed to its ESS'),
    ('ess_case_manager', 'ESS case manager: the requests and pathways its ESS handles'),
    ('ess_specialist',   'ESS specialist: the requests its ESS handles'),
    ('professional',     'Health professional: the public directory; patients only through a relation'),
    ('auditor',          'Auditor: the audit trail');

CREATE TABLE authz_kinds (
    name          text PRIMARY KEY,
    patient_level boolean NOT NULL,
    description   text NOT NULL
);
INSERT INTO authz_kinds (name, patient_level, description) VALUES
    ('directory', false, 'Territories, structures, professionals, memberships'),
    ('stats',     false, 'Aggregates (counts, delays), never people'),
    ('policy',    false, 'Authorization policies and role grants'),
    ('audit',     false, 'The audit trail'),
    ('patient',   true,  'Patients'),
    ('escap',     true,  'ESCAP care teams around one patient'),
    ('referral',  true,  'ESS single-entry referral requests');

CREATE TABLE authz_actions (
    name        text PRIMARY KEY,
    description text NOT NULL
);
INSERT INTO authz_actions (name, description) VALUES
    ('read',  'See'),
    ('create', 'Create'),
    ('write', 'Change, archive'),
    ('*',     'Any action');

CREATE TABLE authz_relations (
    name        text PRIMARY KEY,
    description text NOT NULL
);
INSERT INTO authz_relations (name, description) VALUES
    ('care_circle', 'Member of the patient''s care circle (an ESCAP team member, the médecin traitant)'),
    ('treating_gp', 'The patient''s médecin traitant'),
    ('recorder',    'Recorded the patient in the hub'),
    ('requester',   'Submitted the referral request'),
    ('ess_staff',   'Staff of the ESS handling the referral');

-- Role grants name a known role: checked here as well as by the mutations.
ALTER TABLE role_grants ADD CONSTRAINT role_grants_role FOREIGN KEY (role) REFERENCES authz_roles (name);

CREATE INDEX audit_log_account ON audit_log (account_id, id);

-- +goose Down
DROP INDEX audit_log_account;
ALTER TABLE role_grants DROP CONSTRAINT role_grants_role;
DROP TABLE authz_relations;
DROP TABLE authz_actions;
DROP TABLE authz_kinds;
DROP TABLE authz_roles;
