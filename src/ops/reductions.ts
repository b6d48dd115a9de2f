/**
 * Reductions that pick, order or accumulate along dims: max/min (with and without a dim),
 * argmax/argmin, amax/amin, topk, sort/argsort, std/var, norm, prod, cumsum/cumprod, logsumexp,
 * any/all, countNonzero. PyTorch: `torch.max`, `torch.argmax`, `torch.topk`, `torch.sort`, ...
 * Forward beside backward; every index result is int64 and every predicate bool, as PyTorch.
 *
 * NaN, as PyTorch: max/min/argmax/argmin/amax/amin propagate it (the first NaN wins), sort and
 * topk order it above +inf, any/countNonzero count it as nonzero.
 */

import { record, traceAttrs, traceOnly } from '../autograd/node.js';
import { ArgumentTypeError, DTypeError, IndexError, RuntimeError, ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { checkNumber, checkTensor } from '../tensor/args.js';
import type { DType, Storage } from '../tensor/dtype.js';
import { allocStorage, castStorage, isFloat, parseDType } from '../tensor/dtype.js';
import { normDim, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { ValuesIndices } from './values-indices.js';
import { abs, div, eq, isnan, logicalOr, maximum, minimum, mul, pow, sub, where } from './elementwise.js';
import { scatter } from './indexing.js';
import { flip } from './join.js';
import { around, castFirst, type Dims, dropDims, normDims, type ReduceOptions, reduceArgs } from './dims.js';
import { mean, sum } from './reduce.js';
import { expand, permute, reshape } from './shape.js';
import { cName, copyContiguous, indexTensor, toDtype } from './util.js';

export { ValuesIndices };

// ---- shared plumbing ---------------------------------------------------------------------------


/** A boolean flag argument (PyTorch's `bool keepdim`): true/false, or 0/1 as Python takes. */
function checkFlag(v: unknown, fn: string, arg: string, position: number): boolean {
  if (v === true || v === false || v === 0 || v === 1) return v === true || v === 1;
  throw new ArgumentTypeError(`${fn}(): argument '${arg}' (position ${position}) must be bool, not ${typeof v === 'object' ? (v === null ? 'null' : (v.constructor?.name ?? 'object')) : typeof v}`);
}

/** An optional single dim (PyTorch's `int? dim`). */
function checkOptDim(v: unknown, fn: string, position: number): asserts v is number | null | undefined {
  if (v !== null && v !== undefined) checkNumber(v, fn, 'dim', position, true);
}

/** A dim or list of dims (PyTorch's `int[1] dim`). */
function checkDims(v: unknown, fn: string, position: number, optional = true): asserts v is Dims {
  if ((v === null || v === undefined) && optional) return;
  if (typeof v === 'number' && Number.isInteger(v)) return;
  if (Array.isArray(v) && v.every((d) => typeof d === 'number' && Number.isInteger(d))) return;
  const got = v === null ? 'null' : Array.isArray(v) ? 'array with a non-integer' : typeof v;
  throw new ArgumentTypeError(`${fn}(): argument 'dim' (position ${position}) must be tuple of ints, not ${got}`);
}

/** A contiguous float64 copy of x's values, and the shape with a 0-d tensor read as [1]. */
function values64(x: Tensor): Float64Array {
  return Float64Array.from(x.contiguousData());
}

/** Storage of `dtype` filled from float64 values (int64 range-checked, int32 wrapped as PyTorch's int32 arithmetic, bool nonzero). */
function store(vals: ArrayLike<number>, dtype: DType, what: string): Storage {
  if (dtype === 'int32') return Int32Array.from(vals);
  if (isFloat(dtype)) {
    const out = allocStorage(dtype, vals.length);
    out.set(vals as ArrayLike<number>);
    return out;
  }
  return castStorage(vals, dtype, what);
}

/** (outer, n, inner) around a single dim d, a 0-d tensor read as shape [1]. */
function dimSlices(x: Tensor, dim: number): { d: number; outer: number; n: number; inner: number; shape: number[] } {
  const d = normDim(dim, x.ndim);
  const shape = x.ndim === 0 ? [1] : [...x.shape];
  const [outer, n, inner] = around(shape, d);
  return { d, outer, n, inner, shape };
}

/** The shape with dim d set to 1 (keepdim's), for a 0-d tensor []. */
function keptAt(x: Tensor, d: number): number[] {
  if (x.ndim === 0) return [];
  const s = [...x.shape];
  s[d] = 1;
  return s;
}

/**
 * Values grouped per output element: the reduced dims moved last and made contiguous, so group k
 * is `data[k*m .. (k+1)*m)`. `kept` is the keepdim output shape.
 */
function groups(x: Tensor, dims: readonly number[]): { data: Float64Array; kept: number[]; m: number; count: number } {
  const rest = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const moved = x.ndim === 0 ? x : permute(x, [...rest, ...dims]);
  const data = values64(moved);
  const m = dims.reduce((p, d) => p * x.shape[d], 1);
  const kept = x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
  return { data, kept, m, count: numel(kept) };
}

/** Refuse a reduction over an empty dim where PyTorch does (max, amax, argmax, ...). */
function requireNonEmpty(fn: string, x: Tensor, dims: readonly number[] | null): void {
  if (dims === null) {
    if (x.numel() === 0) {
      const more = fn.startsWith('arg') ? '' : " Specify the reduction dim with the 'dim' argument.";
      const Err = fn.startsWith('arg') ? IndexError : RuntimeError;
      throw new Err(`${fn}(): Expected reduction dim to be specified for input.numel() == 0.${more}`);
    }
    return;
  }
  for (const d of dims) {
    if ((x.ndim === 0 ? 1 : x.shape[d]) === 0) throw new IndexError(`${fn}(): Expected reduction dim ${d} to have non-zero size.`);
  }
}

/** The position of the max (largest) or min in data[base + j*stride], j < n: the first NaN, else the first extreme. */
function extremeIndex(data: ArrayLike<number>, base: number, n: number, stride: number, largest: boolean): number {
  let best = data[base];
  let arg = 0;
  if (Number.isNaN(best)) return 0;
  for (let j = 1; j < n; j++) {
    const v = data[base + j * stride];
    if (Number.isNaN(v)) return j;
    if (largest ? v > best : v < best) {
      best = v;
      arg = j;
    }
  }
  return arg;
}

// ---- max / min -------------------------------------------------------------------------------

function maxMin(fn: 'max' | 'min', x: Tensor, dim?: number | Tensor, keepdim: unknown = false): Tensor | ValuesIndices {
  checkTensor(x, fn, 'input', 1);
  if (dim instanceof Tensor) return fn === 'max' ? maximum(x, dim) : minimum(x, dim);
  const largest = fn === 'max';
  if (dim === undefined || dim === null) {
    requireNonEmpty(fn, x, null);
    const data = x.contiguousData();
    const vals = allocStorage(x.dtype, 1);
    vals[0] = data[extremeIndex(data, 0, data.length, 1, largest)];
    const y = new Tensor(vals, [], x.dtype);
    // PyTorch splits the gradient evenly among tied extremes (among the NaNs when the result is NaN).
    return record(largest ? 'MaxBackward1' : 'MinBackward1', [x], y, ([g]) => [evenly(x, y, g!)], [x, y]);
  }
  checkNumber(dim, fn, 'dim', 2, true);
  const keep = checkFlag(keepdim, fn, 'keepdim', 3);
  const { d, outer, n, inner } = dimSlices(x, dim);
  requireNonEmpty(fn, x, [d]);
  const data = x.contiguousData();
  const vals = allocStorage(x.dtype, outer * inner);
  const idx = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const j = extremeIndex(data, o * n * inner + i, n, inner, largest);
      vals[o * inner + i] = data[(o * n + j) * inner + i];
      idx[o * inner + i] = j;
    }
  }
  const r = pickResult(largest ? 'MaxBackward0' : 'MinBackward0', x, d, keep, vals, idx);
  const attrs = { dim: d, keepdim: keep };
  traceAttrs(r.values, attrs);
  traceOnly(`arg${fn}`, [x], r.indices, attrs);
  return r;
}

