/**
 * The explain report as text for a terminal: one block per module (and per layer and direction
 * inside a recurrent stack), shapes as `(N=32, L=100, Hin=60)`, then the totals and the warnings
 * with their fixes. Colour is the caller's choice (`style`); by default there is none.
 */

import { ArgumentTypeError, typeName } from '../errors.js';
import type { Dim, ExplainNode, ExplainReport, TensorInfo } from './report.js';

/** Text styles; each returns its argument wrapped in escape codes, or unchanged. No PyTorch twin. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  cyan(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  green(s: string): string;
}

const plain: Style = { bold: (s) => s, dim: (s) => s, cyan: (s) => s, yellow: (s) => s, red: (s) => s, green: (s) => s };

/** `(N=32, L=100, Hin=60)`; a dim without a symbol prints as its number. No PyTorch twin. */
export function dimsText(dims: readonly Dim[]): string {
  return `(${dims.map((x) => (x.sym ? `${x.sym}=${x.size}` : String(x.size))).join(', ')})`;
}

/** 1234567 → "1.23 M", for FLOPs and counts. No PyTorch twin. */
export function si(n: number): string {
  if (n < 1000) return `${Math.round(n)} `;
  const units = ['k', 'M', 'G', 'T', 'P'];
  let u = -1;
  let v = n;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

/** Bytes as "1.5 MB" (powers of 1024, PyTorch's and the OS's habit: MiB shown as MB). */
export function bytesText(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function tensorLine(t: TensorInfo, indent: string, width: number, s: Style): string {
  const shape = dimsText(t.dims);
  return `${indent}${t.name.padEnd(width)} ${s.cyan(shape)}${t.note ? `  ${s.dim(t.note)}` : ''}`;
}

function nodeLines(n: ExplainNode, s: Style): string[] {
  const pad = '  '.repeat(n.depth);
  const lines: string[] = [];
  const title = n.kind === 'direction' ? s.bold(n.type) + s.dim(`  ${n.repr.replace(/^layer \d+, /, '')}`) : `${n.path ? `${s.dim(`(${n.path})`)} ` : ''}${s.bold(n.repr)}`;
  const count = n.params.reduce((a, p) => a + p.count, 0);
  lines.push(`${pad}${title}${count > 0 && n.kind === 'module' ? s.dim(`  ${count.toLocaleString('en-US')} params`) : ''}${n.failed ? s.red('  (fails on this input)') : n.called ? '' : s.yellow('  (not called)')}`);
  const width = Math.max(6, ...[...n.inputs, ...n.outputs].map((t) => t.name.length));
  const inner = `${pad}  `;
  for (const t of n.inputs) lines.push(tensorLine(t, `${inner}${s.dim('in ')} `, width, s));
  for (const t of n.outputs) lines.push(tensorLine(t, `${inner}${s.dim('out')} `, width, s));
  if (n.kind === 'direction' || n.params.length <= 6 || n.depth > 0) {
    const pw = Math.max(0, ...n.params.map((p) => p.name.length));
    if (n.kind === 'direction' || !n.params.some((p) => /_l\d/.test(p.name))) {
      for (const p of n.params) lines.push(`${inner}${s.dim('par')} ${p.name.padEnd(pw)} ${dimsText(p.dims)}  ${s.dim(p.count.toLocaleString('en-US'))}`);
    }
  }
  if (n.cost && n.kind === 'module') {
    lines.push(
      `${inner}${s.dim('cost')} ${si(n.cost.flops.inference)}FLOP inference, ${si(n.cost.flops.trainingStep)}FLOP training step; activations ${bytesText(n.cost.activationBytes.noGrad)} (noGrad), ${bytesText(n.cost.activationBytes.grad)} (with grad)`,
    );
  }
  return lines;
}

/** Render a report as text lines (no trailing newline). No PyTorch twin. */
export function renderExplain(r: ExplainReport, style: Partial<Style> = {}): string {
  // A style is an implementation of `Style` (it may carry more, as the CLI's does), not an options
  // bag; only its colour functions are checked.
  if (style === null || typeof style !== 'object') {
    throw new ArgumentTypeError(`renderExplain(): argument 'style' (position 2) must be a Style object, not ${typeName(style)}`);
  }
  for (const k of Object.keys(plain) as (keyof Style)[]) {
    if (style[k] !== undefined && typeof style[k] !== 'function') {
      throw new ArgumentTypeError(`renderExplain(): style.${k} must be a function (string => string), not ${typeName(style[k])}`);
    }
  }
  const s: Style = { ...plain, ...style };
  const out: string[] = [];
  out.push(`${s.bold('explain')} ${r.model}  ${s.dim('on input')} ${s.cyan(dimsText(r.input.dims))}`);
  out.push('');
  for (const n of r.nodes) out.push(...nodeLines(n, s));
  out.push('');
  const t = r.totals;
  out.push(`${s.bold('total')}  ${t.params.toLocaleString('en-US')} parameters (${bytesText(t.paramBytes)})`);
  out.push(`       FLOPs: ${si(t.flops.inference)}FLOP per forward (inference), ≈ ${si(t.flops.trainingStep)}FLOP per training step (forward + backward)`);
  out.push(`       activations: ${bytesText(t.activationBytes.noGrad)} at the peak under noGrad, ≈ ${bytesText(t.activationBytes.grad)} kept for backward with grad`);
  const used = new Set<string>();
  for (const n of r.nodes) for (const x of [...n.inputs, ...n.outputs, ...n.params]) for (const dd of x.dims) for (const part of dd.sym.split('*')) used.add(part.replace(/^\d+$/, ''));
  const legend = Object.entries(r.legend).filter(([k]) => used.has(k) || (k === 'sum(lengths)' && used.has('sum(lengths)')));
  if (legend.length > 0) out.push(`${s.dim('symbols')} ${legend.map(([k, v]) => `${k} ${s.dim(v)}`).join('; ')}`);
  if (r.error !== undefined) {
    out.push('');
    out.push(`${s.red(s.bold('error'))} the module cannot run on this input: ${r.error}`);
  }
  if (r.warnings.length > 0) {
    out.push('');
    out.push(s.bold(`warnings (${r.warnings.length})`));
    for (const w of r.warnings) {
      out.push(`${s.yellow('!')} ${w.path ? `${s.dim(`(${w.path})`)} ` : ''}${w.message}`);
      out.push(`  ${s.green('fix:')} ${w.fix}`);
    }
  }
  return out.join('\n');
}
