// One request, as its requester, the ESS's staff or its specialist sees it:
// what was asked, where it stands, its history, followed live; and the
// actions the hub allows this caller now (Referral.myActions), each with
// what it needs.
import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import { graphql } from '../gql';
import type { Modality, PathwayKind, RedirectTarget, ReferralAction, TransitionReferralInput } from '../gql/graphql';
import { fieldErrors } from '../client';
import { formatDate, formatDateTime, formatNumber, parisLocalToISO } from '../format';
import { actorLabel, modalityLabel, pathwayLabel, referralActionLabel, referralStateLabel, requesterKindLabel, urgencyLabel } from '../labels';
import { Field, LiveBadge, OperationError, useLive } from '../ui';
import { ReferralEventsDoc } from './referrals';

const ReferralDoc = graphql(`
  query Referral($id: ID!) {
    eventCursor
    referral(id: $id) {
      id state urgency modality reason requesterKind submittedAt updatedAt myActions
      appointmentAt answer answerModality declineReason redirectTarget pathway supportiveCare etpProgramme
      attachments { reference mediaType size }
      ess { id name members(role: SPECIALIST, first: 50) { edges { node { professional { id firstName lastName specialty } } } } }
      patient { id familyName givenNames birthDate ins }
      requester { id firstName lastName }
      specialist { id firstName lastName }
      redirectedTo { id ess { name } }
      redirectedFrom { id ess { name } }
      history { action fromState toState authorRole comment createdAt author { firstName lastName } }
    }
  }
`);

const TransitionDoc = graphql(`
  mutation TransitionReferral($input: TransitionReferralInput!) {
    transitionReferral(input: $input) { id state myActions updatedAt }
  }
`);

const OtherESSDoc = graphql(`
  query OtherESS { structures(filter: { kinds: [ESS] }, first: 100) { edges { node { id name } } } }
`);

/** The button label of each action. */
const actionButton: Record<string, string> = {
  TRIAGE: 'Trier la demande', ASSIGN: 'Attribuer', SCHEDULE: 'Fixer le rendez-vous', ANSWER: 'Envoyer la réponse',
  FOLLOW_UP: 'Enregistrer le suivi', CLOSE: 'Clôturer', REDIRECT: 'Réorienter', DECLINE: 'Refuser la demande', WITHDRAW: 'Retirer ma demande',
};

