/**
 * Scatter with a reduction: `torch.scatter_reduce` (sum, prod, mean, amax, amin; include_self),
 * the `reduce='add' | 'multiply'` form of `torch.scatter`, and the index plans `gather`/`scatter`
 * share (src/ops/indexing.ts imports them from here). Forward beside backward.
 * PyTorch: `torch.scatter_reduce`, `Tensor.scatter_reduce_`, `torch.scatter(..., reduce=)`.
 */

import { record } from '../autograd/node.js';
import { RuntimeError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { checkNumber, checkOperand, checkTensor } from '../tensor/args.js';
import { allocStorage, castStorage, castValue, cName, isFloat } from '../tensor/dtype.js';
import { contiguousStrides, fmtShape, normDim } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

// ---- index plans shared with gather / scatter ----------------------------------------------------

/** @internal PyTorch's index dtype check of gather/scatter (int32 is accepted too: torchlet's leniency). */
export function checkIndexTensor(idx: Tensor, op: string): void {
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32') {
    throw new RuntimeError(`${op}(): Expected dtype int64 for index`);
  }
}

/**
 * @internal For each element of idx (row-major): its target offset in a strided tensor and in a
 * contiguous one. Indices must be in [0, size) along d, as PyTorch's gather/scatter.
 */
export function scatterOffsets(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  d: number,
  idx: Tensor,
): { offs: Int32Array; flat: Int32Array } {
  const iv = idx.contiguousData();
  const n = iv.length;
  const ics = contiguousStrides(idx.shape);
  const xcs = contiguousStrides(shape);
  const offs = new Int32Array(n);
  const flat = new Int32Array(n);
  const size = shape.length === 0 ? 1 : shape[d];
  for (let i = 0; i < n; i++) {
    let r = i;
    let o = offset;
    let f = 0;
    for (let k = 0; k < idx.ndim; k++) {
      let c = Math.floor(r / ics[k]);
      r %= ics[k];
      if (k === d) {
        c = iv[i];
        if (c < 0 || c >= size) {
          throw new RuntimeError(`index ${c} is out of bounds for dimension ${d} with size ${size}${c < 0 ? ' (gather/scatter indices count from 0; negative ones are not read from the end)' : ''}`);
        }
      }
      o += c * strides[k];
      f += c * xcs[k];
    }
    offs[i] = o;
    flat[i] = f;
  }
  return { offs, flat };
}

/** @internal For each element of idx (row-major): the position of the src element it reads (src may be larger). */
export function srcPositions(idx: Tensor, srcShape: readonly number[]): Int32Array {
  const scs = contiguousStrides(srcShape);
  const ics = contiguousStrides(idx.shape);
  const n = idx.numel();
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let r = i;
    let f = 0;
    for (let k = 0; k < idx.ndim; k++) {
      f += Math.floor(r / ics[k]) * scs[k];
      r %= ics[k];
    }
    out[i] = f;
  }
  return out;
}

/**
 * @internal PyTorch's shape and dtype checks of scatter/scatter_add/scatter_reduce: index has
 * self's ndim, is no larger than src anywhere and no larger than self off `d`; src has self's dtype.
 */
export function checkScatterArgs(x: Tensor, d: number, idx: Tensor, src: Tensor | number, op: string): void {
  checkIndexTensor(idx, op);
  if (idx.ndim !== x.ndim) throw new RuntimeError('Index tensor must have the same number of dimensions as self tensor');
  if (typeof src === 'number') {
    if (idx.shape.some((s, k) => k !== d && s > x.shape[k])) {
      throw new RuntimeError(`Expected index ${fmtShape(idx.shape)} to be smaller than self ${fmtShape(x.shape)} apart from dimension ${d}`);
    }
    return;
  }
  if (src.dtype !== x.dtype) {
    throw new RuntimeError(
      `scatter(): Expected self.dtype to be equal to src.dtype (self is ${cName(x.dtype)}, src is ${cName(src.dtype)}; convert src with .to(self.dtype))`,
    );
  }
  if (src.ndim !== idx.ndim) throw new RuntimeError('Index tensor must have the same number of dimensions as src tensor');
  if (idx.numel() > 0 && idx.shape.some((s, k) => s > src.shape[k] || (k !== d && s > x.shape[k]))) {
    throw new RuntimeError(
      `Expected index ${fmtShape(idx.shape)} to be smaller than self ${fmtShape(x.shape)} apart from dimension ${d} and to be smaller size than src ${fmtShape(src.shape)}`,
    );
  }
}

