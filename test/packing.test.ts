/**
 * torch.nn.utils.rnn against PyTorch 1.13: outputs and gradients of every packing and padding
 * utility (fixtures from tools/fixtures/packing.py), PyTorch's error messages, and the README
 * example.
 */
import { format } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import { thrown } from './helpers/errors.js';
import type { Tensor } from '../src/index.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

const { rnn } = torch.nn.utils;

interface PackPadCase {
  name: string;
  lengths: number[];
  packBatchFirst: boolean;
  enforceSorted: boolean;
  padBatchFirst: boolean;
  paddingValue: number;
  totalLength: number | null;
}
interface PackSequenceCase {
  name: string;
  lengths: number[];
  enforceSorted: boolean;
}
interface PadSequenceCase {
  name: string;
  lengths: number[];
  batchFirst: boolean;
  paddingValue: number;
  paddingSide: 'left' | 'right';
}
interface UnpadCase {
  name: string;
  lengths: number[];
  batchFirst: boolean;
  count: number;
}
interface ErrorCase {
  type: string;
  message: string;
}
interface Cases {
  packPad: PackPadCase[];
  packSequence: PackSequenceCase[];
  padSequence: PadSequenceCase[];
  unpadSequence: UnpadCase[];
  errors: Record<string, ErrorCase> & { lengthAboveL: { batch_sizes: number[]; data_rows: number } };
}

const fx = loadFixture<Cases>('packing');
const has = (key: string): boolean => key in fx.tensors;

/** A fresh leaf copy of a fixture tensor that requires grad. */
function leaf(key: string): Tensor {
  return fx.get(key).clone().detach().requiresGrad_();
}

/** The gradient of sum(out * w) with respect to `inputs` (cleared first). */
function gradsOf(outputs: readonly Tensor[], weights: readonly Tensor[], inputs: readonly Tensor[]): (Tensor | null)[] {
  for (const x of inputs) x.grad = null;
  outputs
    .map((o, i) => o.mul(weights[i]!).sum())
    .reduce((a, b) => a.add(b))
    .backward();
  return inputs.map((x) => x.grad);
}

function expectPacked(p: torch.nn.utils.PackedSequence, prefix: string, label: string): void {
  expectClose(p.data, fx.get(`${prefix}data`), TOL.f32, `${label} data`);
  expect(Array.from(p.batchSizes.contiguousData()), `${label} batchSizes`).toEqual(Array.from(fx.get(`${prefix}batch_sizes`).contiguousData()));
  expect(p.batchSizes.dtype).toBe('int64');
  if (has(`${prefix}sorted_indices`)) {
    expect(p.sortedIndices?.tolist(), `${label} sortedIndices`).toEqual(fx.get(`${prefix}sorted_indices`).tolist());
    expect(p.unsortedIndices?.tolist(), `${label} unsortedIndices`).toEqual(fx.get(`${prefix}unsorted_indices`).tolist());
  } else {
    expect(p.sortedIndices, `${label} sortedIndices`).toBeNull();
    expect(p.unsortedIndices, `${label} unsortedIndices`).toBeNull();
  }
}

describe("PyTorch's doc example", () => {
  it('packs [[1,2,0],[3,0,0],[4,5,6]] with lengths [2,1,3] to axbc-style rows and pads it back', () => {
    const seq = torch.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]], { dtype: 'int32' });
    const packed = rnn.packPaddedSequence(seq, [2, 1, 3], { batchFirst: true, enforceSorted: false });
    expect(packed.data.tolist()).toEqual([4, 1, 3, 5, 2, 6]);
    expect(packed.batchSizes.tolist()).toEqual([3, 2, 1]);
    expect(packed.sortedIndices?.tolist()).toEqual([2, 0, 1]);
    expect(packed.unsortedIndices?.tolist()).toEqual([1, 2, 0]);
    expectPacked(packed, 'doc/', 'doc');
    const [padded, lengths] = rnn.padPackedSequence(packed, { batchFirst: true });
    expect(padded.tolist()).toEqual(fx.get('doc/padded').tolist());
    expect(padded.tolist()).toEqual([[1, 2, 0], [3, 0, 0], [4, 5, 6]]);
    expect(lengths.tolist()).toEqual([2, 1, 3]);
    expect(lengths.dtype).toBe('int64');
  });

  it('packs abc and x to axbc with batchSizes [2, 1, 1] (the PackedSequence doc)', () => {
    const abc = torch.tensor([1, 2, 3]);
    const x = torch.tensor([9]);
    const packed = rnn.packSequence([abc, x]);
    expect(packed.data.tolist()).toEqual([1, 9, 2, 3]);
    expect(packed.batchSizes.tolist()).toEqual([2, 1, 1]);
  });
});

