/**
 * Normalisation as one autograd op: standardise rows, then the optional per-feature scale and
 * shift. The shared core of LayerNorm, GroupNorm and BatchNorm (PyTorch: `native_layer_norm`,
 * `native_group_norm`, `native_batch_norm`); each views its input as rows and says where its
 * weight applies (src/kernels/ref/norm.ts, AffineLayout). Forward beside backward.
 */

import { record } from '../autograd/node.js';
import { DTypeError } from '../errors.js';
import type { AffineLayout } from '../kernels/ref/norm.js';
import { affineBackward, affineForward, standardizeBackward, standardizeForward } from '../kernels/ref/norm.js';
import type { FloatStorage } from '../tensor/dtype.js';
import { allocStorage, isFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { contiguous } from './util.js';

export type { AffineLayout };

export interface NormalizeRowsOptions {
  eps: number;
  /** Scale per parameter index, or null. */
  weight?: Tensor | null;
  /** Shift per parameter index, or null. */
  bias?: Tensor | null;
  /** Which parameter each element uses (default: LayerNorm's, index = position in the row). */
  layout?: AffineLayout;
  /** PyTorch's grad_fn name, e.g. `NativeGroupNormBackward0`. */
  name?: string;
  /**
   * Rows are the middle axis of x (N, R, S) rather than x's own rows (BatchNorm: a row is one
   * channel over every sample and position). The output keeps x's layout.
   */
  middleAxisRows?: boolean;
  /** The output's shape (default x's); x's row-major data, only relabelled (no copy). */
  shape?: readonly number[];
}

export interface Normalized {
  /** (R, K): (x - mean) / sqrt(var + eps) * weight + bias, differentiable in x, weight, bias. */
  output: Tensor;
  /** (R) row means, no gradient. */
  mean: Tensor;
  /** (R) biased row variances (divided by K), no gradient. */
  variance: Tensor;
}

function floatData(t: Tensor): FloatStorage {
  return contiguous(t.detach()).contiguousData() as FloatStorage;
}

/** (N, R, S) -> (R, N*S) when `toRows`, else the reverse; a plain copy when N = 1 and S = 1. */
function regroup(src: FloatStorage, n: number, r: number, sz: number, toRows: boolean): FloatStorage {
  const dst = src instanceof Float64Array ? new Float64Array(src.length) : new Float32Array(src.length);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < r; i++) {
      const a = (b * r + i) * sz;
      const c = (i * n + b) * sz;
      for (let q = 0; q < sz; q++) {
        if (toRows) dst[c + q] = src[a + q];
        else dst[a + q] = src[c + q];
      }
    }
  }
  return dst;
}

/**
 * Standardise each row of a 2-D tensor x (R, K) (or the rows of the middle axis of x (N, R, S),
 * K = N*S) and apply the affine parameters. Gradients:
 * dxhat = dy * w; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat));
 * dw = Σ dy * xhat and db = Σ dy over the elements that use each parameter.
 */
export function normalizeRows(x: Tensor, options: NormalizeRowsOptions): Normalized {
  if (!isFloat(x.dtype)) throw new DTypeError(`"native_layer_norm" not implemented for 'Int'`);
  const { eps } = options;
  const weight = options.weight ?? null;
  const bias = options.bias ?? null;
  const layout = options.layout ?? { groups: 1, repeat: 1 };
  const middle = options.middleAxisRows ?? false;
  const [n0, r, s0] = middle ? (x.shape as [number, number, number]) : [1, x.shape[0], 1];
  const k = middle ? n0 * s0 : x.shape[1];
  const shape = options.shape ?? x.shape;
  const toRows = (d: FloatStorage): FloatStorage => (middle ? regroup(d, n0, r, s0, true) : d);
  const fromRows = (d: FloatStorage): FloatStorage => (middle ? regroup(d, n0, r, s0, false) : d);
  const xd = toRows(floatData(x));
  const xhat = allocStorage(x.dtype, r * k) as FloatStorage;
  const mean = new Float64Array(r);
  const variance = new Float64Array(r);
  standardizeForward(xd, r, k, eps, xhat, mean, variance);
  const w = weight === null ? null : floatData(weight);
  const b = bias === null ? null : floatData(bias);
  let out = xhat;
  if (w !== null || b !== null) {
    out = allocStorage(x.dtype, r * k) as FloatStorage;
    affineForward(xhat, r, k, layout, w, b, out);
  }
  const inputs = [x];
  if (weight !== null) inputs.push(weight);
  if (bias !== null) inputs.push(bias);
  const y = new Tensor(fromRows(out), shape, x.dtype);
  const output = record(options.name ?? 'NativeLayerNormBackward0', inputs, y, ([g]) => {
    const dy = toRows(floatData(g!));
    const dw = weight?.requiresGrad ? new Float64Array(weight.numel()) : null;
    const db = bias?.requiresGrad ? new Float64Array(bias.numel()) : null;
    let dxhat = dy;
    if (w !== null || dw !== null || db !== null) {
      dxhat = allocStorage(x.dtype, r * k) as FloatStorage;
      affineBackward(dy, xhat, r, k, layout, w, dxhat, dw, db);
    }
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const d = allocStorage(x.dtype, r * k) as FloatStorage;
      standardizeBackward(dxhat, xhat, variance, r, k, eps, d);
      dx = new Tensor(fromRows(d), x.shape, x.dtype);
    }
    const wrap = (d: Float64Array | null, like: Tensor): Tensor | null => {
      if (d === null) return null;
      const s = allocStorage(like.dtype, d.length);
      s.set(d);
      return new Tensor(s, like.shape, like.dtype);
    };
    const grads: (Tensor | null)[] = [dx];
    if (weight !== null) grads.push(wrap(dw, weight));
    if (bias !== null) grads.push(wrap(db, bias));
    return grads;
  }, [x, weight, bias], 'raw');
  const asTensor = (d: Float64Array): Tensor => {
    const s = allocStorage(x.dtype, r);
    s.set(d);
    return new Tensor(s, [r], x.dtype);
  };
  return { output, mean: asTensor(mean), variance: asTensor(variance) };
}

