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
    exact smallCountThreshold
    total totalSuppressed answeredSameDay answeredSameDaySuppressed sameDayShare
    toTriage { count medianSeconds p90Seconds suppressed }
    toAnswer { count medianSeconds p90Seconds suppressed }
    queue { open openSuppressed medianSeconds oldestSeconds }
    periods {
      start total totalSuppressed answeredSameDay answeredSameDaySuppressed
      byState { key count suppressed }
      byRequesterKind { key count suppressed }
      byModality { key count suppressed }
      toTriage { count medianSeconds p90Seconds suppressed }
      toAnswer { count medianSeconds p90Seconds suppressed }
    }
  }
`);

export type Stats = ReferralFiguresFragment;

const stateOrder = Object.keys(referralStateLabel);
const kindOrder = Object.keys(requesterKindLabel);
const modalityOrder = Object.keys(modalityLabel);

/** Counts by key per month, one series per key that occurs, in the labels' order. */
function byKey(stats: Stats, months: Month[], pick: (p: Stats['periods'][number]) => { key: string; count?: number | null; suppressed: boolean }[], labels: Record<string, string>, order: string[]): Series[] {
  const perMonth = new Map(stats.periods.map((p) => [monthOf(p.start), p]));
  const keys = new Set(stats.periods.flatMap((p) => pick(p).map((c) => c.key)));
  return [...keys].sort((a, b) => order.indexOf(a) - order.indexOf(b)).map((k) => ({
    label: labels[k] ?? k,
    cells: months.map((m) => {
      const p = perMonth.get(m);
      const c = p ? pick(p).find((c) => c.key === k) : undefined;
      return cell(c?.count, c?.suppressed ?? false, stats.smallCountThreshold);
    }),
  }));
}

/** The delay series (hours) of a month axis. */
function delays(stats: Stats, months: Month[]): Series[] {
  const perMonth = new Map(stats.periods.map((p) => [monthOf(p.start), p]));
  const s = (label: string, get: (p: Stats['periods'][number]) => [number | null | undefined, boolean]): Series => ({
    label,
    cells: months.map((m) => {
      const p = perMonth.get(m);
      const [v, hidden] = p ? get(p) : [null, false];
      return delayCell(v, hidden, stats.smallCountThreshold);
    }),
  });
  return [
    s('Tri — médiane', (p) => [p.toTriage.medianSeconds, p.toTriage.suppressed]),
    s('Tri — 90e centile', (p) => [p.toTriage.p90Seconds, p.toTriage.suppressed]),
    s('Réponse — médiane', (p) => [p.toAnswer.medianSeconds, p.toAnswer.suppressed]),
    s('Réponse — 90e centile', (p) => [p.toAnswer.p90Seconds, p.toAnswer.suppressed]),
  ];
}

/** A delay for the charts (hours) and the table ("3,5 h", "< 11", "—"). */
export function delayCell(seconds: number | null | undefined, hidden: boolean, threshold: number): Cell {
  const c = measure(seconds, hours, hidden, threshold);
  return c.value == null ? c : { value: toHours(c.value), text: c.text };
}

/** The headline figures of a range, as label → cell. */
export function headline(stats: Stats): [string, Cell][] {
  const k = stats.smallCountThreshold;
  return [
    ['Demandes reçues', cell(stats.total, stats.totalSuppressed, k)],
    ['Répondues le jour même', cell(stats.answeredSameDay, stats.answeredSameDaySuppressed, k)],
    ['Part répondue le jour même', measure(stats.sameDayShare, formatPercent, stats.totalSuppressed || stats.answeredSameDaySuppressed, k)],
    ['Délai de tri — médiane', measure(stats.toTriage.medianSeconds, hours, stats.toTriage.suppressed, k)],
    ['Délai de tri — 90e centile', measure(stats.toTriage.p90Seconds, hours, stats.toTriage.suppressed, k)],
    ['Délai de réponse — médiane', measure(stats.toAnswer.medianSeconds, hours, stats.toAnswer.suppressed, k)],
    ['Délai de réponse — 90e centile', measure(stats.toAnswer.p90Seconds, hours, stats.toAnswer.suppressed, k)],
    ['File d’attente : demandes en cours', cell(stats.queue.open, stats.queue.openSuppressed, k)],
    ['File d’attente : âge médian', measure(stats.queue.medianSeconds, hours, stats.queue.openSuppressed, k)],
    // The oldest request's age is given to the ESS's staff only (it is one request's).
    ['File d’attente : plus ancienne', stats.exact ? measure(stats.queue.oldestSeconds, hours) : { value: null, text: 'réservé à l’ESS' }],
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
