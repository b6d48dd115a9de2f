/**
 * Elementwise ops, broadcasting like PyTorch. Each forward sits beside its backward.
 * PyTorch: `torch.add`, `torch.mul`, `torch.tanh`, ...
 */

import { noGrad } from '../autograd/grad-mode.js';
import { record, traceAttrs, traceOnly } from '../autograd/node.js';
import { ArgumentTypeError, DTypeError, RuntimeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { BinaryOp, StridedView, UnaryOp } from '../kernels/ref/elementwise.js';
import { forEachStrided } from '../kernels/ref/elementwise.js';
import type { DType } from '../tensor/dtype.js';
import { allocStorage, castStorage, castValue, computeStorage, isFloat, resultType as promoteOperands } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Operand } from './util.js';
import { defineOptions, opt } from '../options.js';
import { asTensor, cName, sumToShape, toDtype } from './util.js';
import { whereNonzero } from './indexing.js';
import { checkOperand, checkTensor } from '../tensor/args.js';

// ---- kernels called with broadcasting ----------------------------------------------------------

// int64 and bool results go through `computeStorage`: computed in a float64 scratch, then
// range-checked (int64) or normalised to 0/1 (bool: true + true is true), never wrapped.

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, outDtype: DType): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const out = computeStorage(
    outDtype,
    numel(shape),
    (o) =>
      backend().binary(
        op,
        shape,
        { data: a.storage, strides: broadcastStrides(a.shape, a.strides, shape), offset: a.offset },
        { data: b.storage, strides: broadcastStrides(b.shape, b.strides, shape), offset: b.offset },
        o,
      ),
    `torch.${op}`,
  );
  return new Tensor(out, shape, outDtype);
}

function unaryRaw(op: UnaryOp, x: Tensor, outDtype: DType = x.dtype): Tensor {
  const out = computeStorage(outDtype, x.numel(), (o) => backend().unary(op, x.contiguousData(), o), `torch.${op}`);
  return new Tensor(out, x.shape, outDtype);
}

/** Ops that only make sense on floats promote integer and bool input to float32, as PyTorch does. */
function floatInput(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : toDtype(x, 'float32');
}

/**
 * PyTorch: `torch.result_type(a, b)`: the dtype a binary op computes in. Tensors with dims beat
 * 0-d tensors, which beat numbers, unless the lower group has a higher category (bool < integer <
 * floating): float32 (3) + float64 () is float32, int32 (3) + float64 () is float64, bool (3) + 1
 * is int64. See `resultType` in `src/tensor/dtype.ts` for the whole rule.
 */
export function resultType(a: Operand, b: Operand): DType {
  return promoteOperands(a, b);
}

/** PyTorch refuses `-` and `sub` on bool tensors (with its hint to use logical ops). */
function refuseBoolSub(a: Tensor, b: Tensor): void {
  if (a.dtype === 'bool' && b.dtype === 'bool') {
    throw new DTypeError(
      'Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.',
    );
  }
  if (a.dtype === 'bool' || b.dtype === 'bool') {
    throw new DTypeError(
      'Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.',
    );
  }
}

// ---- binary arithmetic -----------------------------------------------------------------------

/** The `alpha` option of `add`/`sub` (src/options.ts). PyTorch: the `alpha=` keyword argument of `torch.add` / `torch.sub`. */
export interface AlphaOptions {
  /** Multiplier of `other`. Default 1. */
  alpha?: number;
}
/** @internal The run-time check of these options (src/options.ts). */
export const ALPHA_OPTIONS = defineOptions<AlphaOptions>('torch.add', { alpha: opt.number });

/** PyTorch: `torch.add(input, other, alpha=1)`: input + alpha * other, broadcasting. */
export function add(a: Operand, b: Operand, options?: AlphaOptions): Tensor {
  options = ALPHA_OPTIONS.parse(options, 'torch.add');
  const [ta, tb0] = operands(a, b, 'add');
  const tb = options?.alpha !== undefined && options.alpha !== 1 ? mul(tb0, options.alpha) : tb0;
  const y = binaryRaw('add', ta, tb, resultType(ta, tb));
  return record('AddBackward0', [ta, tb], y, ([g]) => [sumToShape(g!, ta.shape), sumToShape(g!, tb.shape)], []);
}

