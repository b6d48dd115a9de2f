/**
 * PyTorch-style printing: `tensor([[0.1000, 2.0000]], requires_grad=True)`.
 *
 * Follows torch/_tensor_str.py (PyTorch 1.13, default print options): the format is chosen from
 * the nonzero finite values only: integer-valued floats print as `1.`, otherwise 4 decimals, and
 * scientific notation (`1.0000e-05`) when max/min > 1000, max > 1e8 or (fractional values only)
 * min < 1e-4. Every value is padded to the widest one; rows wrap at 80 characters; tensors of
 * more than 1000 elements are summarised with the first and last 3 entries of each dim.
 * Numbers are rounded half-to-even on their exact binary value, as Python's `format` does.
 */

import type { Tensor } from './tensor.js';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE = 3;
const LINE_WIDTH = 80;
/** Dtypes PyTorch's repr leaves out (`has_default_dtype`): the default float, int64 and bool. */
const DEFAULT_DTYPES = new Set(['float32', 'int64', 'bool']);

// ---- exact decimal rounding (Python's '{:.Nf}' and '{:.Ne}') -----------------------------------

/** |x| exactly as an integer digit string N and a scale s: |x| = N / 10^s. */
function exactDecimal(x: number): { digits: string; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = hi >>> 20;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (biased === 0) {
    e2 = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    e2 = biased - 1075;
  }
  if (e2 >= 0) return { digits: (mant << BigInt(e2)).toString(), scale: 0 };
  // mant / 2^k = mant * 5^k / 10^k
  return { digits: (mant * 5n ** BigInt(-e2)).toString(), scale: -e2 };
}

/** Keep the first `keep` digits of `digits`, rounding half to even on the rest. May grow by one digit. */
function roundDigits(digits: string, keep: number): string {
  if (keep >= digits.length) return digits + '0'.repeat(keep - digits.length);
  if (keep < 0) return '0';
  const head = digits.slice(0, keep);
  const rest = digits.slice(keep);
  let up: boolean;
  if (rest[0] > '5') up = true;
  else if (rest[0] < '5') up = false;
  else if (/[1-9]/.test(rest.slice(1))) up = true;
  else up = head.length > 0 && Number(head[head.length - 1]) % 2 === 1;
  if (!up) return head.length > 0 ? head : '0';
  return (BigInt(head.length > 0 ? head : '0') + 1n).toString().padStart(head.length, '0');
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

/** Python's `'{:.{p}f}'.format(x)` for finite x. */
export function formatFixed(x: number, p: number): string {
  const { digits, scale } = exactDecimal(x);
  const padded = digits.padStart(scale + 1, '0');
  const intLen = padded.length - scale;
  const r = roundDigits(padded, intLen + p).padStart(intLen + p, '0');
  const cut = r.length - p;
  const intPart = r.slice(0, cut).replace(/^0+(?=\d)/, '');
  return `${sign(x)}${intPart}${p > 0 ? `.${r.slice(cut)}` : ''}`;
}

/** Python's `'{:.{p}e}'.format(x)` for finite x. */
export function formatSci(x: number, p: number): string {
  const { digits, scale } = exactDecimal(x);
  const stripped = digits.replace(/^0+/, '');
  if (stripped === '') return `${sign(x)}${(0).toFixed(p)}e+00`;
  let exp = stripped.length - 1 - scale;
  let r = roundDigits(stripped, p + 1);
  if (r.length > p + 1) {
    r = r.slice(0, p + 1);
    exp += 1;
  }
  const mant = p > 0 ? `${r[0]}.${r.slice(1)}` : r[0];
  const e = Math.abs(exp).toString().padStart(2, '0');
  return `${sign(x)}${mant}e${exp < 0 ? '-' : '+'}${e}`;
}

function special(v: number): string | null {
  if (Number.isNaN(v)) return 'nan';
  if (v === Number.POSITIVE_INFINITY) return 'inf';
  if (v === Number.NEGATIVE_INFINITY) return '-inf';
  return null;
}

// ---- the formatter: one number format and width for the whole tensor ---------------------------

interface Formatter {
  width: number;
  format(v: number): string;
}

/** PyTorch's `_Formatter`, built from the values that will be printed. */
function makeFormatter(values: readonly number[], kind: 'float' | 'int' | 'bool'): Formatter {
  if (kind === 'bool') {
    // PyTorch prints True/False padded to the widest shown (`tensor([ True, False])`).
    const width = values.some((v) => v === 0) ? 5 : 4;
    return { width, format: (v) => (v !== 0 ? 'True' : 'False').padStart(width) };
  }
  if (kind === 'int') {
    const width = Math.max(1, ...values.map((v) => String(v).length));
    return { width, format: (v) => String(v).padStart(width) };
  }
  const nz = values.filter((v) => Number.isFinite(v) && v !== 0);
  let mode: 'int' | 'fixed' | 'sci' = 'int';
  let width = 1;
  if (nz.length > 0) {
    const abs = nz.map(Math.abs);
    const mx = Math.max(...abs);
    const mn = Math.min(...abs);
    const intMode = nz.every((v) => v === Math.ceil(v));
    if (intMode) mode = mx / mn > 1000 || mx > 1e8 ? 'sci' : 'int';
    else mode = mx / mn > 1000 || mx > 1e8 || mn < 1e-4 ? 'sci' : 'fixed';
    for (const v of nz) {
      const len =
        mode === 'sci'
          ? formatSci(v, PRECISION).length
          : mode === 'int'
            ? formatFixed(v, 0).length + 1
            : formatFixed(v, PRECISION).length;
      width = Math.max(width, len);
    }
  }
  const format = (v: number): string => {
    const s = special(v);
    let out: string;
    if (mode === 'sci') out = s ?? formatSci(v, PRECISION);
    else if (mode === 'int') out = s ?? `${formatFixed(v, 0)}.`;
    else out = s ?? formatFixed(v, PRECISION);
    return out.padStart(width);
  };
  return { width, format };
}

// ---- layout ------------------------------------------------------------------------------------

/** Row-major reader of any tensor (views included) without copying. */
function reader(t: Tensor): (index: readonly number[]) => number {
  return (index) => {
    let o = t.offset;
    for (let d = 0; d < index.length; d++) o += index[d] * t.strides[d];
    return t.storage[o];
  };
}

/** The indices printed along a dim of size n (all, or the edges when summarising). */
function shown(n: number, summarize: boolean): (number | null)[] {
  if (summarize && n > 2 * EDGE) {
    return [...Array.from({ length: EDGE }, (_, i) => i), null, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)];
  }
  return Array.from({ length: n }, (_, i) => i);
}

