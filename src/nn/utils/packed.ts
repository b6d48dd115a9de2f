/**
 * A batch of variable-length sequences packed time-major. PyTorch:
 * `torch.nn.utils.rnn.PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)`.
 *
 * Shapes (B batch, T longest length, total = sum of lengths):
 * - data: (total, *) rows of step 0 for every sequence long enough, then step 1, ...
 * - batchSizes: int32 (T), how many sequences are still running at each step (non-increasing)
 * - sortedIndices: int32 (B) or null; sequence sortedIndices[i] of the caller's batch is row i
 * - unsortedIndices: int32 (B) or null; its inverse permutation
 *
 * Example: sequences `abc` and `x` pack to data `a x b c` with batchSizes [2, 1, 1].
 * PyTorch parity: batch_sizes and the indices are int32 tensors here (int64 in PyTorch).
 */

import type { Tensor } from '../../tensor/tensor.js';

export class PackedSequence {
  constructor(
    readonly data: Tensor,
    readonly batchSizes: Tensor,
    readonly sortedIndices: Tensor | null = null,
    readonly unsortedIndices: Tensor | null = null,
  ) {}

  /** The batch sizes as a plain Int32Array (a copy). */
  batchSizesArray(): Int32Array {
    return Int32Array.from(this.batchSizes.contiguousData());
  }

  toString(): string {
    return `PackedSequence(data=${this.data.toString()}, batch_sizes=${this.batchSizes.toString()}, sorted_indices=${this.sortedIndices?.toString() ?? 'None'}, unsorted_indices=${this.unsortedIndices?.toString() ?? 'None'})`;
  }
}
