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

test("a structure's members and a professional's memberships are connections", async () => {
  const q = `query($after: String) { structures(filter: {search: "Bois-Guillaume"}, first: 1) { edges { node { name
    members(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { role professional { rpps } } } }
    nurses: members(role: NURSE) { totalCount edges { node { role } } } } } } }`;
  const page = async (after) => {
    const { body } = await gql(hub, q, { variables: { after } });
    assert.equal(body.errors, undefined);
    return body.data.structures.edges[0].node;
  };
  const one = await page(null);
  assert.equal(one.name, 'MSP de Bois-Guillaume');
  assert.equal(one.members.totalCount, 4);
  assert.equal(one.members.edges.length, 2);
  assert.equal(one.members.pageInfo.hasNextPage, true);
  assert.equal(one.nurses.totalCount, 1);
  assert.deepEqual(one.nurses.edges.map((e) => e.node.role), ['NURSE']);
  const two = await page(one.members.pageInfo.endCursor);
  assert.equal(two.members.totalCount, 4);
  assert.equal(two.members.pageInfo.hasNextPage, false);
  const rpps = [...one.members.edges, ...two.members.edges].map((e) => e.node.professional.rpps);
  assert.equal(new Set(rpps).size, 4);

  const { body } = await gql(hub, '{ professional(rpps: "10003456781") { memberships { totalCount edges { node { role structure { name } } } } } }');
  assert.equal(body.errors, undefined);
  assert.equal(body.data.professional.memberships.totalCount, 2);
  assert.deepEqual(body.data.professional.memberships.edges.map((e) => e.node.role).sort(), ['COORDINATOR', 'GP']);
});
