/**
 * Loss functions. PyTorch: `torch.nn.functional.mse_loss`, `l1_loss`, `nll_loss`,
 * `cross_entropy`, `binary_cross_entropy_with_logits`.
 *
 * `nllLoss` (gather of -log p at the target class, with class weights and ignored targets) and
 * `binaryCrossEntropyWithLogits` are fused ops with PyTorch's gradient formulas; MSE, L1 and
 * cross-entropy compose differentiable ops (log-softmax, then NLL or a weighted sum), so
 * gradients reach every tensor that requires them (input, float targets, weights).
 */

import { isGradEnabled } from '../../autograd/grad-mode.js';
import { record } from '../../autograd/node.js';
import { DTypeError, IndexError, RuntimeError, ShapeError, ValueError } from '../../errors.js';
import * as ops from '../../ops/index.js';
import type { OptionsSchema } from '../../options.js';
import { toDtype } from '../../ops/util.js';
import { checkTensor } from '../../tensor/args.js';
import type { DType, Storage } from '../../tensor/dtype.js';
import { allocStorage, cName, isFloat } from '../../tensor/dtype.js';
import { broadcastShapes, fmtShape, numel, shapeEq } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkBceWithLogitsDtypes, regressionOperands } from './loss-dtypes.js';
import { REGRESSION_LOSS_OPTIONS, NLL_LOSS_OPTIONS, CROSS_ENTROPY_OPTIONS, BCE_WITH_LOGITS_OPTIONS } from './loss-options.js';
import { warn } from './warn.js';

export { REGRESSION_LOSS_OPTIONS, NLL_LOSS_OPTIONS, CROSS_ENTROPY_OPTIONS, BCE_WITH_LOGITS_OPTIONS };

/** How per-element losses are combined. PyTorch: `reduction='mean' | 'sum' | 'none'`. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Throws PyTorch's ValueError for an unknown reduction. */
export function checkReduction(reduction: string): asserts reduction is Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new ValueError(`${reduction} is not a valid value for reduction`);
  }
}

/** @internal The per-element losses, their sum, or their mean, as `reduction` says. */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? ops.sum(loss) : ops.mean(loss);
}

/**
 * @internal A fused loss's result from its per-element losses `per` (of shape `shape`) and their
 * `sum`: `per` itself for 'none', else the sum, divided by `count` for 'mean'.
 */
export function reduceFused(per: Storage, shape: readonly number[], sum: number, count: number, reduction: Reduction, dtype: DType): Tensor {
  if (reduction === 'none') return new Tensor(per, shape, dtype);
  const out = allocStorage(dtype, 1);
  out[0] = reduction === 'sum' ? sum : sum / count;
  return new Tensor(out, [], dtype);
}

/**
 * @internal How every loss starts: its tensor arguments checked in order (PyTorch's argument
 * messages, naming `op`), its options checked by `schema` (`owner` names the taker in messages
 * when the schema is shared), and the reduction defaulted to 'mean' and checked.
 */
export function lossOptions<O extends { reduction?: Reduction }>(
  op: string,
  tensors: Record<string, unknown>,
  schema: OptionsSchema<O>,
  options: O,
  owner?: string,
): O & { reduction: Reduction } {
  let position = 1;
  for (const [name, t] of Object.entries(tensors)) checkTensor(t, op, name, position++);
  const parsed = schema.parse(options, owner);
  const reduction = parsed.reduction ?? 'mean';
  checkReduction(reduction);
  return { ...parsed, reduction };
}

/** @internal PyTorch's spelling of a shape in messages: `torch.Size([2, 3])`. */
export function torchSize(shape: readonly number[]): string {
  return `torch.Size(${fmtShape(shape)})`;
}

