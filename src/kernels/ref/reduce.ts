/**
 * Reference reductions over one axis. A contiguous tensor is viewed as (outer, n, inner) and
 * reduced over the middle axis: out is (outer, inner).
 */

import type { Storage } from '../../tensor/dtype.js';

/** out[o, i] = sum_j x[o, j, i], accumulated in float64. */
export function sumAxis(x: Storage, outer: number, n: number, inner: number, out: Storage): void {
  if (inner === 1) {
    // Rows of contiguous values (a whole-tensor sum is one such row): a scalar accumulator.
    for (let o = 0; o < outer; o++) {
      let acc = 0;
      const base = o * n;
      for (let j = 0; j < n; j++) acc += x[base + j];
      out[o] = acc;
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    // j outside i: both x and acc are read in memory order.
    for (let j = 0; j < n; j++) {
      const base = (o * n + j) * inner;
      for (let i = 0; i < inner; i++) acc[i] += x[base + i];
    }
    for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i];
  }
}

/** values[o, i] = max_j x[o, j, i], indices = argmax (first occurrence; NaN wins, as PyTorch). */
export function maxAxis(x: Storage, outer: number, n: number, inner: number, values: Storage, indices: Int32Array): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = x[o * n * inner + i];
      let arg = 0;
      for (let j = 1; j < n && !Number.isNaN(best); j++) {
        const v = x[(o * n + j) * inner + i];
        if (v > best || Number.isNaN(v)) {
          best = v;
          arg = j;
        }
      }
      values[o * inner + i] = best;
      indices[o * inner + i] = arg;
    }
  }
}

/** out = softmax(x) (or log-softmax) along the middle axis, max-shifted for stability. */
export function softmaxAxis(x: Storage, outer: number, n: number, inner: number, out: Storage, log: boolean): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let mx = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < n; j++) mx = Math.max(mx, x[base + j * inner]);
      if (mx === Number.NEGATIVE_INFINITY) mx = 0;
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x[base + j * inner] - mx);
      const ls = Math.log(s);
      for (let j = 0; j < n; j++) {
        const v = x[base + j * inner] - mx;
        out[base + j * inner] = log ? v - ls : Math.exp(v) / s;
      }
    }
  }
}
