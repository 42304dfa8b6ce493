// The ESS dashboard: the requests of the last twelve months by state,
// requester kind and modality, the delays to triage and to answer, the
// share answered the same day and the age of the waiting queue. Live for the
// ESS's staff: every change of a request in the queue refetches the figures.
import { useMemo } from 'preact/hooks';
import { useQuery, useSubscription } from '@urql/preact';
import { graphql } from '../gql';
import { generalError } from '../client';
import { lastMonths, monthRange } from './months';
import { ReferralCharts } from './referrals';

const ESSDashboardDoc = graphql(`
  query ESSDashboard($essId: ID!, $from: Time!, $to: Time!) {
    structure(id: $essId) { id name territory { name } }
    referralStats(essId: $essId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }
  }
`);

const ESSQueueEventsDoc = graphql(`
  subscription ESSDashboardEvents($essId: ID!) {
    essQueueEvents(essId: $essId) { cursor type at }
  }
`);

export function ESSDashboard({ essId, staff }: { essId: string; staff: boolean }) {
  const months = useMemo(() => lastMonths(), []);
  const range = useMemo(() => monthRange(months), [months]);
  const [{ data, error, fetching }, refetch] = useQuery({ query: ESSDashboardDoc, variables: { essId, from: range.from, to: range.to } });
  const [live] = useSubscription({ query: ESSQueueEventsDoc, variables: { essId }, pause: !staff }, (_prev, ev) => {
    refetch({ requestPolicy: 'network-only' });
    return ev;
  });
  if (error) return <p role="alert" class="error">{generalError(error)}</p>;
  if (!data) return <p class="loading" role="status">Chargement des chiffres…</p>;
  return (
    <section aria-labelledby="ess-title">
      <h2 id="ess-title">{data.structure?.name ?? 'ESS'} — activité des douze derniers mois</h2>
      <p class="muted">
        Demandes reçues par mois (heure de Paris), d’après le hub.{' '}
        {staff ? <span class="live" role="status">{live.data ? 'Mis à jour en direct' : 'Suivi en direct actif'}</span> : <button type="button" onClick={() => refetch({ requestPolicy: 'network-only' })} disabled={fetching}>Actualiser</button>}
      </p>
      <ReferralCharts stats={data.referralStats} months={months} />
    </section>
  );
}
