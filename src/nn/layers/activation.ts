/**
 * Activations as layers. PyTorch: `torch.nn.Tanh`, `ReLU`, `Sigmoid`, `GELU`, `LeakyReLU`,
 * `ELU`, `Softmax`, `LogSoftmax`. Shape: any; output like input.
 */

import type { Tensor } from '../../tensor/tensor.js';
import { elu, gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh } from '../functional/activation.js';
import { Module } from '../module.js';
import { pyFloat } from './repr.js';
import { ArgumentTypeError, typeName } from '../../errors.js';
import { checkNumber, checkTensor } from '../../tensor/args.js';

/** PyTorch: `torch.nn.Tanh`. */
export class Tanh extends Module {
  /** `Tanh`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Tanh';
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return tanh(input);
  }
}

/** PyTorch: `torch.nn.ReLU`: max(x, 0). */
export class ReLU extends Module {
  /** `ReLU`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'ReLU';
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return relu(input);
  }
}

/** PyTorch: `torch.nn.Sigmoid`. */
export class Sigmoid extends Module {
  /** `Sigmoid`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Sigmoid';
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return sigmoid(input);
  }
}

/** PyTorch: `torch.nn.GELU(approximate='none')`: x Φ(x), or the tanh approximation. */
export class GELU extends Module {
  /** `GELU`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'GELU';
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
    if (typeof approximate !== 'string') {
      throw new ArgumentTypeError(`GELU(): argument 'approximate' (position 1) must be str, not ${typeName(approximate)}`);
    }
  }
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return gelu(input, this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** PyTorch: `torch.nn.LeakyReLU(negative_slope=0.01)`. */
export class LeakyReLU extends Module {
  /** `LeakyReLU`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'LeakyReLU';
  constructor(readonly negativeSlope = 0.01) {
    super();
    checkNumber(negativeSlope, 'LeakyReLU', 'negative_slope', 1);
  }
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return leakyRelu(input, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

/** PyTorch: `torch.nn.ELU(alpha=1.0)`. */
export class ELU extends Module {
  /** `ELU`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'ELU';
  constructor(readonly alpha = 1.0) {
    super();
    checkNumber(alpha, 'ELU', 'alpha', 1);
  }
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return elu(input, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

/** PyTorch: `torch.nn.Softmax(dim=None)`: probabilities along `dim`. */
export class Softmax extends Module {
  /** `Softmax`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Softmax';
  constructor(readonly dim: number | null = null) {
    super();
    if (dim !== null) checkNumber(dim, 'Softmax', 'dim', 1, true);
  }
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return softmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim ?? 'None'}`;
  }
}

/** PyTorch: `torch.nn.LogSoftmax(dim=None)`: log-probabilities along `dim`. */
export class LogSoftmax extends Module {
  /** `LogSoftmax`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'LogSoftmax';
  constructor(readonly dim: number | null = null) {
    super();
    if (dim !== null) checkNumber(dim, 'LogSoftmax', 'dim', 1, true);
  }
  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return logSoftmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim ?? 'None'}`;
  }
}
