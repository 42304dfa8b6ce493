-- +goose Up
-- Which professionals the RPPS import owns: 'rpps' for one it created or
-- found in its file (within -department), NULL for one entered by hand (or
-- by the demo seed) that no import has listed. The import archives only
-- the professionals it owns that leave its file: one entered by hand, say
-- practising across the region's border, is never archived by a regional
-- import. The professionals earlier imports touched are the import's.
ALTER TABLE professionals ADD COLUMN source text CHECK (source IN ('rpps'));
UPDATE professionals p SET source = 'rpps' WHERE EXISTS (SELECT 1 FROM audit_log a
    WHERE a.object_kind = 'directory' AND a.object_id = p.id AND a.role = 'system:import_rpps');

-- +goose Down
ALTER TABLE professionals DROP COLUMN source;
