/**
 * Tensor methods for matrix products, installed on `Tensor.prototype` (see ./index.ts for why
 * methods live on the ops side). Each forwards to the function of the same name in ../matmul.ts.
 */

import { checkTensor } from '../../tensor/args.js';
import { Tensor } from '../../tensor/tensor.js';
import { matmul } from '../matmul.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `Tensor.matmul(other)`: (..., M, K)·(..., K, N) → (..., M, N); 1-D operands as in torch.matmul. */
    matmul(other: Tensor): Tensor;
  }
}

const proto = Tensor.prototype;

proto.matmul = function (this: Tensor, other: Tensor): Tensor {
  checkTensor(other, 'matmul', 'other', 1);
  return matmul(this, other);
};
