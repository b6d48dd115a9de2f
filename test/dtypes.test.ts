/**
 * Dtypes against PyTorch 1.13 (test/fixtures/dtypes.json, made by tools/fixtures/dtypes.py):
 * torch.promote_types / result_type / can_cast for the five dtypes, the dtype and values (or the
 * error) of every op on every input dtype, casts of special values, and printing. Then the int64
 * storage rule (outside int32 is an error, never wrapped), spellings, and the index helpers.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { indexTensor } from '../src/ops/util.js';
import type { DType } from '../src/tensor/dtype.js';
import { parseDType, resultType } from '../src/tensor/dtype.js';
import { expectError } from './helpers/errors.js';

const F = torch.nn.functional;
type Tensor = torch.Tensor;

interface Outcome {
  dtype?: string;
  values?: unknown;
  outputs?: { dtype: string; values: unknown }[];
  error?: string;
  message?: string;
}
interface DtypesFixture {
  fixture_version: string;
  torch_version: string;
  promote_types: Record<string, Record<string, string>>;
  can_cast: Record<string, Record<string, boolean>>;
  result_type: { a: [string, number]; b: [string, number] | number; dtype: string }[];
  ops: Record<string, Outcome>;
  casts: Record<string, Outcome>;
  print: Record<string, string>;
}

const fx = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'dtypes.json'), 'utf8'),
) as DtypesFixture;
const NAMES = ['float32', 'float64', 'int32', 'int64', 'bool'] as const;

/** The inputs tools/fixtures/dtypes.py uses: [1, 0, 2] (bool: [true, false, true]) and [2, 1, 2]. */
function input(dtype: DType, values: readonly number[] = [1, 0, 2]): Tensor {
  return dtype === 'bool' ? torch.tensor(values.map((v) => v !== 0)) : torch.tensor([...values], { dtype });
}
const SCALARS: Record<string, number> = { int: 2, float: 2.5 };

/** The torchlet twin of each op case in the fixture (names as in tools/fixtures/dtypes.py). */
const BINARY: Record<string, (a: Tensor, b: Tensor | number) => Tensor> = {
  add: (a, b) => torch.add(a, b),
  sub: (a, b) => torch.sub(a, b),
  mul: (a, b) => torch.mul(a, b),
  div: (a, b) => torch.div(a, b),
  pow: (a, b) => torch.pow(a, b),
  maximum: (a, b) => torch.maximum(a, b as Tensor),
  minimum: (a, b) => torch.minimum(a, b as Tensor),
  gt: (a, b) => a.gt(b),
  lt: (a, b) => a.lt(b),
  ge: (a, b) => a.ge(b),
  le: (a, b) => a.le(b),
  eq: (a, b) => a.eq(b),
  ne: (a, b) => a.ne(b),
  logical_and: (a, b) => a.logicalAnd(b as Tensor),
  logical_or: (a, b) => a.logicalOr(b as Tensor),
  logical_xor: (a, b) => a.logicalXor(b as Tensor),
};
const mask = () => torch.tensor([true, false, false]);
const UNARY: Record<string, (x: Tensor) => Tensor | Tensor[]> = {
  neg: (x) => x.neg(),
  abs: (x) => x.abs(),
  exp: (x) => x.exp(),
  log: (x) => x.log(),
  sqrt: (x) => x.sqrt(),
  tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(),
  relu: (x) => x.relu(),
  isnan: (x) => torch.isnan(x),
  logical_not: (x) => torch.logicalNot(x),
  sum: (x) => x.sum(),
  sum_dim: (x) => x.sum(0),
  mean: (x) => x.mean(),
  max: (x) => x.max(),
  max_dim: (x) => [...x.max(0)],
  softmax: (x) => x.softmax(0),
  clamp_int: (x) => x.clamp(0, 1),
  clamp_float: (x) => x.clamp(0.5),
  clone: (x) => x.clone(),
  float: (x) => x.float(),
  double: (x) => x.double(),
  int: (x) => x.int(),
  long: (x) => x.long(),
  bool: (x) => x.bool(),
  zeros_like: (x) => torch.zerosLike(x),
  ones_like: (x) => torch.onesLike(x),
  matmul: (x) => torch.matmul(x, x),
  masked_fill_int: (x) => x.maskedFill(mask(), 7),
  masked_fill_float: (x) => x.maskedFill(mask(), 2.5),
  where_self_int: (x) => torch.where(torch.tensor([true, false, true]), x, 5),
  where_self_float: (x) => torch.where(torch.tensor([true, false, true]), x, 0.5),
  where_cond: (x) => torch.where(x, torch.ones(3), torch.zeros(3)),
  masked_fill_mask: (x) => torch.zeros(3).maskedFill(x, 1),
  cat_float32: (x) => torch.cat([x, torch.zeros(1)]),
  cat_int32: (x) => torch.cat([x, torch.zeros(1, { dtype: 'int32' })]),
  index_select: (x) => torch.arange(4, { dtype: 'float32' }).indexSelect(0, x),
  embedding: (x) => F.embedding(x, torch.arange(8, { dtype: 'float32' }).reshape(4, 2)),
  cross_entropy: (x) => F.crossEntropy(torch.zeros(3, 4), x),
  requires_grad: (x) => x.clone().requiresGrad_(),
};
const OTHER: Record<string, () => Tensor> = {
  'where_scalars/int/int': () => torch.where(torch.tensor([true, false]), 1, 0),
  'where_scalars/float/int': () => torch.where(torch.tensor([true, false]), 1.5, 0),
  'arange/int': () => torch.arange(3),
  'arange/float': () => torch.arange(0, 1.5, 0.5),
  'full/bool': () => torch.full([2], true),
  'tensor/bool': () => torch.tensor([true, false]),
  randperm: () => torch.randperm(1),
  'pack_padded/int32_lengths': () =>
    torch.nn.utils.rnn.packPaddedSequence(torch.zeros(3, 2, 1), torch.tensor([3, 2], { dtype: 'int32' })).batchSizes,
  'pad_packed/lengths': () => torch.nn.utils.rnn.padPackedSequence(torch.nn.utils.rnn.packPaddedSequence(torch.zeros(3, 2, 1), [3, 2]))[1],
};

