/**
 * In-place ops. PyTorch: `Tensor.add_`, `sub_`, `mul_`, `div_`, `pow_`, `clamp_`, `fill_`,
 * `zero_`, `uniform_`, `normal_`, `masked_fill_`, `scatter_`, `scatter_add_`, `scatter_reduce_`.
 *
 * Each one runs its out-of-place twin on the old value, checks that the result fits the tensor
 * (same shape, a dtype it can be cast to), and only then writes, so a refused op changes nothing.
 * The write goes through the tensor's strides, so on a view it lands in the base. Every write
 * counts in `_version` (a tensor autograd saved and that changed since makes backward fail with
 * PyTorch's error), and a leaf that requires grad (or a view of one) is refused outside `noGrad`.
 *
 * Autograd, as PyTorch: under grad mode, when the tensor or an operand requires grad, the op is
 * recorded and the tensor's `gradFn` becomes the op's node (its old history is the node's input).
 * On a view, the base's history is rewritten too (PyTorch's `CopySlices`): the gradient of the
 * base flows to the written values for the written region and to the old base elsewhere.
 * Other views of the same base, taken before the write, get a new history when autograd next
 * reads theirs (`gradFn`/`requiresGrad`, so as an op input or a backward root), as PyTorch's
 * view grad_fn regeneration: an `AsStridedBackward0` of the base's current history (see
 * `viewHistory`; tensor.ts compares the storage version with the one the view's history was set at).
 */

import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { GradNode, record } from '../autograd/node.js';
import { ArgumentTypeError, DTypeError, RuntimeError, ShapeError, typeName } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { checkNumber, checkOperand, checkTensor } from '../tensor/args.js';
import { allocStorage, canCast, castStorage, castValue, cName, isFloat } from '../tensor/dtype.js';
import { Generator, generatorOf } from '../tensor/random.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import { beginInplace, checkInplace, setViewHistory, Tensor } from '../tensor/tensor.js';
import type { AlphaOptions } from './elementwise.js';

export type { DivOptions } from './elementwise.js';
import { add, clamp, type DivOptions, div, divRounded, maskedFill, mul, pow, roundingModeOf, sub, where } from './elementwise.js';
import type { IndexSpec } from './indexing.js';
import { putOffsets, scatter, scatterAdd, type ScatterOptions } from './indexing.js';
import { type ScatterReduceOptions, type ScatterReduction, scatterReduce } from './scatter.js';
import { expand } from './shape.js';
import { clone, copyContiguous, forEachOffset, sumToShape, toDtype } from './util.js';

// ---- the machinery ----------------------------------------------------------------------------

/** PyTorch refuses writes into a tensor whose elements share memory (an expanded view). */
function checkNoOverlap(t: Tensor): void {
  if (t.shape.some((s, k) => s > 1 && t.strides[k] === 0)) {
    throw new RuntimeError(
      'unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.',
    );
  }
}

/** The result must have the tensor's shape (no growing by broadcast) and a dtype castable to it. */
function checkResult(t: Tensor, y: Tensor): void {
  if (!shapeEq(t.shape, y.shape)) {
    throw new ShapeError(`output with shape ${fmtShape(t.shape)} doesn't match the broadcast shape ${fmtShape(y.shape)}`);
  }
  if (!canCast(y.dtype, t.dtype)) {
    throw new DTypeError(
      `result type ${cName(y.dtype)} can't be cast to the desired output type ${cName(t.dtype)}. ` +
        `In-place ops keep the tensor's dtype; use the out-of-place op (t = t.div(2)) or convert first (t.float()).`,
    );
  }
}

/** Write y's values (already checked: same shape, castable dtype) into t's storage, through t's strides. */
function writeValues(t: Tensor, y: Tensor): void {
  const raw = y.contiguousData();
  const data = y.dtype === t.dtype ? raw : castStorage(raw, t.dtype, 'in-place write');
  if (t.isContiguous()) {
    t.storage.set(data, t.offset);
  } else {
    forEachOffset(t, (i, o) => {
      t.storage[o] = data[i];
    });
  }
}

/** Where each element of view t sits in its base's row-major order. */
function positionsInBase(t: Tensor, base: Tensor): Int32Array {
  const pos = new Int32Array(t.numel());
  if (base.isContiguous()) {
    forEachOffset(t, (i, o) => {
      pos[i] = o - base.offset;
    });
    return pos;
  }
  const at = new Map<number, number>();
  forEachOffset(base, (i, o) => {
    at.set(o, i);
  });
  forEachOffset(t, (i, o) => {
    pos[i] = at.get(o)!;
  });
  return pos;
}

