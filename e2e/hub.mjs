// Starts a Maillage hub for a test: a fresh database on the local PostgreSQL,
// the binary built by scripts/test (e2e/.bin/maillage), a free port; and signs
// development tokens for its seeded accounts.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = process.env.MAILLAGE_BIN ?? path.join(here, '.bin', 'maillage');
const serverURL = process.env.MAILLAGE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The URL of a fresh database name on the test server. */
export function freshDatabaseURL() {
  const u = new URL(serverURL);
  u.pathname = '/maillage_e2e_' + randomBytes(6).toString('hex');
  return u.toString();
}

/**
 * Starts a hub. Options: databaseURL (to share one database between
 * instances; default a fresh one, dropped by stop()), env (extra variables).
 * Resolves once /readyz answers 200.
 */
export async function startHub({ databaseURL, env = {} } = {}) {
  const ownDatabase = !databaseURL;
  databaseURL ??= freshDatabaseURL();
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const hubEnv = { ...process.env, DATABASE_URL: databaseURL, MAILLAGE_ADDR: addr, ...env };
  const proc = spawn(binary, ['serve'], { env: hubEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const url = `http://${addr}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hub exited (${proc.exitCode}):\n${output}`);
    try {
      const res = await fetch(url + '/readyz');
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`hub not ready after 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    graphqlURL: url + '/graphql',
    wsURL: `ws://${addr}/graphql`,
    databaseURL,
    output: () => output,
    /** A development token for a seeded account (an RPPS, "admin", …). */
    token(login) {
      return execFileSync(binary, ['token', login], { env: hubEnv }).toString().trim();
    },
    /** Stops the hub (SIGTERM, graceful) and drops its own database. */
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      if (ownDatabase) dropDatabase(databaseURL);
    },
  };
}

/** Drops a test database. */
export function dropDatabase(databaseURL) {
  const u = new URL(databaseURL);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  execFileSync('psql', [u.toString(), '-qc', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]);
}

/** POSTs a GraphQL operation; returns { status, body }. */
export async function gql(hub, query, { variables, token } = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(hub.graphqlURL, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: await res.json() };
}
