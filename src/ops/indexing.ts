/**
 * Indexing as Python's `x[...]` (libtorch's `Tensor::index`), `index_put_`, `select`, `unbind`,
 * `gather`. Basic specs (integers, slices, `'...'`, `null`) give views sharing storage; advanced
 * specs (int tensors, number arrays, bool masks) copy. Forward beside backward.
 * PyTorch: `Tensor.__getitem__`, `Tensor.index_put_`, `torch.select`, `torch.unbind`, `torch.gather`.
 */

import { noGrad } from '../autograd/grad-mode.js';
import { record, traceAttrs } from '../autograd/node.js';
import { IndexError, RuntimeError, ValueError } from '../errors.js';
import { allocStorage, cName, isFloat } from '../tensor/dtype.js';
import { broadcastShapes, contiguousStrides, fmtShape, normDim, numel } from '../tensor/shape.js';
import { checkTensor } from '../tensor/args.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOptions, opt } from '../options.js';
import { checkIndexTensor, scatterOffsets, scatterPlan, scatterWithReduce } from './scatter.js';
import { indexTensor } from './util.js';

/**
 * One entry of an index, as Python writes it inside `x[...]`: an integer (negative counts from
 * the end), a slice string (`':'`, `'1:'`, `':-1'`, `'::2'`, `'1:7:3'`), `'...'`, `null` (a new
 * axis, Python's `None`), an int tensor or (nested) number array (advanced indexing), or a bool
 * tensor (a mask). PyTorch: the index expressions inside `x[...]` (libtorch's `TensorIndex`).
 */
export type IndexSpec = number | string | null | Tensor | readonly number[] | readonly (readonly number[])[];

/** An advanced index resolved to int positions, broadcast later. */
interface Adv {
  dim: number; // dim of the basic view it indexes
  values: Int32Array;
  shape: number[];
}

/** The basic view of x (shape/strides/offset) and the advanced indices into its dims. */
interface Plan {
  shape: number[];
  strides: number[];
  offset: number;
  advs: Adv[];
}

function parseSlice(spec: string, size: number): [number, number, number] {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new IndexError(`torchlet: bad slice '${spec}': write 'start:stop' or 'start:stop:step' (each part optional)`);
  }
  const num = (p: string | undefined): number | null => {
    if (p === undefined || p.trim() === '') return null;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new IndexError(`torchlet: bad slice '${spec}': '${p}' is not an integer`);
    return v;
  };
  const step = num(parts[2]) ?? 1;
  if (step === 0) throw new ValueError('slice step cannot be zero');
  if (step < 0) throw new ValueError('step must be greater than zero');
  let start = num(parts[0]) ?? 0;
  let stop = num(parts[1]) ?? size;
  if (start < 0) start += size;
  if (stop < 0) stop += size;
  start = Math.min(Math.max(start, 0), size);
  stop = Math.min(Math.max(stop, start), size);
  return [start, Math.ceil((stop - start) / step), step];
}

