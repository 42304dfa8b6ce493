-- +goose Up
-- within is THE "in or below" test of the hierarchy: a territory path or an
-- authorization domain lies within pattern when it is pattern itself or
-- starts with pattern and a slash. It uses no LIKE, so "_" and "%" (as in
-- structure ids, "str_…") match only themselves. Being a one-expression SQL
-- function it is inlined, and starts_with on a constant prefix uses the
-- text_pattern_ops index on territories.path.
CREATE FUNCTION within(domain text, pattern text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT domain = pattern OR starts_with(domain, pattern || '/') $$;

-- +goose Down
DROP FUNCTION within(text, text);
