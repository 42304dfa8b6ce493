// Small-count suppression, in one place: every count the dashboards show
// goes through cell(), which turns what the API answers into a number or a
// "< N" text. A suppressed count is never shown, charted or exported as a
// number. The API (escapStats, referralStats) answers null for a suppressed
// count (and says so in a suppressed field); a count absent from a list is 0.

/** A count as the dashboards use it: value is null when suppressed. */
export interface Cell {
  value: number | null;
  /** What the table and the CSV show: "12" or "< 11". */
  text: string;
}

/** What the API may answer for a count: a number, null, or a marked cell. */
export type RawCount = number | null | undefined | { count?: number | null; suppressed?: boolean; below?: number | null };

/** The threshold shown when a suppressed cell does not say its own. */
export const defaultThreshold = 11;

/** The one adapter from the API's counts to cells. */
export function cell(raw: RawCount, threshold = defaultThreshold): Cell {
  if (typeof raw === 'number') return { value: raw, text: String(raw) };
  if (raw && typeof raw === 'object' && !raw.suppressed && typeof raw.count === 'number') return { value: raw.count, text: String(raw.count) };
  if (raw && typeof raw === 'object' && raw.suppressed) return suppressed(raw.below ?? threshold);
  if (raw === null) return suppressed(threshold); // the API's null count is a suppressed one
  return { value: 0, text: '0' };
}

/** A suppressed cell. */
export function suppressed(threshold = defaultThreshold): Cell {
  return { value: null, text: `< ${threshold}` };
}

/** The sum of cells: suppressed if any is (a sum would give it away). */
export function sum(cells: Cell[]): Cell {
  let total = 0;
  for (const c of cells) {
    if (c.value == null) return suppressed();
    total += c.value;
  }
  return { value: total, text: String(total) };
}

/** A measured value (a delay, a share) that is not a count. */
export function measure(value: number | null | undefined, format: (n: number) => string): Cell {
  return value == null ? { value: null, text: '—' } : { value, text: format(value) };
}
