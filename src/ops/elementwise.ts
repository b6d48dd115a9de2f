/**
 * Elementwise ops, broadcasting like PyTorch. Each forward sits beside its backward.
 * PyTorch: `torch.add`, `torch.mul`, `torch.tanh`, ...
 */

import { record } from '../autograd/node.js';
import { ArgumentTypeError, DTypeError, RuntimeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { BinaryOp, StridedView, UnaryOp } from '../kernels/ref/elementwise.js';
import type { DType } from '../tensor/dtype.js';
import { allocStorage, isFloat, promote } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Operand } from './util.js';
import { defineOptions, opt } from '../options.js';
import { full } from './creation.js';
import { asTensor, cName, scalarLike, sumToShape, toDtype } from './util.js';

// ---- kernels called with broadcasting ----------------------------------------------------------

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, outDtype: DType): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  const out = allocStorage(outDtype, numel(shape));
  backend().binary(
    op,
    shape,
    { data: a.storage, strides: broadcastStrides(a.shape, a.strides, shape), offset: a.offset },
    { data: b.storage, strides: broadcastStrides(b.shape, b.strides, shape), offset: b.offset },
    out,
  );
  return new Tensor(out, shape, outDtype);
}

function unaryRaw(op: UnaryOp, x: Tensor, outDtype: DType = x.dtype): Tensor {
  const out = allocStorage(outDtype, x.numel());
  backend().unary(op, x.contiguousData(), out);
  return new Tensor(out, x.shape, outDtype);
}

/** Ops that only make sense on floats promote int32 input to float32, as PyTorch does. */
function floatInput(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : toDtype(x, 'float32');
}

/**
 * The result dtype of a binary op, as `torch.result_type` for these dtypes: floats beat ints;
 * within a category a tensor with dims beats a 0-d tensor (so float32 (3) + float64 () is float32).
 */
export function resultType(a: Tensor, b: Tensor): DType {
  if (a.dtype === b.dtype) return a.dtype;
  const fa = isFloat(a.dtype);
  if (fa !== isFloat(b.dtype)) return fa ? a.dtype : b.dtype;
  if (a.ndim === 0 && b.ndim > 0) return b.dtype;
  if (b.ndim === 0 && a.ndim > 0) return a.dtype;
  return promote(a.dtype, b.dtype);
}

// ---- binary arithmetic -----------------------------------------------------------------------

/** The `alpha` option of `add`/`sub` (src/options.ts). */
export interface AlphaOptions {
  /** Multiplier of `other`. Default 1. */
  alpha?: number;
}
export const ALPHA_OPTIONS = defineOptions<AlphaOptions>('torch.add', { alpha: opt.number });

/** PyTorch: `torch.add(input, other, alpha=1)`: input + alpha * other, broadcasting. */
export function add(a: Operand, b: Operand, options?: AlphaOptions): Tensor {
  options = ALPHA_OPTIONS.parse(options, 'torch.add');
  const [ta, tb0] = operands(a, b);
  const tb = options?.alpha !== undefined && options.alpha !== 1 ? mul(tb0, options.alpha) : tb0;
  const y = binaryRaw('add', ta, tb, resultType(ta, tb));
  return record('AddBackward0', [ta, tb], y, ([g]) => [sumToShape(g!, ta.shape), sumToShape(g!, tb.shape)]);
}

/** PyTorch: `torch.sub(input, other, alpha=1)`: input - alpha * other, broadcasting. */
export function sub(a: Operand, b: Operand, options?: AlphaOptions): Tensor {
  options = ALPHA_OPTIONS.parse(options, 'torch.sub');
  const [ta, tb0] = operands(a, b);
  const tb = options?.alpha !== undefined && options.alpha !== 1 ? mul(tb0, options.alpha) : tb0;
  const y = binaryRaw('sub', ta, tb, resultType(ta, tb));
  // PyTorch records `2 - x` as RsubBackward1.
  const name = typeof a === 'number' ? 'RsubBackward1' : 'SubBackward0';
  return record(name, [ta, tb], y, ([g]) => [sumToShape(g!, ta.shape), sumToShape(neg(g!), tb.shape)]);
}

/** PyTorch: `torch.mul(input, other)`, broadcasting. */
export function mul(a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b);
  const y = binaryRaw('mul', ta, tb, resultType(ta, tb));
  return record('MulBackward0', [ta, tb], y, ([g]) => [
    ta.requiresGrad ? sumToShape(mul(g!, tb), ta.shape) : null,
    tb.requiresGrad ? sumToShape(mul(g!, ta), tb.shape) : null,
  ]);
}

