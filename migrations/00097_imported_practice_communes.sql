-- +goose Up
-- The RPPS import keeps the practice communes of each professional's
-- activity addresses (imported); those a professional or a directory
-- writer set (setPracticeCommunes) are not the import's and stay.
ALTER TABLE professional_practice_communes ADD COLUMN imported boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE professional_practice_communes DROP COLUMN imported;