function nestedShape(a: unknown): number[] {
  const shape: number[] = [];
  let cur: unknown = a;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function consumed(spec: IndexSpec): number {
  if (spec === null || spec === '...') return 0;
  if (spec instanceof Tensor && spec.dtype === 'bool') return spec.ndim;
  return 1;
}

function boundsIndex(i: number, d: number, size: number): number {
  if (!Number.isInteger(i)) throw new IndexError(`torchlet: index ${i} is not an integer`);
  if (i < -size || i >= size) throw new IndexError(`index ${i} is out of bounds for dimension ${d} with size ${size}`);
  return i < 0 ? i + size : i;
}

function plan(x: Tensor, specs: readonly IndexSpec[]): Plan {
  const used = specs.reduce<number>((n, s) => n + consumed(s), 0);
  const ellipses = specs.filter((s) => s === '...').length;
  if (ellipses > 1) throw new IndexError('an index can only have a single ellipsis');
  if (used > x.ndim) throw new IndexError(`too many indices for tensor of dimension ${x.ndim}`);
  const full: IndexSpec[] = [];
  for (const s of specs) {
    if (s === '...') for (let k = 0; k < x.ndim - used; k++) full.push(':');
    else full.push(s);
  }
  if (ellipses === 0) for (let k = used; k < x.ndim; k++) full.push(':');
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = x.offset;
  const advs: Adv[] = [];
  let d = 0; // dim of x
  for (const s of full) {
    if (s === null) {
      shape.push(1);
      strides.push(0);
    } else if (typeof s === 'number') {
      const i = boundsIndex(s, d, x.shape[d]);
      offset += i * x.strides[d];
      d++;
    } else if (typeof s === 'string') {
      const [start, len, step] = parseSlice(s, x.shape[d]);
      if (len > 0) offset += start * x.strides[d];
      shape.push(len);
      strides.push(x.strides[d] * step);
      d++;
    } else if (s instanceof Tensor && s.dtype === 'bool') {
      // A mask over s.ndim dims: its nonzero positions, one index per masked dim.
      for (let k = 0; k < s.ndim; k++) {
        if (s.shape[k] !== x.shape[d + k]) {
          throw new IndexError(
            `The shape of the mask ${fmtShape(s.shape)} at index ${k} does not match the shape of the indexed tensor ${fmtShape(x.shape)} at index ${d + k}`,
          );
        }
      }
      const nz = nonzeroRows(s);
      const count = nz.length / Math.max(s.ndim, 1);
      for (let k = 0; k < s.ndim; k++) {
        const values = new Int32Array(count);
        for (let r = 0; r < count; r++) values[r] = nz[r * s.ndim + k];
        advs.push({ dim: shape.length, values, shape: [count] });
        shape.push(x.shape[d]);
        strides.push(x.strides[d]);
        d++;
      }
    } else {
      let values: Int32Array;
      let ishape: number[];
      if (s instanceof Tensor) {
        if (isFloat(s.dtype)) {
          throw new IndexError('tensors used as indices must be long, int, byte or bool tensors');
        }
        ishape = [...s.shape];
        values = Int32Array.from(s.contiguousData() as ArrayLike<number>);
      } else {
        ishape = nestedShape(s);
        values = Int32Array.from((s as readonly unknown[]).flat(Number.POSITIVE_INFINITY) as number[]);
        if (values.length !== numel(ishape)) throw new IndexError('torchlet: a nested index array must be rectangular');
      }
      const size = x.shape[d];
      for (let k = 0; k < values.length; k++) values[k] = boundsIndex(values[k], d, size);
      advs.push({ dim: shape.length, values, shape: ishape });
      shape.push(size);
      strides.push(x.strides[d]);
      d++;
    }
  }
  return { shape, strides, offset, advs };
}

/** Row-major coordinates of the nonzero entries of t, flat (count x ndim). */
function nonzeroRows(t: Tensor): number[] {
  const data = t.contiguousData();
  const cs = contiguousStrides(t.shape);
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== 0) {
      let r = i;
      for (let k = 0; k < t.ndim; k++) {
        out.push(Math.floor(r / cs[k]));
        r %= cs[k];
      }
    }
  }
  return out;
}

/**
 * The advanced part: the result shape and, for each result element in row-major order, its
 * offset into the view (through strides) and into a contiguous tensor of the view's shape.
 */
function gatherPlan(p: Plan): { shape: number[]; offs: Int32Array; flat: Int32Array } {
  let bshape: number[] = [];
  for (const a of p.advs) {
    try {
      bshape = broadcastShapes(bshape, a.shape);
    } catch {
      throw new IndexError(
        `shape mismatch: indexing tensors could not be broadcast together with shapes ${p.advs.map((q) => fmtShape(q.shape)).join(', ')}`,
      );
    }
  }
  const advDims = p.advs.map((a) => a.dim);
  const adjacent = advDims.every((dd, k) => k === 0 || dd === advDims[k - 1] + 1);
  const rest = p.shape.map((_, k) => k).filter((k) => !advDims.includes(k));
  // Each result dim: -1 - j for broadcast dim j, else the view dim it keeps.
  const labels: number[] = [];
  const bl = bshape.map((_, j) => -1 - j);
  if (adjacent) {
    const first = advDims[0];
    labels.push(...rest.filter((k) => k < first), ...bl, ...rest.filter((k) => k > first));
  } else {
    labels.push(...bl, ...rest);
  }
  const shape = labels.map((l) => (l < 0 ? bshape[-1 - l] : p.shape[l]));
  const n = numel(shape);
  const vcs = contiguousStrides(p.shape);
  // Per advanced index, its strides broadcast to bshape.
  const astr = p.advs.map((a) => {
    const lead = bshape.length - a.shape.length;
    const own = contiguousStrides(a.shape);
    return bshape.map((_s, j) => (j < lead || a.shape[j - lead] === 1 ? 0 : own[j - lead]));
  });
  const offs = new Int32Array(n);
  const flat = new Int32Array(n);
  const cs = contiguousStrides(shape);
  const bidx = new Array<number>(bshape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let r = i;
    let off = p.offset;
    let fl = 0;
    for (let k = 0; k < shape.length; k++) {
      const c = Math.floor(r / cs[k]);
      r %= cs[k];
      const l = labels[k];
      if (l < 0) bidx[-1 - l] = c;
      else {
        off += c * p.strides[l];
        fl += c * vcs[l];
      }
    }
    p.advs.forEach((a, q) => {
      let at = 0;
      for (let j = 0; j < bshape.length; j++) at += bidx[j] * astr[q][j];
      const v = a.values[at];
      off += v * p.strides[a.dim];
      fl += v * vcs[a.dim];
    });
    offs[i] = off;
    flat[i] = fl;
  }
  return { shape, offs, flat };
}

