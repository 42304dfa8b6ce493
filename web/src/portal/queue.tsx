// An ESS's queue for its staff: the requests addressed to it, most urgent
// and oldest first, filtered by state, urgency and age; new requests and
// changes appear live (essQueueEvents).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { useQuery } from '@urql/preact';
import { graphql } from '../gql';
import type { ReferralState, Urgency } from '../gql/graphql';
import { formatAge, formatDateTime } from '../format';
import { referralStateLabel, urgencyLabel, modalityLabel } from '../labels';
import { Field, LiveBadge, OperationError, useLive } from '../ui';

const QueueDoc = graphql(`
  query ReferralQueue($essId: ID!, $filter: ReferralQueueFilter) {
    eventCursor
    structure(id: $essId) { id name }
    referralQueue(essId: $essId, filter: $filter, first: 100) {
      edges { node { id state urgency modality reason submittedAt patient { familyName givenNames } requester { firstName lastName } specialist { lastName } } }
    }
  }
`);

const QueueEventsDoc = graphql(`
  subscription QueueEvents($essId: ID!, $after: String) {
    essQueueEvents(essId: $essId, after: $after) { cursor type subjectId }
  }
`);

/** The state filter's choices: the open ones, or one state. */
const openStates: ReferralState[] = ['SUBMITTED', 'TRIAGED', 'ASSIGNED', 'SCHEDULED', 'ANSWERED'];
const ages: Record<string, [string, number]> = { '': ['Toutes', 0], '24h': ['Plus de 24 h', 24], '48h': ['Plus de 48 h', 48], '7j': ['Plus de 7 jours', 168] };

export function Queue({ essId }: { essId: string }) {
  const [state, setState] = useState<string>('open');
  const [urgency, setUrgency] = useState<string>('');
  const [age, setAge] = useState<string>('');
  const [mine, setMine] = useState(false);
  const [notice, setNotice] = useState('');
  const filter = useMemo(() => ({
    states: state === 'open' ? openStates : state === 'all' ? null : [state as ReferralState],
    urgencies: urgency ? [urgency as Urgency] : null,
    submittedBefore: ages[age][1] ? new Date(Date.now() - ages[age][1] * 3600_000).toISOString() : null,
    assignedToMe: mine || null,
  }), [state, urgency, age, mine]);
  const [{ data, error }, refetch] = useQuery({ query: QueueDoc, variables: { essId, filter } });
  // The cursor of the first load: events since then replay on reconnection.
  const [cursor, setCursor] = useState<string>();
  useEffect(() => { if (data && !cursor) setCursor(data.eventCursor); }, [data, cursor]);
  const live = useLive(QueueEventsDoc, { essId, after: cursor ?? null }, (ev) => {
    if (ev?.essQueueEvents.type === 'REFERRAL_SUBMIT') setNotice('Nouvelle demande reçue.');
    refetch({ requestPolicy: 'network-only' });
  }, !cursor);
  const rows = data?.referralQueue.edges.map((e) => e.node) ?? [];
  return (
    <section>
      <h1>File des demandes{data?.structure ? ` — ${data.structure.name}` : ''}</h1>
      <p><LiveBadge connected={live.fetching && !live.error} /> <span role="status" class="muted">{notice}</span></p>
      <form class="row filters" aria-label="Filtres" onSubmit={(e) => e.preventDefault()}>
        <Field label="État">
          {(id) => (
            <select id={id} value={state} onChange={(e) => setState(e.currentTarget.value)}>
              <option value="open">En cours</option>
              <option value="all">Tous</option>
              {Object.entries(referralStateLabel).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
            </select>
          )}
        </Field>
        <Field label="Urgence">
          {(id) => (
            <select id={id} value={urgency} onChange={(e) => setUrgency(e.currentTarget.value)}>
              <option value="">Toutes</option>
              {Object.entries(urgencyLabel).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
            </select>
          )}
        </Field>
        <Field label="Ancienneté">
          {(id) => (
            <select id={id} value={age} onChange={(e) => setAge(e.currentTarget.value)}>
              {Object.entries(ages).map(([k, [v]]) => <option key={k} value={k}>{v}</option>)}
            </select>
          )}
        </Field>
        <div class="field"><label><input type="checkbox" checked={mine} onChange={(e) => setMine(e.currentTarget.checked)} /> Attribuées à moi</label></div>
      </form>
      <OperationError error={error} />
      {data && rows.length === 0 && <p>Aucune demande ne correspond.</p>}
      {rows.length > 0 && (
        <table aria-label="Demandes reçues">
          <thead><tr><th>Reçue</th><th>Urgence</th><th>Patient</th><th>Demandeur</th><th>Motif</th><th>Modalité</th><th>État</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-referral={r.id}>
                <td title={formatDateTime(r.submittedAt)}>{formatAge(r.submittedAt)}</td>
                <td><span class={'badge ' + r.urgency}>{urgencyLabel[r.urgency]}</span></td>
                <td><Link href={`/portal/demandes/${r.id}`}>{r.patient ? `${r.patient.familyName} ${r.patient.givenNames}` : 'Patient'}</Link></td>
                <td>{r.requester ? `Dr ${r.requester.firstName} ${r.requester.lastName}` : '—'}</td>
                <td>{r.reason}</td>
                <td>{modalityLabel[r.modality]}</td>
                <td class="state">{referralStateLabel[r.state]}{r.specialist ? ` (Dr ${r.specialist.lastName})` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
