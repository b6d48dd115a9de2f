/**
 * The Tensor methods of the reductions and the elementwise maths (src/ops/reductions.ts,
 * src/ops/math.ts), installed by declaration merging: `x.argmax(1)`, `x.topk(3)`, `x.floor()`.
 * Each forwards to its `torch.*` function; PyTorch's twin is named on each.
 */

import { Tensor } from '../../tensor/tensor.js';
import * as M from '../math.js';
import type { ReduceOptions } from '../reduce.js';
import * as R from '../reductions.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `Tensor.min()` (0-d), `Tensor.min(dim, keepdim=False)` → `{ values, indices }`, `Tensor.min(other)` (`torch.minimum`). */
    min(): Tensor;
    min(dim: number, keepdim?: boolean): R.ValuesIndices;
    min(other: Tensor): Tensor;
    /** PyTorch: `Tensor.max()` (0-d), `Tensor.max(dim, keepdim=False)` → `{ values, indices }`, `Tensor.max(other)` (`torch.maximum`). */
    max(): Tensor;
    max(dim: number, keepdim?: boolean): R.ValuesIndices;
    max(other: Tensor): Tensor;
    /** PyTorch: `Tensor.clamp(min=None, max=None)` with tensor bounds (broadcast). */
    clamp(min?: Tensor | number | null, max?: Tensor | number | null): Tensor;
    /** PyTorch: `Tensor.argmax(dim=None, keepdim=False)`: int64 indices of the largest values (see `torch.argmax`). */
    argmax(dim?: number | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.argmin(dim=None, keepdim=False)`: int64 indices of the smallest values. */
    argmin(dim?: number | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.amax(dim=(), keepdim=False)`: the largest value over dims (all when left out). */
    amax(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.amin(dim=(), keepdim=False)`: the smallest value over dims. */
    amin(dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.topk(k, dim=-1, largest=True, sorted=True)` → `{ values, indices }`: dim shrinks to k. */
    topk(k: number, dim?: number | R.TopkOptions, largest?: boolean, sorted?: boolean): R.ValuesIndices;
    /** PyTorch: `Tensor.sort(dim=-1, descending=False, stable=False)` → `{ values, indices }`, input's shape. */
    sort(dim?: number | R.SortOptions, descending?: boolean | R.SortOptions, options?: R.SortOptions): R.ValuesIndices;
    /** PyTorch: `Tensor.argsort(dim=-1, descending=False, stable=False)`: int64, input's shape. */
    argsort(dim?: number | R.SortOptions, descending?: boolean | R.SortOptions, options?: R.SortOptions): Tensor;
    /** PyTorch: `Tensor.std(dim=None, *, correction=1, keepdim=False)` (or `unbiased`): the standard deviation. */
    std(dim?: number | readonly number[] | null | boolean | R.VarOptions, unbiased?: boolean | R.VarOptions, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.var(dim=None, *, correction=1, keepdim=False)` (or `unbiased`): the variance. */
    var(dim?: number | readonly number[] | null | boolean | R.VarOptions, unbiased?: boolean | R.VarOptions, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.norm(p='fro', dim=None, keepdim=False)`: the vector p-norm over dims. */
    norm(p?: number | 'fro' | 'nuc', dim?: number | readonly number[] | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.prod(dim=None, keepdim=False, *, dtype=None)`: the product (int64 for integer input). */
    prod(dim?: number | null | ReduceOptions, keepdim?: boolean | ReduceOptions, options?: ReduceOptions): Tensor;
    /** PyTorch: `Tensor.cumsum(dim, *, dtype=None)`: running sums along dim, this shape. */
    cumsum(dim: number | R.CumulativeOptions, options?: R.CumulativeOptions): Tensor;
    /** PyTorch: `Tensor.cumprod(dim, *, dtype=None)`: running products along dim, this shape. */
    cumprod(dim: number | R.CumulativeOptions, options?: R.CumulativeOptions): Tensor;
    /** PyTorch: `Tensor.logsumexp(dim, keepdim=False)`: log Σ exp over dims, computed stably. */
    logsumexp(dim: number | readonly number[], keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.any(dim=None, keepdim=False)`: bool, true where any element is nonzero. */
    any(dim?: number | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.all(dim=None, keepdim=False)`: bool, true where every element is nonzero. */
    all(dim?: number | null, keepdim?: boolean): Tensor;
    /** PyTorch: `Tensor.count_nonzero(dim=None)`: int64 counts of nonzeros. */
    countNonzero(dim?: number | readonly number[] | null): Tensor;
    /** PyTorch: `Tensor.sign()`: -1, 0 or 1, this dtype. */
    sign(): Tensor;
    /** PyTorch: `Tensor.rsqrt()`: 1/√x. */
    rsqrt(): Tensor;
    /** PyTorch: `Tensor.exp2()`: 2^x. */
    exp2(): Tensor;
    /** PyTorch: `Tensor.log2()`. */
    log2(): Tensor;
    /** PyTorch: `Tensor.log1p()`: log(1 + x). */
    log1p(): Tensor;
    /** PyTorch: `Tensor.expm1()`: exp(x) - 1. */
    expm1(): Tensor;
    /** PyTorch: `Tensor.floor()`. */
    floor(): Tensor;
    /** PyTorch: `Tensor.ceil()`. */
    ceil(): Tensor;
    /** PyTorch: `Tensor.round(decimals=0)`: half to even; `round({ decimals: 2 })` or `round(2)`. */
    round(options?: M.RoundOptions | number): Tensor;
    /** PyTorch: `Tensor.trunc()`: toward zero. */
    trunc(): Tensor;
    /** PyTorch: `Tensor.frac()`: x - trunc(x). */
    frac(): Tensor;
    /** PyTorch: `Tensor.remainder(other)`: Python's modulo (the divisor's sign). */
    remainder(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.fmod(other)`: C's fmod (the dividend's sign). */
    fmod(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.lerp(end, weight)`: this + weight (end - this). */
    lerp(end: Tensor, weight: Tensor | number): Tensor;
    /** PyTorch: `Tensor.addcmul(tensor1, tensor2, *, value=1)`. */
    addcmul(tensor1: Tensor, tensor2: Tensor, options?: M.AddcOptions): Tensor;
    /** PyTorch: `Tensor.addcdiv(tensor1, tensor2, *, value=1)`. */
    addcdiv(tensor1: Tensor, tensor2: Tensor, options?: M.AddcOptions): Tensor;
    /** PyTorch: `Tensor.isinf()`: bool, true at ±inf. */
    isinf(): Tensor;
    /** PyTorch: `Tensor.isposinf()`: bool, true at +inf. */
    isposinf(): Tensor;
    /** PyTorch: `Tensor.isneginf()`: bool, true at -inf. */
    isneginf(): Tensor;
    /** PyTorch: `Tensor.isfinite()`: bool, true where finite. */
    isfinite(): Tensor;
    /** PyTorch: `Tensor.nan_to_num(nan=0.0, posinf=None, neginf=None)`. */
    nanToNum(nan?: number | null, posinf?: number | null, neginf?: number | null): Tensor;
    /** PyTorch: `Tensor.isclose(other, rtol=1e-05, atol=1e-08, equal_nan=False)`: bool. */
    isclose(other: Tensor, options?: M.IscloseOptions): Tensor;
    /** PyTorch: `Tensor.allclose(other, rtol=1e-05, atol=1e-08, equal_nan=False)`: a boolean. */
    allclose(other: Tensor, options?: M.IscloseOptions): boolean;
    /** PyTorch: `Tensor.equal(other)`: same shape and elements (a boolean). */
    equal(other: Tensor): boolean;
    /** PyTorch: `Tensor.bitwise_and(other)` (`&`), integer and bool tensors. */
    bitwiseAnd(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.bitwise_or(other)` (`|`). */
    bitwiseOr(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.bitwise_xor(other)` (`^`). */
    bitwiseXor(other: Tensor | number): Tensor;
    /** PyTorch: `Tensor.bitwise_not()` (`~`). */
    bitwiseNot(): Tensor;
    /** PyTorch: `Tensor.clip(min=None, max=None)`: an alias of `clamp`. */
    clip(min?: Tensor | number | null, max?: Tensor | number | null): Tensor;
  }
}

const methods = {
  max(this: Tensor, dim?: number | Tensor, keepdim?: boolean): Tensor | R.ValuesIndices {
    return dim === undefined ? R.max(this) : dim instanceof Tensor ? R.max(this, dim) : R.max(this, dim, keepdim);
  },
  min(this: Tensor, dim?: number | Tensor, keepdim?: boolean): Tensor | R.ValuesIndices {
    return dim === undefined ? R.min(this) : dim instanceof Tensor ? R.min(this, dim) : R.min(this, dim, keepdim);
  },
  argmax(this: Tensor, dim?: number | null, keepdim?: boolean): Tensor {
    return R.argmax(this, dim, keepdim);
  },
  argmin(this: Tensor, dim?: number | null, keepdim?: boolean): Tensor {
    return R.argmin(this, dim, keepdim);
  },
  amax(this: Tensor, dim?: number | readonly number[] | null, keepdim?: boolean): Tensor {
    return R.amax(this, dim ?? [], keepdim);
  },
  amin(this: Tensor, dim?: number | readonly number[] | null, keepdim?: boolean): Tensor {
    return R.amin(this, dim ?? [], keepdim);
  },
  topk(this: Tensor, k: number, dim?: number | R.TopkOptions, largest?: boolean, sorted?: boolean): R.ValuesIndices {
    return R.topk(this, k, dim, largest, sorted);
  },
  sort(this: Tensor, dim?: number | R.SortOptions, descending?: boolean | R.SortOptions, options?: R.SortOptions): R.ValuesIndices {
    return R.sort(this, dim, descending, options);
  },
  argsort(this: Tensor, dim?: number | R.SortOptions, descending?: boolean | R.SortOptions, options?: R.SortOptions): Tensor {
    return R.argsort(this, dim, descending, options);
  },
  std(this: Tensor, dim?: number | readonly number[] | null | boolean | R.VarOptions, unbiased?: boolean | R.VarOptions, keepdim?: boolean): Tensor {
    return R.std(this, dim, unbiased, keepdim);
  },
  var(this: Tensor, dim?: number | readonly number[] | null | boolean | R.VarOptions, unbiased?: boolean | R.VarOptions, keepdim?: boolean): Tensor {
    return R.var(this, dim, unbiased, keepdim);
  },
  norm(this: Tensor, p?: number | 'fro' | 'nuc', dim?: number | readonly number[] | null, keepdim?: boolean): Tensor {
    return R.norm(this, p, dim, keepdim);
  },
  prod(this: Tensor, dim?: number | null | ReduceOptions, keepdim?: boolean | ReduceOptions, options?: ReduceOptions): Tensor {
    return R.prod(this, dim, keepdim, options);
  },
  cumsum(this: Tensor, dim: number | R.CumulativeOptions, options?: R.CumulativeOptions): Tensor {
    return R.cumsum(this, dim, options);
  },
  cumprod(this: Tensor, dim: number | R.CumulativeOptions, options?: R.CumulativeOptions): Tensor {
    return R.cumprod(this, dim, options);
  },
  logsumexp(this: Tensor, dim: number | readonly number[], keepdim?: boolean): Tensor {
    return R.logsumexp(this, dim, keepdim);
  },
  any(this: Tensor, dim?: number | null, keepdim?: boolean): Tensor {
    return R.any(this, dim, keepdim);
  },
  all(this: Tensor, dim?: number | null, keepdim?: boolean): Tensor {
    return R.all(this, dim, keepdim);
  },
  countNonzero(this: Tensor, dim?: number | readonly number[] | null): Tensor {
    return R.countNonzero(this, dim);
  },
  sign(this: Tensor): Tensor {
    return M.sign(this);
  },
  rsqrt(this: Tensor): Tensor {
    return M.rsqrt(this);
  },
  exp2(this: Tensor): Tensor {
    return M.exp2(this);
  },
  log2(this: Tensor): Tensor {
    return M.log2(this);
  },
  log1p(this: Tensor): Tensor {
    return M.log1p(this);
  },
  expm1(this: Tensor): Tensor {
    return M.expm1(this);
  },
  floor(this: Tensor): Tensor {
    return M.floor(this);
  },
  ceil(this: Tensor): Tensor {
    return M.ceil(this);
  },
  round(this: Tensor, options?: M.RoundOptions | number): Tensor {
    return M.round(this, options);
  },
  trunc(this: Tensor): Tensor {
    return M.trunc(this);
  },
  frac(this: Tensor): Tensor {
    return M.frac(this);
  },
  remainder(this: Tensor, other: Tensor | number): Tensor {
    return M.remainder(this, other);
  },
  fmod(this: Tensor, other: Tensor | number): Tensor {
    return M.fmod(this, other);
  },
  lerp(this: Tensor, end: Tensor, weight: Tensor | number): Tensor {
    return M.lerp(this, end, weight);
  },
  addcmul(this: Tensor, tensor1: Tensor, tensor2: Tensor, options?: M.AddcOptions): Tensor {
    return M.addcmul(this, tensor1, tensor2, options);
  },
  addcdiv(this: Tensor, tensor1: Tensor, tensor2: Tensor, options?: M.AddcOptions): Tensor {
    return M.addcdiv(this, tensor1, tensor2, options);
  },
  isinf(this: Tensor): Tensor {
    return M.isinf(this);
  },
  isposinf(this: Tensor): Tensor {
    return M.isposinf(this);
  },
  isneginf(this: Tensor): Tensor {
    return M.isneginf(this);
  },
  isfinite(this: Tensor): Tensor {
    return M.isfinite(this);
  },
  nanToNum(this: Tensor, nan?: number | null, posinf?: number | null, neginf?: number | null): Tensor {
    return M.nanToNum(this, nan, posinf, neginf);
  },
  isclose(this: Tensor, other: Tensor, options?: M.IscloseOptions): Tensor {
    return M.isclose(this, other, options);
  },
  allclose(this: Tensor, other: Tensor, options?: M.IscloseOptions): boolean {
    return M.allclose(this, other, options);
  },
  equal(this: Tensor, other: Tensor): boolean {
    return M.equal(this, other);
  },
  bitwiseAnd(this: Tensor, other: Tensor | number): Tensor {
    return M.bitwiseAnd(this, other);
  },
  bitwiseOr(this: Tensor, other: Tensor | number): Tensor {
    return M.bitwiseOr(this, other);
  },
  bitwiseXor(this: Tensor, other: Tensor | number): Tensor {
    return M.bitwiseXor(this, other);
  },
  bitwiseNot(this: Tensor): Tensor {
    return M.bitwiseNot(this);
  },
  clip(this: Tensor, min?: Tensor | number | null, max?: Tensor | number | null): Tensor {
    return M.clip(this, min, max);
  },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
}
