/**
 * Normalisation. PyTorch: `torch.nn.functional.layer_norm`, `group_norm`, `batch_norm`.
 * Each views its input as rows, standardises them with one fused op (src/ops/norm.ts) and
 * applies the optional per-feature scale and shift with ordinary broadcasting ops.
 */

import { checkNumber, checkOptionalTensor, checkTensor } from '../../tensor/args.js';
import { RuntimeError, ShapeError, ValueError } from '../../errors.js';
import { normalizeRows, normalizeWithStats } from '../../ops/norm.js';
import { reshape } from '../../ops/shape.js';
import { fmtShape, normDim, numel } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { defineOptions, opt } from '../../options.js';

/**
 * PyTorch: `torch.nn.functional.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5)`.
 * Normalises over the last `normalizedShape.length` dims.
 *
 * Shape: input (*, ...normalizedShape); weight, bias: normalizedShape or null; output like input.
 */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  checkTensor(input, 'layer_norm', 'input', 1);
  checkOptionalTensor(weight, 'layer_norm', 'weight', 3);
  checkOptionalTensor(bias, 'layer_norm', 'bias', 4);
  checkNumber(eps, 'layer_norm', 'eps', 5);
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const tail = input.shape.slice(input.ndim - ns.length);
  if (input.ndim < ns.length || tail.some((s, i) => s !== ns[i])) {
    throw new ShapeError(
      `Given normalized_shape=${fmtShape(ns)}, expected input with shape [*, ${ns.join(', ')}], but got input of size${fmtShape(input.shape)}`,
    );
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t !== null && (t.ndim !== ns.length || t.shape.some((s, i) => s !== ns[i]))) {
      throw new ShapeError(
        `Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape ${fmtShape(t.shape)} and normalized_shape = ${fmtShape(ns)}`,
      );
    }
  }
  const k = numel(ns);
  const { output } = normalizeRows(reshape(input, [-1, k]), {
    eps,
    weight: weight === null ? null : reshape(weight, [k]),
    bias: bias === null ? null : reshape(bias, [k]),
    name: 'NativeLayerNormBackward0',
    shape: input.shape,
  });
  return output;
}

/**
 * PyTorch: `torch.nn.functional.group_norm(input, num_groups, weight=None, bias=None, eps=1e-5)`.
 * Channels are split into `numGroups` groups; each (sample, group) is normalised over its
 * channels and positions.
 *
 * Shape: input (N, C, *); weight, bias (C) or null; output like input.
 */
export function groupNorm(
  input: Tensor,
  numGroups: number,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  checkTensor(input, 'group_norm', 'input', 1);
  checkNumber(numGroups, 'group_norm', 'num_groups', 2, true);
  checkOptionalTensor(weight, 'group_norm', 'weight', 3);
  checkOptionalTensor(bias, 'group_norm', 'bias', 4);
  checkNumber(eps, 'group_norm', 'eps', 5);
  normDim(1, input.ndim);
  const [n, c] = input.shape as [number, number];
  if (c % numGroups !== 0) {
    throw new ShapeError(
      `Expected number of channels in input to be divisible by num_groups, but got input of shape ${fmtShape(input.shape)} and num_groups=${numGroups}`,
    );
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t !== null && (t.ndim !== 1 || t.shape[0] !== c)) {
      throw new ShapeError(
        `Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape ${fmtShape(t.shape)} and input of shape ${fmtShape(input.shape)}`,
      );
    }
  }
  // Rows are (sample, group); each channel's parameters repeat over its positions.
  const positions = n * c === 0 ? 1 : input.numel() / (n * c);
  const { output } = normalizeRows(reshape(input, [n * numGroups, -1]), {
    eps,
    weight,
    bias,
    layout: { groups: numGroups, repeat: positions },
    name: 'NativeGroupNormBackward0',
    shape: input.shape,
  });
  return output;
}

