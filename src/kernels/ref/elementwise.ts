/**
 * Reference elementwise kernels: plain loops over typed arrays (the oracle for fast kernels).
 * Strided inputs are read through (shape, strides, offset); broadcasting is a stride of 0.
 */

import type { Storage } from '../../tensor/dtype.js';

export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'tanh' | 'sigmoid' | 'relu' | 'sign' | 'square' | 'reciprocal';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'gt' | 'lt' | 'ge' | 'le' | 'eq' | 'ne' | 'maximum' | 'minimum';

export const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  tanh: Math.tanh,
  // PyTorch's CPU sigmoid is 1 / (1 + exp(-x)); saturates to exactly 0 and 1.
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  // NaN propagates (NaN > 0 is false, so write it so NaN stays NaN).
  relu: (x) => (x > 0 ? x : x !== x ? x : 0),
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x !== x ? x : 0),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
};

export const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  gt: (a, b) => (a > b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  // torch.maximum/minimum propagate NaN.
  maximum: (a, b) => (a !== a || b !== b ? Number.NaN : a > b ? a : b),
  minimum: (a, b) => (a !== a || b !== b ? Number.NaN : a < b ? a : b),
};

/** A strided view of a storage: element (i0, i1, ...) is at offset + sum(ik * strides[k]). */
export interface StridedView {
  data: Storage;
  strides: readonly number[];
  offset: number;
}

/**
 * Visit every index of `shape` in row-major order, calling `fn(outIndex, offA, offB, offC)` with the
 * offsets of up to three strided operands. Used by every elementwise kernel.
 */
export function forEachStrided(
  shape: readonly number[],
  views: readonly { strides: readonly number[]; offset: number }[],
  fn: (i: number, o0: number, o1: number, o2: number) => void,
): void {
  const nd = shape.length;
  let n = 1;
  for (const s of shape) n *= s;
  if (n === 0) return;
  const idx = new Array<number>(nd).fill(0);
  const offs = views.map((v) => v.offset);
  while (offs.length < 3) offs.push(0);
  const st = views.map((v) => v.strides);
  for (let i = 0; i < n; i++) {
    fn(i, offs[0]!, offs[1]!, offs[2]!);
    // Increment the multi-index from the last dim, updating offsets incrementally.
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      for (let k = 0; k < st.length; k++) offs[k]! += st[k]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let k = 0; k < st.length; k++) offs[k]! -= st[k]![d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

/** out (contiguous, shape) = src read through its strides. */
export function stridedCopy(shape: readonly number[], src: StridedView, out: Storage): void {
  const d = src.data;
  forEachStrided(shape, [src], (i, o) => {
    out[i] = d[o]!;
  });
}

/** out = f(x), x and out contiguous of the same length. */
export function unary(op: UnaryOp, x: Storage, out: Storage): void {
  const f = unaryFns[op];
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
}

/** out (contiguous, shape) = f(a, b), a and b strided/broadcast to shape. */
export function binary(op: BinaryOp, shape: readonly number[], a: StridedView, b: StridedView, out: Storage): void {
  const f = binaryFns[op];
  const da = a.data;
  const db = b.data;
  forEachStrided(shape, [a, b], (i, oa, ob) => {
    out[i] = f(da[oa]!, db[ob]!);
  });
}

/** out = cond ? x : y, all strided/broadcast to shape. */
export function where(shape: readonly number[], cond: StridedView, x: StridedView, y: StridedView, out: Storage): void {
  const dc = cond.data;
  const dx = x.data;
  const dy = y.data;
  forEachStrided(shape, [cond, x, y], (i, oc, ox, oy) => {
    out[i] = dc[oc] ? dx[ox]! : dy[oy]!;
  });
}

/** out = min(max(x, lo), hi) with NaN propagated, as torch.clamp. */
export function clamp(x: Storage, lo: number, hi: number, out: Storage): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v !== v ? v : v < lo ? lo : v > hi ? hi : v;
  }
}
