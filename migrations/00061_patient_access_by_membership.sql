-- +goose Up
-- Roles that carry patient access (authz_roles.patient_access: the ESS's
-- staff, professionals) come only from memberships appointed by someone
-- else, never from a role grant: grantRole refuses them, and so does the
-- table, whatever code or SQL tries; grants of them made before are revoked
-- (a trigger of 00047 announces the accounts concerned).
UPDATE role_grants SET revoked_at = now()
 WHERE revoked_at IS NULL AND role IN (SELECT name FROM authz_roles WHERE patient_access);

-- +goose StatementBegin
CREATE FUNCTION role_grants_no_patient_access() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.revoked_at IS NULL AND EXISTS (SELECT 1 FROM authz_roles WHERE name = NEW.role AND patient_access) THEN
        RAISE EXCEPTION 'role % carries patient access: it comes only from a membership', NEW.role
            USING ERRCODE = 'check_violation', CONSTRAINT = 'role_grants_no_patient_access';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER role_grants_no_patient_access BEFORE INSERT OR UPDATE ON role_grants
    FOR EACH ROW EXECUTE FUNCTION role_grants_no_patient_access();

-- +goose Down
DROP TRIGGER role_grants_no_patient_access ON role_grants;
DROP FUNCTION role_grants_no_patient_access();