/** PyTorch: `torch.sub(input, other, alpha=1)`: input - alpha * other, broadcasting. */
export function sub(a: Operand, b: Operand, options?: AlphaOptions): Tensor {
  options = ALPHA_OPTIONS.parse(options, 'torch.sub');
  const [ta, tb0] = operands(a, b, 'sub');
  refuseBoolSub(ta, tb0);
  const tb = options?.alpha !== undefined && options.alpha !== 1 ? mul(tb0, options.alpha) : tb0;
  const y = binaryRaw('sub', ta, tb, resultType(ta, tb));
  // PyTorch records `2 - x` as RsubBackward1.
  const name = typeof a === 'number' ? 'RsubBackward1' : 'SubBackward0';
  return record(name, [ta, tb], y, ([g]) => [sumToShape(g!, ta.shape), sumToShape(neg(g!), tb.shape)], []);
}

/** PyTorch: `torch.mul(input, other)`, broadcasting. */
export function mul(a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b, 'mul');
  const y = binaryRaw('mul', ta, tb, resultType(ta, tb));
  return record('MulBackward0', [ta, tb], y, ([g]) => [
    ta.requiresGrad ? sumToShape(mul(g!, tb), ta.shape) : null,
    tb.requiresGrad ? sumToShape(mul(g!, ta), tb.shape) : null,
  ], [ta.requiresGrad ? tb : null, tb.requiresGrad ? ta : null]);
}

/** Options of `div`/`div_`. PyTorch: `rounding_mode=None | 'trunc' | 'floor'`. */
export interface DivOptions {
  /** Round the quotient toward zero (`'trunc'`) or down (`'floor'`, Python's `//`); null/undefined: true division. */
  roundingMode?: 'trunc' | 'floor' | null;
}
const DIV_OPTIONS = defineOptions<DivOptions>('torch.div', { roundingMode: opt.nullable(opt.any) });

/** @internal The checked rounding mode of `div`/`div_` options (null: true division). No PyTorch twin. */
export function roundingModeOf(options: DivOptions | undefined, where: string): 'trunc' | 'floor' | null {
  const mode = DIV_OPTIONS.parse(options, where).roundingMode ?? null;
  if (mode !== null && mode !== 'trunc' && mode !== 'floor') {
    throw new RuntimeError(`div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '${String(mode)}'`);
  }
  return mode;
}

/** @internal a / b rounded as `mode` says, in the promoted dtype (integers stay integers); zero gradient, as PyTorch's DivBackward2. */
export function divRounded(a: Tensor, b: Tensor | number, mode: 'trunc' | 'floor'): Tensor {
  const dtype = promoteOperands(a, b);
  const q = noGrad(() => div(toDtype(a.detach(), 'float64'), typeof b === 'number' ? b : toDtype(b.detach(), 'float64')));
  const v = q.contiguousData();
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    if (!isFloat(dtype) && !Number.isFinite(v[i])) throw new RuntimeError('ZeroDivisionError');
    out[i] = mode === 'trunc' ? Math.trunc(v[i]) : Math.floor(v[i]);
  }
  const y = new Tensor(castStorage(out, dtype, 'div'), q.shape, dtype);
  const inputs = typeof b === 'number' ? [a] : [a, b];
  const zeros = (x: Tensor) => new Tensor(allocStorage(x.dtype, x.numel()), x.shape, x.dtype);
  return record('DivBackward2', inputs, y, () => inputs.map((x) => (isFloat(x.dtype) ? zeros(x) : null)), []);
}

