/**
 * Shape ops. Views (transpose, permute, view, squeeze, unsqueeze, expand, narrow) share storage;
 * reshape copies only when no view can express the new shape. Forward beside backward.
 * PyTorch: `torch.transpose`, `Tensor.view`, `torch.squeeze`, ...
 */

import { noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/node.js';
import { ArgumentTypeError, IndexError, RuntimeError, ShapeError, typeName } from '../errors.js';
import { checkTensor } from '../tensor/args.js';
import { tensorTypeName } from '../tensor/dtype.js';
import type { SizeArgs } from '../tensor/shape.js';
import { fmtShape, inferShape, normDim, parseSize, viewStrides } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { copyContiguous, sumToShape } from './util.js';

function viewOf(x: Tensor, shape: readonly number[], strides: readonly number[], offset = x.offset): Tensor {
  const v = new Tensor(x.storage, shape, x.dtype, strides, offset);
  v._base = x._base ?? x;
  return v;
}

/** PyTorch: `torch.transpose(input, dim0, dim1)`: swap two dims (a view). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normDim(dim0, x.ndim);
  const b = normDim(dim1, x.ndim);
  const shape = [...x.shape];
  const strides = [...x.strides];
  if (x.ndim >= 2) {
    [shape[a], shape[b]] = [shape[b], shape[a]];
    [strides[a], strides[b]] = [strides[b], strides[a]];
  }
  return record('TransposeBackward0', [x], viewOf(x, shape, strides), ([g]) => [transpose(g!, a, b)], []);
}

/** PyTorch: `Tensor.t()`: transpose of a tensor with at most 2 dims (a view). */
export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new RuntimeError(`t() expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  const y = x.ndim < 2 ? viewOf(x, x.shape, x.strides) : viewOf(x, [x.shape[1], x.shape[0]], [x.strides[1], x.strides[0]]);
  return record('TBackward0', [x], y, ([g]) => [t(g!)], []);
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
    norm.map((d) => x.shape[d]),
    norm.map((d) => x.strides[d]),
  );
  const inverse = new Array<number>(norm.length);
  norm.forEach((d, i) => {
    inverse[d] = i;
  });
  return record('PermuteBackward0', [x], y, ([g]) => [permute(g!, inverse)], []);
}

/**
 * PyTorch: `Tensor.view(*shape)`: the same storage read with a new shape (one -1 allowed).
 * Works on non-contiguous tensors when their layout allows it, as PyTorch's; else throws and
 * `reshape` is the answer.
 */
export function view(x: Tensor, ...shapeArgs: SizeArgs): Tensor {
  const shape = inferShape(parseSize(shapeArgs), x.numel());
  const strides = viewStrides(x.shape, x.strides, shape);
  if (strides === null) {
    throw new RuntimeError(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
  }
  return record('ViewBackward0', [x], viewOf(x, shape, strides), ([g]) => [reshape(g!, x.shape)], []);
}

/** PyTorch: `torch.reshape(input, shape)`: a view when possible, else a contiguous copy. */
export function reshape(x: Tensor, ...shapeArgs: SizeArgs): Tensor {
  const shape = inferShape(parseSize(shapeArgs), x.numel());
  const strides = viewStrides(x.shape, x.strides, shape);
  if (strides !== null) {
    return record('ReshapeAliasBackward0', [x], viewOf(x, shape, strides), ([g]) => [reshape(g!, x.shape)], []);
  }
  const copy = copyContiguous(x.detach());
  const y = new Tensor(copy.storage, shape, x.dtype);
  return record('UnsafeViewBackward0', [x], y, ([g]) => [reshape(g!, x.shape)], []);
}

/** PyTorch: `torch.flatten(input, start_dim=0, end_dim=-1)`: merge dims start..end into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim(startDim, x.ndim);
  const e = normDim(endDim, x.ndim);
  if (s > e) throw new RuntimeError('flatten() has invalid args: start_dim cannot come after end_dim');
  if (s === e) return x;
  const shape = [...x.shape.slice(0, s), x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Drop the listed dims that have size 1 (others are left alone, as PyTorch's squeeze(dim)). */
export function squeezeDims(x: Tensor, dims: readonly number[], name = 'SqueezeBackward1'): Tensor {
  const drop = new Set(dims.filter((d) => x.shape[d] === 1));
  const shape = x.shape.filter((_, i) => !drop.has(i));
  const strides = x.strides.filter((_, i) => !drop.has(i));
  return record(name, [x], viewOf(x, shape, strides), ([g]) => [reshape(g!, x.shape)], []);
}

/**
 * PyTorch: `torch.squeeze(input, dim=None)`: remove dims of size 1 (all, or the given one; a
 * given dim whose size is not 1 is left as it is, so `zeros(2, 3).squeeze(0)` is still (2, 3)).
 * A list of dims is accepted too (PyTorch 2.0's form).
 */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  if (dim === undefined) {
    return squeezeDims(
      x,
      x.shape.map((_, i) => i),
      'SqueezeBackward0',
    );
  }
  const dims = (Array.isArray(dim) ? (dim as readonly number[]) : [dim as number]).map((d) => normDim(d, x.ndim));
  return squeezeDims(x, dims);
}

/** PyTorch: `torch.unsqueeze(input, dim)`: insert a size-1 dim at `dim`, in [-ndim-1, ndim] (a view). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim(dim, x.ndim + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  const stride = d < x.ndim ? x.shape[d] * x.strides[d] : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, stride);
  return record('UnsqueezeBackward0', [x], viewOf(x, shape, strides), ([g]) => [reshape(g!, x.shape)], []);
}


/**
 * PyTorch: `Tensor.expand(*sizes)`: broadcast size-1 dims to larger sizes without copying
 * (stride 0); -1 keeps a dim's size; new leading dims may be added.
 */
export function expand(x: Tensor, ...sizeArgs: SizeArgs): Tensor {
  const sizes = parseSize(sizeArgs);
  if (sizes.length < x.ndim) {
    throw new ShapeError(
      `expand(${tensorTypeName(x.dtype)}{${fmtShape(x.shape)}}, size=${fmtShape(sizes)}): the number of sizes provided (${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`,
    );
  }
  const lead = sizes.length - x.ndim;
  const shape: number[] = [];
  const strides: number[] = [];
  sizes.forEach((s, i) => {
    if (s === -1 && i < lead) {
      throw new ShapeError(`The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ${i}`);
    }
    const own = i >= lead ? x.shape[i - lead] : 1;
    const target = s === -1 ? own : s;
    if (own !== 1 && own !== target) {
      throw new ShapeError(
        `The expanded size of the tensor (${target}) must match the existing size (${own}) at non-singleton dimension ${i}.  Target sizes: ${fmtShape(sizes)}.  Tensor sizes: ${fmtShape(x.shape)}`,
      );
    }
    shape.push(target);
    strides.push(i >= lead && own === target ? x.strides[i - lead] : 0);
  });
  return record('ExpandBackward0', [x], viewOf(x, shape, strides), ([g]) => [sumToShape(g!, x.shape)], []);
}

/** Check narrow's arguments as PyTorch does; returns [dim, start] normalised. */
function checkNarrow(x: Tensor, dim: number, start: number, length: number): [number, number] {
  if (x.ndim === 0) throw new RuntimeError('narrow() cannot be applied to a 0-dim tensor.');
  const d = normDim(dim, x.ndim);
  const size = x.shape[d];
  let s = start;
  if (s !== size) {
    // PyTorch wraps start like a dim index, so its message talks of a "Dimension".
    if (!Number.isInteger(s) || s < -size || s >= size) {
      throw new IndexError(`Dimension out of range (expected to be in range of [${-size}, ${size - 1}], but got ${start})`);
    }
    if (s < 0) s += size;
  }
  if (length < 0 || s > size - length) {
    throw new RuntimeError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  }
  return [d, s];
}

/** `length` entries of `x` along `dim` from `start`, as a view, with no autograd record. */
function narrowView(x: Tensor, d: number, s: number, length: number): Tensor {
  const shape = [...x.shape];
  shape[d] = length;
  return viewOf(x, shape, x.strides, x.offset + (length > 0 ? s * x.strides[d] : 0));
}

/** The gradient of a narrow: zeros of `shape` with `g` written at [start, start + length) along d. */
function narrowBackward(g: Tensor, shape: readonly number[], d: number, s: number): Tensor {
  const z = Tensor.empty(shape, g.dtype);
  noGrad(() => narrowView(z, d, s, g.shape[d]).copy_(g));
  // Under createGraph (g requires grad) the padding is itself recorded: its backward is the narrow.
  return record('SliceBackwardBackward0', [g], z, ([gg]) => [narrow(gg!, d, s, g.shape[d])], []);
}

/**
 * PyTorch: `torch.narrow(input, dim, start, length)`: entries start..start+length-1 along dim,
 * as a view. A negative start counts from the end.
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const [d, s] = checkNarrow(x, dim, start, length);
  return record('SliceBackward0', [x], narrowView(x, d, s, length), ([g]) => [narrowBackward(g!, x.shape, d, s)], []);
}

/** @internal Views of consecutive pieces of `sizes` along d, sharing one `SplitBackward0` node (PyTorch's split). */
export function splitViews(x: Tensor, d: number, sizes: readonly number[]): Tensor[] {
  const starts: number[] = [];
  let at = 0;
  for (const s of sizes) {
    starts.push(at);
    at += s;
  }
  const parts = sizes.map((s, i) => narrowView(x, d, starts[i], s));
  return record(
    'SplitBackward0',
    [x],
    parts,
    (gs) => {
      const gx = Tensor.empty(x.shape, x.dtype);
      noGrad(() =>
        gs.forEach((g, i) => {
          if (g !== null) narrowView(gx, d, starts[i], sizes[i]).copy_(g);
        }),
      );
      // Under createGraph the assembly is recorded: each piece's gradient is a narrow of it.
      const present = gs.flatMap((g, i) => (g !== null ? [{ g, i }] : []));
      return [
        record(
          'SplitBackwardBackward0',
          present.map((p) => p.g),
          gx,
          ([gg]) => present.map((p) => narrow(gg!, d, starts[p.i], sizes[p.i])),
          [],
        ),
      ];
    },
    [],
  );
}

/**
 * PyTorch: `Tensor.expand_as(other)`: `expand(other.size())` (a view).
 * Shapes: x broadcastable to other's shape → other's shape.
 */
export function expandAs(x: Tensor, other: Tensor): Tensor {
  checkTensor(other, 'expand_as', 'other', 1);
  return expand(x, other.shape);
}

/** Dims given as one int or a list (PyTorch's `int or tuple of ints`). */
function dimList(v: number | readonly number[], fn: string, arg: string, position: number): number[] {
  if (typeof v === 'number' && Number.isInteger(v)) return [v];
  if (Array.isArray(v) && v.every((d) => typeof d === 'number' && Number.isInteger(d))) return [...v];
  throw new ArgumentTypeError(`${fn}(): argument '${arg}' (position ${position}) must be tuple of ints, not ${typeName(v)}`);
}

/**
 * PyTorch: `torch.movedim(input, source, destination)` (alias `moveaxis`): the dims in `source`
 * move to the positions in `destination`, the others keep their order (a view).
 * Shapes: `movedim(x (A, B, C), 0, -1)` → (B, C, A); `movedim(x, [0, 1], [2, 0])` → (B, C, A).
 */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  checkTensor(x, 'movedim', 'input', 1);
  const src = dimList(source, 'movedim', 'source', 2);
  const dst = dimList(destination, 'movedim', 'destination', 3);
  if (src.length !== dst.length) {
    throw new RuntimeError(
      `movedim: Invalid source or destination dims: source (${fmtShape(src)} dims) should contain the same number of dims as destination (${fmtShape(dst)} dims)`,
    );
  }
  const n = x.ndim;
  const s = src.map((d) => normDim(d, Math.max(n, 1)));
  const t = dst.map((d) => normDim(d, Math.max(n, 1)));
  if (new Set(s).size !== s.length) throw new RuntimeError(`movedim: repeated dim in \`source\` (${fmtShape(src)})`);
  if (new Set(t).size !== t.length) throw new RuntimeError(`movedim: repeated dim in \`destination\` (${fmtShape(dst)})`);
  if (n === 0) return x;
  // order[k] = which input dim lands at output position k.
  const order = new Array<number>(n).fill(-1);
  s.forEach((d, i) => {
    order[t[i]] = d;
  });
  const rest = [...Array(n).keys()].filter((d) => !s.includes(d));
  let r = 0;
  for (let k = 0; k < n; k++) if (order[k] === -1) order[k] = rest[r++];
  return permute(x, order);
}

/** PyTorch: `torch.moveaxis`, NumPy's name for `movedim`. */
export const moveaxis = movedim;

/**
 * PyTorch: `torch.unflatten(input, dim, sizes)`: split dim into `sizes` (one -1 inferred); a view
 * when the layout allows, as `view`. Shapes: `unflatten(x (N, 12), 1, [3, 4])` → (N, 3, 4).
 */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  checkTensor(x, 'unflatten', 'input', 1);
  if (!Array.isArray(sizes) || sizes.some((s) => typeof s !== 'number' || !Number.isInteger(s))) {
    throw new ArgumentTypeError(`unflatten(): argument 'sizes' (position 3) must be tuple of ints, not ${typeName(sizes)}`);
  }
  if (typeof dim !== 'number' || !Number.isInteger(dim)) {
    throw new ArgumentTypeError(`unflatten(): argument 'dim' (position 2) must be int, not ${typeName(dim)}`);
  }
  const d = normDim(dim, Math.max(x.ndim, 1));
  if (x.ndim === 0) throw new IndexError(`Dimension specified as ${dim} but tensor has no dimensions`);
  if (sizes.length === 0) throw new RuntimeError('unflatten: sizes must be non-empty');
  const size = x.shape[d];
  const neg = sizes.filter((s) => s === -1).length;
  if (neg > 1) throw new RuntimeError('only one dimension can be inferred');
  const known = sizes.reduce((a, s) => (s === -1 ? a : a * s), 1);
  const ok = neg === 1 ? known > 0 && size % known === 0 : known === size;
  if (!ok) {
    throw new RuntimeError(`unflatten: Provided sizes ${fmtShape(sizes)} don't multiply up to the size of dim ${d} (${size}) in the input tensor`);
  }
  const inner = sizes.map((s) => (s === -1 ? size / known : s));
  return reshape(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}
