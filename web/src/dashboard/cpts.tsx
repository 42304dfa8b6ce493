// The CPTS / DAC coordinator's dashboard: the territory's directory
// (structures by kind, members, links, MSSanté addresses, search), ESCAP
// entries and exits, active teams, incentives per professional for a year,
// and the live activity feed of the territory (which also refreshes the
// directory when a structure, a link or a membership changes).
import { useMemo, useState } from 'preact/hooks';
import { useQuery, useSubscription } from '@urql/preact';
import { graphql } from '../gql';
import { generalError } from '../client';
import { formatDateTime, formatNumber } from '../format';
import { roleLabel } from '../labels';
import { DataTable } from './figure';
import { ESCAPCharts, SituationsDoc } from './escap';
import { lastMonths, monthRange } from './months';
import { activityLabel, linkKindLabel, structureKindLabel } from './territory-labels';

const CoordinatorDashboardDoc = graphql(`
  query CoordinatorDashboard($territoryId: ID!, $from: String!, $to: String!, $year: Int!) {
    territory(id: $territoryId) { id name path }
    escapStats(territoryId: $territoryId, from: $from, to: $to) { ...ESCAPFigures }
    escapIncentives(territoryId: $territoryId, year: $year) {
      professional { id firstName lastName profession }
      teams countedTeams overCap toolInUse teamsEuros toolEuros totalEuros
    }
  }
`);

const DirectoryDoc = graphql(`
  query TerritoryDirectory($territoryId: ID!, $search: String) {
    structures(filter: { within: $territoryId, search: $search }, first: 40) {
      totalCount
      edges { node {
        id kind name mssante commune
        territory { id name }
        members(first: 15) { totalCount edges { node { id role professional { id firstName lastName profession mssante } } } }
        links { id kind from { id name } to { id name } }
      } }
    }
  }
`);

const ActivityDoc = graphql(`
  subscription TerritoryActivityFeed($territoryId: ID!) {
    territoryActivity(territoryId: $territoryId) { cursor type subjectId domain at }
  }
`);

export function CoordinatorDashboard({ territoryId, structureName }: { territoryId: string; structureName: string }) {
  const months = useMemo(() => lastMonths(), []);
  const range = useMemo(() => monthRange(months), [months]);
  const thisYear = +months[months.length - 1].slice(0, 4);
  const [year, setYear] = useState(thisYear);
  const [{ data, error }] = useQuery({ query: CoordinatorDashboardDoc, variables: { territoryId, from: range.fromDay, to: range.toDay, year } });
  const [{ data: rules }] = useQuery({ query: SituationsDoc });
  const situations = useMemo(() => Object.fromEntries((rules?.escapRules.situations ?? []).map((s) => [s.code, s.label])), [rules]);
  if (error) return <p role="alert" class="error">{generalError(error)}</p>;
  if (!data) return <p class="loading" role="status">Chargement des chiffres…</p>;
  const years = Array.from({ length: thisYear - 2025 + 1 }, (_, i) => 2025 + i);
  const incentives = [...data.escapIncentives].sort((a, b) => (a.professional?.lastName ?? '').localeCompare(b.professional?.lastName ?? '', 'fr'));
  return (
    <section aria-labelledby="coord-title">
      <h2 id="coord-title">{structureName} — territoire {data.territory?.name}</h2>
      <ActivityFeed territoryId={territoryId} />
      <Directory territoryId={territoryId} />
      <h2>ESCAP — douze derniers mois</h2>
      <ESCAPCharts stats={data.escapStats} months={months} situations={situations} />
      <div class="field inline">
        <label for="incentive-year">Année des incitations</label>
        <select id="incentive-year" value={year} onChange={(e) => setYear(+(e.target as HTMLSelectElement).value)}>
          {years.map((y) => <option value={y}>{y}</option>)}
        </select>
      </div>
      <DataTable title={`Incitations ESCAP ${year} par professionnel`} sortable
        header={['Professionnel', 'Profession', 'Équipes', 'Équipes comptées', 'Au-delà du plafond', 'Outil utilisé', 'Équipes (€)', 'Outil (€)', 'Total (€)']}
        rows={incentives.map((i) => ({
          cells: [
            i.professional ? `${i.professional.lastName} ${i.professional.firstName}` : '—', i.professional?.profession ?? '—',
            String(i.teams), String(i.countedTeams), i.overCap ? 'oui' : 'non', i.toolInUse ? 'oui' : 'non',
            String(i.teamsEuros), String(i.toolEuros), String(i.totalEuros),
          ],
          sort: [i.professional?.lastName ?? '', i.professional?.profession ?? '', i.teams, i.countedTeams, +i.overCap, +i.toolInUse, i.teamsEuros, i.toolEuros, i.totalEuros],
        }))} />
    </section>
  );
}