/** Options of `F.batchNorm`. PyTorch: the keyword arguments of `torch.nn.functional.batch_norm`. */
export interface BatchNormOptions {
  /** Per-channel scale (C) or null. */
  weight?: Tensor | null;
  /** Per-channel shift (C) or null. */
  bias?: Tensor | null;
  /** Use the batch's statistics (and update the running ones) instead of the running ones. */
  training?: boolean;
  /** Weight of the new batch in the running-statistics update. Default 0.1. */
  momentum?: number;
  eps?: number;
}
/** Run-time check of `BatchNormOptions` (src/options.ts). */
export const BATCH_NORM_OPTIONS = defineOptions<BatchNormOptions>('nn.functional.batchNorm', {
  weight: opt.nullable(opt.instance(() => Tensor, 'Tensor')),
  bias: opt.nullable(opt.instance(() => Tensor, 'Tensor')),
  training: opt.bool,
  momentum: opt.number,
  eps: opt.number,
});

/**
 * The argument checks of `batchNorm`, in PyTorch's order and wording (exported so BatchNorm1d
 * can run them before it touches its batch counter).
 */
export function checkBatchNormArgs(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
): void {
  normDim(1, input.ndim);
  const c = input.shape[1];
  if (training) {
    const perChannel = input.numel() / Math.max(c, 1);
    if (perChannel === 1) {
      throw new ValueError(
        `Expected more than 1 value per channel when training, got input size torch.Size(${fmtShape(input.shape)})`,
      );
    }
  }
  for (const [name, t] of [['running_mean', runningMean], ['running_var', runningVar], ['weight', weight], ['bias', bias]] as const) {
    if (t !== null && t.numel() !== c) throw new ShapeError(`${name} should contain ${c} elements not ${t.numel()}`);
  }
}

/**
 * PyTorch: `torch.nn.functional.batch_norm(input, running_mean, running_var, weight=None,
 * bias=None, training=False, momentum=0.1, eps=1e-5)`.
 *
 * Training: normalise with the batch mean and biased variance per channel, and (when running
 * tensors are given) update them in place: running = (1 - momentum) * running + momentum * batch,
 * with the unbiased variance for `runningVar`. Evaluation: normalise with the running statistics.
 *
 * Shape: input (N, C) or (N, C, L) (any (N, C, *)); runningMean, runningVar, weight, bias (C).
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  checkTensor(input, 'batch_norm', 'input', 1);
  checkOptionalTensor(runningMean, 'batch_norm', 'running_mean', 2);
  checkOptionalTensor(runningVar, 'batch_norm', 'running_var', 3);
  options = BATCH_NORM_OPTIONS.parse(options);
  const weight = options.weight ?? null;
  const bias = options.bias ?? null;
  const training = options.training ?? false;
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  checkBatchNormArgs(input, runningMean, runningVar, weight, bias, training);
  const c = input.shape[1];
  // Viewed as (N, C, positions); the output keeps the input's shape.
  const positions = input.ndim > 2 ? numel(input.shape.slice(2)) : 1;
  if (!training) {
    if (runningMean === null || runningVar === null) {
      throw new RuntimeError(`${runningMean === null ? 'running_mean' : 'running_var'} must be defined in evaluation mode`);
    }
    return normalizeWithStats(reshape(input, [input.shape[0], c, positions]), {
      mean: runningMean,
      variance: runningVar,
      eps,
      weight,
      bias,
      shape: input.shape,
    });
  }
  // Rows are channels: the middle axis of (N, C, positions).
  const { output, mean, variance } = normalizeRows(reshape(input, [input.shape[0], c, positions]), {
    eps,
    weight,
    bias,
    layout: { groups: c, repeat: Math.max(input.shape[0] * positions, 1) },
    name: 'NativeBatchNormBackward0',
    middleAxisRows: true,
    shape: input.shape,
  });
  // Running statistics are updated in float64 and rounded once, as PyTorch's CPU kernel does.
  const count = input.shape[0] * positions;
  const update = (running: Tensor | null, batch: ArrayLike<number>, scale: number): void => {
    if (running === null) return;
    const old = running.contiguousData();
    running.copy_(Array.from(old, (v, i) => (1 - momentum) * v + momentum * batch[i] * scale));
  };
  update(runningMean, mean.contiguousData(), 1);
  update(runningVar, variance.contiguousData(), count / Math.max(count - 1, 1));
  return output;
}
