/**
 * Reductions and softmax. PyTorch: `torch.sum`, `torch.mean`, `torch.max`, `torch.softmax`,
 * `torch.log_softmax`. Forward beside backward.
 */

import { record } from '../autograd/node.js';
import { DTypeError, IndexError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import { allocStorage, isFloat } from '../tensor/dtype.js';
import { normDim, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { div, eq, mul, sub } from './elementwise.js';
import { expand, reshape, squeezeDims } from './shape.js';
import { contiguous } from './util.js';

type Dims = number | readonly number[] | null | undefined;

function normDims(x: Tensor, dim: Dims): number[] {
  if (dim === null || dim === undefined) return x.shape.map((_, i) => i);
  const list = typeof dim === 'number' ? [dim] : [...dim];
  const out = list.map((d) => normDim(d, x.ndim));
  if (new Set(out).size !== out.length) {
    throw new IndexError(`dim ${out.find((d, i) => out.indexOf(d) !== i)} appears multiple times in the list of dims`);
  }
  return out.filter((d) => d < x.ndim).sort((a, b) => a - b);
}

/** (outer, n, inner) view of a contiguous shape around dim d. */
function around(shape: readonly number[], d: number): [number, number, number] {
  return [numel(shape.slice(0, d)), shape[d]!, numel(shape.slice(d + 1))];
}

/** Sum over `dims` keeping them as size 1 (no autograd). */
function sumKeep(x: Tensor, dims: readonly number[]): Tensor {
  let data = contiguous(x).contiguousData();
  const shape = [...x.shape];
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k]!;
    const [outer, n, inner] = around(shape, d);
    const out = allocStorage(x.dtype, outer * inner);
    backend().sumAxis(data, outer, n, inner, out);
    data = out;
    shape[d] = 1;
  }
  return new Tensor(data === x.storage ? data.slice() : data, shape, x.dtype);
}

/** PyTorch: `torch.sum(input, dim=None, keepdim=False)`. */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = normDims(x, dim);
  const kept = sumKeep(x, dims);
  const y = keepdim ? kept : squeezeDims(kept, dims);
  return record('SumBackward1', [x], y, ([g]) => [expand(reshape(g!, kept.shape), x.shape)]);
}

/** PyTorch: `torch.mean(input, dim=None, keepdim=False)`; float input only, as PyTorch. */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  if (!isFloat(x.dtype)) {
    throw new DTypeError(
      'mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Int',
    );
  }
  const dims = normDims(x, dim);
  const count = dims.reduce((n, d) => n * x.shape[d]!, 1);
  return div(sum(x, dims, keepdim), count);
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
 * `torch.max(input, dim, keepdim=False)` (values and int32 indices along dim).
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  if (x.numel() === 0) {
    throw new IndexError(
      'max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the \'dim\' argument.',
    );
  }
  if (dim === undefined) {
    const flat = reshape(x.detach(), [-1]);
    const vals = allocStorage(x.dtype, 1);
    const idx = new Int32Array(1);
    backend().maxAxis(contiguous(flat).contiguousData(), 1, flat.numel(), 1, vals, idx);
    const y = new Tensor(vals, [], x.dtype);
    // PyTorch distributes the gradient evenly among tied maxima.
    return record('MaxBackward1', [x], y, ([g]) => {
      const hit = eq(x, y);
      return [div(mul(hit, g!), sum(hit))];
    });
  }
  const d = normDim(dim, x.ndim);
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const [outer, n, inner] = around(shape, d);
  const vals = allocStorage(x.dtype, outer * inner);
  const idx = new Int32Array(outer * inner);
  backend().maxAxis(contiguous(x).contiguousData(), outer, n, inner, vals, idx);
  const keptShape = [...shape];
  keptShape[d] = 1;
  let values = new Tensor(vals, keptShape, x.dtype);
  let indices = new Tensor(idx, keptShape, 'int32');
  if (!keepdim || x.ndim === 0) {
    values = squeezeDims(values, [d]);
    indices = squeezeDims(indices, [d]);
  }
  record('MaxBackward0', [x], values, ([g]) => {
    // Scatter g to the argmax positions.
    const gk = contiguous(reshape(g!, keptShape)).contiguousData();
    const out = allocStorage(x.dtype, numel(shape));
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) out[(o * n + idx[o * inner + i]!) * inner + i] = gk[o * inner + i]!;
    }
    return [new Tensor(out, x.shape, x.dtype)];
  });
  return new ValuesIndices(values, indices);
}

function softmaxImpl(x: Tensor, dim: number, log: boolean): Tensor {
  if (!isFloat(x.dtype)) throw new DTypeError(`"${log ? 'log_softmax' : 'softmax'}_lastdim_kernel_impl" not implemented for 'Int'`);
  const d = normDim(dim, x.ndim);
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const [outer, n, inner] = around(shape, d);
  const out = allocStorage(x.dtype, x.numel());
  backend().softmaxAxis(contiguous(x).contiguousData(), outer, n, inner, out, log);
  const y = new Tensor(out, x.shape, x.dtype);
  if (log) {
    // d logsoftmax: g - exp(y) * sum(g)
    return record('LogSoftmaxBackward0', [x], y, ([g]) => [sub(g!, mul(y.exp(), sum(g!, d, true)))]);
  }
  // d softmax: y * (g - sum(g * y))
  return record('SoftmaxBackward0', [x], y, ([g]) => [mul(y, sub(g!, sum(mul(g!, y), d, true)))]);
}

/** PyTorch: `torch.softmax(input, dim)`. */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl(x, dim, false);
}

/** PyTorch: `torch.log_softmax(input, dim)`. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl(x, dim, true);
}
