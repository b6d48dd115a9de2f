/**
 * Shape ops. Views (transpose, permute, view, squeeze, unsqueeze, expand, narrow) share storage;
 * reshape copies only when the input is not contiguous. Forward beside backward.
 * PyTorch: `torch.transpose`, `Tensor.view`, `torch.squeeze`, ...
 */

import { record } from '../autograd/node.js';
import { IndexError, RuntimeError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { SizeArgs } from '../tensor/shape.js';
import { fmtShape, inferShape, normDim, parseSize } from '../tensor/shape.js';
import { contiguous, sumToShape } from './util.js';

function viewOf(x: Tensor, shape: readonly number[], strides: readonly number[], offset = x.offset): Tensor {
  return new Tensor(x.storage, shape, x.dtype, strides, offset);
}

/** PyTorch: `torch.transpose(input, dim0, dim1)` (a view). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normDim(dim0, x.ndim);
  const b = normDim(dim1, x.ndim);
  if (x.ndim < 2) return record('TransposeBackward0', [x], viewOf(x, x.shape, x.strides), ([g]) => [g!]);
  const shape = [...x.shape];
  const strides = [...x.strides];
  [shape[a], shape[b]] = [shape[b]!, shape[a]!];
  [strides[a], strides[b]] = [strides[b]!, strides[a]!];
  return record('TransposeBackward0', [x], viewOf(x, shape, strides), ([g]) => [transpose(g!, a, b)]);
}

/** PyTorch: `torch.permute(input, dims)`; `x.permute(2, 0, 1)` or `x.permute([2, 0, 1])` (a view). */
export function permute(x: Tensor, ...dimArgs: SizeArgs): Tensor {
  const dims = parseSize(dimArgs);
  if (dims.length !== x.ndim) {
    throw new ShapeError(
      `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${x.ndim} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const norm = dims.map((d) => normDim(d, x.ndim));
  if (new Set(norm).size !== norm.length) throw new RuntimeError('permute(): duplicate dims are not allowed.');
  const y = viewOf(
    x,
    norm.map((d) => x.shape[d]!),
    norm.map((d) => x.strides[d]!),
  );
  const inverse = new Array<number>(norm.length);
  norm.forEach((d, i) => {
    inverse[d] = i;
  });
  return record('PermuteBackward0', [x], y, ([g]) => [permute(g!, inverse)]);
}

/** PyTorch: `Tensor.view(*shape)`: a view of a contiguous tensor with a new shape (one -1 allowed). */
export function view(x: Tensor, ...shapeArgs: SizeArgs): Tensor {
  const shape = inferShape(parseSize(shapeArgs), x.numel());
  if (!x.isContiguous()) {
    throw new RuntimeError(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
  }
  const y = new Tensor(x.storage, shape, x.dtype, undefined, x.offset);
  return record('ViewBackward0', [x], y, ([g]) => [reshape(g!, x.shape)]);
}

/** PyTorch: `torch.reshape(input, shape)`: a view when possible, else a copy. */
export function reshape(x: Tensor, ...shapeArgs: SizeArgs): Tensor {
  const shape = inferShape(parseSize(shapeArgs), x.numel());
  const src = contiguous(x);
  const y = new Tensor(src.storage, shape, x.dtype, undefined, src.offset);
  return record('ReshapeAliasBackward0', [src], y, ([g]) => [reshape(g!, src.shape)]);
}

/** PyTorch: `torch.flatten(input, start_dim=0, end_dim=-1)`. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim(startDim, x.ndim);
  const e = normDim(endDim, x.ndim);
  if (s > e) throw new RuntimeError('flatten() has invalid args: start_dim cannot come after end_dim');
  const shape = [...x.shape.slice(0, s), x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Drop the listed dims of size 1 (others are left alone, as PyTorch's squeeze(dim)). */
export function squeezeDims(x: Tensor, dims: readonly number[]): Tensor {
  const drop = new Set(dims.filter((d) => x.shape[d] === 1));
  const shape = x.shape.filter((_, i) => !drop.has(i));
  const strides = x.strides.filter((_, i) => !drop.has(i));
  return record('SqueezeBackward0', [x], viewOf(x, shape, strides), ([g]) => [reshape(g!, x.shape)]);
}

/**
 * PyTorch: `torch.squeeze(input, dim=None)`: remove dims of size 1 (all, or the given ones;
 * a given dim whose size is not 1 is left as it is).
 */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  if (dim === undefined) return squeezeDims(x, x.shape.map((_, i) => i));
  const dims = (typeof dim === 'number' ? [dim] : dim).map((d) => normDim(d, x.ndim));
  return squeezeDims(x, dims);
}

/** PyTorch: `torch.unsqueeze(input, dim)`: insert a size-1 dim; dim in [-ndim-1, ndim]. */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim(dim, x.ndim + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  const stride = d < x.ndim ? x.shape[d]! * x.strides[d]! : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, stride);
  return record('UnsqueezeBackward0', [x], viewOf(x, shape, strides), ([g]) => [reshape(g!, x.shape)]);
}

/** PyTorch: `Tensor.expand(*sizes)`: broadcast size-1 dims without copying (-1 keeps a size). */
export function expand(x: Tensor, ...sizeArgs: SizeArgs): Tensor {
  const sizes = parseSize(sizeArgs);
  if (sizes.length < x.ndim) {
    throw new ShapeError(
      `expand(torch.FloatTensor{${fmtShape(x.shape)}}, size=${fmtShape(sizes)}): the number of sizes provided (${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`,
    );
  }
  const lead = sizes.length - x.ndim;
  const shape: number[] = [];
  const strides: number[] = [];
  sizes.forEach((s, i) => {
    const own = i >= lead ? x.shape[i - lead]! : 1;
    const target = s === -1 ? own : s;
    if (s === -1 && i < lead) {
      throw new ShapeError(`The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ${i}`);
    }
    if (own !== 1 && own !== target) {
      throw new ShapeError(
        `The expanded size of the tensor (${target}) must match the existing size (${own}) at non-singleton dimension ${i}.  Target sizes: ${fmtShape(sizes)}.  Tensor sizes: ${fmtShape(x.shape)}`,
      );
    }
    shape.push(target);
    strides.push(i >= lead && own === target ? x.strides[i - lead]! : 0);
  });
  return record('ExpandBackward0', [x], viewOf(x, shape, strides), ([g]) => [sumToShape(g!, x.shape)]);
}

/** PyTorch: `torch.narrow(input, dim, start, length)` (a view). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  if (x.ndim === 0) throw new RuntimeError('narrow() cannot be applied to a 0-dim tensor.');
  const d = normDim(dim, x.ndim);
  const size = x.shape[d]!;
  const s = start < 0 ? start + size : start;
  if (s < 0 || s > size) {
    throw new IndexError(`start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`);
  }
  if (length < 0 || s + length > size) {
    throw new RuntimeError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  }
  const shape = [...x.shape];
  shape[d] = length;
  const y = viewOf(x, shape, x.strides, x.offset + s * x.strides[d]!);
  return record('NarrowBackward0', [x], y, ([g]) => {
    const z = Tensor.empty(x.shape, g!.dtype);
    narrow(z, d, s, length).copy_(g!);
    return [z];
  });
}
