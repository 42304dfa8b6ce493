// The dashboards at /dashboard/: which ones the caller gets follows from
// their memberships and grants — a CPTS, DAC or PTA coordinator gets their
// territory's, an ESS's staff the ESS's, an ARS agent (or a national
// administrator) each region's. /dashboard/ opens the first one.
import { useQuery } from '@urql/preact';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter-preact';
import { graphql } from '../gql';
import type { Me } from '../app';
import { CoordinatorDashboard } from './cpts';
import { ESSDashboard } from './ess';
import { RegionDashboard } from './ars';
import './dashboard.css';

const RegionsDoc = graphql(`
  query DashboardRegions { territories(filter: { level: REGION }, first: 50) { edges { node { id name path } } } }
`);

interface View { href: string; label: string }

const coordinatorKinds = ['CPTS', 'DAC', 'PTA'];

/** The dashboards of the caller. */
export default function Dashboards({ me }: { me: Me }) {
  const memberships = (me.professional?.memberships.edges ?? []).map((e) => e.node);
  const coordinated = memberships.filter((m) => m.role === 'COORDINATOR' && coordinatorKinds.includes(m.structure.kind));
  const ess = memberships.filter((m) => m.structure.kind === 'ESS');
  const agentDomains = me.grants.filter((g) => g.role === 'ars_agent' || g.role === 'national_admin').map((g) => g.domain);
  const [{ data: regions }] = useQuery({ query: RegionsDoc, pause: agentDomains.length === 0 });
  const within = (path: string) => agentDomains.some((d) => path === d || path.startsWith(d + '/'));
  const agentRegions = (regions?.territories.edges ?? []).map((e) => e.node).filter((t) => within(t.path));
  const views: View[] = [
    ...coordinated.map((m) => ({ href: `/dashboard/territoire/${m.structure.id}`, label: m.structure.name })),
    ...ess.map((m) => ({ href: `/dashboard/ess/${m.structure.id}`, label: m.structure.name })),
    ...agentRegions.map((t) => ({ href: `/dashboard/region/${t.id}`, label: `ARS — ${t.name}` })),
  ];
  const [location] = useLocation();
  const waiting = agentDomains.length > 0 && !regions;
  return (
    <div class="dashboards">
      <h1>Tableaux de bord</h1>
      {views.length > 1 && (
        <nav class="tabs" aria-label="Tableaux de bord">
          {views.map((v) => <Link href={v.href} class={location.startsWith(v.href) ? 'active' : ''} aria-current={location.startsWith(v.href) ? 'page' : undefined}>{v.label}</Link>)}
        </nav>
      )}
      <Switch>
        <Route path="/dashboard/territoire/:id">
          {(p: { id: string }) => {
            const m = coordinated.find((c) => c.structure.id === p.id);
            return m ? <CoordinatorDashboard key={p.id} territoryId={m.structure.territory.id} structureName={m.structure.name} /> : <NotYours />;
          }}
        </Route>
        <Route path="/dashboard/ess/:id">
          {(p: { id: string }) => (ess.some((m) => m.structure.id === p.id) ? <ESSDashboard key={p.id} essId={p.id} staff /> : <NotYours />)}
        </Route>
        <Route path="/dashboard/region/:id">
          {(p: { id: string }) => (waiting ? <p class="loading" role="status">Chargement…</p> : agentRegions.some((t) => t.id === p.id) ? <RegionDashboard key={p.id} territoryId={p.id} /> : <NotYours />)}
        </Route>
        <Route>
          {waiting ? <p class="loading" role="status">Chargement…</p>
            : views.length > 0 ? <Redirect to={views[0].href} replace />
            : <p>Aucun tableau de bord pour votre compte : ils sont réservés à la coordination des CPTS, DAC et PTA, aux équipes des ESS et aux agents des ARS.</p>}
        </Route>
      </Switch>
    </div>
  );
}

function NotYours() {
  return <p>Ce tableau de bord n’est pas le vôtre. <a href="/dashboard/">Vos tableaux de bord</a></p>;
}