/**
 * @internal The checked plan of a scatter: each index element's target (row-major position in
 * input), the src position it reads (null for a number src) and the value it sends (a number src
 * cast to input's dtype first, as PyTorch).
 */
export function scatterPlan(
  x: Tensor,
  d: number,
  idx: Tensor,
  src: Tensor | number,
  op: string,
): { flat: Int32Array; sp: Int32Array | null; sv: Float64Array } {
  checkScatterArgs(x, d, idx, src, op);
  const { flat } = scatterOffsets(x.shape, contiguousStrides(x.shape), 0, d, idx);
  if (typeof src === 'number') return { flat, sp: null, sv: new Float64Array(flat.length).fill(castValue(src, x.dtype, op)) };
  const sp = srcPositions(idx, src.shape);
  const sd = src.contiguousData();
  return { flat, sp, sv: Float64Array.from(sp, (p) => sd[p]) };
}

// ---- the reduction --------------------------------------------------------------------------------

/** How `scatterReduce` combines the values sent to one place. PyTorch: the `reduce` argument. */
export type ScatterReduction = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';
const REDUCTIONS: readonly string[] = ['sum', 'prod', 'mean', 'amax', 'amin'];

/**
 * self's values with src's folded in at the targets `flat`, in float64 (each step rounded to
 * float32 for float32 tensors, as PyTorch's CPU kernel accumulates in the tensor's type), and the
 * count of values at each place (for mean).
 */
function reduceInto(
  self: ArrayLike<number>,
  flat: Int32Array,
  sv: ArrayLike<number>,
  kind: ScatterReduction,
  includeSelf: boolean,
  round: (v: number) => number,
): { out: Float64Array; count: Float64Array } {
  const out = Float64Array.from(self);
  const count = new Float64Array(out.length).fill(1);
  if (!includeSelf) {
    const start = kind === 'prod' ? 1 : kind === 'amax' ? -Infinity : kind === 'amin' ? Infinity : 0;
    for (const f of flat) {
      out[f] = start;
      count[f] = 0;
    }
  }
  for (let i = 0; i < flat.length; i++) {
    const f = flat[i];
    const v = sv[i];
    const a = out[f];
    count[f] += 1;
    switch (kind) {
      case 'sum':
      case 'mean':
        out[f] = round(a + v);
        break;
      case 'prod':
        out[f] = round(a * v);
        break;
      // NaN wins either way, as PyTorch's kernel (std::max keeps a NaN self; a NaN src is taken).
      case 'amax':
        // biome-ignore lint/complexity/useMathMinMax: std::max's choice between equal values (-0, 0), as PyTorch
        out[f] = Number.isNaN(v) ? v : a < v ? v : a;
        break;
      case 'amin':
        // biome-ignore lint/complexity/useMathMinMax: std::min's choice between equal values (-0, 0), as PyTorch
        out[f] = Number.isNaN(v) ? v : v < a ? v : a;
        break;
    }
  }
  return { out, count };
}

/** Store float64 results as `dtype`: int32 wraps, int64 is range-checked, bool is nonzero. */
function storeAs(vals: Float64Array, dtype: Tensor['dtype'], what: string) {
  if (isFloat(dtype)) {
    const s = allocStorage(dtype, vals.length);
    s.set(vals);
    return s;
  }
  return dtype === 'int32' ? Int32Array.from(vals) : castStorage(vals, dtype, what);
}

/** The options of `scatterReduce`. PyTorch: the keyword argument `include_self`. */
export interface ScatterReduceOptions {
  /** Fold self's values in too (true, the default), or replace each place sent to by the reduction of src's values only. */
  includeSelf?: boolean;
}
/** The run-time check of these options (src/options.ts). */
const SCATTER_REDUCE_OPTIONS = defineOptions<ScatterReduceOptions>('torch.scatterReduce', { includeSelf: opt.bool });

