/** Normalisation layers. PyTorch: `torch.nn.LayerNorm`, `torch.nn.GroupNorm`, `torch.nn.BatchNorm1d`. */

import { ValueError } from '../../errors.js';
import type { FloatDType } from '../../tensor/dtype.js';
import { fmtShape, fmtTuple } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { batchNorm, checkBatchNormArgs, groupNorm, layerNorm } from '../functional/norm.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { constantBuffer, constantParameter } from './init.js';
import { pyFloat } from './repr.js';
import { defineOptions, opt } from '../../options.js';
import { checkTensor } from '../../tensor/args.js';

const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/** `nn.LayerNorm` options. PyTorch: the keyword arguments of `torch.nn.LayerNorm`. */
export interface LayerNormOptions {
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** Learn a per-element `weight` (ones) and `bias` (zeros) of normalizedShape. Default true. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, also learn the bias. Default true. PyTorch >= 2.1's `bias`. */
  bias?: boolean;
  dtype?: FloatDType;
}
/** Run-time check of `LayerNormOptions` (src/options.ts). */
export const LAYER_NORM_OPTIONS = defineOptions<LayerNormOptions>('nn.LayerNorm', {
  eps: opt.number,
  elementwiseAffine: opt.bool,
  bias: opt.bool,
  dtype: opt.string,
});

/**
 * Normalises each sample over its last dims. PyTorch: `torch.nn.LayerNorm(normalized_shape,
 * eps=1e-05, elementwise_affine=True, bias=True)`.
 *
 * Shape: input (*, ...normalizedShape), output like input. Parameters: `weight` (ones) and
 * `bias` (zeros), both of normalizedShape.
 */
export class LayerNorm extends Module {
  /** `LayerNorm`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'LayerNorm';
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    options = LAYER_NORM_OPTIONS.parse(options);
    this.normalizedShape = Object.freeze(typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape]);
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const dtype = options.dtype ?? 'float32';
    const affine = this.elementwiseAffine;
    this.weight = this.registerParameter('weight', affine ? constantParameter(this.normalizedShape, 1, dtype) : null);
    this.bias = this.registerParameter(
      'bias',
      affine && (options.bias ?? true) ? constantParameter(this.normalizedShape, 0, dtype) : null,
    );
  }

  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${fmtTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** `nn.GroupNorm` options. PyTorch: the keyword arguments of `torch.nn.GroupNorm`. */
export interface GroupNormOptions {
  eps?: number;
  /** Learn a per-channel `weight` (ones) and `bias` (zeros). Default true. */
  affine?: boolean;
  dtype?: FloatDType;
}
/** Run-time check of `GroupNormOptions` (src/options.ts). */
export const GROUP_NORM_OPTIONS = defineOptions<GroupNormOptions>('nn.GroupNorm', { eps: opt.number, affine: opt.bool, dtype: opt.string });

/**
 * Normalises each sample over groups of channels (and all positions). PyTorch:
 * `torch.nn.GroupNorm(num_groups, num_channels, eps=1e-05, affine=True)`. With one group it
 * normalises each sample over everything; with numGroups = numChannels it is instance norm.
 *
 * Shape: input (N, C, *) with C = numChannels, output like input. Parameters: `weight` (C)
 * ones, `bias` (C) zeros.
 */
export class GroupNorm extends Module {
  /** `GroupNorm`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'GroupNorm';
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    options = GROUP_NORM_OPTIONS.parse(options);
    if (numChannels % numGroups !== 0) throw new ValueError('num_channels must be divisible by num_groups');
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    const dtype = options.dtype ?? 'float32';
    this.weight = this.registerParameter('weight', this.affine ? constantParameter([numChannels], 1, dtype) : null);
    this.bias = this.registerParameter('bias', this.affine ? constantParameter([numChannels], 0, dtype) : null);
  }

  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}

/** `nn.BatchNorm1d` options. PyTorch: the keyword arguments of `torch.nn.BatchNorm1d`. */
export interface BatchNormLayerOptions {
  eps?: number;
  /**
   * Weight of each new batch in the running statistics. Default 0.1. `null` keeps a cumulative
   * (equal-weight) average over all batches seen.
   */
  momentum?: number | null;
  /** Learn a per-channel `weight` (ones) and `bias` (zeros). Default true. */
  affine?: boolean;
  /** Keep running statistics for eval mode. Default true. */
  trackRunningStats?: boolean;
  dtype?: FloatDType;
}
/** Run-time check of `BatchNormLayerOptions` (src/options.ts). */
export const BATCH_NORM_LAYER_OPTIONS = defineOptions<BatchNormLayerOptions>('nn.BatchNorm1d', {
  eps: opt.number,
  momentum: opt.nullable(opt.number),
  affine: opt.bool,
  trackRunningStats: opt.bool,
  dtype: opt.string,
});

/**
 * Batch normalisation over (N, C) or (N, C, L). PyTorch: `torch.nn.BatchNorm1d(num_features,
 * eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)`.
 *
 * Training: each channel is normalised with the batch's mean and biased variance; the running
 * statistics are updated with the unbiased variance. Eval: the running statistics are used.
 * Without trackRunningStats the batch statistics are used in both modes.
 *
 * Shape: input (N, C) or (N, C, L) with C = numFeatures, output like input.
 * Parameters: `weight` (C) ones, `bias` (C) zeros. Buffers (in stateDict, PyTorch's names):
 * `running_mean` (C) zeros, `running_var` (C) ones, `num_batches_tracked` ().
 */
export class BatchNorm1d extends Module {
  /** `BatchNorm1d`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'BatchNorm1d';
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super();
    options = BATCH_NORM_LAYER_OPTIONS.parse(options);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const dtype = options.dtype ?? 'float32';
    this.weight = this.registerParameter('weight', this.affine ? constantParameter([numFeatures], 1, dtype) : null);
    this.bias = this.registerParameter('bias', this.affine ? constantParameter([numFeatures], 0, dtype) : null);
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer('running_mean', track ? constantBuffer([numFeatures], 0, dtype) : null);
    this.runningVar = this.registerBuffer('running_var', track ? constantBuffer([numFeatures], 1, dtype) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? constantBuffer([], 0, 'int64') : null);
  }

  /** PyTorch: `reset_running_stats()`: running mean 0, variance 1, count 0. */
  resetRunningStats(): void {
    this.runningMean?.storage.fill(0);
    this.runningVar?.storage.fill(1);
    this.numBatchesTracked?.storage.fill(0);
  }

  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    if (input.ndim !== 2 && input.ndim !== 3) {
      throw new ValueError(
        `expected 2D or 3D input (got ${input.ndim}D input); BatchNorm1d takes (N, C) or (N, C, L), got ${fmtShape(input.shape)}`,
      );
    }
    let factor = this.momentum ?? 0;
    const useBatchStats = this.training || this.runningMean === null;
    const keepRunning = !this.training || this.trackRunningStats;
    const runningMean = keepRunning ? this.runningMean : null;
    const runningVar = keepRunning ? this.runningVar : null;
    // Checked before counting, so a rejected batch changes nothing.
    checkBatchNormArgs(input, runningMean, runningVar, this.weight, this.bias, useBatchStats);
    if (this.training && this.numBatchesTracked !== null) {
      this.numBatchesTracked.storage[this.numBatchesTracked.offset] += 1;
      // momentum null: cumulative moving average, 1 / (batches seen).
      if (this.momentum === null) factor = 1 / this.numBatchesTracked.item();
    }
    return batchNorm(input, runningMean, runningVar, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    const m = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${m}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}
