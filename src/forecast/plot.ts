/**
 * Plots for `torchlet train` and `predict`: line charts as a standalone SVG document (the loss
 * curve, actual vs forecast) and the same drawn with characters for a terminal. Browser-safe
 * (strings out), so the playground can show the same pictures.
 */

/** One line of a chart: its name in the legend, colour, and points (x, y). */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

/** One chart of an SVG: a title, axis labels and its lines. `xDates` labels the x ticks with dates (x = index). */
export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly xDates?: readonly string[];
  /** A log-scale y axis (for losses). */
  readonly logY?: boolean;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** About `count` round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/**
 * A standalone SVG document with the panels stacked vertically.
 *
 *   svgCharts([{ title: 'loss', xLabel: 'epoch', yLabel: 'MSE', series: [{ name: 'train', color: '#1f77b4', points }] }])
 */
export function svgCharts(panels: readonly Panel[], title = ''): string {
  const W = 860;
  const PH = 340;
  const top = title ? 44 : 10;
  const H = top + panels.length * PH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
  ];
  if (title) parts.push(`<text x="${W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="600">${esc(title)}</text>`);
  panels.forEach((p, i) => {
    parts.push(panelSvg(p, 0, top + i * PH, W, PH));
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panelSvg(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const m = { l: 78, r: 20, t: 48, b: 52 };
  const pw = w - m.l - m.r;
  const ph = h - m.t - m.b;
  const all = p.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!p.logY || y > 0));
  const out: string[] = [`<g transform="translate(${x0},${y0})">`];
  out.push(`<text x="${m.l}" y="14" font-size="14" font-weight="600">${esc(p.title)}</text>`);
  if (all.length === 0) {
    out.push(`<text x="${w / 2}" y="${h / 2}" text-anchor="middle" fill="#888">no data</text></g>`);
    return out.join('\n');
  }
  const ty = (v: number) => (p.logY ? Math.log10(v) : v);
  let [xmin, xmax] = [Math.min(...all.map((q) => q[0])), Math.max(...all.map((q) => q[0]))];
  let [ymin, ymax] = [Math.min(...all.map((q) => ty(q[1]))), Math.max(...all.map((q) => ty(q[1])))];
  if (xmax === xmin) [xmin, xmax] = [xmin - 1, xmax + 1];
  if (ymax === ymin) [ymin, ymax] = [ymin - 1, ymax + 1];
  const pad = (ymax - ymin) * 0.05;
  [ymin, ymax] = [ymin - pad, ymax + pad];
  const sx = (x: number) => m.l + ((x - xmin) / (xmax - xmin)) * pw;
  const sy = (y: number) => m.t + ph - ((ty(y) - ymin) / (ymax - ymin)) * ph;
  // Grid and ticks.
  const yt = p.logY ? ticks(ymin, ymax, 4).map((v) => 10 ** v) : ticks(ymin, ymax, 5);
  for (const v of yt) {
    const y = sy(v).toFixed(1);
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${esc(fmt(v))}</text>`);
  }
  const integerX = all.every(([x]) => Number.isInteger(x));
  let xt = ticks(xmin, xmax, 6).filter((v) => !(p.xDates || integerX) || Number.isInteger(v));
  if (integerX && xt.length < 2) xt = [...new Set(all.map(([x]) => x))].sort((a, b) => a - b);
  for (const v of xt) {
    const x = sx(v).toFixed(1);
    const label = p.xDates ? (p.xDates[v] ?? '') : fmt(v);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 5}" stroke="#444"/>`);
    out.push(`<text x="${x}" y="${m.t + ph + 18}" text-anchor="middle" fill="#444">${esc(label)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${h - 12}" text-anchor="middle" fill="#222">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(16,${m.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(p.yLabel)}</text>`);
  // Lines.
  for (const s of p.series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!p.logY || y > 0));
    if (pts.length === 0) continue;
    const d = pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${pts.length > 200 ? 1.2 : 2}"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`);
    if (pts.length <= 40) for (const [x, y] of pts) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
  }
  // Legend: one row above the plot, right-aligned, so it never hides a line.
  const widths = p.series.map((s) => 36 + s.name.length * 6.6);
  let lx = m.l + pw - widths.reduce((a, b) => a + b, 0);
  p.series.forEach((s, i) => {
    const ly = m.t - 10;
    out.push(`<line x1="${lx.toFixed(1)}" x2="${(lx + 22).toFixed(1)}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`);
    out.push(`<text x="${(lx + 27).toFixed(1)}" y="${ly}" dominant-baseline="middle" fill="#222">${esc(s.name)}</text>`);
    lx += widths[i];
  });
  out.push('</g>');
  return out.join('\n');
}

/**
 * A line chart drawn with characters: `height` rows, one column per point (resampled to at most
 * `width`), each series its own mark; the y range printed on the left.
 */
export function textChart(series: readonly { name: string; mark: string; values: readonly number[] }[], width = 60, height = 10): string[] {
  const vals = series.flatMap((s) => s.values).filter(Number.isFinite);
  if (vals.length === 0) return [];
  let lo = Math.min(...vals);
  let hi = Math.max(...vals);
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const n = Math.max(...series.map((s) => s.values.length));
  // Few points: one every `step` columns; many: resampled to `width` columns.
  const step = n <= width ? Math.max(1, Math.floor(width / n)) : 1;
  const cols = n <= width ? (n - 1) * step + 1 : width;
  const grid = Array.from({ length: height }, () => new Array<string>(cols).fill(' '));
  for (const s of series) {
    for (let c = 0; c < cols; c++) {
      let idx: number;
      if (n <= width) {
        if (c % step !== 0) continue;
        idx = c / step;
      } else idx = Math.round((c * (s.values.length - 1)) / (cols - 1));
      const v = s.values[idx];
      if (v === undefined || !Number.isFinite(v)) continue;
      const r = height - 1 - Math.round(((v - lo) / (hi - lo)) * (height - 1));
      grid[r][c] = s.mark;
    }
  }
  const label = (v: number) => fmt(v).padStart(9);
  const lines = grid.map((row, r) => `${r === 0 ? label(hi) : r === height - 1 ? label(lo) : ' '.repeat(9)} │${row.join('')}`.trimEnd());
  lines.push(`${' '.repeat(9)} └${'─'.repeat(cols)}`);
  lines.push(`${' '.repeat(11)}${series.map((s) => `${s.mark} ${s.name}`).join('   ')}`);
  return lines;
}