/**
 * PyTorch: `torch.div(input, other, *, rounding_mode=None)`: true division, broadcasting (int32 /
 * int32 gives float32); `{ roundingMode: 'floor' }` is Python's `//` and `'trunc'` C's, both in the
 * promoted dtype (integers stay integers) with a zero gradient, as PyTorch.
 */
export function div(a: Operand, b: Operand, options?: DivOptions): Tensor {
  const [ta0, tb0] = operands(a, b, 'div');
  if (options !== undefined) {
    const mode = roundingModeOf(options, 'torch.div');
    if (mode !== null) return divRounded(ta0, typeof b === 'number' ? b : tb0, mode);
  }
  const [ta, tb] = [floatInput(ta0), floatInput(tb0)];
  const y = binaryRaw('div', ta, tb, resultType(ta, tb));
  // PyTorch computes `2 / x` as 2 * reciprocal(x), hence its node name.
  const name = typeof a === 'number' ? 'MulBackward0' : 'DivBackward0';
  return record(name, [ta, tb], y, ([g]) => [
    ta.requiresGrad ? sumToShape(div(g!, tb), ta.shape) : null,
    // d(a/b)/db = -a/b²
    tb.requiresGrad ? sumToShape(neg(div(mul(g!, ta), mul(tb, tb))), tb.shape) : null,
  ], [tb, tb.requiresGrad ? ta : null]);
}

/**
 * PyTorch: `torch.pow(input, exponent)`; either may be a number. `0 ** 0` is 1, and
 * `1 ** x`, `x ** 0` are 1 even for NaN, as C's pow.
 */
export function pow(a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b, 'pow');
  if (ta.dtype === 'bool' && tb.dtype === 'bool') throw new DTypeError(`"pow" not implemented for 'Bool'`);
  if (!isFloat(resultType(ta, tb)) && (typeof b === 'number' ? b < 0 : tb.contiguousData().some((v) => v < 0))) {
    throw new RuntimeError('Integers to negative integer powers are not allowed.');
  }
  const y = binaryRaw('pow', ta, tb, resultType(ta, tb));
  const name = typeof b === 'number' ? 'PowBackward0' : 'PowBackward1';
  return record(name, [ta, tb], y, ([g]) => [
    // d/da a^b = b * a^(b-1), set to 0 where b == 0 (PyTorch's mask; avoids 0 * inf at a = 0).
    ta.requiresGrad ? sumToShape(where(eq(tb, 0), 0, mul(g!, mul(tb, pow(ta, sub(tb, 1))))), ta.shape) : null,
    // d/db a^b = a^b * log(a), set to 0 where a == 0 and b >= 0 (PyTorch's mask).
    tb.requiresGrad ? sumToShape(where(mul(eq(ta, 0), ge(tb, 0)), 0, mul(g!, mul(y, log(ta)))), tb.shape) : null,
  ], [ta, tb, tb.requiresGrad ? y : null]);
}

/** PyTorch: `torch.maximum(input, other)`, broadcasting; NaN propagates; the gradient is split evenly on ties. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'maximum', 'input', 1);
  checkTensor(b, 'maximum', 'other', 2);
  return minMax('maximum', a, b, 'MaximumBackward0');
}

/** PyTorch: `torch.minimum(input, other)`, as maximum. */
export function minimum(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'minimum', 'input', 1);
  checkTensor(b, 'minimum', 'other', 2);
  return minMax('minimum', a, b, 'MinimumBackward0');
}

function minMax(op: 'maximum' | 'minimum', a: Tensor, b: Tensor, name: string): Tensor {
  const y = binaryRaw(op, a, b, resultType(a, b));
  return record(name, [a, b], y, ([g]) => {
    // PyTorch: ties split the gradient in half, the loser gets 0, and where a NaN made the result
    // both comparisons are false, so both operands get the whole gradient.
    const loses = op === 'maximum' ? lt : gt;
    const tie = eq(a, b);
    const wa = where(loses(a, b), 0, where(tie, 0.5, 1));
    const wb = where(loses(b, a), 0, where(tie, 0.5, 1));
    return [sumToShape(mul(g!, wa), a.shape), sumToShape(mul(g!, wb), b.shape)];
  }, [a, b]);
}

