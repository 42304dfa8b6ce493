// Several hubs on one PostgreSQL act as one: they start together (migrations
// take turns), accept each other's tokens, and read each other's writes.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, gql, freshDatabaseURL, dropDatabase } from '../hub.mjs';

let a, b;
const databaseURL = freshDatabaseURL();
before(async () => {
  // Both start at once on an empty database: their migrations take turns
  // under the advisory lock; one of them loads the demo data.
  // Both are reached at one public URL (the load balancer's): it is the
  // development tokens' issuer.
  const env = { MAILLAGE_PUBLIC_URL: 'http://maillage.test' };
  [a, b] = await Promise.all([
    startHub({ databaseURL, env }),
    startHub({ databaseURL, env: { ...env, MAILLAGE_NO_SEED: '1' } }),
  ]);
});
after(async () => {
  await a?.stop();
  await b?.stop();
  dropDatabase(databaseURL);
});

test('a token signed through one instance is accepted by the other', async () => {
  const { status, body } = await gql(b, '{ me { login } }', { token: a.token('admin') });
  assert.equal(status, 200);
  assert.equal(body.data.me.login, 'admin');
});

test('a structure created through one instance is read through the other', async () => {
  const token = a.token('admin');
  const t = await gql(a, '{ territories(first: 1, filter: { search: "Rouen" }) { edges { node { id } } } }');
  const territoryId = t.body.data.territories.edges[0]?.node.id;
  assert.ok(territoryId, JSON.stringify(t.body));
  const created = await gql(a, `mutation ($input: CreateStructureInput!) { createStructure(input: $input) { id name } }`, {
    token, variables: { input: { kind: 'MSP', name: 'MSP des deux instances', territoryId } },
  });
  assert.equal(created.body.errors, undefined, JSON.stringify(created.body.errors));
  const { id } = created.body.data.createStructure;
  const read = await gql(b, 'query ($id: ID) { structure(id: $id) { id name } }', { variables: { id }, token });
  assert.deepEqual(read.body.data.structure, { id, name: 'MSP des deux instances' });
});
