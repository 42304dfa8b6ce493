// A nurse starts an ESCAP for a patient of the seeded demo, the team grows
// until it can be activated, the CPTS dashboard counts it, and a GP outside
// the team sees none of it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startHub, gql } from '../hub.mjs';

const NURSE = '10003456783';    // Sophie Durand, MSP Bois-Guillaume
const PHYSIO = '10003456784';   // Julien Moreau
const PHARMACIST = '10003456785';
const GP = '10003456786';       // Dr Nicolas Roux, médecin traitant
const OUTSIDER = '10003456782'; // Dr Thomas Martin, not in the team
const COORDINATOR = '10003456781'; // CPTS Rouen Nord coordinator

let hub;
before(async () => {
  hub = await startHub();
  // The story counts one team at a time: with the small-count threshold at 1
  // nothing is suppressed (the Go tests check the suppression).
  execFileSync('psql', [hub.databaseURL, '-qc', 'UPDATE disclosure_settings SET small_count = 1']);
});
after(async () => { await hub?.stop(); });

async function call(login, query, variables) {
  const { body } = await gql(hub, query, { variables, token: hub.token(login) });
  return body;
}

async function ok(login, query, variables) {
  const body = await call(login, query, variables);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

const grid = (met) => Array.from({ length: 26 }, (_, i) => ({ item: i + 1, met: i < met }));

test('an ESCAP from eligibility to activation, counted but not shown to others', async () => {
  const pro = async (rpps) => (await ok(NURSE, 'query($r: String) { professional(rpps: $r) { id } }', { r: rpps })).professional.id;
  const territory = (await ok(COORDINATOR, '{ territories(filter: { search: "Rouen Nord" }) { edges { node { id } } } }'))
    .territories.edges[0].node.id;
  const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' }).format(new Date());
  const [y, m] = month.split('-').map(Number);
  const from = `${y}-${String(m).padStart(2, '0')}-01`;
  const to = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  const stats = `query($t: ID!, $from: String!, $to: String!) { escapStats(territoryId: $t, from: $from, to: $to) {
    entries { situation count } activeTeams { count } } }`;
  const active = async () => (await ok(COORDINATOR, stats, { t: territory, from, to })).escapStats.activeTeams.reduce((n, c) => n + c.count, 0);
  const before = await active();

  const { createPatient } = await ok(NURSE, `mutation($gp: ID) { createPatient(input: { familyName: "Vasseur", givenNames: "Paulette",
    birthDate: "1944-09-09", sex: F, gpId: $gp }) { id } }`, { gp: await pro(GP) });
  const patientId = createPatient.id;
  const assessment = { patientId, situation: 'CHRONIC_POLYPATHOLOGY', grid: grid(12) };
  const check = 'query($a: ESCAPAssessmentInput!) { checkESCAPEligibility(input: $a) { eligible reasons { code } } }';
  assert.deepEqual((await ok(NURSE, check, { a: assessment })).checkESCAPEligibility,
    { eligible: false, reasons: [{ code: 'GRID_SCORE_TOO_LOW' }] });
  assessment.grid = grid(13);
  assert.equal((await ok(NURSE, check, { a: assessment })).checkESCAPEligibility.eligible, true);

  const consentId = (await ok(NURSE, 'mutation($p: ID!) { recordESCAPConsent(input: { patientId: $p, method: WRITTEN }) { id } }',
    { p: patientId })).recordESCAPConsent.id;
  const escap = (await ok(NURSE, 'mutation($in: CreateESCAPInput!) { createESCAP(input: $in) { id status } }',
    { in: { assessment, consentId, territoryId: territory, initiatorRole: 'NURSE' } })).createESCAP;
  assert.equal(escap.status, 'FORMING');

  const add = 'mutation($e: ID!, $p: ID!, $r: String!) { addESCAPMember(input: { escapId: $e, professionalId: $p, role: $r }) { id } }';
  const activate = 'mutation($id: ID!) { activateESCAP(id: $id) { status } }';
  await ok(NURSE, add, { e: escap.id, p: await pro(PHYSIO), r: 'PHYSIOTHERAPIST' });
  assert.equal((await call(NURSE, activate, { id: escap.id })).errors[0].extensions.code, 'CONFLICT');
  await ok(NURSE, add, { e: escap.id, p: await pro(PHARMACIST), r: 'PHARMACIST' });
  assert.equal((await call(NURSE, activate, { id: escap.id })).errors[0].extensions.code, 'CONFLICT');
  await ok(NURSE, add, { e: escap.id, p: await pro(GP), r: 'GP' });
  assert.equal((await ok(GP, activate, { id: escap.id })).activateESCAP.status, 'ACTIVE');
  assert.equal(await active(), before + 1);

  await ok(PHYSIO, 'mutation($e: ID!) { addESCAPEntry(input: { escapId: $e, kind: NOTE, body: "Bilan fait" }) { id } }', { e: escap.id });
  const seen = await ok(PHARMACIST, 'query($id: ID!) { escap(id: $id) { members { mssante } timeline { edges { node { body } } } } }', { id: escap.id });
  assert.equal(seen.escap.members.length, 4);
  assert.ok(seen.escap.members.every((m) => m.mssante.endsWith('.mssante.fr')));
  assert.deepEqual(seen.escap.timeline.edges.map((e) => e.node.body), ['Bilan fait']);

  for (const who of [OUTSIDER, COORDINATOR]) {
    const d = await ok(who, 'query($e: ID!, $p: ID!) { escap(id: $e) { id } node(id: $e) { id } patient(id: $p) { id } }', { e: escap.id, p: patientId });
    assert.deepEqual(d, { escap: null, node: null, patient: null }, who);
  }
  const write = await call(OUTSIDER, 'mutation($e: ID!) { addESCAPEntry(input: { escapId: $e, kind: NOTE, body: "x" }) { id } }', { e: escap.id });
  assert.equal(write.errors[0].extensions.code, 'NOT_FOUND');
});
