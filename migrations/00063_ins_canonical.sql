-- +goose Up
-- An INS is stored in one canonical form, upper-case (Corsica's 2A/2B), so
-- that the unique index patients_ins holds on that form: "…2a…" can no
-- longer sit beside "…2A…". Rows recorded twice under two cases keep the
-- INS on the first recorded; the later ones lose it (their identity is no
-- longer qualified) and are listed in patients_ins_duplicates for the
-- identity-vigilance team to merge or correct.
CREATE TABLE patients_ins_duplicates (
    patient_id      text PRIMARY KEY REFERENCES patients (id),
    ins             text NOT NULL,
    kept_patient_id text NOT NULL REFERENCES patients (id),
    found_at        timestamptz NOT NULL DEFAULT now()
);
WITH ranked AS (
    SELECT id, ins,
           row_number() OVER w AS n,
           first_value(id) OVER w AS kept
      FROM patients WHERE ins IS NOT NULL
    WINDOW w AS (PARTITION BY upper(ins) ORDER BY created_at, id))
INSERT INTO patients_ins_duplicates (patient_id, ins, kept_patient_id)
SELECT id, ins, kept FROM ranked WHERE n > 1;
UPDATE patients SET ins = NULL WHERE id IN (SELECT patient_id FROM patients_ins_duplicates);
UPDATE patients SET ins = upper(ins) WHERE ins <> upper(ins);
ALTER TABLE patients ADD CONSTRAINT patients_ins_canonical CHECK (ins = upper(ins));

-- +goose Down
ALTER TABLE patients DROP CONSTRAINT patients_ins_canonical;
UPDATE patients p SET ins = d.ins FROM patients_ins_duplicates d WHERE d.patient_id = p.id;
DROP TABLE patients_ins_duplicates;
