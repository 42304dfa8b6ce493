-- +goose Up
-- A delivery kept for the daily digest is checked again when the digest is
-- made (a member who left the team meanwhile hears nothing of it): it keeps
-- what the guard needs of its event (topic, domain, ESS), and when it was
-- withheld.
ALTER TABLE notification_deliveries
    ADD COLUMN topic       text NOT NULL DEFAULT '',
    ADD COLUMN domain      text NOT NULL DEFAULT '',
    ADD COLUMN ess_id      text NOT NULL DEFAULT '',
    ADD COLUMN withheld_at timestamptz;
DROP INDEX notification_deliveries_digest;
CREATE INDEX notification_deliveries_digest ON notification_deliveries (recipient, created_at)
    WHERE mode = 'DIGEST' AND mail_id IS NULL AND withheld_at IS NULL;

-- +goose Down
DROP INDEX notification_deliveries_digest;
CREATE INDEX notification_deliveries_digest ON notification_deliveries (recipient, created_at)
    WHERE mode = 'DIGEST' AND mail_id IS NULL;
ALTER TABLE notification_deliveries DROP COLUMN topic, DROP COLUMN domain, DROP COLUMN ess_id, DROP COLUMN withheld_at;
