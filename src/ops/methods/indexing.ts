/**
 * Tensor methods for indexing, gathering and scattering, installed on `Tensor.prototype` (see
 * ./index.ts for why methods live on the ops side). Each forwards to the function of the same name
 * in ../indexing.ts.
 */

import { Tensor } from '../../tensor/tensor.js';
import { gather, type IndexSpec, index, maskedSelect, nonzero, scatter, scatterAdd, type ScatterOptions, select, unbind } from '../indexing.js';
import { type ScatterReduceOptions, type ScatterReduction, scatterReduce } from '../scatter.js';
import { type IndexPutOptions, indexPut_ } from '../inplace.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /**
     * PyTorch: `x[spec0, spec1, ...]`. Specs: integers (negative from the end), slice strings
     * (`':'`, `'1:'`, `':-1'`, `'::2'`), `'...'`, `null` (new axis), int tensors / number arrays
     * (advanced, a copy), bool masks. `x.index(':', -1, ':')` is `x[:, -1, :]`.
     */
    index(...specs: IndexSpec[]): Tensor;
    /** PyTorch: `Tensor.index_put_(indices, values, accumulate=False)` / `x[specs] = value` (in place). */
    indexPut_(specs: readonly IndexSpec[], value: Tensor | number, options?: IndexPutOptions): this;
    /** PyTorch: `Tensor.select(dim, index)`: a view without `dim`. */
    select(dim: number, index: number): Tensor;
    /** PyTorch: `Tensor.unbind(dim=0)`: views along dim. */
    unbind(dim?: number): Tensor[];
    /** PyTorch: `Tensor.gather(dim, index)`. */
    gather(dim: number, index: Tensor): Tensor;
    /** PyTorch: `Tensor.scatter(dim, index, src, *, reduce=None)` (out of place; `{ reduce: 'add' | 'multiply' }`). */
    scatter(dim: number, index: Tensor, src: Tensor | number, options?: ScatterOptions): Tensor;
    /** PyTorch: `Tensor.scatter_reduce(dim, index, src, reduce, *, include_self=True)` (see `torch.scatterReduce`). */
    scatterReduce(dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, options?: ScatterReduceOptions): Tensor;
    /** PyTorch: `Tensor.scatter_add(dim, index, src)` (out of place). */
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    /** PyTorch: `Tensor.masked_select(mask)`: 1-D copy where mask is true. */
    maskedSelect(mask: Tensor): Tensor;
    /** PyTorch: `Tensor.nonzero()`: int64 [count, ndim] coordinates. */
    nonzero(): Tensor;
  }
}

const proto = Tensor.prototype;

proto.index = function (this: Tensor, ...specs: IndexSpec[]): Tensor {
  return index(this, ...specs);
};
proto.indexPut_ = function <T extends Tensor>(this: T, specs: readonly IndexSpec[], value: Tensor | number, options?: IndexPutOptions): T {
  indexPut_(this, specs, value, options);
  return this;
};
proto.select = function (this: Tensor, dim: number, i: number): Tensor {
  return select(this, dim, i);
};
proto.unbind = function (this: Tensor, dim = 0): Tensor[] {
  return unbind(this, dim);
};
proto.gather = function (this: Tensor, dim: number, i: Tensor): Tensor {
  return gather(this, dim, i);
};
proto.scatter = function (this: Tensor, dim: number, i: Tensor, src: Tensor | number, options?: ScatterOptions): Tensor {
  return scatter(this, dim, i, src, options);
};
proto.scatterReduce = function (this: Tensor, dim: number, i: Tensor, src: Tensor, reduce: ScatterReduction, options?: ScatterReduceOptions): Tensor {
  return scatterReduce(this, dim, i, src, reduce, options);
};
proto.scatterAdd = function (this: Tensor, dim: number, i: Tensor, src: Tensor): Tensor {
  return scatterAdd(this, dim, i, src);
};
proto.maskedSelect = function (this: Tensor, mask: Tensor): Tensor {
  return maskedSelect(this, mask);
};
proto.nonzero = function (this: Tensor): Tensor {
  return nonzero(this);
};
