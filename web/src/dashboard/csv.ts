// CSV and PNG downloads, built in the page (nothing leaves the origin).
// CSV: semicolon-separated with a byte-order mark, as French spreadsheets
// open it; cells as the tables show them ("< 11" stays text).

/** The CSV text of a header row and rows. */
export function toCSV(header: string[], rows: string[][]): string {
  const quote = (s: string) => (/[";\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);
  return '\uFEFF' + [header, ...rows].map((r) => r.map(quote).join(';')).join('\r\n') + '\r\n';
}

/** Makes the browser download a blob or a data URL as name. */
export function download(name: string, data: Blob | string) {
  const a = document.createElement('a');
  const url = typeof data === 'string' ? data : URL.createObjectURL(data);
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  if (typeof data !== 'string') setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Downloads rows as name.csv. */
export function downloadCSV(name: string, header: string[], rows: string[][]) {
  download(name + '.csv', new Blob([toCSV(header, rows)], { type: 'text/csv;charset=utf-8' }));
}

/** A file name from a title: "Demandes par état" → "demandes-par-etat". */
export function slug(title: string): string {
  return title.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
