-- +goose Up
-- referrals.triaged_at and answered_at (00085) follow the history also when
-- a history row's time is corrected or a row removed (imports, fixtures that
-- set the past): each change recomputes the first TRIAGE and ANSWER of its
-- request from the history.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION referral_history_milestones() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ref text := CASE WHEN TG_OP = 'DELETE' THEN OLD.referral_id ELSE NEW.referral_id END;
BEGIN
    UPDATE referrals SET
        triaged_at = (SELECT min(h.created_at) FROM referral_history h WHERE h.referral_id = ref AND h.action = 'TRIAGE'),
        answered_at = (SELECT min(h.created_at) FROM referral_history h WHERE h.referral_id = ref AND h.action = 'ANSWER')
    WHERE id = ref;
    RETURN NULL;
END $$;
-- +goose StatementEnd
DROP TRIGGER referral_history_milestones ON referral_history;
CREATE TRIGGER referral_history_milestones AFTER INSERT ON referral_history
    FOR EACH ROW WHEN (NEW.action IN ('TRIAGE', 'ANSWER')) EXECUTE FUNCTION referral_history_milestones();
CREATE TRIGGER referral_history_milestones_changed AFTER UPDATE OF created_at, action, referral_id OR DELETE ON referral_history
    FOR EACH ROW EXECUTE FUNCTION referral_history_milestones();

-- +goose Down
DROP TRIGGER referral_history_milestones_changed ON referral_history;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION referral_history_milestones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.action = 'TRIAGE' THEN
        UPDATE referrals SET triaged_at = NEW.created_at WHERE id = NEW.referral_id AND (triaged_at IS NULL OR triaged_at > NEW.created_at);
    ELSIF NEW.action = 'ANSWER' THEN
        UPDATE referrals SET answered_at = NEW.created_at WHERE id = NEW.referral_id AND (answered_at IS NULL OR answered_at > NEW.created_at);
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