/**
 * Where torchlet deliberately differs from PyTorch 1.13 (each a `// PyTorch parity:` note in the code):
 * - cross_entropy/int32: torchlet also takes int32 class indices (PyTorch 1.13 only Long);
 * - masked_fill_mask/<non-bool>: PyTorch 1.13 still accepted float masks (and raised an odd
 *   "Mask tensor can take 0 and 1 values only" for integer ones); torchlet takes bool masks only,
 *   with the message of later PyTorch ("masked_fill_ only supports boolean masks").
 */
const DEVIATIONS: Record<string, (o: () => unknown) => void> = {
  'cross_entropy/int32': (run) => expect((run() as Tensor).dtype).toBe('float32'),
  'masked_fill_mask/float32': (run) => expectError(run, torch.DTypeError, 'masked_fill_ only supports boolean masks, but got mask with dtype Float'),
  'masked_fill_mask/float64': (run) => expectError(run, torch.DTypeError, 'masked_fill_ only supports boolean masks, but got mask with dtype Double'),
  'masked_fill_mask/int32': (run) => expectError(run, torch.DTypeError, 'masked_fill_ only supports boolean masks, but got mask with dtype Int'),
  'masked_fill_mask/int64': (run) => expectError(run, torch.DTypeError, 'masked_fill_ only supports boolean masks, but got mask with dtype Long'),
};