/** @internal PyTorch's warning when a regression target broadcasts against the input. */
export function checkRegressionTarget(input: Tensor, target: Tensor): void {
  if (!shapeEq(input.shape, target.shape)) {
    warn(
      `Using a target size (${torchSize(target.shape)}) that is different to the input size (${torchSize(input.shape)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    );
  }
}


/** Options of `F.mseLoss` and `F.l1Loss`. PyTorch: their `reduction` keyword argument. */
export interface RegressionLossOptions {
  reduction?: Reduction;
}

/**
 * PyTorch: `torch.nn.functional.mse_loss(input, target, reduction='mean')`: (x - y)².
 * Shape: input (*), target broadcastable to it (a warning when the shapes differ), output
 * () or (*) with reduction 'none'.
 */
export function mseLoss(input: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor {
  const { reduction } = lossOptions('mse_loss', { input, target }, REGRESSION_LOSS_OPTIONS, options);
  checkRegressionTarget(input, target);
  const [x, y] = regressionOperands('mse_cpu', input, target);
  const d = ops.sub(x, y);
  return reduce(ops.mul(d, d), reduction);
}

/**
 * PyTorch: `torch.nn.functional.l1_loss(input, target, reduction='mean')`: |x - y|
 * (gradient sign(x - y), 0 where they are equal). Shapes as `mseLoss`.
 */
export function l1Loss(input: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor {
  const { reduction } = lossOptions('l1_loss', { input, target }, REGRESSION_LOSS_OPTIONS, options, 'nn.functional.l1Loss');
  checkRegressionTarget(input, target);
  return reduce(ops.abs(ops.sub(input, target)), reduction);
}

/** Options of `F.nllLoss`. PyTorch: the keyword arguments of `torch.nn.functional.nll_loss`. */
export interface NllLossOptions {
  /** Per-class weights (C), or null for all ones. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing (and no weight to the mean). Default -100. */
  ignoreIndex?: number;
  reduction?: Reduction;
}

/**
 * The target checks of PyTorch's `nll_loss_nd`, in its order. Returns (N, C, S): batch, classes,
 * and the product of the extra dims d1...dk.
 */
function nllShape(input: Tensor, target: Tensor): [number, number, number] {
  if (input.ndim < 1) throw new ValueError(`Expected 1 or more dimensions (got ${input.ndim})`);
  if (input.ndim !== 1 && target.ndim > 0 && input.shape[0] !== target.shape[0]) {
    throw new ValueError(
      `Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.shape[0]}).`,
    );
  }
  if (input.ndim <= 2) {
    if (target.ndim > 1) {
      throw new ShapeError(
        `0D or 1D target tensor expected, multi-target not supported (got target of shape ${fmtShape(target.shape)}; class-index targets have one fewer dim than the input)`,
      );
    }
    const noBatch = input.ndim === 1 && target.ndim === 0;
    if (!noBatch && input.shape[0] !== (target.ndim === 0 ? undefined : target.shape[0])) {
      throw new ShapeError(`size mismatch (got input: ${fmtShape(input.shape)}, target: ${fmtShape(target.shape)})`);
    }
    return input.ndim === 1 ? [1, input.shape[0], 1] : [input.shape[0], input.shape[1], 1];
  }
  const expected = [input.shape[0], ...input.shape.slice(2)];
  if (!shapeEq(expected, target.shape)) {
    throw new ShapeError(
      `Expected target size ${fmtShape(expected)}, got ${fmtShape(target.shape)} (for input (N, C, d1, ...) the target is (N, d1, ...): class dim 1 is left out)`,
    );
  }
  return [input.shape[0], input.shape[1], numel(input.shape.slice(2))];
}

function checkClassWeight(weight: Tensor | null, c: number, prefix: string): void {
  if (weight !== null && (weight.ndim !== 1 || weight.numel() !== c)) {
    throw new ShapeError(
      `${prefix}weight tensor should be defined either for all ${c} classes or no classes but got weight tensor of shape: ${fmtShape(weight.shape)}`,
    );
  }
}

function checkIndexTarget(target: Tensor): void {
  if (target.dtype !== 'int64' && target.dtype !== 'int32') {
    // PyTorch parity: PyTorch 1.13 takes only Long (int64) class indices; torchlet also takes int32.
    throw new DTypeError(
      `expected scalar type Long but found ${cName(target.dtype)} (class-index targets are int64: make them with { dtype: 'int64' } or target.long())`,
    );
  }
}

/**
 * PyTorch: `torch.nn.functional.nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean')`.
 * loss[n, d] = -weight[t] * input[n, t, d] with t = target[n, d]; 'mean' divides the sum by the
 * total weight of the non-ignored targets (NaN when every target is ignored, as PyTorch).
 *
 * Shape: input (C), (N, C) or (N, C, d1, ...) log-probabilities; target (), (N) or
 * (N, d1, ...) int64 (or int32) class indices in [0, C); output () or, with 'none', the target's shape.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const { reduction, ignoreIndex = -100, weight = null } = lossOptions('nll_loss_nd', { input, target }, NLL_LOSS_OPTIONS, options);
  const [n, c, s] = nllShape(input, target);
  checkClassWeight(weight, c, '');
  checkIndexTarget(target);
  if (!isFloat(input.dtype)) throw new DTypeError(`"nll_loss_out_frame" not implemented for '${cName(input.dtype)}'`);
  const x = ops.contiguous(input.detach()).contiguousData();
  const t = ops.contiguous(target).contiguousData();
  const w = weight === null ? null : ops.contiguous(weight.detach()).contiguousData();
  for (let i = 0; i < t.length; i++) {
    const cls = t[i];
    if (cls !== ignoreIndex && (cls < 0 || cls >= c)) {
      throw new IndexError(`Target ${cls} is out of bounds. (valid classes are 0..${c - 1})`);
    }
  }
  // Per-target weight (0 for ignored) and loss, target order (n, d).
  const wt = new Float64Array(n * s);
  const per = allocStorage(input.dtype, n * s);
  let total = 0;
  let sum = 0;
  for (let b = 0; b < n; b++) {
    for (let d = 0; d < s; d++) {
      const i = b * s + d;
      const cls = t[i];
      if (cls === ignoreIndex) continue;
      const wi = w === null ? 1 : w[cls];
      wt[i] = wi;
      const li = -wi * x[(b * c + cls) * s + d];
      per[i] = li;
      total += wi;
      sum += li;
    }
  }
  const y = reduceFused(per, target.shape, sum, total, reduction, input.dtype);
  return record('NllLossBackward0', [input], y, ([g]) => {
    const gd = ops.contiguous(g!).contiguousData();
    const dx = allocStorage(input.dtype, input.numel());
    for (let b = 0; b < n; b++) {
      for (let d = 0; d < s; d++) {
        const i = b * s + d;
        if (wt[i] === 0) continue;
        const gi = reduction === 'none' ? gd[i] : reduction === 'sum' ? gd[0] : gd[0] / total;
        dx[(b * c + t[i]) * s + d] = -wt[i] * gi;
      }
    }
    return [new Tensor(dx, input.shape, input.dtype)];
  }, [target], 'linear');
}

