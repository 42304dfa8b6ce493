-- +goose Up
-- One account's grants, as the authz_grants view derives them (explicit
-- role grants, the roles current memberships imply, "professional" on "fr"
-- for every professional account), in one statement that only touches
-- indexes keyed by the account: the authorizer loads a caller's grants
-- when it first needs them, instead of every grant of every account.
-- +goose StatementBegin
CREATE FUNCTION authz_account_grants(account text) RETURNS TABLE (role text, domain text)
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

-- Who must forget what: every change that can change the grants above
-- notifies maillage_authz with the accounts concerned ("accounts:acc_1,acc_2",
-- in chunks that fit a notification), and a change of policies with
-- "policy". PostgreSQL delivers them at commit, so a rolled-back change
-- announces nothing, and whatever code made the change, it is announced.
-- +goose StatementBegin
CREATE FUNCTION authz_notify_accounts(accounts text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    chunk constant int := 100; -- 100 ids of 36 characters: well under the 8000-byte payload limit
BEGIN
    FOR i IN 1 .. coalesce(array_length(accounts, 1), 0) BY chunk LOOP
        PERFORM pg_notify('maillage_authz', 'accounts:' || array_to_string(accounts[i:i + chunk - 1], ','));
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION authz_role_grants_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz_notify_accounts(ARRAY(SELECT DISTINCT account_id FROM changed_rows));
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER authz_role_grants_inserted AFTER INSERT ON role_grants
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_role_grants_changed();
CREATE TRIGGER authz_role_grants_updated AFTER UPDATE ON role_grants
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_role_grants_changed();
CREATE TRIGGER authz_role_grants_deleted AFTER DELETE ON role_grants
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_role_grants_changed();

-- An account disabled or enabled, or linked to another professional.
-- +goose StatementBegin
CREATE FUNCTION authz_accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz_notify_accounts(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (n.disabled_at IS NULL) <> (o.disabled_at IS NULL) OR n.professional_id IS DISTINCT FROM o.professional_id));
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER authz_accounts_updated AFTER UPDATE ON accounts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_accounts_changed();

-- A membership added, ended or changed: its professional's account.
-- +goose StatementBegin
CREATE FUNCTION authz_memberships_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz_notify_accounts(ARRAY(
        SELECT DISTINCT a.id FROM changed_rows m JOIN accounts a ON a.professional_id = m.professional_id));
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER authz_memberships_inserted AFTER INSERT ON memberships
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_memberships_changed();
CREATE TRIGGER authz_memberships_updated_new AFTER UPDATE ON memberships
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_memberships_changed();
CREATE TRIGGER authz_memberships_updated_old AFTER UPDATE ON memberships
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_memberships_changed();
CREATE TRIGGER authz_memberships_deleted AFTER DELETE ON memberships
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_memberships_changed();

-- A structure archived, moved or of another kind: the accounts of its
-- current members (the roles they hold through it change).
-- +goose StatementBegin
CREATE FUNCTION authz_structures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz_notify_accounts(ARRAY(
        SELECT DISTINCT a.id
          FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN memberships m ON m.structure_id = n.id AND m.ended_at IS NULL
          JOIN accounts a ON a.professional_id = m.professional_id
         WHERE (n.archived_at IS NULL) <> (o.archived_at IS NULL) OR n.territory_id <> o.territory_id OR n.kind <> o.kind));
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER authz_structures_updated AFTER UPDATE ON structures
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_structures_changed();

-- A territory's path changed (the domains below it move): every account
-- may be concerned, so every instance forgets every caller.
-- +goose StatementBegin
CREATE FUNCTION authz_territories_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.path <> o.path) THEN
        PERFORM pg_notify('maillage_authz', 'all');
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER authz_territories_updated AFTER UPDATE ON territories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION authz_territories_changed();

-- +goose StatementBegin
CREATE FUNCTION authz_policies_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('maillage_authz', 'policy');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER authz_policies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authz_policies
    FOR EACH STATEMENT EXECUTE FUNCTION authz_policies_changed();

-- +goose Down
DROP TRIGGER authz_policies_changed ON authz_policies;
DROP TRIGGER authz_territories_updated ON territories;
DROP TRIGGER authz_structures_updated ON structures;
DROP TRIGGER authz_memberships_inserted ON memberships;
DROP TRIGGER authz_memberships_updated_new ON memberships;
DROP TRIGGER authz_memberships_updated_old ON memberships;
DROP TRIGGER authz_memberships_deleted ON memberships;
DROP TRIGGER authz_accounts_updated ON accounts;
DROP TRIGGER authz_role_grants_inserted ON role_grants;
DROP TRIGGER authz_role_grants_updated ON role_grants;
DROP TRIGGER authz_role_grants_deleted ON role_grants;
DROP FUNCTION authz_policies_changed();
DROP FUNCTION authz_territories_changed();
DROP FUNCTION authz_structures_changed();
DROP FUNCTION authz_memberships_changed();
DROP FUNCTION authz_accounts_changed();
DROP FUNCTION authz_role_grants_changed();
DROP FUNCTION authz_notify_accounts(text[]);
DROP FUNCTION authz_account_grants(text);
