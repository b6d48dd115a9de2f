/**
 * Tensor methods for reductions and softmax, installed on `Tensor.prototype` (see ./index.ts for
 * why methods live on the ops side). Each forwards to the function of the same name in
 * ../reduce.ts.
 */

import { Tensor } from '../../tensor/tensor.js';
import { logSoftmax, max, mean, softmax, sum, type ValuesIndices } from '../reduce.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `Tensor.sum(dim=None, keepdim=False)`. */
    sum(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.mean(dim=None, keepdim=False)`. */
    mean(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.max()` (0-d) or `Tensor.max(dim, keepdim=False)` → (values, indices). */
    max(): Tensor;
    max(dim: number, keepdim?: boolean): ValuesIndices;
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
proto.max = function (this: Tensor, dim?: number, keepdim?: boolean): Tensor | ValuesIndices {
  return dim === undefined ? max(this) : max(this, dim, keepdim ?? false);
} as Tensor['max'];
proto.softmax = function (this: Tensor, dim: number): Tensor {
  return softmax(this, dim);
};
proto.logSoftmax = function (this: Tensor, dim: number): Tensor {
  return logSoftmax(this, dim);
};