/** Options of `F.crossEntropy`. PyTorch: the keyword arguments of `torch.nn.functional.cross_entropy`. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution: (1 - ε) target + ε / C. Default 0. */
  labelSmoothing?: number;
}

/**
 * PyTorch: `torch.nn.functional.cross_entropy(input, target, weight=None, ignore_index=-100,
 * reduction='mean', label_smoothing=0.0)`: log-softmax over the class dim, then the negative
 * log-likelihood of the targets.
 *
 * Targets are either int64 (or int32) class indices (shape as `nllLoss`) or float class probabilities of
 * the input's own shape (soft targets; no `ignoreIndex` then). With class indices and 'mean',
 * the sum is divided by the total weight of the non-ignored targets; with probabilities, by the
 * number of samples N * d1 * ... (PyTorch's two different weighted-mean rules).
 *
 * Shape: input (C), (N, C) or (N, C, d1, ...) unnormalised logits (class dim 1, or 0 when
 * unbatched); output () or, with 'none', the input's shape without its class dim.
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const o = lossOptions('cross_entropy_loss', { input, target }, CROSS_ENTROPY_OPTIONS, options);
  const { reduction, ignoreIndex = -100, weight = null, labelSmoothing: smoothing = 0 } = o;
  const classDim = input.ndim === 1 ? 0 : 1;
  if (shapeEq(input.shape, target.shape)) {
    if (!isFloat(target.dtype)) {
      throw new DTypeError('Expected floating point type for target with class probabilities, got Int');
    }
    if (ignoreIndex >= 0) throw new RuntimeError('ignore_index is not supported for floating point target');
    return crossEntropyProbs(input, target, weight, reduction, smoothing, classDim);
  }
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new RuntimeError(`label_smoothing must be between 0.0 and 1.0. Got: ${smoothing}`);
  }
  if (input.ndim >= 1) checkClassWeight(weight, input.shape[classDim], 'cross_entropy: ');
  const logp = ops.logSoftmax(input, classDim);
  const nll = nllLoss(logp, target, { weight, ignoreIndex, reduction });
  if (smoothing === 0) return nll;
  // PyTorch's label smoothing for class indices: (1 - ε) nll + (ε / C) Σ_c -w_c log p_c,
  // zero at ignored targets, with the same weighted-mean denominator as nll.
  const c = input.shape[classDim];
  const wView = weight === null ? null : ops.reshape(weight, input.shape.map((sz, i) => (i === classDim ? sz : 1)));
  let smooth = ops.neg(ops.sum(wView === null ? logp : ops.mul(logp, wView), classDim));
  const ignored = ops.eq(target, ignoreIndex);
  smooth = ops.maskedFill(smooth, ignored, 0);
  let ret: Tensor;
  if (reduction === 'mean') {
    const t = target.contiguousData();
    const w = weight?.contiguousData() ?? null;
    let denom = 0;
    for (let i = 0; i < t.length; i++) if (t[i] !== ignoreIndex) denom += w === null ? 1 : w[t[i]];
    ret = ops.div(ops.sum(smooth), denom);
  } else {
    ret = reduction === 'sum' ? ops.sum(smooth) : smooth;
  }
  return ops.add(ops.mul(nll, 1 - smoothing), ops.mul(ret, smoothing / c));
}

function crossEntropyProbs(
  input: Tensor,
  target0: Tensor,
  weight: Tensor | null,
  reduction: Reduction,
  smoothing: number,
  classDim: number,
): Tensor {
  const c = input.shape[classDim];
  checkClassWeight(weight, c, 'cross_entropy: ');
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new RuntimeError(`label_smoothing must be between 0.0 and 1.0. Got: ${smoothing}`);
  }
  const target = smoothing > 0 ? ops.add(ops.mul(target0, 1 - smoothing), smoothing / c) : target0;
  const logp = ops.logSoftmax(input, classDim);
  let prod = ops.mul(logp, target);
  if (weight !== null) prod = ops.mul(prod, ops.reshape(weight, input.shape.map((sz, i) => (i === classDim ? sz : 1))));
  if (reduction === 'none') return ops.neg(ops.sum(prod, classDim));
  const total = ops.neg(ops.sum(prod));
  return reduction === 'sum' ? total : ops.div(total, input.numel() / c);
}

/** Options of `F.binaryCrossEntropyWithLogits`. PyTorch: the keyword arguments of `torch.nn.functional.binary_cross_entropy_with_logits`. */
export interface BceWithLogitsOptions {
  /** Per-element weight, broadcast against the input. */
  weight?: Tensor | null;
  /** Weight of the positive term, broadcast along the last (class) dim. */
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

/** log(1 + exp(v)) without overflow. */
function softplus(v: number): number {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

/**
 * PyTorch: `torch.nn.functional.binary_cross_entropy_with_logits(input, target, weight=None,
 * reduction='mean', pos_weight=None)`:
 * loss = -w [p y log σ(x) + (1 - y) log(1 - σ(x))] = w [(1 - y) x + (1 + (p - 1) y) softplus(-x)],
 * evaluated without overflow for any logit. One fused op; gradients as PyTorch's:
 * dx = w ((1 + (p - 1) y) σ(x) - p y), dy = w (p softplus(-x) - softplus(x)).
 * `weight` and `posWeight` are constants (PyTorch refuses them when they require grad).
 *
 * Shape: input (*) logits; target (*) the same shape; weight broadcastable to it; posWeight
 * broadcastable along the last (class) dim; output () or (*) with 'none'.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const o = lossOptions('binary_cross_entropy_with_logits', { input, target }, BCE_WITH_LOGITS_OPTIONS, options);
  const { reduction, weight = null, posWeight = null } = o;
  if (!shapeEq(input.shape, target.shape)) {
    throw new ValueError(`Target size (${torchSize(target.shape)}) must be the same as input size (${torchSize(input.shape)})`);
  }
  checkBceWithLogitsDtypes(input, target);
  const constants = [['weight', weight], ['pos_weight', posWeight]] as const;
  for (const [name, t] of constants) {
    if (t?.requiresGrad && isGradEnabled()) {
      throw new RuntimeError(
        `The function 'binary_cross_entropy_with_logits' is not differentiable with respect to argument '${name}'. This input cannot have requires_grad True.`,
      );
    }
  }
  const n = input.numel();
  const spread = (t: Tensor | null): ArrayLike<number> | null => {
    if (!t) return null;
    // PyTorch's broadcasting message first ("The size of tensor a (2) must match ...").
    broadcastShapes(t.shape, input.shape);
    return ops.contiguous(ops.expand(t.detach(), input.shape)).contiguousData();
  };
  const w = spread(weight);
  const pw = spread(posWeight);
  const x = ops.contiguous(input.detach()).contiguousData();
  const y = ops.contiguous(target.detach()).contiguousData();
  const per = allocStorage(input.dtype, n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const yi = y[i];
    const logWeight = pw === null ? 1 : 1 + (pw[i] - 1) * yi;
    const li = ((1 - yi) * xi + logWeight * softplus(-xi)) * (w === null ? 1 : w[i]);
    per[i] = li;
    sum += li;
  }
  const out = reduceFused(per, input.shape, sum, n, reduction, input.dtype);
  const targetFloat = isFloat(target.dtype);
  const loss = record('BinaryCrossEntropyWithLogitsBackward0', targetFloat ? [input, target] : [input], out, ([g]) => {
    const gd = ops.contiguous(g!).contiguousData();
    const scale = reduction === 'mean' ? 1 / n : 1;
    const dx = input.requiresGrad ? allocStorage(input.dtype, n) : null;
    const dy = targetFloat && target.requiresGrad ? allocStorage(target.dtype, n) : null;
    for (let i = 0; i < n; i++) {
      const gi = (reduction === 'none' ? gd[i] : gd[0]) * scale * (w === null ? 1 : w[i]);
      const xi = x[i];
      const p = pw === null ? 1 : pw[i];
      if (dx !== null) {
        const sig = 1 / (1 + Math.exp(-xi));
        dx[i] = gi * ((1 + (p - 1) * y[i]) * sig - p * y[i]);
      }
      if (dy !== null) dy[i] = gi * (p * softplus(-xi) - softplus(xi));
    }
    const grads = [dx === null ? null : new Tensor(dx, input.shape, input.dtype)];
    if (targetFloat) grads.push(dy === null ? null : new Tensor(dy, target.shape, target.dtype));
    return grads;
  }, [input, target], 'raw');
  // PyTorch parity: its result has the target's dtype (computed in place in `1 - target`).
  return loss.dtype === target.dtype ? loss : toDtype(loss, target.dtype);
}
