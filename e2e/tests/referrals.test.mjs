// A GP submits a referral to the seeded dermatology ESS (twice with one
// client key: one request), its secretariat triages it from the queue, and an
// unrelated professional sees none of it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, gql } from '../hub.mjs';

const GP = '10003456782'; // Dr Thomas Martin, médecin traitant of Michel Leroy
const SECRETARIAT = '10003456789';
const UNRELATED = '10003456784';

let hub;
before(async () => { hub = await startHub(); });
after(async () => { await hub?.stop(); });

async function ok(query, variables, login) {
  const { body } = await gql(hub, query, { variables, token: hub.token(login) });
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

test('submit twice, triage once, nobody else sees it', async () => {
  const { structures } = await ok('{ structures(filter: { kinds: [ESS], search: "Dermatologie" }) { edges { node { id } } } }', {}, GP);
  const essId = structures.edges[0].node.id;
  const { patients } = await ok('{ patients(filter: { search: "Leroy" }) { edges { node { id } } } }', {}, GP);
  const input = {
    clientKey: 'e2e-1', essId, patientId: patients.edges[0].node.id, requesterKind: 'TREATING_GP',
    reason: 'eczéma des mains', urgency: 'PRIORITY', modality: 'TELEEXPERTISE',
    attachments: [{ reference: 'dmp://doc/42', mediaType: 'application/pdf', size: 1024 }],
  };
  const submit = 'mutation($input: SubmitReferralInput!) { submitReferral(input: $input) { id state } }';
  const first = await ok(submit, { input }, GP);
  const again = await ok(submit, { input }, GP);
  assert.equal(again.submitReferral.id, first.submitReferral.id);
  const id = first.submitReferral.id;

  const queue = await ok(`query($essId: ID!) { referralQueue(essId: $essId, filter: { states: [SUBMITTED] }) {
    edges { node { id urgency patient { familyName } } } } }`, { essId }, SECRETARIAT);
  assert.ok(queue.referralQueue.edges.some((e) => e.node.id === id && e.node.patient.familyName === 'Leroy'));

  const triaged = await ok('mutation($id: ID!) { transitionReferral(input: { id: $id, action: TRIAGE }) { state history { action authorRole } } }', { id }, SECRETARIAT);
  assert.equal(triaged.transitionReferral.state, 'TRIAGED');
  assert.deepEqual(triaged.transitionReferral.history.map((h) => h.action), ['SUBMIT', 'TRIAGE']);

  const again2 = await gql(hub, 'mutation($id: ID!) { transitionReferral(input: { id: $id, action: TRIAGE }) { state } }', { variables: { id }, token: hub.token(SECRETARIAT) });
  assert.equal(again2.body.errors[0].extensions.code, 'CONFLICT');

  const seen = await ok('query($id: ID!) { referral(id: $id) { id } node(id: $id) { id } }', { id }, UNRELATED);
  assert.deepEqual(seen, { referral: null, node: null });
  const q = await gql(hub, 'query($essId: ID!) { referralQueue(essId: $essId) { edges { node { id } } } }', { variables: { essId }, token: hub.token(UNRELATED) });
  assert.equal(q.body.errors[0].extensions.code, 'FORBIDDEN');
});
