/**
 * Reductions and softmax. PyTorch: `torch.sum`, `torch.mean`, `torch.max`, `torch.softmax`,
 * `torch.log_softmax`. Forward beside backward.
 */

import { record } from '../autograd/node.js';
import { DTypeError, IndexError, RuntimeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { DType } from '../tensor/dtype.js';
import { allocStorage, castStorage, isFloat } from '../tensor/dtype.js';
import { normDim, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { div, eq, mul, ne, sub } from './elementwise.js';
import { expand, reshape } from './shape.js';
import { cName, copyContiguous, indexTensor } from './util.js';

type Dims = number | readonly number[] | null | undefined;

/** The reduced dims, sorted. None or [] means all dims (PyTorch 1.13 reads `dim=[]` as all). */
function normDims(x: Tensor, dim: Dims): number[] {
  if (dim === null || dim === undefined || (typeof dim !== 'number' && dim.length === 0)) return x.shape.map((_, i) => i);
  const list = typeof dim === 'number' ? [dim] : [...dim];
  const out = list.map((d) => normDim(d, x.ndim));
  const dup = out.find((d, i) => out.indexOf(d) !== i);
  if (dup !== undefined) throw new RuntimeError(`dim ${dup} appears multiple times in the list of dims`);
  return out.filter((d) => d < x.ndim).sort((a, b) => a - b);
}

/** (outer, n, inner) view of a contiguous shape around dim d. */
function around(shape: readonly number[], d: number): [number, number, number] {
  return [numel(shape.slice(0, d)), shape[d]!, numel(shape.slice(d + 1))];
}

/**
 * Sum over `dims` keeping them as size 1, into a fresh tensor (no autograd). Integer and bool
 * input sums to int64, as PyTorch's (accumulated in float64, then range-checked).
 */
function sumKeep(x: Tensor, dims: readonly number[]): Tensor {
  const dtype: DType = isFloat(x.dtype) ? x.dtype : 'int64';
  let data = copyContiguous(x).storage;
  const shape = [...x.shape];
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k]!;
    const [outer, n, inner] = around(shape, d);
    const out = isFloat(dtype) ? allocStorage(dtype, outer * inner) : new Float64Array(outer * inner);
    backend().sumAxis(data, outer, n, inner, out);
    data = out;
    shape[d] = 1;
  }
  // Integer sums were accumulated in a float64 scratch: range-check them into int64 storage.
  return new Tensor(isFloat(dtype) ? data : castStorage(data, dtype, 'torch.sum'), shape, dtype);
}

/** Drop the reduced dims of a keepdim result (a view; no autograd record). */
function dropDims(kept: Tensor, dims: readonly number[]): Tensor {
  const drop = new Set(dims);
  return new Tensor(
    kept.storage,
    kept.shape.filter((_, i) => !drop.has(i)),
    kept.dtype,
    kept.strides.filter((_, i) => !drop.has(i)),
    kept.offset,
  );
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
  const count = dims.reduce((n, d) => n * x.shape[d]!, 1);
  const kept = sumKeep(x, dims);
  for (let i = 0; i < kept.storage.length; i++) kept.storage[i]! /= count;
  const y = keepdim ? kept : dropDims(kept, dims);
  const name = dim === undefined || dim === null ? 'MeanBackward0' : 'MeanBackward1';
  return record(name, [x], y, ([g]) => [expand(reshape(div(g!, count), kept.shape), x.shape)], []);
}

/** `(values, indices)` as PyTorch's `torch.return_types.max`: destructure as a pair or by name. */
export class ValuesIndices {
  constructor(
    readonly values: Tensor,
    readonly indices: Tensor,
  ) {}
  *[Symbol.iterator](): IterableIterator<Tensor> {
    yield this.values;
    yield this.indices;
  }
}

/**
 * PyTorch: `torch.max(input)` (the largest value, a 0-d tensor) and
 * `torch.max(input, dim, keepdim=False)` (values, and int64 indices along dim as PyTorch).
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  if (dim === undefined) {
    if (x.numel() === 0) {
      throw new RuntimeError(
        "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
      );
    }
    const vals = allocStorage(x.dtype, 1);
    backend().maxAxis(copyContiguous(x).storage, 1, x.numel(), 1, vals, new Int32Array(1));
    const y = new Tensor(vals, [], x.dtype);
    // PyTorch splits the gradient evenly among tied maxima (all NaNs when the max is NaN).
    return record('MaxBackward1', [x], y, ([g]) => {
      const hit = Number.isNaN(vals[0]!) ? ne(x, x) : eq(x, y);
      return [div(mul(hit, g!), sum(hit))];
    }, [x, y]);
  }
  const d = normDim(dim, x.ndim);
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const [outer, n, inner] = around(shape, d);
  if (n === 0) throw new IndexError(`max(): Expected reduction dim ${d} to have non-zero size.`);
  const vals = allocStorage(x.dtype, outer * inner);
  const idx = new Int32Array(outer * inner);
  backend().maxAxis(copyContiguous(x).storage, outer, n, inner, vals, idx);
  const keptShape = [...shape];
  keptShape[d] = 1;
  const drop = keepdim && x.ndim > 0 ? [] : [d];
  const values = dropDims(new Tensor(vals, keptShape, x.dtype), drop);
  const indices = dropDims(indexTensor(idx, keptShape), drop);
  record('MaxBackward0', [x], values, ([g]) => {
    // Scatter g to the argmax positions (the first maximum, as PyTorch picks).
    const gk = copyContiguous(g!).storage;
    const out = allocStorage(g!.dtype, numel(shape));
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) out[(o * n + idx[o * inner + i]!) * inner + i] = gk[o * inner + i]!;
    }
    return [new Tensor(out, x.shape, g!.dtype)];
  }, [indices], 'linear');
  return new ValuesIndices(values, indices);
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
