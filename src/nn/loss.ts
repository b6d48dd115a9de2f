/**
 * Losses as modules. PyTorch: `torch.nn.MSELoss`, `L1Loss`, `NLLLoss`, `CrossEntropyLoss`,
 * `BCEWithLogitsLoss`. Each holds its options and calls the functional form in
 * `nn.functional`; class weights are buffers named as PyTorch's (`weight`, `pos_weight`).
 */

import type { Tensor } from '../tensor/tensor.js';
import type { Reduction } from './functional/loss.js';
import { checkReduction } from './functional/loss.js';
import {
  BCE_WITH_LOGITS_OPTIONS,
  binaryCrossEntropyWithLogits,
  CROSS_ENTROPY_OPTIONS,
  crossEntropy,
  l1Loss,
  mseLoss,
  NLL_LOSS_OPTIONS,
  nllLoss,
  REGRESSION_LOSS_OPTIONS,
} from './functional/loss.js';
import type {
  BceOptions,
  CosineEmbeddingLossOptions,
  HuberLossOptions,
  KlDivOptions,
  KlDivReduction,
  SmoothL1LossOptions,
} from './functional/more-losses.js';
import {
  BCE_OPTIONS,
  binaryCrossEntropy,
  COSINE_EMBEDDING_LOSS_OPTIONS,
  cosineEmbeddingLoss,
  HUBER_LOSS_OPTIONS,
  huberLoss,
  KL_DIV_OPTIONS,
  klDiv,
  SMOOTH_L1_LOSS_OPTIONS,
  smoothL1Loss,
} from './functional/more-losses.js';
import { defineOptions } from '../options.js';
import { Module } from './module.js';

/** Options every loss module takes. PyTorch: the `reduction` keyword argument of `torch.nn` losses. */
export interface LossOptions {
  /** 'mean' (default), 'sum' or 'none' (per-element losses). */
  reduction?: Reduction;
}
/** @internal Run-time check of `LossOptions` (src/options.ts); the owner named in messages is the class. */
export const LOSS_OPTIONS = defineOptions<LossOptions>('nn.MSELoss', { reduction: REGRESSION_LOSS_OPTIONS.rules.reduction });

/**
 * Mean squared error. PyTorch: `torch.nn.MSELoss(reduction='mean')`.
 * Shape: input (*), target (*) the same shape; output () or (*) with 'none'.
 */
