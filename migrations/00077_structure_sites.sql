-- +goose Up
-- The sites of a multi-site structure (an MSP or an ESS on several sites),
-- each with its commune; structures.commune stays the main site's.
CREATE TABLE structure_sites (
    id           text PRIMARY KEY DEFAULT new_id('sit'),
    structure_id text NOT NULL REFERENCES structures (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    commune      text NOT NULL CHECK (commune ~ '^([0-9]{2}|2A|2B)[0-9]{3}$'),
    position     int NOT NULL,
    UNIQUE (structure_id, position)
);
CREATE INDEX structure_sites_commune ON structure_sites (commune);

-- +goose Down
DROP TABLE structure_sites;
