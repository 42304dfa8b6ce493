-- The national activity the dashboards read, generated once on top of the
-- national directory ("maillage seed -national"): $1 patients, $2 referral
-- requests spread over the ESSs and the last twelve months (with their
-- triage and answer in the history), $3 ESCAP teams over the local
-- territories and the last two years, four members each from the
-- territory's structures. Deterministic; ids are prefixed "bench".
INSERT INTO patients (id, family_name, given_names, birth_date, sex, created_by)
SELECT 'pat_bench_' || i, 'Banc' || i, 'Patient', date '1935-01-01' + (i % 25000), CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END,
    (SELECT id FROM accounts WHERE login = 'admin')
FROM generate_series(1, $1) i;

CREATE TEMP TABLE bench_ess AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM structures WHERE kind = 'ESS' AND archived_at IS NULL;
CREATE TEMP TABLE bench_gps AS
    SELECT row_number() OVER (ORDER BY a.id) - 1 AS k, a.id AS account_id, a.professional_id
    FROM accounts a JOIN professionals p ON p.id = a.professional_id WHERE p.profession = 'Médecin' LIMIT 2000;
CREATE TEMP TABLE bench_ref AS
    SELECT i, 'ref_bench_' || i AS id, e.id AS ess_id, g.account_id, g.professional_id,
        now() - make_interval(mins => ((i::bigint * 7907) % (365 * 24 * 60))::int) AS submitted_at,
        (ARRAY['SUBMITTED', 'TRIAGED', 'ASSIGNED', 'SCHEDULED', 'ANSWERED', 'ANSWERED', 'ANSWERED', 'ANSWERED', 'CLOSED', 'DECLINED'])[i % 10 + 1] AS state
    FROM generate_series(1, $2) i
    JOIN bench_ess e ON e.k = i % (SELECT count(*) FROM bench_ess)
    JOIN bench_gps g ON g.k = i % (SELECT count(*) FROM bench_gps);
INSERT INTO referrals (id, ess_id, patient_id, requester_id, requested_by, requester_kind, reason, urgency, modality,
        client_key, content_hash, state, submitted_at, updated_at)
SELECT id, ess_id, 'pat_bench_' || (i % $1 + 1), professional_id, account_id,
    (ARRAY['TREATING_GP', 'GP', 'SPECIALIST', 'GERIATRICIAN', 'EHPAD_NURSE'])[i % 5 + 1], 'Avis spécialisé',
    (ARRAY['URGENT', 'PRIORITY', 'ROUTINE', 'ROUTINE'])[i % 4 + 1], (ARRAY['IN_PERSON', 'TELECONSULTATION', 'TELEEXPERTISE'])[i % 3 + 1],
    'bench-' || i, 'bench', state, submitted_at, submitted_at
FROM bench_ref;
INSERT INTO referral_history (referral_id, action, from_state, to_state, author_id, author_role, created_at)
SELECT id, 'SUBMIT', NULL, 'SUBMITTED', account_id, 'REQUESTER', submitted_at FROM bench_ref
UNION ALL
SELECT id, 'TRIAGE', 'SUBMITTED', 'TRIAGED', account_id, 'SECRETARIAT', LEAST(now(), submitted_at + make_interval(mins => (i * 37) % (72 * 60)))
FROM bench_ref WHERE state NOT IN ('SUBMITTED', 'DECLINED')
UNION ALL
SELECT id, 'ANSWER', 'ASSIGNED', 'ANSWERED', account_id, 'ASSIGNED_SPECIALIST', LEAST(now(), submitted_at + make_interval(mins => (i * 53) % (20 * 24 * 60)))
FROM bench_ref WHERE state IN ('ANSWERED', 'CLOSED');

CREATE TEMP TABLE bench_locals AS
    SELECT row_number() OVER (ORDER BY t.id) - 1 AS k, t.id, array_agg(DISTINCT m.professional_id) AS pros
    FROM territories t JOIN structures s ON s.territory_id = t.id JOIN memberships m ON m.structure_id = s.id AND m.ended_at IS NULL
    WHERE t.level = 'LOCAL' GROUP BY t.id HAVING count(DISTINCT m.professional_id) >= 4;
CREATE TEMP TABLE bench_esc AS
    SELECT i, l.id AS territory_id, l.pros,
        CASE WHEN i % 3 = 0 THEN now() - make_interval(days => 200 + (i * 13) % 530) ELSE now() - make_interval(days => (i * 17) % 355) END AS activated_at,
        i % 3 = 0 AS closed
    FROM generate_series(1, $3) i JOIN bench_locals l ON l.k = i % (SELECT count(*) FROM bench_locals);
INSERT INTO escap_consents (id, patient_id, method, given_at, recorded_by)
SELECT 'cns_bench_' || i, 'pat_bench_' || i, 'WRITTEN', activated_at - interval '7 days', pros[1] FROM bench_esc;
INSERT INTO escaps (id, patient_id, consent_id, territory_id, situation, score, grid_size, grid, status, initiator_id,
        created_at, activated_at, expires_at, exited_at, exit_reason)
SELECT 'esc_bench_' || i, 'pat_bench_' || i, 'cns_bench_' || i, territory_id,
    (ARRAY['CHRONIC_POLYPATHOLOGY', 'DIABETES_INSULIN', 'CARDIAC_EVENT', 'STROKE'])[i % 4 + 1], 15, 26, '[]',
    CASE WHEN closed THEN 'CLOSED' ELSE 'ACTIVE' END, pros[1], activated_at - interval '5 days', activated_at, activated_at + interval '1 year',
    CASE WHEN closed THEN activated_at + make_interval(days => 10 + i % 150) END,
    CASE WHEN closed THEN (ARRAY['RECOVERY', 'HOSPITALISATION', 'MOVED', 'DECEASED'])[i % 4 + 1] END
FROM bench_esc;
INSERT INTO escap_members (id, escap_id, professional_id, role, joined_at, added_by, counted)
SELECT 'esm_bench_' || i || '_' || j, 'esc_bench_' || i, pros[1 + (i + j * 7) % array_length(pros, 1)], 'MEMBER', activated_at - interval '5 days', pros[1], true
FROM bench_esc, generate_series(0, 3) j
ON CONFLICT DO NOTHING;

