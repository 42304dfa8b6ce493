-- +goose Up
-- An account is who logs in: a professional (by RPPS) or a staff account.
CREATE TABLE accounts (
    id              text PRIMARY KEY DEFAULT new_id('acc'),
    login           text NOT NULL UNIQUE,
    display_name    text NOT NULL,
    professional_id text UNIQUE REFERENCES professionals (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz
);

-- Roles held by an account on a domain (a territory path, or a structure's
-- domain: territory path + '/@' + structure id). A grant holds below its domain.
CREATE TABLE role_grants (
    id         text PRIMARY KEY DEFAULT new_id('grt'),
    account_id text NOT NULL REFERENCES accounts (id),
    role       text NOT NULL,
    domain     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE UNIQUE INDEX role_grants_active ON role_grants (account_id, role, domain) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE role_grants;
DROP TABLE accounts;
