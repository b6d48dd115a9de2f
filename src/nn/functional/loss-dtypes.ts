/**
 * Which dtypes each loss takes, as PyTorch 1.13 decides it (measured with torch 1.13 on the CPU;
 * the messages are its own). Integer and bool inputs are refused where PyTorch refuses them, so a
 * loss never silently returns an integer "loss" or averages class indices; mixed integer/float
 * pairs are promoted where PyTorch promotes them.
 *
 *   mse_loss, smooth_l1_loss  promote (input, target); a non-float result: "mse_cpu" not implemented for 'Long'
 *   huber_loss                as mse, and an integer input with a float target cannot hold the result
 *   kl_div                    any integer or bool input or target: "kl_div: Integral inputs not supported."
 *   binary_cross_entropy      target dtype must equal the input's: "Found dtype Long but expected Float"
 *   binary_cross_entropy_with_logits  no integer or bool operand ("result type Float can't be cast to ... Long");
 *                             the result has the target's dtype (PyTorch computes it in place in `1 - target`)
 *
 * l1_loss is composed in PyTorch too (sub, abs, mean), so its ops give PyTorch's messages already.
 */

import { DTypeError } from '../../errors.js';
import { toDtype } from '../../ops/util.js';
import type { DType } from '../../tensor/dtype.js';
import { canCast, cName, isFloat, promoteTypes } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';

const HINT = ' Hint: losses take floating point tensors: convert with .float().';

function notImplemented(kernel: string, dtype: DType): DTypeError {
  return new DTypeError(`"${kernel}" not implemented for '${cName(dtype)}'.${HINT}`);
}

/**
 * mse_loss / smooth_l1_loss / huber_loss: both operands in their promoted floating dtype (huber:
 * the input's dtype, as PyTorch's output), or PyTorch's error. `kernel` is PyTorch's kernel name
 * (`mse_cpu`, `smooth_l1_cpu`, `huber_cpu`).
 */
export function regressionOperands(kernel: string, input: Tensor, target: Tensor): [Tensor, Tensor] {
  const promoted = promoteTypes(input.dtype, target.dtype);
  if (kernel === 'huber_cpu') {
    // PyTorch writes huber's result into a tensor of the input's dtype.
    if (!canCast(promoted, input.dtype)) {
      throw new DTypeError(`result type ${cName(promoted)} can't be cast to the desired output type ${cName(input.dtype)}.${HINT}`);
    }
    if (!isFloat(promoted)) throw notImplemented(kernel, promoted);
    return [input, toDtype(target, input.dtype)];
  }
  if (!isFloat(promoted)) throw notImplemented(kernel, promoted);
  return [toDtype(input, promoted), toDtype(target, promoted)];
}

/** kl_div: floating input and target only. */
export function checkKlDivDtypes(input: Tensor, target: Tensor): void {
  if (!isFloat(input.dtype) || !isFloat(target.dtype)) throw new DTypeError(`kl_div: Integral inputs not supported.${HINT}`);
}

/** binary_cross_entropy: the target's dtype is the input's, and floating. */
export function checkBceDtypes(input: Tensor, target: Tensor): void {
  if (target.dtype !== input.dtype) {
    throw new DTypeError(
      `Found dtype ${cName(target.dtype)} but expected ${cName(input.dtype)}. Hint: the target must have the input's dtype: pass target.to(input.dtype).`,
    );
  }
  if (!isFloat(input.dtype)) throw notImplemented('binary_cross_entropy', input.dtype);
}

/**
 * binary_cross_entropy_with_logits: floating input and target, in the order PyTorch's composed
 * kernel meets them (`-input`, then `1 - target`, then the float results written back).
 */
export function checkBceWithLogitsDtypes(input: Tensor, target: Tensor): void {
  if (input.dtype === 'bool') {
    throw new DTypeError(
      'Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.',
    );
  }
  if (target.dtype === 'bool') {
    throw new DTypeError('Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.');
  }
  if (!isFloat(input.dtype)) {
    throw new DTypeError(`result type Float can't be cast to the desired output type ${cName(input.dtype)}.${HINT}`);
  }
  if (!isFloat(target.dtype)) {
    throw new DTypeError(`result type ${cName(input.dtype)} can't be cast to the desired output type ${cName(target.dtype)}.${HINT}`);
  }
}
