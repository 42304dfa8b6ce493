// The signed-in shell: who I am (my memberships decide which pages I see),
// the navigation, and the routes of /portal/ and /dashboard/.
import { Route, Switch, Link, useLocation } from 'wouter-preact';
import { useQuery } from '@urql/preact';
import { graphql } from './gql';
import type { MeQuery } from './gql/graphql';
import { roleLabel } from './labels';
import { Home } from './portal/home';
import { LazyDashboards } from './dashboard/lazy';
import { MyReferrals } from './portal/referrals';
import { NewReferral } from './portal/new-referral';
import { ReferralPage } from './portal/referral';
import { Queue } from './portal/queue';
import { ESCAPList, NewESCAP } from './portal/escaps';
import { ESCAPPage } from './portal/escap';
import { NotificationPreferences } from './portal/notifications';

export const MeDoc = graphql(`
  query Me {
    me {
      login
      grants { role domain }
      professional {
        id firstName lastName profession specialty
        memberships(first: 50) { edges { node { id role structure { id name kind territory { id name } } } } }
      }
    }
  }
`);

/** The caller, as the pages use it. */
export type Me = MeQuery['me'];

/** The caller's memberships in ESSs, by structure. */
export function essMemberships(me: Me) {
  return (me.professional?.memberships.edges ?? []).map((e) => e.node).filter((m) => m.structure.kind === 'ESS');
}

export function App({ onSignOut }: { onSignOut: () => void }) {
  const [{ data, error }] = useQuery({ query: MeDoc });
  const [location] = useLocation();
  if (error) return <p role="alert" class="error">Impossible de lire votre compte : {error.message}</p>;
  if (!data) return <p class="loading" role="status">Chargement…</p>;
  const me = data.me;
  const name = me.professional ? `${me.professional.firstName} ${me.professional.lastName}` : me.login;
  const roles = (me.professional?.memberships.edges ?? []).map((e) => `${roleLabel[e.node.role] ?? e.node.role} — ${e.node.structure.name}`);
  return (
    <>
      <header class="top">
        <a class="brand" href="/portal/">Maillage</a>
        <nav aria-label="Navigation principale">
          <Link href="/portal/" class={location === '/portal/' ? 'active' : ''}>Accueil</Link>
          {me.professional && <Link href="/portal/demandes" class={location.startsWith('/portal/demandes') ? 'active' : ''}>Mes demandes</Link>}
          {essMemberships(me).map((m) => (
            <Link key={m.id} href={`/portal/ess/${m.structure.id}`} class={location === `/portal/ess/${m.structure.id}` ? 'active' : ''}>File de l’ESS</Link>
          ))}
          {me.professional && <Link href="/portal/escap" class={location.startsWith('/portal/escap') ? 'active' : ''}>ESCAP</Link>}
          {me.professional && <Link href="/portal/notifications" class={location === '/portal/notifications' ? 'active' : ''}>Mes notifications</Link>}
          <Link href="/dashboard/" class={location.startsWith('/dashboard/') ? 'active' : ''}>Tableaux de bord</Link>
        </nav>
        <div class="who">
          <span title={roles.join('\n')}>{name}</span>
          <button onClick={onSignOut}>Se déconnecter</button>
        </div>
      </header>
      <main class="page">
        <Switch>
          <Route path="/portal/"><Home me={me} /></Route>
          <Route path="/portal/demandes"><MyReferrals /></Route>
          <Route path="/portal/demandes/nouvelle"><NewReferral /></Route>
          <Route path="/portal/demandes/:id">{(p: { id: string }) => <ReferralPage id={p.id} />}</Route>
          <Route path="/portal/ess/:id">{(p: { id: string }) => <Queue essId={p.id} />}</Route>
          <Route path="/portal/escap"><ESCAPList /></Route>
          <Route path="/portal/escap/nouvelle"><NewESCAP me={me} /></Route>
          <Route path="/portal/escap/:id">{(p: { id: string }) => <ESCAPPage id={p.id} />}</Route>
          <Route path="/portal/notifications"><NotificationPreferences /></Route>
          <Route path="/dashboard/*?"><LazyDashboards me={me} /></Route>
          <Route><p>Page introuvable. <a href="/portal/">Retour à l’accueil</a></p></Route>
        </Switch>
      </main>
    </>
  );
}
