-- +goose Up
-- An archived professional holds nothing: neither the roles their
-- memberships implied nor "professional" nationally, and (since the
-- authorizer counts a caller's relations only while they hold a grant, see
-- authz/authz.go) none of their relations either. Same as a disabled account.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION authz_account_grants(account text) RETURNS TABLE (role text, domain text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH a AS (
        SELECT a.id, a.professional_id FROM accounts a
         WHERE a.id = account AND a.disabled_at IS NULL
           AND (a.professional_id IS NULL
                OR EXISTS (SELECT 1 FROM professionals p WHERE p.id = a.professional_id AND p.archived_at IS NULL)))
    SELECT g.role, g.domain
      FROM role_grants g JOIN a ON a.id = g.account_id
     WHERE g.revoked_at IS NULL
    UNION
    SELECT CASE
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
      FROM a
      JOIN memberships m ON m.professional_id = a.professional_id AND m.ended_at IS NULL
      JOIN structures s ON s.id = m.structure_id AND s.archived_at IS NULL
      JOIN territories t ON t.id = s.territory_id
    UNION
    SELECT 'professional', 'fr' FROM a WHERE a.professional_id IS NOT NULL
$$;
-- +goose StatementEnd

-- The view states the same rule for every account (tests and benchmarks).
CREATE OR REPLACE VIEW authz_grants AS
    WITH a AS (
        SELECT a.id, a.professional_id FROM accounts a
         WHERE a.disabled_at IS NULL
           AND (a.professional_id IS NULL
                OR EXISTS (SELECT 1 FROM professionals p WHERE p.id = a.professional_id AND p.archived_at IS NULL)))
    SELECT 'account:' || g.account_id AS subject, g.role, g.domain
      FROM role_grants g JOIN a ON a.id = g.account_id
     WHERE g.revoked_at IS NULL
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
      FROM a
      JOIN memberships m ON m.professional_id = a.professional_id AND m.ended_at IS NULL
      JOIN structures s ON s.id = m.structure_id AND s.archived_at IS NULL
      JOIN territories t ON t.id = s.territory_id
    UNION
    SELECT 'account:' || a.id, 'professional', 'fr' FROM a WHERE a.professional_id IS NOT NULL;

-- A professional archived or restored: their accounts' grants change.
-- +goose StatementBegin
CREATE FUNCTION authz_professionals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz_notify_accounts(ARRAY(
        SELECT DISTINCT a.id FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN accounts a ON a.professional_id = n.id
         WHERE (n.archived_at IS NULL) <> (o.archived_at IS NULL)));
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER authz_professionals_updated AFTER UPDATE ON professionals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_professionals_changed();

-- +goose Down
DROP TRIGGER authz_professionals_updated ON professionals;
DROP FUNCTION authz_professionals_changed();
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION authz_account_grants(account text) RETURNS TABLE (role text, domain text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT g.role, g.domain
      FROM role_grants g JOIN accounts a ON a.id = g.account_id
     WHERE g.account_id = account AND g.revoked_at IS NULL AND a.disabled_at IS NULL
    UNION
    SELECT CASE
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
      FROM accounts a
      JOIN memberships m ON m.professional_id = a.professional_id AND m.ended_at IS NULL
      JOIN structures s ON s.id = m.structure_id AND s.archived_at IS NULL
      JOIN territories t ON t.id = s.territory_id
     WHERE a.id = account AND a.disabled_at IS NULL
    UNION
    SELECT 'professional', 'fr'
      FROM accounts a
     WHERE a.id = account AND a.professional_id IS NOT NULL AND a.disabled_at IS NULL
$$;
-- +goose StatementEnd
