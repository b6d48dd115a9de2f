/**
 * More loss functions. PyTorch: `torch.nn.functional.binary_cross_entropy`, `huber_loss`,
 * `smooth_l1_loss`, `kl_div`, `cosine_embedding_loss` (1.13). Each composes differentiable ops
 * in PyTorch's formula, so gradients reach the input (and float targets where PyTorch has them);
 * binaryCrossEntropy is one fused op with PyTorch's gradient formulas (its clamps differ from the
 * composed ones near 0 and 1).
 */

import { record } from '../../autograd/node.js';
import { RuntimeError, ShapeError, ValueError } from '../../errors.js';
import * as ops from '../../ops/index.js';
import { toDtype } from '../../ops/util.js';
import { checkTensor } from '../../tensor/args.js';
import { allocStorage, isFloat } from '../../tensor/dtype.js';
import { shapeEq } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import type { Reduction } from './loss.js';
import { checkReduction, checkRegressionTarget, lossOptions, reduce, torchSize } from './loss.js';
import { checkBceDtypes, checkKlDivDtypes, regressionOperands } from './loss-dtypes.js';
import { BCE_OPTIONS, HUBER_LOSS_OPTIONS, SMOOTH_L1_LOSS_OPTIONS, KL_DIV_OPTIONS, COSINE_EMBEDDING_LOSS_OPTIONS } from './loss-options.js';
import { warn } from './warn.js';

export { BCE_OPTIONS, HUBER_LOSS_OPTIONS, SMOOTH_L1_LOSS_OPTIONS, KL_DIV_OPTIONS, COSINE_EMBEDDING_LOSS_OPTIONS };

const EPSILON = Math.fround(1e-12);

/** PyTorch: `binary_cross_entropy(input, target, weight=None, reduction='mean')`. */
export interface BceOptions {
  /** Per-element weight, broadcast against the input. */
  weight?: Tensor | null;
  reduction?: Reduction;
}

/**
 * Binary cross-entropy of probabilities: -w [y log x + (1 - y) log(1 - x)], each log clamped at
 * -100 as PyTorch does (so x = 0 or 1 gives a finite loss). PyTorch:
 * `torch.nn.functional.binary_cross_entropy`. Shape: input (*) in [0, 1], target (*) the same
 * shape, weight broadcastable; output () or (*) with 'none'. Prefer
 * `binaryCrossEntropyWithLogits` on logits (more stable).
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  const { reduction, weight = null } = lossOptions('binary_cross_entropy', { input, target }, BCE_OPTIONS, options);
  if (!shapeEq(input.shape, target.shape)) {
    throw new ValueError(
      `Using a target size (${torchSize(target.shape)}) that is different to the input size (${torchSize(input.shape)}) is deprecated. Please ensure they have the same size.`,
    );
  }
  checkBceDtypes(input, target);
  const x = ops.contiguous(input.detach()).contiguousData();
  for (let i = 0; i < x.length; i++) {
    if (!(x[i] >= 0 && x[i] <= 1)) throw new RuntimeError('all elements of input should be between 0 and 1');
  }
  const y = ops.contiguous(toDtype(target.detach(), input.dtype)).contiguousData();
  const w = weight ? ops.contiguous(ops.expand(weight.detach(), input.shape)).contiguousData() : null;
  const n = x.length;
  const per = allocStorage(input.dtype, n);
  // The logs clamped at -100, as PyTorch's kernel does.
  const logs = (xi: number): [number, number] => [Math.max(Math.log(xi), -100), Math.max(Math.log1p(-xi), -100)];
  for (let i = 0; i < n; i++) {
    const [lx, l1x] = logs(x[i]);
    per[i] = -(y[i] * lx + (1 - y[i]) * l1x) * (w === null ? 1 : w[i]);
  }
  const out = new Tensor(per, input.shape, input.dtype);
  const targetFloat = isFloat(target.dtype);
  // PyTorch's gradients: dx = w (x - y) / max((1 - x) x, ε), dy = w (log(1 - x) - log x) with clamped
  // logs; ε is PyTorch's EPSILON, the float32 1e-12.
  const loss = record('BinaryCrossEntropyBackward0', targetFloat ? [input, target] : [input], out, ([g]) => {
    const gd = ops.contiguous(g!).contiguousData();
    const dx = input.requiresGrad ? allocStorage(input.dtype, n) : null;
    const dy = targetFloat && target.requiresGrad ? allocStorage(target.dtype, n) : null;
    for (let i = 0; i < n; i++) {
      const gi = gd[i] * (w === null ? 1 : w[i]);
      const xi = x[i];
      if (dx !== null) dx[i] = (gi * (xi - y[i])) / Math.max((1 - xi) * xi, EPSILON);
      if (dy !== null) {
        const [lx, l1x] = logs(xi);
        dy[i] = gi * (l1x - lx);
      }
    }
    const grads = [dx === null ? null : new Tensor(dx, input.shape, input.dtype)];
    if (targetFloat) grads.push(dy === null ? null : new Tensor(dy, target.shape, target.dtype));
    return grads;
  });
  return reduce(loss, reduction);
}

/** PyTorch: `huber_loss(input, target, reduction='mean', delta=1.0)`. */
export interface HuberLossOptions {
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear; > 0. */
  delta?: number;
}

