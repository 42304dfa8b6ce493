-- +goose Up
-- The dashboards' figures read, for every request in a range, when it was
-- first triaged and first answered. Looking that up in the history for each
-- request made a region's twelve months take seconds; the two instants are
-- kept on the request instead, set by a trigger on the history (whatever
-- writes it: transitions, seeds, imports), and a covering index lets the
-- figures read the requests of an ESS and a range without the table.
ALTER TABLE referrals ADD COLUMN triaged_at timestamptz, ADD COLUMN answered_at timestamptz;
UPDATE referrals r SET
    triaged_at = (SELECT min(h.created_at) FROM referral_history h WHERE h.referral_id = r.id AND h.action = 'TRIAGE'),
    answered_at = (SELECT min(h.created_at) FROM referral_history h WHERE h.referral_id = r.id AND h.action = 'ANSWER');

-- +goose StatementBegin
CREATE FUNCTION referral_history_milestones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.action = 'TRIAGE' THEN
        UPDATE referrals SET triaged_at = NEW.created_at WHERE id = NEW.referral_id AND (triaged_at IS NULL OR triaged_at > NEW.created_at);
    ELSIF NEW.action = 'ANSWER' THEN
        UPDATE referrals SET answered_at = NEW.created_at WHERE id = NEW.referral_id AND (answered_at IS NULL OR answered_at > NEW.created_at);
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER referral_history_milestones AFTER INSERT ON referral_history
    FOR EACH ROW WHEN (NEW.action IN ('TRIAGE', 'ANSWER')) EXECUTE FUNCTION referral_history_milestones();

CREATE INDEX referrals_stats ON referrals (ess_id, submitted_at) INCLUDE (state, requester_kind, modality, triaged_at, answered_at);
-- The requests waiting now, for the queue's age.
CREATE INDEX referrals_waiting ON referrals (ess_id, submitted_at) WHERE state IN ('SUBMITTED', 'TRIAGED', 'ASSIGNED', 'SCHEDULED');

-- +goose Down
DROP INDEX referrals_waiting;
DROP INDEX referrals_stats;
DROP TRIGGER referral_history_milestones ON referral_history;
DROP FUNCTION referral_history_milestones();
ALTER TABLE referrals DROP COLUMN triaged_at, DROP COLUMN answered_at;
