/** Tensor methods of the in-place ops (src/ops/inplace.ts), installed by declaration merging. Each returns this tensor. */

import { Tensor } from '../../tensor/tensor.js';
import type { AlphaOptions } from '../elementwise.js';
import type { DivOptions, FillRandomOptions } from '../inplace.js';
import { add_, clamp_, div_, fill_, maskedFill_, mul_, normal_, pow_, scatter_, scatterAdd_, scatterReduce_, sub_, uniform_, zero_ } from '../inplace.js';
import type { ScatterOptions } from '../indexing.js';
import type { ScatterReduceOptions, ScatterReduction } from '../scatter.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `Tensor.add_(other, *, alpha=1)`: this += alpha · other (other broadcast to this shape). */
    add_(other: Tensor | number, options?: AlphaOptions): this;
    /** PyTorch: `Tensor.sub_(other, *, alpha=1)`: this -= alpha · other. */
    sub_(other: Tensor | number, options?: AlphaOptions): this;
    /** PyTorch: `Tensor.mul_(other)`: this *= other. */
    mul_(other: Tensor | number): this;
    /** PyTorch: `Tensor.div_(other, *, rounding_mode=None)`: this /= other (`{ roundingMode: 'trunc' | 'floor' }`). */
    div_(other: Tensor | number, options?: DivOptions): this;
    /** PyTorch: `Tensor.pow_(exponent)`: this = this ** exponent. */
    pow_(exponent: Tensor | number): this;
    /** PyTorch: `Tensor.clamp_(min=None, max=None)`. */
    clamp_(min?: number | null, max?: number | null): this;
    /** PyTorch: `Tensor.clip_(min=None, max=None)`: `clamp_`. */
    clip_(min?: number | null, max?: number | null): this;
    /** PyTorch: `Tensor.fill_(value)`: every entry becomes value (a number or a 0-d tensor). */
    fill_(value: number | boolean | Tensor): this;
    /** PyTorch: `Tensor.zero_()`. */
    zero_(): this;
    /** PyTorch: `Tensor.uniform_(from=0, to=1, *, generator=None)`: uniform draws on [from, to). */
    uniform_(from?: number | FillRandomOptions, to?: number | FillRandomOptions, options?: FillRandomOptions): this;
    /** PyTorch: `Tensor.normal_(mean=0, std=1, *, generator=None)`: normal draws. */
    normal_(mean?: number | FillRandomOptions, std?: number | FillRandomOptions, options?: FillRandomOptions): this;
    /** PyTorch: `Tensor.masked_fill_(mask, value)`: value where the bool mask (broadcast to this shape) is true. */
    maskedFill_(mask: Tensor, value: number): this;
    /** PyTorch: `Tensor.scatter_(dim, index, src, *, reduce=None)`: this[index[i][j]][j] = src[i][j] (dim 0), in place; `{ reduce: 'add' | 'multiply' }`. */
    scatter_(dim: number, index: Tensor, src: Tensor | number, options?: ScatterOptions): this;
    /** PyTorch: `Tensor.scatter_add_(dim, index, src)`: this[index[i][j]][j] += src[i][j] (dim 0), in place. */
    scatterAdd_(dim: number, index: Tensor, src: Tensor): this;
    /** PyTorch: `Tensor.scatter_reduce_(dim, index, src, reduce, *, include_self=True)`: `torch.scatterReduce` in place. */
    scatterReduce_(dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, options?: ScatterReduceOptions): this;
  }
}

Tensor.prototype.add_ = function <T extends Tensor>(this: T, other: Tensor | number, options?: AlphaOptions): T {
  add_(this, other, options);
  return this;
};
Tensor.prototype.sub_ = function <T extends Tensor>(this: T, other: Tensor | number, options?: AlphaOptions): T {
  sub_(this, other, options);
  return this;
};
Tensor.prototype.mul_ = function <T extends Tensor>(this: T, other: Tensor | number): T {
  mul_(this, other);
  return this;
};
Tensor.prototype.div_ = function <T extends Tensor>(this: T, other: Tensor | number, options?: DivOptions): T {
  div_(this, other, options);
  return this;
};
Tensor.prototype.pow_ = function <T extends Tensor>(this: T, exponent: Tensor | number): T {
  pow_(this, exponent);
  return this;
};
Tensor.prototype.clamp_ = function <T extends Tensor>(this: T, min?: number | null, max?: number | null): T {
  clamp_(this, min, max);
  return this;
};
Tensor.prototype.clip_ = Tensor.prototype.clamp_;
Tensor.prototype.fill_ = function <T extends Tensor>(this: T, value: number | boolean | Tensor): T {
  fill_(this, value);
  return this;
};
Tensor.prototype.zero_ = function <T extends Tensor>(this: T): T {
  zero_(this);
  return this;
};
Tensor.prototype.uniform_ = function <T extends Tensor>(this: T, from?: number | FillRandomOptions, to?: number | FillRandomOptions, options?: FillRandomOptions): T {
  uniform_(this, from, to, options);
  return this;
};
Tensor.prototype.normal_ = function <T extends Tensor>(this: T, mean?: number | FillRandomOptions, std?: number | FillRandomOptions, options?: FillRandomOptions): T {
  normal_(this, mean, std, options);
  return this;
};
Tensor.prototype.maskedFill_ = function <T extends Tensor>(this: T, mask: Tensor, value: number): T {
  maskedFill_(this, mask, value);
  return this;
};
Tensor.prototype.scatter_ = function <T extends Tensor>(this: T, dim: number, index: Tensor, src: Tensor | number, options?: ScatterOptions): T {
  scatter_(this, dim, index, src, options);
  return this;
};
Tensor.prototype.scatterAdd_ = function <T extends Tensor>(this: T, dim: number, index: Tensor, src: Tensor): T {
  scatterAdd_(this, dim, index, src);
  return this;
};
Tensor.prototype.scatterReduce_ = function <T extends Tensor>(this: T, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, options?: ScatterReduceOptions): T {
  scatterReduce_(this, dim, index, src, reduce, options);
  return this;
};
