// The referral portal and ESCAP workspace (/portal/) in Debian's Chromium,
// against a real hub on a fresh database: people sign in through the hub's
// development issuer, each in a browser context of their own, and see what
// the others do live, without reloading.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, gql } from '../hub.mjs';
import { launchChromium } from '../browser.mjs';
import { signedIn, assertClean, screenshot, pick } from '../portal.mjs';

const GP = '10003456781';          // Dr Claire Lefebvre, médecin traitant of Jeanne Dupont
const SECRETARY = '10003456789';   // ESS Dermatologie Rouen Métropole
const CASE_MANAGER = '10003456790';
const SPECIALIST = '10003456787';  // Dr Isabelle Fournier, dermatologist of the ESS
const NURSE = '10003456783';       // Sophie Durand, MSP Bois-Guillaume
const TEAM_GP = '10003456786';     // Dr Nicolas Roux

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

async function as(login, start, options) {
  const s = await signedIn(browser, hub, login, start, options);
  s.login = login;
  sessions.push(s);
  return s;
}

/** Waits until the element of page matching selector shows text. */
function shows(page, selector, text) {
  return page.locator(selector).filter({ hasText: text }).first().waitFor({ timeout: 10_000 });
}

test('a GP signs in through the development issuer and sees what she can do', async () => {
  const gp = await as(GP, '/portal/', { shootSignIn: true });
  await gp.page.getByRole('heading', { name: 'Bonjour Claire Lefebvre' }).waitFor();
  await gp.page.getByRole('link', { name: /Mes demandes d’adressage/ }).waitFor();
  assert.equal(await gp.page.getByRole('link', { name: /File de/ }).count(), 0, 'a GP has no ESS queue');
  await screenshot(gp.page, 'portal-home');
  // The token lives in this tab's session only.
  assert.equal(await gp.page.evaluate(() => Object.keys(localStorage).length), 0);
});

test('an expired session brings back the sign-in, and signing out forgets the token', async () => {
  const s = await as(TEAM_GP);
  const p = s.page;
  // The stored user's expiry is put in the past, as if the tab had stayed open.
  await p.evaluate(() => {
    for (const k of Object.keys(sessionStorage).filter((k) => k.startsWith('oidc.user:'))) {
      const u = JSON.parse(sessionStorage.getItem(k));
      u.expires_at = Math.floor(Date.now() / 1000) - 60;
      sessionStorage.setItem(k, JSON.stringify(u));
    }
  });
  await p.reload();
  await p.getByRole('button', { name: 'Se connecter' }).click();
  await p.locator('button[name="login"][value="' + TEAM_GP + '"]').click();
  await p.getByRole('button', { name: 'Se déconnecter' }).click();
  await p.getByRole('button', { name: 'Se connecter' }).waitFor();
  assert.deepEqual(await p.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('oidc.user:'))), []);
});

