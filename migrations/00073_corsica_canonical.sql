-- +goose Up
-- Corsica's INSEE department codes have one form everywhere: "2A" and "2B",
-- as INSEE, FINESS and the INS write them (createTerritory now stores them
-- so). Rows written in lower case before are normalised: territory codes
-- and paths, the domains of role grants and of retained events, FINESS
-- numbers and commune codes. The audit trail is append-only and keeps the
-- domains as they were written.
UPDATE territories SET code = upper(code) WHERE code IN ('2a', '2b');
UPDATE territories SET path = regexp_replace(regexp_replace(path, '(^|/)2a(/|$)', '\12A\2', 'g'), '(^|/)2b(/|$)', '\12B\2', 'g')
    WHERE path ~ '(^|/)2[ab](/|$)';
UPDATE role_grants SET domain = regexp_replace(regexp_replace(domain, '(^|/)2a(/|$)', '\12A\2', 'g'), '(^|/)2b(/|$)', '\12B\2', 'g')
    WHERE domain ~ '(^|/)2[ab](/|$)';
UPDATE events SET domain = regexp_replace(regexp_replace(domain, '(^|/)2a(/|$)', '\12A\2', 'g'), '(^|/)2b(/|$)', '\12B\2', 'g')
    WHERE domain ~ '(^|/)2[ab](/|$)';
UPDATE structures SET finess = upper(finess) WHERE finess ~ '^2[ab]';
UPDATE structures SET commune = upper(commune) WHERE commune ~ '^2[ab]';

-- +goose Down
SELECT 1;
