/**
 * Joining, splitting and gathering. PyTorch: `torch.cat`, `torch.stack`, `torch.split`,
 * `torch.chunk`, `torch.index_select`, `torch.flip`. Forward beside backward.
 */

import { record, traceAttrs } from '../autograd/node.js';
import { ArgumentTypeError, DTypeError, IndexError, RuntimeError, ShapeError, typeName } from '../errors.js';
import { allocStorage, promoteTypes } from '../tensor/dtype.js';
import type { SizeArgs } from '../tensor/shape.js';
import { fmtShape, normDim, numel, parseSize } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { expand, flatten, narrow, reshape, splitViews, squeezeDims } from './shape.js';
import { clone, copyContiguous, toDtype } from './util.js';
import { checkTensor, checkTensorList } from '../tensor/args.js';

/** Check and join along d with no autograd record; returns the output and each part's start. */
function catRaw(tensors: readonly Tensor[], dim: number): { y: Tensor; d: number; parts: Tensor[]; starts: number[] } {
  if (tensors.length === 0) throw new RuntimeError('torch.cat(): expected a non-empty list of Tensors');
  tensors.forEach((t, i) => {
    if (t.ndim === 0) throw new RuntimeError(`zero-dimensional tensor (at position ${i}) cannot be concatenated`);
  });
  // PyTorch skips legacy empty 1-D tensors of shape [0] (whatever the other shapes).
  const keep = tensors.map((t, i) => [t, i] as const).filter(([t]) => !(t.ndim === 1 && t.shape[0] === 0));
  const parts = keep.map(([t]) => t);
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  if (parts.length === 0) {
    normDim(dim, 1);
    return { y: Tensor.empty([0], dtype), d: 0, parts, starts: [] };
  }
  const ref = parts[0];
  const d = normDim(dim, ref.ndim);
  for (const [t, i] of keep) {
    if (t.ndim !== ref.ndim) {
      throw new ShapeError(`Tensors must have same number of dimensions: got ${ref.ndim} and ${t.ndim}`);
    }
    for (let k = 0; k < ref.ndim; k++) {
      if (k !== d && t.shape[k] !== ref.shape[k]) {
        throw new ShapeError(
          `Sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[k]} but got size ${t.shape[k]} for tensor number ${i} in the list.`,
        );
      }
    }
  }
  const shape = [...ref.shape];
  shape[d] = parts.reduce((s, t) => s + t.shape[d], 0);
  const out = allocStorage(dtype, numel(shape));
  // (outer, rows, inner): each part fills rows [at, at + its size) of every outer block.
  const outer = numel(shape.slice(0, d));
  const inner = numel(shape.slice(d + 1));
  const rowOut = shape[d] * inner;
  const starts: number[] = [];
  let at = 0;
  for (const t of parts) {
    starts.push(at);
    // Read in place when already contiguous (no copy); strided parts are made contiguous first.
    const src = (t.dtype === dtype ? t : toDtype(t.detach(), dtype)).contiguousData();
    const rowIn = t.shape[d] * inner;
    for (let o = 0; o < outer; o++) out.set(src.subarray(o * rowIn, (o + 1) * rowIn), o * rowOut + at * inner);
    at += t.shape[d];
  }
  return { y: new Tensor(out, shape, dtype), d, parts, starts };
}

