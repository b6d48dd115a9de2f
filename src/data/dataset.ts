/**
 * Datasets. PyTorch: `torch.utils.data.Dataset`, `TensorDataset`, `Subset`, `ConcatDataset`,
 * `IterableDataset`, `random_split`.
 *
 * A map-style dataset is anything with `getItem(i)` and `length` (PyTorch's `__getitem__` and
 * `__len__`); a plain array is one too. An iterable-style dataset is an `IterableDataset`: a
 * stream read in order, sync (`for of`) or async (`for await`).
 */

import { ArgumentTypeError, IndexError, TorchletError, typeName, ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { narrow, squeezeDims } from '../ops/shape.js';
import { warn } from '../nn/functional/warn.js';
import { Generator as TorchGenerator, generatorOf, randomPermutation } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/** What a DataLoader reads by index: `getItem(i)` for 0 ≤ i < `length`. PyTorch: a map-style dataset. */
export interface MapDataset<T> {
  getItem(index: number): T;
  readonly length: number;
}

/**
 * Base class of map-style datasets. PyTorch: `torch.utils.data.Dataset`. Subclasses implement
 * `getItem(index)` (PyTorch's `__getitem__`) and `length` (PyTorch's `__len__`, a getter or a field):
 *
 *   class Squares extends torch.utils.data.Dataset<[number, number]> {
 *     get length() { return 100; }
 *     getItem(i: number): [number, number] { return [i, i * i]; }
 *   }
 */
export abstract class Dataset<T> implements MapDataset<T> {
  abstract getItem(index: number): T;
  abstract readonly length: number;
  /** `a.concat(b)` is `ConcatDataset([a, b])`. PyTorch: `dataset + other`. */
  concat(other: MapDataset<T>): ConcatDataset<T> {
    return new ConcatDataset<T>([this, other]);
  }
}

/** The items of `ds` in order (no batching): lets `for (const item of dataset)` work. */
export function* itemsOf<T>(ds: MapDataset<T>): Generator<T, void, undefined> {
  for (let i = 0; i < ds.length; i++) yield ds.getItem(i);
}

/** `ds` as a map-style dataset: arrays are wrapped; anything else must have getItem and length. */
export function asMapDataset<T>(ds: MapDataset<T> | readonly T[]): MapDataset<T> {
  if (Array.isArray(ds)) {
    const arr = ds as readonly T[];
    return { getItem: (i) => arr[checkIndex(i, arr.length)], length: arr.length };
  }
  return ds as MapDataset<T>;
}

/** The length of a dataset or sampler, with Python's TypeError when it has none. */
export function lengthOf(x: unknown): number {
  const n = x !== null && typeof x === 'object' ? (x as { length?: unknown }).length : undefined;
  if (typeof n !== 'number') {
    const name = x === null ? 'NoneType' : typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : typeof x;
    throw new ArgumentTypeError(`object of type '${name}' has no len()`);
  }
  return n;
}

/** A non-negative index from a possibly negative one, or PyTorch's IndexError. */
function checkIndex(index: number, size: number): number {
  if (!Number.isInteger(index)) {
    throw new ArgumentTypeError(`dataset indices must be integers, not ${typeof index === 'number' ? 'float' : typeof index}`);
  }
  if (index < -size || index >= size) {
    throw new IndexError(`index ${index} is out of bounds for dimension 0 with size ${size}`);
  }
  return index < 0 ? index + size : index;
}

/** Row `i` of `t` along dim 0, a view (autograd records it). PyTorch: `t[i]`. */
function row(t: Tensor, i: number): Tensor {
  return squeezeDims(narrow(t, 0, i, 1), [0], 'SelectBackward0');
}

/**
 * Rows of tensors that share their first dimension. PyTorch: `torch.utils.data.TensorDataset(*tensors)`.
 * Shape: each tensor (N, *); item i is `[t0[i], t1[i], ...]`, views of the rows.
 *
 *   const ds = new TensorDataset(x, y);   // x (N, L, Hin), y (N)
 *   const [xi, yi] = ds.getItem(0);       // (L, Hin), ()
 */
export class TensorDataset<T extends Tensor[] = Tensor[]> extends Dataset<T> {
  readonly tensors: Readonly<T>;
  constructor(...tensors: T) {
    super();
    if (tensors.length === 0) throw new IndexError('tuple index out of range (TensorDataset needs at least one tensor)');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) {
        throw new ArgumentTypeError(`TensorDataset: argument ${i} is not a Tensor. Wrap arrays with torch.tensor(...).`);
      }
      if (t.ndim === 0) throw new IndexError('dimension specified as 0 but tensor has no dimensions');
    });
    const n = tensors[0].shape[0];
    if (tensors.some((t) => t.shape[0] !== n)) {
      // PyTorch raises AssertionError here.
      throw new ValueError(`Size mismatch between tensors (first dimensions: ${tensors.map((t) => t.shape[0]).join(', ')})`);
    }
    this.tensors = tensors;
  }
  get length(): number {
    return this.tensors[0].shape[0];
  }
  getItem(index: number): T {
    const i = checkIndex(index, this.length);
    return this.tensors.map((t) => row(t, i)) as T;
  }
}

