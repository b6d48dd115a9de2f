/**
 * Tensor methods of the shape, matrix and sampling ops (src/ops/shape.ts, join.ts, matrix.ts,
 * indexing.ts, random.ts), installed by declaration merging.
 */

import type { SizeArgs } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { take } from '../indexing.js';
import { repeat, roll, tile } from '../join.js';
import type { BaddbmmOptions } from '../matrix.js';
import { baddbmm, bmm, diag, outer, tril, triu } from '../matrix.js';
import type { GeneratorOptions, MultinomialOptions } from '../random.js';
import { bernoulli, multinomial } from '../random.js';
import { expandAs, movedim, unflatten } from '../shape.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
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

Tensor.prototype.expandAs = function (this: Tensor, other: Tensor): Tensor {
  return expandAs(this, other);
};
Tensor.prototype.repeat = function (this: Tensor, ...sizes: SizeArgs): Tensor {
  return repeat(this, ...sizes);
};
Tensor.prototype.tile = function (this: Tensor, ...dims: SizeArgs): Tensor {
  return tile(this, ...dims);
};
Tensor.prototype.roll = function (this: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  return roll(this, shifts, dims);
};
Tensor.prototype.movedim = function (this: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  return movedim(this, source, destination);
};
Tensor.prototype.moveaxis = Tensor.prototype.movedim;
Tensor.prototype.unflatten = function (this: Tensor, dim: number, sizes: readonly number[]): Tensor {
  return unflatten(this, dim, sizes);
};
Tensor.prototype.triu = function (this: Tensor, diagonal = 0): Tensor {
  return triu(this, diagonal);
};
Tensor.prototype.tril = function (this: Tensor, diagonal = 0): Tensor {
  return tril(this, diagonal);
};
Tensor.prototype.diag = function (this: Tensor, diagonal = 0): Tensor {
  return diag(this, diagonal);
};
Tensor.prototype.bmm = function (this: Tensor, mat2: Tensor): Tensor {
  return bmm(this, mat2);
};
Tensor.prototype.baddbmm = function (this: Tensor, batch1: Tensor, batch2: Tensor, options?: BaddbmmOptions): Tensor {
  return baddbmm(this, batch1, batch2, options);
};
Tensor.prototype.outer = function (this: Tensor, vec2: Tensor): Tensor {
  return outer(this, vec2);
};
Tensor.prototype.take = function (this: Tensor, index: Tensor): Tensor {
  return take(this, index);
};
Tensor.prototype.bernoulli = function (this: Tensor, p?: number | GeneratorOptions | null, options?: GeneratorOptions): Tensor {
  return bernoulli(this, p, options);
};
Tensor.prototype.multinomial = function (this: Tensor, numSamples: number, replacement?: boolean | MultinomialOptions, options?: MultinomialOptions): Tensor {
  return multinomial(this, numSamples, replacement, options);
};
