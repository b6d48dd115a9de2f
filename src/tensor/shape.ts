/** Shape and stride helpers shared by tensors and ops. Pure functions on number arrays. */

import { ArgumentTypeError, IndexError, ShapeError, } from '../errors.js';

/** A tensor shape, e.g. `[2, 3]`. PyTorch: `torch.Size`. */
export type Shape = readonly number[];

/** The number of elements of a shape (1 for `[]`). */
export function numel(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major strides of a contiguous tensor of this shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Whether two shapes are equal. */
export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** PyTorch prints sizes as `[2, 3]` in most messages. */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** PyTorch's `torch.Size` repr, used in some messages: `(2, 3)`. */
export function fmtTuple(shape: Shape): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Wrap a possibly negative dim; PyTorch's message on failure. A 0-d tensor accepts dims -1 and 0. */
export function normDim(dim: number, ndim: number): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    if (typeof dim !== 'number' || !Number.isInteger(dim)) {
      // PyTorch's argument parser: a dim that is not an int (an options object, a string, 1.5) is a TypeError.
      const got = dim === null ? 'null' : Array.isArray(dim) ? 'array' : typeof dim === 'number' ? 'float' : typeof dim;
      throw new ArgumentTypeError(`argument 'dim' must be int, not ${got}${typeof dim === 'object' && dim !== null && !Array.isArray(dim) ? " (this function takes dims positionally: f(x, 1), not f(x, { dim: 1 }))" : ''}`);
    }
    throw new IndexError(`Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + n : dim;
}

/** Broadcast two shapes as PyTorch does (align right; sizes equal or 1). */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}\n` +
          `Shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast: aligned from the right, each pair of sizes must be equal or one of them 1.`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read `shape`/`strides` as if broadcast to `target` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: readonly number[], target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : strides[i];
  return out;
}

/**
 * Size arguments in both of PyTorch's forms: `f(2, 3)` and `f([2, 3])`.
 */
export type SizeArgs = readonly number[] | readonly [readonly number[]];

/** The size list of either form, checked to be integers. */
export function parseSize(args: SizeArgs): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly number[]) : (args as readonly number[]);
  for (const s of list) {
    if (typeof s !== 'number' || !Number.isInteger(s)) {
      throw new ArgumentTypeError(`size must be a list of integers, but got ${JSON.stringify(list)}`);
    }
  }
  return [...list];
}

/** Check that a size has no negative entries (PyTorch's message). */
export function checkNonNegative(shape: Shape): void {
  for (const s of shape) {
    if (s < 0) throw new ShapeError(`Trying to create tensor with negative dimension ${s}: ${fmtShape(shape)}`);
  }
}

/** Resolve one -1 in a reshape target against the element count. */
export function inferShape(target: Shape, n: number): number[] {
  let infer = -1;
  let known = 1;
  for (let i = 0; i < target.length; i++) {
    const s = target[i];
    if (s === -1) {
      if (infer >= 0) throw new ShapeError('only one dimension can be inferred');
      infer = i;
    } else if (s < 0 || !Number.isInteger(s)) {
      throw new ShapeError(`invalid shape dimension ${s}`);
    } else known *= s;
  }
  const out = [...target];
  if (infer >= 0) {
    if (known === 0 && n === 0) {
      throw new ShapeError(
        `cannot reshape tensor of 0 elements into shape ${fmtShape(target)} because the unspecified dimension size -1 can be any value and is ambiguous`,
      );
    }
    if (known === 0 || n % known !== 0) {
      throw new ShapeError(`shape '${fmtShape(target)}' is invalid for input of size ${n}`);
    }
    out[infer] = n / known;
  } else if (known !== n) {
    throw new ShapeError(`shape '${fmtShape(target)}' is invalid for input of size ${n}`);
  }
  return out;
}

/**
 * Strides that let (shape, strides) be read as `newShape` without copying, or null when the
 * memory layout does not allow it (PyTorch's `computeStride`, used by `view` and `reshape`).
 */
export function viewStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  const n = numel(shape);
  const out = new Array<number>(newShape.length);
  if (n === 0 || shape.length === 0) return contiguousStrides(newShape);
  // Walk the old dims in chunks that are contiguous among themselves; each chunk must map onto
  // a run of new dims with the same element count.
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    const chunkEnds = d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase);
    if (chunkEnds) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}

/** PyTorch's `torch.Size([2, 3])` repr, used in autograd messages. */
export function fmtSize(shape: Shape): string {
  return `torch.Size(${fmtShape(shape)})`;
}
