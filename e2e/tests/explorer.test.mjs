// The hub's own explorer (GraphiQL at /) in Debian's Chromium, driven as a
// user would: a query typed and run shows its result; a token typed in the
// Headers tab lets a mutation through; a subscription shows an event that a
// mutation made elsewhere raises. GraphiQL keeps its default fetcher, so its
// Accept header (application/json, multipart/mixed) and its websocket
// connection parameters are exactly what users send.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, gql } from '../hub.mjs';
import { launchChromium } from '../browser.mjs';

let hub, browser, page, admin, rouenNord;

before(async () => {
  hub = await startHub();
  admin = hub.token('admin');
  const { body } = await gql(hub, '{ territories(filter: {level: LOCAL, search: "Rouen Nord"}, first: 1) { edges { node { id } } } }');
  rouenNord = body.data.territories.edges[0].node.id;
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(hub.url + '/');
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
});
after(async () => {
  await browser?.close();
  await hub?.stop();
});

/** Replaces the text of the CodeMirror editor under selector, as typed. */
async function typeInto(selector, text) {
  await page.locator(`${selector} .CodeMirror`).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  const typed = await page.locator(`${selector} .CodeMirror`).evaluate((el) => el.CodeMirror.getValue());
  assert.equal(typed, text);
  // GraphiQL parses the editors' text after a pause in typing (its
  // debounce), and picks the websocket for a subscription from that parse.
  await page.waitForTimeout(1000);
}

/** Presses Run and waits for the result pane to satisfy accept (a predicate on the parsed JSON). */
async function runAndWait(accept, what) {
  await page.locator('.graphiql-execute-button').click();
  return resultWhen(accept, what);
}

/** Waits up to 15 s for the result pane's JSON to satisfy accept; returns it. */
async function resultWhen(accept, what) {
  const pane = page.locator('.result-window .CodeMirror');
  const deadline = Date.now() + 15_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await pane.evaluate((el) => el.CodeMirror.getValue()).catch(() => '');
    try {
      const result = JSON.parse(text);
      if (accept(result)) return result;
    } catch { /* empty or not yet JSON */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`result pane never showed ${what}; it shows: ${text}`);
}

test('a query typed in the explorer shows its result', async () => {
  await typeInto('.graphiql-query-editor', '{ territories(filter: {level: LOCAL, search: "Rouen Nord"}, first: 1) { totalCount edges { node { id name } } } }');
  const result = await runAndWait((r) => r.data?.territories, 'the territories');
  assert.equal(result.errors, undefined);
  assert.equal(result.data.territories.edges[0].node.id, rouenNord);
  assert.match(result.data.territories.edges[0].node.name, /Rouen Nord/);
});

test('a query with @defer shows its deferred fragment once it comes', async () => {
  await typeInto('.graphiql-query-editor', '{ territories(filter: {level: LOCAL, search: "Rouen Nord"}, first: 1) { edges { node { name ... @defer { parent { name } } } } } }');
  const result = await runAndWait((r) => r.data?.territories?.edges[0].node.parent, 'the deferred parent');
  assert.equal(result.errors, undefined);
  assert.equal(result.data.territories.edges[0].node.parent.name, 'Seine-Maritime');
});

test('a mutation runs with a token typed in the Headers tab', async () => {
  await typeInto('.graphiql-query-editor', `mutation { createStructure(input: {kind: MSP, name: "MSP du navigateur", territoryId: "${rouenNord}"}) { id name } }`);
  const refused = await runAndWait((r) => r.errors, 'the refusal of an anonymous mutation');
  assert.equal(refused.errors[0].extensions.code, 'UNAUTHENTICATED');

  await page.getByRole('button', { name: 'Headers' }).click();
  await typeInto('.graphiql-editor-tool .graphiql-editor:not(.hidden)', `{"Authorization": "Bearer ${admin}"}`);
  const result = await runAndWait((r) => r.data?.createStructure, 'the created structure');
  assert.equal(result.errors, undefined);
  assert.match(result.data.createStructure.id, /^str_/);
  assert.equal(result.data.createStructure.name, 'MSP du navigateur');
});

test('a subscription in the explorer shows an event raised elsewhere', async () => {
  // From the current cursor, so that an event raised before the hub has
  // registered the subscription is still delivered.
  const { body: cursor } = await gql(hub, '{ eventCursor }', { token: admin });
  await typeInto('.graphiql-query-editor',
    `subscription { territoryActivity(territoryId: "${rouenNord}", after: "${cursor.data.eventCursor}") { type subjectId } }`);
  await page.locator('.graphiql-execute-button').click();
  const { body } = await gql(hub, `mutation { createStructure(input: {kind: MSP, name: "MSP abonnée", territoryId: "${rouenNord}"}) { id } }`, { token: admin });
  const id = body.data.createStructure.id;
  const result = await resultWhen((r) => r.data?.territoryActivity?.subjectId === id, 'the event');
  assert.equal(result.errors, undefined);
  assert.equal(result.data.territoryActivity.type, 'STRUCTURE_CREATED');
});
