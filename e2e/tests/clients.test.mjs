// Client libraries with their default settings against the hub: urql (its
// Accept lists text/event-stream and multipart/mixed besides JSON), Apollo
// Client with @defer (multipart/mixed incremental delivery) and with
// BatchHttpLink (a JSON array of operations in one request), and the
// graphql-sse client (GraphQL over server-sent events, distinct connections
// mode) for a query and a subscription.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, cacheExchange, fetchExchange, gql as urqlGql } from '@urql/core';
import { ApolloClient, InMemoryCache, HttpLink, gql as apolloGql } from '@apollo/client/core/index.js';
import { BatchHttpLink } from '@apollo/client/link/batch-http/index.js';
import { createClient as createSSEClient } from 'graphql-sse';
import { startHub, gql } from '../hub.mjs';

let hub, admin, rouenNord;

before(async () => {
  hub = await startHub();
  admin = hub.token('admin');
  const { body } = await gql(hub, '{ territories(filter: {level: LOCAL, search: "Rouen Nord"}, first: 1) { edges { node { id name } } } }');
  rouenNord = body.data.territories.edges[0].node;
});
after(async () => { await hub?.stop(); });

/** A fetch that records the Accept header and body of each request. */
function recordingFetch() {
  const requests = [];
  const recorded = (url, init) => {
    requests.push({ accept: new Headers(init?.headers).get('accept'), body: init?.body });
    return fetch(url, init);
  };
  return { fetch: recorded, requests };
}

test('urql runs a query and a mutation', async () => {
  const rec = recordingFetch();
  const client = new Client({
    url: hub.graphqlURL,
    exchanges: [cacheExchange, fetchExchange],
    fetch: rec.fetch,
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${admin}` } }),
  });
  const q = await client.query(urqlGql`query($s: String) { territories(filter: {level: LOCAL, search: $s}, first: 1) { edges { node { id name } } } }`,
    { s: 'Rouen Nord' }).toPromise();
  assert.equal(q.error, undefined);
  assert.deepEqual(q.data.territories.edges[0].node, { __typename: 'Territory', ...rouenNord });
  assert.match(rec.requests[0].accept, /multipart\/mixed/, 'urql lists multipart/mixed: the hub still answers JSON');

  const m = await client.mutation(urqlGql`mutation($t: ID!) { createStructure(input: {kind: MSP, name: "MSP urql", territoryId: $t}) { id name } }`,
    { t: rouenNord.id }).toPromise();
  assert.equal(m.error, undefined);
  assert.match(m.data.createStructure.id, /^str_/);
});

test('Apollo Client receives a @defer query in parts', async () => {
  const client = new ApolloClient({ link: new HttpLink({ uri: hub.graphqlURL }), cache: new InMemoryCache() });
  const query = apolloGql`query { territories(first: 3) { edges { node { id name ... @defer { parent { id name } } } } } }`;
  const results = [];
  await new Promise((resolve, reject) => {
    const sub = client.watchQuery({ query }).subscribe({
      next(r) {
        results.push(r);
        const nodes = r.data?.territories?.edges.map((e) => e.node) ?? [];
        if (nodes.length === 3 && nodes[1].parent) { sub.unsubscribe(); resolve(); }
      },
      error: reject,
    });
  });
  const last = results.at(-1);
  const nodes = last.data.territories.edges.map((e) => e.node);
  const direct = await gql(hub, '{ territories(first: 3) { edges { node { id name parent { id name } } } } }');
  assert.deepEqual(JSON.parse(JSON.stringify(nodes, (k, v) => (k === '__typename' ? undefined : v))),
    direct.body.data.territories.edges.map((e) => e.node));
  // gqlgen's first part holds the deferred fields as null until their part comes.
  assert.ok(results.some((r) => r.data?.territories && !r.data.territories.edges[1].node.parent),
    'a first result came before the deferred parents');
});

test('Apollo Client\'s BatchHttpLink sends several operations in one request', async () => {
  const rec = recordingFetch();
  const client = new ApolloClient({
    link: new BatchHttpLink({ uri: hub.graphqlURL, fetch: rec.fetch, headers: { Authorization: `Bearer ${admin}` } }),
    cache: new InMemoryCache(),
  });
  const [a, b, c] = await Promise.all([
    client.query({ query: apolloGql`query A { territories(first: 1) { totalCount } }` }),
    client.query({ query: apolloGql`query B { me { login } }` }),
    client.query({ query: apolloGql`query C($id: ID!) { territory(id: $id) { name } }`, variables: { id: rouenNord.id } }),
  ]);
  assert.equal(rec.requests.length, 1, 'one HTTP request');
  assert.equal(JSON.parse(rec.requests[0].body).length, 3, 'carrying the three operations');
  assert.ok(a.data.territories.totalCount > 0);
  assert.equal(b.data.me.login, 'admin');
  assert.equal(c.data.territory.name, rouenNord.name);
});

test('the graphql-sse client runs a query and receives a subscription\'s events', async () => {
  const client = createSSEClient({ url: hub.graphqlURL, headers: { Authorization: `Bearer ${admin}` }, retryAttempts: 0 });
  try {
    const query = client.iterate({ query: 'query($id: ID!) { territory(id: $id) { name } }', variables: { id: rouenNord.id } });
    const { value } = await query.next();
    assert.deepEqual(value, { data: { territory: { name: rouenNord.name } } });
    assert.equal((await query.next()).done, true);

    const { body: cursor } = await gql(hub, '{ eventCursor }', { token: admin });
    const events = client.iterate({
      query: 'subscription($t: ID!, $after: String) { territoryActivity(territoryId: $t, after: $after) { type subjectId } }',
      variables: { t: rouenNord.id, after: cursor.data.eventCursor },
    });
    const first = events.next();
    const { body } = await gql(hub, 'mutation($t: ID!) { createStructure(input: {kind: MSP, name: "MSP SSE", territoryId: $t}) { id } }',
      { variables: { t: rouenNord.id }, token: admin });
    const event = await first;
    assert.deepEqual(event.value, { data: { territoryActivity: { type: 'STRUCTURE_CREATED', subjectId: body.data.createStructure.id } } });
    await events.return();
  } finally {
    client.dispose();
  }
});
