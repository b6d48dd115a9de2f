/**
 * Reference elementwise kernels: plain loops over typed arrays (the oracle for fast kernels).
 * Strided inputs are read through (shape, strides, offset); broadcasting is a stride of 0.
 */

import type { Storage } from '../../tensor/dtype.js';

/** Unary ops the `unary` kernel knows. */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'tanh' | 'sigmoid' | 'relu' | 'sign' | 'square' | 'reciprocal';
/** Binary ops the `binary` kernel knows (comparisons give 0/1). */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'gt' | 'lt' | 'ge' | 'le' | 'eq' | 'ne' | 'maximum' | 'minimum';

/** Scalar definitions of the unary ops: the semantics every kernel must match. */
export const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
  // PyTorch's CPU sigmoid is 1 / (1 + exp(-x)); saturates to exactly 0 and 1.
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  // NaN propagates (NaN > 0 is false, so test for it).
  relu: (x) => (x > 0 || Number.isNaN(x) ? x : 0),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : Number.isNaN(x) ? x : 0),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
};

/** Scalar definitions of the binary ops: the semantics every kernel must match. */
export const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow,
  gt: (a, b) => (a > b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  // torch.maximum/minimum propagate NaN, as Math.max/min do.
  maximum: Math.max,
  minimum: Math.min,
};

/** C's pow (what PyTorch calls): JavaScript's `**` gives NaN for 1 ** NaN and (-1) ** ±Infinity, C gives 1. */
function pow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Number.POSITIVE_INFINITY || b === Number.NEGATIVE_INFINITY)) return 1;
  return a ** b;
}

/** A strided view of a storage: element (i0, i1, ...) is at offset + sum(ik * strides[k]). */
export interface StridedView {
  data: Storage;
  strides: readonly number[];
  offset: number;
}

/**
 * Drop size-1 dims and merge neighbours that every view walks as one (stride[d] = stride[d+1] *
 * shape[d+1]), so that contiguous operands become a single long row. Same elements, same order.
 */
function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): [number[], number[][]] {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((st, k) => outStrides[k][last] === st[d] * size)) {
      outShape[last] *= size;
      strides.forEach((st, k) => {
        outStrides[k][last] = st[d];
      });
    } else {
      outShape.push(size);
      strides.forEach((st, k) => {
        outStrides[k].push(st[d]);
      });
    }
  }
  return [outShape, outStrides];
}

/**
 * Row-by-row walk of up to three strided operands over `shape` in row-major order. `len` is the
 * row length and `steps[k]` operand k's stride along the row; `visit(fn)` calls
 * fn(outStart, o0, o1, o2) per row with each operand's offset of the row's first element, and the
 * caller runs a plain loop over the row. Kernels are written this way so the inner loop has no
 * call per element.
 */
export function rowsOf(
  shape: readonly number[],
  views: readonly { strides: readonly number[]; offset: number }[],
): { len: number; steps: number[]; visit(fn: (outStart: number, o0: number, o1: number, o2: number) => void): void } {
  let n = 1;
  for (const s of shape) n *= s;
  const [cs, cst] = coalesce(
    shape,
    views.map((v) => v.strides),
  );
  const nd = cs.length;
  const len = nd === 0 ? 1 : cs[nd - 1];
  const steps = cst.map((st) => (nd === 0 ? 0 : st[nd - 1]));
  const visit = (fn: (outStart: number, o0: number, o1: number, o2: number) => void): void => {
    if (n === 0) return;
    const offs = [0, 0, 0];
    views.forEach((v, k) => {
      offs[k] = v.offset;
    });
    const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
    for (let start = 0; start < n; start += len) {
      fn(start, offs[0], offs[1], offs[2]);
      // Advance the multi-index over the leading dims, updating offsets incrementally.
      for (let d = nd - 2; d >= 0; d--) {
        idx[d]++;
        for (let k = 0; k < cst.length; k++) offs[k] += cst[k][d];
        if (idx[d] < cs[d]) break;
        for (let k = 0; k < cst.length; k++) offs[k] -= cst[k][d] * cs[d];
        idx[d] = 0;
      }
    }
  };
  return { len, steps, visit };
}

