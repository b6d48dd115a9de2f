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
    for (let j = 0; j < k; j++) s += x[base + j]!;
    const m = s / k;
    // Two-pass variance (no cancellation, accumulated in float64).
    let v = 0;
    for (let j = 0; j < k; j++) {
      const d = x[base + j]! - m;
      v += d * d;
    }
    v /= k;
    const rstd = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < k; j++) y[base + j] = (x[base + j]! - m) * rstd;
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
      const g = dy[base + j]!;
      sdy += g;
      sdyy += g * y[base + j]!;
    }
    const mdy = sdy / k;
    const mdyy = sdyy / k;
    const rstd = 1 / Math.sqrt(variance[i]! + eps);
    for (let j = 0; j < k; j++) dx[base + j] = rstd * (dy[base + j]! - mdy - y[base + j]! * mdyy);
  }
}