/** The basic view described by `p`, on x's storage (no record). */
function basicView(x: Tensor, p: Plan): Tensor {
  const v = new Tensor(x.storage, p.shape, x.dtype, p.strides, p.offset);
  v._base = x._base ?? x;
  return v;
}

/**
 * PyTorch: `x[spec0, spec1, ...]` (libtorch `Tensor::index`). `index(x, ':', -1, ':')` is
 * `x[:, -1, :]`. With only basic specs the result is a view sharing x's storage; with advanced
 * specs (int tensors, number arrays, bool masks) a copy, whose gradient scatter-adds (repeated
 * indices accumulate). Shapes follow PyTorch, including its rule that advanced indices separated
 * by a basic one put the broadcast index dims first.
 */
export function index(x: Tensor, ...specs: IndexSpec[]): Tensor {
  const p = plan(x, specs);
  const view = record(
    p.shape.length === x.ndim ? 'SliceBackward0' : 'SelectBackward0',
    [x],
    basicView(x, p),
    ([g]) => [basicBackward(g!, x.shape, specs)],
    [],
  );
  if (p.advs.length === 0) return view;
  const vp: Plan = { shape: p.shape, strides: [...view.strides], offset: view.offset, advs: p.advs };
  const { shape, offs, flat } = gatherPlan(vp);
  const out = allocStorage(x.dtype, offs.length);
  const src = x.storage;
  for (let i = 0; i < offs.length; i++) out[i] = src[offs[i]];
  const y = new Tensor(out, shape, x.dtype);
  return traceAttrs(record('IndexBackward0', [view], y, ([g]) => [scatterFlat(g!, p.shape, flat)], []), { specs, advs: p.advs });
}

/** Zeros of `shape` with g's elements added at contiguous positions `flat` (index_put_ accumulate). */
function scatterFlat(g: Tensor, shape: readonly number[], flat: Int32Array): Tensor {
  const gd = g.contiguousData();
  const gx = allocStorage(g.dtype, numel(shape));
  for (let i = 0; i < flat.length; i++) gx[flat[i]] += gd[i];
  const z = new Tensor(gx, shape, g.dtype);
  // Under createGraph the scatter is recorded: its backward is the same gather.
  return record(
    'IndexPutBackward0',
    [g],
    z,
    ([gg]) => {
      const d = gg!.contiguousData();
      const o = allocStorage(gg!.dtype, flat.length);
      for (let i = 0; i < flat.length; i++) o[i] = d[flat[i]];
      return [new Tensor(o, g.shape, gg!.dtype)];
    },
    [],
  );
}

/** The gradient of a basic index: zeros of `shape` with g written into the same view. */
function basicBackward(g: Tensor, shape: readonly number[], specs: readonly IndexSpec[]): Tensor {
  const z = Tensor.empty(shape, g.dtype);
  const basic = specs.map((s) => (typeof s === 'number' || typeof s === 'string' || s === null ? s : ':'));
  noGrad(() => basicView(z, plan(z, basic)).copy_(g));
  return record('SliceBackwardBackward0', [g], z, ([gg]) => [index(gg!, ...basic)], []);
}

/** Options of `nonzero`. PyTorch: `torch.nonzero(input, as_tuple=False)`. */
export interface NonzeroOptions {
  /** One 1-D int64 tensor per dim instead of a [count, ndim] tensor. */
  asTuple?: boolean;
}
const NONZERO_OPTIONS = defineOptions<NonzeroOptions>('torch.nonzero', { asTuple: opt.bool });

/**
 * @internal The storage offsets `x[specs]` reads, row-major over the indexed shape, and that
 * shape: what `indexPut_` writes. Throws PyTorch's indexing errors.
 */
