-- +goose Up
-- Who recorded a patient, each a "recorder" of the patient (the relation
-- that lets them read and write the record). Today the creator only: knowing
-- a patient's INS and identity gives no access by itself.
CREATE TABLE patient_recorders (
    patient_id  text NOT NULL REFERENCES patients (id),
    account_id  text NOT NULL REFERENCES accounts (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (patient_id, account_id)
);
CREATE INDEX patient_recorders_account ON patient_recorders (account_id);
INSERT INTO patient_recorders (patient_id, account_id, recorded_at)
    SELECT id, created_by, created_at FROM patients;

-- Whoever creates a patient row is its first recorder, by every path.
-- +goose StatementBegin
CREATE FUNCTION patients_first_recorder() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO patient_recorders (patient_id, account_id, recorded_at) VALUES (NEW.id, NEW.created_by, NEW.created_at);
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER patients_first_recorder AFTER INSERT ON patients
    FOR EACH ROW EXECUTE FUNCTION patients_first_recorder();

-- +goose Down
DROP TRIGGER patients_first_recorder ON patients;
DROP FUNCTION patients_first_recorder();
DROP TABLE patient_recorders;