function same(actual: unknown, expected: unknown, label: string): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), label).toBe(true);
    expect((actual as unknown[]).length, label).toBe(expected.length);
    expected.forEach((e, i) => {
      same((actual as unknown[])[i], e, `${label}[${i}]`);
    });
    return;
  }
  if (typeof expected === 'string') {
    // Python's 'nan', 'inf', '-inf'
    expect(actual, label).toBe({ nan: Number.NaN, inf: Number.POSITIVE_INFINITY, '-inf': Number.NEGATIVE_INFINITY }[expected]);
    return;
  }
  const a = actual as number;
  const e = expected as number;
  if (Number.isInteger(e) && Number.isInteger(a)) expect(a, label).toBe(e);
  else expect(Math.abs(a - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${label}: got ${a}, expected ${e}`).toBe(true);
}

/** Check a torchlet run against PyTorch's outcome: the same dtype and values, or the same error. */
function expectOutcome(name: string, run: () => Tensor | Tensor[], want: Outcome): void {
  const deviation = DEVIATIONS[name];
  if (deviation) {
    deviation(run);
    return;
  }
  if (want.error !== undefined) {
    let err: unknown = null;
    try {
      run();
    } catch (e) {
      err = e;
    }
    expect(err, `${name}: expected PyTorch's ${want.error}: ${want.message}`).toBeInstanceOf(torch.TorchletError);
    const e = err as torch.TorchletError;
    expect(e.pytorchType, `${name}: error type`).toBe(want.error);
    expect(e.message.split('\n')[0]!.startsWith(want.message!), `${name}: message was: ${e.message}`).toBe(true);
    return;
  }
  const got = run();
  const outs = Array.isArray(got) ? got : [got];
  const wants = want.outputs ?? [{ dtype: want.dtype!, values: want.values }];
  expect(outs.length, `${name}: outputs`).toBe(wants.length);
  outs.forEach((o, i) => {
    expect(o.dtype, `${name}: out${i} dtype`).toBe(wants[i]!.dtype);
    same(o.tolist(), wants[i]!.values, `${name}: out${i}`);
  });
}

describe('type promotion as PyTorch (tools/fixtures/dtypes.py)', () => {
  it('comes from torch 1.13, fixture format 2', () => {
    expect(fx.fixture_version).toBe('2');
    expect(fx.torch_version.startsWith('1.13')).toBe(true);
  });
  it('torch.promote_types and torch.can_cast for every pair', () => {
    for (const a of NAMES) {
      for (const b of NAMES) {
        expect(torch.promoteTypes(a, b), `${a}, ${b}`).toBe(fx.promote_types[a]![b]);
        expect(torch.canCast(a, b), `can_cast ${a} -> ${b}`).toBe(fx.can_cast[a]![b]);
      }
    }
  });
  it(`torch.result_type of dim tensors, 0-d tensors and numbers (${fx.result_type.length} cases)`, () => {
    const operand = (o: [string, number] | number) => (typeof o === 'number' ? o : { dtype: o[0] as DType, ndim: o[1] });
    for (const c of fx.result_type) {
      expect(resultType(operand(c.a), operand(c.b)), JSON.stringify([c.a, c.b])).toBe(c.dtype);
      // The public twin takes tensors and numbers.
      const t = (o: [string, number] | number) => (typeof o === 'number' ? o : o[1] === 0 ? torch.zeros([], { dtype: o[0] as DType }) : input(o[0] as DType));
      expect(torch.resultType(t(c.a), t(c.b))).toBe(c.dtype);
    }
  });
});

describe('the dtype (or the error) of every op on every dtype, as PyTorch', () => {
  const names = Object.keys(fx.ops);
  it('the fixture has a case for every twin here, and every case has a twin', () => {
    const twins = new Set<string>(Object.keys(OTHER));
    for (const op of Object.keys(BINARY)) {
      for (const a of NAMES) {
        for (const b of [...NAMES, 'int', 'float']) twins.add(`${op}/${a}/${b}`);
      }
    }
    for (const op of Object.keys(UNARY)) for (const a of NAMES) twins.add(`${op}/${a}`);
    for (const n of names) expect(twins.has(n), `no torchlet twin for ${n}`).toBe(true);
    expect(names.length).toBeGreaterThan(700);
  });
  for (const op of Object.keys(BINARY)) {
    it(`binary ${op}`, () => {
      for (const a of NAMES) {
        for (const b of [...NAMES, 'int', 'float']) {
          const name = `${op}/${a}/${b}`;
          const want = fx.ops[name];
          if (want === undefined) continue;
          const x = input(a);
          const y = b in SCALARS ? SCALARS[b]! : input(b as DType, [2, 1, 2]);
          expectOutcome(name, () => BINARY[op]!(x, y), want);
          // Inputs untouched.
          expect(x.tolist()).toEqual(a === 'bool' ? [1, 0, 1] : [1, 0, 2]);
        }
      }
    });
  }
  for (const op of Object.keys(UNARY)) {
    it(`unary ${op}`, () => {
      for (const a of NAMES) {
        const x = input(a);
        expectOutcome(`${op}/${a}`, () => UNARY[op]!(x), fx.ops[`${op}/${a}`]!);
        expect(x.dtype).toBe(a);
      }
    });
  }
  it('creation and index results', () => {
    for (const [name, run] of Object.entries(OTHER)) {
      const want = fx.ops[name]!;
      if (name === 'randperm') expect(run().dtype).toBe(want.dtype);
      else expectOutcome(name, run, want);
    }
  });
});

