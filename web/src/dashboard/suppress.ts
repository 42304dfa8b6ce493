// Small-count suppression, in one place: every count the dashboards show
// goes through cell(), which turns what the API answers (a count, null and
// a "suppressed" flag, and the threshold in force: smallCountThreshold) into
// a number or a "< N" text. A suppressed count is never shown, charted or
// exported as a number.

/** A count as the dashboards use it: value is null when suppressed. */
export interface Cell {
  value: number | null;
  /** What the table and the CSV show: "12" or "< 11". */
  text: string;
}

/** The one adapter from the API's counts to cells. */
export function cell(count: number | null | undefined, suppressedFlag: boolean, threshold: number): Cell {
  if (suppressedFlag) return suppressed(threshold);
  const n = count ?? 0;
  return { value: n, text: String(n) };
}

/** A suppressed cell. */
export function suppressed(threshold: number): Cell {
  return { value: null, text: `< ${threshold}` };
}

/** A count the API does not suppress (structures, teams of a professional). */
export function plain(n: number): Cell {
  return { value: n, text: String(n) };
}

/** The sum of cells: suppressed if any is (a sum would give it away). */
export function sum(cells: Cell[], threshold: number): Cell {
  let total = 0;
  for (const c of cells) {
    if (c.value == null) return suppressed(threshold);
    total += c.value;
  }
  return { value: total, text: String(total) };
}

/**
 * A measured value (a delay, a share) that is not a count: "—" when there
 * is none, "< N" when the API suppressed it (too few requests behind it).
 */
export function measure(value: number | null | undefined, format: (n: number) => string, suppressedFlag = false, threshold = 0): Cell {
  if (suppressedFlag) return suppressed(threshold);
  return value == null ? { value: null, text: '—' } : { value, text: format(value) };
}
