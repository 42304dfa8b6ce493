-- +goose Up
-- Memberships that carry a role beyond the directory (an ESS's secretariat,
-- case manager or specialists see patient-level requests; a CPTS or DAC
-- coordinator writes the directory of a territory; a structure's
-- administrator appoints its staff) are appointed under their own permission,
-- "staff write": the directory write permission is not enough, or anyone who
-- may edit a structure could appoint themselves to its staff.
INSERT INTO authz_roles (name, description) VALUES
    ('structure_admin', 'Administrator of one structure: appoints its staff');
INSERT INTO authz_kinds (name, patient_level, description) VALUES
    ('staff', false, 'Appointing the members whose role carries rights (ESS staff, coordinators, administrators)');
INSERT INTO authz_policies (subject, object, action) VALUES
    ('national_admin',  'staff',     'write'),
    ('structure_admin', 'staff',     'write'),
    ('structure_admin', 'directory', 'write');

CREATE OR REPLACE VIEW authz_grants AS
    SELECT 'account:' || g.account_id AS subject, g.role, g.domain
      FROM role_grants g JOIN accounts a ON a.id = g.account_id
     WHERE g.revoked_at IS NULL AND a.disabled_at IS NULL
    UNION
    SELECT 'account:' || a.id,
           CASE
             WHEN s.kind = 'CPTS' AND m.role = 'COORDINATOR' THEN 'cpts_coordinator'
             WHEN s.kind = 'DAC'  AND m.role = 'COORDINATOR' THEN 'dac_coordinator'
             WHEN s.kind = 'ESS'  AND m.role = 'SECRETARIAT' THEN 'ess_secretariat'
             WHEN s.kind = 'ESS'  AND m.role = 'CASE_MANAGER' THEN 'ess_case_manager'
             WHEN s.kind = 'ESS'  AND m.role = 'SPECIALIST' THEN 'ess_specialist'
             WHEN m.role = 'ADMINISTRATOR' THEN 'structure_admin'
             ELSE 'professional'
           END,
           CASE
             WHEN s.kind IN ('CPTS', 'DAC') AND m.role = 'COORDINATOR' THEN t.path
             ELSE t.path || '/@' || s.id
           END
      FROM memberships m
      JOIN accounts a ON a.professional_id = m.professional_id AND a.disabled_at IS NULL
      JOIN structures s ON s.id = m.structure_id AND s.archived_at IS NULL
      JOIN territories t ON t.id = s.territory_id
     WHERE m.ended_at IS NULL
    UNION
    SELECT 'account:' || a.id, 'professional', 'fr'
      FROM accounts a
     WHERE a.professional_id IS NOT NULL AND a.disabled_at IS NULL;

-- +goose Down
CREATE OR REPLACE VIEW authz_grants AS
    SELECT 'account:' || g.account_id AS subject, g.role, g.domain
      FROM role_grants g JOIN accounts a ON a.id = g.account_id
     WHERE g.revoked_at IS NULL AND a.disabled_at IS NULL
    UNION
    SELECT 'account:' || a.id,
           CASE
             WHEN s.kind = 'CPTS' AND m.role = 'COORDINATOR' THEN 'cpts_coordinator'
             WHEN s.kind = 'DAC'  AND m.role = 'COORDINATOR' THEN 'dac_coordinator'
             WHEN s.kind = 'ESS'  AND m.role = 'SECRETARIAT' THEN 'ess_secretariat'
             WHEN s.kind = 'ESS'  AND m.role = 'CASE_MANAGER' THEN 'ess_case_manager'
             WHEN s.kind = 'ESS'  AND m.role = 'SPECIALIST' THEN 'ess_specialist'
             ELSE 'professional'
           END,
           CASE
             WHEN s.kind IN ('CPTS', 'DAC') AND m.role = 'COORDINATOR' THEN t.path
             ELSE t.path || '/@' || s.id
           END
      FROM memberships m
      JOIN accounts a ON a.professional_id = m.professional_id AND a.disabled_at IS NULL
      JOIN structures s ON s.id = m.structure_id AND s.archived_at IS NULL
      JOIN territories t ON t.id = s.territory_id
     WHERE m.ended_at IS NULL
    UNION
    SELECT 'account:' || a.id, 'professional', 'fr'
      FROM accounts a
     WHERE a.professional_id IS NOT NULL AND a.disabled_at IS NULL;
DELETE FROM authz_policies WHERE subject = 'structure_admin' OR object = 'staff';
DELETE FROM authz_kinds WHERE name = 'staff';
DELETE FROM authz_roles WHERE name = 'structure_admin';