/**
 * 0.5 (x - y)² where |x - y| < delta, else delta (|x - y| - 0.5 delta). PyTorch:
 * `torch.nn.functional.huber_loss`. Shape: input (*), target (*) broadcastable (a warning when
 * the shapes differ); output () or (*) with 'none'.
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const { reduction, delta = 1.0 } = lossOptions('huber_loss', { input, target }, HUBER_LOSS_OPTIONS, options);
  if (!(delta > 0)) throw new RuntimeError('huber_loss does not support non-positive values for delta.');
  checkRegressionTarget(input, target);
  const [x, y] = regressionOperands('huber_cpu', input, target);
  const z = ops.abs(ops.sub(x, y));
  const quad = ops.mul(ops.mul(z, z), 0.5);
  const lin = ops.mul(ops.sub(z, 0.5 * delta), delta);
  return reduce(ops.where(ops.lt(z, delta), quad, lin), reduction);
}

/** PyTorch: `smooth_l1_loss(input, target, reduction='mean', beta=1.0)`. */
export interface SmoothL1LossOptions {
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear; ≥ 0 (0 is the L1 loss). */
  beta?: number;
}

/**
 * 0.5 (x - y)² / beta where |x - y| < beta, else |x - y| - 0.5 beta. PyTorch:
 * `torch.nn.functional.smooth_l1_loss`. Shapes as `huberLoss`; Huber with delta = beta, divided by beta.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const { reduction, beta = 1.0 } = lossOptions('smooth_l1_loss', { input, target }, SMOOTH_L1_LOSS_OPTIONS, options);
  if (!(beta >= 0)) throw new RuntimeError('smooth_l1_loss does not support negative values for beta.');
  checkRegressionTarget(input, target);
  const [x, y] = regressionOperands('smooth_l1_cpu', input, target);
  const z = ops.abs(ops.sub(x, y));
  if (beta === 0) return reduce(z, reduction);
  const quad = ops.div(ops.mul(ops.mul(z, z), 0.5), beta);
  const lin = ops.sub(z, 0.5 * beta);
  return reduce(ops.where(ops.lt(z, beta), quad, lin), reduction);
}

/** kl_div's reductions: also 'batchmean' (the sum divided by the batch size). PyTorch: the `reduction` argument of `torch.nn.functional.kl_div`. */
export type KlDivReduction = Reduction | 'batchmean';

/** PyTorch: `kl_div(input, target, reduction='mean', log_target=False)`. */
export interface KlDivOptions {
  reduction?: KlDivReduction;
  /** The target is given as log-probabilities. */
  logTarget?: boolean;
}

