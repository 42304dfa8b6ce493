-- +goose Up
-- A page of the current memberships of a structure or a professional, in
-- the order they started, is one index range (Structure.members and
-- Professional.memberships are connections).
CREATE INDEX memberships_structure_page ON memberships (structure_id, started_at, id) WHERE ended_at IS NULL;
CREATE INDEX memberships_professional_page ON memberships (professional_id, started_at, id) WHERE ended_at IS NULL;

-- +goose Down
DROP INDEX memberships_professional_page;
DROP INDEX memberships_structure_page;