/**
 * PyTorch: `torch.cat(tensors, dim=0)`: join along an existing dim; the other sizes must match.
 * Dtypes promote as `torch.promote_types` (int32 and float32 give float32, bool and int32 int32).
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList(tensors, 'cat');
  if (typeof dim !== 'number') throw new ArgumentTypeError(`cat(): argument 'dim' (position 2) must be int, not ${typeName(dim)}`);
  const { y, d, parts, starts } = catRaw(tensors, dim);
  return traceAttrs(record('CatBackward0', parts, y, ([g]) => parts.map((t, i) => narrow(g!, d, starts[i], t.shape[d])), []), { dim: d });
}

/** PyTorch: `torch.stack(tensors, dim=0)`: same-shape tensors joined along a new dim at `dim`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  checkTensorList(tensors, 'stack');
  if (typeof dim !== 'number') throw new ArgumentTypeError(`stack(): argument 'dim' (position 2) must be int, not ${typeName(dim)}`);
  if (tensors.length === 0) throw new RuntimeError('stack expects a non-empty TensorList');
  const ref = tensors[0];
  tensors.forEach((t, i) => {
    if (t.ndim !== ref.ndim || t.shape.some((s, k) => s !== ref.shape[k])) {
      throw new ShapeError(
        `stack expects each tensor to be equal size, but got ${fmtShape(ref.shape)} at entry 0 and ${fmtShape(t.shape)} at entry ${i}`,
      );
    }
  });
  const d = normDim(dim, ref.ndim + 1);
  const unsqueezed = tensors.map((t) => {
    const shape = [...t.shape];
    const strides = [...t.strides];
    shape.splice(d, 0, 1);
    strides.splice(d, 0, 1);
    return new Tensor(t.storage, shape, t.dtype, strides, t.offset);
  });
  const { y } = catRaw(unsqueezed, d);
  return traceAttrs(record('StackBackward0', tensors, y, ([g]) => tensors.map((_, i) => squeezeDims(narrow(g!, d, i, 1), [d])), []), { dim: d });
}

/**
 * PyTorch: `torch.split(tensor, split_size_or_sections, dim=0)`: views of equal pieces of
 * `split_size` (the last may be smaller) or of the listed section sizes.
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  if (x.ndim === 0) throw new RuntimeError('split expects at least a 1-dimensional tensor');
  const d = normDim(dim, x.ndim);
  const size = x.shape[d];
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const s = splitSizeOrSections;
    if (s < 0 || !Number.isInteger(s)) throw new RuntimeError(`split expects split_size be non-negative, but got split_size=${s}`);
    if (s === 0 && size !== 0) {
      throw new RuntimeError(`split_size can only be 0 if dimension size is 0, but got dimension size of ${size}`);
    }
    // ceil(size / s) pieces, at least one.
    const count = s === 0 ? 1 : Math.max(1, Math.ceil(size / s));
    sizes = Array.from({ length: count }, (_, i) => Math.min(s, size - i * s));
  } else {
    sizes = [...splitSizeOrSections];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== size || sizes.some((s) => s < 0)) {
      throw new RuntimeError(
        `split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), but got split_sizes=${fmtShape(sizes)}`,
      );
    }
  }
  return splitViews(x, d, sizes);
}

/**
 * PyTorch: `torch.chunk(input, chunks, dim=0)`: views of ceil(size / chunks) entries each
 * (so possibly fewer than `chunks` pieces: 6 entries in 4 chunks give 3 pieces of 2).
 */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (x.ndim === 0) throw new RuntimeError('chunk expects at least a 1-dimensional tensor');
  if (!Number.isInteger(chunks) || chunks <= 0) throw new RuntimeError(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  const d = normDim(dim, x.ndim);
  const size = x.shape[d];
  // An empty dim gives `chunks` empty pieces, as PyTorch.
  if (size === 0) return splitViews(x, d, new Array<number>(chunks).fill(0));
  return split(x, Math.ceil(size / chunks), d);
}

function indexArray(index: Tensor | readonly number[]): Int32Array {
  if (Array.isArray(index)) return Int32Array.from(index as readonly number[]);
  const t = index as Tensor;
  if (t.dtype !== 'int32' && t.dtype !== 'int64') {
    throw new DTypeError(`index_select(): Expected dtype int32 or int64 for index`);
  }
  if (t.ndim > 1) throw new IndexError('index_select(): Index is supposed to be a vector');
  return Int32Array.from(t.contiguousData());
}

/** PyTorch: `torch.index_select(input, dim, index)` with a 1-D integer index (a number list, or an int64 or int32 tensor). */
export function indexSelect(x: Tensor, dim: number, index: Tensor | readonly number[]): Tensor {
  checkTensor(x, 'index_select', 'input', 1);
  const d = normDim(dim, x.ndim);
  const idx = indexArray(index);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  // PyTorch's index_select does not wrap negative indices.
  for (const i of idx) {
    if (i < 0 || i >= size) throw new IndexError('index out of range in self');
  }
  if (x.ndim === 0 && idx.length !== 1) {
    throw new IndexError(`index_select(): Index to scalar can have only 1 value, got ${idx.length} value(s)`);
  }
  const shape = x.ndim === 0 ? [] : [...x.shape];
  if (x.ndim > 0) shape[d] = idx.length;
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const src = x.contiguousData();
  const out = allocStorage(x.dtype, numel(shape));
  for (let o = 0; o < outer; o++) {
    idx.forEach((i, j) => {
      out.set(src.subarray((o * size + i) * inner, (o * size + i + 1) * inner), (o * idx.length + j) * inner);
    });
  }
  const y = new Tensor(out, shape, x.dtype);
  return traceAttrs(record('IndexSelectBackward0', [x], y, ([g]) => {
    // index_add: repeated indices accumulate.
    const gd = g!.contiguousData();
    const gx = allocStorage(x.dtype, x.numel());
    for (let o = 0; o < outer; o++) {
      idx.forEach((i, j) => {
        const base = (o * size + i) * inner;
        const from = (o * idx.length + j) * inner;
        for (let e = 0; e < inner; e++) gx[base + e] += gd[from + e];
      });
    }
    return [new Tensor(gx, x.shape, x.dtype)];
  }, [], 'linear'), { dim: d, index });
}