/** x's entries at row-major positions `pos`, shaped `shape` (a copy; recorded: backward scatters). */
function gatherAt(x: Tensor, pos: Int32Array, shape: readonly number[]): Tensor {
  const src = x.contiguousData();
  const out = allocStorage(x.dtype, pos.length);
  for (let i = 0; i < pos.length; i++) out[i] = src[pos[i]];
  return record('AsStridedBackward0', [x], new Tensor(out, shape, x.dtype), ([g]) => [scatterAt(g!, pos, x.shape)], []);
}

/** Zeros of `shape` with g's entries added at row-major positions `pos` (recorded: backward gathers). */
function scatterAt(g: Tensor, pos: Int32Array, shape: readonly number[]): Tensor {
  const src = g.contiguousData();
  const z = Tensor.empty(shape, g.dtype);
  for (let i = 0; i < pos.length; i++) z.storage[pos[i]] += src[i];
  return record('AsStridedScatterBackward0', [g], z, ([gg]) => [gatherAt(gg!, pos, g.shape)], []);
}

/**
 * A view's new history after its base was written in place since the view's history was set:
 * PyTorch's regenerated view grad_fn, `AsStridedBackward0` of the base's current history (the
 * gradient scattered to the view's places in the base). Built even under noGrad, as PyTorch.
 */
function viewHistory(view: Tensor, base: Tensor): void {
  const pos = positionsInBase(view, base);
  const node = new GradNode('AsStridedBackward0', [base], ([g]) => [scatterAt(g!, pos, base.shape)], 1, []);
  view._setGradFn(node, 0);
}
setViewHistory(viewHistory);

/** How an in-place op relates to the old value. */
interface InplaceSpec {
  /** PyTorch's node name for a write that drops the old value (`FillBackward2`); its gradient to the old value is zero. */
  replaces?: string;
}

/**
 * @internal Run `fn` (the out-of-place op, from the old value) and write its result into `t` in
 * place, with PyTorch's checks, version bump and autograd (see the file comment). `operands` are
 * the other tensors `fn` reads (to know whether the op is tracked).
 */
export function applyInplace(t: Tensor, fn: (old: Tensor) => Tensor, operands: readonly unknown[] = [], spec: InplaceSpec = {}): Tensor {
  const tracked = isGradEnabled() && (t.requiresGrad || operands.some((o) => o instanceof Tensor && o.requiresGrad));
  checkInplace(t);
  checkNoOverlap(t);
  if (!tracked) {
    const y = noGrad(() => fn(t));
    checkResult(t, y);
    beginInplace(t);
    writeValues(t, y);
    return t;
  }
  const base = t._base;
  const pos = base === null ? null : positionsInBase(t, base);
  const baseOld = base === null ? null : base._historyAlias();
  // The old value, as a tensor of its own: the op's backward may read it after the write.
  const old = baseOld === null ? clone(t._historyAlias()) : gatherAt(baseOld, pos!, t.shape);
  let y = fn(old);
  checkResult(t, y);
  if (spec.replaces !== undefined) {
    const dropped = y;
    y = record(spec.replaces, [old, dropped], copyContiguous(dropped), ([g]) => [g!.zerosLike(), g!], []);
  }
  if (y.dtype !== t.dtype) y = toDtype(y, t.dtype);
  beginInplace(t);
  writeValues(t, y);
  if (base === null) {
    if (y.gradFn !== null) t._setGradFn(y.gradFn, y.outputIndex);
    return t;
  }
  // PyTorch's CopySlices: the base's new history; then the view is a view of it again.
  const inRegion = Tensor.empty(base.shape, 'bool');
  for (const p of pos!) inRegion.storage[p] = 1;
  const yy = y;
  record('CopySlices', [baseOld!, yy], base, ([g]) => [where(inRegion, 0, g!), gatherAt(g!, pos!, yy.shape)], []);
  record('AsStridedBackward0', [base], t, ([g]) => [scatterAt(g!, pos!, base.shape)], []);
  return t;
}

// ---- the ops ----------------------------------------------------------------------------------

/** PyTorch: `Tensor.add_(other, *, alpha=1)`: this += alpha · other (other broadcast to this shape). */
export function add_(t: Tensor, other: Tensor | number, options?: AlphaOptions): Tensor {
  checkTensor(t, 'add_', 'self', 0);
  checkOperand(other, 'add_', 'other', 1);
  return applyInplace(t, (old) => add(old, other, options), [other]);
}

