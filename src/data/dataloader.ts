/**
 * Batches from a dataset. PyTorch: `torch.utils.data.DataLoader`.
 *
 *   const ds = new torch.utils.data.TensorDataset(x, y);          // x (N, L, Hin), y (N)
 *   const loader = new torch.utils.data.DataLoader(ds, { batchSize: 32, shuffle: true });
 *   for (let epoch = 0; epoch < 10; epoch++) {
 *     for (const [xb, yb] of loader) { ... }                        // xb (B, L, Hin), yb (B)
 *   }
 *
 * Map-style datasets (`getItem`/`length`, or a plain array) are read in the sampler's order and
 * iterate with `for of` or `for await`; an `IterableDataset` is read as its stream comes, with
 * `for await` when the stream is asynchronous. Everything runs in the calling thread
 * (PyTorch's `num_workers=0`).
 */

import { ArgumentTypeError, ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { Generator as TorchGenerator, generatorOf } from '../tensor/random.js';
import type { Collated } from './collate.js';
import { defaultCollate, defaultConvert } from './collate.js';
import type { MapDataset } from './dataset.js';
import { asMapDataset, IterableDataset, lengthOf } from './dataset.js';
import { BatchSampler, pyRepr, RandomSampler, SequentialSampler } from './sampler.js';

/** PyTorch: `DataLoader(dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, collate_fn=None, drop_last=False, generator=None)`. */
export interface DataLoaderOptions<T, B> {
  /** Items per batch (default 1); `null` turns batching off: each item is yielded as it is. */
  batchSize?: number | null;
  /** A new random order every epoch (a `RandomSampler` using `generator`). */
  shuffle?: boolean;
  /** The order of indices: any iterable of indices (a Sampler, an array, recorded indices). */
  sampler?: Iterable<number> | null;
  /** Whole batches of indices: any iterable of index arrays. Excludes batchSize, shuffle, sampler, dropLast. */
  batchSampler?: Iterable<readonly number[]> | null;
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  /** Makes a batch from a list of items; default `defaultCollate` (or `defaultConvert` without batching). */
  collateFn?: ((items: T[]) => B) | null;
  /** The generator `shuffle` draws from (default: the global one). */
  generator?: TorchGenerator | null;
  /** PyTorch's worker processes: only 0 is supported (everything runs in this thread). */
  numWorkers?: number;
}
/**
 * @internal The run-time check of `DataLoaderOptions` (src/options.ts): keys and types. Values,
 * and the booleans PyTorch checks itself (`drop_last`, `shuffle`), keep PyTorch's own messages below.
 */
export const DATA_LOADER_OPTIONS = defineOptions<DataLoaderOptions<unknown, unknown>>('utils.data.DataLoader', {
  batchSize: opt.any,
  shuffle: opt.any,
  sampler: opt.any,
  batchSampler: opt.any,
  dropLast: opt.any,
  collateFn: opt.nullable(opt.func),
  generator: opt.nullable(opt.instance(() => TorchGenerator, 'torch.Generator')),
  numWorkers: opt.number,
});

function isIterable(v: unknown): boolean {
  return v !== null && typeof v === 'object' && Symbol.iterator in v;
}

/**
 * Iterates over a dataset in batches. PyTorch: `torch.utils.data.DataLoader`.
 * Item type `T` (what `getItem` returns), batch type `B` (what `collateFn` returns; with the
 * default collate, `[Tensor, Tensor]` items give `[Tensor, Tensor]` batches).
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: MapDataset<T> | IterableDataset<T>;
  /** PyTorch: `batch_size` (null without automatic batching, also when a batchSampler is given). */
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  /** The index order (map-style datasets); null for an IterableDataset. */
  readonly sampler: Iterable<number> | null;
  /** The batches of indices (map-style datasets with batching); null otherwise. */
  readonly batchSampler: Iterable<readonly number[]> | null;
  readonly collateFn: (items: T[]) => B;
  readonly generator: TorchGenerator | null;
  private readonly autoCollate: boolean;

  constructor(dataset: MapDataset<T> | readonly T[] | IterableDataset<T>, options: DataLoaderOptions<T, B> = {}) {
    options = DATA_LOADER_OPTIONS.parse(options) as DataLoaderOptions<T, B>;
    const numWorkers = options.numWorkers ?? 0;
    if (numWorkers < 0) {
      throw new ValueError('num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.');
    }
    if (numWorkers > 0) {
      throw new ValueError(`num_workers=${numWorkers} is not supported: torchlet's DataLoader loads in the calling thread (use 0)`);
    }
    let batchSize = options.batchSize === undefined ? 1 : options.batchSize;
    let dropLast = options.dropLast ?? false;
    let shuffle = options.shuffle;
    let sampler = options.sampler ?? null;
    const batchSampler = options.batchSampler ?? null;
    const generator = options.generator === undefined || options.generator === null ? null : generatorOf(options.generator);
    if (typeof dropLast !== 'boolean') {
      throw new ValueError(`drop_last should be a boolean value, but got drop_last=${pyRepr(dropLast)}`);
    }
    if (shuffle !== undefined && typeof shuffle !== 'boolean') {
      throw new ArgumentTypeError(`DataLoader: shuffle should be a boolean value, but got shuffle=${pyRepr(shuffle)}`);
    }
    if (options.collateFn !== undefined && options.collateFn !== null && typeof options.collateFn !== 'function') {
      throw new ArgumentTypeError(`DataLoader: collateFn should be a function, but got ${typeof options.collateFn}`);
    }
    if (sampler !== null && !isIterable(sampler)) {
      throw new ArgumentTypeError(`'${typeof sampler}' object is not iterable (sampler must be an iterable of indices)`);
    }
    if (batchSampler !== null && !isIterable(batchSampler)) {
      throw new ArgumentTypeError(
        `'${typeof batchSampler}' object is not iterable (batchSampler must be an iterable of index arrays)`);
    }

    const iterable = dataset instanceof IterableDataset;
    if (iterable) {
      if (shuffle !== undefined && shuffle !== false) {
        throw new ValueError(`DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${pyRepr(shuffle)}`);
      }
      if (sampler !== null) {
        throw new ValueError(`DataLoader with IterableDataset: expected unspecified sampler option, but got sampler=${pyRepr(sampler)}`);
      }
      if (batchSampler !== null) {
        throw new ValueError(
          `DataLoader with IterableDataset: expected unspecified batch_sampler option, but got batch_sampler=${pyRepr(batchSampler)}`,
        );
      }
    } else {
      shuffle = shuffle ?? false;
    }
    if (sampler !== null && shuffle) throw new ValueError('sampler option is mutually exclusive with shuffle');
    if (batchSampler !== null) {
      if (batchSize !== 1 || shuffle || sampler !== null || dropLast) {
        throw new ValueError('batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last');
      }
      batchSize = null;
      dropLast = false;
    } else if (batchSize === null) {
      if (dropLast) throw new ValueError('batch_size=None option disables auto-batching and is mutually exclusive with drop_last');
    } else if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize <= 0) {
      throw new ValueError(`batch_size should be a positive integer value, but got batch_size=${pyRepr(batchSize)}`);
    }

    this.dataset = iterable ? dataset : asMapDataset(dataset as MapDataset<T> | readonly T[]);
    if (!iterable) {
      const ds = this.dataset as MapDataset<T>;
      if (typeof ds?.getItem !== 'function') {
        throw new ArgumentTypeError(
          'DataLoader: dataset must have getItem(index) and length (a Dataset, a plain array), or be an IterableDataset');
      }
      sampler ??= shuffle ? new RandomSampler(ds, { generator }) : new SequentialSampler(ds);
    }
    this.sampler = iterable ? null : sampler;
    this.batchSampler = batchSampler ?? (!iterable && batchSize !== null ? new BatchSampler(sampler!, batchSize, dropLast) : null);
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.generator = generator;
    this.autoCollate = this.batchSampler !== null || (iterable && batchSize !== null);
    this.collateFn =
      options.collateFn ?? ((this.autoCollate ? defaultCollate : (items: T[]) => defaultConvert(items[0])) as (items: T[]) => B);
  }

  /**
   * The number of batches per epoch. PyTorch: `len(loader)`. For an IterableDataset it comes from
   * the dataset's `length` (a TypeError when it has none).
   */
  get length(): number {
    if (this.dataset instanceof IterableDataset) {
      const n = lengthOf(this.dataset);
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    return lengthOf(this.batchSampler ?? this.sampler);
  }

  /** One epoch of batches, synchronously. PyTorch: `iter(loader)`. */
  *[Symbol.iterator](): Generator<B, void, undefined> {
    const ds = this.dataset;
    if (ds instanceof IterableDataset) {
      yield* this.streamBatches(ds[Symbol.iterator]());
      return;
    }
    if (this.batchSampler !== null) {
      for (const indices of this.batchSampler) yield this.collateFn(indices.map((i) => ds.getItem(i)));
    } else {
      for (const i of this.sampler!) yield this.collateFn([ds.getItem(i)]);
    }
  }

  /** One epoch of batches; the only way to read an IterableDataset over an async source. */
  async *[Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    const ds = this.dataset;
    if (!(ds instanceof IterableDataset)) {
      yield* this[Symbol.iterator]();
      return;
    }
    let batch: T[] = [];
    const size = this.batchSize ?? 1;
    for await (const item of { [Symbol.asyncIterator]: () => ds[Symbol.asyncIterator]() }) {
      batch.push(item);
      if (batch.length === size) {
        yield this.collateFn(batch);
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield this.collateFn(batch);
  }

  private *streamBatches(it: Iterator<T>): Generator<B, void, undefined> {
    let batch: T[] = [];
    const size = this.batchSize ?? 1;
    for (let r = it.next(); !r.done; r = it.next()) {
      batch.push(r.value);
      if (batch.length === size) {
        yield this.collateFn(batch);
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield this.collateFn(batch);
  }
}