export class MSELoss extends Module {
  /** `MSELoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'MSELoss';
  readonly reduction: Reduction;
  constructor(options: LossOptions = {}) {
    super();
    options = LOSS_OPTIONS.parse(options, 'nn.MSELoss');
    this.reduction = options.reduction ?? 'mean';
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Mean absolute error. PyTorch: `torch.nn.L1Loss(reduction='mean')`. Shapes as MSELoss.
 */
export class L1Loss extends Module {
  /** `L1Loss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'L1Loss';
  readonly reduction: Reduction;
  constructor(options: LossOptions = {}) {
    super();
    options = LOSS_OPTIONS.parse(options, 'nn.L1Loss');
    this.reduction = options.reduction ?? 'mean';
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** `nn.NLLLoss` options. PyTorch: the keyword arguments of `torch.nn.NLLLoss`. */
export interface NLLLossOptions extends LossOptions {
  /** Per-class weights (C). */
  weight?: Tensor | null;
  /** Targets with this value are skipped. Default -100. */
  ignoreIndex?: number;
}
/** @internal The run-time check of these options (src/options.ts). */
export const NLL_LOSS_MODULE_OPTIONS = defineOptions<NLLLossOptions>('nn.NLLLoss', NLL_LOSS_OPTIONS.rules);

/**
 * Negative log-likelihood of class-index targets given log-probabilities. PyTorch:
 * `torch.nn.NLLLoss(weight=None, ignore_index=-100, reduction='mean')`.
 * Shape: input (C), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...) int64 (or int32).
 */
export class NLLLoss extends Module {
  /** `NLLLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'NLLLoss';
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  readonly weight: Tensor | null;
  constructor(options: NLLLossOptions = {}) {
    super();
    options = NLL_LOSS_MODULE_OPTIONS.parse(options, 'nn.NLLLoss');
    this.reduction = options.reduction ?? 'mean';
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.weight = this.registerBuffer('weight', options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** `nn.CrossEntropyLoss` options. PyTorch: the keyword arguments of `torch.nn.CrossEntropyLoss`. */
export interface CrossEntropyLossOptions extends NLLLossOptions {
  /** Mix targets with the uniform distribution by this amount in [0, 1]. Default 0. */
  labelSmoothing?: number;
}
/** @internal The run-time check of these options (src/options.ts). */
export const CROSS_ENTROPY_LOSS_OPTIONS = defineOptions<CrossEntropyLossOptions>('nn.CrossEntropyLoss', CROSS_ENTROPY_OPTIONS.rules);

/**
 * Softmax cross-entropy from logits. PyTorch: `torch.nn.CrossEntropyLoss(weight=None,
 * ignore_index=-100, reduction='mean', label_smoothing=0.0)`.
 *
 * Shape: input (C), (N, C) or (N, C, d1, ...) logits, classes on dim 1 (so a sequence model's
 * (N, L, C) output must be transposed to (N, C, L)); target (), (N) or (N, d1, ...) int64 (or int32) class
 * indices, or float probabilities of the input's shape; output () or, with 'none', the target's
 * shape (N, d1, ...).
 */
export class CrossEntropyLoss extends Module {
  /** `CrossEntropyLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'CrossEntropyLoss';
  readonly reduction: Reduction;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  readonly weight: Tensor | null;
  constructor(options: CrossEntropyLossOptions = {}) {
    super();
    options = CROSS_ENTROPY_LOSS_OPTIONS.parse(options, 'nn.CrossEntropyLoss');
    this.reduction = options.reduction ?? 'mean';
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
    this.weight = this.registerBuffer('weight', options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/** `nn.BCEWithLogitsLoss` options. PyTorch: the keyword arguments of `torch.nn.BCEWithLogitsLoss`. */
export interface BCEWithLogitsLossOptions extends LossOptions {
  /** Per-element weight, broadcast against the input. */
  weight?: Tensor | null;
  /** Weight of positive examples per class (last dim), e.g. negatives / positives. */
  posWeight?: Tensor | null;
}
/** @internal The run-time check of these options (src/options.ts). */
export const BCE_WITH_LOGITS_LOSS_OPTIONS = defineOptions<BCEWithLogitsLossOptions>('nn.BCEWithLogitsLoss', BCE_WITH_LOGITS_OPTIONS.rules);

/**
 * Sigmoid + binary cross-entropy in one stable expression. PyTorch:
 * `torch.nn.BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)`.
 * Shape: input (*) logits, target (*) of the same shape in [0, 1]; output () or (*) with 'none'.
 */
export class BCEWithLogitsLoss extends Module {
  /** `BCEWithLogitsLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'BCEWithLogitsLoss';
  readonly reduction: Reduction;
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;
  constructor(options: BCEWithLogitsLossOptions = {}) {
    super();
    options = BCE_WITH_LOGITS_LOSS_OPTIONS.parse(options, 'nn.BCEWithLogitsLoss');
    this.reduction = options.reduction ?? 'mean';
    this.weight = this.registerBuffer('weight', options.weight ?? null);
    this.posWeight = this.registerBuffer('pos_weight', options.posWeight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.posWeight,
      reduction: this.reduction,
    });
  }
}

/** @internal The run-time check of `nn.BCELoss`'s options (the functional form's rules, src/options.ts). */
export const BCE_LOSS_OPTIONS = defineOptions<BceOptions>('nn.BCELoss', BCE_OPTIONS.rules);

/**
 * Binary cross-entropy of probabilities. PyTorch: `torch.nn.BCELoss(weight=None, reduction='mean')`.
 * Shape: input (*) in [0, 1], target (*) the same shape; output () or (*) with 'none'.
 */
export class BCELoss extends Module {
  /** `BCELoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'BCELoss';
  readonly reduction: Reduction;
  readonly weight: Tensor | null;
  constructor(options: BceOptions = {}) {
    super();
    options = BCE_LOSS_OPTIONS.parse(options);
    this.reduction = options.reduction ?? 'mean';
    checkReduction(this.reduction);
    this.weight = this.registerBuffer('weight', options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** @internal The run-time check of `nn.HuberLoss`'s options (the functional form's rules, src/options.ts). */
export const HUBER_LOSS_MODULE_OPTIONS = defineOptions<HuberLossOptions>('nn.HuberLoss', HUBER_LOSS_OPTIONS.rules);

/**
 * Quadratic near zero, linear beyond `delta`. PyTorch: `torch.nn.HuberLoss(reduction='mean', delta=1.0)`.
 * Shape: input (*), target (*); output () or (*) with 'none'.
 */
export class HuberLoss extends Module {
  /** `HuberLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'HuberLoss';
  readonly reduction: Reduction;
  readonly delta: number;
  constructor(options: HuberLossOptions = {}) {
    super();
    options = HUBER_LOSS_MODULE_OPTIONS.parse(options);
    this.reduction = options.reduction ?? 'mean';
    checkReduction(this.reduction);
    this.delta = options.delta ?? 1.0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** @internal The run-time check of `nn.SmoothL1Loss`'s options (the functional form's rules, src/options.ts). */
export const SMOOTH_L1_LOSS_MODULE_OPTIONS = defineOptions<SmoothL1LossOptions>('nn.SmoothL1Loss', SMOOTH_L1_LOSS_OPTIONS.rules);

/**
 * Huber's loss divided by `beta`. PyTorch: `torch.nn.SmoothL1Loss(reduction='mean', beta=1.0)`.
 * Shape: input (*), target (*); output () or (*) with 'none'.
 */
export class SmoothL1Loss extends Module {
  /** `SmoothL1Loss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'SmoothL1Loss';
  readonly reduction: Reduction;
  readonly beta: number;
  constructor(options: SmoothL1LossOptions = {}) {
    super();
    options = SMOOTH_L1_LOSS_MODULE_OPTIONS.parse(options);
    this.reduction = options.reduction ?? 'mean';
    checkReduction(this.reduction);
    this.beta = options.beta ?? 1.0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** @internal The run-time check of `nn.KLDivLoss`'s options (the functional form's rules, src/options.ts). */
export const KL_DIV_LOSS_OPTIONS = defineOptions<KlDivOptions>('nn.KLDivLoss', KL_DIV_OPTIONS.rules);

/**
 * KL divergence of log-probability inputs from a target distribution. PyTorch:
 * `torch.nn.KLDivLoss(reduction='mean', log_target=False)`; use `reduction: 'batchmean'` for the
 * mathematical KL. Shape: input (*), target (*); output () or (*) with 'none'.
 */
export class KLDivLoss extends Module {
  /** `KLDivLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'KLDivLoss';
  readonly reduction: KlDivReduction;
  readonly logTarget: boolean;
  constructor(options: KlDivOptions = {}) {
    super();
    options = KL_DIV_LOSS_OPTIONS.parse(options);
    this.reduction = options.reduction ?? 'mean';
    if (this.reduction !== 'batchmean') checkReduction(this.reduction);
    this.logTarget = options.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/** @internal The run-time check of `nn.CosineEmbeddingLoss`'s options (the functional form's rules, src/options.ts). */
export const COSINE_EMBEDDING_LOSS_MODULE_OPTIONS = defineOptions<CosineEmbeddingLossOptions>('nn.CosineEmbeddingLoss', COSINE_EMBEDDING_LOSS_OPTIONS.rules);

/**
 * Pull pairs labelled 1 together and push pairs labelled -1 apart by cosine similarity. PyTorch:
 * `torch.nn.CosineEmbeddingLoss(margin=0.0, reduction='mean')`. Shape: input1, input2 (N, D),
 * target (N) of ±1 (or (D), (D), ()); output () or (N) with 'none'.
 */
export class CosineEmbeddingLoss extends Module {
  /** `CosineEmbeddingLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'CosineEmbeddingLoss';
  readonly margin: number;
  readonly reduction: Reduction;
  constructor(options: CosineEmbeddingLossOptions = {}) {
    super();
    options = COSINE_EMBEDDING_LOSS_MODULE_OPTIONS.parse(options);
    this.margin = options.margin ?? 0;
    this.reduction = options.reduction ?? 'mean';
    checkReduction(this.reduction);
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return cosineEmbeddingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}
