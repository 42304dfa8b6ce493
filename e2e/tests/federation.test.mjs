// The hub is an Apollo Federation v2 subgraph that the ecosystem's own tools
// accept: its _service SDL (asked anonymously, as a gateway does) composes
// with a second subgraph that adds a field to Structure, through
// @apollo/composition; @apollo/gateway then runs a query joining both; and
// _entities answers exactly what the root fields answer the same caller.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { startHub, gql } from '../hub.mjs';
import { compose } from '../compose.mjs';
import { startHours, openingHours } from '../hours.mjs';

let hub, hours, gateway;
before(async () => {
  hub = await startHub();
  hours = await startHours();
});
after(async () => {
  await gateway?.stop();
  await hours?.stop();
  await hub?.stop();
});

test('an anonymous caller (the gateway) reads the subgraph SDL from _service', async () => {
  const { status, body } = await gql(hub, '{ _service { sdl } }');
  assert.equal(status, 200);
  assert.equal(body.errors, undefined);
  const hubSDL = body.data._service.sdl;
  assert.match(hubSDL, /@link\(\s*url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+"/);
  assert.match(hubSDL, /type Structure implements Node @key\(fields: "id"\) @key\(fields: "finess"\)/);
  assert.match(hubSDL, /type Professional implements Node @key\(fields: "id"\) @key\(fields: "rpps"\)/);
  assert.match(hubSDL, /type Territory implements Node @key\(fields: "id"\)/);
});

test('@apollo/composition composes the hub with a subgraph extending Structure', async () => {
  // compose.mjs is the README's composition command: it reads both SDLs from
  // _service, as a gateway would.
  const result = await compose([
    { name: 'maillage', url: hub.graphqlURL },
    { name: 'hours', url: hours.url },
  ]);
  assert.deepEqual(result.errors, []);
  assert.match(result.supergraphSdl, /openingHours: String! @join__field\(graph: HOURS\)/);
  assert.match(result.supergraphSdl, /@join__type\(graph: MAILLAGE, key: "finess"\)/);
  hub.supergraphSdl = result.supergraphSdl;
});

test('@apollo/gateway joins the hub\'s Structure with the other subgraph\'s field', async () => {
  assert.ok(hub.supergraphSdl, 'needs the supergraph of the previous test');
  gateway = new ApolloServer({
    gateway: new ApolloGateway({
      supergraphSdl: hub.supergraphSdl,
      // The caller's token goes on to the hub: its authorization applies.
      buildService: ({ url }) => new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http.headers.set('authorization', context.authorization);
        },
      }),
    }),
  });
  const { url } = await startStandaloneServer(gateway, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  const query = `{
    structures(first: 3, filter: { kinds: [MSP] }) { edges { node { id name finess openingHours } } }
    me { login }
  }`;
  const post = (headers = {}) => fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  }).then((r) => r.json());

  const anonymous = await post();
  assert.equal(anonymous.errors, undefined, JSON.stringify(anonymous.errors));
  const nodes = anonymous.data.structures.edges.map((e) => e.node);
  assert.equal(nodes.length, 3);
  for (const n of nodes) {
    assert.match(n.id, /^str_/);
    assert.ok(n.name.length > 0);
    assert.equal(n.openingHours, openingHours(n.id));
  }
  assert.equal(anonymous.data.me.login, null);

  // The same names the hub gives directly: the gateway adds, never changes.
  const direct = await gql(hub, '{ structures(first: 3, filter: { kinds: [MSP] }) { edges { node { id name finess } } } }');
  assert.deepEqual(nodes.map(({ openingHours: _, ...n }) => n), direct.body.data.structures.edges.map((e) => e.node));

  const withToken = await post({ Authorization: `Bearer ${hub.token('10003456781')}` });
  assert.equal(withToken.data.me.login, '10003456781', 'the token reaches the hub through the gateway');
});

const entitiesQuery = `query ($r: [_Any!]!) {
  _entities(representations: $r) {
    __typename
    ... on Structure { id name finess }
    ... on Professional { id rpps lastName }
    ... on Territory { id name }
  }
}`;

test('_entities answers null, and nothing else, for an object the caller may not see', async () => {
  const r = [
    { __typename: 'Structure', id: 'str_00000000000000000000000000000000' },
    { __typename: 'Structure', finess: '000000000' },
    { __typename: 'Professional', id: 'pro_00000000000000000000000000000000' },
    { __typename: 'Professional', rpps: '10000000000' },
    { __typename: 'Territory', id: 'ter_00000000000000000000000000000000' },
  ];
  for (const token of [undefined, hub.token('admin')]) {
    const { status, body } = await gql(hub, entitiesQuery, { variables: { r }, token });
    assert.equal(status, 200);
    assert.deepEqual(body, { data: { _entities: [null, null, null, null, null] } });
  }
});

test('_entities answers what the root fields answer the same caller', async () => {
  const direct = await gql(hub, `{
    structures(first: 2) { edges { node { id name finess } } }
    professionals(first: 2) { edges { node { id rpps lastName } } }
  }`);
  const structures = direct.body.data.structures.edges.map((e) => e.node);
  const professionals = direct.body.data.professionals.edges.map((e) => e.node);
  assert.equal(structures.length, 2);
  const r = [
    ...structures.map(({ id }) => ({ __typename: 'Structure', id })),
    ...structures.filter((s) => s.finess).map(({ finess }) => ({ __typename: 'Structure', finess })),
    ...professionals.map(({ rpps }) => ({ __typename: 'Professional', rpps })),
  ];
  for (const token of [undefined, hub.token('10003456781')]) {
    const { body } = await gql(hub, entitiesQuery, { variables: { r }, token });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const expected = [];
    for (const rep of r) {
      const field = rep.__typename === 'Structure' ? 'structure' : 'professional';
      const sel = rep.__typename === 'Structure' ? '__typename id name finess' : '__typename id rpps lastName';
      const [key, value] = Object.entries(rep).find(([k]) => k !== '__typename');
      const one = await gql(hub, `query ($v: ${key === 'id' ? 'ID' : 'String'}) { x: ${field}(${key}: $v) { ${sel} } }`, { variables: { v: value }, token });
      expected.push(one.body.data.x);
    }
    assert.deepEqual(body.data._entities, expected);
    assert.ok(expected.filter(Boolean).length >= 2, 'the directory shows some of them');
  }
});
