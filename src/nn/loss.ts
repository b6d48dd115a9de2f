/**
 * Losses as modules. PyTorch: `torch.nn.MSELoss`, `L1Loss`, `NLLLoss`, `CrossEntropyLoss`,
 * `BCEWithLogitsLoss`. Each holds its options and calls the functional form in
 * `nn.functional`; class weights are buffers named as PyTorch's (`weight`, `pos_weight`).
 */

import type { Tensor } from '../tensor/tensor.js';
import type { Reduction } from './functional/loss.js';
import { checkReduction } from './functional/loss.js';
import { BCE_WITH_LOGITS_OPTIONS, binaryCrossEntropyWithLogits, CROSS_ENTROPY_OPTIONS, crossEntropy } from './functional/loss.js';
import { l1Loss, mseLoss, NLL_LOSS_OPTIONS, nllLoss, REGRESSION_LOSS_OPTIONS } from './functional/loss.js';
import type { BceOptions, CosineEmbeddingLossOptions, HuberLossOptions, KlDivOptions, SmoothL1LossOptions } from './functional/more-losses.js';
import { BCE_OPTIONS, binaryCrossEntropy, COSINE_EMBEDDING_LOSS_OPTIONS, cosineEmbeddingLoss } from './functional/more-losses.js';
import { HUBER_LOSS_OPTIONS, huberLoss, KL_DIV_OPTIONS, klDiv, SMOOTH_L1_LOSS_OPTIONS, smoothL1Loss } from './functional/more-losses.js';
import type { OptionsSchema } from '../options.js';
import { Module } from './module.js';

/** Options every loss module takes. PyTorch: the `reduction` keyword argument of `torch.nn` losses. */
export interface LossOptions {
  /** 'mean' (default), 'sum' or 'none' (per-element losses). */
  reduction?: Reduction;
}

/** What a loss module is made of: its functional form, that form's options and PyTorch's defaults. */
interface LossSpec<O, I extends Tensor[]> {
  /** The class as messages name it (`nn.MSELoss`). */
  readonly owner: string;
  /** The functional form (`F.mseLoss`), called with the module's fields as its options. */
  readonly fn: (...args: [...I, O]) => Tensor;
  /** The functional form's options schema (the module takes the same keys). */
  readonly schema: OptionsSchema<O>;
  /** PyTorch's default of every option; a tensor option (default null) is kept as a buffer. */
  readonly defaults: Required<O>;
}

