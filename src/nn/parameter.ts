/** A tensor that is a module parameter. PyTorch: `torch.nn.Parameter`. */

import { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../tensor/dtype.js';

export class Parameter extends Tensor {
  /** Wraps `data` (sharing its storage) as a leaf that requires grad (unless `requiresGrad` is false). */
  constructor(data: Tensor, requiresGrad = true) {
    const c = data.contiguous();
    super(c.storage, c.shape, c.dtype, c.strides, c.offset);
    this.requiresGrad = requiresGrad && isFloat(data.dtype);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}
