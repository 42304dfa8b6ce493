-- +goose Up
-- Which structure kinds a link of each kind may join: configuration, read by
-- linkStructures (and listed by the structureLinkRules query). "*" stands for
-- any kind. An MSP or an ESP is part of a CPTS, a PTA of the DAC that
-- absorbed it; an ESS adheres to the DAC; anyone works with a coordination
-- structure, a health structure or a hospital.
CREATE TABLE structure_link_rules (
    kind      text NOT NULL CHECK (kind IN ('PART_OF', 'ADHERES_TO', 'WORKS_WITH')),
    from_kind text NOT NULL CHECK (from_kind ~ '^([A-Z]+|\*)$'),
    to_kind   text NOT NULL CHECK (to_kind ~ '^([A-Z]+|\*)$'),
    PRIMARY KEY (kind, from_kind, to_kind)
);
INSERT INTO structure_link_rules (kind, from_kind, to_kind) VALUES
    ('PART_OF',    'MSP', 'CPTS'),
    ('PART_OF',    'ESP', 'CPTS'),
    ('PART_OF',    'PTA', 'DAC'),
    ('ADHERES_TO', 'ESS', 'DAC'),
    ('WORKS_WITH', '*',   'DAC'),
    ('WORKS_WITH', '*',   'PTA'),
    ('WORKS_WITH', '*',   'CPTS'),
    ('WORKS_WITH', '*',   'ESS'),
    ('WORKS_WITH', '*',   'MSP'),
    ('WORKS_WITH', '*',   'ESP'),
    ('WORKS_WITH', '*',   'HOSPITAL');

-- +goose Down
DROP TABLE structure_link_rules;
