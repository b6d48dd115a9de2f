/**
 * Tensor methods for elementwise arithmetic, comparisons and masks, installed on
 * `Tensor.prototype` (see ./index.ts for why methods live on the ops side). Each forwards to the
 * function of the same name in ../elementwise.ts.
 */

import { checkOperand, checkTensor } from '../../tensor/args.js';
import { Tensor } from '../../tensor/tensor.js';
import {
  abs, add, clamp, div, eq, exp, ge, gt, isnan, le, log, logicalAnd, logicalNot, logicalOr, logicalXor, lt, maskedFill, maximum, minimum, mul, ne, neg, pow, relu, sigmoid, sqrt, sub, tanh, where,
} from '../elementwise.js';
import type { DivOptions } from '../elementwise.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `Tensor.add(other, alpha=1)`: this + alpha * other, broadcasting. */
    add(other: Tensor | number, options?: { alpha?: number }): Tensor;
    /** PyTorch: `Tensor.sub(other, alpha=1)`: this - alpha * other, broadcasting. */
    sub(other: Tensor | number, options?: { alpha?: number }): Tensor;
    /** PyTorch: `Tensor.mul(other)`: elementwise product, broadcasting. */
    mul(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.div(other, *, rounding_mode=None)`: true division, broadcasting; `{ roundingMode: 'floor' }` is `//`. */
    div(other: Tensor | number, options?: DivOptions): Tensor;
    /** PyTorch: `Tensor.pow(exponent)`: elementwise power, broadcasting. */
    pow(exponent: Tensor | number): Tensor;
    /** PyTorch: `Tensor.neg()`: -this. */
    neg(): Tensor;
    /** PyTorch: `Tensor.sqrt()`. */
    sqrt(): Tensor;
    /** PyTorch: `Tensor.exp()`. */
    exp(): Tensor;
    /** PyTorch: `Tensor.log()` (natural log). */
    log(): Tensor;
    /** PyTorch: `Tensor.abs()`. */
    abs(): Tensor;
    /** PyTorch: `Tensor.tanh()`. */
    tanh(): Tensor;
    /** PyTorch: `Tensor.sigmoid()`: 1 / (1 + exp(-x)). */
    sigmoid(): Tensor;
    /** PyTorch: `Tensor.relu()`: max(x, 0). */
    relu(): Tensor;
    /** PyTorch: `Tensor.clamp(min=None, max=None)`. */
    clamp(min?: number | null, max?: number | null): Tensor;
    /** PyTorch: `Tensor.maximum(other)`: elementwise max, broadcasting. */
    maximum(other: Tensor): Tensor;
    /** PyTorch: `Tensor.minimum(other)`: elementwise min, broadcasting. */
    minimum(other: Tensor): Tensor;
    /** PyTorch: `Tensor.gt(other)` (a bool result). */
    gt(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.lt(other)` (a bool result). */
    lt(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.ge(other)` (a bool result). */
    ge(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.le(other)` (a bool result). */
    le(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.eq(other)` (a bool result). */
    eq(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.ne(other)` (a bool result). */
    ne(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.isnan()`: a bool tensor, true where NaN. */
    isnan(): Tensor;
    /** PyTorch: `Tensor.logical_not()`: a bool tensor, true where zero (`~mask`). */
    logicalNot(): Tensor;
    /** PyTorch: `Tensor.logical_and(other)`: a bool tensor (`a & b` on masks). */
    logicalAnd(other: Tensor): Tensor;
    /** PyTorch: `Tensor.logical_or(other)`: a bool tensor (`a | b` on masks). */
    logicalOr(other: Tensor): Tensor;
    /** PyTorch: `Tensor.logical_xor(other)`: a bool tensor (`a ^ b` on masks). */
    logicalXor(other: Tensor): Tensor;
    /** PyTorch: `Tensor.masked_fill(mask, value)`: value where the bool mask is true. */
    maskedFill(mask: Tensor, value: number): Tensor;
    /** PyTorch: `Tensor.where(condition, y)`: this where the bool condition is true, else y. */
    where(condition: Tensor, other: Tensor | number): Tensor;
  }
}

const proto = Tensor.prototype;

proto.add = function (this: Tensor, other: Tensor | number, options?: { alpha?: number }): Tensor {
  checkOperand(other, 'add', 'other', 1);
  return add(this, other, options);
};
proto.sub = function (this: Tensor, other: Tensor | number, options?: { alpha?: number }): Tensor {
  checkOperand(other, 'sub', 'other', 1);
  return sub(this, other, options);
};
proto.mul = function (this: Tensor, other: Tensor | number): Tensor {
  checkOperand(other, 'mul', 'other', 1);
  return mul(this, other);
};
proto.div = function (this: Tensor, other: Tensor | number, options?: DivOptions): Tensor {
  checkOperand(other, 'div', 'other', 1);
  return div(this, other, options);
};
proto.pow = function (this: Tensor, exponent: Tensor | number): Tensor {
  checkOperand(exponent, 'pow', 'exponent', 1);
  return pow(this, exponent);
};
proto.neg = function (this: Tensor): Tensor {
  return neg(this);
};
proto.sqrt = function (this: Tensor): Tensor {
  return sqrt(this);
};
proto.exp = function (this: Tensor): Tensor {
  return exp(this);
};
proto.log = function (this: Tensor): Tensor {
  return log(this);
};
proto.abs = function (this: Tensor): Tensor {
  return abs(this);
};
proto.tanh = function (this: Tensor): Tensor {
  return tanh(this);
};
proto.sigmoid = function (this: Tensor): Tensor {
  return sigmoid(this);
};
proto.relu = function (this: Tensor): Tensor {
  return relu(this);
};
proto.clamp = function (this: Tensor, min?: number | null, max?: number | null): Tensor {
  return clamp(this, min, max);
};
proto.maximum = function (this: Tensor, other: Tensor): Tensor {
  checkTensor(other, 'maximum', 'other', 1);
  return maximum(this, other);
};
proto.minimum = function (this: Tensor, other: Tensor): Tensor {
  checkTensor(other, 'minimum', 'other', 1);
  return minimum(this, other);
};
proto.gt = function (this: Tensor, other: Tensor | number): Tensor {
  checkOperand(other, 'gt', 'other', 1);
  return gt(this, other);
};
proto.lt = function (this: Tensor, other: Tensor | number): Tensor {
  checkOperand(other, 'lt', 'other', 1);
  return lt(this, other);
};
proto.ge = function (this: Tensor, other: Tensor | number): Tensor {
  checkOperand(other, 'ge', 'other', 1);
  return ge(this, other);
};
proto.le = function (this: Tensor, other: Tensor | number): Tensor {
  checkOperand(other, 'le', 'other', 1);
  return le(this, other);
};
proto.eq = function (this: Tensor, other: Tensor | number): Tensor {
  checkOperand(other, 'eq', 'other', 1);
  return eq(this, other);
};
proto.ne = function (this: Tensor, other: Tensor | number): Tensor {
  checkOperand(other, 'ne', 'other', 1);
  return ne(this, other);
};
proto.isnan = function (this: Tensor): Tensor {
  return isnan(this);
};
proto.logicalNot = function (this: Tensor): Tensor {
  return logicalNot(this);
};
proto.logicalAnd = function (this: Tensor, other: Tensor): Tensor {
  return logicalAnd(this, other);
};
proto.logicalOr = function (this: Tensor, other: Tensor): Tensor {
  return logicalOr(this, other);
};
proto.logicalXor = function (this: Tensor, other: Tensor): Tensor {
  return logicalXor(this, other);
};
proto.maskedFill = function (this: Tensor, mask: Tensor, value: number): Tensor {
  return maskedFill(this, mask, value);
};
proto.where = function (this: Tensor, condition: Tensor, other: Tensor | number): Tensor {
  return where(condition, this, other);
};
