/**
 * torch.utils.data against PyTorch 1.13 (fixture: tools/fixtures/data.py): default_collate's
 * structures and dtypes, random_split's lengths, the DataLoader's batches and len(), a recorded
 * PyTorch shuffle replayed through a sampler, and PyTorch's error for each bad argument.
 * Random order itself (torchlet's own stream) is checked for reproducibility and statistics.
 */
import { describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import { expectPyTorchError } from './helpers/errors.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

const { DataLoader, TensorDataset, Subset, ConcatDataset, IterableDataset, Dataset, randomSplit, defaultCollate } =
  torch.utils.data;
const { BatchSampler, RandomSampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler } = torch.utils.data;

type Json = unknown;
interface Described {
  tensor?: string;
  dtype?: string;
  shape?: number[];
  dict?: Record<string, Described>;
  list?: Described[];
  value?: Json;
}
interface Cases {
  collate: { name: string; batch: Json[]; out: Described }[];
  splits: { n: number; lengths: number[]; sizes: number[] }[];
  batches: { name: string; n: number; iterable?: boolean; options: Record<string, unknown>; batches: Json[]; len: number }[];
  batchSampler: { n: number; bs: number; drop: boolean; out?: number[][]; len?: number }[];
  concat: { sizes: number[]; cumulative: number[]; items: number[] };
  replay: { batchSize: number; epochs: number[][][] };
  errors: { name: string; type: string; message: string }[];
}
const fx = loadFixture<Cases>('data');

/** Rebuild an item from the fixture's JSON: {t, shape, dtype} is a tensor, lists are tuples. */
function build(j: Json): unknown {
  if (j !== null && typeof j === 'object' && !Array.isArray(j)) {
    const o = j as Record<string, Json>;
    if ('t' in o) return torch.tensor(o.t as number[], { dtype: 'float32' }).reshape(o.shape as number[]);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, build(v)]));
  }
  if (Array.isArray(j)) return j.map(build);
  return j;
}

const DTYPE: Record<string, string> = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool' };

