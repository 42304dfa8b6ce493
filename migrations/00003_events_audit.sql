-- +goose Up
-- The outbox: every change appends its event in the same transaction.
CREATE TABLE events (
    id         bigserial PRIMARY KEY,
    topic      text NOT NULL,
    type       text NOT NULL,
    subject_id text NOT NULL,
    domain     text NOT NULL,
    payload    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_topic ON events (topic, id);

-- Append-only audit of every read and write of patient-level data.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    account_id  text,
    role        text NOT NULL,
    domain      text NOT NULL,
    object_kind text NOT NULL,
    object_id   text NOT NULL,
    operation   text NOT NULL,
    request_id  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE events;
