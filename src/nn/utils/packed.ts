/**
 * A batch of variable-length sequences packed time-major. PyTorch:
 * `torch.nn.utils.rnn.PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)`.
 *
 * Shapes (B batch, T longest length, total = sum of lengths):
 * - data: (total, *) rows of step 0 for every sequence long enough, then step 1, ...
 * - batchSizes: int64 (T), how many sequences are still running at each step (non-increasing)
 * - sortedIndices: int64 (B) or null; sequence sortedIndices[i] of the caller's batch is row i
 * - unsortedIndices: int64 (B) or null; its inverse permutation
 *
 * Example: sequences `abc` and `x` pack to data `a x b c` with batchSizes [2, 1, 1].
 * Build one with `nn.utils.rnn.packPaddedSequence` or `packSequence` rather than by hand.
 */

import { IndexError, ShapeError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { inspectCustom } from '../../tensor/inspect.js';

/** A batch of variable-length sequences packed time-major (see the file header for shapes). PyTorch: `torch.nn.utils.rnn.PackedSequence`. */
export class PackedSequence {
  readonly data: Tensor;
  readonly batchSizes: Tensor;
  readonly sortedIndices: Tensor | null;
  readonly unsortedIndices: Tensor | null;

  /**
   * As PyTorch, `unsortedIndices` is computed from `sortedIndices` when left out (null).
   */
  constructor(
    data: Tensor,
    batchSizes: Tensor,
    sortedIndices: Tensor | null = null,
    unsortedIndices: Tensor | null = null,
  ) {
    this.data = data;
    this.batchSizes = batchSizes;
    this.sortedIndices = sortedIndices;
    this.unsortedIndices = unsortedIndices ?? invertPermutation(sortedIndices);
  }

  /** The batch sizes as a plain Int32Array (a copy). */
  batchSizesArray(): Int32Array {
    return Int32Array.from(this.batchSizes.contiguousData());
  }

  toString(): string {
    return `PackedSequence(data=${this.data.toString()}, batch_sizes=${this.batchSizes.toString()}, sorted_indices=${this.sortedIndices?.toString() ?? 'None'}, unsorted_indices=${this.unsortedIndices?.toString() ?? 'None'})`;
  }
  /** `console.log` / `util.inspect` in Node print the same PyTorch text as `toString()`. */
  [inspectCustom](): string {
    return this.toString();
  }
}

/**
 * The inverse of a permutation: `out[permutation[i]] = i`. PyTorch:
 * `torch.nn.utils.rnn.invert_permutation(permutation)`; null in, null out.
 *
 * Shape: permutation int64 (B) -> int64 (B). Example: [2, 0, 1] -> [1, 2, 0].
 */
export function invertPermutation(permutation: Tensor): Tensor;
export function invertPermutation(permutation: Tensor | null): Tensor | null;
export function invertPermutation(permutation: Tensor | null): Tensor | null {
  if (permutation === null) return null;
  if (permutation.ndim !== 1) {
    throw new ShapeError(`invert_permutation: expected a 1-D permutation, got a ${permutation.ndim}-D tensor`);
  }
  const p = permutation.contiguousData();
  const n = p.length;
  const out = new Int32Array(n);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = p[i];
    // PyTorch's scatter_ raises on out-of-range indices; a repeated index is not a permutation
    // and would leave holes, so it is rejected here too.
    if (!Number.isInteger(v) || v < 0 || v >= n || seen[v] === 1) {
      throw new IndexError(
        `invert_permutation: index ${v} at position ${i} is out of bounds or repeated for a permutation of size ${n}`,
      );
    }
    seen[v] = 1;
    out[v] = i;
  }
  return new Tensor(out, [n], 'int64');
}
