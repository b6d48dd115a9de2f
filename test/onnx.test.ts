/**
 * ONNX export checked by ONNX Runtime: every exported model runs in onnxruntime-node and gives
 * torchlet's outputs within float32 round-off (TOL.f32Deep), including with a batch size and
 * length different from the export example when the axes are dynamic.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { OnnxGraph, OnnxValue } from '../src/onnx/index.js';
import { ints } from '../src/onnx/index.js';
import { decodeModel } from '../src/onnx/proto.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

type Feeds = Record<string, torch.Tensor>;

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Run `bytes` in ONNX Runtime on the feeds; outputs by name as torchlet tensors. */
async function runOrt(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, torch.Tensor>> {
  // One thread each: ONNX Runtime's default thread pools cost more than these tiny graphs.
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'disabled' });
  const input: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) {
    input[k] =
      t.dtype === 'int32'
        ? new ort.Tensor('int32', Int32Array.from(t.contiguousData()), [...t.shape])
        : t.dtype === 'int64'
          ? new ort.Tensor('int64', BigInt64Array.from(t.contiguousData(), BigInt), [...t.shape])
          : new ort.Tensor('float32', t.toFloat32Array(), [...t.shape]);
  }
  const out = await session.run(input);
  const result: Record<string, torch.Tensor> = {};
  for (const [k, v] of Object.entries(out)) {
    result[k] = torch.tensor(Float32Array.from(v.data as Float32Array), { shape: v.dims.map(Number) });
  }
  return result;
}

type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

function makeLayer(mode: Mode, numLayers: number, bidirectional: boolean, batchFirst: boolean, bias = true): torch.nn.RNNBase {
  const opts = { numLayers, bidirectional, batchFirst, bias };
  if (mode === 'LSTM') return new torch.nn.LSTM(3, 4, opts);
  if (mode === 'GRU') return new torch.nn.GRU(3, 4, opts);
  return new torch.nn.RNN(3, 4, { ...opts, nonlinearity: mode === 'RNN_RELU' ? 'relu' : 'tanh' });
}

/** Inputs of a recurrent layer: x, and h0 (and c0) when `withState`. */
function rnnInputs(m: torch.nn.RNNBase, N: number, L: number, withState: boolean): Feeds {
  const feeds: Feeds = { x: m.batchFirst ? torch.randn(N, L, 3) : torch.randn(L, N, 3) };
  if (withState) {
    feeds.h0 = torch.randn(m.numDirections * m.numLayers, N, 4).mul(0.5);
    if (m.mode === 'LSTM') feeds.c0 = torch.randn(m.numDirections * m.numLayers, N, 4).mul(0.5);
  }
  return feeds;
}

function rnnForward(m: torch.nn.RNNBase, feeds: Feeds): Feeds {
  const state = feeds.h0 === undefined ? null : m.mode === 'LSTM' ? ([feeds.h0, feeds.c0!] as [torch.Tensor, torch.Tensor]) : feeds.h0;
  const [y, s] = torch.noGrad(() => m.forward(feeds.x!, state));
  return Array.isArray(s) ? { y, hN: s[0], cN: s[1] } : { y, hN: s };
}

function exportRnn(m: torch.nn.RNNBase, feeds: Feeds): Uint8Array {
  const names = Object.keys(feeds);
  const time = m.batchFirst ? 1 : 0;
  const batch = 1 - time;
  const dynamicAxes: Record<string, Record<number, string>> = {
    x: { [batch]: 'batch', [time]: 'time' }, y: { [batch]: 'batch', [time]: 'time' }, hN: { 1: 'batch' },
  };
  if (feeds.h0) dynamicAxes.h0 = { 1: 'batch' };
  if (feeds.c0) dynamicAxes.c0 = { 1: 'batch' };
  if (m.mode === 'LSTM') dynamicAxes.cN = { 1: 'batch' };
  return torch.onnx.export(m, names.map((n) => feeds[n]!), {
    inputNames: names,
    outputNames: m.mode === 'LSTM' ? ['y', 'hN', 'cN'] : ['y', 'hN'],
    dynamicAxes,
  });
}

async function checkRnn(m: torch.nn.RNNBase, withState: boolean): Promise<void> {
  const example = rnnInputs(m, 2, 5, withState);
  const bytes = exportRnn(m, example);
  // The example itself, then another batch size and length through the dynamic axes.
  for (const feeds of [example, rnnInputs(m, 3, 7, withState)]) {
    const want = rnnForward(m, feeds);
    const got = await runOrt(bytes, feeds);
    for (const k of Object.keys(want)) expectClose(got[k], want[k]!, TOL.f32Deep, `${m.mode} ${k}`);
  }
}

