/**
 * PyTorch's default initialisations for the layers here (`reset_parameters`), drawn from the
 * generator `torch.manualSeed` seeds. Parameters are drawn in PyTorch's order (weight, then bias).
 */

import { full, randn, uniform } from '../../ops/creation.js';
import type { FloatDType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Parameter } from '../parameter.js';

/**
 * The bound of `kaiming_uniform_(w, a=√5)` on a weight with fan-in `fanIn`:
 * gain √(2 / (1 + a²)) · √(3 / fanIn) = 1 / √fanIn. PyTorch: Linear's and Conv's weight init.
 */
export function kaimingUniformBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}

/** A parameter drawn from U(-bound, bound). */
export function uniformParameter(shape: readonly number[], bound: number, dtype: FloatDType): Parameter {
  return new Parameter(uniform(shape, -bound, bound, { dtype }));
}

/** A parameter drawn from N(0, 1). PyTorch: Embedding's `normal_`. */
export function normalParameter(shape: readonly number[], dtype: FloatDType): Parameter {
  return new Parameter(randn([...shape], { dtype }));
}

/** A parameter filled with one value (norm layers: ones for weight, zeros for bias). */
export function constantParameter(shape: readonly number[], value: number, dtype: FloatDType): Parameter {
  return new Parameter(full(shape, value, { dtype }));
}

/** A non-trainable tensor filled with one value (running statistics). */
export function constantBuffer(shape: readonly number[], value: number, dtype: FloatDType | 'int64'): Tensor {
  return full(shape, value, { dtype });
}
