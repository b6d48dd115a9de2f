/**
 * Tensor methods for splitting, selecting along a dim and flipping, installed on
 * `Tensor.prototype` (see ./index.ts for why methods live on the ops side). Each forwards to the
 * function of the same name in ../join.ts.
 */

import type { SizeArgs } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { chunk, flip, indexSelect, split } from '../join.js';

declare module '../../tensor/tensor.js' {
  interface Tensor {
    /** PyTorch: `Tensor.split(split_size_or_sections, dim=0)` (views). */
    split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[];
    /** PyTorch: `Tensor.chunk(chunks, dim=0)` (views). */
    chunk(chunks: number, dim?: number): Tensor[];
    /** PyTorch: `Tensor.index_select(dim, index)` with a 1-D int64 or int32 index, or a number list. */
    indexSelect(dim: number, index: Tensor | readonly number[]): Tensor;
    /** PyTorch: `Tensor.flip(dims)`: `flip(0, 1)` or `flip([0, 1])` (a copy). */
    flip(...dims: SizeArgs): Tensor;
  }
}

const proto = Tensor.prototype;

proto.split = function (this: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  return split(this, splitSizeOrSections, dim);
};
proto.chunk = function (this: Tensor, chunks: number, dim = 0): Tensor[] {
  return chunk(this, chunks, dim);
};
proto.indexSelect = function (this: Tensor, dim: number, index: Tensor | readonly number[]): Tensor {
  return indexSelect(this, dim, index);
};
proto.flip = function (this: Tensor, ...dims: SizeArgs): Tensor {
  return flip(this, ...dims);
};