/**
 * PyTorch: `torch.scatter_reduce(input, dim, index, src, reduce, *, include_self=True)`: a copy of
 * input where each src value is folded into out[index[i][j]][j] (dim 0) with `reduce`: 'sum',
 * 'prod', 'mean' (integer input: floor division, as PyTorch), 'amax', 'amin' (NaN propagates).
 * With `{ includeSelf: false }` input's own value at a place that receives src values is left out.
 * Shapes: input (*), index and src of input's ndim, index no larger than src and (off dim) than
 * input; out has input's shape. Gradients to input and src as PyTorch's (prod exact with zeros;
 * amax/amin share the gradient evenly among ties); not themselves differentiable.
 */
export function scatterReduce(x: Tensor, dim: number, idx: Tensor, src: Tensor, reduce: ScatterReduction, options?: ScatterReduceOptions): Tensor {
  checkTensor(x, 'scatter_reduce', 'input', 1);
  checkNumber(dim, 'scatter_reduce', 'dim', 2, true);
  checkTensor(idx, 'scatter_reduce', 'index', 3);
  checkTensor(src, 'scatter_reduce', 'src', 4);
  if (typeof reduce !== 'string' || !REDUCTIONS.includes(reduce)) {
    throw new RuntimeError(`reduce argument must be either sum, prod, mean, amax or amin. Got ${JSON.stringify(reduce)}.`);
  }
  const includeSelf = SCATTER_REDUCE_OPTIONS.parse(options).includeSelf ?? true;
  if (reduce === 'mean' && x.dtype === 'bool') throw new RuntimeError(`"scatter_gather_tensor_cpu_reduce_mean" not implemented for 'Bool'`);
  const { flat, sp, sv } = scatterPlan(x, normDim(dim, Math.max(x.ndim, 1)), idx, src, 'scatter');
  const xv = x.contiguousData();
  const round = x.dtype === 'float32' ? Math.fround : (v: number) => v;
  const { out, count } = reduceInto(xv, flat, sv, reduce, includeSelf, round);
  if (reduce === 'mean') {
    for (let f = 0; f < out.length; f++) {
      const n = count[f] === 0 ? 1 : count[f];
      out[f] = isFloat(x.dtype) ? round(out[f] / n) : Math.floor(out[f] / n);
    }
  }
  const y = new Tensor(storeAs(out, x.dtype, 'scatter_reduce'), x.shape, x.dtype);
  return record('ScatterReduceBackward0', [x, src], y, ([g]) => {
    const grads = scatterReduceGrads(g!, xv, sv, sp!, src, flat, out, count, reduce, includeSelf);
    return [grads.self, grads.src];
  }, [x, src, idx], 'raw');
}

/**
 * PyTorch's scatter_reduce_backward (torch/csrc/autograd/FunctionsManual.cpp), on flat arrays:
 * sum: g to self, g gathered to src; mean: both divided by the count at the place; prod: the
 * product of the others (a single zero among src's values gets the product without it, several
 * get 0); amax/amin: g split evenly among self and src values equal to the result. Without
 * includeSelf, self gets 0 at every place that received src values.
 */
