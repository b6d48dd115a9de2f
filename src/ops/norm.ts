/**
 * Row standardisation as one autograd op: the shared core of LayerNorm, GroupNorm and
 * BatchNorm (PyTorch: the normalising half of `native_layer_norm`, `native_group_norm`,
 * `native_batch_norm`). The affine scale and shift are applied by the callers with ordinary ops.
 */

import { record } from '../autograd/node.js';
import { DTypeError } from '../errors.js';
import { standardizeBackward, standardizeForward } from '../kernels/ref/norm.js';
import type { FloatStorage } from '../tensor/dtype.js';
import { allocStorage, isFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { contiguous } from './util.js';

export interface Standardized {
  /** (R, K): (x - mean) / sqrt(var + eps), differentiable with respect to x. */
  output: Tensor;
  /** (R) row means, no gradient. */
  mean: Tensor;
  /** (R) biased row variances (divided by K), no gradient. */
  variance: Tensor;
}

/**
 * Standardise each row of a 2-D tensor x (R, K): subtract its mean and divide by
 * sqrt(biased variance + eps). Gradient: dx = rstd * (dy - mean(dy) - y * mean(dy * y)).
 */
export function standardizeRows(x: Tensor, eps: number): Standardized {
  if (!isFloat(x.dtype)) throw new DTypeError(`"native_layer_norm" not implemented for 'Int'`);
  const [r, k] = x.shape as [number, number];
  const xd = contiguous(x.detach()).contiguousData() as FloatStorage;
  const y = allocStorage(x.dtype, r * k) as FloatStorage;
  const mean = new Float64Array(r);
  const variance = new Float64Array(r);
  standardizeForward(xd, r, k, eps, y, mean, variance);
  const output = record('NativeLayerNormBackward0', [x], new Tensor(y, [r, k], x.dtype), ([g]) => {
    const dx = allocStorage(x.dtype, r * k) as FloatStorage;
    standardizeBackward(contiguous(g!).contiguousData() as FloatStorage, y, variance, r, k, eps, dx);
    return [new Tensor(dx, [r, k], x.dtype)];
  });
  const asTensor = (d: Float64Array): Tensor => {
    const s = allocStorage(x.dtype, r);
    s.set(d);
    return new Tensor(s, [r], x.dtype);
  };
  return { output, mean: asTensor(mean), variance: asTensor(variance) };
}