describe('casts as PyTorch: truncation toward zero, nonzero is true, NaN is true', () => {
  for (const d of NAMES) {
    it(`to ${d}`, () => {
      const src = torch.tensor([-0.5, 2.7, -2.7, 0], { dtype: 'float64' });
      expectOutcome(d, () => src.to(d), fx.casts[d]!);
      const nan = torch.tensor([Number.NaN]);
      if (d === 'int64') {
        // PyTorch gives INT64_MIN (undefined behaviour in C); torchlet's int64 refuses the value.
        expectError(() => nan.to(d), torch.DTypeError, "to(torch.int64): value NaN does not fit in torchlet's int64");
      } else {
        expectOutcome(`${d}/nan`, () => nan.to(d), fx.casts[`${d}/nan`]!);
      }
    });
  }
});

describe('printing bool and int64 as PyTorch', () => {
  const make: Record<string, () => Tensor> = {
    bool: () => torch.tensor([true, false, true]),
    bool_all_true: () => torch.tensor([true, true]),
    bool_2d: () => torch.tensor([[true], [false]]),
    bool_scalar: () => torch.tensor(false),
    int64: () => torch.tensor([1, -20, 300], { dtype: 'int64' }),
    int64_scalar: () => torch.tensor(5, { dtype: torch.long }),
    int32: () => torch.tensor([1, -20], { dtype: 'int32' }),
    int64_empty: () => torch.zeros(0, { dtype: 'int64' }),
    bool_empty_2d: () => torch.zeros([0, 2], { dtype: 'bool' }),
  };
  for (const [name, repr] of Object.entries(fx.print)) {
    it(name, () => {
      expect(make[name], `no twin for ${name}`).toBeDefined();
      expect(String(make[name]!())).toBe(repr);
    });
  }
});

describe('int64 is stored in 32 bits: outside int32 is an error, never wrapped', () => {
  const limit = "does not fit in torchlet's int64, which is stored in 32 bits (range [-2147483648, 2147483647])";
  it('the edges of the range are exact', () => {
    const t = torch.tensor([2147483647, -2147483648], { dtype: 'int64' });
    expect(t.tolist()).toEqual([2147483647, -2147483648]);
    expect(t.storage).toBeInstanceOf(Int32Array);
  });
  it('creation, casts and fills refuse a wider value', () => {
    expectError(() => torch.tensor([1, 2 ** 31], { dtype: 'int64' }), torch.DTypeError, `torch.tensor: value 2147483648 ${limit}`);
    expectError(() => torch.full([2], -(2 ** 31) - 1, { dtype: 'long' }), torch.DTypeError, `torch.full: value -2147483649 ${limit}`);
    expectError(() => torch.tensor([3e9]).long(), torch.DTypeError, `to(torch.int64): value 3000000000 ${limit}`);
    expectError(() => torch.arange(2 ** 31 - 1, 2 ** 31 + 1), torch.DTypeError, `torch.arange: value 2147483648 ${limit}`);
  });
  it('arithmetic that leaves the range is refused (int32 wraps, as PyTorch)', () => {
    const big = torch.tensor([2147483647], { dtype: 'int64' });
    expectError(() => big.add(1), torch.DTypeError, `torch.add: value 2147483648 ${limit}`);
    expectError(() => big.mul(big), torch.DTypeError, 'torch.mul: value 4611686014132420600');
    expectError(() => torch.tensor([2147483647, 1], { dtype: 'int64' }).sum(), torch.DTypeError, `torch.sum: value 2147483648 ${limit}`);
    expectError(() => big.add(2 ** 40), torch.DTypeError, 'scalar operand: value 1099511627776');
    expect(big.tolist()).toEqual([2147483647]);
    // int32 arithmetic wraps around as PyTorch's does.
    expect(torch.tensor([2147483647], { dtype: 'int32' }).add(1).tolist()).toEqual([-2147483648]);
    // An int32 sum is int64 (PyTorch), so it too is range-checked rather than wrapped.
    expectError(() => torch.tensor([2147483647, 1], { dtype: 'int32' }).sum(), torch.DTypeError, 'torch.sum: value 2147483648');
  });
  it('copy_ into an int64 tensor checks before writing anything', () => {
    const t = torch.tensor([1, 2], { dtype: 'int64' });
    expectError(() => t.copy_([5, 2 ** 32]), torch.DTypeError, `copy_: value 4294967296 ${limit}`);
    expect(t.tolist()).toEqual([1, 2]);
  });
});

