// The requester's pages: my requests, followed live, and the link to a new one.
import { Link } from 'wouter-preact';
import { useQuery } from '@urql/preact';
import { graphql } from '../gql';
import { formatDateTime } from '../format';
import { referralStateLabel, urgencyLabel, modalityLabel } from '../labels';
import { LiveBadge, OperationError, useLive } from '../ui';

const MyReferralsDoc = graphql(`
  query MyReferrals {
    eventCursor
    myReferrals(first: 50) {
      edges { node { id state urgency modality reason submittedAt updatedAt ess { id name } patient { id familyName givenNames } } }
    }
  }
`);

export const ReferralEventsDoc = graphql(`
  subscription ReferralEvents($id: ID!, $after: String) {
    referralEvents(referralId: $id, after: $after) { cursor type }
  }
`);

/** Refetches when something happens to one request (one subscription per row). */
function FollowRow({ id, after, onEvent }: { id: string; after: string; onEvent: () => void }) {
  useLive(ReferralEventsDoc, { id, after }, onEvent);
  return null;
}

const ended = new Set(['CLOSED', 'REDIRECTED', 'DECLINED', 'WITHDRAWN']);

export function MyReferrals() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: MyReferralsDoc });
  const rows = data?.myReferrals.edges.map((e) => e.node) ?? [];
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return (
    <section>
      <h1>Mes demandes d’adressage</h1>
      <p><Link class="button primary" href="/portal/demandes/nouvelle">Nouvelle demande</Link> <LiveBadge connected={!!data} /></p>
      <OperationError error={error} />
      {data && rows.length === 0 && <p>Aucune demande pour l’instant.</p>}
      {rows.length > 0 && (
        <table aria-label="Mes demandes">
          <thead><tr><th>Patient</th><th>ESS</th><th>Motif</th><th>Urgence</th><th>Modalité</th><th>État</th><th>Mise à jour</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-referral={r.id}>
                <td><Link href={`/portal/demandes/${r.id}`}>{r.patient ? `${r.patient.familyName} ${r.patient.givenNames}` : 'Patient'}</Link></td>
                <td>{r.ess?.name}</td>
                <td>{r.reason}</td>
                <td><span class={'badge ' + r.urgency}>{urgencyLabel[r.urgency]}</span></td>
                <td>{modalityLabel[r.modality]}</td>
                <td class="state">{referralStateLabel[r.state]}</td>
                <td>{formatDateTime(r.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && rows.filter((r) => !ended.has(r.state)).map((r) => <FollowRow key={r.id} id={r.id} after={data.eventCursor} onEvent={refresh} />)}
      {fetching && !data && <p role="status">Chargement…</p>}
    </section>
  );
}
