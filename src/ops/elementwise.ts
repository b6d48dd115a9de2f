/**
 * Elementwise ops, broadcasting like PyTorch. Each forward sits beside its backward.
 * PyTorch: `torch.add`, `torch.mul`, `torch.tanh`, ...
 */

import { record } from '../autograd/node.js';
import { DTypeError } from '../errors.js';
import { backend } from '../kernels/backend.js';
import type { BinaryOp, UnaryOp } from '../kernels/ref/elementwise.js';
import type { DType } from '../tensor/dtype.js';
import { allocStorage, isFloat, promote } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { Operand } from './util.js';
import { asTensor, sumToShape, toDtype } from './util.js';

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

// ---- binary arithmetic -----------------------------------------------------------------------

/** PyTorch: `torch.add(input, other, alpha=1)`: input + alpha * other. */
export function add(a: Operand, b: Operand, options?: { alpha?: number }): Tensor {
  const [ta, tb0] = operands(a, b);
  const tb = options?.alpha !== undefined && options.alpha !== 1 ? mul(tb0, options.alpha) : tb0;
  const y = binaryRaw('add', ta, tb, promote(ta.dtype, tb.dtype));
  return record('AddBackward0', [ta, tb], y, ([g]) => [sumToShape(g!, ta.shape), sumToShape(g!, tb.shape)]);
}

/** PyTorch: `torch.sub(input, other, alpha=1)`. */
export function sub(a: Operand, b: Operand, options?: { alpha?: number }): Tensor {
  const [ta, tb0] = operands(a, b);
  const tb = options?.alpha !== undefined && options.alpha !== 1 ? mul(tb0, options.alpha) : tb0;
  const y = binaryRaw('sub', ta, tb, promote(ta.dtype, tb.dtype));
  return record('SubBackward0', [ta, tb], y, ([g]) => [sumToShape(g!, ta.shape), sumToShape(neg(g!), tb.shape)]);
}

/** PyTorch: `torch.mul`. */
export function mul(a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b);
  const y = binaryRaw('mul', ta, tb, promote(ta.dtype, tb.dtype));
  return record('MulBackward0', [ta, tb], y, ([g]) => [
    ta.requiresGrad ? sumToShape(mul(g!, tb), ta.shape) : null,
    tb.requiresGrad ? sumToShape(mul(g!, ta), tb.shape) : null,
  ]);
}

/** PyTorch: `torch.div` (true division; int32 / int32 gives float32). */
export function div(a: Operand, b: Operand): Tensor {
  const [ta0, tb0] = operands(a, b);
  const [ta, tb] = [floatInput(ta0), floatInput(tb0)];
  const y = binaryRaw('div', ta, tb, promote(ta.dtype, tb.dtype));
  return record('DivBackward0', [ta, tb], y, ([g]) => [
    ta.requiresGrad ? sumToShape(div(g!, tb), ta.shape) : null,
    // d(a/b)/db = -a/b² = -y/b
    tb.requiresGrad ? sumToShape(neg(div(mul(g!, y), tb)), tb.shape) : null,
  ]);
}

/** PyTorch: `torch.pow(input, exponent)`, exponent a number or a tensor. */
export function pow(a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b);
  const y = binaryRaw('pow', ta, tb, promote(ta.dtype, tb.dtype));
  return record('PowBackward1', [ta, tb], y, ([g]) => [
    // d/da a^b = b * a^(b-1); PyTorch masks b == 0 to give 0 (not NaN) at a = 0.
    ta.requiresGrad ? sumToShape(where(eq(tb, 0), 0, mul(g!, mul(tb, pow(ta, sub(tb, 1))))), ta.shape) : null,
    // d/db a^b = a^b * log(a); PyTorch masks a == 0 & b >= 0 to 0.
    tb.requiresGrad ? sumToShape(where(eq(ta, 0), 0, mul(g!, mul(y, log(ta)))), tb.shape) : null,
  ]);
}

/** PyTorch: `torch.maximum` (NaN propagates; gradient split evenly on ties, as PyTorch). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return minMax('maximum', a, b, 'MaximumBackward0');
}

/** PyTorch: `torch.minimum`. */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return minMax('minimum', a, b, 'MinimumBackward0');
}

function minMax(op: 'maximum' | 'minimum', a: Tensor, b: Tensor, name: string): Tensor {
  const y = binaryRaw(op, a, b, promote(a.dtype, b.dtype));
  return record(name, [a, b], y, ([g]) => {
    const pick = op === 'maximum' ? gt : lt;
    const half = mul(eq(a, b), 0.5);
    const wa = add(pick(a, b), half);
    const wb = add(pick(b, a), half);
    return [sumToShape(mul(g!, wa), a.shape), sumToShape(mul(g!, wb), b.shape)];
  });
}

function operands(a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new DTypeError('expected at least one tensor operand, got two numbers', 'TypeError');
  }
  const ta = typeof a === 'number' ? asTensor(a, b as Tensor) : a;
  const tb = asTensor(b, ta);
  return [ta, tb];
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

/** PyTorch: `torch.relu` (gradient 0 at 0). */
export function relu(x: Tensor): Tensor {
  return record('ReluBackward0', [x], unaryRaw('relu', x), ([g]) => [mul(g!, gt(x, 0))]);
}

/**
 * PyTorch: `torch.clamp(input, min=None, max=None)`. NaN stays NaN; the gradient passes where
 * min <= x <= max.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new DTypeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  }
  const lo = min ?? Number.NEGATIVE_INFINITY;
  const hi = max ?? Number.POSITIVE_INFINITY;
  const out = allocStorage(x.dtype, x.numel());
  backend().clamp(x.contiguousData(), lo, hi, out);
  const y = new Tensor(out, x.shape, x.dtype);
  return record('ClampBackward1', [x], y, ([g]) => [mul(g!, mul(ge(x, lo), le(x, hi)))]);
}

// ---- selection -------------------------------------------------------------------------------

/** PyTorch: `torch.where(condition, input, other)`; the condition is nonzero = true. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(a, b);
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape), tb.shape);
  const dtype = promote(ta.dtype, tb.dtype);
  const out = allocStorage(dtype, numel(shape));
  const view = (t: Tensor) => ({ data: t.storage, strides: broadcastStrides(t.shape, t.strides, shape), offset: t.offset });
  backend().where(shape, view(cond), view(ta), view(tb), out);
  const y = new Tensor(out, shape, dtype);
  return record('WhereBackward0', [ta, tb], y, ([g]) => {
    const zero = g!.zerosLike();
    return [sumToShape(where(cond, g!, zero), ta.shape), sumToShape(where(cond, zero, g!), tb.shape)];
  });
}

/** PyTorch: `Tensor.masked_fill(mask, value)`; mask broadcasts to input (nonzero = fill). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  broadcastShapes(x.shape, mask.shape);
  const y = where(mask, asTensor(value, x), x);
  if (y.ndim !== x.ndim || y.shape.some((s, i) => s !== x.shape[i])) {
    throw new DTypeError(
      `masked_fill_ only supports boolean masks that broadcast to the input shape; mask ${mask.shape} vs input ${x.shape}`,
    );
  }
  return y;
}