/** PyTorch: `Tensor.sub_(other, *, alpha=1)`: this -= alpha · other. */
export function sub_(t: Tensor, other: Tensor | number, options?: AlphaOptions): Tensor {
  checkTensor(t, 'sub_', 'self', 0);
  checkOperand(other, 'sub_', 'other', 1);
  return applyInplace(t, (old) => sub(old, other, options), [other]);
}

/** PyTorch: `Tensor.mul_(other)`: this *= other. */
export function mul_(t: Tensor, other: Tensor | number): Tensor {
  checkTensor(t, 'mul_', 'self', 0);
  checkOperand(other, 'mul_', 'other', 1);
  return applyInplace(t, (old) => mul(old, other), [other]);
}

/**
 * PyTorch: `Tensor.div_(other, *, rounding_mode=None)`: this /= other; `{ roundingMode: 'trunc' }`
 * or `'floor'` rounds the quotient (then an integer tensor may be divided in place).
 */
export function div_(t: Tensor, other: Tensor | number, options?: DivOptions): Tensor {
  checkTensor(t, 'div_', 'self', 0);
  checkOperand(other, 'div_', 'other', 1);
  const mode = roundingModeOf(options, 'Tensor.div_');
  return applyInplace(t, (old) => (mode === null ? div(old, other) : divRounded(old, other, mode)), [other]);
}

/** PyTorch: `Tensor.pow_(exponent)`: this = this ** exponent. */
export function pow_(t: Tensor, exponent: Tensor | number): Tensor {
  checkTensor(t, 'pow_', 'self', 0);
  checkOperand(exponent, 'pow_', 'exponent', 1);
  return applyInplace(t, (old) => pow(old, exponent), [exponent]);
}

/** PyTorch: `Tensor.clamp_(min=None, max=None)` (alias `clip_`): clamp in place. */
export function clamp_(t: Tensor, min?: number | null, max?: number | null): Tensor {
  checkTensor(t, 'clamp_', 'self', 0);
  if (min !== undefined && min !== null) checkNumber(min, 'clamp_', 'min', 1);
  if (max !== undefined && max !== null) checkNumber(max, 'clamp_', 'max', 2);
  return applyInplace(t, (old) => clamp(old, min, max));
}

/**
 * PyTorch: `Tensor.fill_(value)`: every entry becomes `value` (a number, cast to this dtype, or a
 * 0-d tensor, whose gradient is the sum of this tensor's). On a view, only the view's entries:
 * `torch.noGrad(() => lstm.bias_ih_l0.index('20:40').fill_(1))`.
 */
export function fill_(t: Tensor, value: number | boolean | Tensor): Tensor {
  checkTensor(t, 'fill_', 'self', 0);
  if (value instanceof Tensor) {
    if (value.ndim !== 0) throw new RuntimeError(`fill_ only supports 0-dimension value tensor but got tensor with ${value.ndim} dimensions.`);
    return applyInplace(t, () => toDtype(expand(value, t.shape), t.dtype), [value], { replaces: 'FillBackward3' });
  }
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new ArgumentTypeError(`fill_(): argument 'value' (position 1) must be Number, not ${typeName(value)}`);
  }
  const v = Number(value);
  return applyInplace(t, () => filled(t, () => v), [], { replaces: 'FillBackward2' });
}

/** A fresh tensor of t's shape and dtype with values from `draw` (cast as a write would). */
function filled(t: Tensor, draw: () => number): Tensor {
  const n = t.numel();
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = draw();
  return new Tensor(castStorage(v, t.dtype, 'fill_'), t.shape, t.dtype);
}

/** PyTorch: `Tensor.zero_()`: every entry becomes 0. */
export function zero_(t: Tensor): Tensor {
  checkTensor(t, 'zero_', 'self', 0);
  return applyInplace(t, () => filled(t, () => 0), [], { replaces: 'ZeroBackward0' });
}

/** Options of the random in-place fills. PyTorch: `generator=`. */
export interface FillRandomOptions {
  /** A `torch.Generator` of its own stream; the default generator when left out. */
  generator?: Generator | null;
}
const FILL_RANDOM_OPTIONS = defineOptions<FillRandomOptions>('Tensor.uniform_', {
  generator: opt.nullable(opt.instance(() => Generator, 'torch.Generator')),
});

/** Split `(a, b, opts)` where the numbers may be left out: `uniform_({ generator })`. */
function numbersThenOptions(a: unknown, b: unknown, c: unknown, da: number, db: number): [number, number, FillRandomOptions | undefined] {
  if (a !== null && typeof a === 'object') return [da, db, a as FillRandomOptions];
  if (b !== null && typeof b === 'object') return [a as number, db, b as FillRandomOptions];
  return [(a as number | undefined) ?? da, (b as number | undefined) ?? db, c as FillRandomOptions | undefined];
}

