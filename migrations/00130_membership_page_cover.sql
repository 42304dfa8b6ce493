-- +goose Up
-- A page of a structure's members, or of a professional's memberships, is
-- read from its index alone: the index carries the role and the other end,
-- so PostgreSQL reads no table row for them (an index-only scan, once
-- vacuum has marked the pages visible) and walks them in page order.
DROP INDEX memberships_structure_page;
CREATE INDEX memberships_structure_page ON memberships (structure_id, started_at, id) INCLUDE (role, professional_id) WHERE ended_at IS NULL;
DROP INDEX memberships_professional_page;
CREATE INDEX memberships_professional_page ON memberships (professional_id, started_at, id) INCLUDE (role, structure_id) WHERE ended_at IS NULL;

-- +goose Down
DROP INDEX memberships_professional_page;
CREATE INDEX memberships_professional_page ON memberships (professional_id, started_at, id) WHERE ended_at IS NULL;
DROP INDEX memberships_structure_page;
CREATE INDEX memberships_structure_page ON memberships (structure_id, started_at, id) WHERE ended_at IS NULL;