test('a request goes from the GP to the answer, each step seen live by the others', async () => {
  const reason = `Nævus atypique du dos, évolutif (${Date.now()})`;
  // The secretariat watches the ESS's queue before anything is sent.
  const secretary = await as(SECRETARY);
  await secretary.page.getByRole('navigation').getByRole('link', { name: 'File de l’ESS' }).click();
  await secretary.page.getByRole('heading', { name: /File des demandes — ESS Dermatologie/ }).waitFor();

  const gp = await as(GP);
  const p = gp.page;
  await p.getByRole('navigation').getByRole('link', { name: 'Mes demandes' }).click();
  await p.getByRole('link', { name: 'Nouvelle demande' }).click();
  await p.getByLabel('Spécialité').fill('dermatologie');
  await pick(p.getByLabel('ESS', { exact: true }), /ESS Dermatologie Rouen Métropole/);
  await p.getByLabel('Rechercher parmi mes patients').fill('Dupont');
  await pick(p.getByLabel('Patient', { exact: true }), /Dupont Jeanne/);
  await p.getByLabel('Motif').fill(reason);
  await p.getByLabel('Urgence').selectOption('URGENT');
  await p.getByLabel('Modalité souhaitée').selectOption('TELEEXPERTISE');
  await screenshot(p, 'referral-new');
  // A double click submits one request (one client key per form).
  await p.getByRole('button', { name: 'Envoyer la demande' }).dblclick();
  await p.waitForURL(/\/portal\/demandes\/(?!nouvelle)[^/]+$/);
  const id = new URL(p.url()).pathname.split('/').pop();
  await shows(p, 'strong.state', 'Envoyée');

  // The secretary sees it arrive, opens it and triages it.
  const s = secretary.page;
  const row = s.getByRole('row', { name: new RegExp(reason.replace(/[()]/g, '.')) });
  await row.waitFor({ timeout: 10_000 });
  await screenshot(s, 'ess-queue');
  await s.setViewportSize({ width: 768, height: 1024 }); // a tablet
  await screenshot(s, 'ess-queue-tablet');
  await s.setViewportSize({ width: 1280, height: 900 });
  await row.getByRole('link').click();
  await s.getByRole('form', { name: 'Tri' }).getByRole('button', { name: 'Trier la demande' }).click();
  await shows(s, 'strong.state', 'Triée');
  assert.equal(await s.getByRole('form', { name: 'Attribution' }).count(), 0, 'the secretariat cannot assign');
  await shows(p, 'strong.state', 'Triée');

  // The case manager assigns it to a dermatologist of the ESS.
  const cm = await as(CASE_MANAGER, `/portal/demandes/${id}`);
  const assign = cm.page.getByRole('form', { name: 'Attribution' });
  await pick(assign.getByLabel('Spécialiste de l’ESS'), /Fournier/);
  await assign.getByRole('button', { name: 'Attribuer' }).click();
  await shows(cm.page, 'strong.state', 'Attribuée');
  await shows(p, 'strong.state', 'Attribuée');

  // The specialist answers; the GP reads the answer as it comes.
  const sp = await as(SPECIALIST, `/portal/demandes/${id}`);
  const answerForm = sp.page.getByRole('form', { name: 'Réponse' });
  await answerForm.getByLabel('Réponse', { exact: true }).fill('Exérèse programmée, pas de signe de gravité immédiat.');
  await screenshot(sp.page, 'referral-specialist');
  await answerForm.getByRole('button', { name: 'Envoyer la réponse' }).click();
  await shows(sp.page, 'strong.state', 'Répondue');
  await shows(p, 'strong.state', 'Répondue');
  await shows(p, '.answer', 'Exérèse programmée');
  assert.deepEqual(await p.locator('.timeline li strong').allTextContents(), ['Envoi', 'Tri', 'Attribution', 'Réponse']);
  assert.equal(await p.getByRole('button', { name: 'Retirer ma demande' }).count(), 0, 'an answered request cannot be withdrawn');
  await screenshot(p, 'referral-answered');

  const { body } = await gql(hub, '{ myReferrals(first: 100) { edges { node { reason submittedAt } } } }', { token: hub.token(GP) });
  const mine = body.data.myReferrals.edges.filter((e) => e.node.reason === reason);
  assert.equal(mine.length, 1, 'the double click made one request');
  // Dates are shown in Paris time, French style, whatever the browser's zone (UTC here).
  const paris = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'medium', timeStyle: 'short' }).format(new Date(mine[0].node.submittedAt));
  assert.equal(await p.locator('dt:text-is("Envoyée le") + dd').textContent(), paris);
});

test('the API\'s error shows next to its field, and a requester withdraws her request', async () => {
  const gp = sessions.find((s) => s.login === GP) ?? await as(GP);
  const p = gp.page;
  await p.getByRole('navigation').getByRole('link', { name: 'Mes demandes' }).click();
  await p.getByRole('link', { name: 'Nouvelle demande' }).click();
  await pick(p.getByLabel('ESS', { exact: true }), /ESS Dermatologie Rouen Métropole/);
  await pick(p.getByLabel('Patient', { exact: true }), /Dupont Jeanne/);
  await p.getByRole('button', { name: 'Envoyer la demande' }).click();
  const reason = p.getByLabel('Motif');
  const error = p.locator('.field-error', { hasText: 'Ce champ est obligatoire.' });
  await error.waitFor();
  // The error is the Motif field's: announced with it, and only there.
  assert.equal(await p.locator('.field-error').count(), 1);
  assert.equal(await reason.getAttribute('aria-describedby'), await error.getAttribute('id'));
  assert.equal(await reason.getAttribute('aria-invalid'), 'true');
  await reason.fill('Prurit généralisé inexpliqué');
  await p.getByRole('button', { name: 'Envoyer la demande' }).click();
  await shows(p, 'strong.state', 'Envoyée');
  await p.getByRole('form', { name: 'Retrait' }).getByRole('button', { name: 'Retirer ma demande' }).click();
  await shows(p, 'strong.state', 'Retirée');
  assert.equal(await p.getByRole('form').count(), 0, 'nothing left to do on a withdrawn request');
});