/**
 * The items of a dataset at the given indices, in that order. PyTorch: `torch.utils.data.Subset(dataset, indices)`.
 */
export class Subset<T> extends Dataset<T> {
  readonly dataset: MapDataset<T>;
  readonly indices: readonly number[];
  constructor(dataset: MapDataset<T> | readonly T[], indices: Iterable<number>) {
    super();
    this.dataset = asMapDataset(dataset);
    if (indices === null || typeof (indices as { [Symbol.iterator]?: unknown })?.[Symbol.iterator] !== 'function') {
      throw new ArgumentTypeError(`Subset: indices must be an iterable of indices (an array), not ${typeName(indices)}`);
    }
    this.indices = [...indices];
  }
  get length(): number {
    return this.indices.length;
  }
  getItem(index: number): T {
    return this.dataset.getItem(this.indices[checkIndex(index, this.indices.length)]);
  }
}

/**
 * Datasets one after another. PyTorch: `torch.utils.data.ConcatDataset(datasets)`.
 * `cumulativeSizes[k]` is the total length of datasets 0 … k.
 */
export class ConcatDataset<T> extends Dataset<T> {
  readonly datasets: readonly MapDataset<T>[];
  /** PyTorch: `cumulative_sizes`. */
  readonly cumulativeSizes: readonly number[];
  constructor(datasets: Iterable<MapDataset<T> | readonly T[]>) {
    super();
    const list = [...datasets];
    if (list.length === 0) throw new ValueError('datasets should not be an empty iterable');
    for (const d of list) {
      if (d instanceof IterableDataset) throw new ValueError('ConcatDataset does not support IterableDataset');
    }
    this.datasets = list.map((d) => asMapDataset(d));
    const sizes: number[] = [];
    let total = 0;
    for (const d of this.datasets) {
      total += lengthOf(d);
      sizes.push(total);
    }
    this.cumulativeSizes = sizes;
  }
  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }
  getItem(index: number): T {
    let idx = index;
    if (idx < 0) {
      if (-idx > this.length) throw new ValueError('absolute value of index should not exceed dataset length');
      idx += this.length;
    }
    // PyTorch's bisect_right: the first dataset whose cumulative size exceeds idx.
    let k = 0;
    while (k < this.cumulativeSizes.length && this.cumulativeSizes[k] <= idx) k++;
    if (k === this.datasets.length) {
      throw new IndexError(`index ${index} is out of bounds for dimension 0 with size ${this.length}`);
    }
    return this.datasets[k].getItem(k === 0 ? idx : idx - this.cumulativeSizes[k - 1]);
  }
}

/** What an IterableDataset reads: an iterable, an async iterable, or a function making a fresh one per epoch. PyTorch: what `torch.utils.data.IterableDataset.__iter__` yields from. */
export type IterableSource<T> = Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T>);

/** Options of `IterableDataset`. No PyTorch twin (PyTorch's `__len__`). */
export interface IterableDatasetOptions {
  /** The stream's length, when known (PyTorch: a `__len__`). */
  length?: number;
}
/** @internal The run-time check of `IterableDatasetOptions` (src/options.ts); the value gets its own ValueError. */
export const ITERABLE_DATASET_OPTIONS = defineOptions<IterableDatasetOptions>('utils.data.IterableDataset', { length: opt.number });

/**
 * A dataset read as a stream, in order. PyTorch: `torch.utils.data.IterableDataset`.
 *
 * Either subclass it and implement `*[Symbol.iterator]()` (or `async *[Symbol.asyncIterator]()`
 * for data that arrives asynchronously), or wrap a source:
 *
 *   new IterableDataset(() => readLines(file))     // a fresh iterator every epoch
 *   new IterableDataset(asyncStream, { length: 1000 })
 *
 * A DataLoader over an async source is read with `for await`. A generator object can be read
 * only once; pass a function returning one so every epoch starts again (PyTorch calls
 * `__iter__` per epoch the same way).
 */
export class IterableDataset<T> {
  private readonly source: IterableSource<T> | undefined;
  private readonly knownLength: number | undefined;

  constructor(source?: IterableSource<T>, options: IterableDatasetOptions = {}) {
    options = ITERABLE_DATASET_OPTIONS.parse(options);
    if (
      source !== undefined &&
      typeof source !== 'function' &&
      !(source !== null && typeof source === 'object' && (Symbol.iterator in source || Symbol.asyncIterator in source))
    ) {
      throw new ArgumentTypeError(
        `IterableDataset: expected an iterable, an async iterable or a function returning one, got ${source === null ? 'null' : typeof source}`);
    }
    if (options.length !== undefined && !(Number.isInteger(options.length) && options.length >= 0)) {
      throw new ValueError(`IterableDataset: length should be a non-negative integer, but got length=${options.length}`);
    }
    this.source = source;
    this.knownLength = options.length;
  }