/**
 * PyTorch: `Tensor.uniform_(from=0, to=1, *, generator=None)`: entries drawn uniformly from
 * [from, to). Float tensors only. `w.uniform_(-0.1, 0.1, { generator })`.
 */
export function uniform_(t: Tensor, from?: number | FillRandomOptions, to?: number | FillRandomOptions, options?: FillRandomOptions): Tensor {
  checkTensor(t, 'uniform_', 'self', 0);
  const [lo, hi, o0] = numbersThenOptions(from, to, options, 0, 1);
  checkNumber(lo, 'uniform_', 'from', 1);
  checkNumber(hi, 'uniform_', 'to', 2);
  const o = FILL_RANDOM_OPTIONS.parse(o0);
  if (!isFloat(t.dtype)) throw new DTypeError(`"check_uniform_bounds" not implemented for '${cName(t.dtype)}'`);
  if (lo > hi) throw new RuntimeError(`uniform_ expects to return a [from, to) range, but found from=${lo} > to=${hi}`);
  const g = generatorOf(o.generator);
  const draw = t.dtype === 'float32' ? () => lo + (hi - lo) * g.uniform24() : () => lo + (hi - lo) * g.uniform();
  return applyInplace(t, () => filled(t, draw), [], { replaces: 'UniformBackward0' });
}

/**
 * PyTorch: `Tensor.normal_(mean=0, std=1, *, generator=None)`: entries drawn from N(mean, std²).
 * Float tensors only.
 */
export function normal_(t: Tensor, mean?: number | FillRandomOptions, std?: number | FillRandomOptions, options?: FillRandomOptions): Tensor {
  checkTensor(t, 'normal_', 'self', 0);
  const [m, s, o0] = numbersThenOptions(mean, std, options, 0, 1);
  checkNumber(m, 'normal_', 'mean', 1);
  checkNumber(s, 'normal_', 'std', 2);
  const o = FILL_RANDOM_OPTIONS.parse(o0, 'Tensor.normal_');
  if (!isFloat(t.dtype)) throw new DTypeError(`"normal_kernel_cpu" not implemented for '${cName(t.dtype)}'`);
  if (!(s >= 0)) throw new RuntimeError(`normal expects std >= 0.0, but found std ${s}`);
  const g = generatorOf(o.generator);
  return applyInplace(t, () => filled(t, () => m + s * g.normal()), [], { replaces: 'NormalBackward0' });
}

/** PyTorch: `Tensor.masked_fill_(mask, value)`: `value` where the bool mask (broadcast to this shape) is true. */
export function maskedFill_(t: Tensor, mask: Tensor, value: number): Tensor {
  checkTensor(t, 'masked_fill_', 'self', 0);
  checkTensor(mask, 'masked_fill_', 'mask', 1);
  checkNumber(value, 'masked_fill_', 'value', 2);
  return applyInplace(t, (old) => maskedFill(old, mask, value), [mask]);
}

/**
 * PyTorch: `Tensor.scatter_(dim, index, src, *, reduce=None)`: self[index[i][j]][j] = src[i][j]
 * (dim 0), in place; `src` a tensor or a number. Gradients as `scatter`'s. `{ reduce: 'add' |
 * 'multiply' }` adds or multiplies instead (no gradient, as PyTorch).
 */
export function scatter_(t: Tensor, dim: number, index: Tensor, src: Tensor | number, options?: ScatterOptions): Tensor {
  checkTensor(t, 'scatter_', 'self', 0);
  checkTensor(index, 'scatter_', 'index', 2);
  checkOperand(src, 'scatter_', 'src', 3);
  return applyInplace(t, (old) => scatter(old, dim, index, src, options), [src]);
}

/** PyTorch: `Tensor.scatter_add_(dim, index, src)`: self[index[i][j]][j] += src[i][j] (dim 0), in place. */
export function scatterAdd_(t: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor(t, 'scatter_add_', 'self', 0);
  checkTensor(index, 'scatter_add_', 'index', 2);
  checkTensor(src, 'scatter_add_', 'src', 3);
  return applyInplace(t, (old) => scatterAdd(old, dim, index, src), [src]);
}

/** PyTorch: `Tensor.scatter_reduce_(dim, index, src, reduce, *, include_self=True)`: `scatterReduce` in place. */
export function scatterReduce_(t: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, options?: ScatterReduceOptions): Tensor {
  checkTensor(t, 'scatter_reduce_', 'self', 0);
  checkTensor(index, 'scatter_reduce_', 'index', 2);
  checkTensor(src, 'scatter_reduce_', 'src', 3);
  return applyInplace(t, (old) => scatterReduce(old, dim, index, src, reduce, options), [src]);
}

