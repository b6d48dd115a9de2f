/** Helpers shared by the op families: scalar wrapping, contiguity, gradient reduction. */

import { record } from '../autograd/node.js';
import { DTypeError } from '../errors.js';
import { forEachStrided } from '../kernels/ref/elementwise.js';
import { backend } from '../kernels/backend.js';
import type { DType } from '../tensor/dtype.js';
import { allocStorage, isFloat } from '../tensor/dtype.js';
import { normDim, numel, shapeEq } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

export { normDim };

/** A tensor, or a number that ops wrap as a 0-d tensor (PyTorch: a Python scalar operand). */
export type Operand = Tensor | number;

/**
 * Wrap a number as a 0-d tensor of a dtype that does not promote `like`, as PyTorch's
 * "wrapped number" rule: float32 + 2.5 stays float32; int32 + 2.5 becomes float32.
 */
export function scalarLike(v: number, like: Tensor): Tensor {
  const dtype: DType = like.dtype === 'int32' && !Number.isInteger(v) ? 'float32' : like.dtype;
  const s = allocStorage(dtype, 1);
  s[0] = v;
  return new Tensor(s, [], dtype);
}

/** The operand as a tensor (numbers wrapped as with `scalarLike`). */
export function asTensor(v: Operand, like: Tensor): Tensor {
  return typeof v === 'number' ? scalarLike(v, like) : v;
}

/** Call fn(flatIndex, storageOffset) for each element of t in row-major order. */
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

/** A fresh contiguous copy of x's values, with no autograd record (for use inside ops). */
export function copyContiguous(x: Tensor): Tensor {
  const out = allocStorage(x.dtype, numel(x.shape));
  backend().stridedCopy(x.shape, { data: x.storage, strides: x.strides, offset: x.offset }, out);
  return new Tensor(out, x.shape, x.dtype);
}

/** A copy converted to another dtype (the same tensor if the dtype already matches). */
export function toDtype(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const src = x.contiguousData();
  const out = allocStorage(dtype, src.length);
  if (dtype === 'int32') for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]!);
  else out.set(src);
  const y = new Tensor(out, x.shape, dtype);
  if (!isFloat(dtype)) return y;
  return record('ToCopyBackward0', [x], y, ([g]) => [toDtype(g!, x.dtype)], []);
}

/** Sum a broadcast gradient back to `shape` (the reverse of broadcasting). */
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

/** PyTorch's C++ name of a dtype in kernel messages (`"addmm" not implemented for 'Int'`). */
export function cName(dtype: DType): string {
  return dtype === 'float32' ? 'Float' : dtype === 'float64' ? 'Double' : 'Int';
}

/** Throw PyTorch's kernel message when an op has no int32 implementation. */
export function requireFloat(x: Tensor, opName: string): void {
  if (!isFloat(x.dtype)) {
    throw new DTypeError(`"${opName}" not implemented for '${cName(x.dtype)}'`);
  }
}
