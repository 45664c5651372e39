/** Small dependency-free SVG charts for the reports: lines with fault markers, a heatmap, bars. */

const W = 720;
const H = 320;
const M = { left: 64, right: 160, top: 36, bottom: 44 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const n = (x: number) => (Math.round(x * 10) / 10).toString();

/** A line series. */
export interface Series {
  name: string;
  points: [number, number][];
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function frame(title: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

/** Lines over x (e.g. seconds of the timeline), with vertical markers (faults) and a legend. */
export function lineChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  markers?: { x: number; label: string }[];
  xMax?: number;
  logY?: boolean;
}): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const xs = opts.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = opts.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = opts.xMax ?? niceMax(Math.max(1, ...xs));
  const yMax = niceMax(Math.max(0, ...ys));
  const log = opts.logY === true;
  const ly = (y: number) => Math.log10(Math.max(y, 0.1) / 0.1) / Math.log10(yMax / 0.1);
  const X = (x: number) => M.left + (x / xMax) * pw;
  const Y = (y: number) => M.top + ph - (log ? ly(y) : y / yMax) * ph;
  const out: string[] = [];
  out.push(`<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="#333"/>`);
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="#333"/>`);
  const ticks = log
    ? [0.1, 1, 10, 100, 1000, 10_000, 100_000].filter((t) => t <= yMax)
    : [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  for (const t of ticks) {
    out.push(`<line x1="${M.left}" y1="${n(Y(t))}" x2="${M.left + pw}" y2="${n(Y(t))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${n(Y(t) + 4)}" text-anchor="end">${n(t)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const x = (xMax * i) / 5;
    out.push(`<text x="${n(X(x))}" y="${M.top + ph + 16}" text-anchor="middle">${n(x)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(
    `<text x="14" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.top + ph / 2})">${esc(opts.yLabel)}</text>`,
  );
  for (const [i, m] of (opts.markers ?? []).entries()) {
    const x = n(X(m.x));
    out.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="#999" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x}" y="${M.top + 10 + (i % 3) * 11}" fill="#555" dx="3">${esc(m.label)}</text>`);
  }
  for (const [i, s] of opts.series.entries()) {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${n(X(x))},${n(Y(y))}`).join(' ');
    if (s.points.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${pts}"/>`);
    for (const [x, y] of s.points) out.push(`<circle cx="${n(X(x))}" cy="${n(Y(y))}" r="2.2" fill="${color}"/>`);
    const ly2 = M.top + 8 + i * 15;
    out.push(`<rect x="${M.left + pw + 12}" y="${ly2 - 8}" width="10" height="10" fill="${color}"/>`);
    out.push(
      `<text x="${M.left + pw + 26}" y="${ly2 + 1}">${esc(s.name.replace(/^identity\./, '').slice(0, 24))}</text>`,
    );
  }
  return frame(opts.title, out.join('\n'));
}

/** Rows (sites) × columns (time windows) of values in [0, 1] (null: no data), green = 1, red = 0. */
export function heatmap(opts: {
  title: string;
  rows: { name: string; values: (number | null)[] }[];
  windowMs: number;
  markers?: { x: number; label: string }[];
}): string {
  const rows = opts.rows.slice(0, 40);
  const cols = Math.max(1, ...rows.map((r) => r.values.length));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const cw = pw / cols;
  const rh = ph / Math.max(1, rows.length);
  const out: string[] = [];
  for (const [i, r] of rows.entries()) {
    out.push(`<text x="${M.left - 6}" y="${n(M.top + i * rh + rh / 2 + 4)}" text-anchor="end">${esc(r.name)}</text>`);
    for (const [j, v] of r.values.entries()) {
      const fill = v === null ? '#f3f3f3' : `hsl(${Math.round(120 * v)}, 70%, ${v === 1 ? 45 : 55}%)`;
      out.push(
        `<rect x="${n(M.left + j * cw)}" y="${n(M.top + i * rh)}" width="${n(cw - 1)}" height="${n(rh - 1)}" fill="${fill}"><title>${esc(r.name)} t=${(j * opts.windowMs) / 1000}s: ${v === null ? 'no ops' : `${Math.round(v * 1000) / 10}%`}</title></rect>`,
      );
    }
  }
  const totalS = (cols * opts.windowMs) / 1000;
  for (let i = 0; i <= 5; i++) {
    out.push(
      `<text x="${n(M.left + (pw * i) / 5)}" y="${M.top + ph + 16}" text-anchor="middle">${n((totalS * i) / 5)}</text>`,
    );
  }
  out.push(
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">time (s); colour = share of successful operations</text>`,
  );
  for (const m of opts.markers ?? []) {
    const x = n(M.left + (m.x / 1000 / totalS) * pw);
    out.push(`<line x1="${x}" y1="${M.top - 4}" x2="${x}" y2="${M.top + ph}" stroke="#000" stroke-dasharray="4 3"/>`);
  }
  out.push(`<text x="${M.left + pw + 12}" y="${M.top + 10}">green 100%, red 0%,</text>`);
  out.push(`<text x="${M.left + pw + 12}" y="${M.top + 24}">grey: no operation</text>`);
  if (opts.rows.length > rows.length)
    out.push(
      `<text x="${M.left + pw + 12}" y="${M.top + 38}">first ${rows.length} of ${opts.rows.length} sites</text>`,
    );
  return frame(opts.title, out.join('\n'));
}

/** Horizontal bars with value labels. */
export function barChart(opts: {
  title: string;
  unit: string;
  bars: { name: string; value: number | null }[];
}): string {
  const bars = opts.bars.slice(0, 20);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const max = niceMax(Math.max(1, ...bars.map((b) => b.value ?? 0)));
  const bh = ph / Math.max(1, bars.length);
  const out: string[] = [];
  for (const [i, b] of bars.entries()) {
    const y = M.top + i * bh;
    const w = ((b.value ?? 0) / max) * pw;
    out.push(`<text x="${M.left - 6}" y="${n(y + bh / 2 + 4)}" text-anchor="end">${esc(b.name)}</text>`);
    out.push(
      `<rect x="${M.left}" y="${n(y + 2)}" width="${n(w)}" height="${n(bh - 4)}" fill="${b.value === null ? '#d62728' : '#1f77b4'}"/>`,
    );
    out.push(
      `<text x="${n(M.left + w + 4)}" y="${n(y + bh / 2 + 4)}">${b.value === null ? 'never' : `${n(b.value)} ${esc(opts.unit)}`}</text>`,
    );
  }
  return frame(opts.title, out.join('\n'));
}
