/**
 * Reductions and softmax. PyTorch: `torch.sum`, `torch.mean`, `torch.max`, `torch.softmax`,
 * `torch.log_softmax`. Forward beside backward.
 */

import { record } from '../autograd/node.js';
import { DTypeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { DType } from '../tensor/dtype.js';
import { allocStorage, castStorage, isFloat } from '../tensor/dtype.js';
import { normDim } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { div, mul, sub } from './elementwise.js';
import { expand, reshape } from './shape.js';
import { around, type Dims, dropDims, normDims } from './dims.js';
import { cName, copyContiguous } from './util.js';

/**
 * Sum over `dims` keeping them as size 1, into a fresh tensor (no autograd). Integer and bool
 * input sums to int64, as PyTorch's (accumulated in float64, then range-checked).
 */
function sumKeep(x: Tensor, dims: readonly number[]): Tensor {
  const dtype: DType = isFloat(x.dtype) ? x.dtype : 'int64';
  // Read in place when there is something to reduce (the storage is only read); a copy otherwise.
  let data = dims.length > 0 ? x.contiguousData() : copyContiguous(x).storage;
  const shape = [...x.shape];
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k];
    const [outer, n, inner] = around(shape, d);
    const out = isFloat(dtype) ? allocStorage(dtype, outer * inner) : new Float64Array(outer * inner);
    backend().sumAxis(data, outer, n, inner, out);
    data = out;
    shape[d] = 1;
  }
  // Integer sums were accumulated in a float64 scratch: range-check them into int64 storage.
  return new Tensor(isFloat(dtype) ? data : castStorage(data, dtype, 'torch.sum'), shape, dtype);
}

/**
 * PyTorch: `torch.sum(input, dim=None, keepdim=False)`: the sum over all dims (a 0-d tensor)
 * or over `dim` (a number or a list), keeping the reduced dims as size 1 when keepdim.
 * Integer and bool tensors sum to int64 (counting a mask: `mask.sum()`), as PyTorch.
 */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = normDims(x, dim);
  const kept = sumKeep(x, dims);
  const y = keepdim ? kept : dropDims(kept, dims);
  const name = dim === undefined || dim === null ? 'SumBackward0' : 'SumBackward1';
  return record(name, [x], y, ([g]) => [expand(reshape(g!, kept.shape), x.shape)], []);
}

/** PyTorch: `torch.mean(input, dim=None, keepdim=False)`, as sum; float input only, as PyTorch. */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  if (!isFloat(x.dtype)) {
    throw new DTypeError(
      `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${cName(x.dtype)}`,
    );
  }
  const dims = normDims(x, dim);
  const count = dims.reduce((n, d) => n * x.shape[d], 1);
  const kept = sumKeep(x, dims);
  for (let i = 0; i < kept.storage.length; i++) kept.storage[i] /= count;
  const y = keepdim ? kept : dropDims(kept, dims);
  const name = dim === undefined || dim === null ? 'MeanBackward0' : 'MeanBackward1';
  return record(name, [x], y, ([g]) => [expand(reshape(div(g!, count), kept.shape), x.shape)], []);
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
    return record('LogSoftmaxBackward0', [x], y, ([g]) => [sub(g!, mul(y.exp(), sum(g!, d, true)))], [y]);
  }
  // d softmax: y * (g - sum(g * y))
  return record('SoftmaxBackward0', [x], y, ([g]) => [mul(y, sub(g!, sum(mul(g!, y), d, true)))], [y]);
}

/** PyTorch: `torch.softmax(input, dim)`. */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl(x, dim, false);
}

/** PyTorch: `torch.log_softmax(input, dim)`. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl(x, dim, true);
}
