-- +goose Up
-- A follower of the outbox (the webhook fan-out, the mail notifier…) keeps
-- here how far it has handled the events, updated in the transaction that
-- handles them; its row lock is what lets one instance at a time advance it.
CREATE TABLE outbox_followers (
    name       text PRIMARY KEY,
    position   bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE outbox_followers;
