-- +goose Up
-- How far the outbox has been pruned: events with an id up to pruned_through
-- are gone, so a subscription resuming from an older cursor must refetch.
CREATE TABLE events_pruned (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    pruned_through bigint NOT NULL DEFAULT 0,
    pruned_at      timestamptz
);
INSERT INTO events_pruned DEFAULT VALUES;
CREATE INDEX events_created_at ON events (created_at);

-- +goose Down
DROP INDEX events_created_at;
DROP TABLE events_pruned;
