// CORS in Chromium: a page from an origin in MAILLAGE_ALLOWED_ORIGINS queries
// and mutates with a bearer token (after a preflight); a page from another
// origin can read nothing, and its mutation never reaches the resolvers (the
// browser stops it at the preflight).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startHub, gql, freePort } from '../hub.mjs';
import { launchChromium } from '../browser.mjs';

let hub, browser, allowed, refused, admin, rouenNord;

/** Serves an empty page on a free port: a web app's origin. */
async function startOrigin() {
  const port = await freePort();
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>portal</title>');
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

before(async () => {
  allowed = await startOrigin();
  refused = await startOrigin();
  hub = await startHub({ env: { MAILLAGE_ALLOWED_ORIGINS: allowed.origin } });
  admin = hub.token('admin');
  const { body } = await gql(hub, '{ territories(filter: {level: LOCAL, search: "Rouen Nord"}, first: 1) { edges { node { id } } } }');
  rouenNord = body.data.territories.edges[0].node.id;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await hub?.stop();
  await allowed?.close();
  await refused?.close();
});

/** Runs fetch(graphqlURL) in a page of origin; returns { status, body } or { error }. */
async function fetchFrom(origin, query, token) {
  const page = await browser.newPage();
  try {
    await page.goto(origin + '/');
    return await page.evaluate(async ({ url, query, token }) => {
      const headers = { 'Content-Type': 'application/json' };
      if (token) headers.Authorization = `Bearer ${token}`;
      try {
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query }) });
        return { status: res.status, requestId: res.headers.get('X-Request-Id'), body: await res.json() };
      } catch (e) {
        return { error: String(e) };
      }
    }, { url: hub.graphqlURL, query, token });
  } finally {
    await page.close();
  }
}

const create = (name) => `mutation { createStructure(input: {kind: MSP, name: "${name}", territoryId: "${rouenNord}"}) { id name } }`;
const count = async (name) => (await gql(hub, `{ structures(filter: {search: "${name}"}, first: 5) { totalCount } }`)).body.data.structures.totalCount;

test('a page from an allowed origin queries and mutates with a token', async () => {
  const q = await fetchFrom(allowed.origin, '{ me { login } }', admin);
  assert.equal(q.error, undefined, q.error);
  assert.equal(q.body.data.me.login, 'admin');
  assert.ok(q.requestId, 'X-Request-Id is exposed to the page');
  const m = await fetchFrom(allowed.origin, create('MSP du portail'), admin);
  assert.equal(m.error, undefined, m.error);
  assert.match(m.body.data.createStructure.id, /^str_/);
  assert.equal(await count('MSP du portail'), 1);
});

test('a page from another origin reads nothing and cannot mutate', async () => {
  const q = await fetchFrom(refused.origin, '{ me { login } }', admin);
  assert.match(q.error ?? '', /Failed to fetch/, JSON.stringify(q));
  const m = await fetchFrom(refused.origin, create('MSP pirate'), admin);
  assert.match(m.error ?? '', /Failed to fetch/, JSON.stringify(m));
  assert.equal(await count('MSP pirate'), 0, 'the mutation never ran');
});