/** PyTorch: `torch.flip(input, dims)`: reverse the order along each listed dim (always a copy). */
export function flip(x: Tensor, ...dimArgs: SizeArgs): Tensor {
  const dims = parseSize(dimArgs).map((d) => normDim(d, x.ndim));
  const dup = dims.find((d, i) => dims.indexOf(d) !== i);
  if (dup !== undefined) throw new RuntimeError(`dim ${dup} appears multiple times in the list of dims`);
  // Read through a view with negated strides on the flipped dims.
  const strides = [...x.strides];
  let offset = x.offset;
  for (const d of dims) {
    offset += Math.max(0, x.shape[d] - 1) * x.strides[d];
    strides[d] = -strides[d];
  }
  const y = copyContiguous(new Tensor(x.storage, x.shape, x.dtype, strides, offset));
  return traceAttrs(record('FlipBackward0', [x], y, ([g]) => [flip(g!, dims)], []), { dims });
}

/**
 * PyTorch: `Tensor.repeat(*sizes)`: tile the tensor `sizes[i]` times along dim i (a copy); `sizes`
 * may be longer than ndim (new leading dims). `x.repeat(2, 3)` or `x.repeat([2, 3])`.
 * Shapes: x (A, B), sizes (r0, r1, r2) → (r0, r1·A, r2·B).
 */
export function repeat(x: Tensor, ...sizeArgs: SizeArgs): Tensor {
  checkTensor(x, 'repeat', 'self', 0);
  const reps = parseSize(sizeArgs);
  if (reps.length < x.ndim) {
    throw new RuntimeError('Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor');
  }
  const neg = reps.find((r) => r < 0);
  if (neg !== undefined) throw new RuntimeError(`Trying to create tensor with negative dimension ${neg}: ${fmtShape(reps)}`);
  const lead = reps.length - x.ndim;
  const own = [...new Array<number>(lead).fill(1), ...x.shape];
  // (s0, s1, ...) viewed as (1, s0, 1, s1, ...), expanded to (r0, s0, r1, s1, ...), then merged pairwise.
  const inter: number[] = [];
  const wide: number[] = [];
  own.forEach((s, i) => {
    inter.push(1, s);
    wide.push(reps[i], s);
  });
  const y = reshape(expand(reshape(x, inter), wide), own.map((s, i) => s * reps[i]));
  // A fresh copy even when every repeat is 1, as PyTorch's.
  return y.storage === x.storage ? clone(y) : y;
}

/**
 * PyTorch: `torch.tile(input, dims)`: as `repeat`, but `dims` shorter than ndim is padded with
 * leading 1s. Shapes: x (A, B), dims (r) → (A, r·B).
 */
export function tile(x: Tensor, ...dimArgs: SizeArgs): Tensor {
  checkTensor(x, 'tile', 'input', 1);
  const dims = parseSize(dimArgs);
  const padded = dims.length < x.ndim ? [...new Array<number>(x.ndim - dims.length).fill(1), ...dims] : dims;
  return repeat(x, padded);
}

/**
 * PyTorch: `torch.roll(input, shifts, dims=None)`: shift entries along dims, wrapping around (a
 * copy). With no dims the tensor is flattened, rolled, and given its shape back.
 * Shapes: same as input. `roll(x, 1, 0)`, `roll(x, [1, -2], [0, 1])`.
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  checkTensor(x, 'roll', 'input', 1);
  const sh = typeof shifts === 'number' ? [shifts] : Array.isArray(shifts) ? [...shifts] : shifts;
  const ds = dims === undefined || dims === null ? [] : typeof dims === 'number' ? [dims] : Array.isArray(dims) ? [...dims] : dims;
  if (!Array.isArray(sh) || sh.some((s) => !Number.isInteger(s))) {
    throw new ArgumentTypeError(`roll(): argument 'shifts' (position 2) must be tuple of ints, not ${typeName(shifts)}`);
  }
  if (!Array.isArray(ds) || ds.some((d) => !Number.isInteger(d))) {
    throw new ArgumentTypeError(`roll(): argument 'dims' (position 3) must be tuple of ints, not ${typeName(dims)}`);
  }
  if (ds.length === 0) {
    if (sh.length !== 1) throw new RuntimeError(`shifts and dimensions must align. shifts: ${sh.length}, dims:0`);
    return reshape(roll(flatten(x), sh[0], 0), x.shape);
  }
  if (sh.length !== ds.length) throw new RuntimeError(`shifts and dimensions must align. shifts: ${sh.length}, dims:${ds.length}`);
  let y = x;
  ds.forEach((dim, i) => {
    const d = normDim(dim, Math.max(x.ndim, 1));
    const n = y.shape[d] ?? 1;
    if (n === 0) return;
    const k = ((sh[i] % n) + n) % n;
    if (k === 0) return;
    // The last k entries come first.
    y = cat([narrow(y, d, n - k, k), narrow(y, d, 0, n - k)], d);
  });
  return y === x ? clone(x) : y;
}
