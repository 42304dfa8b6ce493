// Drives the hub's web pages (/portal/, /dashboard/) in Debian's Chromium:
// a browser context per person, signed in through the hub's development
// issuer as a user would (the sign-in page lists the seeded accounts); every
// request the pages make and every console message are recorded, so a test
// can check that nothing left the hub's origin and nothing went wrong.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Where tests save screenshots of the main pages (committed, shown in the docs). */
export const screenshotDir = path.join(here, '..', 'docs', 'screenshots');

/**
 * Opens a context for login and signs in: /portal/ → "Se connecter" → the
 * issuer's page → the account's button → back on the page asked for.
 * Returns { context, page, requests, problems }.
 */
export async function signedIn(browser, hub, login, startPath = '/portal/') {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  await page.goto(hub.url + startPath);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/\/dev\/authorize/);
  await page.locator(`button[name="login"][value="${login}"]`).click();
  await page.getByRole('button', { name: 'Se déconnecter' }).waitFor();
  return { context, page, requests, problems };
}

/** Asserts that every request of a session went to the hub's origin and no error was logged. */
export function assertClean(hub, session) {
  const origin = new URL(hub.url);
  const foreign = session.requests.filter((u) => {
    const p = new URL(u);
    return !(p.host === origin.host && ['http:', 'ws:', 'data:'].includes(p.protocol)) && p.protocol !== 'data:';
  });
  assert.deepEqual(foreign, [], 'requests that left the hub origin');
  assert.deepEqual(session.problems, [], 'console errors');
}

/** Saves a full-page screenshot as docs/screenshots/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, name + '.png'), fullPage: true });
}
