// The ESS figures (requests by month, delays, same-day share, queue age),
// shown for one ESS and, summed over its ESSs, for a territory.
import { graphql } from '../gql';
import type { ReferralFiguresFragment } from '../gql/graphql';
import { formatPercent } from '../format';
import { modalityLabel, referralStateLabel, requesterKindLabel } from '../labels';
import { Figure, type Series } from './figure';
import { cell, measure, type Cell } from './suppress';
import { hours, monthLabel, monthOf, toHours, type Month } from './months';

export const ReferralFigures = graphql(`
  fragment ReferralFigures on ReferralStats {
    total answeredSameDay sameDayShare
    toTriage { count medianSeconds p90Seconds }
    toAnswer { count medianSeconds p90Seconds }
    queue { open medianSeconds oldestSeconds }
    periods {
      start total answeredSameDay
      byState { key count }
      byRequesterKind { key count }
      byModality { key count }
      toTriage { count medianSeconds p90Seconds }
      toAnswer { count medianSeconds p90Seconds }
    }
  }
`);

export type Stats = ReferralFiguresFragment;

const stateOrder = Object.keys(referralStateLabel);
const kindOrder = Object.keys(requesterKindLabel);
const modalityOrder = Object.keys(modalityLabel);

/** Counts by key per month, one series per key that occurs, in the labels' order. */
function byKey(stats: Stats, months: Month[], pick: (p: Stats['periods'][number]) => { key: string; count?: number | null }[], labels: Record<string, string>, order: string[]): Series[] {
  const perMonth = new Map(stats.periods.map((p) => [monthOf(p.start), p]));
  const keys = new Set(stats.periods.flatMap((p) => pick(p).map((c) => c.key)));
  return [...keys].sort((a, b) => order.indexOf(a) - order.indexOf(b)).map((k) => ({
    label: labels[k] ?? k,
    cells: months.map((m) => {
      const c = perMonth.has(m) ? pick(perMonth.get(m)!).find((c) => c.key === k) : undefined;
      return cell(c ? c.count : 0); // null: suppressed; absent: 0
    }),
  }));
}

/** The delay series (hours) of a month axis. */
function delays(stats: Stats, months: Month[]): Series[] {
  const perMonth = new Map(stats.periods.map((p) => [monthOf(p.start), p]));
  const s = (label: string, get: (p: Stats['periods'][number]) => number | null | undefined): Series => ({
    label,
    cells: months.map((m) => {
      const p = perMonth.get(m);
      const v = p ? get(p) : null;
      return v == null ? { value: null, text: '—' } : { value: toHours(v), text: hours(v) };
    }),
  });
  return [
    s('Tri — médiane', (p) => p.toTriage.medianSeconds),
    s('Tri — 90e centile', (p) => p.toTriage.p90Seconds),
    s('Réponse — médiane', (p) => p.toAnswer.medianSeconds),
    s('Réponse — 90e centile', (p) => p.toAnswer.p90Seconds),
  ];
}

/** The headline figures of a range, as label → cell. */
export function headline(stats: Stats): [string, Cell][] {
  return [
    ['Demandes reçues', cell(stats.total)],
    ['Répondues le jour même', cell(stats.answeredSameDay)],
    ['Part répondue le jour même', measure(stats.sameDayShare, formatPercent)],
    ['Délai de tri — médiane', measure(stats.toTriage.medianSeconds, hours)],
    ['Délai de tri — 90e centile', measure(stats.toTriage.p90Seconds, hours)],
    ['Délai de réponse — médiane', measure(stats.toAnswer.medianSeconds, hours)],
    ['Délai de réponse — 90e centile', measure(stats.toAnswer.p90Seconds, hours)],
    ['File d’attente : demandes en cours', cell(stats.queue.open)],
    ['File d’attente : âge médian', measure(stats.queue.medianSeconds, hours)],
    ['File d’attente : plus ancienne', measure(stats.queue.oldestSeconds, hours)],
  ];
}

/** Every referral figure of a range, one chart and table each. */
export function ReferralCharts({ stats, months }: { stats: Stats; months: Month[] }) {
  const columns = months.map(monthLabel);
  return (
    <>
      <dl class="kpis" aria-label="Chiffres clés">
        {headline(stats).map(([k, v]) => <div class="kpi"><dt>{k}</dt><dd data-kpi={k}>{v.text}</dd></div>)}
      </dl>
      <Figure title="Demandes par mois et par état" columns={columns} stacked
        series={byKey(stats, months, (p) => p.byState, referralStateLabel, stateOrder)} />
      <Figure title="Demandes par mois et par type de demandeur" columns={columns} stacked
        series={byKey(stats, months, (p) => p.byRequesterKind, requesterKindLabel, kindOrder)} />
      <Figure title="Demandes par mois et par modalité" columns={columns} stacked
        series={byKey(stats, months, (p) => p.byModality, modalityLabel, modalityOrder)} />
      <Figure title="Délais de tri et de réponse par mois" columns={columns} kind="line" unit="heures"
        series={delays(stats, months)} />
    </>
  );
}