/** PyTorch: `torch.div(input, other)`: true division, broadcasting (int32 / int32 gives float32). */
export function div(a: Operand, b: Operand): Tensor {
  const [ta0, tb0] = operands(a, b);
  const [ta, tb] = [floatInput(ta0), floatInput(tb0)];
  const y = binaryRaw('div', ta, tb, resultType(ta, tb));
  // PyTorch computes `2 / x` as 2 * reciprocal(x), hence its node name.
  const name = typeof a === 'number' ? 'MulBackward0' : 'DivBackward0';
  return record(name, [ta, tb], y, ([g]) => [
    ta.requiresGrad ? sumToShape(div(g!, tb), ta.shape) : null,
    // d(a/b)/db = -a/b²
    tb.requiresGrad ? sumToShape(neg(div(mul(g!, ta), mul(tb, tb))), tb.shape) : null,
  ]);
}

/**
 * PyTorch: `torch.pow(input, exponent)`; either may be a number. `0 ** 0` is 1, and
 * `1 ** x`, `x ** 0` are 1 even for NaN, as C's pow.
 */
export function pow(a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b);
  const y = binaryRaw('pow', ta, tb, resultType(ta, tb));
  const name = typeof b === 'number' ? 'PowBackward0' : 'PowBackward1';
  return record(name, [ta, tb], y, ([g]) => [
    // d/da a^b = b * a^(b-1), set to 0 where b == 0 (PyTorch's mask; avoids 0 * inf at a = 0).
    ta.requiresGrad ? sumToShape(where(eq(tb, 0), 0, mul(g!, mul(tb, pow(ta, sub(tb, 1))))), ta.shape) : null,
    // d/db a^b = a^b * log(a), set to 0 where a == 0 and b >= 0 (PyTorch's mask).
    tb.requiresGrad ? sumToShape(where(mul(eq(ta, 0), ge(tb, 0)), 0, mul(g!, mul(y, log(ta)))), tb.shape) : null,
  ]);
}

/** PyTorch: `torch.maximum(input, other)`, broadcasting; NaN propagates; the gradient is split evenly on ties. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return minMax('maximum', a, b, 'MaximumBackward0');
}

/** PyTorch: `torch.minimum(input, other)`, as maximum. */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return minMax('minimum', a, b, 'MinimumBackward0');
}

function minMax(op: 'maximum' | 'minimum', a: Tensor, b: Tensor, name: string): Tensor {
  const y = binaryRaw(op, a, b, resultType(a, b));
  return record(name, [a, b], y, ([g]) => {
    const pick = op === 'maximum' ? gt : lt;
    const half = mul(eq(a, b), 0.5);
    const wa = add(pick(a, b), half);
    const wb = add(pick(b, a), half);
    return [sumToShape(mul(g!, wa), a.shape), sumToShape(mul(g!, wb), b.shape)];
  });
}

function operands(a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number') {
    if (typeof b === 'number') throw new ArgumentTypeError('expected at least one tensor operand, got two numbers');
    return [asTensor(a, b), b];
  }
  return [a, asTensor(b, a)];
}

// ---- comparisons (no gradient) ---------------------------------------------------------------
// PyTorch parity: comparisons return bool tensors in PyTorch; here they return int32 0/1
// tensors, which maskedFill, where and arithmetic accept the same way.

function compare(op: BinaryOp, a: Tensor, b: Operand): Tensor {
  return binaryRaw(op, a, asTensor(b, a), 'int32');
}
/** PyTorch: `torch.gt` (int32 0/1 result). */
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

/** PyTorch: `torch.neg`. */
export function neg(x: Tensor): Tensor {
  return record('NegBackward0', [x], unaryRaw('neg', x), ([g]) => [neg(g!)]);
}

/** PyTorch: `torch.exp`. */
export function exp(x0: Tensor): Tensor {
  const x = floatInput(x0);
  const y = unaryRaw('exp', x);
  return record('ExpBackward0', [x], y, ([g]) => [mul(g!, y)]);
}

/** PyTorch: `torch.log`. */
export function log(x0: Tensor): Tensor {
  const x = floatInput(x0);
  return record('LogBackward0', [x], unaryRaw('log', x), ([g]) => [div(g!, x)]);
}

/** PyTorch: `torch.sqrt`. */
export function sqrt(x0: Tensor): Tensor {
  const x = floatInput(x0);
  const y = unaryRaw('sqrt', x);
  return record('SqrtBackward0', [x], y, ([g]) => [div(g!, mul(y, 2))]);
}

