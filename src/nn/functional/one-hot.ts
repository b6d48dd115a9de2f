/** PyTorch: `torch.nn.functional.one_hot`. */

import { RuntimeError, ArgumentTypeError, typeName } from '../../errors.js';
import { checkTensor } from '../../tensor/args.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * PyTorch: `torch.nn.functional.one_hot(tensor, num_classes=-1)`: each int64 class index
 * becomes a row of zeros with a 1 at that index. `numClasses = -1` takes max + 1.
 * Shapes: (*) int64 → (*, numClasses) int64. Not differentiable (integer in and out).
 */
export function oneHot(tensor: Tensor, numClasses = -1): Tensor {
  checkTensor(tensor, 'one_hot', 'tensor', 1);
  if (typeof numClasses !== 'number' || !Number.isInteger(numClasses)) {
    throw new ArgumentTypeError(`one_hot(): argument 'num_classes' (position 2) must be int, not ${typeName(numClasses)}`);
  }
  if (tensor.dtype !== 'int64') {
    throw new RuntimeError(
      `one_hot is only applicable to index tensor. Got ${tensor.dtype}; make class indices with { dtype: 'int64' } or .long().`,
    );
  }
  const v = tensor.contiguousData();
  const n = v.length;
  let max = -1;
  for (let i = 0; i < n; i++) {
    if (v[i] < 0) throw new RuntimeError('Class values must be non-negative.');
    if (v[i] > max) max = v[i];
  }
  let c = numClasses;
  if (c === -1) {
    if (n === 0) throw new RuntimeError('Can not infer total number of classes from empty tensor.');
    c = max + 1;
  } else if (max >= c || c < 0) {
    throw new RuntimeError('Class values must be smaller than num_classes.');
  }
  const out = new Int32Array(n * c);
  for (let i = 0; i < n; i++) out[i * c + v[i]] = 1;
  return new Tensor(out, [...tensor.shape, c], 'int64');
}
