/**
 * ONNX export by tracing (issue 20): one export per op of the tracer's op table
 * (src/onnx/trace-ops.ts), each run in onnxruntime-node at the traced batch size and at another
 * one (axis 0 dynamic unless the case says otherwise) and compared with torchlet's forward.
 * The table must name every op the tracer maps, and each case must really trace its op.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { TRACED_OPS } from '../src/onnx/trace-ops.js';
import { traceForward } from '../src/onnx/trace.js';
import { expectOrtMatches } from './helpers/ort.js';

const { nn } = torch;
const F = nn.functional;

interface Case {
  /** Inputs for batch size n. */
  inputs: (n: number) => Tensor[];
  fn: (...xs: Tensor[]) => Tensor | Tensor[];
  /** Axis 0 of every input is dynamic (default), or the given axes. */
  dynamic?: Record<string, Record<number, string>> | false;
}

const randn = (...s: number[]): Tensor => torch.randn(s);
const ints = (hi: number, ...s: number[]): Tensor => torch.randint(0, hi, s, { dtype: 'int64' });
const pair = (n: number): Tensor[] => [randn(n, 3), randn(n, 3)];
/** Whole-valued floats and ints, so comparisons meet ties. */
const tied = (n: number): Tensor[] => [ints(3, n, 4).to('float32'), ints(3, n, 4)];

