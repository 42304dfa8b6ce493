// French formatting: dates and times in Europe/Paris, numbers in fr-FR.
const zone = 'Europe/Paris';

const dateTime = new Intl.DateTimeFormat('fr-FR', { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat('fr-FR', { timeZone: zone, dateStyle: 'medium' });
const numbers = new Intl.NumberFormat('fr-FR');
const relative = new Intl.RelativeTimeFormat('fr-FR', { numeric: 'auto' });

/** An instant (RFC 3339) as "12 mars 2026, 14:05" in Paris time. */
export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/** An instant or a YYYY-MM-DD day as "12 mars 2026". */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  // A calendar day stays that day whatever the zone.
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', dateStyle: 'medium' }).format(new Date(value + 'T00:00:00Z'));
  return dateOnly.format(new Date(value));
}

/** A number as "12 345,6". */
export function formatNumber(n: number | null | undefined, digits?: number): string {
  if (n == null) return '—';
  return digits == null ? numbers.format(n) : new Intl.NumberFormat('fr-FR', { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
}

/** A share (0..1) as "42 %". */
export function formatPercent(share: number | null | undefined): string {
  if (share == null) return '—';
  return new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 0 }).format(share);
}

/** How long ago an instant was: "il y a 3 heures". */
export function formatAge(iso: string, now = Date.now()): string {
  const s = (new Date(iso).getTime() - now) / 1000;
  const abs = Math.abs(s);
  if (abs < 60) return relative.format(Math.round(s), 'second');
  if (abs < 3600) return relative.format(Math.round(s / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(s / 3600), 'hour');
  return relative.format(Math.round(s / 86400), 'day');
}

/** A datetime-local input's value (Paris wall clock) as an RFC 3339 instant. */
export function parisLocalToISO(local: string): string {
  // Find the offset Paris had at that wall-clock time (DST-aware).
  const guess = new Date(local + 'Z');
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .formatToParts(guess).reduce<Record<string, string>>((m, p) => ({ ...m, [p.type]: p.value }), {});
  const asParis = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute);
  return new Date(guess.getTime() - (asParis - guess.getTime())).toISOString();
}