/** Both operands as tensors: a number becomes a 0-d tensor of `result_type(tensor, number)`. */
function operands(a: Operand, b: Operand, fn: string): [Tensor, Tensor] {
  checkOperand(a, fn, 'input', 1);
  checkOperand(b, fn, 'other', 2);
  if (typeof a === 'number') {
    if (typeof b === 'number') throw new ArgumentTypeError('expected at least one tensor operand, got two numbers');
    return [asTensor(a, b), b];
  }
  return [a, asTensor(b, a)];
}

// ---- comparisons (no gradient) ---------------------------------------------------------------
// As PyTorch: the operands are compared after type promotion and the result is a bool tensor
// (what where, maskedFill and indexing masks take).

function compare(op: BinaryOp, a: Tensor, b: Operand): Tensor {
  checkOperand(a, op, 'input', 1);
  checkOperand(b, op, 'other', 2);
  if (typeof a === 'number') throw new ArgumentTypeError(`${op}(): argument 'input' (position 1) must be Tensor, not number`);
  const shape = broadcastShapes(a.shape, typeof b === 'number' ? [] : b.shape);
  const tb = asTensor(b, a);
  // The kernel writes 0/1, which a bool storage holds as it is.
  const out = allocStorage('bool', numel(shape));
  backend().binary(
    op,
    shape,
    { data: a.storage, strides: broadcastStrides(a.shape, a.strides, shape), offset: a.offset },
    { data: tb.storage, strides: broadcastStrides(tb.shape, tb.strides, shape), offset: tb.offset },
    out,
  );
  return traceOnly(op, [a, tb], new Tensor(out, shape, 'bool'));
}
/** PyTorch: `torch.gt` (a bool result). */
export const gt = (a: Tensor, b: Operand): Tensor => compare('gt', a, b);
/** PyTorch: `torch.lt`. */
export const lt = (a: Tensor, b: Operand): Tensor => compare('lt', a, b);
/** PyTorch: `torch.ge`. */
export const ge = (a: Tensor, b: Operand): Tensor => compare('ge', a, b);
/** PyTorch: `torch.le`. */
export const le = (a: Tensor, b: Operand): Tensor => compare('le', a, b);
/** PyTorch: `torch.eq`. */
export const eq = (a: Tensor, b: Operand): Tensor => compare('eq', a, b);
/** PyTorch: `torch.ne`. */
export const ne = (a: Tensor, b: Operand): Tensor => compare('ne', a, b);

// ---- unary -----------------------------------------------------------------------------------

/**
 * PyTorch: `torch.isnan(input)`: a bool tensor, true where the value is NaN (never for integer
 * and bool tensors).
 */
export function isnan(x: Tensor): Tensor {
  checkTensor(x, 'isnan', 'input', 1);
  const src = x.contiguousData();
  const out = new Uint8Array(src.length);
  if (isFloat(x.dtype)) for (let i = 0; i < src.length; i++) out[i] = Number.isNaN(src[i]) ? 1 : 0;
  return traceOnly('isnan', [x], new Tensor(out, x.shape, 'bool'));
}

/** PyTorch: `torch.logical_not(input)`: a bool tensor, true where the value is zero (PyTorch's `~mask` on bool). */
export function logicalNot(x: Tensor): Tensor {
  checkTensor(x, 'logical_not', 'input', 1);
  const src = x.contiguousData();
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] === 0 ? 1 : 0;
  return traceOnly('logical_not', [x], new Tensor(out, x.shape, 'bool'));
}