export interface NormalizeWithStatsOptions {
  /** (C) per-channel mean to subtract (BatchNorm's running mean). */
  mean: Tensor;
  /** (C) per-channel variance to divide by after adding eps (BatchNorm's running variance). */
  variance: Tensor;
  eps: number;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** The output's shape (default x's). */
  shape?: readonly number[];
}

/**
 * y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c] over x (N, C, S) with given
 * statistics (BatchNorm in eval mode; PyTorch: `native_batch_norm` with training=False).
 * Gradients: dx = g w / sqrt(var + eps); dw = Σ g xhat; db = Σ g. The statistics get none.
 */
export function normalizeWithStats(x: Tensor, options: NormalizeWithStatsOptions): Tensor {
  if (!isFloat(x.dtype)) throw new DTypeError(`"batch_norm" not implemented for 'Int'`);
  const [n, c, s] = x.shape as [number, number, number];
  const weight = options.weight ?? null;
  const bias = options.bias ?? null;
  const xd = floatData(x);
  const md = floatData(options.mean);
  const vd = floatData(options.variance);
  const w = weight === null ? null : floatData(weight);
  const b = bias === null ? null : floatData(bias);
  const invStd = Float64Array.from(vd, (v) => 1 / Math.sqrt(v + options.eps));
  const out = allocStorage(x.dtype, xd.length) as FloatStorage;
  for (let i = 0; i < n * c; i++) {
    const ch = i % c;
    // As PyTorch's CPU kernel: y = x * alpha + beta with alpha = w / sqrt(var + eps), beta = b - mean * alpha.
    const alpha = (w === null ? 1 : w[ch]) * invStd[ch];
    const beta = (b === null ? 0 : b[ch]) - md[ch] * alpha;
    for (let j = i * s; j < (i + 1) * s; j++) out[j] = xd[j] * alpha + beta;
  }
  const inputs = [x];
  if (weight !== null) inputs.push(weight);
  if (bias !== null) inputs.push(bias);
  const y = new Tensor(out, options.shape ?? x.shape, x.dtype);
  return record('NativeBatchNormBackward0', inputs, y, ([g]) => {
    const gd = floatData(g!);
    const dx = x.requiresGrad ? (allocStorage(x.dtype, xd.length) as FloatStorage) : null;
    const dw = weight?.requiresGrad ? new Float64Array(c) : null;
    const db = bias?.requiresGrad ? new Float64Array(c) : null;
    for (let i = 0; i < n * c; i++) {
      const ch = i % c;
      const scale = (w === null ? 1 : w[ch]) * invStd[ch];
      for (let j = i * s; j < (i + 1) * s; j++) {
        const gj = gd[j];
        if (dx !== null) dx[j] = gj * scale;
        if (dw !== null) dw[ch] += gj * (xd[j] - md[ch]) * invStd[ch];
        if (db !== null) db[ch] += gj;
      }
    }
    const wrap = (d: Float64Array | null, like: Tensor): Tensor | null => {
      if (d === null) return null;
      const st = allocStorage(like.dtype, d.length);
      st.set(d);
      return new Tensor(st, like.shape, like.dtype);
    };
    const grads: (Tensor | null)[] = [dx === null ? null : new Tensor(dx, x.shape, x.dtype)];
    if (weight !== null) grads.push(wrap(dw, weight));
    if (bias !== null) grads.push(wrap(db, bias));
    return grads;
  }, [x, weight], 'raw');
}
