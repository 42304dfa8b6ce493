// Subscriptions with the real graphql-ws client: an event reaches a
// subscriber; a client that disconnects and resumes from its last cursor gets
// exactly what it missed, in order, then live events; a bad token is refused
// with close code 4401 (CURSOR_EXPIRED is tested in Go: postgres/bus_test.go).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startHub, gql } from '../hub.mjs';

let hub, admin, claire, rouenNord, lyon8;

before(async () => {
  hub = await startHub();
  admin = hub.token('admin');
  claire = hub.token('10003456781'); // CPTS Rouen Nord coordinator
  const territory = async (search) => {
    const { body } = await gql(hub, 'query($s: String) { territories(filter: {level: LOCAL, search: $s}, first: 1) { edges { node { id } } } }', { variables: { s: search } });
    return body.data.territories.edges[0].node.id;
  };
  rouenNord = await territory('Rouen Nord');
  lyon8 = await territory('Lyon 8');
});
after(async () => { await hub?.stop(); });

const activity = `subscription($t: ID!, $after: String) {
  territoryActivity(territoryId: $t, after: $after) { cursor type subjectId domain at }
}`;

function client(token, extra = {}) {
  return createClient({
    url: hub.wsURL,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
    ...extra,
  });
}

/** Subscribes and returns a queue of received events: next() awaits one. */
function subscribe(c, variables) {
  const events = [];
  const waiters = [];
  let failure;
  c.subscribe({ query: activity, variables }, {
    next: ({ data, errors }) => {
      if (errors) failure = new Error(JSON.stringify(errors));
      const ev = data?.territoryActivity;
      if (waiters.length) waiters.shift().resolve(ev); else events.push(ev);
    },
    error: (err) => { failure = err; waiters.splice(0).forEach((w) => w.reject(err)); },
    complete: () => {},
  });
  return {
    next() {
      if (failure) return Promise.reject(failure);
      if (events.length) return Promise.resolve(events.shift());
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    pending: () => events.length,
  };
}

async function eventCursor() {
  const { body } = await gql(hub, '{ eventCursor }', { token: admin });
  return body.data.eventCursor;
}

async function createStructure(territoryId, name) {
  const { body } = await gql(hub, 'mutation($t: ID!, $n: String!) { createStructure(input: {kind: MSP, name: $n, territoryId: $t}) { id } }',
    { variables: { t: territoryId, n: name }, token: admin });
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.createStructure.id;
}

test('a mutation reaches the subscriber; a resumed subscription gets exactly what it missed, in order', async () => {
  const c1 = client(claire);
  const sub1 = subscribe(c1, { t: rouenNord, after: await eventCursor() });
  const first = await createStructure(rouenNord, 'MSP e2e une');
  const ev = await sub1.next();
  assert.equal(ev.type, 'STRUCTURE_CREATED');
  assert.equal(ev.subjectId, first);
  assert.match(ev.domain, /^fr\/28\/76\/cpts-rouen-nord\//);
  await c1.dispose();

  // While disconnected: two changes in the territory, one elsewhere.
  const missed = [await createStructure(rouenNord, 'MSP e2e deux'), await createStructure(rouenNord, 'MSP e2e trois')];
  await createStructure(lyon8, 'MSP e2e ailleurs');

  const c2 = client(claire);
  const sub2 = subscribe(c2, { t: rouenNord, after: ev.cursor });
  const replayed = [await sub2.next(), await sub2.next()];
  assert.deepEqual(replayed.map((e) => e.subjectId), missed);
  assert.ok(BigInt(replayed[0].cursor) > BigInt(ev.cursor) && BigInt(replayed[1].cursor) > BigInt(replayed[0].cursor));
  // Then live, with nothing in between: the next event is the new one.
  const live = await createStructure(rouenNord, 'MSP e2e quatre');
  const next = await sub2.next();
  assert.equal(next.subjectId, live);
  assert.equal(sub2.pending(), 0);
  await c2.dispose();
});

test('an invalid token is refused with close code 4401', async () => {
  const closed = new Promise((resolve) => {
    const c = client(admin + 'x', { on: { closed: (event) => resolve(event) } });
    c.subscribe({ query: activity, variables: { t: rouenNord } }, { next() {}, error() {}, complete() {} });
  });
  const event = await closed;
  assert.equal(event.code, 4401);
  assert.match(event.reason, /invalid or expired token/);
});

test('a malformed cursor is BAD_USER_INPUT naming after', async () => {
  const c = client(admin);
  const error = await new Promise((resolve) => {
    c.subscribe({ query: activity, variables: { t: rouenNord, after: 'not-a-cursor' } }, {
      next: ({ errors }) => resolve(errors), error: resolve, complete() {},
    });
  });
  assert.equal(error[0].extensions.code, 'BAD_USER_INPUT');
  assert.equal(error[0].extensions.field, 'after');
  await c.dispose();
});