export function ReferralPage({ id }: { id: string }) {
  const [{ data, error }, refetch] = useQuery({ query: ReferralDoc, variables: { id } });
  const cursor = data?.eventCursor;
  const live = useLive(ReferralEventsDoc, { id, after: cursor ?? null }, () => refetch({ requestPolicy: 'network-only' }), !cursor);
  if (error && !data) return <OperationError error={error} />;
  if (!data) return <p role="status">Chargement…</p>;
  const r = data.referral;
  if (!r) return <p class="error" role="alert">Cette demande n’existe pas ou vous n’y avez pas accès.</p>;
  const specialists = r.ess?.members.edges.map((e) => e.node.professional) ?? [];
  return (
    <section>
      <h1>Demande à {r.ess?.name}</h1>
      <p>
        État : <strong class="state" data-state={r.state}>{referralStateLabel[r.state]}</strong>{' '}
        <LiveBadge connected={live.fetching && !live.error} />
      </p>
      <div class="panel">
        <dl class="facts">
          <dt>Patient</dt><dd>{r.patient ? `${r.patient.familyName} ${r.patient.givenNames}, né·e le ${formatDate(r.patient.birthDate)}${r.patient.ins ? `, INS ${r.patient.ins}` : ''}` : '—'}</dd>
          <dt>Demandeur</dt><dd>{r.requester ? `Dr ${r.requester.firstName} ${r.requester.lastName}` : '—'} ({requesterKindLabel[r.requesterKind]})</dd>
          <dt>Motif</dt><dd>{r.reason}</dd>
          <dt>Urgence</dt><dd><span class={'badge ' + r.urgency}>{urgencyLabel[r.urgency]}</span></dd>
          <dt>Modalité souhaitée</dt><dd>{modalityLabel[r.modality]}</dd>
          <dt>Envoyée le</dt><dd>{formatDateTime(r.submittedAt)}</dd>
          {r.attachments.length > 0 && (<><dt>Pièces jointes</dt><dd>{r.attachments.map((a) => <div key={a.reference}>{a.reference} ({a.mediaType}, {formatNumber(Math.round(a.size / 1024))} ko)</div>)}</dd></>)}
          {r.specialist && (<><dt>Spécialiste</dt><dd>Dr {r.specialist.firstName} {r.specialist.lastName}</dd></>)}
          {r.appointmentAt && (<><dt>Rendez-vous</dt><dd>{formatDateTime(r.appointmentAt)}</dd></>)}
          {r.answer && (<><dt>Réponse</dt><dd class="answer">{r.answer}{r.answerModality && ` (${modalityLabel[r.answerModality]})`}</dd></>)}
          {r.pathway && (<><dt>Suivi</dt><dd>{pathwayLabel[r.pathway]}{r.supportiveCare && ` ; soins de support : ${r.supportiveCare}`}{r.etpProgramme && ` ; ETP : ${r.etpProgramme}`}</dd></>)}
          {r.declineReason && (<><dt>Motif du refus</dt><dd>{r.declineReason}</dd></>)}
          {r.redirectTarget && (<><dt>Réorientée vers</dt><dd>{r.redirectTarget === 'PRIMARY_CARE' ? 'le médecin traitant' : r.redirectedTo?.ess?.name ?? 'une autre ESS'}</dd></>)}
          {r.redirectedFrom && (<><dt>Réorientée depuis</dt><dd>{r.redirectedFrom.ess?.name}</dd></>)}
        </dl>
      </div>
      {r.myActions.length > 0 && (
        <div class="panel">
          <h2>Actions</h2>
          {r.myActions.map((a) => <Action key={a} id={r.id} action={a} specialists={specialists} />)}
        </div>
      )}
      <h2>Historique</h2>
      <ol class="timeline" aria-label="Historique de la demande">
        {r.history.map((h, i) => (
          <li key={i}>
            <strong>{referralActionLabel[h.action]}</strong> → {referralStateLabel[h.toState]}
            <span class="muted"> — {formatDateTime(h.createdAt)}, {h.author ? `${h.author.firstName} ${h.author.lastName}` : ''} ({actorLabel[h.authorRole]})</span>
            {h.comment && <div>« {h.comment} »</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}

type Pro = { id: string; firstName: string; lastName: string; specialty?: string | null };

/** One action's form: its required inputs and its button. */
function Action({ id, action, specialists }: { id: string; action: ReferralAction; specialists: Pro[] }) {
  const [state, transition] = useMutation(TransitionDoc);
  const [comment, setComment] = useState('');
  const [reason, setReason] = useState('');
  const [specialistId, setSpecialistId] = useState('');
  const [appointment, setAppointment] = useState('');
  const [answer, setAnswer] = useState('');
  const [answerModality, setAnswerModality] = useState<Modality | ''>('');
  const [target, setTarget] = useState<RedirectTarget>('PRIMARY_CARE');
  const [redirectEssId, setRedirectEssId] = useState('');
  const [pathway, setPathway] = useState<PathwayKind | ''>('');
  const [supportiveCare, setSupportiveCare] = useState('');
  const [etp, setEtp] = useState('');
  const [{ data: others }] = useQuery({ query: OtherESSDoc, pause: action !== 'REDIRECT' });
  const errs = fieldErrors(state.error);
  const text = (v: string) => (v.trim() ? v : null);

  const run = async (e: Event) => {
    e.preventDefault();
    const input: TransitionReferralInput = { id, action, comment: text(comment) };
    if (action === 'ASSIGN') input.specialistId = specialistId || null;
    if (action === 'SCHEDULE') input.appointmentAt = appointment ? parisLocalToISO(appointment) : null;
    if (action === 'ANSWER') { input.answer = text(answer); input.answerModality = answerModality || null; }
    if (action === 'DECLINE') input.reason = text(reason);
    if (action === 'REDIRECT') { input.redirectTarget = target; input.redirectEssId = target === 'ESS' ? redirectEssId || null : null; }
    if (action === 'FOLLOW_UP') input.followUp = { pathway: pathway || null, supportiveCare: text(supportiveCare), etpProgramme: text(etp) };
    await transition({ input });
  };
  const commentLabel = action === 'REDIRECT' ? 'Commentaire (obligatoire)' : 'Commentaire';
  return (
    <form class="action" onSubmit={run} noValidate aria-label={referralActionLabel[action]}>
      <h3>{referralActionLabel[action]}</h3>
      {action === 'ASSIGN' && (
        <Field label="Spécialiste de l’ESS" error={errs['input.specialistId']}>
          {(fid, d, i) => (
            <select id={fid} aria-describedby={d} aria-invalid={i} value={specialistId} onChange={(e) => setSpecialistId(e.currentTarget.value)}>
              <option value="">— choisir —</option>
              {specialists.map((p) => <option key={p.id} value={p.id}>Dr {p.firstName} {p.lastName}{p.specialty ? ` (${p.specialty})` : ''}</option>)}
            </select>
          )}
        </Field>
      )}
      {action === 'SCHEDULE' && (
        <Field label="Date et heure du rendez-vous (heure de Paris)" error={errs['input.appointmentAt']}>
          {(fid, d, i) => <input id={fid} type="datetime-local" aria-describedby={d} aria-invalid={i} value={appointment} onInput={(e) => setAppointment(e.currentTarget.value)} />}
        </Field>
      )}
      {action === 'ANSWER' && (
        <>
          <Field label="Réponse" error={errs['input.answer']}>
            {(fid, d, i) => <textarea id={fid} aria-describedby={d} aria-invalid={i} value={answer} onInput={(e) => setAnswer(e.currentTarget.value)} />}
          </Field>
          <Field label="Modalité de la réponse" error={errs['input.answerModality']}>
            {(fid) => (
              <select id={fid} value={answerModality} onChange={(e) => setAnswerModality(e.currentTarget.value as Modality)}>
                <option value="">Celle demandée</option>
                {Object.entries(modalityLabel).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
              </select>
            )}
          </Field>
        </>
      )}
      {action === 'DECLINE' && (
        <Field label="Motif du refus" error={errs['input.reason']}>
          {(fid, d, i) => <textarea id={fid} aria-describedby={d} aria-invalid={i} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />}
        </Field>
      )}
      {action === 'REDIRECT' && (
        <div class="row">
          <Field label="Réorienter vers" error={errs['input.redirectTarget']}>
            {(fid) => (
              <select id={fid} value={target} onChange={(e) => setTarget(e.currentTarget.value as RedirectTarget)}>
                <option value="PRIMARY_CARE">Le médecin traitant (soins primaires)</option>
                <option value="ESS">Une autre ESS</option>
              </select>
            )}
          </Field>
          {target === 'ESS' && (
            <Field label="ESS" error={errs['input.redirectEssId']}>
              {(fid, d, i) => (
                <select id={fid} aria-describedby={d} aria-invalid={i} value={redirectEssId} onChange={(e) => setRedirectEssId(e.currentTarget.value)}>
                  <option value="">— choisir —</option>
                  {others?.structures.edges.map(({ node }) => <option key={node.id} value={node.id}>{node.name}</option>)}
                </select>
              )}
            </Field>
          )}
        </div>
      )}
      {action === 'FOLLOW_UP' && (
        <div class="row">
          <Field label="Parcours" error={errs['input.followUp.pathway'] ?? errs['input.followUp']}>
            {(fid) => (
              <select id={fid} value={pathway} onChange={(e) => setPathway(e.currentTarget.value as PathwayKind)}>
                <option value="">—</option>
                {Object.entries(pathwayLabel).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
              </select>
            )}
          </Field>
          <Field label="Soins de support" error={errs['input.followUp.supportiveCare']}>
            {(fid) => <input id={fid} value={supportiveCare} onInput={(e) => setSupportiveCare(e.currentTarget.value)} />}
          </Field>
          <Field label="Programme d’ETP" error={errs['input.followUp.etpProgramme']}>
            {(fid) => <input id={fid} value={etp} onInput={(e) => setEtp(e.currentTarget.value)} />}
          </Field>
        </div>
      )}
      <Field label={commentLabel} error={errs['input.comment']}>
        {(fid, d, i) => <input id={fid} aria-describedby={d} aria-invalid={i} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />}
      </Field>
      <OperationError error={state.error} />
      <button type="submit" class={action === 'DECLINE' || action === 'WITHDRAW' ? 'danger' : 'primary'} disabled={state.fetching}>{actionButton[action]}</button>
    </form>
  );
}
