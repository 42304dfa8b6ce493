// The dashboards' time axis: the last twelve calendar months in Europe/Paris.
import { parisLocalToISO } from '../format';

/** A month as YYYY-MM. */
export type Month = string;

/** The twelve months ending with the current one (Paris), oldest first. */
export function lastMonths(n = 12, now = new Date()): Month[] {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' }).formatToParts(now);
  let y = +parts.find((p) => p.type === 'year')!.value;
  let m = +parts.find((p) => p.type === 'month')!.value;
  const out: Month[] = [];
  for (let i = 0; i < n; i++) {
    out.unshift(`${y}-${String(m).padStart(2, '0')}`);
    if (--m === 0) { m = 12; y--; }
  }
  return out;
}

/** The month after m. */
export function nextMonth(m: Month): Month {
  let [y, mo] = m.split('-').map(Number);
  if (++mo === 13) { mo = 1; y++; }
  return `${y}-${String(mo).padStart(2, '0')}`;
}

/** The range of months as the API takes it: days (escapStats) and instants (referralStats). */
export function monthRange(months: Month[]) {
  const fromDay = months[0] + '-01';
  const toDay = nextMonth(months[months.length - 1]) + '-01';
  return { fromDay, toDay, from: parisLocalToISO(fromDay + 'T00:00'), to: parisLocalToISO(toDay + 'T00:00') };
}

/** The Paris month (YYYY-MM) of an instant. */
export function monthOf(iso: string): Month {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' }).formatToParts(new Date(iso));
  return parts.find((p) => p.type === 'year')!.value + '-' + parts.find((p) => p.type === 'month')!.value;
}

/** "nov. 2026". */
export function monthLabel(m: Month): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', month: 'short', year: 'numeric' }).format(new Date(m + '-01T00:00:00Z'));
}

/** Seconds as hours, "3,5 h". */
export function hours(seconds: number): string {
  return new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 }).format(seconds / 3600) + ' h';
}

/** Seconds as hours, one decimal, for the charts. */
export function toHours(seconds: number | null | undefined): number | null {
  return seconds == null ? null : Math.round(seconds / 360) / 10;
}
