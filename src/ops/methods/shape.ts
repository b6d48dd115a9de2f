/**
 * Tensor methods for views and reshaping, installed on `Tensor.prototype` (see ./index.ts for why
 * methods live on the ops side). Each forwards to the function of the same name in ../shape.ts.
 */

import type { SizeArgs } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { expand, flatten, narrow, permute, reshape, squeeze, t, transpose, unsqueeze, view } from '../shape.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `Tensor.transpose(dim0, dim1)` (a view). */
    transpose(dim0: number, dim1: number): Tensor;
    /** PyTorch: `t()` (2-D transpose). */
    t(): Tensor;
    /** PyTorch: `Tensor.permute(*dims)`: `permute(2, 0, 1)` or `permute([2, 0, 1])` (a view). */
    permute(...dims: SizeArgs): Tensor;
    /** PyTorch: `Tensor.reshape(*shape)`: `reshape(2, -1)` or `reshape([2, -1])`; a view when possible. */
    reshape(...shape: SizeArgs): Tensor;
    /** PyTorch: `Tensor.view(*shape)`: always a view; throws when the layout does not allow one. */
    view(...shape: SizeArgs): Tensor;
    /** PyTorch: `Tensor.flatten(start_dim=0, end_dim=-1)`. */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** PyTorch: `Tensor.squeeze(dim=None)`: drop size-1 dims (a given non-1 dim is left alone). */
    squeeze(dim?: number | readonly number[]): Tensor;
    /** PyTorch: `Tensor.unsqueeze(dim)`: a new size-1 dim, dim in [-ndim-1, ndim]. */
    unsqueeze(dim: number): Tensor;
    /** PyTorch: `Tensor.expand(*sizes)`: broadcast without copying (-1 keeps a size). */
    expand(...sizes: SizeArgs): Tensor;
    /** PyTorch: `Tensor.narrow(dim, start, length)` (a view). */
    narrow(dim: number, start: number, length: number): Tensor;
  }
}

const proto = Tensor.prototype;

proto.transpose = function (this: Tensor, dim0: number, dim1: number): Tensor {
  return transpose(this, dim0, dim1);
};
proto.t = function (this: Tensor): Tensor {
  return t(this);
};
proto.permute = function (this: Tensor, ...dims: SizeArgs): Tensor {
  return permute(this, ...dims);
};
proto.reshape = function (this: Tensor, ...shape: SizeArgs): Tensor {
  return reshape(this, ...shape);
};
proto.view = function (this: Tensor, ...shape: SizeArgs): Tensor {
  return view(this, ...shape);
};
proto.flatten = function (this: Tensor, startDim = 0, endDim = -1): Tensor {
  return flatten(this, startDim, endDim);
};
proto.squeeze = function (this: Tensor, dim?: number | readonly number[]): Tensor {
  return squeeze(this, dim);
};
proto.unsqueeze = function (this: Tensor, dim: number): Tensor {
  return unsqueeze(this, dim);
};
proto.expand = function (this: Tensor, ...sizes: SizeArgs): Tensor {
  return expand(this, ...sizes);
};
proto.narrow = function (this: Tensor, dim: number, start: number, length: number): Tensor {
  return narrow(this, dim, start, length);
};
