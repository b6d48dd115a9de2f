/**
 * Reductions and softmax. PyTorch: `torch.sum`, `torch.mean`, `torch.max`, `torch.softmax`,
 * `torch.log_softmax`. Forward beside backward.
 */

import { record, traceAttrs } from '../autograd/node.js';
import { DTypeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { DType } from '../tensor/dtype.js';
import { allocStorage, castStorage, isFloat } from '../tensor/dtype.js';
import { normDim } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { div, isnan, logicalNot, mul, sub, where } from './elementwise.js';
import { expand, reshape } from './shape.js';
import { around, castFirst, type Dims, dropDims, normDims, type ReduceOptions, reduceArgs, type SoftmaxOptions, softmaxInput } from './dims.js';
import { cName, copyContiguous } from './util.js';

export type { ReduceOptions, SoftmaxOptions } from './dims.js';

/**
 * Sum over `dims` keeping them as size 1, into a fresh tensor (no autograd), of dtype `dtype`:
 * by default x's for float input, int64 for integer and bool input, as PyTorch's (integers are
 * accumulated in float64, then range-checked into int64, wrapped into int32, or made bool).
 */
function sumKeep(x: Tensor, dims: readonly number[], dtype: DType = isFloat(x.dtype) ? x.dtype : 'int64'): Tensor {
  // Read in place when there is something to reduce (the storage is only read); a copy otherwise.
  let data = dims.length > 0 ? x.contiguousData() : copyContiguous(x).storage;
  const shape = [...x.shape];
  const direct = isFloat(dtype) && dtype === x.dtype;
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k];
    const [outer, n, inner] = around(shape, d);
    const out = direct ? allocStorage(dtype, outer * inner) : new Float64Array(outer * inner);
    backend().sumAxis(data, outer, n, inner, out);
    data = out;
    shape[d] = 1;
  }
  // Integer sums were accumulated in a float64 scratch: range-check them into int64 storage; int32
  // wraps on overflow as PyTorch's int32 arithmetic does (a typed-array store is modulo 2^32).
  const out = direct ? data : dtype === 'int32' ? Int32Array.from(data) : castStorage(data, dtype, 'torch.sum');
  return new Tensor(out, shape, dtype);
}

/**
 * PyTorch: `torch.sum(input, dim=None, keepdim=False, *, dtype=None)`: the sum over all dims (a
 * 0-d tensor) or over `dim` (a number or a list), keeping the reduced dims as size 1 when keepdim.
 * Integer and bool tensors sum to int64 (counting a mask: `mask.sum()`), as PyTorch. With
 * `{ dtype }` the input is cast to it first (`sum(x, { dtype: 'float64' })` sums float32 in
 * float64; float to an integer dtype truncates each element first, as PyTorch).
 * Keywords also as `sum(x, { dim, keepdim, dtype })`.
 */
export function sum(x: Tensor, dim?: Dims | ReduceOptions, keepdim: boolean | ReduceOptions = false, options?: ReduceOptions): Tensor {
  const a = reduceArgs('sum', dim, keepdim, options);
  const src = castFirst(x, a.dtype);
  const dims = normDims(src, a.dim);
  const kept = sumKeep(src, dims, a.dtype);
  const y = a.keepdim ? kept : dropDims(kept, dims);
  const name = a.dim === undefined || a.dim === null ? 'SumBackward0' : 'SumBackward1';
  return traceAttrs(record(name, [src], y, ([g]) => [expand(reshape(g!, kept.shape), src.shape)], []), { dim: dims, keepdim: a.keepdim });
}

/**
 * PyTorch: `torch.mean(input, dim=None, keepdim=False, *, dtype=None)`, as sum; float input only
 * (or a float `dtype` to cast integer input to), as PyTorch.
 */
export function mean(x: Tensor, dim?: Dims | ReduceOptions, keepdim: boolean | ReduceOptions = false, options?: ReduceOptions): Tensor {
  const a = reduceArgs('mean', dim, keepdim, options);
  if (a.dtype !== undefined && !isFloat(a.dtype)) {
    throw new DTypeError(
      `mean(): could not infer output dtype. Optional dtype must be either a floating point or complex dtype. Got: ${cName(a.dtype)}`,
    );
  }
  if (a.dtype === undefined && !isFloat(x.dtype)) {
    throw new DTypeError(
      `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${cName(x.dtype)}. Pass { dtype: 'float32' } or call .float() first.`,
    );
  }
  const src = castFirst(x, a.dtype);
  const dims = normDims(src, a.dim);
  const count = dims.reduce((n, d) => n * src.shape[d], 1);
  const kept = sumKeep(src, dims);
  for (let i = 0; i < kept.storage.length; i++) kept.storage[i] /= count;
  const y = a.keepdim ? kept : dropDims(kept, dims);
  const name = a.dim === undefined || a.dim === null ? 'MeanBackward0' : 'MeanBackward1';
  return traceAttrs(record(name, [src], y, ([g]) => [expand(reshape(div(g!, count), kept.shape), src.shape)], []), { dim: dims, keepdim: a.keepdim });
}