function scatterReduceGrads(
  gt: Tensor,
  xv: ArrayLike<number>,
  sv: Float64Array,
  sp: Int32Array,
  src: Tensor,
  flat: Int32Array,
  result: Float64Array,
  count: Float64Array,
  kind: ScatterReduction,
  includeSelf: boolean,
): { self: Tensor; src: Tensor } {
  const g = Float64Array.from(gt.contiguousData());
  const gx = new Float64Array(g.length);
  const gs = new Float64Array(src.numel());
  const n = flat.length;
  if (kind === 'sum') {
    gx.set(g);
    for (let i = 0; i < n; i++) gs[sp[i]] = g[flat[i]];
  } else if (kind === 'mean') {
    for (let f = 0; f < g.length; f++) gx[f] = g[f] / (count[f] === 0 ? 1 : count[f]);
    for (let i = 0; i < n; i++) gs[sp[i]] = gx[flat[i]];
  } else if (kind === 'prod') {
    // self: g · (result with a zero self read as 1) / (self with 0 read as 1).
    const maskedSelf = Float64Array.from(xv, (v) => (v === 0 ? 1 : v));
    const mr = reduceInto(maskedSelf, flat, sv, 'prod', includeSelf, (v) => v).out;
    for (let f = 0; f < g.length; f++) gx[f] = (g[f] * mr[f]) / maskedSelf[f];
    // src: zeros counted per place; a single zero gets the product of the others.
    const zeros = new Float64Array(g.length);
    for (let i = 0; i < n; i++) if (sv[i] === 0) zeros[flat[i]] += 1;
    const single = Uint8Array.from(sv, (v, i) => (v === 0 && zeros[flat[i]] === 1 ? 1 : 0));
    const maskedSrc = Float64Array.from(sv, (v, i) => (single[i] ? 1 : v));
    const ms = reduceInto(xv, flat, maskedSrc, 'prod', includeSelf, (v) => v).out;
    for (let i = 0; i < n; i++) {
      const f = flat[i];
      gs[sp[i]] = single[i] ? g[f] * ms[f] : (g[f] * result[f]) / (sv[i] === 0 ? 1 : sv[i]);
    }
  } else {
    // amax / amin: split evenly among every value equal to the result (self counted even without includeSelf, as PyTorch).
    const share = Float64Array.from(xv, (v, f) => (v === result[f] ? 1 : 0));
    for (let i = 0; i < n; i++) if (sv[i] === result[flat[i]]) share[flat[i]] += 1;
    const dist = Float64Array.from(g, (v, f) => v / share[f]);
    for (let f = 0; f < g.length; f++) gx[f] = (xv[f] === result[f] ? 1 : 0) * dist[f];
    for (let i = 0; i < n; i++) gs[sp[i]] = (sv[i] === result[flat[i]] ? 1 : 0) * dist[flat[i]];
  }
  if (!includeSelf) for (const f of flat) gx[f] = 0;
  const dtype = gt.dtype;
  return { self: new Tensor(storeAs(gx, dtype, 'scatter_reduce'), gt.shape, dtype), src: new Tensor(storeAs(gs, dtype, 'scatter_reduce'), src.shape, dtype) };
}

/**
 * @internal `torch.scatter(input, dim, index, src, reduce='add' | 'multiply')`: as scatter, adding
 * or multiplying into input's values (a number src is cast to input's dtype first). PyTorch has
 * no derivative for this form: backward through it is PyTorch's error (use `scatterReduce`).
 */
export function scatterWithReduce(x: Tensor, d: number, idx: Tensor, src: Tensor | number, reduce: unknown): Tensor {
  checkOperand(src, 'scatter', 'src', 4);
  if (reduce !== 'add' && reduce !== 'multiply') {
    throw new RuntimeError(`reduce argument must be either add or multiply. Got ${JSON.stringify(reduce)}; for 'sum', 'prod', 'mean', 'amax' or 'amin' use torch.scatterReduce.`);
  }
  const { flat, sv } = scatterPlan(x, d, idx, src, 'scatter');
  const round = x.dtype === 'float32' ? Math.fround : (v: number) => v;
  const { out } = reduceInto(x.contiguousData(), flat, sv, reduce === 'add' ? 'sum' : 'prod', true, round);
  const y = new Tensor(storeAs(out, x.dtype, 'scatter'), x.shape, x.dtype);
  const inputs = typeof src === 'number' ? [x] : [x, src];
  return record('ScatterBackward1', inputs, y, () => {
    throw new RuntimeError(
      `derivative for aten::scatter is not implemented (scatter with reduce='${reduce}' has no gradient in PyTorch). Use torch.scatterReduce(input, dim, index, src, '${reduce === 'add' ? 'sum' : 'prod'}'), which has one.`,
    );
  }, [], 'raw');
}