/** A tensor option's buffer name: PyTorch's snake_case (`posWeight` is `pos_weight`). */
function bufferName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The loss modules' one shape. PyTorch: `torch.nn.modules.loss._Loss` (and `_WeightedLoss`). The
 * options are checked under the class's name when it is built and kept as fields with PyTorch's
 * defaults (tensors as buffers named as PyTorch's: `weight`, `pos_weight`); `forward` passes the
 * fields to the functional form, which checks the tensors and the reduction's value.
 */
abstract class Loss<O extends { reduction?: string }, I extends Tensor[] = [input: Tensor, target: Tensor]> extends Module {
  /** PyTorch: `reduction`, 'mean' by default. */
  declare readonly reduction: NonNullable<O['reduction']>;
  readonly #spec: LossSpec<O, I>;
  constructor(options: O, spec: LossSpec<O, I>) {
    super();
    this.#spec = spec;
    const given: Partial<O> = spec.schema.parse(options, spec.owner);
    const fields: Record<string, unknown> = {};
    for (const key of spec.schema.keys as (keyof O & string)[]) {
      const value = given[key] ?? spec.defaults[key];
      fields[key] = spec.defaults[key] === null ? this.registerBuffer(bufferName(key), value as Tensor | null) : value;
    }
    Object.assign(this, fields);
  }
  forward(...inputs: I): Tensor {
    const options = {} as O;
    for (const key of this.#spec.schema.keys) Reflect.set(options, key, Reflect.get(this, key));
    return this.#spec.fn(...inputs, options);
  }
}

/**
 * Mean squared error. PyTorch: `torch.nn.MSELoss(reduction='mean')`.
 * Shape: input (*), target (*) the same shape; output () or (*) with 'none'.
 */
export class MSELoss extends Loss<LossOptions> {
  /** `MSELoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'MSELoss';
  constructor(options: LossOptions = {}) {
    super(options, { owner: 'nn.MSELoss', fn: mseLoss, schema: REGRESSION_LOSS_OPTIONS, defaults: { reduction: 'mean' } });
  }
}

/**
 * Mean absolute error. PyTorch: `torch.nn.L1Loss(reduction='mean')`. Shapes as MSELoss.
 */
export class L1Loss extends Loss<LossOptions> {
  /** `L1Loss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'L1Loss';
  constructor(options: LossOptions = {}) {
    super(options, { owner: 'nn.L1Loss', fn: l1Loss, schema: REGRESSION_LOSS_OPTIONS, defaults: { reduction: 'mean' } });
  }
}

/** `nn.NLLLoss` options. PyTorch: the keyword arguments of `torch.nn.NLLLoss`. */
export interface NLLLossOptions extends LossOptions {
  /** Per-class weights (C). */
  weight?: Tensor | null;
  /** Targets with this value are skipped. Default -100. */
  ignoreIndex?: number;
}

/**
 * Negative log-likelihood of class-index targets given log-probabilities. PyTorch:
 * `torch.nn.NLLLoss(weight=None, ignore_index=-100, reduction='mean')`.
 * Shape: input (C), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...) int64 (or int32).
 */
export class NLLLoss extends Loss<NLLLossOptions> {
  /** `NLLLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'NLLLoss';
  declare readonly ignoreIndex: number;
  declare readonly weight: Tensor | null;
  constructor(options: NLLLossOptions = {}) {
    const defaults = { weight: null, ignoreIndex: -100, reduction: 'mean' } as const;
    super(options, { owner: 'nn.NLLLoss', fn: nllLoss, schema: NLL_LOSS_OPTIONS, defaults });
  }
}

/** `nn.CrossEntropyLoss` options. PyTorch: the keyword arguments of `torch.nn.CrossEntropyLoss`. */
export interface CrossEntropyLossOptions extends NLLLossOptions {
  /** Mix targets with the uniform distribution by this amount in [0, 1]. Default 0. */
  labelSmoothing?: number;
}

/**
 * Softmax cross-entropy from logits. PyTorch: `torch.nn.CrossEntropyLoss(weight=None,
 * ignore_index=-100, reduction='mean', label_smoothing=0.0)`.
 *
 * Shape: input (C), (N, C) or (N, C, d1, ...) logits, classes on dim 1 (so a sequence model's
 * (N, L, C) output must be transposed to (N, C, L)); target (), (N) or (N, d1, ...) int64 (or int32) class
 * indices, or float probabilities of the input's shape; output () or, with 'none', the target's
 * shape (N, d1, ...).
 */
export class CrossEntropyLoss extends Loss<CrossEntropyLossOptions> {
  /** `CrossEntropyLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'CrossEntropyLoss';
  declare readonly ignoreIndex: number;
  declare readonly labelSmoothing: number;
  declare readonly weight: Tensor | null;
  constructor(options: CrossEntropyLossOptions = {}) {
    const defaults = { weight: null, ignoreIndex: -100, reduction: 'mean', labelSmoothing: 0 } as const;
    super(options, { owner: 'nn.CrossEntropyLoss', fn: crossEntropy, schema: CROSS_ENTROPY_OPTIONS, defaults });
  }
}

/** `nn.BCEWithLogitsLoss` options. PyTorch: the keyword arguments of `torch.nn.BCEWithLogitsLoss`. */
export interface BCEWithLogitsLossOptions extends LossOptions {
  /** Per-element weight, broadcast against the input. */
  weight?: Tensor | null;
  /** Weight of positive examples per class (last dim), e.g. negatives / positives. */
  posWeight?: Tensor | null;
}

/**
 * Sigmoid + binary cross-entropy in one stable expression. PyTorch:
 * `torch.nn.BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)`.
 * Shape: input (*) logits, target (*) of the same shape in [0, 1]; output () or (*) with 'none'.
 */
export class BCEWithLogitsLoss extends Loss<BCEWithLogitsLossOptions> {
  /** `BCEWithLogitsLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'BCEWithLogitsLoss';
  declare readonly weight: Tensor | null;
  declare readonly posWeight: Tensor | null;
  constructor(options: BCEWithLogitsLossOptions = {}) {
    const defaults = { weight: null, posWeight: null, reduction: 'mean' } as const;
    super(options, { owner: 'nn.BCEWithLogitsLoss', fn: binaryCrossEntropyWithLogits, schema: BCE_WITH_LOGITS_OPTIONS, defaults });
  }
}

/**
 * Binary cross-entropy of probabilities. PyTorch: `torch.nn.BCELoss(weight=None, reduction='mean')`.
 * Shape: input (*) in [0, 1], target (*) the same shape; output () or (*) with 'none'.
 */
export class BCELoss extends Loss<BceOptions> {
  /** `BCELoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'BCELoss';
  declare readonly weight: Tensor | null;
  constructor(options: BceOptions = {}) {
    super(options, { owner: 'nn.BCELoss', fn: binaryCrossEntropy, schema: BCE_OPTIONS, defaults: { weight: null, reduction: 'mean' } });
    checkReduction(this.reduction);
  }
}

/**
 * Quadratic near zero, linear beyond `delta`. PyTorch: `torch.nn.HuberLoss(reduction='mean', delta=1.0)`.
 * Shape: input (*), target (*); output () or (*) with 'none'.
 */
export class HuberLoss extends Loss<HuberLossOptions> {
  /** `HuberLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'HuberLoss';
  declare readonly delta: number;
  constructor(options: HuberLossOptions = {}) {
    super(options, { owner: 'nn.HuberLoss', fn: huberLoss, schema: HUBER_LOSS_OPTIONS, defaults: { reduction: 'mean', delta: 1.0 } });
    checkReduction(this.reduction);
  }
}

/**
 * Huber's loss divided by `beta`. PyTorch: `torch.nn.SmoothL1Loss(reduction='mean', beta=1.0)`.
 * Shape: input (*), target (*); output () or (*) with 'none'.
 */
export class SmoothL1Loss extends Loss<SmoothL1LossOptions> {
  /** `SmoothL1Loss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'SmoothL1Loss';
  declare readonly beta: number;
  constructor(options: SmoothL1LossOptions = {}) {
    const defaults = { reduction: 'mean', beta: 1.0 } as const;
    super(options, { owner: 'nn.SmoothL1Loss', fn: smoothL1Loss, schema: SMOOTH_L1_LOSS_OPTIONS, defaults });
    checkReduction(this.reduction);
  }
}

/**
 * KL divergence of log-probability inputs from a target distribution. PyTorch:
 * `torch.nn.KLDivLoss(reduction='mean', log_target=False)`; use `reduction: 'batchmean'` for the
 * mathematical KL. Shape: input (*), target (*); output () or (*) with 'none'.
 */
export class KLDivLoss extends Loss<KlDivOptions> {
  /** `KLDivLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'KLDivLoss';
  declare readonly logTarget: boolean;
  constructor(options: KlDivOptions = {}) {
    super(options, { owner: 'nn.KLDivLoss', fn: klDiv, schema: KL_DIV_OPTIONS, defaults: { reduction: 'mean', logTarget: false } });
    if (this.reduction !== 'batchmean') checkReduction(this.reduction);
  }
}

/**
 * Pull pairs labelled 1 together and push pairs labelled -1 apart by cosine similarity. PyTorch:
 * `torch.nn.CosineEmbeddingLoss(margin=0.0, reduction='mean')`. Shape: input1, input2 (N, D),
 * target (N) of ±1 (or (D), (D), ()); output () or (N) with 'none'.
 */
export class CosineEmbeddingLoss extends Loss<CosineEmbeddingLossOptions, [input1: Tensor, input2: Tensor, target: Tensor]> {
  /** `CosineEmbeddingLoss`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'CosineEmbeddingLoss';
  declare readonly margin: number;
  constructor(options: CosineEmbeddingLossOptions = {}) {
    const defaults = { margin: 0, reduction: 'mean' } as const;
    super(options, { owner: 'nn.CosineEmbeddingLoss', fn: cosineEmbeddingLoss, schema: COSINE_EMBEDDING_LOSS_OPTIONS, defaults });
    checkReduction(this.reduction);
  }
}
