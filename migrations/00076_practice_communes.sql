-- +goose Up
-- Where a professional practises (the communes of their RPPS activity
-- addresses): a community professional outside any structure starts an
-- ESCAP in the department they practise in. A team may also be placed by the
-- commune where its patient lives (escaps.patient_commune).
CREATE TABLE professional_practice_communes (
    professional_id text NOT NULL REFERENCES professionals (id),
    commune         text NOT NULL CHECK (commune ~ '^([0-9]{2}|2A|2B)[0-9]{3}$'),
    PRIMARY KEY (professional_id, commune)
);
ALTER TABLE escaps ADD COLUMN patient_commune text CHECK (patient_commune ~ '^([0-9]{2}|2A|2B)[0-9]{3}$');

-- +goose Down
ALTER TABLE escaps DROP COLUMN patient_commune;
DROP TABLE professional_practice_communes;