describe('PyTorch spellings of dtypes', () => {
  it('names, aliases and torch.* constants', () => {
    const x = torch.tensor([1.5, -2.5, 0]);
    const cases: [unknown, DType][] = [
      ['float32', 'float32'], ['float', 'float32'], [torch.float32, 'float32'], [torch.float, 'float32'],
      ['float64', 'float64'], ['double', 'float64'], [torch.float64, 'float64'], [torch.double, 'float64'],
      ['int32', 'int32'], ['int', 'int32'], [torch.int32, 'int32'], [torch.int, 'int32'],
      ['int64', 'int64'], ['long', 'int64'], [torch.int64, 'int64'], [torch.long, 'int64'],
      ['bool', 'bool'], [torch.bool, 'bool'], ['torch.long', 'int64'],
    ];
    for (const [spelling, dtype] of cases) {
      expect(parseDType(spelling), String(spelling)).toBe(dtype);
      expect(x.to(spelling as DType).dtype).toBe(dtype);
      expect(torch.zeros(2, { dtype: spelling as DType }).dtype).toBe(dtype);
      expect(torch.tensor([1, 0], { dtype: spelling as DType }).dtype).toBe(dtype);
    }
    expect([x.float().dtype, x.double().dtype, x.int().dtype, x.long().dtype, x.bool().dtype]).toEqual(['float32', 'float64', 'int32', 'int64', 'bool']);
    expect(x.long().tolist()).toEqual([1, -2, 0]);
    expect(x.bool().tolist()).toEqual([1, 1, 0]);
    expect(x.to(x.long()).dtype).toBe('int64');
  });
  it('unknown and unsupported dtypes are refused by name, nothing created or changed', () => {
    const x = torch.tensor([1, 2]);
    expectError(() => x.to('float16' as DType), torch.ArgumentTypeError, "Tensor.to: torchlet does not support dtype torch.float16; its dtypes are 'float32' ('float'), 'float64' ('double'), 'int32' ('int'), 'int64' ('long'), 'bool'.", 'TypeError');
    expectError(() => torch.zeros(2, { dtype: 'uint8' as DType }), torch.ArgumentTypeError, 'torch.full: torchlet does not support dtype torch.uint8', 'TypeError');
    expectError(() => torch.tensor([1], { dtype: 'Float32' as DType }), torch.ArgumentTypeError, "torch.tensor: expected a dtype ('float32' ('float'), 'float64' ('double'), 'int32' ('int'), 'int64' ('long'), 'bool'), got 'Float32'", 'TypeError');
    expectError(() => torch.ones(2, { dtype: 5 as unknown as DType }), torch.ArgumentTypeError, 'torch.full: expected a dtype', 'TypeError');
    expectError(() => torch.randn(2, { dtype: 'int64' }), torch.DTypeError, `"normal_kernel_cpu" not implemented for 'Long'`);
    expectError(() => torch.rand(2, { dtype: 'bool' }), torch.DTypeError, `"check_uniform_bounds" not implemented for 'Bool'`);
    expect(x.dtype).toBe('float32');
  });
  it('the typed-array inputs of torch.tensor keep their dtype (a Uint8Array is bool)', () => {
    expect(torch.tensor(Int32Array.of(1, 2)).dtype).toBe('int32');
    expect(torch.tensor(Float64Array.of(1, 2)).dtype).toBe('float64');
    expect(torch.tensor(Uint8Array.of(1, 0, 3)).tolist()).toEqual([1, 0, 1]);
    expect(torch.tensor([true, 1]).dtype).toBe('float32');
  });
});

