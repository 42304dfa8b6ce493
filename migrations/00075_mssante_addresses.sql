-- +goose Up
-- MSSanté addresses are nominative (one professional) or organisational (a
-- structure's service), as the national MSSanté directory lists them. Each
-- address has one holder: two professionals cannot share a nominative
-- address, nor a professional and a structure one address. The register
-- follows professionals.mssante and structures.mssante through triggers, so
-- every write path is held to it; addresses compare without case.
CREATE TABLE mssante_addresses (
    address         text PRIMARY KEY CHECK (address = lower(address)),
    kind            text NOT NULL CHECK (kind IN ('NOMINATIVE', 'ORGANISATIONAL')),
    professional_id text UNIQUE REFERENCES professionals (id),
    structure_id    text UNIQUE REFERENCES structures (id),
    CHECK ((kind = 'NOMINATIVE') = (professional_id IS NOT NULL)),
    CHECK ((professional_id IS NULL) <> (structure_id IS NULL))
);

-- Existing addresses, first holder first; later duplicates stay unregistered
-- until their holder's address is written again.
INSERT INTO mssante_addresses (address, kind, professional_id)
SELECT DISTINCT ON (lower(mssante)) lower(mssante), 'NOMINATIVE', id FROM professionals
WHERE mssante IS NOT NULL ORDER BY lower(mssante), created_at, id;
INSERT INTO mssante_addresses (address, kind, structure_id)
SELECT DISTINCT ON (lower(mssante)) lower(mssante), 'ORGANISATIONAL', id FROM structures
WHERE mssante IS NOT NULL ORDER BY lower(mssante), created_at, id
ON CONFLICT (address) DO NOTHING;

-- +goose StatementBegin
CREATE FUNCTION mssante_register() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.mssante IS NOT DISTINCT FROM OLD.mssante THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'professionals' THEN
        DELETE FROM mssante_addresses WHERE professional_id = NEW.id;
        IF NEW.mssante IS NOT NULL THEN
            INSERT INTO mssante_addresses (address, kind, professional_id) VALUES (lower(NEW.mssante), 'NOMINATIVE', NEW.id);
        END IF;
    ELSE
        DELETE FROM mssante_addresses WHERE structure_id = NEW.id;
        IF NEW.mssante IS NOT NULL THEN
            INSERT INTO mssante_addresses (address, kind, structure_id) VALUES (lower(NEW.mssante), 'ORGANISATIONAL', NEW.id);
        END IF;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER professionals_mssante AFTER INSERT OR UPDATE OF mssante ON professionals
    FOR EACH ROW EXECUTE FUNCTION mssante_register();
CREATE TRIGGER structures_mssante AFTER INSERT OR UPDATE OF mssante ON structures
    FOR EACH ROW EXECUTE FUNCTION mssante_register();

-- +goose Down
DROP TRIGGER structures_mssante ON structures;
DROP TRIGGER professionals_mssante ON professionals;
DROP FUNCTION mssante_register();
DROP TABLE mssante_addresses;
