/**
 * A recorded operation in the autograd graph: PyTorch's `grad_fn` (`AddBackward0`, ...).
 * It knows its inputs and how to turn the gradients of its outputs into gradients of its inputs.
 */

import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';

/**
 * Gradients of the outputs in, gradients of the inputs out. A null output gradient means zeros
 * (an unused output of a multi-output node); return null for an input that needs no gradient.
 */
export type BackwardFn = (gradOutputs: (Tensor | null)[]) => (Tensor | null)[];

/** One recorded op of the graph (PyTorch: a `grad_fn` object such as `<MulBackward0>`). */
export class GradNode {
  constructor(
    /** PyTorch's grad_fn class name, e.g. `MulBackward0`. */
    readonly name: string,
    readonly inputs: readonly Tensor[],
    readonly backward: BackwardFn,
    readonly numOutputs: number,
  ) {}

  toString(): string {
    return `<${this.name}>`;
  }
}

/**
 * Record an op: when grad mode is on and an input requires grad, the outputs get a grad_fn
 * pointing at one shared node. Returns the outputs for chaining.
 */
export function record<T extends Tensor | Tensor[]>(name: string, inputs: readonly Tensor[], outputs: T, backward: BackwardFn): T {
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return outputs;
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const node = new GradNode(name, inputs, backward, outs.length);
  outs.forEach((o, i) => {
    o._setGradFn(node, i);
  });
  return outputs;
}