test('an ESCAP from eligibility to activation, and a note seen live by another member', async () => {
  const nurse = await as(NURSE);
  const p = nurse.page;
  await p.getByRole('navigation').getByRole('link', { name: 'ESCAP' }).click();
  await p.getByRole('link', { name: /Nouvelle équipe/ }).click();
  await p.getByRole('button', { name: 'Enregistrer un nouveau patient' }).click();
  await p.getByLabel('Nom de naissance').fill('Vasseur');
  await p.getByLabel('Prénoms').fill('Paulette');
  await p.getByLabel('Date de naissance').fill('1944-09-09');
  await p.getByLabel('Rechercher le médecin traitant').fill('Roux');
  await pick(p.getByLabel('Médecin traitant', { exact: true }), /Roux/);
  await p.getByRole('button', { name: 'Enregistrer le patient' }).click();
  await p.waitForFunction(() => [...document.querySelectorAll('select option:checked')].some((o) => o.textContent.startsWith('Vasseur Paulette')));
  await p.getByLabel('Situation du patient').selectOption('CHRONIC_POLYPATHOLOGY');
  const items = p.locator('.grid-items input[type=checkbox]');
  assert.equal(await items.count(), 26);
  for (let i = 0; i < 12; i++) await items.nth(i).check();
  await p.getByRole('button', { name: 'Vérifier l’éligibilité' }).click();
  await shows(p, '.grid-items .field-error', 'Score de la grille inférieur au seuil');
  await shows(p, 'p[role=status]', 'Non éligible');
  await items.nth(12).check();
  await p.getByRole('button', { name: 'Vérifier l’éligibilité' }).click();
  await shows(p, 'p[role=status]', 'Éligible : score 13 / 26');
  await screenshot(p, 'escap-eligibility');
  await p.getByRole('button', { name: 'Enregistrer le consentement' }).click();
  await p.getByLabel('Mon rôle dans l’équipe').selectOption('NURSE');
  await p.getByRole('button', { name: 'Créer l’équipe' }).click();
  await p.waitForURL(/\/portal\/escap\/(?!nouvelle)[^/]+$/);
  const url = new URL(p.url()).pathname;
  await shows(p, 'strong.status', 'En constitution');

  const addForm = p.getByRole('form', { name: 'Ajouter un membre' });
  for (const [name, role] of [['Moreau', 'PHYSIOTHERAPIST'], ['Petit', 'PHARMACIST'], ['Roux', 'GP']]) {
    assert.ok(await p.getByRole('button', { name: 'Activer l’équipe' }).isDisabled(), 'activation waits for the team');
    await addForm.getByLabel('Rechercher un professionnel').fill(name);
    await pick(addForm.getByLabel('Professionnel', { exact: true }), new RegExp('^' + name));
    await addForm.getByLabel('Rôle dans l’équipe').selectOption(role);
    await addForm.getByRole('button', { name: 'Ajouter à l’équipe' }).click();
    await shows(p, 'ul[aria-label="Membres de l’équipe"] li', name);
  }
  await p.getByRole('button', { name: 'Activer l’équipe' }).click();
  await shows(p, 'strong.status', 'Active');

  // The médecin traitant has the workspace open; the nurse's note appears there.
  const gp = await as(TEAM_GP, url);
  await shows(gp.page, 'strong.status', 'Active');
  await p.getByRole('form', { name: 'Ajouter au fil' }).getByLabel('Note').fill('Passage infirmier : tension stable, pansement refait.');
  await p.getByRole('button', { name: 'Publier' }).click();
  await shows(gp.page, '.timeline .entry-body', 'Passage infirmier : tension stable');
  await screenshot(gp.page, 'escap-workspace');

  // The patient withdraws consent: the team closes, and the other member's
  // open page loses the team at once.
  await p.getByRole('button', { name: 'Le patient retire son consentement…' }).click();
  await p.getByRole('button', { name: 'Confirmer le retrait' }).click();
  await shows(gp.page, 'p[role=alert]', 'Cette équipe n’existe pas ou vous n’en êtes pas membre.');
});

test('nothing left the hub origin and no console error', () => {
  for (const s of sessions) assertClean(hub, s);
});
