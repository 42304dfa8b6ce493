-- +goose Up
-- The statement triggers that compare a table's old and new rows (a
-- professional archived or restored, a structure archived, moved or of
-- another kind, an account disabled or relinked) join the two transition
-- tables. PL/pgSQL plans such a query, which has no parameter, once per
-- session: when the first statement changed no row (or one), the plan
-- loops over both tables, and a later statement changing 50,000 rows then
-- takes minutes (an import releasing nothing, then assigning every
-- professional an MSSanté address). EXECUTE plans each statement's query
-- with its real row counts.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION authz_professionals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$SELECT authz_notify_accounts(ARRAY(
        SELECT DISTINCT a.id FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN accounts a ON a.professional_id = n.id
         WHERE (n.archived_at IS NULL) <> (o.archived_at IS NULL)))$q$;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION authz_structures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$SELECT authz_notify_accounts(ARRAY(
        SELECT DISTINCT a.id
          FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN memberships m ON m.structure_id = n.id AND m.ended_at IS NULL
          JOIN accounts a ON a.professional_id = m.professional_id
         WHERE (n.archived_at IS NULL) <> (o.archived_at IS NULL) OR n.territory_id <> o.territory_id OR n.kind <> o.kind))$q$;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION authz_accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE $q$SELECT authz_notify_accounts(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (n.disabled_at IS NULL) <> (o.disabled_at IS NULL) OR n.professional_id IS DISTINCT FROM o.professional_id))$q$;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION authz_professionals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz_notify_accounts(ARRAY(
        SELECT DISTINCT a.id FROM new_rows n JOIN old_rows o ON o.id = n.id
          JOIN accounts a ON a.professional_id = n.id
         WHERE (n.archived_at IS NULL) <> (o.archived_at IS NULL)));
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION authz_structures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION authz_accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authz_notify_accounts(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (n.disabled_at IS NULL) <> (o.disabled_at IS NULL) OR n.professional_id IS DISTINCT FROM o.professional_id));
    RETURN NULL;
END $$;
-- +goose StatementEnd
