-- +goose Up
-- casbin policy rules (p): subject (a role, "public", or "rel:<relation>"),
-- object kind, action. Managed through admin mutations.
CREATE TABLE authz_policies (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    object     text NOT NULL,
    action     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (subject, object, action)
);

INSERT INTO authz_policies (subject, object, action) VALUES
    ('public',           'directory', 'read'),
    ('national_admin',   'directory', 'write'),
    ('national_admin',   'stats',     'read'),
    ('national_admin',   'policy',    'read'),
    ('national_admin',   'policy',    'write'),
    ('ars_agent',        'directory', 'write'),
    ('ars_agent',        'stats',     'read'),
    ('cpts_coordinator', 'directory', 'write'),
    ('cpts_coordinator', 'stats',     'read'),
    ('dac_coordinator',  'directory', 'write'),
    ('dac_coordinator',  'stats',     'read'),
    ('auditor',          'audit',     'read');

-- Every grant casbin knows (g rules): explicit role grants, plus the roles a
-- current membership implies on its structure (or, for a CPTS or DAC
-- coordinator, on the structure's territory).
CREATE VIEW authz_grants AS
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
    -- every professional account is a professional nationally (may start an
    -- ESCAP, submit a referral); what they see of patients is still need-to-know.
    SELECT 'account:' || a.id, 'professional', 'fr'
      FROM accounts a
     WHERE a.professional_id IS NOT NULL AND a.disabled_at IS NULL;

-- +goose Down
DROP VIEW authz_grants;
DROP TABLE authz_policies;