describe('packPaddedSequence -> padPackedSequence vs PyTorch (outputs and gradients)', () => {
  fx.cases.packPad.forEach((c, k) => {
    const opts = `packBatchFirst ${c.packBatchFirst}, enforceSorted ${c.enforceSorted}, padBatchFirst ${c.padBatchFirst}, paddingValue ${c.paddingValue}, totalLength ${c.totalLength}`;
    it(`${c.name} lengths [${c.lengths}] ${opts}`, () => {
      // Alternate the two accepted forms of lengths.
      const lengths = k % 2 === 0 ? c.lengths : torch.tensor(c.lengths, { dtype: 'int32' });
      const x = leaf(`${c.name}x`);
      const packOpts = { batchFirst: c.packBatchFirst, enforceSorted: c.enforceSorted };
      const packed = rnn.packPaddedSequence(x, lengths, packOpts);
      expectPacked(packed, c.name, c.name);
      const [gPack] = gradsOf([packed.data], [fx.get(`${c.name}w_data`)], [x]);
      expectClose(gPack, fx.get(`${c.name}grad_pack`), TOL.f32, `${c.name} grad through pack`);

      const again = rnn.packPaddedSequence(x, lengths, packOpts);
      const [padded, outLengths] = rnn.padPackedSequence(again, {
        batchFirst: c.padBatchFirst,
        paddingValue: c.paddingValue,
        ...(c.totalLength === null ? {} : { totalLength: c.totalLength }),
      });
      expectClose(padded, fx.get(`${c.name}padded`), TOL.f32, `${c.name} padded`);
      expect(outLengths.tolist()).toEqual(fx.get(`${c.name}lengths`).tolist());
      const [gRound] = gradsOf([padded], [fx.get(`${c.name}w_padded`)], [x]);
      expectClose(gRound, fx.get(`${c.name}grad_round`), TOL.f32, `${c.name} grad through pack and pad`);
    });
  });

  it('recovers the padded input exactly (padding replaced by paddingValue) for float64 too', () => {
    const x = torch.tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float64' });
    const [padded] = rnn.padPackedSequence(rnn.packPaddedSequence(x, [3, 1]), { paddingValue: -7 });
    expect(padded.dtype).toBe('float64');
    expect(padded.tolist()).toEqual([[1, 2], [3, -7], [5, -7]]);
  });

  it('passes finite-difference gradcheck through pack, pad and unsorted order', () => {
    const x = torch.tensor(
      Array.from({ length: 24 }, (_, i) => Math.sin(i)),
      { dtype: 'float64', shape: [4, 3, 2], requiresGrad: true },
    );
    const fn = (t: Tensor): Tensor =>
      rnn.padPackedSequence(rnn.packPaddedSequence(t, [2, 4, 3], { enforceSorted: false }), { batchFirst: true, totalLength: 5 })[0];
    expect(torch.autograd.gradcheck(fn, [x])).toBe(true);
  });
});

