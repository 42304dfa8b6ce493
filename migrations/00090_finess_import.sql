-- +goose Up
-- Where a structure comes from: NULL for a structure entered through the API,
-- 'FINESS' for one loaded by "maillage import finess". Only the latter are
-- updated and archived by the import; a structure entered by hand is never
-- touched by it, even if it carries a FINESS number of the file.
ALTER TABLE structures ADD COLUMN source text CHECK (source IN ('FINESS'));
CREATE INDEX structures_source ON structures (source) WHERE source IS NOT NULL;

-- Which FINESS establishment categories (categetab, nomenclature TRE_R66 of
-- the ANS) the import loads, and as which structure kind: configuration, read
-- by each import. A category not listed is skipped (counted, not rejected).
-- An operator may add, change or delete rows; kind must be one of the hub's
-- structure kinds (the import refuses to start otherwise).
CREATE TABLE finess_categories (
    code  text PRIMARY KEY CHECK (code ~ '^[0-9]{3}$'),
    kind  text NOT NULL CHECK (kind ~ '^[A-Z]+$'),
    label text NOT NULL
);
INSERT INTO finess_categories (code, kind, label) VALUES
    ('101', 'HOSPITAL', 'Centre hospitalier régional (CHR)'),
    ('106', 'HOSPITAL', 'Centre hospitalier (ex Hôpital local)'),
    ('114', 'HOSPITAL', 'Hôpital des armées'),
    ('292', 'HOSPITAL', 'Centre hospitalier spécialisé de lutte contre les maladies mentales'),
    ('355', 'HOSPITAL', 'Centre hospitalier (CH)'),
    ('186', 'ITEP',     'Institut thérapeutique éducatif et pédagogique (ITEP)'),
    ('190', 'CAMSP',    'Centre action médico-sociale précoce (CAMSP)'),
    ('209', 'SPASAD',   'Service autonomie aide et soins (SAAS, ex-SPASAD)'),
    ('255', 'MAS',      'Maison d''accueil spécialisée (MAS)'),
    ('340', 'MJPM',     'Service mandataire judiciaire à la protection des majeurs'),
    ('354', 'SSIAD',    'Service de soins infirmiers à domicile (SSIAD)'),
    ('437', 'FAM',      'Foyer d''accueil médicalisé pour adultes handicapés (FAM)'),
    ('448', 'FAM',      'Etablissement d''accueil médicalisé en tout ou partie personnes handicapées (EAM, ex-FAM)'),
    ('460', 'SAAD',     'Service autonomie aide (SAA, ex-SAAD)'),
    ('463', 'CLIC',     'Centre local d''information et de coordination de personnes âgées (CLIC)'),
    ('500', 'EHPAD',    'Etablissement d''hébergement pour personnes âgées dépendantes (EHPAD)'),
    ('603', 'MSP',      'Maison de santé (L6223-3)'),
    ('604', 'CPTS',     'Communauté professionnelle territoriale de santé (CPTS)'),
    ('606', 'DAC',      'Dispositif d''appui à la coordination (DAC)');
-- Not listed: 647 "Equipe de soins spécialisés": an ESS needs its specialties,
-- which FINESS does not give (ValidateESSSpecialties); ESS are entered by hand.

-- +goose Down
DROP TABLE finess_categories;
DROP INDEX structures_source;
ALTER TABLE structures DROP COLUMN source;
