/** Reference matrix product (the oracle for fast GEMM kernels). */

import type { FloatStorage } from '../../tensor/dtype.js';

/**
 * C[M,N] (+)= op(A)[M,K] · op(B)[K,N], for `batch` independent problems.
 * op(A) is A (M,K) row-major, or Aᵀ when transA (A stored (K,M)); likewise B (K,N) or (N,K).
 * Each problem starts at offset `i * stride` in its array (stride 0 shares the operand).
 */
export interface GemmArgs<A extends FloatStorage = FloatStorage> {
  m: number;
  n: number;
  k: number;
  a: A;
  b: A;
  c: A;
  transA?: boolean;
  transB?: boolean;
  /** Add into C instead of overwriting it. */
  accumulate?: boolean;
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
}

/** The reference GEMM (see GemmArgs); accumulates each dot product in float64. */
export function gemm(p: GemmArgs): void {
  const { m, n, k, a, b, c } = p;
  const batch = p.batch ?? 1;
  // Element (i, kk) of op(A) and (kk, j) of op(B), as (row stride, col stride) pairs.
  const [ars, acs] = p.transA ? [1, m] : [k, 1];
  const [brs, bcs] = p.transB ? [1, k] : [n, 1];
  for (let bi = 0; bi < batch; bi++) {
    const oa = (p.offsetA ?? 0) + bi * (p.strideA ?? m * k);
    const ob = (p.offsetB ?? 0) + bi * (p.strideB ?? k * n);
    const oc = (p.offsetC ?? 0) + bi * (p.strideC ?? m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let kk = 0; kk < k; kk++) acc += a[oa + i * ars + kk * acs] * b[ob + kk * brs + j * bcs];
        const ci = oc + i * n + j;
        c[ci] = p.accumulate ? c[ci] + acc : acc;
      }
    }
  }
}
