-- +goose Up
-- The ESS a referral event's request is addressed to, as a column: an ESS's
-- live queue selects its events in SQL, not by matching the JSON payload.
ALTER TABLE events ADD COLUMN ess_id text;
UPDATE events SET ess_id = payload->>'essId' WHERE starts_with(topic, 'referral:') AND payload ? 'essId';
CREATE INDEX events_ess ON events (ess_id, id) WHERE ess_id IS NOT NULL;

-- +goose Down
DROP INDEX events_ess;
ALTER TABLE events DROP COLUMN ess_id;