function expectLike(actual: unknown, d: Described, path: string): void {
  if (d.tensor !== undefined) {
    expect(actual, path).toBeInstanceOf(torch.Tensor);
    const t = actual as torch.Tensor;
    expect(t.dtype, `${path} dtype`).toBe(DTYPE[d.dtype!]);
    expectClose(t.to('float64'), fx.get(d.tensor).to('float64'), TOL.f32, path);
  } else if (d.dict !== undefined) {
    expect(Object.keys(actual as object)).toEqual(Object.keys(d.dict));
    for (const [k, v] of Object.entries(d.dict)) expectLike((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else if (d.list !== undefined) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length).toBe(d.list.length);
    d.list.forEach((v, i) => {
      expectLike((actual as unknown[])[i], v, `${path}[${i}]`);
    });
  } else {
    expect(actual, path).toEqual(d.value);
  }
}

class Ids extends Dataset<number> {
  constructor(readonly n: number) {
    super();
  }
  get length(): number {
    return this.n;
  }
  getItem(i: number): number {
    return i;
  }
}

function optionsOf(o: Record<string, unknown>): torch.utils.data.DataLoaderOptions<number, unknown> {
  return o as torch.utils.data.DataLoaderOptions<number, unknown>;
}

describe('defaultCollate matches default_collate', () => {
  for (const c of fx.cases.collate) {
    it(c.name, () => {
      const out = defaultCollate(c.batch.map(build));
      expectLike(out, c.out, c.name);
    });
  }
  it('typed arrays keep their dtype (PyTorch: NumPy arrays)', () => {
    const out = defaultCollate([Float64Array.of(1, 2), Float64Array.of(3, 4)]);
    expect(out.dtype).toBe('float64');
    expect(out.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(defaultCollate([Int32Array.of(1), Int32Array.of(2)]).dtype).toBe('int32');
  });
  it('gradients flow through a collated batch', () => {
    const a = torch.tensor([1, 2], { requiresGrad: true });
    const b = torch.tensor([3, 4], { requiresGrad: true });
    defaultCollate([a, b]).mul(torch.tensor([[1, 2], [3, 4]])).sum().backward();
    expect(a.grad!.tolist()).toEqual([1, 2]);
    expect(b.grad!.tolist()).toEqual([3, 4]);
  });
});

describe('datasets', () => {
  it('randomSplit lengths match random_split', () => {
    for (const c of fx.cases.splits) {
      const parts = randomSplit(new Ids(c.n), c.lengths, { generator: new torch.Generator().manualSeed(0) });
      expect(parts.map((p) => p.length), JSON.stringify(c)).toEqual(c.sizes);
      const all = parts.flatMap((p) => Array.from({ length: p.length }, (_, i) => p.getItem(i)));
      expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: c.n }, (_, i) => i));
    }
  });
  it('randomSplit is reproducible with a generator and leaves the global stream alone', () => {
    torch.manualSeed(3);
    const before = torch.rand(1).item();
    torch.manualSeed(3);
    const split = () => randomSplit(new Ids(20), [0.5, 0.5], { generator: new torch.Generator().manualSeed(42) });
    const a = split().map((s) => s.indices);
    const b = split().map((s) => s.indices);
    expect(a).toEqual(b);
    expect(torch.rand(1).item()).toBe(before);
    const c = randomSplit(new Ids(20), [0.5, 0.5], { generator: new torch.Generator().manualSeed(43) }).map((s) => s.indices);
    expect(c).not.toEqual(a);
  });
  it('randomSplit warns for each empty split from fractions, as random_split in PyTorch 1.13 (counts do not warn)', () => {
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      // PyTorch 1.13: random_split(range(3), [0.5, 0.3, 0.1, 0.1]) gives [2, 1, 0, 0] and these two UserWarnings.
      const parts = randomSplit(new Ids(3), [0.5, 0.3, 0.1, 0.1]);
      expect(parts.map((p) => p.length)).toEqual([2, 1, 0, 0]);
      expect(warned.mock.calls.map((c) => c[0])).toEqual([2, 3].map(
        (i) => `UserWarning: Length of split at index ${i} is 0. This might result in an empty dataset.`,
      ));
      warned.mockClear();
      expect(randomSplit(new Ids(3), [0, 3]).map((p) => p.length)).toEqual([0, 3]);
      expect(randomSplit(new Ids(4), [0.5, 0.5]).map((p) => p.length)).toEqual([2, 2]);
      expect(warned).not.toHaveBeenCalled();
    } finally {
      warned.mockRestore();
    }
  });
  it('ConcatDataset: cumulativeSizes and negative indices as PyTorch', () => {
    const ds = new ConcatDataset<number>([[0, 1, 2], [], [10, 11, 12, 13]]);
    expect(ds.cumulativeSizes).toEqual(fx.cases.concat.cumulative);
    const items = [];
    for (let i = -7; i < 7; i++) items.push(ds.getItem(i));
    expect(items).toEqual(fx.cases.concat.items);
  });
  it('TensorDataset rows are views; Subset reindexes', () => {
    const x = torch.arange(12, { dtype: 'float32' }).reshape(4, 3);
    const y = torch.tensor([0, 1, 0, 1], { dtype: 'int32' });
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(4);
    const [x2, y2] = ds.getItem(-2);
    expect(x2.tolist()).toEqual([6, 7, 8]);
    expect(y2.shape).toEqual([]);
    expect(y2.item()).toBe(0);
    expect(x2.storage).toBe(x.storage);
    const sub = new Subset(ds, [3, 1]);
    expect(sub.length).toBe(2);
    expect(sub.getItem(0)[0].tolist()).toEqual([9, 10, 11]);
  });
});