describe('packSequence and unpackSequence vs PyTorch', () => {
  for (const c of fx.cases.packSequence) {
    it(`${c.name} lengths [${c.lengths}] enforceSorted ${c.enforceSorted}`, () => {
      const seqs = c.lengths.map((_, i) => leaf(`${c.name}seq${i}`));
      const packed = rnn.packSequence(seqs, { enforceSorted: c.enforceSorted });
      expectPacked(packed, c.name, c.name);
      const gPack = gradsOf([packed.data], [fx.get(`${c.name}w_data`)], seqs);
      gPack.forEach((g, i) => {
        expectClose(g, fx.get(`${c.name}grad_pack${i}`), TOL.f32, `${c.name} grad_pack${i}`);
      });

      const outs = rnn.unpackSequence(rnn.packSequence(seqs, { enforceSorted: c.enforceSorted }));
      expect(outs.length).toBe(c.lengths.length);
      outs.forEach((o, i) => {
        expectClose(o, fx.get(`${c.name}unpacked${i}`), TOL.f32, `${c.name} unpacked${i}`);
      });
      const weights = outs.map((_, i) => fx.get(`${c.name}w_unpacked${i}`));
      const gUnpack = gradsOf(outs, weights, seqs);
      gUnpack.forEach((g, i) => {
        expectClose(g, fx.get(`${c.name}grad_unpack${i}`), TOL.f32, `${c.name} grad_unpack${i}`);
      });
    });
  }
});

describe('padSequence vs PyTorch', () => {
  for (const c of fx.cases.padSequence) {
    it(`${c.name} lengths [${c.lengths}] batchFirst ${c.batchFirst} paddingValue ${c.paddingValue} paddingSide ${c.paddingSide}`, () => {
      const seqs = c.lengths.map((_, i) => leaf(`${c.name}seq${i}`));
      const padded = rnn.padSequence(seqs, { batchFirst: c.batchFirst, paddingValue: c.paddingValue, paddingSide: c.paddingSide });
      expectClose(padded, fx.get(`${c.name}padded`), TOL.f32, `${c.name} padded`);
      const grads = gradsOf([padded], [fx.get(`${c.name}w`)], seqs);
      grads.forEach((g, i) => {
        expectClose(g, fx.get(`${c.name}grad${i}`), TOL.f32, `${c.name} grad${i}`);
      });
    });
  }

  it('broadcasts a sequence into the trailing dims of sequences[0], as PyTorch copy_ does', () => {
    const seqs = [leaf('padb/seq0'), leaf('padb/seq1')];
    const padded = rnn.padSequence(seqs);
    expectClose(padded, fx.get('padb/padded'), TOL.f32, 'broadcast padded');
    const grads = gradsOf([padded], [fx.get('padb/w')], seqs);
    grads.forEach((g, i) => {
        expectClose(g, fx.get(`padb/grad${i}`), TOL.f32, `broadcast grad${i}`);
      });
  });

  it('accepts one tensor (N, Li, *) as N sequences, like PyTorch iterating a tensor', () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(rnn.padSequence(x).tolist()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });
});

describe('unpadSequence vs PyTorch', () => {
  for (const c of fx.cases.unpadSequence) {
    it(`${c.name} lengths [${c.lengths}] batchFirst ${c.batchFirst}`, () => {
      const x = leaf(`${c.name}x`);
      const before = x.tolist();
      const outs = rnn.unpadSequence(x, c.lengths, { batchFirst: c.batchFirst });
      expect(outs.length).toBe(c.count);
      outs.forEach((o, i) => {
        expectClose(o, fx.get(`${c.name}out${i}`), TOL.f32, `${c.name} out${i}`);
      });
      expect(x.tolist(), 'input untouched').toEqual(before);
      expect([...x.shape]).toEqual([...fx.get(`${c.name}x`).shape]);
      const [g] = gradsOf(outs, outs.map((_, i) => fx.get(`${c.name}w${i}`)), [x]);
      expectClose(g, fx.get(`${c.name}grad`), TOL.f32, `${c.name} grad`);
    });
  }
});

