-- +goose Up
-- The rules' configuration is an object kind: everyone reads the ESCAP rules
-- (situations, grids, thresholds, the experiment's window); only a national
-- administrator changes them, through updateESCAPRules, which validates.
INSERT INTO authz_kinds (name, patient_level, description) VALUES
    ('settings', false, 'The rules'' configuration: ESCAP situations, grids, thresholds, experiment window');
INSERT INTO authz_policies (subject, object, action) VALUES
    ('public',         'settings', 'read'),
    ('national_admin', 'settings', 'write');

-- +goose Down
DELETE FROM authz_policies WHERE object = 'settings';
DELETE FROM authz_kinds WHERE name = 'settings';
