/** Flatten and Unflatten. PyTorch: `torch.nn.Flatten`, `torch.nn.Unflatten`. */

import { ArgumentTypeError, RuntimeError } from '../../errors.js';
import { normDim } from '../../ops/util.js';
import { flatten, reshape } from '../../ops/shape.js';
import { checkNumber, checkTensor } from '../../tensor/args.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/**
 * Merge dims startDim..endDim into one. PyTorch: `torch.nn.Flatten(start_dim=1, end_dim=-1)`.
 * Shape: (N, *dims) → (N, ∏dims) with the defaults; a view when the input allows.
 */
export class Flatten extends Module {
  /** `Flatten`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Flatten';
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    checkNumber(startDim, 'Flatten', 'start_dim', 1, true);
    checkNumber(endDim, 'Flatten', 'end_dim', 2, true);
    this.startDim = startDim;
    this.endDim = endDim;
  }
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return flatten(input, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/**
 * Split dim `dim` into `unflattenedSize` (one entry may be -1, inferred). PyTorch:
 * `torch.nn.Unflatten(dim, unflattened_size)`. Shape: (*, S, *) → (*, u1, u2, ..., *) with ∏u = S.
 */
export class Unflatten extends Module {
  /** `Unflatten`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Unflatten';
  readonly dim: number;
  readonly unflattenedSize: readonly number[];
  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    checkNumber(dim, 'Unflatten', 'dim', 1, true);
    if (!Array.isArray(unflattenedSize)) {
      throw new ArgumentTypeError(`unflattened_size must be tuple of ints, but found type ${typeof unflattenedSize}`);
    }
    unflattenedSize.forEach((s, i) => {
      if (!Number.isInteger(s)) {
        throw new ArgumentTypeError(`unflattened_size must be tuple of ints, but found element of type ${typeof s} at pos ${i}`);
      }
    });
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    const d = normDim(this.dim, input.ndim);
    const size = input.shape[d];
    const sizes = [...this.unflattenedSize];
    const known = sizes.filter((s) => s !== -1).reduce((a, b) => a * b, 1);
    const infer = sizes.indexOf(-1);
    if (infer >= 0 && known > 0 && size % known === 0) sizes[infer] = size / known;
    if (sizes.reduce((a, b) => a * b, 1) !== size || sizes.some((s) => s < 0)) {
      throw new RuntimeError(
        `unflatten: Provided sizes [${this.unflattenedSize.join(', ')}] don't multiply up to the size of dim ${this.dim} (${size}) in the input tensor`,
      );
    }
    return reshape(input, [...input.shape.slice(0, d), ...sizes, ...input.shape.slice(d + 1)]);
  }
  override extraRepr(): string {
    const t = this.unflattenedSize;
    return `dim=${this.dim}, unflattened_size=(${t.join(', ')}${t.length === 1 ? ',' : ''})`;
  }
}
