/** Dropout as a layer. PyTorch: `torch.nn.Dropout`. */

import type { Tensor } from '../../tensor/tensor.js';
import { checkDropoutP, dropout } from '../functional/dropout.js';
import { Module } from '../module.js';
import { pyFloat } from './repr.js';
import { checkTensor } from '../../tensor/args.js';

/**
 * Zeroes each element with probability `p` in training and scales the rest by 1 / (1 - p);
 * the identity in eval mode. PyTorch: `torch.nn.Dropout(p=0.5)`.
 *
 * Shape: any; output like input. The mask comes from the generator `torch.manualSeed` seeds.
 * PyTorch parity: no `inplace` option (tensors here are not modified in place by layers).
 */
export class Dropout extends Module {
  /** `Dropout`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Dropout';
  readonly p: number;

  constructor(p = 0.5) {
    super();
    checkDropoutP(p);
    this.p = p;
  }

  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return dropout(input, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
