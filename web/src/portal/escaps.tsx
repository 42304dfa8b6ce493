// My ESCAP teams, and a new one: eligibility (situations and grid items by
// label, from escapRules), the patient's consent, then the team.
import { useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { useMutation, useQuery } from '@urql/preact';
import { graphql } from '../gql';
import type { ConsentMethod } from '../gql/graphql';
import { fieldErrors } from '../client';
import { formatDate, formatDateTime } from '../format';
import { consentMethodLabel, eligibilityReasonLabel, escapStatusLabel } from '../labels';
import { Field, OperationError } from '../ui';
import { PatientPicker } from './new-referral';
import type { Me } from '../app';

const MyESCAPsDoc = graphql(`
  query MyESCAPs {
    escapRules { situations { code label } }
    escaps(first: 50) { edges { node { id status situation createdAt activatedAt expiresAt patient { familyName givenNames } members { id leftAt } } } }
  }
`);

export const RulesDoc = graphql(`
  query ESCAPRules {
    escapRules {
      situations { code label minAge eventWithinMonths requiresHospitalisation requiresInsulin }
      grid { size threshold items { number label } }
      pregnantGrid { size threshold items { number label } }
      minTeamSize termMonths renewalWindowDays
    }
  }
`);

const CheckDoc = graphql(`
  query CheckEligibility($input: ESCAPAssessmentInput!) {
    checkESCAPEligibility(input: $input) { eligible score gridSize threshold reasons { code field message } }
  }
`);

const ConsentDoc = graphql(`
  mutation RecordConsent($input: RecordConsentInput!) { recordESCAPConsent(input: $input) { id method givenAt } }
`);

const CreateDoc = graphql(`
  mutation CreateESCAP($input: CreateESCAPInput!) { createESCAP(input: $input) { id status } }
`);

export function ESCAPList() {
  const [{ data, error }] = useQuery({ query: MyESCAPsDoc });
  const label = (code: string) => data?.escapRules.situations.find((s) => s.code === code)?.label ?? code;
  const teams = data?.escaps.edges.map((e) => e.node) ?? [];
  return (
    <section>
      <h1>Mes équipes ESCAP</h1>
      <p><Link class="button primary" href="/portal/escap/nouvelle">Nouvelle équipe : vérifier l’éligibilité</Link></p>
      <OperationError error={error} />
      {data && teams.length === 0 && <p>Vous n’êtes membre d’aucune équipe.</p>}
      {teams.length > 0 && (
        <table aria-label="Mes équipes">
          <thead><tr><th>Patient</th><th>Situation</th><th>Statut</th><th>Membres</th><th>Créée le</th><th>Échéance</th></tr></thead>
          <tbody>
            {teams.map((t) => (
              <tr key={t.id}>
                <td><Link href={`/portal/escap/${t.id}`}>{t.patient ? `${t.patient.familyName} ${t.patient.givenNames}` : 'Patient'}</Link></td>
                <td>{label(t.situation)}</td>
                <td>{escapStatusLabel[t.status]}</td>
                <td>{t.members.filter((m) => !m.leftAt).length}</td>
                <td>{formatDate(t.createdAt)}</td>
                <td>{formatDate(t.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The team roles offered (free text in the API). */
export const teamRoles: Record<string, string> = {
  GP: 'Médecin traitant', NURSE: 'Infirmier·e', PHARMACIST: 'Pharmacien·ne', PHYSIOTHERAPIST: 'Masseur-kinésithérapeute',
  SPECIALIST: 'Médecin spécialiste', MIDWIFE: 'Sage-femme', SOCIAL_WORKER: 'Travailleur social', COORDINATOR: 'Coordination', OTHER: 'Autre',
};

export function NewESCAP({ me }: { me: Me }) {
  const [, navigate] = useLocation();
  const [{ data: rules }] = useQuery({ query: RulesDoc });
  const [patientId, setPatientId] = useState('');
  const [situation, setSituation] = useState('');
  const [pregnant, setPregnant] = useState(false);
  const [eventDate, setEventDate] = useState('');
  const [hospitalised, setHospitalised] = useState(false);
  const [underInsulin, setUnderInsulin] = useState(false);
  const [met, setMet] = useState<Set<number>>(new Set());
  const [checkVars, setCheckVars] = useState<{ input: any } | null>(null);
  const [{ data: checked, error: checkError, fetching: checking }] = useQuery({ query: CheckDoc, variables: checkVars ?? { input: {} as any }, pause: !checkVars, requestPolicy: 'network-only' });
  const [method, setMethod] = useState<ConsentMethod>('WRITTEN');
  const [consent, recordConsent] = useMutation(ConsentDoc);
  const territories = Array.from(new Map((me.professional?.memberships.edges ?? []).map((e) => [e.node.structure.territory.id, e.node.structure.territory])).values());
  const [territoryId, setTerritoryId] = useState(territories[0]?.id ?? '');
  const [role, setRole] = useState('GP');
  const [created, create] = useMutation(CreateDoc);
  if (!rules) return <p role="status">Chargement…</p>;
  const r = rules.escapRules;
  const sit = r.situations.find((s) => s.code === situation);
  const grid = pregnant ? r.pregnantGrid : r.grid;
  const assessment = {
    patientId, situation, pregnant, eventDate: eventDate || null, hospitalised, underInsulin,
    grid: grid.items.map((i) => ({ item: i.number, met: met.has(i.number) })),
  };
  // Eligibility reasons name the input field (input.situation, input.grid…).
  const reasonFor: Record<string, string> = {};
  for (const reason of checked?.checkESCAPEligibility.reasons ?? []) {
    const key = reason.field ?? '';
    const text = `${eligibilityReasonLabel[reason.code] ?? reason.code} (${reason.message})`;
    reasonFor[key] = reasonFor[key] ? reasonFor[key] + ' ; ' + text : text;
  }
  const checkErrs = fieldErrors(checkError);
  const at = (f: string) => reasonFor['input.' + f] ?? reasonFor[f] ?? checkErrs['input.' + f];
  const eligible = checked?.checkESCAPEligibility.eligible && JSON.stringify(checkVars?.input) === JSON.stringify(assessment);
  const createErrs = fieldErrors(created.error);
  return (
    <section>
      <h1>Nouvelle équipe ESCAP</h1>
      <form onSubmit={(e) => { e.preventDefault(); setCheckVars({ input: assessment }); }} noValidate>
        <h2>1. Éligibilité</h2>
        <PatientPicker value={patientId} onPick={setPatientId} error={at('patientId')} />
        <fieldset>
          <legend>Situation</legend>
          <Field label="Situation du patient" error={at('situation')}>
            {(id, d, i) => (
              <select id={id} aria-describedby={d} aria-invalid={i} value={situation} onChange={(e) => setSituation(e.currentTarget.value)}>
                <option value="">— choisir —</option>
                {r.situations.map((s) => <option key={s.code} value={s.code}>{s.label}</option>)}
              </select>
            )}
          </Field>
          {sit && sit.minAge > 0 && <p class="hint">À partir de {sit.minAge} ans.</p>}
          <div class="field"><label><input type="checkbox" checked={pregnant} onChange={(e) => { setPregnant(e.currentTarget.checked); setMet(new Set()); }} /> Patiente enceinte (grille de {r.pregnantGrid.size} items)</label>{at('pregnant') && <p class="field-error" role="alert">{at('pregnant')}</p>}</div>
          {sit && sit.eventWithinMonths > 0 && (
            <Field label="Date de l’événement" hint={`Moins de ${sit.eventWithinMonths} mois`} error={at('eventDate')}>
              {(id, d, i) => <input id={id} type="date" aria-describedby={d} aria-invalid={i} value={eventDate} onInput={(e) => setEventDate(e.currentTarget.value)} />}
            </Field>
          )}
          {sit?.requiresHospitalisation && (
            <div class="field"><label><input type="checkbox" checked={hospitalised} onChange={(e) => setHospitalised(e.currentTarget.checked)} /> Hospitalisation</label>{at('hospitalised') && <p class="field-error" role="alert">{at('hospitalised')}</p>}</div>
          )}
          {sit?.requiresInsulin && (
            <div class="field"><label><input type="checkbox" checked={underInsulin} onChange={(e) => setUnderInsulin(e.currentTarget.checked)} /> Sous insuline</label>{at('underInsulin') && <p class="field-error" role="alert">{at('underInsulin')}</p>}</div>
          )}
        </fieldset>
        <fieldset class="grid-items">
          <legend>Grille d’inclusion : {met.size} / {grid.size} (au moins {grid.threshold})</legend>
          {grid.items.map((item) => (
            <label key={item.number}>
              <input type="checkbox" checked={met.has(item.number)} onChange={(e) => {
                const next = new Set(met);
                if (e.currentTarget.checked) next.add(item.number); else next.delete(item.number);
                setMet(next);
              }} />
              <span>{item.number}. {item.label}</span>
            </label>
          ))}
          {at('grid') && <p class="field-error" role="alert">{at('grid')}</p>}
        </fieldset>
        <OperationError error={checkError} />
        <button type="submit" class="primary" disabled={checking}>Vérifier l’éligibilité</button>
        {checked && (
          <p class={checked.checkESCAPEligibility.eligible ? 'success' : 'error'} role="status">
            {checked.checkESCAPEligibility.eligible ? 'Éligible' : 'Non éligible'} : score {checked.checkESCAPEligibility.score} / {checked.checkESCAPEligibility.gridSize} (seuil {checked.checkESCAPEligibility.threshold}).
            {reasonFor[''] && ' ' + reasonFor['']}
          </p>
        )}
      </form>
      {eligible && (
        <div class="panel">
          <h2>2. Consentement du patient</h2>
          {consent.data ? (
            <p class="success" role="status">Consentement ({consentMethodLabel[consent.data.recordESCAPConsent.method].toLowerCase()}) enregistré le {formatDateTime(consent.data.recordESCAPConsent.givenAt)}.</p>
          ) : (
            <form onSubmit={async (e) => { e.preventDefault(); await recordConsent({ input: { patientId, method } }); }}>
              <Field label="Recueilli de façon" error={fieldErrors(consent.error)['input.method']}>
                {(id) => (
                  <select id={id} value={method} onChange={(e) => setMethod(e.currentTarget.value as ConsentMethod)}>
                    {Object.entries(consentMethodLabel).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
                  </select>
                )}
              </Field>
              <OperationError error={consent.error} />
              <button type="submit" class="primary" disabled={consent.fetching}>Enregistrer le consentement</button>
            </form>
          )}
        </div>
      )}
      {eligible && consent.data && (
        <form class="panel" onSubmit={async (e) => {
          e.preventDefault();
          const res = await create({ input: { assessment, consentId: consent.data!.recordESCAPConsent.id, territoryId, initiatorRole: role } });
          if (res.data) navigate(`/portal/escap/${res.data.createESCAP.id}`);
        }}>
          <h2>3. Créer l’équipe</h2>
          <div class="row">
            <Field label="Territoire de l’équipe" error={createErrs['input.territoryId']}>
              {(id, d, i) => (
                <select id={id} aria-describedby={d} aria-invalid={i} value={territoryId} onChange={(e) => setTerritoryId(e.currentTarget.value)}>
                  {territories.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
                </select>
              )}
            </Field>
            <Field label="Mon rôle dans l’équipe" error={createErrs['input.initiatorRole']}>
              {(id) => (
                <select id={id} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                  {Object.entries(teamRoles).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
                </select>
              )}
            </Field>
          </div>
          <OperationError error={created.error} />
          <button type="submit" class="primary" disabled={created.fetching}>Créer l’équipe</button>
        </form>
      )}
    </section>
  );
}
