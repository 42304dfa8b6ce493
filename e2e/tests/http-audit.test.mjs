// The hub speaks GraphQL over HTTP as the spec says: graphql-http's server
// audit (written by the spec's editors, not by us) passes with no error and
// no warning. Mutations over GET are refused with 405.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { serverAudits } from 'graphql-http';
import { startHub } from '../hub.mjs';

let hub;
before(async () => { hub = await startHub(); });
after(async () => { await hub?.stop(); });

test('graphql-http server audit: every MUST, SHOULD and MAY passes', async () => {
  const audits = serverAudits({ url: () => hub.graphqlURL });
  assert.ok(audits.length > 50, `only ${audits.length} audits`);
  const failures = [];
  for (const audit of audits) {
    const result = await audit.fn();
    if (result.status !== 'ok') {
      let body = '';
      if (result.response) body = await result.response.text().catch(() => '');
      failures.push(`${result.status} ${audit.id} ${audit.name}: ${result.reason} ${body.slice(0, 300)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('a mutation over GET is refused with 405 and Allow: POST', async () => {
  const url = new URL(hub.graphqlURL);
  url.searchParams.set('query', 'mutation { __typename }');
  const res = await fetch(url, { headers: { Accept: 'application/graphql-response+json' } });
  assert.equal(res.status, 405);
  assert.match(res.headers.get('allow') ?? '', /POST/);
  await res.body?.cancel();
});

test('a query over GET answers with the graphql-response media type', async () => {
  const url = new URL(hub.graphqlURL);
  url.searchParams.set('query', '{ __typename }');
  const res = await fetch(url, { headers: { Accept: 'application/graphql-response+json' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/graphql-response\+json/);
  assert.deepEqual(await res.json(), { data: { __typename: 'Query' } });
});

test('a body that is not JSON is 415 with a coded error', async () => {
  const res = await fetch(hub.graphqlURL, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Accept: 'application/graphql-response+json' },
    body: '{ territories(first: 1) { totalCount } }',
  });
  assert.equal(res.status, 415);
  const body = await res.json();
  assert.equal(body.errors[0].extensions.code, 'BAD_USER_INPUT');
  assert.match(body.errors[0].message, /Content-Type must be application\/json/);
});

test('a subscription over HTTP is refused at once, not left hanging', async () => {
  const res = await fetch(hub.graphqlURL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${hub.token('admin')}` },
    body: JSON.stringify({ query: 'subscription { territoryActivity(territoryId: "ter_x") { type } }' }),
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.errors[0].extensions.code, 'BAD_USER_INPUT');
  assert.match(body.errors[0].message, /websocket/);
});