describe('recurrent layers export to ONNX RNN/LSTM/GRU nodes that ONNX Runtime runs like torchlet', () => {
  torch.manualSeed(0);
  const modes: Mode[] = ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'];
  const cases: [Mode, number, boolean, boolean, boolean][] = [];
  for (const mode of modes) {
    for (const layers of [1, 2, 3]) {
      for (const bi of [false, true]) {
        for (const bf of [false, true]) for (const st of [false, true]) cases.push([mode, layers, bi, bf, st]);
      }
    }
  }
  it.each(cases)('%s numLayers=%i bidirectional=%s batchFirst=%s initial state=%s', async (mode, layers, bi, bf, st) => {
    await checkRnn(makeLayer(mode, layers, bi, bf), st);
  });

  it('unbatched input (L, Hin) with and without states', async () => {
    for (const mode of modes) {
      for (const bf of [false, true]) {
        const m = makeLayer(mode, 2, true, bf);
        for (const withState of [false, true]) {
          const feeds: Feeds = { x: torch.randn(5, 3) };
          if (withState) {
            feeds.h0 = torch.randn(4, 4);
            if (mode === 'LSTM') feeds.c0 = torch.randn(4, 4);
          }
          const names = Object.keys(feeds);
          const outNames = mode === 'LSTM' ? ['y', 'hN', 'cN'] : ['y', 'hN'];
          const bytes = torch.onnx.export(m, names.map((n) => feeds[n]!), { inputNames: names, outputNames: outNames, dynamicAxes: { x: [0], y: [0] } });
          for (const f of [feeds, { ...feeds, x: torch.randn(8, 3) }]) {
            const want = rnnForward(m, f);
            const got = await runOrt(bytes, f);
            for (const k of Object.keys(want)) expectClose(got[k], want[k]!, TOL.f32Deep, `${mode} unbatched ${k}`);
          }
        }
      }
    }
  });

  it.each(modes)('%s with per-sequence lengths (sequence_lens) matches pack → layer → pad', async (mode) => {
    for (const bi of [false, true]) {
      for (const bf of [false, true]) {
        for (const withState of [false, true]) {
          const m = makeLayer(mode, 2, bi, bf);
          const feeds = rnnInputs(m, 3, 5, withState);
          // int64 lengths (what padPackedSequence returns; cast to int32 in the graph) and int32 ones.
          const lengthsDtype = withState ? 'int64' : 'int32';
          const withLengths = (f: Feeds, lens: number[]): Feeds => ({ ...f, lengths: torch.tensor(lens, { dtype: lengthsDtype }) });
          const example = withLengths(feeds, [5, 2, 3]);
          const names = Object.keys(example);
          const time = bf ? 1 : 0;
          const dyn: Record<string, Record<number, string>> = { x: { [1 - time]: 'N', [time]: 'L' }, y: { [1 - time]: 'N', [time]: 'L' }, hN: { 1: 'N' }, lengths: { 0: 'N' } };
          if (withState) dyn.h0 = { 1: 'N' };
          if (withState && mode === 'LSTM') {
            dyn.c0 = { 1: 'N' };
          }
          if (mode === 'LSTM') dyn.cN = { 1: 'N' };
          const bytes = torch.onnx.export(m, names.map((n) => example[n]!), { inputNames: names, outputNames: mode === 'LSTM' ? ['y', 'hN', 'cN'] : ['y', 'hN'], dynamicAxes: dyn });
          const other = withLengths(rnnInputs(m, 2, 6, withState), [1, 6]);
          for (const f of [example, other]) {
            // torchlet's pack → layer → pad outputs (exampleOutputs runs the same walk as the export).
            const outs = torch.onnx.exampleOutputs(m, names.map((n) => f[n]!));
            const got = await runOrt(bytes, f);
            ['y', 'hN', 'cN'].slice(0, outs.length).forEach((k, i) => {
              expectClose(got[k], outs[i]!, TOL.f32Deep, `${mode} bi=${bi} bf=${bf} state=${withState} ${k}`);
            });
            // The step after the shortest sequence ends is all zeros, as pad_packed_sequence gives.
            const lens = Array.from(f.lengths!.contiguousData());
            const shortest = lens.indexOf(Math.min(...lens));
            const row = got.y!.narrow(bf ? 0 : 1, shortest, 1).narrow(bf ? 1 : 0, lens[shortest]!, 1);
            expect(Array.from(row.contiguousData()).every((v) => v === 0)).toBe(true);
          }
        }
      }
    }
  });

  it('LSTM with projSize is composed from basic ops (Scan over PyTorch\'s projected cell) and matches', async () => {
    for (const numLayers of [1, 2, 3]) {
      for (const bidirectional of [false, true]) {
        for (const batchFirst of [false, true]) {
          for (const withState of [false, true]) {
            for (const bias of [true, false]) {
              const m = new torch.nn.LSTM(3, 5, { projSize: 2, numLayers, bidirectional, batchFirst, bias });
              const D = bidirectional ? 2 : 1;
              const make = (N: number, L: number): Feeds => {
                const f: Feeds = { x: batchFirst ? torch.randn(N, L, 3) : torch.randn(L, N, 3) };
                if (withState) {
                  f.h0 = torch.randn(D * numLayers, N, 2);
                  f.c0 = torch.randn(D * numLayers, N, 5);
                }
                return f;
              };
              const example = make(2, 4);
              const names = Object.keys(example);
              const t = batchFirst ? 1 : 0;
              const dyn: Record<string, number[]> = { x: [0, 1], y: [0, 1], hN: [1], cN: [1] };
              if (withState) Object.assign(dyn, { h0: [1], c0: [1] });
              const bytes = torch.onnx.export(m, names.map((n) => example[n]!), { inputNames: names, outputNames: ['y', 'hN', 'cN'], dynamicAxes: dyn });
              for (const f of [example, make(3, 6)]) {
                const want = rnnForward(m, f);
                const got = await runOrt(bytes, f);
                for (const k of ['y', 'hN', 'cN']) expectClose(got[k], want[k]!, TOL.f32Deep, `proj L${numLayers} bi=${bidirectional} bf=${batchFirst} t=${t} state=${withState} bias=${bias} ${k}`);
              }
            }
          }
        }
      }
    }
    // Unbatched too.
    const m = new torch.nn.LSTM(3, 5, { projSize: 2, bidirectional: true });
    const x = torch.randn(4, 3);
    const got = await runOrt(torch.onnx.export(m, x, { inputNames: ['x'], outputNames: ['y', 'hN', 'cN'] }), { x });
    const want = rnnForward(m, { x });
    for (const k of ['y', 'hN', 'cN']) expectClose(got[k], want[k]!, TOL.f32Deep, `proj unbatched ${k}`);
  });

  it('exports in eval mode (no dropout between layers) and restores the training flags', async () => {
    const m = new torch.nn.LSTM(3, 4, { numLayers: 3, dropout: 0.5 });
    m.train();
    const x = torch.randn(5, 2, 3);
    const bytes = torch.onnx.export(m, x, { inputNames: ['x'], outputNames: ['y', 'hN', 'cN'] });
    expect(m.training).toBe(true);
    m.eval();
    const want = rnnForward(m, { x });
    const got = await runOrt(bytes, { x });
    for (const k of ['y', 'hN', 'cN']) expectClose(got[k], want[k]!, TOL.f32Deep, `dropout ${k}`);
  });

  it('without biases', async () => {
    for (const mode of modes) await checkRnn(makeLayer(mode, 2, true, false, false), true);
  });

  it('keeps the graph one node per layer with the ONNX gate order (LSTM iofc, GRU zrh, linear_before_reset)', () => {
    const ops = (bytes: Uint8Array) => decodeModel(bytes).graph!.node!.map((n) => n.opType);
    const lstm = ops(torch.onnx.export(new torch.nn.LSTM(3, 4, { numLayers: 3, bidirectional: true }), torch.randn(5, 2, 3)));
    expect(lstm.filter((o) => o === 'LSTM')).toHaveLength(3);
    const gru = decodeModel(torch.onnx.export(new torch.nn.GRU(3, 4), torch.randn(5, 2, 3))).graph!.node!.find((n) => n.opType === 'GRU')!;
    expect(gru.attribute!.map((a) => [a.name, a.name === 'direction' ? new TextDecoder().decode(a.s!) : Number(a.i)])).toEqual([
      ['hidden_size', 4], ['direction', 'forward'], ['linear_before_reset', 1],
    ]);
  });
});