export function putOffsets(x: Tensor, specs: readonly IndexSpec[]): { offs: Int32Array; shape: number[] } {
  const p = plan(x, specs);
  if (p.advs.length > 0) {
    const gp = gatherPlan(p);
    return { offs: gp.offs, shape: gp.shape };
  }
  const shape = p.shape;
  const v = basicView(x, p);
  const offs = new Int32Array(numel(shape));
  const cs = contiguousStrides(shape);
  for (let i = 0; i < offs.length; i++) {
    let r = i;
    let o = v.offset;
    for (let k = 0; k < shape.length; k++) {
      o += Math.floor(r / cs[k]) * v.strides[k];
      r %= cs[k];
    }
    offs[i] = o;
  }
  return { offs, shape };
}

/**
 * PyTorch: `torch.select(input, dim, index)`: the slice at `index` along `dim`, that dim
 * removed (a view). Negative index counts from the end. Shape: input's without `dim`.
 */
export function select(x: Tensor, dim: number, i: number): Tensor {
  if (x.ndim === 0) throw new IndexError('select() cannot be applied to a 0-dim tensor.');
  const d = normDim(dim, x.ndim);
  const size = x.shape[d];
  if (!Number.isInteger(i) || i < -size || i >= size) {
    throw new IndexError(`select(): index ${i} out of range for tensor of size ${fmtShape(x.shape)} at dimension ${d}`);
  }
  const specs: IndexSpec[] = x.shape.map((_, k) => (k === d ? i : ':'));
  return index(x, ...specs);
}

/** PyTorch: `torch.unbind(input, dim=0)`: the `select(dim, i)` views for every i. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  if (x.ndim === 0) throw new IndexError('Dimension specified as 0 but tensor has no dimensions');
  const d = normDim(dim, x.ndim);
  return Array.from({ length: x.shape[d] }, (_, i) => select(x, d, i));
}

/**
 * PyTorch: `torch.gather(input, dim, index)`: out[i][j][k] = input[index[i][j][k]][j][k] (dim 0).
 * `index` is an int tensor with input's ndim and sizes <= input's off `dim`; out has index's shape.
 * Gradient: scatter-add into zeros.
 */
export function gather(x: Tensor, dim: number, idx: Tensor): Tensor {
  const d = normDim(dim, Math.max(x.ndim, 1));
  checkIndexTensor(idx, 'gather');
  if (idx.ndim !== x.ndim) {
    throw new RuntimeError('Index tensor must have the same number of dimensions as input tensor');
  }
  idx.shape.forEach((s, k) => {
    if (k !== d && s > x.shape[k]) {
      throw new RuntimeError(
        `Size does not match at dimension ${k} expected index ${fmtShape(idx.shape)} to be smaller than self ${fmtShape(x.shape)} apart from dimension ${d}`,
      );
    }
  });
  const { offs, flat } = scatterOffsets(x.shape, x.strides, x.offset, d, idx);
  const out = allocStorage(x.dtype, offs.length);
  for (let i = 0; i < offs.length; i++) out[i] = x.storage[offs[i]];
  const y = new Tensor(out, idx.shape, x.dtype);
  return traceAttrs(record('GatherBackward0', [x], y, ([g]) => [scatterFlat(g!, x.shape, flat)], []), { dim: d, index: idx });
}

/** The options of `scatter`. PyTorch: the keyword argument `reduce`. */
export interface ScatterOptions {
  /** Add or multiply src into input's values instead of replacing them (no gradient, as PyTorch; see `scatterReduce`). */
  reduce?: 'add' | 'multiply';
}
/** The run-time check of these options (src/options.ts). */
const SCATTER_OPTIONS = defineOptions<ScatterOptions>('torch.scatter', { reduce: opt.any /* checked with PyTorch's message */ });

/**
 * PyTorch: `torch.scatter(input, dim, index, src, *, reduce=None)` (out of place): a copy of input
 * with out[index[i][j]][j] = src[i][j] (dim 0); `src` a tensor (input's dtype) or a number. With
 * repeated indices the last write wins (PyTorch leaves the order unspecified). Gradient: to input
 * where not overwritten, to src gathered. `{ reduce: 'add' | 'multiply' }` adds or multiplies
 * instead (no gradient, as PyTorch; `scatterReduce` has one). Shapes: index and src of input's
 * ndim, index no larger than src and (off dim) than input; out has input's shape.
 */
export function scatter(x: Tensor, dim: number, idx: Tensor, src: Tensor | number, options?: ScatterOptions): Tensor {
  if (options !== undefined) {
    const o = SCATTER_OPTIONS.parse(options);
    if (o.reduce !== undefined) return scatterWithReduce(x, normDim(dim, Math.max(x.ndim, 1)), idx, src, o.reduce);
  }
  return scatterImpl(x, dim, idx, src, false);
}

