-- +goose Up
-- How long, after a request is answered, the ESS staff who handled it keep
-- seeing its patient (rel:referral_ess_staff, postgres/referral.go). One
-- row; change it with
--   UPDATE referral_settings SET handled_access = '60 days';
-- The default and why: README, "An ESS's access follows the request".
CREATE TABLE referral_settings (
    one            boolean PRIMARY KEY DEFAULT true CHECK (one),
    handled_access interval NOT NULL DEFAULT '30 days' CHECK (handled_access >= '0'::interval)
);
INSERT INTO referral_settings DEFAULT VALUES;

-- "Who handled it" is read from the history by request and author.
CREATE INDEX referral_history_author ON referral_history (referral_id, author_id);

-- +goose Down
DROP INDEX referral_history_author;
DROP TABLE referral_settings;
