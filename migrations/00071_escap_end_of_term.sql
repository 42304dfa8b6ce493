-- +goose Up
-- A team that reaches the end of its term unrenewed closes with the exit
-- reason END_OF_TERM (the expiry job, postgres.ESCAPService.ExpireESCAPs),
-- so the evaluations' exits count it.
ALTER TABLE escaps DROP CONSTRAINT escaps_exit_reason_check;
ALTER TABLE escaps ADD CONSTRAINT escaps_exit_reason_check
    CHECK (exit_reason IN ('RECOVERY', 'HOSPITALISATION', 'MOVED', 'DECEASED', 'CONSENT_WITHDRAWN', 'OTHER', 'END_OF_TERM'));
-- What the job looks for.
CREATE INDEX escaps_active_expiry ON escaps (expires_at) WHERE status = 'ACTIVE';

-- +goose Down
DROP INDEX escaps_active_expiry;
UPDATE escaps SET exit_reason = 'OTHER' WHERE exit_reason = 'END_OF_TERM';
ALTER TABLE escaps DROP CONSTRAINT escaps_exit_reason_check;
ALTER TABLE escaps ADD CONSTRAINT escaps_exit_reason_check
    CHECK (exit_reason IN ('RECOVERY', 'HOSPITALISATION', 'MOVED', 'DECEASED', 'CONSENT_WITHDRAWN', 'OTHER'));