function logical(fn: string, a: Tensor, b: Tensor, f: (p: boolean, q: boolean) => boolean): Tensor {
  checkTensor(a, fn, 'input', 1);
  checkTensor(b, fn, 'other', 2);
  const shape = broadcastShapes(a.shape, b.shape);
  const out = new Uint8Array(numel(shape));
  const av = broadcastView(a, shape);
  const bv = broadcastView(b, shape);
  forEachStrided(shape, [av, bv], (i, oa, ob) => {
    out[i] = f(av.data[oa] !== 0, bv.data[ob] !== 0) ? 1 : 0;
  });
  return traceOnly(fn, [a, b], new Tensor(out, shape, 'bool'));
}
/** PyTorch: `torch.logical_and(input, other)`: a bool tensor (nonzero is true), broadcasting (PyTorch's `a & b` on bool). */
export const logicalAnd = (a: Tensor, b: Tensor): Tensor => logical('logical_and', a, b, (p, q) => p && q);
/** PyTorch: `torch.logical_or(input, other)`: a bool tensor, broadcasting (PyTorch's `a | b` on bool). */
export const logicalOr = (a: Tensor, b: Tensor): Tensor => logical('logical_or', a, b, (p, q) => p || q);
/** PyTorch: `torch.logical_xor(input, other)`: a bool tensor, broadcasting (PyTorch's `a ^ b` on bool). */
export const logicalXor = (a: Tensor, b: Tensor): Tensor => logical('logical_xor', a, b, (p, q) => p !== q);

/** PyTorch: `torch.neg`. */
export function neg(x: Tensor): Tensor {
  checkTensor(x, 'neg', 'input', 1);
  if (x.dtype === 'bool') {
    throw new DTypeError(
      'Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.',
    );
  }
  return record('NegBackward0', [x], unaryRaw('neg', x), ([g]) => [neg(g!)], []);
}

/** PyTorch: `torch.exp`. */
export function exp(x0: Tensor): Tensor {
  checkTensor(x0, 'exp', 'input', 1);
  const x = floatInput(x0);
  const y = unaryRaw('exp', x);
  return record('ExpBackward0', [x], y, ([g]) => [mul(g!, y)], [y]);
}

/** PyTorch: `torch.log`. */
export function log(x0: Tensor): Tensor {
  checkTensor(x0, 'log', 'input', 1);
  const x = floatInput(x0);
  return record('LogBackward0', [x], unaryRaw('log', x), ([g]) => [div(g!, x)], [x]);
}

/** PyTorch: `torch.sqrt`. */
export function sqrt(x0: Tensor): Tensor {
  checkTensor(x0, 'sqrt', 'input', 1);
  const x = floatInput(x0);
  const y = unaryRaw('sqrt', x);
  return record('SqrtBackward0', [x], y, ([g]) => [div(g!, mul(y, 2))], [y]);
}

/** PyTorch: `torch.abs` (gradient sign(x), 0 at 0). */
export function abs(x: Tensor): Tensor {
  checkTensor(x, 'abs', 'input', 1);
  if (x.dtype === 'bool') throw new DTypeError(`"abs_cpu" not implemented for 'Bool'`);
  return record('AbsBackward0', [x], unaryRaw('abs', x), ([g]) => [mul(g!, unaryRaw('sign', x))], [x]);
}

/** PyTorch: `torch.tanh`. */
export function tanh(x0: Tensor): Tensor {
  checkTensor(x0, 'tanh', 'input', 1);
  const x = floatInput(x0);
  const y = unaryRaw('tanh', x);
  // d tanh = 1 - y²
  return record('TanhBackward0', [x], y, ([g]) => [mul(g!, sub(1, mul(y, y)))], [y]);
}

/** PyTorch: `torch.sigmoid`. */
export function sigmoid(x0: Tensor): Tensor {
  checkTensor(x0, 'sigmoid', 'input', 1);
  const x = floatInput(x0);
  const y = unaryRaw('sigmoid', x);
  // d σ = y (1 - y)
  return record('SigmoidBackward0', [x], y, ([g]) => [mul(g!, mul(y, sub(1, y)))], [y]);
}

