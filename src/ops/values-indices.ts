/**
 * The (values, indices) pair of `max`/`min`/`sort`/`topk` (src/ops/reductions.ts), in a module of
 * its own: a class must exist when the library loads (instanceof), while the Node bundle loads
 * the reductions at their first call (tools/finish-build.mjs).
 */

import type { Tensor } from '../tensor/tensor.js';

/** `(values, indices)` as PyTorch's `torch.return_types.max`/`sort`/`topk`: destructure as a pair or by name. */
export class ValuesIndices {
  constructor(
    readonly values: Tensor,
    readonly indices: Tensor,
  ) {}
  /** `values`, as `result[0]` in PyTorch. */
  get 0(): Tensor {
    return this.values;
  }
  /** `indices`, as `result[1]` in PyTorch. */
  get 1(): Tensor {
    return this.indices;
  }
  /** Always 2, as PyTorch's named tuple. */
  get length(): 2 {
    return 2;
  }
  *[Symbol.iterator](): IterableIterator<Tensor> {
    yield this.values;
    yield this.indices;
  }
}
