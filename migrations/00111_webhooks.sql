-- +goose Up
-- An HTTPS endpoint an account's software registered for the events of some
-- topics. The secret signs the deliveries (the hub needs it in clear to sign;
-- it is shown to the account once, at registration). Deleted webhooks are
-- kept (deleted_at) with their delivery log.
CREATE TABLE webhooks (
    id          text PRIMARY KEY DEFAULT new_id('whk'),
    account_id  text NOT NULL REFERENCES accounts (id),
    url         text NOT NULL,
    topics      text[] NOT NULL CHECK (cardinality(topics) > 0),
    description text NOT NULL DEFAULT '',
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX webhooks_account ON webhooks (account_id) WHERE deleted_at IS NULL;
CREATE INDEX webhooks_topics ON webhooks USING gin (topics) WHERE deleted_at IS NULL;

-- One delivery of one event to one webhook: the key makes it once whatever
-- the number of instances. pending rows are due at next_attempt_at; an
-- instance claims one by moving next_attempt_at past its attempt (a lease).
CREATE TABLE webhook_deliveries (
    webhook_id      text NOT NULL REFERENCES webhooks (id),
    event_id        bigint NOT NULL,
    topic           text NOT NULL,
    type            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'withheld')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    status_code     int,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, event_id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, updated_at DESC);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
