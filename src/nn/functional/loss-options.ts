/**
 * The run-time checks of the loss functions' options (src/options.ts), apart from the functions
 * (src/nn/functional/loss.ts, more-losses.ts): the Node bundle loads the functions at their first
 * call (tools/finish-build.mjs), while the loss classes (src/nn/loss.ts) check their options with
 * these when they are built. Each option type is declared beside its function.
 */

import { defineOptions, opt } from '../../options.js';
import { Tensor } from '../../tensor/tensor.js';
import type { BceWithLogitsOptions, CrossEntropyOptions, NllLossOptions, RegressionLossOptions } from './loss.js';
import type { BceOptions, CosineEmbeddingLossOptions, HuberLossOptions, KlDivOptions, SmoothL1LossOptions } from './more-losses.js';

/** @internal `reduction`'s rule for every loss's options (its value is checked with PyTorch's ValueError). */
export const reductionRule = opt.named("'mean' | 'sum' | 'none'", (v) => typeof v === 'string');
/** @internal A Tensor or null (a loss's `weight`). */
export const weightRule = opt.nullable(opt.instance(() => Tensor, 'Tensor'));
export const REGRESSION_LOSS_OPTIONS = defineOptions<RegressionLossOptions>('nn.functional.mseLoss', { reduction: reductionRule });
export const NLL_LOSS_OPTIONS = defineOptions<NllLossOptions>('nn.functional.nllLoss', {
  weight: weightRule,
  ignoreIndex: opt.int,
  reduction: reductionRule,
});
export const CROSS_ENTROPY_OPTIONS = NLL_LOSS_OPTIONS.extend<CrossEntropyOptions>('nn.functional.crossEntropy', {
  labelSmoothing: opt.number,
});
export const BCE_WITH_LOGITS_OPTIONS = defineOptions<BceWithLogitsOptions>('nn.functional.binaryCrossEntropyWithLogits', {
  weight: weightRule,
  posWeight: weightRule,
  reduction: reductionRule,
});
/** @internal The run-time check of `BceOptions` (src/options.ts). */
export const BCE_OPTIONS = defineOptions<BceOptions>('nn.functional.binaryCrossEntropy', { weight: weightRule, reduction: reductionRule });
/** @internal The run-time check of `HuberLossOptions` (src/options.ts). */
export const HUBER_LOSS_OPTIONS = defineOptions<HuberLossOptions>('nn.functional.huberLoss', { reduction: reductionRule, delta: opt.number });
/** @internal The run-time check of `SmoothL1LossOptions` (src/options.ts). */
export const SMOOTH_L1_LOSS_OPTIONS = defineOptions<SmoothL1LossOptions>('nn.functional.smoothL1Loss', { reduction: reductionRule, beta: opt.number });
/** @internal The run-time check of `KlDivOptions` (src/options.ts). */
export const KL_DIV_OPTIONS = defineOptions<KlDivOptions>('nn.functional.klDiv', {
  reduction: opt.named("'mean' | 'batchmean' | 'sum' | 'none'", (v) => typeof v === 'string'),
  logTarget: opt.bool,
});
/** @internal The run-time check of `CosineEmbeddingLossOptions` (src/options.ts). */
export const COSINE_EMBEDDING_LOSS_OPTIONS = defineOptions<CosineEmbeddingLossOptions>('nn.functional.cosineEmbeddingLoss', {
  margin: opt.number,
  reduction: reductionRule,
});
