-- +goose Up
-- The ESCAP figures (teams per professional, incentives) join a territory's
-- teams to all their members, past ones included; the only index by team
-- was partial (current members), so the join read every member of the
-- country. An index by team makes it a lookup per team.
CREATE INDEX escap_members_escap ON escap_members (escap_id) INCLUDE (professional_id, joined_at, left_at, counted);

-- +goose Down
DROP INDEX escap_members_escap;
