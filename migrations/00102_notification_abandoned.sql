-- +goose Up
-- A mail whose recipient the relay refuses for good (a 5xx answer to RCPT
-- TO: no such mailbox) is not tried again: it is abandoned, with the
-- relay's answer in last_error.
ALTER TABLE notification_mails ADD COLUMN abandoned_at timestamptz;
DROP INDEX notification_mails_due;
CREATE INDEX notification_mails_due ON notification_mails (next_attempt_at) WHERE sent_at IS NULL AND abandoned_at IS NULL;

-- +goose Down
DROP INDEX notification_mails_due;
CREATE INDEX notification_mails_due ON notification_mails (next_attempt_at) WHERE sent_at IS NULL;
ALTER TABLE notification_mails DROP COLUMN abandoned_at;