describe('bool tensors as masks', () => {
  it('comparisons make masks that where, maskedFill, sum and logical ops take', () => {
    const x = torch.tensor([1, Number.NaN, -3, 4]);
    const m = x.gt(0);
    expect([m.dtype, m.tolist()]).toEqual(['bool', [1, 0, 0, 1]]);
    expect(m.sum().dtype).toBe('int64');
    expect(m.sum().item()).toBe(2);
    expect(x.isnan().logicalNot().logicalAnd(m.logicalNot()).tolist()).toEqual([0, 0, 1, 0]);
    expect(x.maskedFill(x.isnan(), 0).tolist()).toEqual([1, 0, -3, 4]);
    expect(torch.where(m, x, 0).tolist()).toEqual([1, 0, 0, 4]);
    expect(m.float().mean().item()).toBe(0.5);
  });
  it('an int or float mask is refused with a hint, nothing changed', () => {
    const x = torch.tensor([1, 2]);
    expectError(() => x.maskedFill(torch.tensor([1, 0], { dtype: 'int32' }), 0), torch.DTypeError, 'masked_fill_ only supports boolean masks, but got mask with dtype Int. Make the mask with a comparison (x.eq(0)) or mask.bool().');
    expectError(() => torch.where(torch.tensor([1, 0]), x, x), torch.DTypeError, 'where expected condition to be a boolean tensor, but got a tensor with dtype Float. Make a bool mask with a comparison (x.gt(0)) or cond.bool().');
    expect(x.tolist()).toEqual([1, 2]);
  });
  it('gradients flow through where and maskedFill with bool masks', () => {
    const x = torch.tensor([1, -2, 3], { requiresGrad: true });
    x.maskedFill(x.lt(0), 0).mul(torch.where(x.gt(2), 2, 1)).sum().backward();
    expect(x.grad!.tolist()).toEqual([1, 0, 2]);
  });
});

describe('ops that return indices return int64 (the helper for new ones)', () => {
  it('max(dim), lengths, batch sizes, sorted/unsorted indices, invertPermutation', () => {
    const x = torch.tensor([[1, 5], [7, 2]]);
    expect(x.max(1).indices.dtype).toBe('int64');
    const rnn = torch.nn.utils.rnn;
    const p = rnn.packPaddedSequence(torch.zeros(3, 2, 1), [2, 3], { enforceSorted: false });
    expect([p.batchSizes.dtype, p.sortedIndices!.dtype, p.unsortedIndices!.dtype]).toEqual(['int64', 'int64', 'int64']);
    const [, lengths] = rnn.padPackedSequence(p);
    expect([lengths.dtype, lengths.tolist()]).toEqual(['int64', [2, 3]]);
    expect(rnn.invertPermutation(torch.tensor([1, 0], { dtype: 'int64' })).dtype).toBe('int64');
  });
  it('indexTensor builds an int64 result from an Int32Array or numbers (range-checked)', () => {
    const t = indexTensor(Int32Array.of(2, 0, 1));
    expect([t.dtype, t.shape, t.tolist()]).toEqual(['int64', [3], [2, 0, 1]]);
    expect(indexTensor([1, 2, 3, 4], [2, 2]).tolist()).toEqual([[1, 2], [3, 4]]);
    expectError(() => indexTensor([2 ** 31]), torch.DTypeError, 'indices: value 2147483648');
  });
  it('int64 and int32 indices both work for indexSelect, Embedding and the losses', () => {
    const w = torch.arange(6, { dtype: 'float32' }).reshape(3, 2);
    for (const dtype of ['int64', 'int32'] as const) {
      const idx = torch.tensor([2, 0], { dtype });
      expect(w.indexSelect(0, idx).tolist()).toEqual([[4, 5], [0, 1]]);
      expect(F.embedding(idx, w).tolist()).toEqual([[4, 5], [0, 1]]);
      expect(F.crossEntropy(torch.zeros(2, 3), idx).item()).toBeCloseTo(Math.log(3), 6);
      expect(F.nllLoss(torch.zeros(2, 3), idx).item()).toBe(0);
    }
  });
});
