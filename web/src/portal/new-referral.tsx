// A new request: find the ESS of a specialty in a territory, pick one of my
// patients or record one, say why, how urgent, how; submitted with a client
// key, so a second click (or a retry) is the same request.
import { useState } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { useMutation, useQuery } from '@urql/preact';
import { graphql } from '../gql';
import type { Modality, RequesterKind, Sex, Urgency } from '../gql/graphql';
import { fieldErrors } from '../client';
import { formatDate } from '../format';
import { modalityLabel, requesterKindLabel, sexLabel, urgencyLabel } from '../labels';
import { Field, OperationError, newClientKey } from '../ui';

const FindESSDoc = graphql(`
  query FindESS($specialty: String, $within: ID, $territorySearch: String) {
    structures(filter: { kinds: [ESS], specialty: $specialty, within: $within }, first: 50) {
      totalCount edges { node { id name specialties territory { name } } }
    }
    territories(filter: { search: $territorySearch }, first: 20) { edges { node { id name level } } }
  }
`);

export const MyPatientsDoc = graphql(`
  query MyPatients($search: String) {
    patients(filter: { search: $search }, first: 50) { edges { node { id familyName givenNames birthDate sex ins gp { id lastName } } } }
  }
`);

const FindGPDoc = graphql(`
  query FindGP($search: String) {
    professionals(filter: { search: $search, profession: "Médecin" }, first: 15) { edges { node { id firstName lastName specialty } } }
  }
`);

export const CreatePatientDoc = graphql(`
  mutation CreatePatient($input: CreatePatientInput!) {
    createPatient(input: $input) { id familyName givenNames birthDate sex ins }
  }
`);

const SubmitDoc = graphql(`
  mutation SubmitReferral($input: SubmitReferralInput!) {
    submitReferral(input: $input) { id state }
  }
`);

const levelLabel: Record<string, string> = { NATION: 'France', REGION: 'Région', DEPARTMENT: 'Département', LOCAL: 'Territoire local' };