describe('invertPermutation', () => {
  it('matches PyTorch', () => {
    expect(rnn.invertPermutation(fx.get('invperm/in')).tolist()).toEqual(fx.get('invperm/out').tolist());
    expect(rnn.invertPermutation(null)).toBeNull();
  });
  it('is computed by the PackedSequence constructor when only sortedIndices is given, as in PyTorch', () => {
    const p = new rnn.PackedSequence(torch.tensor([1, 2]), torch.tensor([2], { dtype: 'int32' }), torch.tensor([1, 0], { dtype: 'int32' }));
    expect(p.unsortedIndices?.tolist()).toEqual([1, 0]);
  });
  it('rejects an index that is not part of a permutation', () => {
    expect(() => rnn.invertPermutation(torch.tensor([0, 3], { dtype: 'int32' }))).toThrow(torch.IndexError);
    expect(() => rnn.invertPermutation(torch.tensor([1, 1], { dtype: 'int32' }))).toThrow(torch.IndexError);
  });
});

describe('errors: typed, PyTorch wording, nothing mutated', () => {
  const err = fx.cases.errors;
  const x = () => torch.tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });

  /** Input values, grad and graph state are as before the failed call. */
  function expectUntouched(t: Tensor, values: unknown): void {
    expect(t.tolist()).toEqual(values);
    expect(t.grad).toBeNull();
    expect(t.gradFn).toBeNull();
  }

  it('lengths not sorted with enforceSorted: PyTorch sentence in camelCase with the enforceSorted: false hint', () => {
    const input = x();
    const lengths = [1, 2];
    const e = thrown(() => rnn.packPaddedSequence(input, lengths), torch.RuntimeError);
    expect(e.pytorchType).toBe(err.unsorted!.type);
    expect(e.message).toBe(
      '`lengths` array must be sorted in decreasing order when `enforceSorted` is true. You can pass `enforceSorted: false` to packPaddedSequence and/or packSequence to sidestep this requirement if you do not need ONNX exportability.',
    );
    // Same sentence as PyTorch's, with the Python names spelled as a TypeScript user writes them.
    const pythonic = e.message
      .replace('`enforceSorted` is true', '`enforce_sorted` is True')
      .replace('`enforceSorted: false`', '`enforce_sorted=False`')
      .replace('packPaddedSequence', 'pack_padded_sequence')
      .replace('packSequence', 'pack_sequence');
    expect(pythonic).toBe(err.unsorted!.message);
    expectUntouched(input, [[1, 2], [3, 4], [5, 6]]);
    expect(lengths).toEqual([1, 2]);
    const seqs = [torch.tensor([1]), torch.tensor([1, 2])];
    expect(() => rnn.packSequence(seqs)).toThrow(e.message);
    expect(rnn.packSequence(seqs, { enforceSorted: false }).batchSizes.tolist()).toEqual([2, 1]);
  });

  it('a length of zero or below', () => {
    for (const [lengths, enforceSorted] of [
      [[2, 0], true],
      [[3, -1], false],
    ] as const) {
      const input = x();
      const e = thrown(() => rnn.packPaddedSequence(input, lengths, { enforceSorted }), torch.RuntimeError);
      expect(e.message).toBe(err.zeroLength!.message);
      expect(err.negativeLength!.message).toBe(err.zeroLength!.message);
      expect(e.pytorchType).toBe('RuntimeError');
      expectUntouched(input, [[1, 2], [3, 4], [5, 6]]);
    }
    const e = thrown(() => rnn.packSequence([torch.ones(2, 2), torch.zeros(0, 2)]), torch.RuntimeError);
    expect(e.message).toBe(err.zeroLength!.message);
  });

  it('more lengths than batch entries, or fewer (with a batchFirst hint when the count fits the other dim)', () => {
    const input = x();
    const fewer = thrown(() => rnn.packPaddedSequence(input, [2]), torch.RuntimeError);
    expect(fewer.message).toBe(err.fewerLengths!.message);
    const more = thrown(() => rnn.packPaddedSequence(input, [2, 1, 1]), torch.RuntimeError);
    expect(more.message).toMatch(new RegExp(`^${escapeRegExp(err.moreLengths!.message)}\\. With batchFirst: false the input is \\(L, N, \\*\\); did you mean batchFirst: true\\?$`));
    // With enforceSorted: false too (PyTorch fails there with an index error or drops sequences).
    expect(() => rnn.packPaddedSequence(input, [2], { enforceSorted: false })).toThrow(err.fewerLengths!.message);
    expectUntouched(input, [[1, 2], [3, 4], [5, 6]]);
  });

  it('a length above the padded length: an error here (PyTorch 1.13 returns a corrupt PackedSequence)', () => {
    // PyTorch returns batch_sizes [2,1,1,1,1] (6 rows) over 4 data rows; later calls fail obscurely.
    const corrupt = err.lengthAboveL;
    expect(corrupt.batch_sizes.reduce((a, b) => a + b, 0)).not.toBe(corrupt.data_rows);
    const input = x();
    const e = thrown(() => rnn.packPaddedSequence(input, [5, 1]), torch.ShapeError);
    expect(e.message).toBe(
      'Expected every length to be at most the padded sequence length 3, but got a length of 5. The input is (L, N, *) with batchFirst: false.',
    );
    expect(e.pytorchType).toBe('RuntimeError');
    expect(() => rnn.packPaddedSequence(input, [1, 4], { enforceSorted: false })).toThrow(torch.ShapeError);
    expectUntouched(input, [[1, 2], [3, 4], [5, 6]]);
  });

  it('an empty list of sequences', () => {
    for (const fn of [() => rnn.packSequence([]), () => rnn.padSequence([])]) {
      const e = thrown(fn, torch.RuntimeError);
      expect(e.message).toBe(err.emptyList!.message);
      expect(e.message).toBe(err.emptyListPad!.message);
    }
  });

  it('an empty input tensor', () => {
    const e = thrown(() => rnn.packPaddedSequence(torch.zeros(0, 2), [1, 1]), torch.RuntimeError);
    expect(e.message).toBe(err.emptyTensor!.message);
  });

  it('totalLength shorter than the longest sequence (ValueError)', () => {
    const packed = rnn.packPaddedSequence(x(), [3, 1]);
    const before = packed.data.tolist();
    const e = thrown(() => rnn.padPackedSequence(packed, { totalLength: 2 }), torch.ValueError);
    expect(e.message).toBe(err.totalLength!.message);
    expect(e.pytorchType).toBe(err.totalLength!.type);
    expect(packed.data.tolist()).toEqual(before);
    expect(packed.batchSizes.tolist()).toEqual([2, 1, 1]);
  });

  it('a malformed hand-made PackedSequence, and a fractional totalLength', () => {
    const bs = (v: number[]) => torch.tensor(v, { dtype: 'int64' });
    const data = torch.tensor([1, 2, 3, 4]);
    const cases: [torch.nn.utils.PackedSequence, string][] = [
      [new rnn.PackedSequence(data, bs([2, 1])), 'data has 4 rows but batchSizes add up to 3'],
      [new rnn.PackedSequence(data, bs([1, 3])), 'batchSizes must be positive and non-increasing, got [1, 3]'],
      [new rnn.PackedSequence(data, bs([])), 'batchSizes must be a non-empty 1-D int64 tensor'],
      [new rnn.PackedSequence(data, bs([2, 2]), bs([1, 0, 2]), bs([1, 0, 2])), 'unsortedIndices has 3 entries for a batch of 2'],
      [new rnn.PackedSequence(data, bs([2, 2]), bs([1, 0]), bs([1, 1])), 'unsortedIndices [1, 1] is not a permutation of 0..1'],
      [new rnn.PackedSequence(data, torch.tensor([2, 2])), 'batchSizes must be a non-empty 1-D int64 tensor'],
    ];
    for (const [packed, why] of cases) {
      expect(() => rnn.padPackedSequence(packed)).toThrow(`padPackedSequence: malformed PackedSequence: ${why}.`);
      expect(() => rnn.unpackSequence(packed)).toThrow(torch.ShapeError);
    }
    const good = new rnn.PackedSequence(data, bs([2, 2]), bs([1, 0]));
    expect(rnn.padPackedSequence(good)[0].tolist()).toEqual([[2, 1], [4, 3]]);
    const e = thrown(() => rnn.padPackedSequence(good, { totalLength: 2.5 }), torch.ArgumentTypeError);
    expect(e.pytorchType).toBe('TypeError');
  });

  it('an unknown paddingSide (message of PyTorch >= 2.5, which added padding_side)', () => {
    const side: string = 'up';
    const seqs = [torch.tensor([1, 2]), torch.tensor([3])];
    const e = thrown(() => rnn.padSequence(seqs, { paddingSide: side as 'left' }), torch.RuntimeError);
    expect(e.message).toBe(`${err.paddingSide!.message} Pass paddingSide: 'left' or 'right'.`);
    expect(seqs[0]!.tolist()).toEqual([1, 2]);
  });

  it('a lengths tensor of the wrong dims or dtype, and non-integer lengths', () => {
    const input = x();
    const dims = thrown(() => rnn.packPaddedSequence(input, torch.tensor([[2, 1]], { dtype: 'int32' })), torch.ShapeError);
    // PyTorch: "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Long tensor"
    expect(err.lengthsDims!.message.startsWith("'lengths' argument should be a 1D")).toBe(true);
    expect(dims.message).toBe(
      "'lengths' argument should be a 1D CPU int64 tensor, but got 2D cpu Int tensor. Pass a number[] or an int64 tensor (torch.tensor(lengths, { dtype: 'int64' })).",
    );
    const dtype = thrown(() => rnn.packPaddedSequence(input, torch.tensor([2, 1])), torch.DTypeError);
    expect(dtype.message).toContain('but got 1D cpu Float tensor');
    expect(dtype.pytorchType).toBe('RuntimeError');
    thrown(() => rnn.packPaddedSequence(input, [2.5, 1]), torch.ValueError);
    thrown(() => rnn.unpadSequence(input, torch.tensor([2, 1])), torch.DTypeError);
    expectUntouched(input, [[1, 2], [3, 4], [5, 6]]);
  });

  it('input with fewer than 2 dims, and 0-d sequences (IndexError, PyTorch wording first)', () => {
    const e = thrown(() => rnn.packPaddedSequence(torch.zeros(3), [3]), torch.IndexError);
    expect(e.message.startsWith(err.input1d!.message)).toBe(true);
    expect(e.pytorchType).toBe(err.input1d!.type);
    const s = thrown(() => rnn.padSequence([torch.tensor(1)]), torch.IndexError);
    expect(s.message).toBe(err.scalarSequence!.message);
    thrown(() => rnn.packSequence([torch.tensor(1)]), torch.IndexError);
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('README example', () => {
  it('runs verbatim and prints the shapes its comments show', () => {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(format(...args));
    });
    try {
      // --- README: begin (after `import * as torch from 'torchlet';`) ---
      const { packSequence, padPackedSequence, padSequence } = torch.nn.utils.rnn;

      // Three sentences of 4, 2 and 3 steps, 5 features each, in any order.
      const sentences = [torch.randn(4, 5), torch.randn(2, 5), torch.randn(3, 5)];

      const padded = padSequence(sentences, { batchFirst: true });
      console.log(padded.shape); // [ 3, 4, 5 ]  (N, L, features), zeros after each sentence ends

      const packed = packSequence(sentences, { enforceSorted: false });
      console.log(packed.data.shape); // [ 9, 5 ]  4 + 2 + 3 rows, no padding
      console.log(packed.batchSizes.tolist()); // [ 3, 3, 2, 1 ]  sentences still running at each step
      console.log(packed.sortedIndices?.tolist()); // [ 0, 2, 1 ]  longest first

      const [unpadded, lengths] = padPackedSequence(packed, { batchFirst: true });
      console.log(unpadded.shape, lengths.tolist()); // [ 3, 4, 5 ] [ 4, 2, 3 ]  original order
      // --- README: end ---
      expectClose(unpadded, padded, TOL.f32, 'round trip');
    } finally {
      spy.mockRestore();
    }
    expect(printed).toEqual(['[ 3, 4, 5 ]', '[ 9, 5 ]', '[ 3, 3, 2, 1 ]', '[ 0, 2, 1 ]', '[ 3, 4, 5 ] [ 4, 2, 3 ]']);
  });
});
