// The hub answers the README's first query with its demo data, and refuses a
// bad token before any resolver runs.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, gql } from '../hub.mjs';

let hub;
before(async () => { hub = await startHub(); });
after(async () => { await hub?.stop(); });

test('first query of the README returns the demo territories', async () => {
  const { status, body } = await gql(hub, '{ territories(first: 5) { totalCount edges { node { name } } } }');
  assert.equal(status, 200);
  assert.equal(body.errors, undefined);
  assert.equal(body.data.territories.edges.length, 5);
  assert.ok(body.data.territories.totalCount >= 17);
  assert.equal(body.data.territories.edges[0].node.name, 'France');
});

test('a development token identifies its account', async () => {
  const { body } = await gql(hub, '{ me { login professional { rpps } } }', { token: hub.token('10003456781') });
  assert.deepEqual(body.data.me, { login: '10003456781', professional: { rpps: '10003456781' } });
});

test('a tampered token is UNAUTHENTICATED', async () => {
  const { status, body } = await gql(hub, '{ me { login } }', { token: hub.token('admin') + 'x' });
  assert.equal(status, 401);
  assert.equal(body.errors[0].extensions.code, 'UNAUTHENTICATED');
});

test("the explorer's introspection query passes the limits", async () => {
  const { getIntrospectionQuery } = await import('graphql');
  const { status, body } = await gql(hub, getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true }));
  assert.equal(status, 200);
  assert.equal(body.errors, undefined);
  assert.ok(body.data.__schema.types.some((t) => t.name === 'Structure'));
});