/** The (values, indices) of a dim reduction that picks one element per slice; the gradient goes to the picked one. */
function pickResult(name: string, x: Tensor, d: number, keepdim: boolean, vals: Storage, idx: Int32Array): ValuesIndices {
  const kept = keptAt(x, d);
  const values = new Tensor(vals, keepdim ? kept : dropDims(new Tensor(vals, kept, x.dtype), [d]).shape, x.dtype);
  const indices = indexTensor(idx, values.shape);
  const keptIdx = indexTensor(idx, kept);
  record(name, [x], values, ([g]) => [scatterInto(x, d, keptIdx, reshape(g!, kept))], [keptIdx]);
  return new ValuesIndices(values, indices);
}

/** Zeros of x's shape with g written at `idx` along d (PyTorch: `value_selecting_reduction_backward`). */
function scatterInto(x: Tensor, d: number, idx: Tensor, g: Tensor): Tensor {
  const zeros = new Tensor(allocStorage(g.dtype, x.numel()), x.shape, g.dtype);
  if (x.ndim === 0) return reshape(g, []);
  return scatter(zeros, d, idx, g);
}

/** g shared evenly among the elements equal to the (kept) result y. */
function evenly(x: Tensor, yKept: Tensor, g: Tensor, dims?: readonly number[]): Tensor {
  // max()/min() match NaNs to a NaN result (PyTorch's evenly_distribute_backward); amax/amin
  // compare with ==, so a NaN result gives a NaN gradient to its whole group, as PyTorch 1.13.
  const hit = dims === undefined ? logicalOr(eq(x, yKept), mul(isnan(x), isnan(yKept)).bool()) : eq(x, yKept);
  const count = dims === undefined ? sum(hit) : sum(hit, dims, true);
  return div(mul(hit, g), count);
}