/** PyTorch: `torch.relu`: max(x, 0); gradient 0 where the result is <= 0 (so 0 at x = 0; NaN passes). */
export function relu(x: Tensor): Tensor {
  checkTensor(x, 'relu', 'input', 1);
  if (x.dtype === 'bool') throw new DTypeError('Boolean inputs not supported for relu');
  const y = unaryRaw('relu', x);
  return record('ReluBackward0', [x], y, ([g]) => [where(le(y, 0), 0, g!)], [y]);
}

/**
 * PyTorch: `torch.clamp(input, min=None, max=None)` (also `torch.clip`): min(max(x, min), max),
 * so max wins when min > max. NaN stays NaN. Bounds are numbers or tensors (broadcast with the
 * input; a NaN bound gives NaN, as PyTorch). The gradient passes to x where min <= x <= max
 * (boundaries included); a tensor bound gets it where it clamps (PyTorch's rule).
 */
export function clamp(x: Tensor, min?: Tensor | number | null, max?: Tensor | number | null): Tensor {
  checkTensor(x, 'clamp', 'input', 1);
  if (min !== undefined && min !== null) checkOperand(min, 'clamp', 'min', 2);
  if (max !== undefined && max !== null) checkOperand(max, 'clamp', 'max', 3);
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  }
  if (min instanceof Tensor || max instanceof Tensor) return clampTensor(x, min ?? null, max ?? null);
  const lo = min ?? Number.NEGATIVE_INFINITY;
  const hi = max ?? Number.POSITIVE_INFINITY;
  // PyTorch's type promotion over the input and the given bounds: an int32 tensor clamped to a
  // fractional bound becomes float32, a bool tensor clamped to integers becomes int64.
  const dtype = promoteOperands(x, ...[min, max].filter((v): v is number => typeof v === 'number'));
  const out = computeStorage(dtype, x.numel(), (o) => backend().clamp(x.contiguousData(), lo, hi, o), 'torch.clamp');
  const y = new Tensor(out, x.shape, dtype);
  return traceAttrs(record('ClampBackward1', [x], y, ([g]) => [mul(g!, mul(ge(x, lo), le(x, hi)))], [x]), { min: lo, max: hi });
}

/** clamp with tensor bounds (a number bound beside a tensor one is taken as a 0-d tensor). */
function clampTensor(x: Tensor, min: Tensor | number | null, max: Tensor | number | null): Tensor {
  const lo = min === null ? null : asTensor(min, x);
  const hi = max === null ? null : asTensor(max, x);
  const bounds = [lo, hi].filter((t): t is Tensor => t !== null);
  const dtype = promoteOperands(x, ...bounds);
  let shape = [...x.shape];
  for (const t of bounds) shape = broadcastShapes(shape, t.shape);
  const views = [x, ...bounds].map((t) => broadcastView(t, shape));
  const vals = new Float64Array(numel(shape));
  forEachStrided(shape, views, (i, ox, o1, o2) => {
    const v = x.storage[ox];
    const a = lo ? lo.storage[o1!] : Number.NEGATIVE_INFINITY;
    const b = hi ? hi.storage[lo ? o2! : o1!] : Number.POSITIVE_INFINITY;
    vals[i] = Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : Math.min(Math.max(v, a), b);
  });
  const out = computeStorage(dtype, vals.length, (o) => o.set(vals), 'torch.clamp');
  const y = new Tensor(out, shape, dtype);
  const inputs = [x, ...bounds];
  return record('ClampBackward0', inputs, y, ([g]) => {
    const zero = 0;
    const keepX = lo && hi ? logicalAnd(ge(x, lo), le(x, hi)) : lo ? ge(x, lo) : le(x, hi!);
    const grads: (Tensor | null)[] = [sumToShape(where(keepX, g!, zero), x.shape)];
    if (lo) {
      const pick = hi ? logicalAnd(lt(x, lo), lt(lo, hi)) : lt(x, lo);
      grads.push(lo.requiresGrad ? sumToShape(where(pick, g!, zero), lo.shape) : null);
    }
    if (hi) {
      const pick = lo ? logicalOr(gt(x, hi), lt(hi, lo)) : gt(x, hi);
      grads.push(hi.requiresGrad ? sumToShape(where(pick, g!, zero), hi.shape) : null);
    }
    return grads;
  }, inputs);
}