/**
 * Kullback–Leibler divergence with the input as log-probabilities: y (log y - x), or
 * exp(y) (y - x) with `logTarget` (0 where y = 0, as PyTorch's xlogy). PyTorch:
 * `torch.nn.functional.kl_div`. Shape: input (*), target (*) broadcastable; output () or (*)
 * with 'none'. 'batchmean' (sum / N) is the mathematical KL; 'mean' divides by every element
 * too (PyTorch warns, and so does torchlet).
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  checkTensor(input, 'kl_div', 'input', 1);
  checkTensor(target, 'kl_div', 'target', 2);
  options = KL_DIV_OPTIONS.parse(options);
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'batchmean') checkReduction(reduction);
  if (reduction === 'mean') {
    warn(
      "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' divides only by the batch size, and aligns with the KL div math definition.'mean' will be changed to behave the same as 'batchmean' in the next major release.",
    );
  }
  checkKlDivDtypes(input, target);
  let loss: Tensor;
  if (options.logTarget) {
    loss = ops.mul(ops.exp(target), ops.sub(target, input));
  } else {
    // PyTorch's xlogy(y, y) - y·x: 0 where y = 0 (whose target gradient is NaN there, as PyTorch's).
    const ylogy = ops.where(ops.eq(target, 0), 0, ops.mul(target, ops.log(target)));
    loss = ops.sub(ylogy, ops.mul(target, input));
  }
  if (reduction === 'batchmean') {
    const total = ops.sum(loss);
    return input.ndim === 0 ? total : ops.div(total, input.shape[0]);
  }
  return reduce(loss, reduction);
}

/** PyTorch: `cosine_embedding_loss(input1, input2, target, margin=0, reduction='mean')`. */
export interface CosineEmbeddingLossOptions {
  /** In [-1, 1]; 0 to 0.5 suggested. */
  margin?: number;
  reduction?: Reduction;
}

/**
 * 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (0 for other labels).
 * PyTorch: `torch.nn.functional.cosine_embedding_loss`, with its 1e-12 added to each squared norm.
 * Shape: input1, input2 (N, D) with target (N), or (D) with target (); output () or (N) with 'none'.
 */
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: CosineEmbeddingLossOptions = {},
): Tensor {
  const tensors = { input1, input2, target };
  const { reduction, margin = 0 } = lossOptions('cosine_embedding_loss', tensors, COSINE_EMBEDDING_LOSS_OPTIONS, options);
  const td = target.ndim;
  if (td !== 0 && td !== 1) throw new RuntimeError('0D or 1D target tensor expected, multi-target not supported');
  const sizes = `[${input1.shape.join(', ')}] and [${input2.shape.join(', ')}]`;
  if (td === 1 && !(input1.ndim === 2 && input2.ndim === 2)) {
    throw new ShapeError(`1D target tensor expects 2D input tensors, but found inputs with sizes ${sizes}.`);
  }
  if (td === 0 && !(input1.ndim === 1 && input2.ndim === 1)) {
    throw new ShapeError(`0D target tensor expects 1D input tensors, but found inputs with sizes ${sizes}.`);
  }
  const EPS = 1e-12;
  const prodSum = ops.sum(ops.mul(input1, input2), td);
  const mag1 = ops.add(ops.sum(ops.mul(input1, input1), td), EPS);
  const mag2 = ops.add(ops.sum(ops.mul(input2, input2), td), EPS);
  const cos = ops.div(prodSum, ops.sqrt(ops.mul(mag1, mag2)));
  const pos = ops.sub(1, cos);
  const neg = ops.clamp(ops.sub(cos, margin), 0);
  const out = ops.add(ops.where(ops.eq(target, 1), pos, 0), ops.where(ops.eq(target, -1), neg, 0));
  return reduce(out, reduction);
}