describe('PyTorch weights → torchlet → ONNX → ONNX Runtime reproduces PyTorch\'s outputs', () => {
  interface ModelCase {
    options: { input_size: number; hidden_size: number; num_layers: number; bidirectional: boolean; batch_first?: boolean; proj_size?: number };
  }
  const fx = loadFixture<Record<string, ModelCase>>('io_expected');
  it.each(['lstm', 'gru', 'lstm_proj'])('%s (io_%s.pt)', async (name) => {
    const o = fx.cases[name]!.options;
    const opts = { numLayers: o.num_layers, bidirectional: o.bidirectional, batchFirst: o.batch_first ?? false };
    const m = name.startsWith('lstm') ? new torch.nn.LSTM(o.input_size, o.hidden_size, { ...opts, projSize: o.proj_size ?? 0 }) : new torch.nn.GRU(o.input_size, o.hidden_size, opts);
    m.loadStateDict(torch.io.toStateDict(torch.load(new Uint8Array(readFileSync(join(FIXTURES, `io_${name}.pt`))))));
    const feeds: Feeds = { x: fx.get(`${name}.x`), h0: fx.get(`${name}.h0`) };
    if (m instanceof torch.nn.LSTM) feeds.c0 = fx.get(`${name}.c0`);
    const names = Object.keys(feeds);
    const outNames = m instanceof torch.nn.LSTM ? ['out', 'hN', 'cN'] : ['out', 'hN'];
    const got = await runOrt(torch.onnx.export(m, names.map((n) => feeds[n]!), { inputNames: names, outputNames: outNames }), feeds);
    for (const k of outNames) expectClose(got[k], fx.get(`${name}.${k}`), TOL.f32Deep, `${name} ${k}`);
  });
});