const CASES: Record<string, Case> = {
  AbsBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.abs() },
  AddBackward0: { inputs: pair, fn: (x, y) => x.add(y) },
  AddmmBackward0: { inputs: (n) => [randn(n, 3), randn(4, 3), randn(4)], fn: (x, w, b) => F.linear(x, w, b), dynamic: { input_0: { 0: 'n' } } },
  CatBackward0: { inputs: (n) => [randn(n, 3), randn(n, 2).to('int64')], fn: (x, y) => torch.cat([x, y], 1) },
  ClampBackward1: { inputs: (n) => [randn(n, 3)], fn: (x) => x.clamp(-0.5, 0.25) },
  CloneBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.clone() },
  DivBackward0: { inputs: pair, fn: (x, y) => x.div(y.abs().add(1)) },
  DotBackward0: { inputs: () => [randn(3), randn(3)], fn: (x, y) => torch.matmul(x, y), dynamic: false },
  EmbeddingBackward0: { inputs: (n) => [ints(5, n, 3), randn(5, 2)], fn: (i, w) => F.embedding(i, w), dynamic: { input_0: { 0: 'n' } } },
  EluBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => F.elu(x, 0.7) },
  GeluBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => [F.gelu(x), F.gelu(x, 'tanh')] },
  LeakyReluBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => F.leakyRelu(x, 0.2) },
  ExpBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.exp() },
  ExpandBackward0: { inputs: (n) => [randn(n, 1)], fn: (x) => x.expand(-1, 4) },
  FlipBackward0: { inputs: (n) => [randn(n, 3, 2)], fn: (x) => x.flip(0, 2) },
  GatherBackward0: { inputs: (n) => [randn(n, 4), ints(4, n, 2)], fn: (x, i) => torch.gather(x, 1, i) },
  IndexBackward0: {
    inputs: (n) => [randn(n, 4, 3), ints(2, n), ints(3, 5)],
    fn: (x, i, j) => [x.index(':', j), x.index(torch.arange(x.shape[0]!), i), x.index(':', i, j.index('0:1')), x.index(i, ':', 2)],
    dynamic: { input_0: { 0: 'n' }, input_1: { 0: 'n' } },
  },
  IndexSelectBackward0: { inputs: (n) => [randn(n, 4), ints(4, 3)], fn: (x, i) => [torch.indexSelect(x, 1, i), torch.indexSelect(x, 1, [3, 0])], dynamic: { input_0: { 0: 'n' } } },
  LogBackward0: { inputs: (n) => [randn(n, 3).abs()], fn: (x) => x.log() },
  LogSoftmaxBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => torch.logSoftmax(x, 1) },
  MaskedFillBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.maskedFill(x.lt(0), -Infinity) },
  MaxBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => { const r = torch.max(x, 1); return [r.values, r.indices]; } },
  MaxBackward1: { inputs: (n) => [randn(n, 3)], fn: (x) => torch.max(x) },
  MaximumBackward0: { inputs: pair, fn: (x, y) => torch.maximum(x, y) },
  MeanBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.mean() },
  MeanBackward1: { inputs: (n) => [randn(n, 3, 2)], fn: (x) => [x.mean([0, 2]), x.mean(1, true)] },
  MinBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => { const r = torch.min(x, 0, true); return [r.values, r.indices]; } },
  MinBackward1: { inputs: (n) => [randn(n, 3)], fn: (x) => torch.min(x) },
  MinimumBackward0: { inputs: pair, fn: (x, y) => torch.minimum(x, y) },
  MmBackward0: { inputs: (n) => [randn(n, 3), randn(3, 2)], fn: (x, y) => torch.matmul(x, y), dynamic: { input_0: { 0: 'n' } } },
  MulBackward0: { inputs: pair, fn: (x, y) => x.mul(y).mul(2) },
  MvBackward0: { inputs: (n) => [randn(n, 3), randn(3)], fn: (x, y) => torch.matmul(x, y), dynamic: { input_0: { 0: 'n' } } },
  NegBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.neg() },
  PermuteBackward0: { inputs: (n) => [randn(n, 3, 2)], fn: (x) => x.permute(2, 0, 1) },
  PowBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.pow(2) },
  PowBackward1: { inputs: (n) => [randn(n, 3).abs(), randn(n, 3)], fn: (x, y) => x.pow(y) },
  ReluBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.relu() },
  ReshapeAliasBackward0: { inputs: (n) => [randn(n, 6)], fn: (x) => x.reshape(-1, 2, 3) },
  RsubBackward1: { inputs: (n) => [randn(n, 3)], fn: (x) => torch.sub(2, x) },
  SelectBackward0: { inputs: (n) => [randn(n, 3, 4)], fn: (x) => [x.select(1, -1), x.index(-1, 1)] },
  SigmoidBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.sigmoid() },
  SliceBackward0: { inputs: (n) => [randn(n, 5)], fn: (x) => [x.index(':', '1:4:2'), x.narrow(0, x.shape[0]! - 1, 1)] },
  SoftmaxBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => torch.softmax(x, 0) },
  SqrtBackward0: { inputs: (n) => [randn(n, 3).abs()], fn: (x) => x.sqrt() },
  SqueezeBackward0: { inputs: (n) => [randn(n, 1, 3)], fn: (x) => x.squeeze() },
  SqueezeBackward1: { inputs: (n) => [randn(n, 1, 3)], fn: (x) => x.squeeze(1) },
  SqueezeBackward3: { inputs: (n) => [randn(3), randn(3, n)], fn: (x, y) => torch.matmul(x, y), dynamic: { input_1: { 1: 'n' } } },
  StackBackward0: { inputs: pair, fn: (x, y) => torch.stack([x, y], 1) },
  SubBackward0: { inputs: pair, fn: (x, y) => x.sub(y) },
  SumBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => [x.sum(), x.gt(0).sum()] },
  SumBackward1: { inputs: (n) => [randn(n, 3, 2)], fn: (x) => [x.sum([1, 2]), x.sum(0, true)] },
  TBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.t() },
  TanhBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.tanh() },
  ToCopyBackward0: { inputs: (n) => [randn(n, 3).mul(3)], fn: (x) => [x.to('int64'), x.to('float64')] },
  TransposeBackward0: { inputs: (n) => [randn(n, 3, 2)], fn: (x) => x.transpose(0, 2) },
  UnsafeViewBackward0: { inputs: (n) => [randn(n, 2, 3), randn(3, 4)], fn: (x, y) => torch.matmul(x, y), dynamic: { input_0: { 0: 'n' } } },
  UnsqueezeBackward0: { inputs: (n) => [randn(n, 3)], fn: (x) => x.unsqueeze(1) },
  ViewBackward0: { inputs: (n) => [randn(n, 6)], fn: (x) => x.view(x.shape[0]!, 2, 3) },
  WhereBackward0: { inputs: pair, fn: (x, y) => torch.where(x.gt(y), x, y.to('int64')) },
  'aten::arange': { inputs: (n) => [randn(n, 3)], fn: (x) => [torch.arange(x.shape[0]!), torch.arange(0, x.shape[0]!, 1, { dtype: 'float32' }).add(x.index(':', 0))] },
  'aten::argmax': { inputs: (n) => [randn(n, 3)], fn: (x) => [torch.argmax(x, 1), torch.argmax(x, null, true), torch.argmax(x)] },
  'aten::argmin': { inputs: (n) => [randn(n, 3)], fn: (x) => torch.argmin(x, 0, true) },
  'aten::eq': { inputs: (n) => [ints(3, n, 3)], fn: (x) => x.eq(1) },
  'aten::full': { inputs: (n) => [randn(n, 3)], fn: (x) => [x.add(torch.zeros(x.shape[0]!, 1)), torch.onesLike(x), torch.full([2], 7, { dtype: 'int64' })] },
  'aten::ge': { inputs: tied, fn: (x, y) => x.ge(y) },
  'aten::gt': { inputs: tied, fn: (x, i) => x.gt(i) },
  'aten::isnan': { inputs: (n) => [randn(n, 3)], fn: (x) => x.log().isnan() },
  'aten::le': { inputs: tied, fn: (x, y) => x.le(y) },
  'aten::logical_and': { inputs: pair, fn: (x, y) => torch.logicalAnd(x.gt(0), y) },
  'aten::logical_not': { inputs: (n) => [randn(n, 3)], fn: (x) => torch.logicalNot(x.gt(0)) },
  'aten::logical_or': { inputs: pair, fn: (x, y) => torch.logicalOr(x.gt(0), y.gt(0)) },
  'aten::logical_xor': { inputs: pair, fn: (x, y) => torch.logicalXor(x.gt(0), y.gt(0)) },
  'aten::lt': { inputs: tied, fn: (x, y) => x.lt(y) },
  'aten::ne': { inputs: (n) => [ints(3, n, 3)], fn: (x) => x.ne(1) },
  'aten::pad_packed_sequence': {
    inputs: (n) => [randn(n, 4, 3), torch.tensor(Array.from({ length: n }, (_, i) => 4 - (i % 3)), { dtype: 'int64' })],
    fn: (() => {
      const gru = new nn.GRU(3, 2, { batchFirst: true });
      return (x: Tensor, lengths: Tensor) => {
        const packed = nn.utils.rnn.packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });
        const [out] = gru.forward(packed) as [torch.nn.utils.rnn.PackedSequence, Tensor];
        return nn.utils.rnn.padPackedSequence(out, { totalLength: x.shape[1]! });
      };
    })(),
  },
};

