-- +goose Up
-- The development token issuer's signing key, shared by every instance and by
-- "maillage token". Production verifies tokens of an external OIDC issuer
-- and never reads this table.
CREATE TABLE dev_signing_keys (
    id          text PRIMARY KEY,
    private_pem text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE dev_signing_keys;