describe('feed-forward layers and a model with an onnxExport hook', () => {
  torch.manualSeed(1);

  async function checkModule(m: torch.nn.Module & { forward(x: torch.Tensor): torch.Tensor }, x: torch.Tensor, other?: torch.Tensor, dyn: number[] = [0]): Promise<void> {
    const bytes = torch.onnx.export(m, x, { inputNames: ['x'], outputNames: ['y'], dynamicAxes: { x: dyn, y: dyn } });
    for (const input of other ? [x, other] : [x]) {
      m.eval();
      const want = torch.noGrad(() => m.forward(input));
      const got = await runOrt(bytes, { x: input });
      expectClose(got.y, want, TOL.f32Deep, m.constructor.name);
    }
  }

  it('Sequential of Linear and every activation', async () => {
    const { nn } = torch;
    const m = new nn.Sequential(
      new nn.Linear(5, 6), new nn.ReLU(), new nn.Linear(6, 6), new nn.Tanh(), new nn.Linear(6, 6), new nn.Sigmoid(),
      new nn.LeakyReLU(0.2), new nn.ELU(1.0), new nn.GELU(), new nn.GELU('tanh'), new nn.Dropout(0.5), new nn.Identity(),
      new nn.Linear(6, 4, { bias: false }), new nn.Softmax(-1), new nn.Linear(4, 3), new nn.LogSoftmax(1),
    );
    await checkModule(m, torch.randn(2, 5).mul(2), torch.randn(7, 5));
  });

  it('Linear on a 3-D input', async () => {
    await checkModule(new torch.nn.Linear(4, 3), torch.randn(2, 5, 4), torch.randn(3, 5, 4));
  });

  it('Conv1d (padding, stride, dilation, groups, same) and the norms', async () => {
    const { nn } = torch;
    const bn = new nn.BatchNorm1d(8);
    // Give the running statistics values to use.
    bn.train();
    torch.noGrad(() => bn.forward(torch.randn(6, 8, 5).mul(3).add(1)));
    const m = new nn.Sequential(
      new nn.Conv1d(4, 8, 3, { padding: 1 }), bn, new nn.GroupNorm(2, 8), new nn.ReLU(),
      new nn.Conv1d(8, 8, 3, { stride: 2, dilation: 2, groups: 4, padding: 2 }), new nn.Conv1d(8, 6, 4, { padding: 'same' }),
      new nn.GroupNorm(3, 6, { affine: false }), new nn.Conv1d(6, 5, 2, { padding: 'valid', bias: false }),
    );
    await checkModule(m, torch.randn(2, 4, 11), torch.randn(3, 4, 15), [0, 2]);
    await checkModule(new nn.Sequential(new nn.Linear(3, 6), new nn.LayerNorm(6), new nn.LayerNorm([6], { elementwiseAffine: false })), torch.randn(2, 5, 3), torch.randn(4, 9, 3), [0, 1]);
    await checkModule(new nn.BatchNorm1d(3, { affine: false }), torch.randn(4, 3), torch.randn(6, 3));
  });

  it.each([['reflect', 17], ['replicate', 17], ['circular', 19]] as const)('Conv1d paddingMode %s (opset %i)', async (paddingMode, opsetVersion) => {
    const m = new torch.nn.Conv1d(3, 4, 3, { padding: 2, paddingMode });
    const x = torch.randn(2, 3, 6);
    const got = await runOrt(torch.onnx.export(m, x, { inputNames: ['x'], outputNames: ['y'], opsetVersion }), { x });
    expectClose(got.y, torch.noGrad(() => m.forward(x)), TOL.f32Deep, paddingMode);
  });

  it('an Embedding + GRU + Linear text model (int64 or int32 token input) exports through onnxExport', async () => {
    const { nn } = torch;
    class TextModel extends nn.Module {
      emb = this.registerModule('emb', new nn.Embedding(20, 6, { paddingIdx: 0 }));
      gru = this.registerModule('gru', new nn.GRU(6, 5, { batchFirst: true, numLayers: 2 }));
      fc = this.registerModule('fc', new nn.Linear(5, 4));
      forward(tokens: torch.Tensor): torch.Tensor {
        return this.fc.forward(this.gru.forward(this.emb.forward(tokens))[0]);
      }
      onnxExport(g: OnnxGraph, [tokens]: OnnxValue[]): OnnxValue[] {
        const [e] = g.module(this.emb, [tokens!]);
        const [out] = g.module(this.gru, [e!]);
        return g.module(this.fc, [out!]);
      }
    }
    const m = new TextModel();
    // int64 token ids (PyTorch's index dtype; an INT64 graph input) and int32 ones.
    for (const dtype of ['int64', 'int32'] as const) {
      const tokens = torch.tensor([[1, 5, 19, 0], [3, 3, 7, 2]], { dtype });
      const bytes = torch.onnx.export(m, tokens, { inputNames: ['tokens'], outputNames: ['logits'], dynamicAxes: { tokens: [0, 1], logits: [0, 1] } });
      for (const t of [tokens, torch.tensor([[4, 2, 9, 11, 0, 0, 1]], { dtype })]) {
        const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
        const feed =
          dtype === 'int32'
            ? new ort.Tensor('int32', Int32Array.from(t.contiguousData()), [...t.shape])
            : new ort.Tensor('int64', BigInt64Array.from(t.contiguousData(), BigInt), [...t.shape]);
        const out = await session.run({ tokens: feed });
        const got = torch.tensor(Float32Array.from(out.logits!.data as Float32Array), { shape: out.logits!.dims.map(Number) });
        expectClose(got, torch.noGrad(() => m.forward(t)), TOL.f32Deep, `text model (${dtype} tokens)`);
      }
    }
  });

  it('a Conv1d + GroupNorm + BiLSTM + Linear model exports itself through onnxExport', async () => {
    const { nn } = torch;
    class Tagger extends nn.Module {
      conv = this.registerModule('conv', new nn.Conv1d(4, 8, 3, { padding: 1 }));
      norm = this.registerModule('norm', new nn.GroupNorm(2, 8));
      lstm = this.registerModule('lstm', new nn.LSTM(8, 6, { numLayers: 2, bidirectional: true, batchFirst: true }));
      fc = this.registerModule('fc', new nn.Linear(12, 3));
      /** x: (N, C=4, L) → (N, L, 3) */
      forward(x: torch.Tensor): torch.Tensor {
        const y = this.norm.forward(this.conv.forward(x)).relu().transpose(1, 2);
        return this.fc.forward(this.lstm.forward(y)[0]);
      }
      onnxExport(g: OnnxGraph, [x]: OnnxValue[]): OnnxValue[] {
        const [c] = g.module(this.conv, [x!]);
        const [n] = g.module(this.norm, [c!]);
        const r = g.op('Relu', [n!], {}, n!.value.relu());
        const t = g.op('Transpose', [r], { perm: ints([0, 2, 1]) }, r.value.transpose(1, 2));
        const [out] = g.module(this.lstm, [t]);
        return g.module(this.fc, [out!]);
      }
    }
    const m = new Tagger();
    await checkModule(m, torch.randn(2, 4, 6), torch.randn(5, 4, 9), [0, 2]);
    expect(torch.onnx.exampleOutputs(m, torch.randn(2, 4, 6))[0]!.shape).toEqual([2, 6, 3]);
  });
});