// ---- selection -------------------------------------------------------------------------------

/** View t's storage broadcast to `shape`, as the kernels read it. */
function broadcastView(t: Tensor, shape: readonly number[]): StridedView {
  return { data: t.storage, strides: broadcastStrides(t.shape, t.strides, shape), offset: t.offset };
}

/**
 * PyTorch: `torch.where(condition, input, other)`: input where condition, else other, all three
 * broadcast together; input and other promote as `torch.result_type` (two integers give int64,
 * a fractional number float32). The condition is a bool tensor (what comparisons return), as
 * PyTorch requires. With the condition alone, `torch.where(condition)`: the coordinates of its
 * nonzero entries, one 1-D int64 tensor per dim (`nonzero(condition, { asTuple: true })`).
 */
export function where(cond: Tensor): Tensor[];
export function where(cond: Tensor, a: Operand, b: Operand): Tensor;
export function where(cond: Tensor, a?: Operand, b?: Operand): Tensor | Tensor[] {
  if (a === undefined && b === undefined) return whereNonzero(cond);
  checkTensor(cond, 'where', 'condition', 1);
  checkOperand(a, 'where', 'input', 2);
  checkOperand(b, 'where', 'other', 3);
  if (cond.dtype !== 'bool') {
    throw new DTypeError(
      `where expected condition to be a boolean tensor, but got a tensor with dtype ${cName(cond.dtype)}. Make a bool mask with a comparison (x.gt(0)) or cond.bool().`,
    );
  }
  const dtype = resultType(a, b);
  const wrap = (v: Operand): Tensor => (typeof v === 'number' ? scalarOf(v, dtype) : v);
  const [ta, tb] = [wrap(a), wrap(b)];
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape), tb.shape);
  const out = allocStorage(dtype, numel(shape));
  // Values of ta and tb are already representable in dtype (a promotion never narrows), so a copy is exact.
  backend().where(shape, broadcastView(cond, shape), broadcastView(ta, shape), broadcastView(tb, shape), out);
  const y = new Tensor(out, shape, dtype);
  const r = record('WhereBackward0', [ta, tb], y, ([g]) => {
    const zero = g!.zerosLike();
    return [sumToShape(where(cond, g!, zero), ta.shape), sumToShape(where(cond, zero, g!), tb.shape)];
  }, [cond]);
  return traceAttrs(r, { mask: cond });
}

/**
 * PyTorch: `Tensor.masked_fill(mask, value)`: `value` where mask is nonzero. Input and mask
 * broadcast together (the out-of-place op may grow the input, as PyTorch's).
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkTensor(x, 'masked_fill', 'input', 1);
  if (mask.dtype !== 'bool') {
    throw new DTypeError(
      `masked_fill_ only supports boolean masks, but got mask with dtype ${cName(mask.dtype)}. Make the mask with a comparison (x.eq(0)) or mask.bool().`,
    );
  }
  const shape = broadcastShapes(x.shape, mask.shape);
  // The value is cast to the tensor's dtype, as PyTorch's fill (2.7 into an int tensor is 2).
  const fill = scalarOf(value, x.dtype);
  const out = allocStorage(x.dtype, numel(shape));
  backend().where(shape, broadcastView(mask, shape), broadcastView(fill, shape), broadcastView(x, shape), out);
  const y = new Tensor(out, shape, x.dtype);
  return traceAttrs(record('MaskedFillBackward0', [x], y, ([g]) => [sumToShape(where(mask, 0, g!), x.shape)], [mask]), { mask, value: fill });
}

/** A 0-d tensor holding v cast to dtype. */
function scalarOf(v: number, dtype: DType): Tensor {
  const s = allocStorage(dtype, 1);
  s[0] = castValue(v, dtype, 'scalar operand');
  return new Tensor(s, [], dtype);
}