/**
 * PyTorch: `torch.max(input)` (the largest value, a 0-d tensor; NaN if any is NaN),
 * `torch.max(input, dim, keepdim=False)` → `{ values, indices }` (also `[values, indices]`),
 * values (...) without dim (or with it as size 1), indices int64; ties give the first index and a
 * NaN wins, as PyTorch on CPU. `torch.max(input, other)` is `torch.maximum`.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  return maxMin('max', x, dim, keepdim);
}

/** PyTorch: `torch.min(input)`, `torch.min(input, dim, keepdim=False)` → `{ values, indices }`, `torch.min(input, other)`; as `max`. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  return maxMin('min', x, dim, keepdim);
}

function argExtreme(fn: 'argmax' | 'argmin', x: Tensor, dim: number | null | undefined, keepdim: unknown): Tensor {
  checkTensor(x, fn, 'input', 1);
  checkOptDim(dim, fn, 2);
  const keep = checkFlag(keepdim, fn, 'keepdim', 3);
  if (x.dtype === 'bool') throw new DTypeError(`"${fn}_cpu" not implemented for 'Bool'`);
  const largest = fn === 'argmax';
  const data = x.contiguousData();
  if (dim === null || dim === undefined) {
    requireNonEmpty(fn, x, null);
    const idx = new Int32Array([extremeIndex(data, 0, data.length, 1, largest)]);
    return traceOnly(fn, [x], indexTensor(idx, keep ? x.shape.map(() => 1) : []), { dim: null, keepdim: keep });
  }
  const { d, outer, n, inner } = dimSlices(x, dim);
  requireNonEmpty(fn, x, [d]);
  const idx = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) idx[o * inner + i] = extremeIndex(data, o * n * inner + i, n, inner, largest);
  }
  const kept = keptAt(x, d);
  return traceOnly(fn, [x], indexTensor(idx, keep ? kept : kept.filter((_, i) => i !== d)), { dim: d, keepdim: keep });
}

/**
 * PyTorch: `torch.argmax(input, dim=None, keepdim=False)`: int64 indices of the largest values
 * along dim; without dim, the index into the flattened tensor (a 0-d tensor, or all-ones shape
 * with keepdim). Ties give the first index (PyTorch documents this); a NaN wins.
 * Shapes: (..., n, ...) → (..., ...), or (..., 1, ...) with keepdim.
 */
export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}

/** PyTorch: `torch.argmin(input, dim=None, keepdim=False)`: as `argmax`, for the smallest values. */
export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}

function aExtreme(fn: 'amax' | 'amin', x: Tensor, dim: Dims, keepdim: unknown): Tensor {
  checkTensor(x, fn, 'input', 1);
  checkDims(dim, fn, 2);
  const keep = checkFlag(keepdim, fn, 'keepdim', 3);
  const dims = normDims(x, dim);
  const allDims = dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0);
  requireNonEmpty(fn, x, allDims ? null : dims);
  const { data, kept, m, count } = groups(x, dims);
  const vals = new Float64Array(count);
  for (let k = 0; k < count; k++) vals[k] = data[k * m + extremeIndex(data, k * m, m, 1, fn === 'amax')];
  const yKept = new Tensor(store(vals, x.dtype, `torch.${fn}`), kept, x.dtype);
  const y = keep ? yKept : dropDims(yKept, dims);
  // PyTorch: the gradient is shared evenly among the tied extremes of each group.
  return record(fn === 'amax' ? 'AmaxBackward0' : 'AminBackward0', [x], y, ([g]) => [evenly(x, yKept, reshape(g!, kept), dims)], [x, yKept]);
}

/**
 * PyTorch: `torch.amax(input, dim=(), keepdim=False)`: the largest value over one or several dims
 * (all when left out), NaN propagating. Unlike `max(dim)` no indices, and the gradient is shared
 * evenly among ties. Shapes: the reduced dims dropped (size 1 with keepdim).
 */
export function amax(x: Tensor, dim: Dims = [], keepdim = false): Tensor {
  return aExtreme('amax', x, dim, keepdim);
}

/** PyTorch: `torch.amin(input, dim=(), keepdim=False)`: as `amax`, the smallest value. */
export function amin(x: Tensor, dim: Dims = [], keepdim = false): Tensor {
  return aExtreme('amin', x, dim, keepdim);
}

// ---- ordering --------------------------------------------------------------------------------

/** Order of indices 0..n-1 of one slice: ascending (NaN last) or descending (NaN first); ties keep index order (stable). */
function order(data: ArrayLike<number>, base: number, n: number, stride: number, descending: boolean): number[] {
  const ix = Array.from({ length: n }, (_, j) => j);
  const key = (j: number) => data[base + j * stride];
  ix.sort((a, b) => {
    const va = key(a);
    const vb = key(b);
    const na = Number.isNaN(va);
    const nb = Number.isNaN(vb);
    // NaN sorts above +inf, as PyTorch's sort and topk.
    const c = na || nb ? (na ? (nb ? 0 : 1) : -1) : va < vb ? -1 : va > vb ? 1 : 0;
    return descending ? -c : c;
  });
  return ix;
}

/** The options of `sort`/`argsort` (PyTorch's keyword arguments). */
export interface SortOptions {
  /** The dim to sort along. Default -1. */
  dim?: number;
  /** Largest first. Default false. */
  descending?: boolean;
  /** Keep the order of equal elements. torchlet's sort is always stable; accepted for PyTorch's spelling. Default false. */
  stable?: boolean;
}
/** The run-time check of these options (src/options.ts). */
const SORT_OPTIONS = defineOptions<SortOptions>('torch.sort', { dim: opt.int, descending: opt.bool, stable: opt.bool });

function sortArgs(fn: string, x: Tensor, a: unknown, b: unknown, c: unknown): { dim: number; descending: boolean } {
  checkTensor(x, fn, 'input', 1);
  const isObj = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);
  const o = SORT_OPTIONS.parse(isObj(a) ? a : isObj(b) ? b : isObj(c) ? c : undefined, `torch.${fn}`);
  let dim = o.dim ?? -1;
  let descending = o.descending ?? false;
  if (!isObj(a) && a !== undefined) {
    checkNumber(a, fn, 'dim', 2, true);
    dim = a;
  }
  if (!isObj(b) && b !== undefined) descending = checkFlag(b, fn, 'descending', 3);
  return { dim, descending };
}