/** The values PyTorch builds its formatter from (`get_summarized_data`). */
function printedValues(t: Tensor, summarize: boolean): number[] {
  const get = reader(t);
  const out: number[] = [];
  const walk = (prefix: number[]): void => {
    if (prefix.length === t.ndim) {
      out.push(get(prefix));
      return;
    }
    for (const i of shown(t.shape[prefix.length], summarize)) if (i !== null) walk([...prefix, i]);
  };
  walk([]);
  return out;
}

function tensorBody(t: Tensor, indent: number, summarize: boolean, fmt: Formatter): string {
  const get = reader(t);
  const render = (prefix: number[], ind: number): string => {
    const dim = prefix.length;
    const n = t.shape[dim];
    if (dim === t.ndim - 1) {
      // PyTorch's _vector_str: as many elements per line as fit in the line width.
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - ind) / (fmt.width + 2)));
      const data = shown(n, summarize).map((i) => (i === null ? ' ...' : fmt.format(get([...prefix, i]))));
      const lines: string[] = [];
      for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(ind + 1)}`)}]`;
    }
    const parts = shown(n, summarize).map((i) => (i === null ? '...' : render([...prefix, i], ind + 1)));
    return `[${parts.join(`,${'\n'.repeat(t.ndim - dim - 1)}${' '.repeat(ind + 1)}`)}]`;
  };
  return render([], indent);
}

/** PyTorch's `_add_suffixes`: `, suffix` or, past the line width, `,\n` + indent + suffix. */
function addSuffixes(text: string, suffixes: readonly string[], indent: number): string {
  const parts = [text];
  let lastLineLen = text.length - text.lastIndexOf('\n') + 1;
  for (const s of suffixes) {
    if (lastLineLen + s.length + 2 > LINE_WIDTH) {
      parts.push(`,\n${' '.repeat(indent)}${s}`);
      lastLineLen = indent + s.length;
    } else {
      parts.push(`, ${s}`);
      lastLineLen += s.length + 2;
    }
  }
  parts.push(')');
  return parts.join('');
}

/** The string `repr(tensor)` gives in PyTorch. */
export function formatTensor(t: Tensor): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const n = t.numel();
  const suffixes: string[] = [];
  let body: string;
  if (n === 0) {
    // PyTorch shows the size unless it is (0,).
    if (t.ndim !== 1) suffixes.push(`size=(${t.shape.join(', ')})`);
    // An empty tensor shows any dtype but the default float one (int64 and bool too).
    if (t.dtype !== 'float32') suffixes.push(`dtype=torch.${t.dtype}`);
    body = '[]';
  } else {
    if (!DEFAULT_DTYPES.has(t.dtype)) suffixes.push(`dtype=torch.${t.dtype}`);
    const summarize = n > THRESHOLD;
    const fmt = makeFormatter(printedValues(t, summarize), t.dtype === 'float32' || t.dtype === 'float64' ? 'float' : t.dtype === 'bool' ? 'bool' : 'int');
    body = t.ndim === 0 ? fmt.format(t.storage[t.offset]).trimStart() : tensorBody(t, indent, summarize, fmt);
  }
  if (t.gradFn !== null) suffixes.push(`grad_fn=${t.gradFn.toString()}`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return addSuffixes(prefix + body, suffixes, indent);
}
