// The ARS agent's dashboard: the ESS and ESCAP figures of the region and of
// each of its departments, side by side (one query per department, all
// sent at once).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { graphql } from '../gql';
import { generalError } from '../client';
import type { ReferralFiguresFragment, EscapFiguresFragment } from '../gql/graphql';
import { DataTable, Figure } from './figure';
import { cell, sum, type Cell } from './suppress';
import { delayCell, headline, ReferralCharts } from './referrals';
import { ESCAPCharts, SituationsDoc } from './escap';
import { lastMonths, monthLabel, monthOf, monthRange, type Month } from './months';

const RegionDoc = graphql(`
  query RegionDashboard($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {
    territory(id: $territoryId) { id name children(first: 30) { edges { node { id name code } } } }
    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }
    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }
  }
`);

const DepartmentDoc = graphql(`
  query DepartmentFigures($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {
    territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ...ReferralFigures }
    escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ...ESCAPFigures }
  }
`);

interface Figures { referrals: ReferralFiguresFragment; escap: EscapFiguresFragment }
type Range = ReturnType<typeof monthRange>;

/** Loads one department's figures and hands them up. */
function Department({ id, range, onData }: { id: string; range: Range; onData: (id: string, f: Figures | Error) => void }) {
  const [{ data, error }] = useQuery({ query: DepartmentDoc, variables: { territoryId: id, ...range } });
  useEffect(() => {
    if (data) onData(id, { referrals: data.territoryReferralStats, escap: data.escapStats });
    else if (error) onData(id, new Error(generalError(error)));
  }, [data, error]);
  return null;
}

/** The ESCAP figures as label → cell. */
function escapHeadline(s: EscapFiguresFragment): [string, Cell][] {
  const k = s.smallCountThreshold;
  return [
    ['Entrées en ESCAP', sum(s.entries.map((e) => cell(e.count, e.suppressed, k)), k)],
    ['Sorties d’ESCAP', sum(s.exits.map((e) => cell(e.count, e.suppressed, k)), k)],
    ['Équipes actives', sum(s.activeTeams.map((t) => cell(t.count, t.suppressed, k)), k)],
  ];
}

export function RegionDashboard({ territoryId }: { territoryId: string }) {
  const months = useMemo(() => lastMonths(), []);
  const range = useMemo(() => monthRange(months), [months]);
  const [{ data, error }] = useQuery({ query: RegionDoc, variables: { territoryId, ...range } });
  const [{ data: rules }] = useQuery({ query: SituationsDoc });
  const situations = useMemo(() => Object.fromEntries((rules?.escapRules.situations ?? []).map((s) => [s.code, s.label])), [rules]);
  const [depts, setDepts] = useState<Record<string, Figures | Error>>({});
  const onData = useMemo(() => (id: string, f: Figures | Error) => setDepts((d) => ({ ...d, [id]: f })), []);
  if (error) return <p role="alert" class="error">{generalError(error)}</p>;
  if (!data) return <p class="loading" role="status">Chargement des chiffres…</p>;
  const children = data.territory?.children.edges.map((e) => e.node) ?? [];
  const loaded = children.filter((c) => depts[c.id] && !(depts[c.id] instanceof Error));
  const failed = children.filter((c) => depts[c.id] instanceof Error);
  const region: Figures = { referrals: data.territoryReferralStats, escap: data.escapStats };
  const rows = (f: Figures) => [...headline(f.referrals), ...escapHeadline(f.escap)];
  const regionRows = rows(region);
  const columns = months.map(monthLabel);
  const perDept = (get: (f: Figures, m: Month) => Cell) => loaded.map((c) => ({ label: c.name, cells: months.map((m) => get(depts[c.id] as Figures, m)) }));
  return (
    <section aria-labelledby="ars-title">
      <h2 id="ars-title">{data.territory?.name} — région et départements</h2>
      {children.map((c) => <Department key={c.id} id={c.id} range={range} onData={onData} />)}
      {failed.map((c) => <p role="alert" class="error">{c.name} : {(depts[c.id] as Error).message}</p>)}
      {loaded.length < children.length && failed.length === 0 && <p class="loading" role="status">Chargement des départements…</p>}
      <DataTable title="Comparaison des départements" header={['Indicateur', data.territory?.name ?? 'Région', ...loaded.map((c) => c.name)]}
        rows={regionRows.map(([label, v], i) => ({ cells: [label, v.text, ...loaded.map((c) => rows(depts[c.id] as Figures)[i][1].text)] }))} />
      <Figure title="Demandes aux ESS par mois et par département" columns={columns}
        series={perDept((f, m) => {
          const p = f.referrals.periods.find((p) => monthOf(p.start) === m);
          return cell(p?.total, p?.totalSuppressed ?? false, f.referrals.smallCountThreshold);
        })} />
      <Figure title="Délai de tri médian par mois et par département" columns={columns} kind="line" unit="heures"
        series={perDept((f, m) => {
          const p = f.referrals.periods.find((p) => monthOf(p.start) === m);
          return delayCell(p?.toTriage.medianSeconds, p?.toTriage.suppressed ?? false, f.referrals.smallCountThreshold);
        })} />
      <Figure title="Entrées en ESCAP par mois et par département" columns={columns}
        series={perDept((f, m) => sum(f.escap.entries.filter((e) => e.period === m).map((e) => cell(e.count, e.suppressed, f.escap.smallCountThreshold)), f.escap.smallCountThreshold))} />
      <h2>Toute la région</h2>
      <ReferralCharts stats={region.referrals} months={months} />
      <ESCAPCharts stats={region.escap} months={months} situations={situations} />
    </section>
  );
}
