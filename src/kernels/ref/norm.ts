/**
 * Reference normalisation kernels: standardise each row of a (R, K) array to zero mean and
 * unit variance. LayerNorm, GroupNorm and BatchNorm all reduce to this once their input is
 * viewed as rows (PyTorch: the moments + transform halves of `layer_norm`, `native_group_norm`,
 * `native_batch_norm`); the affine scale and shift are applied by ordinary ops afterwards.
 *
 * Legend: x is (R, K), y is (R, K), mean is (R), variance is (R) (biased: divided by K).
 */

import type { FloatStorage } from '../../tensor/dtype.js';

/** y = (x - mean) / sqrt(var + eps) per row; writes y, mean and the biased variance. */
export function standardizeForward(
  x: FloatStorage,
  r: number,
  k: number,
  eps: number,
  y: FloatStorage,
  mean: FloatStorage,
  variance: FloatStorage,
): void {
  for (let i = 0; i < r; i++) {
    const base = i * k;
    let s = 0;
    for (let j = 0; j < k; j++) s += x[base + j];
    const m = s / k;
    // Two-pass variance (no cancellation, accumulated in float64).
    let v = 0;
    for (let j = 0; j < k; j++) {
      const d = x[base + j] - m;
      v += d * d;
    }
    v /= k;
    const rstd = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < k; j++) y[base + j] = (x[base + j] - m) * rstd;
    mean[i] = m;
    variance[i] = v;
  }
}

/**
 * dx = rstd * (dy - mean(dy) - y * mean(dy * y)) per row, with y the forward output and
 * rstd = 1 / sqrt(var + eps). Overwrites dx.
 */
export function standardizeBackward(
  dy: FloatStorage,
  y: FloatStorage,
  variance: FloatStorage,
  r: number,
  k: number,
  eps: number,
  dx: FloatStorage,
): void {
  for (let i = 0; i < r; i++) {
    const base = i * k;
    let sdy = 0;
    let sdyy = 0;
    for (let j = 0; j < k; j++) {
      const g = dy[base + j];
      sdy += g;
      sdyy += g * y[base + j];
    }
    const mdy = sdy / k;
    const mdyy = sdyy / k;
    const rstd = 1 / Math.sqrt(variance[i] + eps);
    for (let j = 0; j < k; j++) dx[base + j] = rstd * (dy[base + j] - mdy - y[base + j] * mdyy);
  }
}

/**
 * Where a row element's scale and shift live. Element j of row r uses parameter
 * (r % groups) * (K / repeat) + floor(j / repeat):
 * LayerNorm groups = 1, repeat = 1 (index j); GroupNorm groups = G, repeat = positions per
 * channel; BatchNorm (rows are channels) groups = C, repeat = K (index r).
 */
export interface AffineLayout {
  groups: number;
  repeat: number;
}

/** out = xhat * weight[p] + bias[p] (either may be null: 1 and 0). x, out (R, K). */
export function affineForward(
  xhat: FloatStorage,
  r: number,
  k: number,
  layout: AffineLayout,
  weight: FloatStorage | null,
  bias: FloatStorage | null,
  out: FloatStorage,
): void {
  const per = k / layout.repeat;
  for (let i = 0; i < r; i++) {
    const base = i * k;
    const p0 = (i % layout.groups) * per;
    for (let j = 0; j < k; j++) {
      const p = p0 + Math.floor(j / layout.repeat);
      const v = xhat[base + j];
      out[base + j] = (weight === null ? v : v * weight[p]) + (bias === null ? 0 : bias[p]);
    }
  }
}

/**
 * Backward of affineForward: dxhat = dy * weight[p] (dy when weight is null), and when given,
 * dweight[p] += dy * xhat, dbias[p] += dy (accumulated in float64 by the caller's arrays).
 */
export function affineBackward(
  dy: FloatStorage,
  xhat: FloatStorage,
  r: number,
  k: number,
  layout: AffineLayout,
  weight: FloatStorage | null,
  dxhat: FloatStorage,
  dweight: Float64Array | null,
  dbias: Float64Array | null,
): void {
  const per = k / layout.repeat;
  for (let i = 0; i < r; i++) {
    const base = i * k;
    const p0 = (i % layout.groups) * per;
    for (let j = 0; j < k; j++) {
      const p = p0 + Math.floor(j / layout.repeat);
      const g = dy[base + j];
      dxhat[base + j] = weight === null ? g : g * weight[p];
      if (dweight !== null) dweight[p] += g * xhat[base + j];
      if (dbias !== null) dbias[p] += g;
    }
  }
}