/**
 * PyTorch: `torch.sort(input, dim=-1, descending=False, stable=False)` → `{ values, indices }`
 * (also `[values, indices]`), both of input's shape, indices int64. NaN sorts above +inf. Equal
 * elements keep their order (PyTorch guarantees that with `stable=True`; torchlet always does).
 * Also `sort(x, { dim, descending, stable })`.
 */
export function sort(x: Tensor, dim?: number | SortOptions, descending?: boolean | SortOptions, options?: SortOptions): ValuesIndices {
  const a = sortArgs('sort', x, dim, descending, options);
  const { d, outer, n, inner } = dimSlices(x, a.dim);
  const data = x.contiguousData();
  const vals = allocStorage(x.dtype, data.length);
  const idx = new Int32Array(data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      order(data, base, n, inner, a.descending).forEach((j, r) => {
        vals[base + r * inner] = data[base + j * inner];
        idx[base + r * inner] = j;
      });
    }
  }
  const values = new Tensor(vals, x.shape, x.dtype);
  const indices = indexTensor(idx, x.shape);
  record('SortBackward0', [x], values, ([g]) => [scatterInto(x, d, indices, g!)], [indices]);
  return new ValuesIndices(values, indices);
}

/** PyTorch: `torch.argsort(input, dim=-1, descending=False, stable=False)`: the int64 indices of `sort`. */
export function argsort(x: Tensor, dim?: number | SortOptions, descending?: boolean | SortOptions, options?: SortOptions): Tensor {
  sortArgs('argsort', x, dim, descending, options);
  return sort(x, dim, descending, options).indices;
}

/** The options of `topk` (PyTorch's keyword arguments). */
export interface TopkOptions {
  /** The dim to pick along. Default -1. */
  dim?: number;
  /** The k largest (true) or smallest (false). Default true. */
  largest?: boolean;
  /** Return them in order. torchlet always does. Default true. */
  sorted?: boolean;
}
/** The run-time check of these options (src/options.ts). */
const TOPK_OPTIONS = defineOptions<TopkOptions>('torch.topk', { dim: opt.int, largest: opt.bool, sorted: opt.bool });

/**
 * PyTorch: `torch.topk(input, k, dim=-1, largest=True, sorted=True)` → `{ values, indices }`
 * (also `[values, indices]`): the k largest (or smallest) along dim, input's shape with dim = k,
 * indices int64. NaN counts as larger than +inf. Ties: the lower index first (PyTorch leaves the
 * order among ties unspecified, and 1.13 on CPU picks by its partial sort: the same values, maybe
 * other indices among equal ones). `sorted: false` is
 * accepted and still returns them in order. Also `topk(x, k, { dim, largest, sorted })`.
 */
export function topk(x: Tensor, k: number, dim?: number | TopkOptions, largest?: boolean, sorted?: boolean): ValuesIndices {
  checkTensor(x, 'topk', 'input', 1);
  checkNumber(k, 'topk', 'k', 2, true);
  const o = TOPK_OPTIONS.parse(typeof dim === 'object' && dim !== null ? dim : undefined, 'torch.topk');
  let dimN = o.dim ?? -1;
  let big = o.largest ?? true;
  if (typeof dim === 'number' || (dim !== undefined && (typeof dim !== 'object' || dim === null))) {
    checkNumber(dim, 'topk', 'dim', 3, true);
    dimN = dim;
  }
  if (largest !== undefined) big = checkFlag(largest, 'topk', 'largest', 4);
  if (sorted !== undefined) checkFlag(sorted, 'topk', 'sorted', 5);
  const { d, outer, n, inner, shape } = dimSlices(x, dimN);
  if (k < 0 || k > n) throw new RuntimeError(`selected index k out of range (k is ${k}, the size of dim ${d} is ${n})`);
  const data = x.contiguousData();
  const vals = allocStorage(x.dtype, outer * k * inner);
  const idx = new Int32Array(outer * k * inner);
  for (let o2 = 0; o2 < outer; o2++) {
    for (let i = 0; i < inner; i++) {
      const ord = order(data, o2 * n * inner + i, n, inner, big);
      for (let r = 0; r < k; r++) {
        vals[(o2 * k + r) * inner + i] = data[(o2 * n + ord[r]) * inner + i];
        idx[(o2 * k + r) * inner + i] = ord[r];
      }
    }
  }
  const outShape = x.ndim === 0 ? [] : shape.map((s, i) => (i === d ? k : s));
  const values = new Tensor(vals, outShape, x.dtype);
  const indices = indexTensor(idx, outShape);
  record('TopkBackward0', [x], values, ([g]) => [scatterInto(x, d, indices, g!)], [indices]);
  return new ValuesIndices(values, indices);
}

// ---- statistics --------------------------------------------------------------------------------

