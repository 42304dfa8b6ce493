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
/**
 * Where tests save screenshots of the main pages: e2e/.screenshots (ignored
 * by git), or MAILLAGE_SCREENSHOTS (e.g. ../docs/screenshots, committed, to
 * refresh the documentation's pictures).
 */
export const screenshotDir = path.resolve(here, process.env.MAILLAGE_SCREENSHOTS ?? '.screenshots');

/**
 * Opens a context for login and signs in: /portal/ → "Se connecter" → the
 * issuer's page → the account's button → back on the page asked for.
 * Returns { context, page, requests, problems }.
 */
export async function signedIn(browser, hub, login, startPath = '/portal/', { shootSignIn = false } = {}) {
  // The browser's own zone is UTC: the pages must show Paris time anyway.
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  await page.goto(hub.url + startPath);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(/\/dev\/authorize/);
  if (shootSignIn) await screenshot(page, 'dev-sign-in');
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

/**
 * Selects, in a <select>, the option whose text matches re, once it is
 * there (options often come from a query still on its way).
 */
export async function pick(select, re) {
  const option = select.locator('option').filter({ hasText: re }).first();
  await option.waitFor({ state: 'attached' });
  await select.selectOption(await option.getAttribute('value'));
}
