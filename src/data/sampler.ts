/**
 * Samplers: the order in which a DataLoader reads a map-style dataset. PyTorch:
 * `torch.utils.data.Sampler` and its subclasses.
 *
 * A sampler is any iterable of indices (an array works: `sampler: [3, 0, 2, 1]`), with a `length`
 * when the DataLoader's `length` is wanted. Replaying a PyTorch run's shuffling order is a sampler
 * that yields the recorded indices, one epoch's order per pass.
 */

import { ArgumentTypeError, RuntimeError, ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import type { Generator as TorchGenerator } from '../tensor/random.js';
import { defaultGenerator, Generator, generatorOf, randomPermutation } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { lengthOf } from './dataset.js';

/** Anything with a length (a dataset, an array). PyTorch: `Sized`. */
export interface Sized {
  readonly length: number | undefined;
}

/** Python's repr of an option value in PyTorch's messages (`True`, `None`, `3`, `'a'`). */
export function pyRepr(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `<${(v as object).constructor?.name ?? 'object'} object>`;
  return String(v);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/**
 * Base class of samplers. PyTorch: `torch.utils.data.Sampler`. Subclasses implement
 * `[Symbol.iterator]()` and, where they can, `length` (PyTorch's `__len__`).
 */
export abstract class Sampler<T = number> implements Iterable<T> {
  abstract [Symbol.iterator](): Iterator<T>;
  abstract readonly length: number;
}

/** 0, 1, …, length-1 in order. PyTorch: `torch.utils.data.SequentialSampler(data_source)`. */
export class SequentialSampler extends Sampler<number> {
  readonly dataSource: Sized;
  constructor(dataSource: Sized) {
    super();
    this.dataSource = dataSource;
  }
  get length(): number {
    return lengthOf(this.dataSource);
  }
  *[Symbol.iterator](): Iterator<number> {
    const n = this.length;
    for (let i = 0; i < n; i++) yield i;
  }
}

/** PyTorch: `RandomSampler(data_source, replacement=False, num_samples=None, generator=None)`. */
export interface RandomSamplerOptions {
  replacement?: boolean;
  /** Indices per pass; default the dataset's length. */
  numSamples?: number | null;
  generator?: TorchGenerator | null;
}
/** @internal The run-time check of `RandomSamplerOptions` (src/options.ts); `replacement` keeps PyTorch's own TypeError. */
export const RANDOM_SAMPLER_OPTIONS = defineOptions<RandomSamplerOptions>('utils.data.RandomSampler', {
  replacement: opt.any,
  numSamples: opt.nullable(opt.number),
  generator: opt.nullable(opt.instance(() => Generator, 'torch.Generator')),
});

/**
 * A fresh random order every pass (a permutation; several when `numSamples` exceeds the length), or
 * draws with replacement. PyTorch: `torch.utils.data.RandomSampler`. Without a generator each
 * pass seeds a generator of its own from the default one, as PyTorch does.
 */
export class RandomSampler extends Sampler<number> {
  readonly dataSource: Sized;
  readonly replacement: boolean;
  readonly generator: TorchGenerator | null;
  private readonly numSamples_: number | null;
  constructor(dataSource: Sized, options: RandomSamplerOptions = {}) {
    super();
    options = RANDOM_SAMPLER_OPTIONS.parse(options);
    const replacement = options.replacement ?? false;
    if (typeof replacement !== 'boolean') {
      throw new ArgumentTypeError(`replacement should be a boolean value, but got replacement=${pyRepr(replacement)}`);
    }
    this.dataSource = dataSource;
    this.replacement = replacement;
    this.numSamples_ = options.numSamples ?? null;
    this.generator = options.generator === undefined || options.generator === null ? null : generatorOf(options.generator);
    const n = this.numSamples_ ?? dataSource.length;
    if (!isPositiveInt(n)) {
      throw new ValueError(`num_samples should be a positive integer value, but got num_samples=${pyRepr(n)}`);
    }
  }
  /** PyTorch: `num_samples`. */
  get numSamples(): number {
    return this.numSamples_ ?? lengthOf(this.dataSource);
  }
  get length(): number {
    return this.numSamples;
  }
  *[Symbol.iterator](): Iterator<number> {
    const n = lengthOf(this.dataSource);
    const g = this.generator ?? new Generator().manualSeed(defaultGenerator.nextU32() * 2 ** 21 + (defaultGenerator.nextU32() >>> 11));
    const total = this.numSamples;
    if (this.replacement) {
      for (let k = 0; k < total; k++) yield g.below(n);
      return;
    }
    for (let k = 0; k < Math.floor(total / n); k++) yield* randomPermutation(n, g);
    const rest = total % n;
    if (rest > 0) yield* randomPermutation(n, g).subarray(0, rest);
  }
}

/** Options of `SubsetRandomSampler`. PyTorch: its `generator=` keyword argument. */
export interface SubsetRandomSamplerOptions {
  generator?: TorchGenerator | null;
}
/** @internal The run-time check of `SubsetRandomSamplerOptions` (src/options.ts). */
export const SUBSET_RANDOM_SAMPLER_OPTIONS = defineOptions<SubsetRandomSamplerOptions>('utils.data.SubsetRandomSampler', { generator: opt.nullable(opt.instance(() => Generator, 'torch.Generator')) });

/**
 * The given indices in a fresh random order every pass. PyTorch:
 * `torch.utils.data.SubsetRandomSampler(indices, generator=None)`.
 */
export class SubsetRandomSampler extends Sampler<number> {
  readonly indices: readonly number[];
  readonly generator: TorchGenerator | null;
  constructor(indices: Iterable<number>, options: SubsetRandomSamplerOptions = {}) {
    super();
    options = SUBSET_RANDOM_SAMPLER_OPTIONS.parse(options);
    this.indices = [...indices];
    this.generator = options.generator === undefined || options.generator === null ? null : generatorOf(options.generator);
  }
  get length(): number {
    return this.indices.length;
  }
  *[Symbol.iterator](): Iterator<number> {
    for (const i of randomPermutation(this.indices.length, generatorOf(this.generator))) yield this.indices[i];
  }
}

/** PyTorch: `WeightedRandomSampler(weights, num_samples, replacement=True, generator=None)`. */
export interface WeightedRandomSamplerOptions {
  replacement?: boolean;
  generator?: TorchGenerator | null;
}
/** @internal The run-time check of `WeightedRandomSamplerOptions` (src/options.ts); `replacement` keeps PyTorch's own ValueError. */
export const WEIGHTED_RANDOM_SAMPLER_OPTIONS = defineOptions<WeightedRandomSamplerOptions>('utils.data.WeightedRandomSampler', {
  replacement: opt.any,
  generator: opt.nullable(opt.instance(() => Generator, 'torch.Generator')),
});

/**
 * Indices 0 … len(weights)-1 drawn with probability proportional to their weight (the weights
 * need not sum to 1). PyTorch: `torch.utils.data.WeightedRandomSampler`; its draws are
 * `torch.multinomial(weights, num_samples, replacement)`. Shape: weights (W).
 */
export class WeightedRandomSampler extends Sampler<number> {
  readonly weights: Float64Array;
  readonly numSamples: number;
  readonly replacement: boolean;
  readonly generator: TorchGenerator | null;
  constructor(weights: readonly number[] | Tensor, numSamples: number, options: WeightedRandomSamplerOptions = {}) {
    super();
    options = WEIGHTED_RANDOM_SAMPLER_OPTIONS.parse(options);
    if (!isPositiveInt(numSamples)) {
      throw new ValueError(`num_samples should be a positive integer value, but got num_samples=${pyRepr(numSamples)}`);
    }
    const replacement = options.replacement ?? true;
    if (typeof replacement !== 'boolean') {
      throw new ValueError(`replacement should be a boolean value, but got replacement=${pyRepr(replacement)}`);
    }
    let w: Float64Array;
    if (weights instanceof Tensor) {
      if (weights.ndim !== 1) {
        throw new ValueError(`weights should be a 1d sequence but given weights have shape (${weights.shape.join(', ')})`);
      }
      w = Float64Array.from(weights.contiguousData());
    } else {
      if (!Array.isArray(weights)) throw new ValueError('weights should be a 1d sequence (an array or a 1-D tensor of numbers)');
      if (weights.some((x) => Array.isArray(x))) {
        const rows = weights as unknown as unknown[][];
        throw new ValueError(`weights should be a 1d sequence but given weights have shape (${rows.length}, ${rows[0].length})`);
      }
      if (weights.some((x) => typeof x !== 'number')) throw new ValueError('weights should be a 1d sequence of numbers');
      w = Float64Array.from(weights);
    }
    checkDistribution(w, numSamples, replacement);
    this.weights = w;
    this.numSamples = numSamples;
    this.replacement = replacement;
    this.generator = options.generator === undefined || options.generator === null ? null : generatorOf(options.generator);
  }
  get length(): number {
    return this.numSamples;
  }
  *[Symbol.iterator](): Iterator<number> {
    yield* multinomialDraw(this.weights, this.numSamples, this.replacement, generatorOf(this.generator));
  }
}

/** PyTorch's checks of `torch.multinomial`'s distribution, in its words. */
function checkDistribution(w: Float64Array, numSamples: number, replacement: boolean): void {
  if (w.length === 0) throw new RuntimeError('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
  let sum = 0;
  for (const x of w) {
    if (!Number.isFinite(x)) throw new RuntimeError('probability tensor contains either `inf`, `nan` or element < 0');
    if (x < 0) throw new RuntimeError('invalid multinomial distribution (encountering probability entry < 0)');
    sum += x;
  }
  if (sum <= 0) throw new RuntimeError('invalid multinomial distribution (sum of probabilities <= 0)');
  if (!replacement) {
    if (numSamples > w.length) throw new RuntimeError('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
    let nonzero = 0;
    for (const x of w) if (x > 0) nonzero++;
    if (numSamples > nonzero) throw new RuntimeError('invalid multinomial distribution (with replacement=False, not enough non-negative category to sample)');
  }
}

/** `numSamples` category indices drawn ∝ w, with or without replacement (inverse CDF on float64). */
function multinomialDraw(w: Float64Array, numSamples: number, replacement: boolean, g: TorchGenerator): number[] {
  const weights = Float64Array.from(w);
  const out: number[] = [];
  for (let k = 0; k < numSamples; k++) {
    let total = 0;
    for (const x of weights) total += x;
    const u = g.uniform() * total;
    let acc = 0;
    let pick = -1;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue;
      acc += weights[i];
      pick = i;
      if (u < acc) break;
    }
    out.push(pick);
    if (!replacement) weights[pick] = 0;
  }
  return out;
}

/**
 * Group another sampler's indices into batches. PyTorch:
 * `torch.utils.data.BatchSampler(sampler, batch_size, drop_last)`. Any iterable of indices is a
 * sampler: `[...new BatchSampler([0, 1, 2, 3, 4], 2, false)]` is `[[0, 1], [2, 3], [4]]`.
 */
export class BatchSampler extends Sampler<number[]> {
  readonly sampler: Iterable<number>;
  readonly batchSize: number;
  readonly dropLast: boolean;
  constructor(sampler: Iterable<number>, batchSize: number, dropLast: boolean) {
    super();
    if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize <= 0) {
      throw new ValueError(`batch_size should be a positive integer value, but got batch_size=${pyRepr(batchSize)}`);
    }
    if (typeof dropLast !== 'boolean') {
      throw new ValueError(`drop_last should be a boolean value, but got drop_last=${pyRepr(dropLast)}`);
    }
    if (sampler === null || typeof sampler !== 'object' || !(Symbol.iterator in sampler)) {
      throw new ArgumentTypeError(`'${sampler === null ? 'NoneType' : typeof sampler}' object is not iterable (a sampler is an iterable of indices)`);
    }
    this.sampler = sampler;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
  }
  get length(): number {
    const n = lengthOf(this.sampler);
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
