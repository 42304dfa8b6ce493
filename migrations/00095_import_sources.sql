-- +goose Up
-- What the national-extract imports own. A membership the RPPS import made
-- from an activity line has source 'rpps'; an MSSanté address the MSSanté
-- import registered is imported. An import ends or releases only what it
-- owns: a membership or an address entered by hand (source NULL, imported
-- false) is never touched by it. A hand-entered address the extract confirms
-- becomes the import's (it leaves with the extract). The register's
-- triggers write imported = false; the import sets it after them.
ALTER TABLE memberships ADD COLUMN source text CHECK (source IN ('rpps'));
CREATE INDEX memberships_imported ON memberships (professional_id, structure_id) WHERE ended_at IS NULL AND source IS NOT NULL;
ALTER TABLE mssante_addresses ADD COLUMN imported boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE mssante_addresses DROP COLUMN imported;
DROP INDEX memberships_imported;
ALTER TABLE memberships DROP COLUMN source;