describe('DataLoader batches match PyTorch', () => {
  for (const c of fx.cases.batches) {
    it(c.name, () => {
      const ds = c.iterable
        ? new IterableDataset(() => Array.from({ length: c.n }, (_, i) => i), { length: c.n })
        : new Ids(c.n);
      const loader = new DataLoader(ds, optionsOf(c.options));
      const got = [...loader].map((b) => (b instanceof torch.Tensor ? b.tolist() : b));
      expect(got).toEqual(c.batches);
      expect(loader.length).toBe(c.len);
      // A second epoch gives the same batches (no state left behind).
      expect([...loader].map((b) => (b instanceof torch.Tensor ? b.tolist() : b))).toEqual(c.batches);
    });
  }
  it('BatchSampler as PyTorch', () => {
    for (const c of fx.cases.batchSampler) {
      const s = new BatchSampler(new SequentialSampler({ length: c.n }), c.bs, c.drop);
      if (c.out) expect([...s]).toEqual(c.out);
      if (c.len !== undefined) expect(s.length).toBe(c.len);
    }
  });
  it('for (const [x, y] of loader) over a TensorDataset; plain arrays are datasets', () => {
    const x = torch.randn(10, 3);
    const y = torch.arange(10);
    const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 4 });
    const shapes: number[][] = [];
    for (const [xb, yb] of loader) {
      shapes.push([...xb.shape]);
      expect(yb.shape).toEqual([xb.shape[0]]);
    }
    expect(shapes).toEqual([
      [4, 3],
      [4, 3],
      [2, 3],
    ]);
    const fromArray = new DataLoader(
      [
        { a: 1, b: 'x' },
        { a: 2, b: 'y' },
        { a: 3, b: 'z' },
      ],
      { batchSize: 2 },
    );
    const batches = [...fromArray];
    expect(batches[0]!.a.tolist()).toEqual([1, 2]);
    expect(batches[1]!.b).toEqual(['z']);
  });
});