/** Picks one of my patients, or records a new one; calls onPick with its id. */
export function PatientPicker({ value, onPick, error }: { value: string; onPick: (id: string) => void; error?: string }) {
  const [search, setSearch] = useState('');
  const [{ data }, refetch] = useQuery({ query: MyPatientsDoc, variables: { search: search || null } });
  const [creating, setCreating] = useState(false);
  const [p, setP] = useState({ familyName: '', givenNames: '', birthDate: '', sex: 'F' as Sex, ins: '', gpId: '' });
  const [gpSearch, setGPSearch] = useState('');
  const [{ data: gps }] = useQuery({ query: FindGPDoc, variables: { search: gpSearch }, pause: gpSearch.trim().length < 2 });
  const [created, create] = useMutation(CreatePatientDoc);
  const errs = fieldErrors(created.error);
  const patients = data?.patients.edges.map((e) => e.node) ?? [];
  return (
    <fieldset>
      <legend>Patient</legend>
      <div class="row">
        <Field label="Rechercher parmi mes patients">
          {(id) => <input id={id} type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />}
        </Field>
        <Field label="Patient" error={error}>
          {(id, d, invalid) => (
            <select id={id} aria-describedby={d} aria-invalid={invalid} onChange={(e) => onPick(e.currentTarget.value)}>
              <option value="" selected={!value}>— choisir —</option>
              {patients.map((x) => <option key={x.id} value={x.id} selected={x.id === value}>{x.familyName} {x.givenNames}, né·e le {formatDate(x.birthDate)}{x.ins ? ` (INS ${x.ins})` : ''}</option>)}
            </select>
          )}
        </Field>
      </div>
      {!creating && <button type="button" onClick={() => setCreating(true)}>Enregistrer un nouveau patient</button>}
      {creating && (
        <div class="panel">
          <h3>Nouveau patient</h3>
          <div class="row">
            <Field label="Nom de naissance" error={errs['input.familyName']}>
              {(id, d, i) => <input id={id} aria-describedby={d} aria-invalid={i} value={p.familyName} onInput={(e) => setP({ ...p, familyName: e.currentTarget.value })} />}
            </Field>
            <Field label="Prénoms" error={errs['input.givenNames']}>
              {(id, d, i) => <input id={id} aria-describedby={d} aria-invalid={i} value={p.givenNames} onInput={(e) => setP({ ...p, givenNames: e.currentTarget.value })} />}
            </Field>
            <Field label="Date de naissance" error={errs['input.birthDate']}>
              {(id, d, i) => <input id={id} type="date" aria-describedby={d} aria-invalid={i} value={p.birthDate} onInput={(e) => setP({ ...p, birthDate: e.currentTarget.value })} />}
            </Field>
            <Field label="Sexe" error={errs['input.sex']}>
              {(id) => (
                <select id={id} value={p.sex} onChange={(e) => setP({ ...p, sex: e.currentTarget.value as Sex })}>
                  {(['F', 'M', 'U'] as Sex[]).map((s) => <option key={s} value={s}>{sexLabel[s]}</option>)}
                </select>
              )}
            </Field>
            <Field label="INS (15 caractères)" error={errs['input.ins']} hint="Matricule INS avec sa clé, s’il est connu">
              {(id, d, i) => <input id={id} aria-describedby={d} aria-invalid={i} value={p.ins} inputMode="numeric" onInput={(e) => setP({ ...p, ins: e.currentTarget.value })} />}
            </Field>
            <Field label="Rechercher le médecin traitant" hint="Nom, 2 caractères au moins">
              {(id, d) => <input id={id} type="search" aria-describedby={d} value={gpSearch} onInput={(e) => setGPSearch(e.currentTarget.value)} />}
            </Field>
            <Field label="Médecin traitant" error={errs['input.gpId']}>
              {(id, d, i) => (
                <select id={id} aria-describedby={d} aria-invalid={i} value={p.gpId} onChange={(e) => setP({ ...p, gpId: e.currentTarget.value })}>
                  <option value="">— non renseigné —</option>
                  {gps?.professionals.edges.map(({ node: g }) => <option key={g.id} value={g.id}>Dr {g.firstName} {g.lastName}{g.specialty ? ` (${g.specialty})` : ''}</option>)}
                </select>
              )}
            </Field>
          </div>
          <OperationError error={created.error} />
          <button type="button" class="primary" disabled={created.fetching} onClick={async () => {
            const res = await create({ input: { familyName: p.familyName, givenNames: p.givenNames, birthDate: p.birthDate, sex: p.sex, ins: p.ins || null, gpId: p.gpId || null } });
            if (res.data) {
              refetch({ requestPolicy: 'network-only' });
              onPick(res.data.createPatient.id);
              setCreating(false);
            }
          }}>Enregistrer le patient</button>
        </div>
      )}
    </fieldset>
  );
}

