-- +goose Up
-- Delivery states named as the GraphQL enum WebhookDeliveryStatus names them.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check;
DROP INDEX webhook_deliveries_due;
UPDATE webhook_deliveries SET status = upper(status);
ALTER TABLE webhook_deliveries ALTER COLUMN status SET DEFAULT 'PENDING',
    ADD CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED', 'WITHHELD'));
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, event_id) WHERE status = 'PENDING';

-- +goose Down
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check;
DROP INDEX webhook_deliveries_due;
UPDATE webhook_deliveries SET status = lower(status);
ALTER TABLE webhook_deliveries ALTER COLUMN status SET DEFAULT 'pending',
    ADD CONSTRAINT webhook_deliveries_status_check CHECK (status IN ('pending', 'delivered', 'failed', 'withheld'));
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, event_id) WHERE status = 'pending';