  /** PyTorch: `__len__`, when the stream's length is known (given as `{ length }`). */
  get length(): number | undefined {
    return this.knownLength;
  }

  private open(): Iterable<T> | AsyncIterable<T> {
    if (this.source === undefined) {
      throw new TorchletError(
        `${this.constructor.name} must implement [Symbol.iterator]() or [Symbol.asyncIterator]() (PyTorch: __iter__), or be given a source`,
        'NotImplementedError',
      );
    }
    return typeof this.source === 'function' ? this.source() : this.source;
  }

  /** Whether reading this dataset needs `for await`. */
  get isAsync(): boolean {
    if (this[Symbol.asyncIterator] !== IterableDataset.prototype[Symbol.asyncIterator]) {
      return this[Symbol.iterator] === IterableDataset.prototype[Symbol.iterator];
    }
    if (this[Symbol.iterator] !== IterableDataset.prototype[Symbol.iterator]) return false;
    if (typeof this.source === 'function' || this.source === undefined) return false;
    return !(Symbol.iterator in this.source);
  }

  [Symbol.iterator](): Iterator<T> {
    const src = this.open();
    if (!(Symbol.iterator in src)) {
      throw new ArgumentTypeError(
        'this IterableDataset is asynchronous: read it (or its DataLoader) with `for await (const batch of loader)`');
    }
    return src[Symbol.iterator]();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    // Subclasses that only define the sync iterator are read through it.
    if (this[Symbol.iterator] !== IterableDataset.prototype[Symbol.iterator]) return toAsync(this[Symbol.iterator]());
    const src = this.open();
    if (Symbol.asyncIterator in src) return src[Symbol.asyncIterator]();
    return toAsync((src as Iterable<T>)[Symbol.iterator]());
  }
}

function toAsync<T>(it: Iterator<T>): AsyncIterator<T> {
  return {
    next: async () => it.next(),
    return: async (v?: unknown) => (it.return ? it.return(v) : { done: true, value: v as T }),
  };
}

/** Options of `randomSplit`. PyTorch: the `generator=` keyword argument of `random_split`. */
export interface RandomSplitOptions {
  generator?: TorchGenerator | null;
}
/** @internal The run-time check of `RandomSplitOptions` (src/options.ts). */
export const RANDOM_SPLIT_OPTIONS = defineOptions<RandomSplitOptions>('utils.data.randomSplit', { generator: opt.nullable(opt.instance(() => TorchGenerator, 'torch.Generator')) });

/**
 * Split a dataset at random into non-overlapping subsets of the given lengths, or of the given
 * fractions of its length. PyTorch: `torch.utils.data.random_split(dataset, lengths, generator)`.
 *
 * Fractions that sum to 1 become `floor(n · f)` each, and what is left over is handed out one by
 * one, round-robin from the first split (PyTorch's rule):
 *
 *   const [train, val] = randomSplit(ds, [0.8, 0.2], { generator: new torch.Generator().manualSeed(42) });
 *
 * A fraction that leaves a split empty (`[0.9, 0.1]` of 5 items gives 5 and 0) warns on the
 * console for each empty split, as PyTorch 1.13's UserWarning "Length of split at index i is 0";
 * explicit zero counts (`[0, 5]`) do not warn, as in PyTorch.
 *
 * PyTorch parity: which items land where differs from PyTorch for the same seed (the random
 * stream is torchlet's); the lengths are the same.
 */
export function randomSplit<T>(
  dataset: MapDataset<T> | readonly T[],
  lengths: readonly number[],
  options: RandomSplitOptions = {},
): Subset<T>[] {
  options = RANDOM_SPLIT_OPTIONS.parse(options);
  if (!Array.isArray(lengths) || lengths.some((v) => typeof v !== 'number')) {
    throw new ArgumentTypeError(
      `random_split(): argument 'lengths' (position 2) must be a list of lengths or fractions (numbers), not ${typeName(lengths)}`,
    );
  }
  const ds = asMapDataset(dataset);
  const n = lengthOf(ds);
  const g = generatorOf(options.generator);
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  // Python's math.isclose(sum, 1) with its default rel_tol 1e-9.
  if (Math.abs(total - 1) <= 1e-9 * Math.max(1, Math.abs(total)) && total <= 1) {
    sizes = sizes.map((frac, i) => {
      if (frac < 0 || frac > 1) throw new ValueError(`Fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * frac);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
    // PyTorch 1.13 warns (UserWarning) for each empty split, only when the lengths were fractions.
    sizes.forEach((s, i) => {
      if (s === 0) warn(`Length of split at index ${i} is 0. This might result in an empty dataset.`);
    });
  }
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ValueError(`randomSplit: lengths must be non-negative integers or fractions summing to 1, got [${lengths.join(', ')}]`);
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n) {
    throw new ValueError('Sum of input lengths does not equal the length of the input dataset!');
  }
  const perm = Array.from(randomPermutation(n, g));
  let offset = 0;
  return sizes.map((s) => {
    const sub = new Subset(ds, perm.slice(offset, offset + s));
    offset += s;
    return sub;
  });
}