/** PyTorch: `torch.abs` (gradient sign(x), 0 at 0). */
export function abs(x: Tensor): Tensor {
  return record('AbsBackward0', [x], unaryRaw('abs', x), ([g]) => [mul(g!, unaryRaw('sign', x))]);
}

/** PyTorch: `torch.tanh`. */
export function tanh(x0: Tensor): Tensor {
  const x = floatInput(x0);
  const y = unaryRaw('tanh', x);
  // d tanh = 1 - y²
  return record('TanhBackward0', [x], y, ([g]) => [mul(g!, sub(1, mul(y, y)))]);
}

/** PyTorch: `torch.sigmoid`. */
export function sigmoid(x0: Tensor): Tensor {
  const x = floatInput(x0);
  const y = unaryRaw('sigmoid', x);
  // d σ = y (1 - y)
  return record('SigmoidBackward0', [x], y, ([g]) => [mul(g!, mul(y, sub(1, y)))]);
}

/** PyTorch: `torch.relu`: max(x, 0); gradient 0 where the result is <= 0 (so 0 at x = 0; NaN passes). */
export function relu(x: Tensor): Tensor {
  const y = unaryRaw('relu', x);
  return record('ReluBackward0', [x], y, ([g]) => [where(le(y, 0), 0, g!)]);
}

/**
 * PyTorch: `torch.clamp(input, min=None, max=None)`: min(max(x, min), max), so max wins when
 * min > max. NaN stays NaN. The gradient passes where min <= x <= max (boundaries included).
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  }
  const lo = min ?? Number.NEGATIVE_INFINITY;
  const hi = max ?? Number.POSITIVE_INFINITY;
  // An int32 tensor clamped to a fractional bound becomes float32, as PyTorch's type promotion.
  const fractional = [min, max].some((v) => typeof v === 'number' && !Number.isInteger(v));
  const dtype = x.dtype === 'int32' && fractional ? 'float32' : x.dtype;
  const out = allocStorage(dtype, x.numel());
  backend().clamp(x.contiguousData(), lo, hi, out);
  const y = new Tensor(out, x.shape, dtype);
  return record('ClampBackward1', [x], y, ([g]) => [mul(g!, mul(ge(x, lo), le(x, hi)))]);
}

// ---- selection -------------------------------------------------------------------------------

/** View t's storage broadcast to `shape`, as the kernels read it. */
function broadcastView(t: Tensor, shape: readonly number[]): StridedView {
  return { data: t.storage, strides: broadcastStrides(t.shape, t.strides, shape), offset: t.offset };
}

/**
 * PyTorch: `torch.where(condition, input, other)`: input where condition, else other,
 * all three broadcast together. PyTorch parity: the condition is an int32 0/1 tensor (what
 * comparisons return here) instead of a bool tensor; float conditions are refused as in PyTorch.
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== 'int32') {
    throw new DTypeError(`where expected condition to be a boolean tensor, but got a tensor with dtype ${cName(cond.dtype)}`);
  }
  // Two numbers give float32, or int32 when both are integers (PyTorch: the default dtypes).
  const scalarDtype = Number.isInteger(a) && Number.isInteger(b) ? 'int32' : 'float32';
  const [ta, tb] =
    typeof a === 'number' && typeof b === 'number' ? [full([], a, { dtype: scalarDtype }), full([], b, { dtype: scalarDtype })] : operands(a, b);
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape), tb.shape);
  const dtype = resultType(ta, tb);
  const out = allocStorage(dtype, numel(shape));
  backend().where(shape, broadcastView(cond, shape), broadcastView(ta, shape), broadcastView(tb, shape), out);
  const y = new Tensor(out, shape, dtype);
  return record('WhereBackward0', [ta, tb], y, ([g]) => {
    const zero = g!.zerosLike();
    return [sumToShape(where(cond, g!, zero), ta.shape), sumToShape(where(cond, zero, g!), tb.shape)];
  });
}

/**
 * PyTorch: `Tensor.masked_fill(mask, value)`: `value` where mask is nonzero. Input and mask
 * broadcast together (the out-of-place op may grow the input, as PyTorch's).
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes(x.shape, mask.shape);
  const fill = scalarLike(value, x);
  const out = allocStorage(x.dtype, numel(shape));
  backend().where(shape, broadcastView(mask, shape), broadcastView(fill, shape), broadcastView(x, shape), out);
  const y = new Tensor(out, shape, x.dtype);
  return record('MaskedFillBackward0', [x], y, ([g]) => [sumToShape(where(ne(mask, 0), 0, g!), x.shape)]);
}
