// The referral portal and ESCAP workspace (/portal/) in Debian's Chromium,
// against a real hub on a fresh database: people sign in through the hub's
// development issuer, each in a browser context of their own, and see what
// the others do live.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHub } from '../hub.mjs';
import { launchChromium } from '../browser.mjs';
import { signedIn, assertClean, screenshot } from '../portal.mjs';

let hub, browser;
const sessions = [];

before(async () => {
  hub = await startHub();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await hub?.stop();
});

async function as(login, start) {
  const s = await signedIn(browser, hub, login, start);
  sessions.push(s);
  return s;
}

test('a GP signs in through the development issuer and sees what she can do', async () => {
  const gp = await as('10003456781');
  await gp.page.getByRole('heading', { name: 'Bonjour Claire Lefebvre' }).waitFor();
  await gp.page.getByRole('link', { name: /Mes demandes d’adressage/ }).waitFor();
  assert.equal(await gp.page.getByRole('link', { name: /File de/ }).count(), 0, 'a GP has no ESS queue');
  await screenshot(gp.page, 'portal-home');
  // The token lives in this tab's session only.
  const stored = await gp.page.evaluate(() => Object.keys(localStorage).length);
  assert.equal(stored, 0);
});

test('nothing left the hub origin and no console error', () => {
  for (const s of sessions) assertClean(hub, s);
});
