// The portal's notification preference page (/portal/notifications) in
// Debian's Chromium, against a real hub on a fresh database: a professional
// reaches it from the navigation, changes how she hears of what concerns
// her, sees it saved, and the API then returns her choice; a save the hub
// never receives shows an error and changes nothing.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, gql } from '../hub.mjs';
import { launchChromium } from '../browser.mjs';
import { signedIn, assertClean, screenshot } from '../portal.mjs';

const NURSE = '10003456783'; // Sophie Durand, MSP Bois-Guillaume

let hub, browser;

before(async () => {
  hub = await startHub();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await hub?.stop();
});

/** The nurse's preference as the API returns it. */
async function preference() {
  const { body } = await gql(hub, '{ myNotificationPreference { mode address updatedAt } }', { token: hub.token(NURSE) });
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.myNotificationPreference;
}

test('a professional changes her notification preference, and the API keeps it', async () => {
  const initial = await preference();
  assert.equal(initial.mode, null, 'no choice made yet on a fresh database');
  assert.ok(initial.address, 'the seeded nurse has a nominative MSSanté address');

  const s = await signedIn(browser, hub, NURSE);
  const p = s.page;
  await p.getByRole('navigation').getByRole('link', { name: 'Mes notifications' }).click();
  await p.waitForURL(/\/portal\/notifications$/);
  await p.getByRole('heading', { name: 'Mes notifications' }).waitFor();
  assert.equal(await p.locator('[data-address]').textContent(), initial.address);
  const form = p.getByRole('form', { name: 'Préférence de notification' });
  const digest = form.getByRole('radio', { name: /Récapitulatif quotidien/ });
  const off = form.getByRole('radio', { name: /Aucun message/ });
  const immediate = form.getByRole('radio', { name: /Immédiatement/ });
  // Nothing chosen yet: no mode is ticked, the defaults apply.
  for (const r of [digest, off, immediate]) assert.equal(await r.isChecked(), false);
  await p.getByText('Vous n’avez pas encore fait de choix').waitFor();
  assert.ok(await p.getByRole('table', { name: 'Réglages par défaut' }).getByRole('row').count() > 1, 'the defaults are listed');

  await digest.check();
  await form.getByRole('button', { name: 'Enregistrer' }).click();
  await p.getByRole('status').filter({ hasText: 'Préférence enregistrée : Récapitulatif quotidien.' }).waitFor();
  await screenshot(p, 'notification-preferences');
  const saved = await preference();
  assert.equal(saved.mode, 'DIGEST');
  assert.ok(saved.updatedAt, 'the choice has its date');

  // Read again from the hub, the page shows the stored choice.
  await p.reload();
  await p.getByRole('heading', { name: 'Mes notifications' }).waitFor();
  await p.getByText('Votre choix actuel : Récapitulatif quotidien').waitFor();
  assert.equal(await digest.isChecked(), true);

  // A save that never reaches the hub: an error in French, no "saved", and
  // the stored choice unchanged.
  await p.route('**/graphql', (route) =>
    route.request().postData()?.includes('SetMyNotificationPreference') ? route.abort('connectionrefused') : route.continue());
  await off.check();
  await form.getByRole('button', { name: 'Enregistrer' }).click();
  await p.getByRole('alert').filter({ hasText: 'Le hub ne répond pas' }).waitFor();
  assert.equal(await p.getByText('Préférence enregistrée').count(), 0);
  assert.equal((await preference()).mode, 'DIGEST');

  // The hub back, the same click saves it.
  await p.unroute('**/graphql');
  await form.getByRole('button', { name: 'Enregistrer' }).click();
  await p.getByRole('status').filter({ hasText: 'Préférence enregistrée : Aucun message.' }).waitFor();
  assert.equal(await p.getByRole('alert').filter({ hasText: 'Le hub ne répond pas' }).count(), 0);
  assert.equal((await preference()).mode, 'OFF');

  // An aborted request logs a console error in Chromium: everything else must be clean.
  s.problems.splice(0, s.problems.length, ...s.problems.filter((m) => !m.includes('ERR_CONNECTION_REFUSED')));
  assertClean(hub, s);
  await s.context.close();
});
