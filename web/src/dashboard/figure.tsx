// A figure: a Chart.js chart with its data table beside it (the same cells:
// people copy numbers, screen readers read the table), and PNG and CSV
// downloads. Suppressed cells are gaps in the chart and "< N" in the table.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  Chart, BarController, LineController, BarElement, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip,
} from 'chart.js';
import type { Cell } from './suppress';
import { downloadCSV, download, slug } from './csv';

Chart.register(BarController, LineController, BarElement, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", sans-serif';
Chart.defaults.animation = false;

/** One line or stack of a figure: a value per column. */
export interface Series {
  label: string;
  cells: Cell[];
}

const palette = ['#000091', '#c9191e', '#18753c', '#b34000', '#6a6af4', '#009099', '#a558a0', '#716043', '#3a3a3a', '#e4794a'];

export interface FigureProps {
  /** Heading, also the downloads' file name. */
  title: string;
  /** The x axis: one label per column (months, departments…). */
  columns: string[];
  series: Series[];
  kind?: 'bar' | 'line';
  stacked?: boolean;
  /** Title of the table's first column. */
  columnTitle?: string;
  /** Axis caption (unit). */
  unit?: string;
}

/** A chart, its table and its downloads. */
export function Figure({ title, columns, series, kind = 'bar', stacked = false, columnTitle = 'Mois', unit }: FigureProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart>();
  const id = slug(title);
  useEffect(() => {
    if (!canvas.current) return;
    chart.current?.destroy();
    chart.current = new Chart(canvas.current, {
      type: kind,
      data: {
        labels: columns,
        datasets: series.map((s, i) => ({
          label: s.label,
          data: s.cells.map((c) => c.value),
          backgroundColor: palette[i % palette.length],
          borderColor: palette[i % palette.length],
          spanGaps: false,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: 'bottom' } },
        scales: {
          x: { stacked },
          y: { stacked, beginAtZero: true, title: unit ? { display: true, text: unit } : undefined },
        },
      },
    });
    return () => { chart.current?.destroy(); chart.current = undefined; };
  }, [kind, stacked, unit, JSON.stringify(columns), JSON.stringify(series)]);

  const header = [columnTitle, ...series.map((s) => s.label)];
  const rows = columns.map((c, i) => [c, ...series.map((s) => s.cells[i]?.text ?? '')]);
  const png = () => {
    // White background: a transparent PNG is unreadable in most viewers.
    const src = canvas.current!;
    const out = document.createElement('canvas');
    out.width = src.width;
    out.height = src.height;
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(src, 0, 0);
    download(id + '.png', out.toDataURL('image/png'));
  };
  return (
    <section class="figure panel" aria-labelledby={id + '-title'} data-figure={id}>
      <div class="figure-head">
        <h3 id={id + '-title'}>{title}</h3>
        <div class="actions">
          <button type="button" onClick={png}>Exporter en PNG</button>
          <button type="button" onClick={() => downloadCSV(id, header, rows)}>Exporter en CSV</button>
        </div>
      </div>
      <div class="figure-body">
        <div class="chart"><canvas ref={canvas} role="img" aria-label={title + ' (graphique, données dans le tableau)'} /></div>
        <div class="figure-table">
          <table>
            <caption class="sr-only">{title}</caption>
            <thead><tr>{header.map((h) => <th scope="col">{h}</th>)}</tr></thead>
            <tbody>
              {rows.length === 0 && <tr><td colSpan={header.length} class="muted">Aucune donnée sur la période.</td></tr>}
              {rows.map((r) => <tr>{r.map((v, i) => (i === 0 ? <th scope="row">{v}</th> : <td class="num">{v}</td>))}</tr>)}
            </tbody>
          </table>
        </div>
      </div>
    </section>
  );
}

/** A table with its CSV download but no chart (lists, comparisons). */
export function DataTable({ title, header, rows, sortable = false }: { title: string; header: string[]; rows: { cells: string[]; sort?: (string | number)[] }[]; sortable?: boolean }) {
  const id = slug(title);
  return (
    <section class="panel" aria-labelledby={id + '-title'} data-figure={id}>
      <div class="figure-head">
        <h3 id={id + '-title'}>{title}</h3>
        <div class="actions"><button type="button" onClick={() => downloadCSV(id, header, rows.map((r) => r.cells))}>Exporter en CSV</button></div>
      </div>
      <SortTable header={header} rows={rows} sortable={sortable} />
    </section>
  );
}


function SortTable({ header, rows, sortable }: { header: string[]; rows: { cells: string[]; sort?: (string | number)[] }[]; sortable: boolean }) {
  const [by, setBy] = useState<{ col: number; desc: boolean }>();
  const sorted = by == null ? rows : [...rows].sort((a, b) => {
    const x = a.sort?.[by.col] ?? a.cells[by.col];
    const y = b.sort?.[by.col] ?? b.cells[by.col];
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'fr');
    return by.desc ? -c : c;
  });
  return (
    <table>
      <thead>
        <tr>
          {header.map((h, i) => (
            <th scope="col" aria-sort={by?.col === i ? (by.desc ? 'descending' : 'ascending') : undefined}>
              {sortable ? <button type="button" class="sort" onClick={() => setBy({ col: i, desc: by?.col === i ? !by.desc : false })}>{h}</button> : h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sorted.length === 0 && <tr><td colSpan={header.length} class="muted">Aucune donnée.</td></tr>}
        {sorted.map((r) => <tr>{r.cells.map((v) => <td>{v}</td>)}</tr>)}
      </tbody>
    </table>
  );
}