/** PyTorch: `torch.scatter_add(input, dim, index, src)`: as scatter, adding (repeats accumulate). */
export function scatterAdd(x: Tensor, dim: number, idx: Tensor, src: Tensor): Tensor {
  return scatterImpl(x, dim, idx, src, true);
}

function scatterImpl(x: Tensor, dim: number, idx: Tensor, src: Tensor | number, add: boolean): Tensor {
  const d = normDim(dim, Math.max(x.ndim, 1));
  const { flat, sp: srcFlat, sv } = scatterPlan(x, d, idx, src, add ? 'scatter_add' : 'scatter');
  const out = x.contiguousData().slice();
  for (let i = 0; i < flat.length; i++) {
    if (add) out[flat[i]] += sv[i];
    else out[flat[i]] = sv[i];
  }
  const y = new Tensor(out, x.shape, x.dtype);
  const inputs = typeof src === 'number' ? [x] : [x, src];
  return record(add ? 'ScatterAddBackward0' : 'ScatterBackward0', inputs, y, ([g]) => {
    const gd = g!.contiguousData();
    let gx: Tensor = g!;
    if (!add) {
      const m = gd.slice();
      for (const f of flat) m[f] = 0;
      gx = new Tensor(m, x.shape, g!.dtype);
    }
    const res: (Tensor | null)[] = [gx];
    if (typeof src !== 'number') {
      const gs = allocStorage(g!.dtype, src.numel());
      for (let i = 0; i < flat.length; i++) gs[srcFlat![i]] = gd[flat[i]];
      res.push(new Tensor(gs, src.shape, g!.dtype));
    }
    return res;
  }, []);
}

/** PyTorch: `torch.masked_select(input, mask)`: the 1-D copy of input where the (broadcast) bool mask is true. */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  if (mask.dtype !== 'bool') throw new RuntimeError(`masked_select: expected BoolTensor for mask`);
  const shape = broadcastShapes(x.shape, mask.shape);
  const xb = shape.length === x.ndim && shape.every((s, k) => s === x.shape[k]) ? x : x.expand(shape);
  const mb = noGrad(() => mask.expand(shape)).contiguous();
  return index(xb, noGrad(() => mb));
}

/**
 * PyTorch: `torch.nonzero(input, as_tuple=False)`: the int64 coordinates of nonzero entries,
 * shape [count, ndim]; with `{ asTuple: true }` one 1-D int64 tensor per dim.
 */
export function nonzero(x: Tensor, options: { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, options?: { asTuple?: false }): Tensor;
export function nonzero(x: Tensor, options?: NonzeroOptions): Tensor | Tensor[] {
  const o = NONZERO_OPTIONS.parse(options);
  const rows = nonzeroRows(x);
  const nd = x.ndim;
  const count = nd === 0 ? (x.item() !== 0 ? 1 : 0) : rows.length / nd;
  if (!o.asTuple) return indexTensor(rows, [count, nd]);
  if (nd === 0) return [indexTensor(new Array(count).fill(0))];
  return Array.from({ length: nd }, (_, k) => indexTensor(Array.from({ length: count }, (_, r) => rows[r * nd + k])));
}

/**
 * PyTorch: `torch.take(input, index)`: input read as 1-D (row-major) at the int64 positions in
 * `index` (negative counts from the end). Shapes: any input, index (*) → (*). Gradient:
 * scatter-add into input's shape (repeated positions sum).
 */
export function take(x: Tensor, idx: Tensor): Tensor {
  checkTensor(x, 'take', 'input', 1);
  checkTensor(idx, 'take', 'index', 2);
  if (idx.dtype !== 'int64') {
    throw new RuntimeError(`take(): Expected a long tensor for index, but got ${cName(idx.dtype)}. Make indices with { dtype: 'int64' } or .long().`);
  }
  const n = x.numel();
  const v = idx.contiguousData();
  for (let i = 0; i < v.length; i++) {
    if (v[i] >= n || v[i] < -n) throw new IndexError(`out of range: tried to access index ${v[i]} on a tensor of ${n} elements.`);
  }
  return index(x.reshape(-1), idx);
}

/**
 * PyTorch: `torch.where(condition)` (one argument): the same as `torch.nonzero(condition, as_tuple=True)`,
 * one 1-D int64 tensor of coordinates per dim.
 */
export function whereNonzero(condition: Tensor): Tensor[] {
  checkTensor(condition, 'where', 'condition', 1);
  return nonzero(condition, { asTuple: true });
}