export function NewReferral() {
  const [, navigate] = useLocation();
  const [specialty, setSpecialty] = useState('');
  const [territorySearch, setTerritorySearch] = useState('');
  const [within, setWithin] = useState('');
  const [{ data: found }] = useQuery({
    query: FindESSDoc,
    variables: { specialty: specialty.trim() || null, within: within || null, territorySearch: territorySearch.trim() || null },
  });
  const [essId, setEssId] = useState('');
  const [patientId, setPatientId] = useState('');
  const [kind, setKind] = useState<RequesterKind>('TREATING_GP');
  const [reason, setReason] = useState('');
  const [urgency, setUrgency] = useState<Urgency>('ROUTINE');
  const [modality, setModality] = useState<Modality>('IN_PERSON');
  const [attachment, setAttachment] = useState({ reference: '', mediaType: 'application/pdf', sizeKB: '' });
  // One key per form: double clicks and retries submit the same request.
  const [clientKey] = useState(newClientKey);
  const [submitted, submit] = useMutation(SubmitDoc);
  const errs = fieldErrors(submitted.error);
  const essList = found?.structures.edges.map((e) => e.node) ?? [];

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (submitted.fetching) return;
    const res = await submit({
      input: {
        clientKey, essId, patientId, requesterKind: kind, reason, urgency, modality,
        attachments: attachment.reference.trim()
          ? [{ reference: attachment.reference.trim(), mediaType: attachment.mediaType, size: Math.round(Number(attachment.sizeKB.replace(',', '.')) * 1024) || 0 }]
          : null,
      },
    });
    if (res.data) navigate(`/portal/demandes/${res.data.submitReferral.id}`);
  };

  return (
    <section>
      <h1>Nouvelle demande d’adressage</h1>
      <form onSubmit={onSubmit} noValidate>
        <fieldset>
          <legend>Trouver l’ESS</legend>
          <div class="row">
            <Field label="Spécialité" hint="Par exemple : dermatologie, cardiologie">
              {(id, d) => <input id={id} aria-describedby={d} value={specialty} onInput={(e) => setSpecialty(e.currentTarget.value)} />}
            </Field>
            <Field label="Rechercher un territoire">
              {(id) => <input id={id} type="search" value={territorySearch} onInput={(e) => setTerritorySearch(e.currentTarget.value)} />}
            </Field>
            <Field label="Territoire">
              {(id) => (
                <select id={id} value={within} onChange={(e) => setWithin(e.currentTarget.value)}>
                  <option value="">Toute la France</option>
                  {found?.territories.edges.map(({ node: t }) => <option key={t.id} value={t.id}>{t.name} ({levelLabel[t.level]})</option>)}
                </select>
              )}
            </Field>
          </div>
          <Field label="ESS" error={errs['input.essId']}>
            {(id, d, i) => (
              <select id={id} aria-describedby={d} aria-invalid={i} value={essId} onChange={(e) => setEssId(e.currentTarget.value)}>
                <option value="">— {essList.length} ESS trouvée(s) —</option>
                {essList.map((s) => <option key={s.id} value={s.id}>{s.name} — {s.specialties.join(', ')} ({s.territory.name})</option>)}
              </select>
            )}
          </Field>
        </fieldset>
        <PatientPicker value={patientId} onPick={setPatientId} error={errs['input.patientId']} />
        <fieldset>
          <legend>Demande</legend>
          <Field label="J’adresse en tant que" error={errs['input.requesterKind']}>
            {(id, d, i) => (
              <select id={id} aria-describedby={d} aria-invalid={i} value={kind} onChange={(e) => setKind(e.currentTarget.value as RequesterKind)}>
                {Object.entries(requesterKindLabel).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
              </select>
            )}
          </Field>
          <Field label="Motif" error={errs['input.reason']}>
            {(id, d, i) => <textarea id={id} aria-describedby={d} aria-invalid={i} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
          </Field>
          <div class="row">
            <Field label="Urgence" error={errs['input.urgency']}>
              {(id) => (
                <select id={id} value={urgency} onChange={(e) => setUrgency(e.currentTarget.value as Urgency)}>
                  {Object.entries(urgencyLabel).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
                </select>
              )}
            </Field>
            <Field label="Modalité souhaitée" error={errs['input.modality']}>
              {(id) => (
                <select id={id} value={modality} onChange={(e) => setModality(e.currentTarget.value as Modality)}>
                  {Object.entries(modalityLabel).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
                </select>
              )}
            </Field>
          </div>
          <div class="row">
            <Field label="Pièce jointe (référence)" hint="Où se trouve le document : DMP, message MSSanté… Le hub n’en garde que la description." error={errs['input.attachments'] ?? errs['input.attachments.0.reference']}>
              {(id, d, i) => <input id={id} aria-describedby={d} aria-invalid={i} value={attachment.reference} onInput={(e) => setAttachment({ ...attachment, reference: e.currentTarget.value })} />}
            </Field>
            {attachment.reference.trim() && (
              <>
                <Field label="Type du document" error={errs['input.attachments.0.mediaType']}>
                  {(id) => (
                    <select id={id} value={attachment.mediaType} onChange={(e) => setAttachment({ ...attachment, mediaType: e.currentTarget.value })}>
                      <option value="application/pdf">PDF</option>
                      <option value="image/jpeg">Image JPEG</option>
                      <option value="image/png">Image PNG</option>
                    </select>
                  )}
                </Field>
                <Field label="Taille (ko)" error={errs['input.attachments.0.size']}>
                  {(id, d, i) => <input id={id} aria-describedby={d} aria-invalid={i} inputMode="decimal" value={attachment.sizeKB} onInput={(e) => setAttachment({ ...attachment, sizeKB: e.currentTarget.value })} />}
                </Field>
              </>
            )}
          </div>
        </fieldset>
        <OperationError error={submitted.error} />
        <button type="submit" class="primary" disabled={submitted.fetching}>Envoyer la demande</button>
      </form>
    </section>
  );
}
