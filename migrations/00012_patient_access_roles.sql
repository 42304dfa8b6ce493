-- +goose Up
-- Which roles a policy may ever give patient-level data: the ESS's staff
-- (the requests addressed to their ESS) and professionals (to create a
-- patient, an ESCAP, a request — reading goes through relations). National
-- admins, ARS agents, coordinators and auditors never: the policy admin
-- mutations refuse such a rule.
ALTER TABLE authz_roles ADD COLUMN patient_access boolean NOT NULL DEFAULT false;
UPDATE authz_roles SET patient_access = true
 WHERE name IN ('ess_secretariat', 'ess_case_manager', 'ess_specialist', 'professional');

-- +goose Down
ALTER TABLE authz_roles DROP COLUMN patient_access;