describe('opset versions', () => {
  it.each([17, 18, 19, 20, 21])('opsetVersion %i runs in ONNX Runtime (LayerNorm, GroupNorm, GELU, GRU)', async (opsetVersion) => {
    const { nn } = torch;
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.LayerNorm(4), new nn.GELU());
    const x = torch.randn(2, 3);
    const got = await runOrt(torch.onnx.export(m, x, { inputNames: ['x'], outputNames: ['y'], opsetVersion }), { x });
    expectClose(got.y, torch.noGrad(() => m.forward(x)), TOL.f32Deep, 'sequential');
    const gn = new nn.GroupNorm(2, 4);
    const x3 = torch.randn(2, 4, 5);
    const got3 = await runOrt(torch.onnx.export(gn, x3, { inputNames: ['x'], outputNames: ['y'], opsetVersion }), { x: x3 });
    expectClose(got3.y, torch.noGrad(() => gn.forward(x3)), TOL.f32Deep, 'groupnorm');
    const gru = new nn.GRU(5, 3);
    const xr = torch.randn(4, 2, 5);
    const gotR = await runOrt(torch.onnx.export(gru, xr, { inputNames: ['x'], outputNames: ['y', 'hN'], opsetVersion }), { x: xr });
    expectClose(gotR.y, torch.noGrad(() => gru.forward(xr))[0], TOL.f32Deep, 'gru');
  });
});

