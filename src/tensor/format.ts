/**
 * PyTorch-style printing: `tensor([[0.1000, 2.0000]], requires_grad=True)`.
 * Follows torch/_tensor_str.py's rules: integer-valued floats print as `1.`, otherwise 4
 * decimals, scientific notation when the magnitudes span too much; long tensors are summarised
 * with `...` past 1000 elements.
 */

import { numel } from './shape.js';
import type { Tensor } from './tensor.js';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE = 3;

function makeFormatter(values: number[], isInt: boolean): (v: number) => string {
  if (isInt) return (v) => String(v);
  const finite = values.filter((v) => Number.isFinite(v));
  const abs = finite.map(Math.abs).filter((v) => v !== 0);
  const intMode = finite.every((v) => Number.isInteger(v));
  const special = (v: number): string | null =>
    Number.isNaN(v) ? 'nan' : v === Number.POSITIVE_INFINITY ? 'inf' : v === Number.NEGATIVE_INFINITY ? '-inf' : null;
  if (intMode) {
    const sci = abs.length > 0 && Math.max(...abs) > 1e8;
    return (v) => special(v) ?? (sci ? v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2') : `${v.toFixed(0)}.`);
  }
  const mx = abs.length > 0 ? Math.max(...abs) : 0;
  const mn = abs.length > 0 ? Math.min(...abs) : 0;
  const sci = abs.length > 0 && (mx / mn > 1000 || mx > 1e8 || mn < 1e-4);
  return (v) => special(v) ?? (sci ? v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2') : v.toFixed(PRECISION));
}

export function formatTensor(t: Tensor): string {
  const data = t.contiguousData();
  const summarize = numel(t.shape) > THRESHOLD;
  const all = Array.from(data);
  const fmt = makeFormatter(all, t.dtype === 'int32');
  const width = Math.max(1, ...all.map((v) => fmt(v).length));
  const cell = (v: number) => fmt(v).padStart(width);
  const strides = t.shape.map((_, i) => numel(t.shape.slice(i + 1)));
  const indent = 'tensor('.length;
  const render = (dim: number, off: number): string => {
    if (dim === t.ndim) return cell(data[off]!);
    const n = t.shape[dim]!;
    const idx: (number | null)[] =
      summarize && n > 2 * EDGE
        ? [...Array.from({ length: EDGE }, (_, i) => i), null, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)]
        : Array.from({ length: n }, (_, i) => i);
    const parts = idx.map((i) => (i === null ? '...' : render(dim + 1, off + i * strides[dim]!)));
    if (dim === t.ndim - 1) return `[${parts.join(', ')}]`;
    const sep = `,${'\n'.repeat(t.ndim - dim - 1)}${' '.repeat(indent + dim + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  const body = t.ndim === 0 ? fmt(data[0]!) : render(0, 0);
  const extras: string[] = [];
  if (t.numel() === 0 && t.ndim > 1) extras.push(`size=(${t.shape.join(', ')})`);
  if (t.dtype !== 'float32') extras.push(`dtype=torch.${t.dtype}`);
  if (t.gradFn !== null) extras.push(`grad_fn=${t.gradFn.toString()}`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  return `tensor(${body}${extras.map((e) => `, ${e}`).join('')})`;
}