/** The keyword options of `std`/`var` (PyTorch: `correction=1`, `keepdim=False`; `unbiased` is the older spelling). */
export interface VarOptions {
  /** Divide by N - correction. Default 1 (Bessel's correction). */
  correction?: number;
  /** The older spelling: true is correction 1, false is 0. */
  unbiased?: boolean;
  /** Keep the reduced dims as size 1. Default false. */
  keepdim?: boolean;
  /** The dims, when given in the options object. */
  dim?: number | readonly number[] | null;
}
/** The run-time check of these options (src/options.ts). */
const VAR_OPTIONS = defineOptions<VarOptions>('torch.var', {
  correction: opt.number,
  unbiased: opt.bool,
  keepdim: opt.bool,
  dim: opt.nullable(opt.or(opt.int, opt.arrayOf(opt.int))),
});

function varArgs(fn: string, x: Tensor, a: unknown, b: unknown, c: unknown): { dims: number[]; correction: number; keepdim: boolean } {
  checkTensor(x, fn, 'input', 1);
  if (!isFloat(x.dtype)) throw new DTypeError('std and var only support floating point and complex dtypes');
  const isObj = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);
  let dim: Dims = null;
  let unbiased: boolean | undefined;
  let keepdim = false;
  let o: VarOptions = {};
  if (typeof a === 'boolean') {
    // var(input, unbiased)
    unbiased = a;
  } else if (isObj(a)) {
    o = VAR_OPTIONS.parse(a, `torch.${fn}`);
  } else {
    checkDims(a, fn, 2);
    dim = a;
    if (typeof b === 'boolean' || typeof b === 'number') {
      unbiased = checkFlag(b, fn, 'unbiased', 3);
      if (c !== undefined) keepdim = checkFlag(c, fn, 'keepdim', 4);
    } else if (b !== undefined) {
      // The keyword arguments (null or a non-object is refused, as for every options object).
      o = VAR_OPTIONS.parse(b, `torch.${fn}`);
    }
  }
  if (o.dim !== undefined) dim = o.dim;
  if (o.keepdim !== undefined) keepdim = o.keepdim;
  if (o.unbiased !== undefined) unbiased = o.unbiased;
  if (o.unbiased !== undefined && o.correction !== undefined) {
    throw new ValueError(`${fn}(): pass either correction or unbiased, not both (unbiased=True is correction=1)`);
  }
  const correction = o.correction ?? (unbiased === false ? 0 : 1);
  return { dims: normDims(x, dim), correction, keepdim };
}

/** Variance over dims, kept shape, and the mean (both as kept tensors, no autograd). */
function varKept(x: Tensor, dims: number[], correction: number, fn: string): { v: Tensor; mean: Tensor; dof: number } {
  const { data, kept, m, count } = groups(x, dims);
  const out = new Float64Array(count);
  const means = new Float64Array(count);
  const dof = Math.max(0, m - correction);
  if (dof <= 0) {
    console.warn(
      `UserWarning: ${fn}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction factor (input numel divided by output numel).`,
    );
  }
  for (let k = 0; k < count; k++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += data[k * m + j];
    const mu = s / m;
    let ss = 0;
    for (let j = 0; j < m; j++) ss += (data[k * m + j] - mu) ** 2;
    means[k] = mu;
    out[k] = ss / dof;
  }
  return { v: new Tensor(store(out, x.dtype, fn), kept, x.dtype), mean: new Tensor(store(means, x.dtype, fn), kept, x.dtype), dof };
}

/**
 * PyTorch: `torch.var(input, dim=None, *, correction=1, keepdim=False)` and the older
 * `torch.var(input, dim, unbiased=True, keepdim=False)` / `torch.var(input, unbiased)`: the variance
 * sum((x - mean)²) / (N - correction) over dims (all when null). Float input only.
 * Spellings: `var(x)`, `var(x, false)`, `var(x, 1, true, true)`, `var(x, [0, 1], { correction: 0, keepdim: true })`.
 */
function variance(x: Tensor, dim?: Dims | boolean | VarOptions, unbiased?: boolean | VarOptions, keepdim?: boolean): Tensor {
  const a = varArgs('var', x, dim, unbiased, keepdim);
  const { v, dof } = varKept(x, a.dims, a.correction, 'var');
  const y = a.keepdim ? v : dropDims(v, a.dims);
  // d var = 2 (x - mean) / (N - correction); the mean is recomputed as recorded ops, so that
  // createGraph differentiates through it (second derivatives).
  return record('VarBackward0', [x], y, ([g]) => [mul(reshape(g!, v.shape), mul(sub(x, mean(x, a.dims, true)), 2 / dof))], [x]);
}
export { variance as var };

/** PyTorch: `torch.std(input, dim=None, *, correction=1, keepdim=False)`: the square root of `var`, same spellings. */
export function std(x: Tensor, dim?: Dims | boolean | VarOptions, unbiased?: boolean | VarOptions, keepdim?: boolean): Tensor {
  const a = varArgs('std', x, dim, unbiased, keepdim);
  const { v, dof } = varKept(x, a.dims, a.correction, 'std');
  const sd = new Tensor(v.storage.map(Math.sqrt), v.shape, v.dtype);
  const y = a.keepdim ? sd : dropDims(sd, a.dims);
  // d std = (x - mean) / ((N - correction) std), 0 where std is 0 (PyTorch's mask).
  // The output and the mean enter as recorded tensors, so createGraph differentiates through them.
  return record('StdBackward0', [x], y, ([g]) => {
    const sdKept = reshape(y, sd.shape);
    const scale = where(eq(sdKept, 0), 0, div(reshape(g!, sd.shape), mul(sdKept, dof)));
    return [mul(scale, sub(x, mean(x, a.dims, true)))];
  }, [x, y]);
}

