/**
 * Tensor methods for reductions and softmax, installed on `Tensor.prototype` (see ./index.ts for
 * why methods live on the ops side). Each forwards to the function of the same name in
 * ../reduce.ts (`max`/`min` are in ./math.ts with the other reductions).
 */

import { Tensor } from '../../tensor/tensor.js';
import { logSoftmax, mean, softmax, sum } from '../reduce.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `Tensor.sum(dim=None, keepdim=False)`. */
    sum(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.mean(dim=None, keepdim=False)`. */
    mean(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.softmax(dim)`. */
    softmax(dim: number): Tensor;
    /** PyTorch: `Tensor.log_softmax(dim)`. */
    logSoftmax(dim: number): Tensor;
  }
}

const proto = Tensor.prototype;

proto.sum = function (this: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  return sum(this, dim, keepdim);
};
proto.mean = function (this: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  return mean(this, dim, keepdim);
};
proto.softmax = function (this: Tensor, dim: number): Tensor {
  return softmax(this, dim);
};
proto.logSoftmax = function (this: Tensor, dim: number): Tensor {
  return logSoftmax(this, dim);
};