/** The directory of the territory, refreshed by the activity feed. */
function Directory({ territoryId }: { territoryId: string }) {
  const [search, setSearch] = useState('');
  const [{ data, error }, refetch] = useQuery({ query: DirectoryDoc, variables: { territoryId, search: search.trim() || null } });
  useSubscription({ query: ActivityDoc, variables: { territoryId } }, (_p, ev) => {
    refetch({ requestPolicy: 'network-only' });
    return ev;
  });
  const structures = data?.structures.edges.map((e) => e.node) ?? [];
  const kinds = new Map<string, number>();
  for (const s of structures) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
  return (
    <section class="panel" aria-labelledby="dir-title">
      <h2 id="dir-title">Annuaire du territoire</h2>
      <div class="field">
        <label for="dir-search">Rechercher une structure</label>
        <input id="dir-search" type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} placeholder="Nom, commune…" />
      </div>
      {error && <p role="alert" class="error">{generalError(error)}</p>}
      <p class="muted" role="status">{data ? `${formatNumber(data.structures.totalCount)} structure(s)` : 'Chargement…'}
        {data && data.structures.totalCount > structures.length && ` — les ${structures.length} premières sont affichées : affinez la recherche`}</p>
      <DataTable title="Structures par type" header={['Type', 'Structures']}
        rows={[...kinds].sort((a, b) => a[0].localeCompare(b[0])).map(([k, n]) => ({ cells: [structureKindLabel[k] ?? k, String(n)] }))} />
      <table class="directory">
        <thead><tr><th scope="col">Structure</th><th scope="col">Membres</th><th scope="col">Liens</th></tr></thead>
        <tbody>
          {structures.map((s) => (
            <tr data-structure={s.name}>
              <td>
                <strong>{s.name}</strong> <span class="badge">{structureKindLabel[s.kind] ?? s.kind}</span>
                <div class="muted">{s.territory.name}{s.commune ? ` — commune ${s.commune}` : ''}</div>
                {s.mssante && <div>MSSanté <span class="tag">organisationnelle</span> <a href={'mailto:' + s.mssante}>{s.mssante}</a></div>}
              </td>
              <td>
                <ul class="plain">
                  {s.members.edges.map(({ node: m }) => (
                    <li>
                      {m.professional.firstName} {m.professional.lastName} — {roleLabel[m.role] ?? m.role}
                      {m.professional.mssante && <> · <span class="tag">nominative</span> <a href={'mailto:' + m.professional.mssante}>{m.professional.mssante}</a></>}
                    </li>
                  ))}
                </ul>
                {s.members.totalCount > s.members.edges.length && <span class="muted">et {s.members.totalCount - s.members.edges.length} autre(s)</span>}
              </td>
              <td>
                <ul class="plain">
                  {s.links.map((l) => <li>{l.from.name} {linkKindLabel[l.kind] ?? l.kind} {l.to.name}</li>)}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface Activity { cursor: string; type: string; subjectId: string; at: string }

/** The live feed of the territory's activity since the page opened. */
function ActivityFeed({ territoryId }: { territoryId: string }) {
  const [res] = useSubscription({ query: ActivityDoc, variables: { territoryId } }, (prev: Activity[] = [], ev) => [ev.territoryActivity, ...prev].slice(0, 20));
  const items = res.data ?? [];
  return (
    <section class="panel" aria-labelledby="feed-title">
      <h2 id="feed-title">Activité du territoire en direct</h2>
      {res.error && <p role="alert" class="error">{generalError(res.error)}</p>}
      {items.length === 0 && <p class="muted">Aucune activité depuis l’ouverture de la page.</p>}
      <ul class="feed" aria-live="polite">
        {items.map((a) => <li><time>{formatDateTime(a.at)}</time> — {activityLabel[a.type] ?? a.type}</li>)}
      </ul>
    </section>
  );
}
