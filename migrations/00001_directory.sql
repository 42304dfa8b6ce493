-- +goose Up
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- +goose StatementBegin
CREATE FUNCTION search_key(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;
-- +goose StatementEnd

-- Ids are a kind prefix and a random UUID's hex ("str_9f1c..."): stable,
-- unique across kinds (node(id) reads the kind from the prefix), usable as
-- federation keys and Relay global ids as they are.
-- +goose StatementBegin
CREATE FUNCTION new_id(prefix text) RETURNS text LANGUAGE sql VOLATILE
AS $$ SELECT prefix || '_' || replace(gen_random_uuid()::text, '-', '') $$;
-- +goose StatementEnd

CREATE TABLE territories (
    id         text PRIMARY KEY DEFAULT new_id('ter'),
    code       text NOT NULL,
    name       text NOT NULL,
    level      text NOT NULL CHECK (level IN ('NATION', 'REGION', 'DEPARTMENT', 'LOCAL')),
    path       text NOT NULL UNIQUE,
    parent_id  text REFERENCES territories (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (parent_id, code)
);
CREATE INDEX territories_path_prefix ON territories (path text_pattern_ops);
CREATE INDEX territories_parent ON territories (parent_id);

CREATE TABLE structures (
    id           text PRIMARY KEY DEFAULT new_id('str'),
    kind         text NOT NULL,
    name         text NOT NULL,
    territory_id text NOT NULL REFERENCES territories (id),
    finess       text,
    siret        text,
    mssante      text,
    specialties  text[] NOT NULL DEFAULT '{}',
    commune      text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    archived_at  timestamptz
);
CREATE UNIQUE INDEX structures_finess ON structures (finess) WHERE finess IS NOT NULL;
CREATE UNIQUE INDEX structures_siret ON structures (siret) WHERE siret IS NOT NULL;
CREATE INDEX structures_territory ON structures (territory_id);
CREATE INDEX structures_name ON structures (name, id);
CREATE INDEX structures_search ON structures USING gin (search_key(name) gin_trgm_ops);
CREATE INDEX structures_specialties ON structures USING gin (specialties);

CREATE TABLE structure_links (
    id          text PRIMARY KEY DEFAULT new_id('lnk'),
    from_id     text NOT NULL REFERENCES structures (id),
    to_id       text NOT NULL REFERENCES structures (id),
    kind        text NOT NULL CHECK (kind IN ('PART_OF', 'ADHERES_TO', 'WORKS_WITH')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    CHECK (from_id <> to_id)
);
CREATE UNIQUE INDEX structure_links_active ON structure_links (from_id, to_id, kind) WHERE archived_at IS NULL;
CREATE INDEX structure_links_to ON structure_links (to_id);

CREATE TABLE professionals (
    id          text PRIMARY KEY DEFAULT new_id('pro'),
    rpps        text NOT NULL UNIQUE CHECK (rpps ~ '^[0-9]{11}$'),
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    profession  text NOT NULL,
    specialty   text,
    mssante     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz
);
CREATE INDEX professionals_name ON professionals (last_name, first_name, id);
CREATE INDEX professionals_search ON professionals USING gin (search_key(last_name || ' ' || first_name) gin_trgm_ops);

CREATE TABLE memberships (
    id              text PRIMARY KEY DEFAULT new_id('mem'),
    professional_id text NOT NULL REFERENCES professionals (id),
    structure_id    text NOT NULL REFERENCES structures (id),
    role            text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz
);
CREATE UNIQUE INDEX memberships_active ON memberships (professional_id, structure_id, role) WHERE ended_at IS NULL;
CREATE INDEX memberships_structure ON memberships (structure_id);

-- +goose Down
DROP TABLE memberships;
DROP TABLE professionals;
DROP TABLE structure_links;
DROP TABLE structures;
DROP TABLE territories;
DROP FUNCTION search_key(text);
DROP FUNCTION new_id(text);
