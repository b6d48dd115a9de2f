/**
 * Tensor methods for views and reshaping, installed on `Tensor.prototype` (see ./index.ts for why
 * methods live on the ops side). Each forwards to the function of the same name in ../shape.ts, or
 * (repeat/tile/roll, the matrix ops, take and the sampling methods) in ../join.ts, ../matrix.ts,
 * ../indexing.ts and ../random.ts.
 */

import type { SizeArgs } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { expand, expandAs, flatten, movedim, narrow, permute, reshape, squeeze, t, transpose, unflatten, unsqueeze, view } from '../shape.js';
import { take } from '../indexing.js';
import { repeat, roll, tile } from '../join.js';
import type { BaddbmmOptions } from '../matrix.js';
import { baddbmm, bmm, diag, outer, tril, triu } from '../matrix.js';
import type { GeneratorOptions, MultinomialOptions } from '../random.js';
import { bernoulli, multinomial } from '../random.js';

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
    /** PyTorch: `Tensor.expand_as(other)`: `expand(other.size())` (a view). */
    expandAs(other: Tensor): Tensor;
    /** PyTorch: `Tensor.repeat(*sizes)`: (A, B).repeat(r0, r1, r2) → (r0, r1·A, r2·B), a copy. */
    repeat(...sizes: SizeArgs): Tensor;
    /** PyTorch: `Tensor.tile(*dims)`: as repeat, dims shorter than ndim padded with leading 1s. */
    tile(...dims: SizeArgs): Tensor;
    /** PyTorch: `Tensor.roll(shifts, dims=None)`: shift with wrap-around along dims (flattened when none). */
    roll(shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor;
    /** PyTorch: `Tensor.movedim(source, destination)`: (A, B, C).movedim(0, -1) → (B, C, A), a view. */
    movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor;
    /** PyTorch: `Tensor.moveaxis(source, destination)`: `movedim`. */
    moveaxis(source: number | readonly number[], destination: number | readonly number[]): Tensor;
    /** PyTorch: `Tensor.unflatten(dim, sizes)`: (N, 12).unflatten(1, [3, 4]) → (N, 3, 4). */
    unflatten(dim: number, sizes: readonly number[]): Tensor;
    /** PyTorch: `Tensor.triu(diagonal=0)`: (..., M, N), zero below the diagonal-th diagonal. */
    triu(diagonal?: number): Tensor;
    /** PyTorch: `Tensor.tril(diagonal=0)`: (..., M, N), zero above the diagonal-th diagonal. */
    tril(diagonal?: number): Tensor;
    /** PyTorch: `Tensor.diag(diagonal=0)`: (N) → (N+|k|, N+|k|) matrix, or (M, N) → its k-th diagonal. */
    diag(diagonal?: number): Tensor;
    /** PyTorch: `Tensor.bmm(mat2)`: (B, N, M)·(B, M, P) → (B, N, P). */
    bmm(mat2: Tensor): Tensor;
    /** PyTorch: `Tensor.baddbmm(batch1, batch2, *, beta=1, alpha=1)`: beta·this + alpha·(batch1 @ batch2). */
    baddbmm(batch1: Tensor, batch2: Tensor, options?: BaddbmmOptions): Tensor;
    /** PyTorch: `Tensor.outer(vec2)`: (N) ⊗ (M) → (N, M). */
    outer(vec2: Tensor): Tensor;
    /** PyTorch: `Tensor.take(index)`: this read as 1-D at int64 positions; the result has index's shape. */
    take(index: Tensor): Tensor;
    /** PyTorch: `Tensor.bernoulli(p=None, *, generator=None)`: 0/1 draws with probability this (or p). */
    bernoulli(p?: number | GeneratorOptions | null, options?: GeneratorOptions): Tensor;
    /** PyTorch: `Tensor.multinomial(num_samples, replacement=False, *, generator=None)`: (C) or (N, C) → int64 (…, numSamples). */
    multinomial(numSamples: number, replacement?: boolean | MultinomialOptions, options?: MultinomialOptions): Tensor;
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
proto.expandAs = function (this: Tensor, other: Tensor): Tensor {
  return expandAs(this, other);
};
proto.repeat = function (this: Tensor, ...sizes: SizeArgs): Tensor {
  return repeat(this, ...sizes);
};
proto.tile = function (this: Tensor, ...dims: SizeArgs): Tensor {
  return tile(this, ...dims);
};
proto.roll = function (this: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  return roll(this, shifts, dims);
};
proto.movedim = function (this: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  return movedim(this, source, destination);
};
proto.moveaxis = proto.movedim;
proto.unflatten = function (this: Tensor, dim: number, sizes: readonly number[]): Tensor {
  return unflatten(this, dim, sizes);
};
proto.triu = function (this: Tensor, diagonal = 0): Tensor {
  return triu(this, diagonal);
};
proto.tril = function (this: Tensor, diagonal = 0): Tensor {
  return tril(this, diagonal);
};
proto.diag = function (this: Tensor, diagonal = 0): Tensor {
  return diag(this, diagonal);
};
proto.bmm = function (this: Tensor, mat2: Tensor): Tensor {
  return bmm(this, mat2);
};
proto.baddbmm = function (this: Tensor, batch1: Tensor, batch2: Tensor, options?: BaddbmmOptions): Tensor {
  return baddbmm(this, batch1, batch2, options);
};
proto.outer = function (this: Tensor, vec2: Tensor): Tensor {
  return outer(this, vec2);
};
proto.take = function (this: Tensor, index: Tensor): Tensor {
  return take(this, index);
};
proto.bernoulli = function (this: Tensor, p?: number | GeneratorOptions | null, options?: GeneratorOptions): Tensor {
  return bernoulli(this, p, options);
};
proto.multinomial = function (this: Tensor, numSamples: number, replacement?: boolean | MultinomialOptions, options?: MultinomialOptions): Tensor {
  return multinomial(this, numSamples, replacement, options);
};
