/** Helpers shared by the op families: scalar wrapping, contiguity, gradient reduction. */

import { record } from '../autograd/node.js';
import { forEachStrided } from '../kernels/ref/elementwise.js';
import type { DType } from '../tensor/dtype.js';
import { allocStorage, castStorage, castValue, cName, isFloat, resultType } from '../tensor/dtype.js';
import { normDim, shapeEq } from '../tensor/shape.js';
import { copyContiguous, Tensor } from '../tensor/tensor.js';

export { normDim };

/** A tensor, or a number that ops wrap as a 0-d tensor (PyTorch: a Python scalar operand). */
export type Operand = Tensor | number;

/**
 * Wrap a number as a 0-d tensor of the dtype PyTorch's "wrapped number" rule gives it beside
 * `like` (`torch.result_type(like, v)`): float32 + 2.5 stays float32; int32 + 2.5 becomes float32;
 * bool + 1 becomes int64. The value is stored in that dtype (int64 range-checked).
 */
export function scalarLike(v: number, like: Tensor): Tensor {
  const dtype = resultType(like, v);
  const s = allocStorage(dtype, 1);
  s[0] = castValue(v, dtype, 'scalar operand');
  return new Tensor(s, [], dtype);
}

/**
 * A 1-D (or `shape`d) int64 tensor of indices: how every op that returns indices (argmax,
 * max(dim).indices, lengths, batch sizes, sort/topk/nonzero/randperm) builds its result, as
 * PyTorch returns them as int64. The values are taken as they are (an Int32Array is not copied).
 */
export function indexTensor(values: Int32Array | readonly number[], shape: readonly number[] = [values.length]): Tensor {
  const storage = values instanceof Int32Array ? values : (castStorage(values, 'int64', 'indices') as Int32Array);
  return new Tensor(storage, shape, 'int64');
}

/** The operand as a tensor (numbers wrapped as with `scalarLike`). */
export function asTensor(v: Operand, like: Tensor): Tensor {
  return typeof v === 'number' ? scalarLike(v, like) : v;
}

/** @internal Call fn(flatIndex, storageOffset) for each element of t in row-major order. No PyTorch twin. */
export function forEachOffset(t: Tensor, fn: (i: number, offset: number) => void): void {
  forEachStrided(t.shape, [t], (i, o) => fn(i, o));
}

/** A contiguous tensor (the same one when already contiguous). PyTorch: `contiguous()`. */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return record('CloneBackward0', [x], copyContiguous(x), ([g]) => [g!], []);
}

/** A contiguous copy that owns its storage. PyTorch: `clone()`. */
export function clone(x: Tensor): Tensor {
  return record('CloneBackward0', [x], copyContiguous(x), ([g]) => [g!], []);
}

/** PyTorch: `torch.detach(x)`: the same storage, cut from the graph (see `Tensor.detach`). */
export function detach(x: Tensor): Tensor {
  return x.detach();
}

export { copyContiguous };

/**
 * A copy converted to another dtype (the same tensor if the dtype already matches), as PyTorch's
 * `.to(dtype)`: integer targets truncate toward zero, bool is `x != 0` (NaN is true), and an int64
 * value outside the int32 range is refused (see `./tensor/dtype.ts`). Float-to-float copies are
 * recorded for autograd; the others are not differentiable.
 */
export function toDtype(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const y = new Tensor(castStorage(x.contiguousData(), dtype, `to(torch.${dtype})`), x.shape, dtype);
  if (!isFloat(dtype) || !isFloat(x.dtype)) return y;
  return record('ToCopyBackward0', [x], y, ([g]) => [toDtype(g!, x.dtype)], []);
}

/** @internal Sum a broadcast gradient back to `shape` (the reverse of broadcasting). PyTorch: `at::sum_to`. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapeEq(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  // Lazy import cycle avoided: reduce imports util, so call through the tensor method.
  let r = dims.length > 0 ? g.sum(dims, true) : g;
  if (lead > 0) r = r.reshape(shape);
  return r;
}

export { cName };

