/**
 * Argument checks at the public boundary, for callers without types (plain JavaScript, `tsx`).
 * PyTorch's argument parser wording: `mul(): argument 'other' (position 1) must be Tensor, not
 * string`. Numbers are taken exactly where PyTorch takes a Python scalar; arrays are never taken
 * for tensors (the hint says `torch.tensor([...])`).
 */

import { ArgumentTypeError, typeName } from '../errors.js';
import { Tensor } from './tensor.js';

/** What a wrong value is, plus the hint a beginner needs for the usual mix-ups. */
function describe(v: unknown, wantScalar: boolean): string {
  const t = typeName(v);
  if (Array.isArray(v)) return `${t}. Hint: wrap numbers in a tensor first: torch.tensor([...])`;
  if (typeof v === 'string' && wantScalar && v.trim() !== '' && !Number.isNaN(Number(v))) {
    return `${t} ('${v}'). Hint: pass the number ${Number(v)}, not a string`;
  }
  return t;
}

/**
 * Throw PyTorch's TypeError unless `v` is a Tensor. `fn` is the op's PyTorch name (`mse_loss`,
 * `forward`); `position` counts from 1 as PyTorch's message does: `torch.mul(input, other)` has
 * input at 1 and other at 2, a method's `t.mul(other)` has other at 1.
 */
export function checkTensor(v: unknown, fn: string, arg: string, position: number): asserts v is Tensor {
  if (!(v instanceof Tensor)) {
    throw new ArgumentTypeError(`${fn}(): argument '${arg}' (position ${position}) must be Tensor, not ${describe(v, false)}`);
  }
}

/** Like `checkTensor`, but null (and undefined, a left-out optional) pass: PyTorch's `Optional[Tensor]`. */
export function checkOptionalTensor(v: unknown, fn: string, arg: string, position: number): asserts v is Tensor | null | undefined {
  if (v !== null && v !== undefined) checkTensor(v, fn, arg, position);
}

/** A Tensor or a number (PyTorch: a Python scalar operand, `t.mul(2)`); nothing else. */
export function checkOperand(v: unknown, fn: string, arg: string, position: number): asserts v is Tensor | number {
  if (!(v instanceof Tensor) && typeof v !== 'number') {
    throw new ArgumentTypeError(`${fn}(): argument '${arg}' (position ${position}) must be Tensor, not ${describe(v, true)}`);
  }
}

/** A number where PyTorch takes a Python scalar (`clamp(min)`, `masked_fill(value)`). */
export function checkNumber(v: unknown, fn: string, arg: string, position: number, integer = false): asserts v is number {
  if (typeof v !== 'number' || (integer && !Number.isInteger(v))) {
    const want = integer ? 'int' : 'Number';
    throw new ArgumentTypeError(`${fn}(): argument '${arg}' (position ${position}) must be ${want}, not ${describe(v, true)}`);
  }
}

/**
 * A list of tensors (PyTorch's `tuple of Tensors`): `cat(a, b)` gets "cat(): argument 'tensors'
 * must be tuple of Tensors, not Tensor" with the fix.
 */
export function checkTensorList(v: unknown, fn: string, arg = 'tensors'): asserts v is readonly Tensor[] {
  if (!Array.isArray(v)) {
    const hint = v instanceof Tensor ? `. Hint: pass the tensors in an array: ${fn}([a, b], dim)` : '';
    throw new ArgumentTypeError(`${fn}(): argument '${arg}' (position 1) must be tuple of Tensors, not ${typeName(v)}${hint}`);
  }
  v.forEach((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new ArgumentTypeError(`${fn}(): expected Tensor as element ${i} in argument 0, but got ${describe(t, false)}`);
    }
  });
}