/**
 * Visit every index of `shape` in row-major order, calling `fn(outIndex, o0, o1, o2)` with the
 * storage offsets of up to three strided operands. Convenient, but a call per element: kernels
 * on hot paths use `rowsOf` instead.
 */
export function forEachStrided(
  shape: readonly number[],
  views: readonly { strides: readonly number[]; offset: number }[],
  fn: (i: number, o0: number, o1: number, o2: number) => void,
): void {
  const { len, steps, visit } = rowsOf(shape, views);
  const [s0 = 0, s1 = 0, s2 = 0] = steps;
  visit((start, o0, o1, o2) => {
    for (let j = 0; j < len; j++) fn(start + j, o0 + j * s0, o1 + j * s1, o2 + j * s2);
  });
}

/** out (contiguous, shape) = src read through its strides. */
export function stridedCopy(shape: readonly number[], src: StridedView, out: Storage): void {
  const d = src.data;
  const { len, steps, visit } = rowsOf(shape, [src]);
  const s = steps[0];
  visit((start, o) => {
    if (s === 1) out.set(d.subarray(o, o + len), start);
    else if (s === 0) out.fill(d[o], start, start + len); // a broadcast value (e.g. the gradient of sum())
    else for (let j = 0; j < len; j++) out[start + j] = d[o + j * s];
  });
}

/** out = f(x), x and out contiguous of the same length. */
export function unary(op: UnaryOp, x: Storage, out: Storage): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
      return;
    default: {
      const f = unaryFns[op];
      for (let i = 0; i < n; i++) out[i] = f(x[i]);
    }
  }
}

/** out (contiguous, shape) = f(a, b), a and b strided/broadcast to shape (a scalar has stride 0). */
export function binary(op: BinaryOp, shape: readonly number[], a: StridedView, b: StridedView, out: Storage): void {
  const da = a.data;
  const db = b.data;
  const { len, steps, visit } = rowsOf(shape, [a, b]);
  const [sa, sb] = steps as [number, number];
  const f = binaryFns[op];
  visit((start, oa, ob) => {
    // The common arithmetic ops get their own loops; the rest go through binaryFns.
    switch (op) {
      case 'add':
        for (let j = 0; j < len; j++) out[start + j] = da[oa + j * sa] + db[ob + j * sb];
        return;
      case 'sub':
        for (let j = 0; j < len; j++) out[start + j] = da[oa + j * sa] - db[ob + j * sb];
        return;
      case 'mul':
        for (let j = 0; j < len; j++) out[start + j] = da[oa + j * sa] * db[ob + j * sb];
        return;
      case 'div':
        for (let j = 0; j < len; j++) out[start + j] = da[oa + j * sa] / db[ob + j * sb];
        return;
      default:
        for (let j = 0; j < len; j++) out[start + j] = f(da[oa + j * sa], db[ob + j * sb]);
    }
  });
}

/** out = cond ? x : y (cond nonzero), all strided/broadcast to shape. */
export function where(shape: readonly number[], cond: StridedView, x: StridedView, y: StridedView, out: Storage): void {
  const dc = cond.data;
  const dx = x.data;
  const dy = y.data;
  const { len, steps, visit } = rowsOf(shape, [cond, x, y]);
  const [sc, sx, sy] = steps as [number, number, number];
  visit((start, oc, ox, oy) => {
    for (let j = 0; j < len; j++) out[start + j] = dc[oc + j * sc] ? dx[ox + j * sx] : dy[oy + j * sy];
  });
}

/** out = min(max(x, lo), hi), as torch.clamp: NaN stays NaN, and hi wins when lo > hi. */
export function clamp(x: Storage, lo: number, hi: number, out: Storage): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.min(Math.max(x[i], lo), hi);
}