/**
 * PyTorch: `torch.nansum(input, dim=None, keepdim=False, *, dtype=None)`: `sum` with NaN counted
 * as zero (its gradient is 0 there). Integer and bool input sums to int64, as `sum`.
 */
export function nansum(x: Tensor, dim?: Dims | ReduceOptions, keepdim: boolean | ReduceOptions = false, options?: ReduceOptions): Tensor {
  const a = reduceArgs('nansum', dim, keepdim, options);
  const src = castFirst(x, a.dtype);
  if (!isFloat(src.dtype)) return sum(src, a.dim, a.keepdim);
  const nan = isnan(src);
  const y = sum(where(nan, 0, src.detach()), a.dim, a.keepdim);
  const dims = normDims(src, a.dim);
  const kept = src.shape.map((s, i) => (dims.includes(i) ? 1 : s));
  // PyTorch's gradient: g · (not NaN), so an infinite g at a NaN place gives NaN, as PyTorch.
  return record('NansumBackward0', [src], y, ([g]) => [mul(expand(reshape(g!, kept), src.shape), logicalNot(nan))], []);
}

/**
 * PyTorch: `torch.nanmean(input, dim=None, keepdim=False, *, dtype=None)`: the mean of the
 * non-NaN values (NaN where all are NaN); float input only, as PyTorch. Computed as PyTorch does:
 * `nansum(x) / (number of non-NaN values)`, so gradients flow the same way.
 */
export function nanmean(x: Tensor, dim?: Dims | ReduceOptions, keepdim: boolean | ReduceOptions = false, options?: ReduceOptions): Tensor {
  const a = reduceArgs('nanmean', dim, keepdim, options);
  if (!isFloat(x.dtype)) {
    throw new DTypeError(`nanmean(): expected input to have floating point dtype but got ${cName(x.dtype)}. Call .float() first.`);
  }
  const count = sum(logicalNot(isnan(x)), a.dim, a.keepdim);
  return div(nansum(x, a.dim, a.keepdim, { dtype: a.dtype }), count);
}

function softmaxImpl(x: Tensor, dim: number, log: boolean): Tensor {
  if (!isFloat(x.dtype)) {
    throw new DTypeError(`"${log ? 'log_softmax' : 'softmax'}_lastdim_kernel_impl" not implemented for '${cName(x.dtype)}'`);
  }
  const d = normDim(dim, x.ndim);
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const [outer, n, inner] = around(shape, d);
  const out = allocStorage(x.dtype, x.numel());
  backend().softmaxAxis(copyContiguous(x).storage, outer, n, inner, out, log);
  const y = new Tensor(out, x.shape, x.dtype);
  if (log) {
    // d logsoftmax: g - exp(y) * sum(g)
    return traceAttrs(record('LogSoftmaxBackward0', [x], y, ([g]) => [sub(g!, mul(y.exp(), sum(g!, d, true)))], [y]), { dim: d });
  }
  // d softmax: y * (g - sum(g * y))
  return traceAttrs(record('SoftmaxBackward0', [x], y, ([g]) => [mul(y, sub(g!, sum(mul(g!, y), d, true)))], [y]), { dim: d });
}

/** PyTorch: `torch.softmax(input, dim, dtype=None)`; `{ dtype }` casts the input first. Shape: input's. */
export function softmax(x: Tensor, dim: number, options?: SoftmaxOptions): Tensor {
  return softmaxImpl(softmaxInput(x, options, 'torch.softmax'), dim, false);
}

/** PyTorch: `torch.log_softmax(input, dim, dtype=None)`; `{ dtype }` casts the input first. Shape: input's. */
export function logSoftmax(x: Tensor, dim: number, options?: SoftmaxOptions): Tensor {
  return softmaxImpl(softmaxInput(x, options, 'torch.logSoftmax'), dim, true);
}
