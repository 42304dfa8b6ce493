// The ESCAP figures of a territory: entries and exits per month by
// situation, and the teams active now.
import { graphql } from '../gql';
import type { EscapFiguresFragment } from '../gql/graphql';
import { Figure, DataTable, type Series } from './figure';
import { cell, sum } from './suppress';
import { monthLabel, type Month } from './months';

export const ESCAPFigures = graphql(`
  fragment ESCAPFigures on ESCAPStats {
    smallCountThreshold
    entries { period situation count suppressed }
    exits { period situation reason count suppressed }
    activeTeams { territory { id name } count suppressed }
  }
`);

export const SituationsDoc = graphql(`
  query ESCAPSituations { escapRules { situations { code label } } }
`);

export type ESCAPStatsData = EscapFiguresFragment;

/** Counts per month, one series per situation that occurs (exits: all reasons together). */
export function bySituation(rows: { period: string; situation: string; count?: number | null; suppressed: boolean }[], months: Month[], labels: Record<string, string>, k: number): Series[] {
  const situations = [...new Set(rows.map((r) => r.situation))].sort();
  return situations.map((s) => ({
    label: labels[s] ?? s,
    cells: months.map((m) => sum(rows.filter((r) => r.period === m && r.situation === s).map((r) => cell(r.count, r.suppressed, k)), k)),
  }));
}

export function ESCAPCharts({ stats, months, situations }: { stats: ESCAPStatsData; months: Month[]; situations: Record<string, string> }) {
  const columns = months.map(monthLabel);
  return (
    <>
      <Figure title="Entrées en ESCAP par mois et par situation" columns={columns} stacked series={bySituation(stats.entries, months, situations, stats.smallCountThreshold)} />
      <Figure title="Sorties d’ESCAP par mois et par situation" columns={columns} stacked series={bySituation(stats.exits, months, situations, stats.smallCountThreshold)} />
      <DataTable title="Équipes actives" header={['Territoire', 'Équipes actives']}
        rows={stats.activeTeams.map((t) => ({ cells: [t.territory?.name ?? '—', cell(t.count, t.suppressed, stats.smallCountThreshold).text] }))} />
    </>
  );
}
