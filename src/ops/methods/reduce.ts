/**
 * Tensor methods for reductions and softmax, installed on `Tensor.prototype` (see ./index.ts for
 * why methods live on the ops side). Each forwards to the function of the same name in
 * ../reduce.ts (`max`/`min` are in ./math.ts with the other reductions).
 */

import { Tensor } from '../../tensor/tensor.js';
import { logSoftmax, mean, nanmean, nansum, type ReduceOptions, type SoftmaxOptions, softmax, sum } from '../reduce.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `Tensor.sum(dim=None, keepdim=False, *, dtype=None)`; keywords as `{ dim, keepdim, dtype }` (see `torch.sum`). */
    sum(dim?: number | readonly number[] | null | ReduceOptions, keepdim?: boolean | ReduceOptions, options?: ReduceOptions): Tensor;
    /** PyTorch: `Tensor.mean(dim=None, keepdim=False, *, dtype=None)`. */
    mean(dim?: number | readonly number[] | null | ReduceOptions, keepdim?: boolean | ReduceOptions, options?: ReduceOptions): Tensor;
    /** PyTorch: `Tensor.nansum(dim=None, keepdim=False, *, dtype=None)`: sum with NaN as 0. */
    nansum(dim?: number | readonly number[] | null | ReduceOptions, keepdim?: boolean | ReduceOptions, options?: ReduceOptions): Tensor;
    /** PyTorch: `Tensor.nanmean(dim=None, keepdim=False, *, dtype=None)`: mean of the non-NaN values. */
    nanmean(dim?: number | readonly number[] | null | ReduceOptions, keepdim?: boolean | ReduceOptions, options?: ReduceOptions): Tensor;
    /** PyTorch: `Tensor.softmax(dim, dtype=None)` (`{ dtype }` casts first). */
    softmax(dim: number, options?: SoftmaxOptions): Tensor;
    /** PyTorch: `Tensor.log_softmax(dim, dtype=None)` (`{ dtype }` casts first). */
    logSoftmax(dim: number, options?: SoftmaxOptions): Tensor;
  }
}

const proto = Tensor.prototype;

type DimArg = number | readonly number[] | null | ReduceOptions;
proto.sum = function (this: Tensor, dim?: DimArg, keepdim: boolean | ReduceOptions = false, options?: ReduceOptions): Tensor {
  return sum(this, dim, keepdim, options);
};
proto.mean = function (this: Tensor, dim?: DimArg, keepdim: boolean | ReduceOptions = false, options?: ReduceOptions): Tensor {
  return mean(this, dim, keepdim, options);
};
proto.nansum = function (this: Tensor, dim?: DimArg, keepdim: boolean | ReduceOptions = false, options?: ReduceOptions): Tensor {
  return nansum(this, dim, keepdim, options);
};
proto.nanmean = function (this: Tensor, dim?: DimArg, keepdim: boolean | ReduceOptions = false, options?: ReduceOptions): Tensor {
  return nanmean(this, dim, keepdim, options);
};
proto.softmax = function (this: Tensor, dim: number, options?: SoftmaxOptions): Tensor {
  return softmax(this, dim, options);
};
proto.logSoftmax = function (this: Tensor, dim: number, options?: SoftmaxOptions): Tensor {
  return logSoftmax(this, dim, options);
};