/**
 * PyTorch: `torch.norm(input, p='fro', dim=None, keepdim=False)`: the vector p-norm over dims (all
 * when null): p = 2 or 'fro' √Σx², 1 Σ|x|, Infinity max|x|, -Infinity min|x|, 0 the count of
 * nonzeros, other p (Σ|x|^p)^(1/p). Float input only. 'nuc' (nuclear norm) is not supported.
 */
export function norm(x: Tensor, p: number | 'fro' | 'nuc' = 'fro', dim?: Dims, keepdim = false): Tensor {
  checkTensor(x, 'norm', 'input', 1);
  if (p !== 'fro' && p !== 'nuc') checkNumber(p, 'norm', 'p', 2);
  checkDims(dim, 'norm', 3);
  const keep = checkFlag(keepdim, 'norm', 'keepdim', 4);
  if (!isFloat(x.dtype)) throw new DTypeError(`norm(): input dtype should be either floating point or complex. Got ${cName(x.dtype)} instead.`);
  if (p === 'nuc') throw new RuntimeError("norm(): p='nuc' (the nuclear norm) is not supported by torchlet; it needs a singular value decomposition.");
  const q = p === 'fro' ? 2 : p;
  const dims = normDims(x, dim);
  const { data, kept, m, count } = groups(x, dims);
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let acc = q === Number.NEGATIVE_INFINITY ? Number.POSITIVE_INFINITY : 0;
    let nan = false;
    for (let j = 0; j < m; j++) {
      const a = Math.abs(data[k * m + j]);
      if (Number.isNaN(a)) nan = true;
      else if (q === Number.POSITIVE_INFINITY) acc = Math.max(acc, a);
      else if (q === Number.NEGATIVE_INFINITY) acc = Math.min(acc, a);
      else if (q === 0) acc += a !== 0 ? 1 : 0;
      else if (q === 1) acc += a;
      else if (q === 2) acc += a * a;
      else acc += a ** q;
    }
    if (nan) out[k] = Number.NaN;
    else if (q === 2) out[k] = Math.sqrt(acc);
    else if (q === 0 || q === 1 || !Number.isFinite(q)) out[k] = acc;
    else out[k] = acc ** (1 / q);
  }
  const nKept = new Tensor(store(out, x.dtype, 'norm'), kept, x.dtype);
  const y = keep ? nKept : dropDims(nKept, dims);
  return record('NormBackward1', [x], y, ([g0]) => {
    const g = reshape(g0!, kept);
    // The output as a recorded tensor (createGraph differentiates through it).
    const nKept = reshape(y, kept);
    if (q === 0) return [x.zerosLike()];
    if (q === 1) return [mul(sign0(x), g)];
    if (!Number.isFinite(q)) {
      // The tied extremes of |x| (and NaNs) share the gradient, with x's sign.
      const ax = abs(x);
      const hit = logicalOr(eq(ax, nKept), isnan(ax));
      return [mul(sign0(x), div(mul(hit, g), sum(hit, dims, true)))];
    }
    // x |x|^(p-2) g / norm^(p-1), 0 where the norm is 0.
    const scale = where(eq(nKept, 0), 0, div(g, q === 2 ? nKept : pow(nKept, q - 1)));
    const xs = q === 2 ? x : q < 2 ? mul(sign0(x), pow(abs(x), q - 1)) : mul(x, pow(abs(x), q - 2));
    return [mul(xs, scale)];
  }, [x, y]);
}

/** sign(x) with NaN → 0, as PyTorch's `sgn` in norm's gradient; not recorded. */
function sign0(x: Tensor): Tensor {
  const src = x.contiguousData();
  const out = allocStorage(x.dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] > 0 ? 1 : src[i] < 0 ? -1 : 0;
  return new Tensor(out, x.shape, x.dtype);
}

// ---- products, cumulative ops, logsumexp ---------------------------------------------------------

/** Integer and bool inputs accumulate to int64, as PyTorch's sum/prod/cumsum/cumprod. */
function accDtype(x: Tensor): DType {
  return isFloat(x.dtype) ? x.dtype : 'int64';
}

/**
 * PyTorch: `torch.prod(input, *, dtype=None)` (0-d) and `torch.prod(input, dim, keepdim=False, *,
 * dtype=None)`: the product over all elements or along one dim. Integer and bool input gives
 * int64; with `{ dtype }` the input is cast to it first and the result has it. The gradient is the
 * product of the other elements (exact with zeros); it is not itself differentiable (no double
 * backward). Keywords also as `prod(x, { dim, keepdim, dtype })`.
 */