describe('shuffling', () => {
  it('replays a recorded PyTorch shuffle through a sampler: the same batches, epoch by epoch', () => {
    const { batchSize, epochs } = fx.cases.replay;
    const ds = new TensorDataset(fx.get('replay/x'), fx.get('replay/y'));
    let epoch = 0;
    // One epoch's recorded order per pass over the sampler.
    const sampler = { [Symbol.iterator]: () => epochs[epoch++]!.flat()[Symbol.iterator](), length: 10 };
    const loader = new DataLoader(ds, { batchSize, sampler });
    for (let e = 0; e < epochs.length; e++) {
      let b = 0;
      for (const [xb, yb] of loader) {
        expectClose(xb, fx.get(`replay/e${e}/b${b}/x`), TOL.f32, `epoch ${e} batch ${b}`);
        expect(yb.tolist()).toEqual(fx.get(`replay/e${e}/b${b}/y`).tolist());
        b++;
      }
      expect(b).toBe(epochs[e]!.length);
    }
  });
  it('shuffle: every epoch a permutation, a new order each epoch, reproducible with a generator', () => {
    const run = () => {
      const loader = new DataLoader(new Ids(50), { batchSize: 7, shuffle: true, generator: new torch.Generator().manualSeed(1) });
      return [0, 1, 2].map(() => [...loader].flatMap((b) => b.tolist() as number[]));
    };
    const a = run();
    for (const order of a) expect([...order].sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a[0]).not.toEqual(a[1]);
    expect(run()).toEqual(a);
  });
  it('shuffle without a generator follows torch.manualSeed', () => {
    const run = () => {
      torch.manualSeed(11);
      return [...new DataLoader(new Ids(30), { batchSize: 30, shuffle: true })][0]!.tolist();
    };
    expect(run()).toEqual(run());
  });
  it('RandomSampler numSamples larger than the dataset: whole permutations then a part', () => {
    const s = new RandomSampler({ length: 5 }, { numSamples: 12, generator: new torch.Generator().manualSeed(2) });
    const got = [...s];
    expect(got.length).toBe(12);
    expect([...got.slice(0, 5)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect([...got.slice(5, 10)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(got.slice(10)).size).toBe(2);
  });
  it('SubsetRandomSampler permutes exactly the given indices', () => {
    const s = new SubsetRandomSampler([10, 20, 30, 40], { generator: new torch.Generator().manualSeed(5) });
    expect([...s].sort()).toEqual([10, 20, 30, 40]);
    expect(s.length).toBe(4);
  });
  it('WeightedRandomSampler: frequencies within sampling error; without replacement each index once', () => {
    const w = [1, 2, 0, 5];
    const n = 40000;
    const s = new WeightedRandomSampler(w, n, { generator: new torch.Generator().manualSeed(9) });
    const counts = [0, 0, 0, 0];
    for (const i of s) counts[i]!++;
    const total = 8;
    w.forEach((wi, i) => {
      const p = wi / total;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(counts[i]! - n * p), `index ${i}`).toBeLessThanOrEqual(4 * sd + 1e-9);
    });
    const noRep = [...new WeightedRandomSampler([1, 1, 1, 1, 0], 4, { replacement: false, generator: new torch.Generator().manualSeed(9) })];
    expect([...noRep].sort()).toEqual([0, 1, 2, 3]);
  });
  it('torch.randperm with a generator: a permutation, reproducible', () => {
    const a = torch.randperm(8, { generator: new torch.Generator().manualSeed(0) }).tolist();
    expect([...(a as number[])].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(torch.randperm(8, { generator: new torch.Generator().manualSeed(0) }).tolist()).toEqual(a);
    expect(torch.randperm(0).shape).toEqual([0]);
  });
  it('a Generator restores its state', () => {
    const g = new torch.Generator().manualSeed(4);
    const st = g.getState();
    const a = torch.rand(5, { generator: g }).tolist();
    g.setState(st);
    expect(torch.rand(5, { generator: g }).tolist()).toEqual(a);
    expect(g.initialSeed()).toBe(4);
    expect(new torch.Generator().initialSeed()).toBe(67280421310721);
  });
});

describe('iterable datasets', () => {
  it('a sync iterable: for of, batches, dropLast, length', () => {
    const ds = new IterableDataset(() => [1, 2, 3, 4, 5].map((v) => torch.tensor([v, -v])), { length: 5 });
    const loader = new DataLoader(ds, { batchSize: 2, dropLast: true });
    const got = [...loader].map((b) => b.tolist());
    expect(got).toEqual([
      [
        [1, -1],
        [2, -2],
      ],
      [
        [3, -3],
        [4, -4],
      ],
    ]);
    expect(loader.length).toBe(2);
  });
  it('an async iterable needs for await, and gets its batches there', async () => {
    async function* stream() {
      for (let i = 0; i < 5; i++) {
        await Promise.resolve();
        yield [i, i * 0.5] as [number, number];
      }
    }
    const loader = new DataLoader(new IterableDataset(() => stream()), { batchSize: 2 });
    expect(() => [...loader]).toThrow(/for await/);
    const got: unknown[] = [];
    for await (const [a, b] of loader) got.push([a.tolist(), b.tolist()]);
    expect(got).toEqual([
      [[0, 1], [0, 0.5]],
      [[2, 3], [1, 1.5]],
      [[4], [2]],
    ]);
  });
  it('subclassed IterableDataset (sync iterator) also reads with for await; map-style too', async () => {
    class Count extends IterableDataset<number> {
      override *[Symbol.iterator](): Iterator<number> {
        for (let i = 0; i < 3; i++) yield i;
      }
    }
    const got: number[][] = [];
    for await (const b of new DataLoader(new Count(), { batchSize: 2 })) got.push(b.tolist() as number[]);
    expect(got).toEqual([[0, 1], [2]]);
    const mapped: number[][] = [];
    for await (const b of new DataLoader(new Ids(3), { batchSize: 2 })) mapped.push(b.tolist() as number[]);
    expect(mapped).toEqual([[0, 1], [2]]);
  });
});

describe('padSequence as a collate helper', () => {
  it('variable-length items batch into (B, Lmax, H) plus lengths', () => {
    const items: [torch.Tensor, number][] = [
      [torch.ones(3, 2), 0],
      [torch.ones(1, 2).mul(2), 1],
      [torch.ones(2, 2).mul(3), 0],
    ];
    const loader = new DataLoader(items, {
      batchSize: 3,
      collateFn: (batch) => {
        const seqs = batch.map(([s]) => s);
        return {
          x: torch.nn.utils.rnn.padSequence(seqs, { batchFirst: true }),
          lengths: seqs.map((s) => s.shape[0]!),
          y: torch.tensor(batch.map(([, y]) => y), { dtype: 'int32' }),
        };
      },
    });
    const [b] = [...loader];
    expect(b!.x.shape).toEqual([3, 3, 2]);
    expect(b!.lengths).toEqual([3, 1, 2]);
    expect(b!.x.tolist()).toEqual([
      [[1, 1], [1, 1], [1, 1]],
      [[2, 2], [0, 0], [0, 0]],
      [[3, 3], [3, 3], [0, 0]],
    ]);
    const packed = torch.nn.utils.rnn.packPaddedSequence(b!.x, b!.lengths, { batchFirst: true, enforceSorted: false });
    expect(packed.batchSizes.tolist()).toEqual([3, 2, 1]);
  });
});

describe("bad arguments get PyTorch's errors", () => {
  const ds = new Ids(5);
  const stream3 = () => new IterableDataset(() => [0, 1, 2], { length: 3 });
  const calls: Record<string, () => unknown> = {
    batch_size_zero: () => new DataLoader(ds, { batchSize: 0 }),
    batch_size_neg: () => new DataLoader(ds, { batchSize: -2 }),
    sampler_shuffle: () => new DataLoader(ds, { sampler: [0, 1], shuffle: true }),
    batch_sampler_bs: () => new DataLoader(ds, { batchSampler: [[0]], batchSize: 2 }),
    batch_sampler_shuffle: () => new DataLoader(ds, { batchSampler: [[0]], shuffle: true }),
    batch_sampler_drop: () => new DataLoader(ds, { batchSampler: [[0]], dropLast: true }),
    none_drop_last: () => new DataLoader(ds, { batchSize: null, dropLast: true }),
    iterable_shuffle: () => new DataLoader(stream3(), { shuffle: true }),
    num_workers_neg: () => new DataLoader(ds, { numWorkers: -1 }),
    bs_sampler_bs: () => new BatchSampler([0, 1, 2], 0, false),
    bs_sampler_drop: () => new BatchSampler([0, 1, 2], 2, 1 as unknown as boolean),
    random_num_samples: () => new RandomSampler(ds, { numSamples: 0 }),
    random_replacement: () => new RandomSampler(ds, { replacement: 1 as unknown as boolean }),
    weighted_num_samples: () => new WeightedRandomSampler([1, 2], 0),
    weighted_replacement: () => new WeightedRandomSampler([1, 2], 1, { replacement: 0 as unknown as boolean }),
    weighted_shape: () => new WeightedRandomSampler([[1, 2], [3, 4]] as unknown as number[], 1),
    weighted_too_many: () => [...new WeightedRandomSampler([1, 2], 3, { replacement: false })],
    weighted_negative: () => [...new WeightedRandomSampler([1, -2], 1)],
    weighted_zero: () => [...new WeightedRandomSampler([0, 0], 1)],
    tensor_dataset_mismatch: () => new TensorDataset(torch.zeros(3, 2), torch.zeros(4)),
    tensor_dataset_index: () => new TensorDataset(torch.zeros(3, 2)).getItem(3),
    concat_empty: () => new ConcatDataset([]),
    concat_iterable: () => new ConcatDataset([stream3() as unknown as number[]]),
    concat_negative: () => new ConcatDataset([[0, 1, 2]]).getItem(-4),
    split_sum: () => randomSplit(new Ids(10), [3, 6]),
    split_fraction: () => randomSplit(new Ids(10), [1.5, -0.5]),
    collate_unequal: () => defaultCollate([[1, 2], [3]]),
    collate_stack: () => defaultCollate([torch.zeros(2), torch.zeros(3)]),
    collate_none: () => defaultCollate([null, null]),
    len_iterable: () => new DataLoader(new IterableDataset(() => [1])).length,
    randperm_negative: () => torch.randperm(-1),
    manual_seed_float: () => new torch.Generator().manualSeed(1.5),
  };
  for (const c of fx.cases.errors) {
    it(`${c.name}: ${c.type}: ${c.message}`, () => {
      // Python's AssertionError has no twin here; those are ValueErrors.
      expectPyTorchError(calls[c.name], { ...c, type: c.type === 'AssertionError' ? 'ValueError' : c.type }, 'prefix');
    });
  }
  it('nothing changes when an argument is refused; unknown options are refused', () => {
    expect(() => new DataLoader(ds, { batchSzie: 2 } as never)).toThrow(/unexpected option 'batchSzie'/);
    expect(() => new DataLoader(ds, { numWorkers: 2 })).toThrow(/num_workers=2 is not supported/);
  });
});