/** A Module whose forward is `fn` (its parameters, if any, are closed over). */
class OneOp extends nn.Module {
  constructor(readonly fn: (...xs: Tensor[]) => Tensor | Tensor[]) {
    super();
  }
  forward(...xs: Tensor[]): Tensor | Tensor[] {
    return this.fn(...xs);
  }
}

describe('ONNX export by tracing: one op at a time (every op in the table)', () => {
  it('the table names every op the tracer maps', () => {
    expect(Object.keys(CASES).sort()).toEqual([...TRACED_OPS]);
  });

  for (const [op, c] of Object.entries(CASES)) {
    it(`${op}: traced, exported, and ORT matches torchlet at two batch sizes`, async () => {
      torch.manualSeed(7);
      const model = new OneOp(c.fn);
      const inputs = c.inputs(2);
      const names = inputs.map((_, i) => `input_${i}`);
      expect(traceForward(model, inputs).ops.map((o) => o.name)).toContain(op);
      const dynamicAxes = c.dynamic === false ? {} : (c.dynamic ?? Object.fromEntries(names.map((n) => [n, { 0: 'n' }])));
      const bytes = torch.onnx.export(model, inputs, { dynamicAxes });
      await expectOrtMatches(bytes, model, names, inputs);
      if (c.dynamic !== false) await expectOrtMatches(bytes, model, names, c.inputs(4));
    });
  }
});
