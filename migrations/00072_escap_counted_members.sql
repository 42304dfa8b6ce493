-- +goose Up
-- Only health professionals count in a team (its minimum, the figures, the
-- incentives): whether a member counts is decided when they join, by the
-- configured health professions (ESCAPConfig.HealthProfessions). Existing
-- members are classified by the default list. The services always set it;
-- the default only serves fixtures that predate it.
ALTER TABLE escap_members ADD COLUMN counted boolean NOT NULL DEFAULT true;
UPDATE escap_members m SET counted = false FROM professionals p
WHERE p.id = m.professional_id AND search_key(p.profession) <> ALL (ARRAY[
    'medecin', 'chirurgien-dentiste', 'sage-femme', 'pharmacien', 'infirmier', 'masseur-kinesitherapeute',
    'pedicure-podologue', 'orthophoniste', 'orthoptiste', 'ergotherapeute', 'psychomotricien', 'dieteticien',
    'audioprothesiste', 'opticien-lunetier', 'manipulateur erm', 'technicien de laboratoire medical',
    'orthoprothesiste', 'podo-orthesiste', 'orthopediste-orthesiste', 'oculariste', 'epithesiste',
    'physicien medical', 'aide-soignant', 'auxiliaire de puericulture', 'ambulancier', 'assistant dentaire',
    'preparateur en pharmacie', 'preparateur en pharmacie hospitaliere']);

-- +goose Down
ALTER TABLE escap_members DROP COLUMN counted;
