/**
 * Dropout: the one implementation shared by `nn.Dropout`, `nn.functional.dropout` and the
 * dropout between stacked recurrent layers. PyTorch: `torch.nn.functional.dropout`.
 */

import { ArgumentTypeError, DTypeError, typeName, ValueError } from '../../errors.js';
import { mul } from '../../ops/elementwise.js';
import { full } from '../../ops/creation.js';
import { checkTensor } from '../../tensor/args.js';
import { cName, isFloat } from '../../tensor/dtype.js';
import { randomUniform } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Throws PyTorch's ValueError unless 0 <= p <= 1. */
export function checkDropoutP(p: number): void {
  if (typeof p !== 'number') throw new ArgumentTypeError(`dropout(): argument 'p' must be float, not ${typeName(p)}`);
  if (!(p >= 0 && p <= 1)) {
    throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }
}

/**
 * PyTorch: `torch.nn.functional.dropout(input, p=0.5, training=True)`.
 *
 * In training each element is zeroed with probability `p` and the survivors are scaled by
 * 1 / (1 - p) ("inverted dropout"), so the expected value is unchanged and evaluation needs no
 * rescaling. Out of training, or with p = 0, the input itself is returned. The mask is drawn
 * from the generator `torch.manualSeed` seeds, one uniform number per element in row-major order.
 *
 * Shape: any; the output has the input's shape.
 */
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  checkTensor(input, 'dropout', 'input', 1);
  checkDropoutP(p);
  if (!training || p === 0) return input;
  // PyTorch multiplies by a zero scalar when p == 1 (no 0/0 in the scale).
  if (p === 1) return mul(input, 0);
  // The scaled mask is float: PyTorch cannot write it back into an integer or bool input.
  if (!isFloat(input.dtype)) {
    throw new DTypeError(`result type Float can't be cast to the desired output type ${cName(input.dtype)}. Hint: dropout takes floating point inputs: convert with .float().`);
  }
  const scale = 1 / (1 - p);
  const mask = full(input.shape, 0, { dtype: input.dtype === 'float64' ? 'float64' : 'float32' });
  const m = mask.storage;
  // Bernoulli(1 - p): keep when u < 1 - p.
  for (let i = 0; i < m.length; i++) m[i] = randomUniform() < 1 - p ? scale : 0;
  return mul(input, mask);
}
