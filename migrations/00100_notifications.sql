-- +goose Up
-- Mail notifications (notify/): what each event means to a person, made
-- once per event, recipient and channel, and the mails that carry them
-- through the SMTP relay, retried until sent.

-- How a professional wants to hear of the events that concern them; no row:
-- the default of their recipient role (notify.Config).
CREATE TABLE notification_preferences (
    professional_id text PRIMARY KEY REFERENCES professionals (id),
    mode            text NOT NULL CHECK (mode IN ('IMMEDIATE', 'DIGEST', 'OFF')),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- A mail to send: one per immediate delivery, one per recipient and day for
-- a digest. A sender takes due mails with a lease (lease_until), so another
-- instance takes them over only if it stopped mid-send; a failure sets the
-- next attempt further away.
CREATE TABLE notification_mails (
    id              bigserial PRIMARY KEY,
    recipient       text NOT NULL,
    address         text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    digest_day      date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    sent_at         timestamptz,
    last_error      text,
    UNIQUE (recipient, digest_day)
);
CREATE INDEX notification_mails_due ON notification_mails (next_attempt_at) WHERE sent_at IS NULL;

-- What one event means to one recipient on one channel: made once (the
-- key), in the transaction that moves the notifier past the event. An
-- immediate delivery has its mail at once; a digest one waits (mail_id
-- NULL) for the day's digest. Events are pruned from the outbox, so
-- event_id references nothing.
CREATE TABLE notification_deliveries (
    event_id   bigint NOT NULL,
    recipient  text NOT NULL,
    channel    text NOT NULL CHECK (channel IN ('MAIL')),
    mode       text NOT NULL CHECK (mode IN ('IMMEDIATE', 'DIGEST')),
    address    text NOT NULL,
    summary    text NOT NULL,
    link       text NOT NULL,
    mail_id    bigint REFERENCES notification_mails (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, recipient, channel)
);
CREATE INDEX notification_deliveries_digest ON notification_deliveries (recipient, created_at)
    WHERE mode = 'DIGEST' AND mail_id IS NULL;
CREATE INDEX notification_deliveries_mail ON notification_deliveries (mail_id);

-- The days whose digest has been made (once, whatever the instances).
CREATE TABLE notification_digest_days (
    day     date PRIMARY KEY,
    made_at timestamptz NOT NULL DEFAULT now()
);

-- The terms a team's members have been told of (ESCAP_TERM_NEAR), once per
-- team and end of term.
CREATE TABLE escap_term_notices (
    escap_id   text NOT NULL REFERENCES escaps (id),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (escap_id, expires_at)
);

-- +goose Down
DROP TABLE escap_term_notices;
DROP TABLE notification_digest_days;
DROP TABLE notification_deliveries;
DROP TABLE notification_mails;
DROP TABLE notification_preferences;