/** Options of `indexPut_`. PyTorch: `index_put_(indices, values, accumulate=False)`. */
export interface IndexPutOptions {
  /** Add into the indexed entries instead of overwriting (repeated indices then add up). */
  accumulate?: boolean;
}
const INDEX_PUT_OPTIONS = defineOptions<IndexPutOptions>('Tensor.indexPut_', { accumulate: opt.bool });

/** value as the flat values to write at `n` places of `shape`; PyTorch's error when it does not broadcast. */
function putValues(x: Tensor, value: Tensor | number, shape: readonly number[], n: number): ArrayLike<number> {
  if (typeof value === 'number') return new Float64Array(n).fill(castValue(value, x.dtype, 'index_put_'));
  let b: Tensor;
  try {
    b = noGrad(() => expand(value, shape));
  } catch {
    throw new ShapeError(
      `shape mismatch: value tensor of shape ${fmtShape(value.shape)} cannot be broadcast to indexing result of shape ${fmtShape(shape)}`,
    );
  }
  const raw = b.contiguousData();
  return b.dtype === x.dtype || isFloat(x.dtype) ? raw : castStorage(raw, x.dtype, 'index_put_');
}

/** x (contiguous, offset 0) with `value` put at specs, as a new tensor; recorded (IndexPutBackward0). */
function indexPutCopy(x: Tensor, specs: readonly IndexSpec[], value: Tensor | number, accumulate: boolean): Tensor {
  const { offs, shape } = putOffsets(x, specs);
  const vals = putValues(x, value, shape, offs.length);
  const y = copyContiguous(x);
  const st = y.storage;
  if (accumulate) for (let i = 0; i < offs.length; i++) st[offs[i]] += vals[i];
  else for (let i = 0; i < offs.length; i++) st[offs[i]] = vals[i];
  const inputs = value instanceof Tensor ? [x, value] : [x];
  return record(
    'IndexPutBackward0',
    inputs,
    y,
    ([g]) => {
      const gd = g!.contiguousData();
      let gx = g!;
      if (!accumulate) {
        const m = gd.slice();
        for (const o of offs) m[o] = 0;
        gx = new Tensor(m, x.shape, g!.dtype);
      }
      if (!(value instanceof Tensor)) return [gx];
      // Every write's gradient (repeated indices each get theirs), summed back to value's shape.
      const gv = allocStorage(g!.dtype, offs.length);
      for (let i = 0; i < offs.length; i++) gv[i] = gd[offs[i]];
      return [gx, sumToShape(new Tensor(gv, shape, g!.dtype), value.shape)];
    },
    [],
    'linear',
  );
}

/**
 * PyTorch: `Tensor.index_put_(indices, values, accumulate=False)` / `x[specs] = value`: writes
 * `value` (a number, or a tensor broadcast to the indexed shape) into x in place. `specs` holds
 * one entry per dim as for `index` (so a list index is nested: `indexPut_([[0, 2]], v)` writes
 * rows 0 and 2). Differentiable as PyTorch's: the gradient reaches `value` (each write its own
 * entry) and x's old value where it was not overwritten. Bumps x's version; a leaf that requires
 * grad may be written only under `noGrad`.
 */
export function indexPut_(x: Tensor, specs: readonly IndexSpec[], value: Tensor | number, options?: IndexPutOptions): Tensor {
  const o = INDEX_PUT_OPTIONS.parse(options);
  checkTensor(x, 'index_put_', 'self', 0);
  if (!Array.isArray(specs)) {
    throw new ArgumentTypeError(
      `index_put_(): argument 'indices' (position 1) must be tuple of Tensors, not ${typeName(specs)}. Hint: one entry per dim in an array: x.indexPut_([0], v) writes x[0].`,
    );
  }
  checkOperand(value, 'index_put_', 'values', 2);
  const accumulate = o.accumulate ?? false;
  const tracked = isGradEnabled() && (x.requiresGrad || (value instanceof Tensor && value.requiresGrad));
  if (tracked) return applyInplace(x, (old) => indexPutCopy(old, specs, value, accumulate), [value]);
  // Untracked: write the indexed entries only (no copy of x).
  const { offs, shape } = putOffsets(x, specs);
  const vals = putValues(x, value, shape, offs.length);
  beginInplace(x);
  const st = x.storage;
  if (accumulate) for (let i = 0; i < offs.length; i++) st[offs[i]] += vals[i];
  else for (let i = 0; i < offs.length; i++) st[offs[i]] = vals[i];
  return x;
}
