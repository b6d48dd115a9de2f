/** Linear layers. PyTorch: `torch.nn.Linear`, `torch.nn.Identity`, `torch.nn.Embedding`. */

import { noGrad } from '../../autograd/grad-mode.js';
import { ShapeError } from '../../errors.js';
import type { FloatDType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { embedding, linear, normalizePaddingIdx } from '../functional/linear.js';
import { Module } from '../module.js';
import type { Parameter } from '../parameter.js';
import { kaimingUniformBound, normalParameter, uniformParameter } from './init.js';
import { defineOptions, opt } from '../../options.js';
import { checkTensor } from '../../tensor/args.js';

/** `nn.Linear` options. PyTorch: the keyword arguments of `torch.nn.Linear`. */
export interface LinearOptions {
  /** Learn an additive bias. Default true. */
  bias?: boolean;
  /** Parameter dtype. Default 'float32'. */
  dtype?: FloatDType;
}
/** Run-time check of `EmbeddingOptions` (src/options.ts). */
export const EMBEDDING_OPTIONS = defineOptions<EmbeddingOptions>('nn.Embedding', { paddingIdx: opt.nullable(opt.int), dtype: opt.string });
/** The options of `Embedding.fromPretrained`. */
export interface FromPretrainedOptions {
  /** Keep the weight frozen (no gradient). Default true. */
  freeze?: boolean;
  paddingIdx?: number | null;
}
export const FROM_PRETRAINED_OPTIONS = defineOptions<FromPretrainedOptions>('nn.Embedding.fromPretrained', {
  freeze: opt.bool,
  paddingIdx: opt.nullable(opt.int),
});
/** Run-time check of `LinearOptions` (src/options.ts). */
export const LINEAR_OPTIONS = defineOptions<LinearOptions>('nn.Linear', { bias: opt.bool, dtype: opt.string });

/**
 * y = x Wᵀ + b. PyTorch: `torch.nn.Linear(in_features, out_features, bias=True)`.
 *
 * Shape: input (*, Hin), output (*, Hout) with Hin = inFeatures, Hout = outFeatures.
 * Parameters: `weight` (Hout, Hin) and `bias` (Hout), both U(-1/√Hin, 1/√Hin) as PyTorch
 * (kaiming_uniform with a = √5 for the weight).
 *
 * @example
 * const fc = new nn.Linear(3, 4);
 * fc.forward(torch.randn(2, 3)).shape; // [2, 4]
 */
export class Linear extends Module {
  /** `Linear`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    options = LINEAR_OPTIONS.parse(options);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = options.dtype ?? 'float32';
    const bound = kaimingUniformBound(inFeatures);
    this.weight = this.registerParameter('weight', uniformParameter([outFeatures, inFeatures], bound, dtype));
    this.bias = this.registerParameter('bias', options.bias ?? true ? uniformParameter([outFeatures], bound, dtype) : null);
  }

  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    if (input.ndim >= 1 && input.shape[input.ndim - 1] !== this.inFeatures) {
      const rows = input.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      throw new ShapeError(
        `mat1 and mat2 shapes cannot be multiplied (${rows}x${input.shape[input.ndim - 1]} and ${this.inFeatures}x${this.outFeatures}). Linear expects input (*, ${this.inFeatures}): the last dim must be inFeatures`,
      );
    }
    return linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias === null ? 'False' : 'True'}`;
  }
}

/**
 * Returns its input unchanged, whatever it is (a Tensor, a recurrent layer's tuple), as PyTorch's
 * does. PyTorch: `torch.nn.Identity` (a placeholder in containers). Shape: any; output is the input.
 */
export class Identity extends Module {
  /** `Identity`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Identity';
  forward<T = Tensor>(input: T): T {
    return input;
  }
}

/** `nn.Embedding` options. PyTorch: the keyword arguments of `torch.nn.Embedding`. */
export interface EmbeddingOptions {
  /** This row is zero at init and never receives a gradient (padding tokens). Negative counts from the end. */
  paddingIdx?: number | null;
  /** Parameter dtype. Default 'float32'. */
  dtype?: FloatDType;
}

/**
 * A lookup table of vectors. PyTorch: `torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx=None)`.
 *
 * Shape: input (*) int64 (or int32) indices in [0, numEmbeddings), output (*, embeddingDim).
 * Parameter: `weight` (numEmbeddings, embeddingDim), N(0, 1) with the `paddingIdx` row zeroed.
 * PyTorch parity: `max_norm`, `scale_grad_by_freq` and `sparse` are not supported.
 */
export class Embedding extends Module {
  /** `Embedding`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Embedding';
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    options = EMBEDDING_OPTIONS.parse(options);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = normalizePaddingIdx(options.paddingIdx, numEmbeddings);
    this.weight = this.registerParameter('weight', normalParameter([numEmbeddings, embeddingDim], options.dtype ?? 'float32'));
    if (this.paddingIdx !== null) {
      const pad = this.paddingIdx;
      noGrad(() => this.weight.storage.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim));
    }
  }

  /**
   * PyTorch: `Embedding.from_pretrained(embeddings, freeze=True, padding_idx=None)`: a layer whose
   * weight is a copy of `embeddings` (rows are not zeroed at `paddingIdx`), frozen by default.
   */
  static fromPretrained(embeddings: Tensor, options: FromPretrainedOptions = {}): Embedding {
    checkTensor(embeddings, 'from_pretrained', 'embeddings', 1);
    options = FROM_PRETRAINED_OPTIONS.parse(options);
    if (embeddings.ndim !== 2) throw new ShapeError('Embeddings parameter is expected to be 2-dimensional');
    const [rows, cols] = embeddings.shape as [number, number];
    const e = new Embedding(rows, cols, { paddingIdx: options.paddingIdx ?? null, dtype: embeddings.dtype === 'float64' ? 'float64' : 'float32' });
    noGrad(() => e.weight.copy_(embeddings));
    e.weight.requiresGrad = !(options.freeze ?? true);
    return e;
  }

  forward(input: Tensor): Tensor {
    checkTensor(input, 'forward', 'input', 1);
    return embedding(input, this.weight, this.paddingIdx);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, padding_idx=${this.paddingIdx}`}`;
  }
}
