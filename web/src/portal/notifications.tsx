// The professional's notification preference: how the hub tells them, by
// MSSanté secure mail, of the events that concern them (myNotificationPreference,
// setMyNotificationPreference): one mail per event, a daily digest, or none.
import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import { graphql } from '../gql';
import type { NotificationMode } from '../gql/graphql';
import { fieldErrors } from '../client';
import { formatDateTime } from '../format';
import { notificationModeLabel, notificationModeHint, notificationRoleLabel } from '../labels';
import { OperationError } from '../ui';

const MyNotificationPreferenceDoc = graphql(`
  query MyNotificationPreference {
    myNotificationPreference { mode address updatedAt defaults { role mode } }
  }
`);

const SetMyNotificationPreferenceDoc = graphql(`
  mutation SetMyNotificationPreference($mode: NotificationMode!) {
    setMyNotificationPreference(mode: $mode) { mode address updatedAt defaults { role mode } }
  }
`);

/** The modes offered, in the order shown. */
const modes: NotificationMode[] = ['IMMEDIATE', 'DIGEST', 'OFF'];

export function NotificationPreferences() {
  const [{ data, error }] = useQuery({ query: MyNotificationPreferenceDoc });
  const [saving, save] = useMutation(SetMyNotificationPreferenceDoc);
  // The mode picked on the page and not yet saved (null: the stored one).
  const [picked, setPicked] = useState<NotificationMode | null>(null);
  // The mode the last save stored, shown as saved until another is picked.
  const [saved, setSaved] = useState<NotificationMode | null>(null);
  if (error && !data) return <OperationError error={error} />;
  if (!data) return <p role="status">Chargement…</p>;
  const pref = data.myNotificationPreference;
  const chosen = picked ?? pref.mode ?? null;
  const errs = fieldErrors(saving.error);
  // The defaults a professional's own choice replaces (the ESS mailbox is a structure's).
  const defaults = pref.defaults.filter((d) => d.role !== 'ess_mailbox');

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!chosen) return;
    setSaved(null);
    const res = await save({ mode: chosen });
    if (!res.error && res.data) {
      setSaved(res.data.setMyNotificationPreference.mode ?? null);
      setPicked(null);
    }
  };
  const pick = (m: NotificationMode) => {
    setPicked(m);
    setSaved(null);
  };

  return (
    <section>
      <h1>Mes notifications</h1>
      <p>
        Le hub vous prévient par messagerie sécurisée de santé (MSSanté) de ce qui vous concerne : vos demandes d’avis,
        celles qui vous sont confiées, les notes et tâches de vos équipes ESCAP. Les messages ne contiennent aucune donnée
        de santé : seulement un lien vers le portail.
      </p>
      <div class="panel">
        {pref.address ? (
          <p>Adresse de réception : <strong data-address>{pref.address}</strong> (votre adresse MSSanté nominative).</p>
        ) : (
          <p class="notice" role="alert">
            Aucune adresse MSSanté nominative n’est connue pour vous : aucun message ne peut vous être envoyé, quel que soit votre choix.
          </p>
        )}
        <p class="muted">
          {pref.mode
            ? `Votre choix actuel : ${notificationModeLabel[pref.mode]}, enregistré le ${formatDateTime(pref.updatedAt)}.`
            : 'Vous n’avez pas encore fait de choix : chaque message suit le réglage par défaut de votre rôle (ci-dessous).'}
        </p>
      </div>
      <form onSubmit={submit} noValidate aria-label="Préférence de notification">
        <fieldset aria-describedby={errs['mode'] ? 'mode-error' : undefined}>
          <legend>Comment souhaitez-vous être prévenu·e ?</legend>
          {modes.map((m) => (
            <label key={m} class="choice">
              <input type="radio" name="mode" value={m} checked={chosen === m} onChange={() => pick(m)} />
              <span>
                {notificationModeLabel[m]}
                <span class="hint">{notificationModeHint[m]}</span>
              </span>
            </label>
          ))}
          {errs['mode'] && <p class="field-error" id="mode-error" role="alert">{errs['mode']}</p>}
        </fieldset>
        <OperationError error={saving.error} />
        {saved && !saving.fetching && (
          <p class="success" role="status">Préférence enregistrée : {notificationModeLabel[saved]}.</p>
        )}
        <p>
          <button class="primary" type="submit" disabled={!chosen || saving.fetching}>
            {saving.fetching ? 'Enregistrement…' : 'Enregistrer'}
          </button>
        </p>
      </form>
      <h2>Réglages par défaut du hub</h2>
      <p class="muted">Ils s’appliquent tant que vous n’avez pas fait de choix.</p>
      <table aria-label="Réglages par défaut">
        <thead><tr><th>Votre rôle</th><th>Mode par défaut</th></tr></thead>
        <tbody>
          {defaults.map((d) => (
            <tr key={d.role}><td>{notificationRoleLabel[d.role] ?? d.role}</td><td>{notificationModeLabel[d.mode]}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
