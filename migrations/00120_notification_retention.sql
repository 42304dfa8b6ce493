-- +goose Up
-- A delivery is kept for a retention once its fate is settled — its mail
-- sent or abandoned (the mail goes with it), or the delivery withheld from a
-- digest — then pruned in bounded batches by the notifier's jobs
-- (notify.Config.Retention). These indexes find the oldest settled rows
-- without reading the others; mails waiting to be sent and deliveries
-- waiting for a digest are never pruned.
CREATE INDEX notification_mails_settled ON notification_mails ((COALESCE(sent_at, abandoned_at)), id)
    WHERE sent_at IS NOT NULL OR abandoned_at IS NOT NULL;
CREATE INDEX notification_deliveries_withheld ON notification_deliveries (withheld_at) WHERE withheld_at IS NOT NULL;

-- +goose Down
DROP INDEX notification_deliveries_withheld;
DROP INDEX notification_mails_settled;