export function prod(x0: Tensor, dim?: number | null | ReduceOptions, keepdim: boolean | ReduceOptions = false, options?: ReduceOptions): Tensor {
  checkTensor(x0, 'prod', 'input', 1);
  const a = reduceArgs('prod', dim, keepdim, options);
  checkOptDim(a.dim, 'prod', 2);
  if (typeof keepdim !== 'object') checkFlag(keepdim, 'prod', 'keepdim', 3);
  const keep = a.keepdim;
  const x = castFirst(x0, a.dtype);
  const all = a.dim === null || a.dim === undefined;
  const dims = all ? x.shape.map((_, i) => i) : [normDim(a.dim as number, x.ndim)].filter((d) => d < x.ndim);
  const { data, kept, m, count } = groups(x, dims);
  const dtype = a.dtype ?? accDtype(x);
  // int32 multiplies modulo 2^32 at every step, as PyTorch's int32 arithmetic (exact past 2^53).
  const times = dtype === 'int32' ? Math.imul : (u: number, v: number) => u * v;
  const out = new Float64Array(count);
  const others = new Float64Array(data.length);
  for (let k = 0; k < count; k++) {
    let p = 1;
    for (let j = 0; j < m; j++) {
      others[k * m + j] = p; // prefix product before j
      p = times(p, data[k * m + j]);
    }
    out[k] = p;
    let s = 1;
    for (let j = m - 1; j >= 0; j--) {
      others[k * m + j] *= s; // times the suffix after j
      s *= data[k * m + j];
    }
  }
  const yKept = new Tensor(store(out, dtype, 'torch.prod'), kept, dtype);
  const y = all ? (keep ? yKept : reshape(yKept, [])) : keep ? yKept : dropDims(yKept, dims);
  return record(all ? 'ProdBackward0' : 'ProdBackward1', [x], y, ([g]) => {
    // `others` is laid out with the reduced dims last: move it back to x's layout.
    const rest = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
    const perm = [...rest, ...dims];
    const movedShape = perm.map((i) => x.shape[i]);
    const inv = perm.map((_, i) => perm.indexOf(i));
    const o = new Tensor(store(others, g!.dtype, 'prod'), movedShape, g!.dtype);
    const back = x.ndim === 0 ? reshape(o, []) : copyContiguous(permute(o, inv));
    return [mul(back, expand(reshape(g!, kept), x.shape))];
  }, [x], 'raw');
}

/** The keyword arguments of `cumsum`/`cumprod` (PyTorch: `dim`, `*, dtype`). */
export interface CumulativeOptions {
  /** The dim to run along, when not given positionally. */
  dim?: number;
  /** Cast the input to this dtype first; the result has it. Default: input's, int64 for integer and bool input. */
  dtype?: DType | `torch.${DType}`;
}
/** The run-time check of these options (src/options.ts). */
const CUMULATIVE_OPTIONS = defineOptions<CumulativeOptions>('torch.cumsum', { dim: opt.int, dtype: opt.any });

function cumulative(fn: 'cumsum' | 'cumprod', x0: Tensor, dim0: number | CumulativeOptions, options?: CumulativeOptions): Tensor {
  checkTensor(x0, fn, 'input', 1);
  const isObj = typeof dim0 === 'object' && dim0 !== null;
  const kw = isObj || options !== undefined ? CUMULATIVE_OPTIONS.parse(isObj ? dim0 : options, `torch.${fn}`) : {};
  if (!isObj && kw.dim !== undefined) throw new ArgumentTypeError(`${fn}() got multiple values for argument 'dim'`);
  const dim = isObj ? kw.dim : dim0;
  checkNumber(dim, fn, 'dim', 2, true);
  const want = kw.dtype === undefined || kw.dtype === null ? undefined : parseDType(kw.dtype, `torch.${fn}`);
  if (want === 'bool') throw new RuntimeError(`"${fn}_out_cpu" not implemented for 'Bool'`);
  const x = castFirst(x0, want);
  const { d, outer, n, inner } = dimSlices(x, dim);
  const data = x.contiguousData();
  const out = new Float64Array(data.length);
  const dtype = want ?? accDtype(x);
  // int32 products wrap at every step, as PyTorch's int32 arithmetic (sums are exact, then wrapped).
  const times = dtype === 'int32' ? Math.imul : (u: number, v: number) => u * v;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = fn === 'cumsum' ? 0 : 1;
      for (let j = 0; j < n; j++) {
        const at = (o * n + j) * inner + i;
        acc = fn === 'cumsum' ? acc + data[at] : times(acc, data[at]);
        out[at] = acc;
      }
    }
  }
  const y = new Tensor(store(out, dtype, `torch.${fn}`), x.shape, dtype);
  if (fn === 'cumsum') {
    // The gradient is the reversed cumulative sum of g.
    return record('CumsumBackward0', [x], y, ([g]) => [x.ndim === 0 ? g! : flip(cumsum(flip(g!, d), d), d)], []);
  }
  return record('CumprodBackward0', [x], y, ([g]) => [cumprodGrad(data, out, copyContiguous(g!), outer, n, inner, x)], [x], 'raw');
}

/**
 * d/dx_i of Σ_k g_k y_k with y_k = Π_{j<=k} x_j, exact with zeros: Σ_{k>=i} g_k y_k / x_i before the
 * first zero z of the slice, a running product at z, 0 after it. O(n) per slice.
 */