describe('what ONNX export refuses, with typed errors', () => {
  it('LSTM with projSize and lengths (the composed Scan has no sequence_lens)', () => {
    const m = new torch.nn.LSTM(3, 4, { projSize: 2 });
    const lengths = torch.tensor([5, 3], { dtype: 'int32' });
    expect(() => torch.onnx.export(m, [torch.randn(5, 2, 3), lengths])).toThrow(torch.onnx.OnnxExportError);
    expect(() => torch.onnx.export(m, [torch.randn(5, 2, 3), lengths])).toThrow(/projSize=2 and lengths/);
  });
  it('a module with no export rule is traced; an onnxExport hook reaching one names the hook', () => {
    class Custom extends torch.nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        return x;
      }
    }
    // Since issue 20 a user Module without a hook exports by tracing its forward (test/onnx-trace.test.ts).
    expect(torch.onnx.export(new Custom(), torch.randn(2))).toBeInstanceOf(Uint8Array);
    class Hooked extends torch.nn.Module {
      inner = this.registerModule('inner', new Custom());
      forward(x: torch.Tensor): torch.Tensor {
        return this.inner.forward(x);
      }
      onnxExport(g: OnnxGraph, xs: OnnxValue[]): OnnxValue[] {
        return g.module(this.inner, xs);
      }
    }
    expect(() => torch.onnx.export(new Hooked(), torch.randn(2))).toThrow(/cannot export Custom: .* onnxExport\(g, inputs\)/);
  });
  it('bad options are ValueErrors and leave the model mode alone', () => {
    const m = new torch.nn.Linear(2, 2);
    expect(() => torch.onnx.export(m, torch.randn(1, 2), { opsetVersion: 11 })).toThrow(torch.ValueError);
    expect(() => torch.onnx.export(m, torch.randn(1, 2), { dynamicAxes: { nope: [0] } })).toThrow(/"nope", which is not an input or output/);
    expect(() => torch.onnx.export(m, torch.randn(1, 2), { dynamicAxes: { input_0: [2] } })).toThrow(/out of range/);
    expect(m.training).toBe(true);
  });
  it('a 4-D recurrent input and circular padding before opset 19', () => {
    expect(() => torch.onnx.export(new torch.nn.GRU(3, 4), torch.randn(5, 2, 1, 3))).toThrow(/unbatched \(L, Hin\) input, got shape \[5, 2, 1, 3\]/);
    expect(() => torch.onnx.export(new torch.nn.Conv1d(2, 2, 3, { padding: 1, paddingMode: 'circular' }), torch.randn(1, 2, 5))).toThrow(/opsetVersion >= 19/);
  });
});