function cumprodGrad(x: ArrayLike<number>, y: Float64Array, gt: Tensor, outer: number, n: number, inner: number, like: Tensor): Tensor {
  const g = gt.storage;
  const out = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * n + j) * inner + i;
      let z = n;
      for (let j = 0; j < n; j++) {
        if (x[at(j)] === 0) {
          z = j;
          break;
        }
      }
      let tail = 0;
      const sums = new Float64Array(n);
      for (let k = n - 1; k >= 0; k--) {
        tail += g[at(k)] * y[at(k)];
        sums[k] = tail;
      }
      for (let j = 0; j < z; j++) out[at(j)] = sums[j] / x[at(j)];
      if (z < n) {
        let p = z > 0 ? y[at(z - 1)] : 1;
        let acc = g[at(z)] * p;
        for (let k = z + 1; k < n; k++) {
          p *= x[at(k)];
          acc += g[at(k)] * p;
        }
        out[at(z)] = acc;
      }
    }
  }
  return new Tensor(store(out, gt.dtype, 'cumprod'), like.shape, gt.dtype);
}

/**
 * PyTorch: `torch.cumsum(input, dim, *, dtype=None)`: running sums along dim, input's shape.
 * Integer and bool input gives int64; `{ dtype }` casts the input first (not to bool, as PyTorch).
 * Also `cumsum(x, { dim, dtype })`.
 */
export function cumsum(x: Tensor, dim: number | CumulativeOptions, options?: CumulativeOptions): Tensor {
  return cumulative('cumsum', x, dim, options);
}

/**
 * PyTorch: `torch.cumprod(input, dim, *, dtype=None)`: running products along dim, input's shape.
 * Integer and bool input gives int64; `{ dtype }` casts the input first (not to bool, as PyTorch).
 * The gradient is exact with zeros; not itself differentiable. Also `cumprod(x, { dim, dtype })`.
 */
export function cumprod(x: Tensor, dim: number | CumulativeOptions, options?: CumulativeOptions): Tensor {
  return cumulative('cumprod', x, dim, options);
}

/**
 * PyTorch: `torch.logsumexp(input, dim, keepdim=False)`: log Σ exp(x) over one or several dims,
 * computed stably (the max subtracted first; an infinite max is not subtracted, as PyTorch).
 * Integer input is computed in float32. An empty group gives -inf.
 */
export function logsumexp(x0: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  checkTensor(x0, 'logsumexp', 'input', 1);
  checkDims(dim, 'logsumexp', 2, false);
  const keep = checkFlag(keepdim, 'logsumexp', 'keepdim', 3);
  const x = isFloat(x0.dtype) ? x0 : toDtype(x0, 'float32');
  const dims = normDims(x, dim);
  const { data, kept, m, count } = groups(x, dims);
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let mx = m > 0 ? data[k * m + extremeIndex(data, k * m, m, 1, true)] : 0;
    if (Math.abs(mx) === Number.POSITIVE_INFINITY) mx = 0;
    let s = 0;
    for (let j = 0; j < m; j++) s += Math.exp(data[k * m + j] - mx);
    out[k] = Math.log(s) + mx;
  }
  const yKept = new Tensor(store(out, x.dtype, 'logsumexp'), kept, x.dtype);
  const y = keep ? yKept : dropDims(yKept, dims);
  // d logsumexp = g exp(x - y)
  return record('LogsumexpBackward0', [x], y, ([g]) => [mul(reshape(g!, kept), sub(x, reshape(y, kept)).exp())], [x, y]);
}

// ---- predicates and counts ---------------------------------------------------------------------

function anyAll(fn: 'any' | 'all', x: Tensor, dim: number | null | undefined, keepdim: unknown): Tensor {
  checkTensor(x, fn, 'input', 1);
  checkOptDim(dim, fn, 2);
  const keep = checkFlag(keepdim, fn, 'keepdim', 3);
  const all = dim === null || dim === undefined;
  const dims = all ? x.shape.map((_, i) => i) : [normDim(dim, x.ndim)].filter((d) => d < x.ndim);
  const { data, kept, m, count } = groups(x, dims);
  const out = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    let r = fn === 'all' ? 1 : 0;
    for (let j = 0; j < m; j++) {
      // NaN is nonzero (true), as PyTorch.
      const nz = data[k * m + j] !== 0;
      if (fn === 'any' && nz) {
        r = 1;
        break;
      }
      if (fn === 'all' && !nz) {
        r = 0;
        break;
      }
    }
    out[k] = r;
  }
  const yKept = new Tensor(out, kept, 'bool');
  if (all) return keep ? yKept : reshape(yKept, []);
  return keep ? yKept : dropDims(yKept, dims);
}

/**
 * PyTorch: `torch.any(input)` / `torch.any(input, dim, keepdim=False)`: a bool tensor, true where
 * any element is nonzero (NaN counts), over all elements or along one dim. Empty gives false.
 */
export function any(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return anyAll('any', x, dim, keepdim);
}

/** PyTorch: `torch.all(input)` / `torch.all(input, dim, keepdim=False)`: as `any`, true where every element is nonzero. Empty gives true. */
export function all(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return anyAll('all', x, dim, keepdim);
}

/**
 * PyTorch: `torch.count_nonzero(input, dim=None)`: int64 counts of nonzero elements (NaN counts)
 * over all dims or the given one(s); the reduced dims are dropped.
 */
export function countNonzero(x: Tensor, dim?: Dims): Tensor {
  checkTensor(x, 'count_nonzero', 'input', 1);
  checkDims(dim, 'count_nonzero', 2);
  const dims = normDims(x, dim);
  const { data, kept, m, count } = groups(x, dims);
  const out = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    let c = 0;
    for (let j = 0; j < m; j++) if (data[k * m + j] !== 0) c++;
    out[k] = c;
  }
  return dropDims(indexTensor(out, kept), dims);
}
