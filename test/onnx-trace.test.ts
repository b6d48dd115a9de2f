/**
 * ONNX export by tracing (issue 20): user Modules without an onnxExport hook, exported by
 * recording their forward, run in onnxruntime-node at batch sizes and lengths other than the
 * traced ones and compared with torchlet's own forward.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import * as torch from '../src/index.js';
import { checkModelSize } from '../src/onnx/fold.js';
import { decodeModel } from '../src/onnx/proto.js';
import { expectClose, reference, runOrt } from './helpers/ort.js';
import { Seq2Seq } from './ports/models.js';

const { nn } = torch;

const tokens = (n: number, l: number, vocab: number): torch.Tensor => torch.randint(0, vocab, [n, l], { dtype: 'int64' });

class GruClassifier extends nn.Module {
  emb = this.registerModule('emb', new nn.Embedding(11, 6));
  gru = this.registerModule('gru', new nn.GRU(6, 8, { batchFirst: true, numLayers: 2 }));
  fc = this.registerModule('fc', new nn.Linear(8, 3));
  forward(x: torch.Tensor): torch.Tensor {
    const [out] = this.gru.forward(this.emb.forward(x));
    return this.fc.forward(out.index(':', -1));
  }
}

class LstmClassifier extends nn.Module {
  lstm = this.registerModule('lstm', new nn.LSTM(4, 5, { bidirectional: true }));
  head = this.registerModule('head', new nn.Linear(10, 2));
  /** x: (L, N, 4) → log-probabilities (N, 2) of the time-averaged features, and the final states. */
  forward(x: torch.Tensor): [torch.Tensor, [torch.Tensor, torch.Tensor]] {
    const [out, state] = this.lstm.forward(x);
    const pooled = out.mean(0);
    return [this.head.forward(pooled).logSoftmax(-1), state];
  }
}

describe('torch.onnx.export by tracing', () => {
  it('Embedding -> GRU -> last step -> Linear: one fused GRU per layer, dynamic batch and time', async () => {
    torch.manualSeed(1);
    const model = new GruClassifier();
    const bytes = torch.onnx.export(model, [tokens(2, 5, 11)], { inputNames: ['tokens'], outputNames: ['logits'], dynamicAxes: { tokens: { 0: 'batch', 1: 'time' } } });
    const graph = decodeModel(bytes).graph!;
    expect(graph.node!.filter((n) => n.opType === 'GRU')).toHaveLength(2);
    expect(graph.output![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam ?? d.dimValue)).toEqual(['batch', 3]);
    expect(model.training).toBe(true);
    for (const [n, l] of [[2, 5], [3, 7], [1, 4]] as const) {
      const x = tokens(n, l, 11);
      const [got] = await runOrt(bytes, { tokens: x });
      expectClose(got!, reference(model, [x])[0]!);
    }
  });

  it('an LSTM classifier with nested tuple outputs, flattened in order', async () => {
    torch.manualSeed(2);
    const model = new LstmClassifier();
    const bytes = torch.onnx.export(model, [torch.randn(6, 2, 4)], { inputNames: ['x'], outputNames: ['logp', 'h', 'c'], dynamicAxes: { x: { 0: 'time', 1: 'batch' } } });
    expect(decodeModel(bytes).graph!.node!.filter((n) => n.opType === 'LSTM')).toHaveLength(1);
    for (const [l, n] of [[6, 2], [3, 5]] as const) {
      const x = torch.randn(l, n, 4);
      const got = await runOrt(bytes, { x });
      const want = reference(model, [x]);
      expect(got).toHaveLength(3);
      for (const [i, t] of got.entries()) expectClose(t, want[i]!);
    }
  });

  it('an attention encoder-decoder (einsum, bmm, softmax, cat) with separate source and target lengths', async () => {
    torch.manualSeed(3);
    class Seq2Seq extends nn.Module {
      enc = this.registerModule('enc', new nn.GRU(4, 6, { batchFirst: true }));
      dec = this.registerModule('dec', new nn.GRU(3, 6, { batchFirst: true }));
      out = this.registerModule('out', new nn.Linear(12, 5));
      forward(src: torch.Tensor, tgt: torch.Tensor): torch.Tensor {
        const [encOut, h] = this.enc.forward(src); // (N, S, 6)
        const [decOut] = this.dec.forward(tgt, h); // (N, T, 6)
        const scores = torch.einsum('ntd,nsd->nts', decOut, encOut).div(Math.sqrt(6));
        const ctx = scores.softmax(-1).bmm(encOut); // (N, T, 6)
        const flat = torch.cat([decOut, ctx], -1).reshape(-1, 12); // (N*T, 12)
        return this.out.forward(flat).reshape(src.shape[0]!, -1, 5);
      }
    }
    const model = new Seq2Seq();
    const bytes = torch.onnx.export(model, [torch.randn(2, 5, 4), torch.randn(2, 4, 3)], {
      inputNames: ['src', 'tgt'],
      dynamicAxes: { src: { 0: 'batch', 1: 'src_len' }, tgt: { 0: 'batch', 1: 'tgt_len' } },
    });
    for (const [n, s, t] of [[2, 5, 4], [3, 2, 6], [1, 7, 7]] as const) {
      const src = torch.randn(n, s, 4);
      const tgt = torch.randn(n, t, 3);
      const [got] = await runOrt(bytes, { src, tgt });
      expectClose(got!, reference(model, [src, tgt])[0]!);
    }
  });

  it('records ops whatever the grad mode and whether inputs require grad', async () => {
    class Plain extends nn.Module {
      w = this.registerParameter('w', new nn.Parameter(torch.randn(3, 2)));
      forward(x: torch.Tensor): torch.Tensor {
        // Integer input, no parameter: nothing requires grad here.
        const f = x.to('float32').mul(2);
        return torch.noGrad(() => f.matmul(this.w).tanh().transpose(0, 1));
      }
    }
    const model = new Plain();
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int64' });
    const bytes = torch.onnx.export(model, [x], { dynamicAxes: { input_0: [0] } });
    const x2 = torch.tensor([[1, 0, 2], [7, 1, 1], [0, 0, 3], [2, 2, 2]], { dtype: 'int64' });
    const [got] = await runOrt(bytes, { input_0: x2 });
    expectClose(got!, reference(model, [x2])[0]!);
  });

  it('an op without a mapping stops the export, naming the op, the module path and the opsets', () => {
    class Inner extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        return x.cumsum(1);
      }
    }
    class Outer extends nn.Module {
      inner = this.registerModule('inner', new Inner());
      forward(x: torch.Tensor): torch.Tensor {
        return this.inner.forward(x.exp());
      }
    }
    expect(() => torch.onnx.export(new Outer(), torch.randn(2, 3), { opsetVersion: 18 })).toThrow(
      /cannot export the op CumsumBackward0 .*called in module "inner": torchlet's ONNX tracer has no mapping for it at opset 18, nor in any other opset it exports \(17 to 21\)/,
    );
  });

  it('masks, comparisons and sizes read from the input follow the dynamic axes', async () => {
    class Masked extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        // zeros(N, 1) reads the batch size; the mask comes from the values.
        return x.add(torch.zeros(x.shape[0]!, 1)).mul(x.gt(0).to('float32')).maskedFill(x.lt(-1), 5);
      }
    }
    const model = new Masked();
    const bytes = torch.onnx.export(model, torch.randn(2, 3), { dynamicAxes: { input_0: [0] } });
    for (const n of [2, 5]) {
      const x = torch.randn(n, 3).mul(2);
      expectClose((await runOrt(bytes, { input_0: x }))[0]!, reference(model, [x])[0]!);
    }
  });

  it("warns as PyTorch's TracerWarning when forward reads a value (item) and branches on it, and bakes the traced path in", async () => {
    class Branchy extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        return x.sum().item() > 0 ? x.mul(2) : x.neg().exp();
      }
    }
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const model = new Branchy();
      const x = torch.ones(2, 3);
      const bytes = torch.onnx.export(model, x);
      const messages = warn.mock.calls.map((c) => String(c[0]));
      expect(messages.some((m) => /^TracerWarning: Converting a tensor to a JavaScript number \(item\(\) in Branchy\.forward\) might cause the trace to be incorrect/.test(m))).toBe(true);
      expect(messages.some((m) => /^TracerWarning: Branchy\.forward runs other ops on other input values/.test(m))).toBe(true);
      // The graph is the traced branch (x * 2), also for inputs that would take the other one.
      expectClose((await runOrt(bytes, { input_0: x.neg() }))[0]!, x.neg().mul(2));
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses a size that cannot follow the dynamic axes, and a value-dependent constant', () => {
    class Product extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        // (N*L, 1) is fine (a Reshape to (-1, 1)); expanding to N + 1 columns follows no axis.
        return x.reshape(x.shape[0]! * x.shape[1]!, 1).expand(-1, x.shape[0]! + 1);
      }
    }
    expect(() => torch.onnx.export(new Product(), torch.randn(2, 3), { dynamicAxes: { input_0: [0, 1] } })).toThrow(/follow no dynamic axis/);
    class FromValues extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        // A tensor made from numbers read out of the input: the tracer cannot see where they came from.
        return x.mul(torch.tensor(x.gt(0).toFloat32Array(), { shape: [...x.shape] }));
      }
    }
    expect(() => torch.onnx.export(new FromValues(), torch.randn(2, 3))).toThrow(/did not see being computed/);
  });

  it("weights are initializers with PyTorch's state-dict names and layout, also inside layers exported whole", () => {
    const model = new GruClassifier();
    const graph = decodeModel(torch.onnx.export(model, [tokens(2, 5, 11)])).graph!;
    const inits = new Map(graph.initializer!.map((p) => [p.name!, p]));
    const state = model.stateDict();
    for (const [name, t] of Object.entries(state)) {
      const p = inits.get(name);
      expect(p, name).toBeDefined();
      expect(p!.dims!.map(Number)).toEqual([...t.shape]);
      expect(Array.from(new Float32Array(new Uint8Array(p!.rawData!).buffer))).toEqual(Array.from(t.toFloat32Array()));
    }
    expect([...inits.keys()].filter((k) => /_t$|\.W_l|\.R_l|\.B_l/.test(k))).toEqual([]);
    // A bare layer (the module-tree walk) too: PyTorch's names for an exported nn.LSTM.
    const lstm = new nn.LSTM(3, 4, { bidirectional: true });
    const names = decodeModel(torch.onnx.export(lstm, torch.randn(5, 2, 3))).graph!.initializer!.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(Object.keys(lstm.stateDict())));
  });

  it('doConstantFolding (default true) computes constant subgraphs at export, and ORT gives the same outputs either way', async () => {
    class Consts extends nn.Module {
      fc = this.registerModule('fc', new nn.Linear(4, 4));
      forward(x: torch.Tensor): torch.Tensor {
        // A static arange and zeros: constant subgraphs (Range, Expand of a scalar, casts).
        return this.fc.forward(x.add(torch.arange(4).to('float32')).add(torch.zeros(1, 4)));
      }
    }
    const model = new Consts();
    const x = torch.randn(3, 4);
    const folded = torch.onnx.export(model, x, { dynamicAxes: { input_0: [0] } });
    const unfolded = torch.onnx.export(model, x, { dynamicAxes: { input_0: [0] }, doConstantFolding: false });
    const ops = (b: Uint8Array): string[] => decodeModel(b).graph!.node!.map((n) => n.opType!);
    expect(ops(unfolded)).toEqual(expect.arrayContaining(['Range', 'Expand', 'Cast']));
    expect(ops(folded).filter((t) => t === 'Range' || t === 'Expand' || t === 'Cast')).toEqual([]);
    // The parameters stay as they are (state-dict names), whatever the folding.
    expect(decodeModel(folded).graph!.initializer!.map((p) => p.name)).toEqual(expect.arrayContaining(['fc.weight', 'fc.bias']));
    for (const n of [3, 6]) {
      const xn = torch.randn(n, 4);
      const want = reference(model, [xn])[0]!;
      expectClose((await runOrt(folded, { input_0: xn }))[0]!, want);
      expectClose((await runOrt(unfolded, { input_0: xn }))[0]!, want);
    }
  });

  it('external data (models over 2 GB) is refused clearly', () => {
    expect(() => torch.onnx.export(new GruClassifier(), [tokens(2, 5, 11)], { useExternalDataFormat: true })).toThrow(/useExternalDataFormat .*not supported by torchlet's exporter/);
    // The size check itself, on weights that claim 2 GB (a view of a small buffer with a huge byteLength is not possible, so a stand-in object).
    const big = { name: 'w', rawData: { byteLength: 2 ** 31 } as unknown as Uint8Array };
    expect(() => checkModelSize([big])).toThrow(/2147483648 bytes, over protobuf's 2 GB limit .*external data format/);
    expect(() => checkModelSize([{ name: 'w', rawData: new Uint8Array(8) }])).not.toThrow();
  });

  it("gives the same ORT outputs as PyTorch 1.13's export of the same model and weights (tools/fixtures/onnx_trace.py)", async () => {
    const model = new GruClassifier();
    const fixture = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(`fixtures/${f}`, import.meta.url)));
    model.loadStateDict(torch.io.toStateDict(torch.load(fixture('onnx_trace_gru.pt'))));
    const ours = torch.onnx.export(model, [tokens(2, 5, 11)], { inputNames: ['tokens'], outputNames: ['logits'], dynamicAxes: { tokens: { 0: 'batch', 1: 'time' } } });
    const theirs = fixture('onnx_trace_gru.onnx');
    const opTypes = (b: Uint8Array): string[] => decodeModel(b).graph!.node!.map((n) => n.opType!);
    expect(opTypes(ours).filter((t) => t === 'GRU')).toEqual(opTypes(theirs).filter((t) => t === 'GRU'));
    for (const [n, l] of [[2, 5], [4, 3]] as const) {
      const x = tokens(n, l, 11);
      const [a] = await runOrt(ours, { tokens: x });
      const [b] = await runOrt(theirs, { tokens: x });
      expectClose(a!, b!);
      expectClose(a!, reference(model, [x])[0]!);
    }
  });

  it("the attention encoder-decoder: the same ORT outputs as PyTorch 1.13's export of the same weights (masks, einsum, two GRUs)", async () => {
    const model = new Seq2Seq();
    const fixture = (f: string): Uint8Array => new Uint8Array(readFileSync(new URL(`fixtures/${f}`, import.meta.url)));
    const theirs = torch.io.toStateDict(torch.load(fixture('onnx_trace_attention.pt')));
    // PyTorch's names (src_embed.weight) for the camelCase members (srcEmbed.weight).
    model.loadStateDict(Object.fromEntries(Object.keys(model.stateDict()).map((k) => [k, theirs[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]!])));
    const long = (v: number[][]): torch.Tensor => torch.tensor(v, { dtype: 'int64' });
    const ours = torch.onnx.export(model, [long([[3, 4, 5, 0, 0, 0], [1, 2, 6, 2, 1, 0]]), long([[1, 2, 3, 4], [5, 4, 3, 2]])], {
      inputNames: ['src', 'tgt'],
      outputNames: ['logits', 'attn'],
      dynamicAxes: { src: { 0: 'batch', 1: 'src_len' }, tgt: { 0: 'batch', 1: 'tgt_len' } },
    });
    const pytorch = fixture('onnx_trace_attention.onnx');
    const cases: [number[][], number[][]][] = [
      [[[3, 4, 5, 0, 0, 0], [1, 2, 6, 2, 1, 0]], [[1, 2, 3, 4], [5, 4, 3, 2]]],
      // Another batch size and both lengths other than exported.
      [[[6, 1, 0], [2, 0, 0], [5, 5, 5]], [[1, 2, 3, 4, 5, 1, 2], [3, 3, 3, 3, 3, 3, 3], [2, 1, 2, 1, 2, 1, 2]]],
    ];
    for (const [src, tgt] of cases) {
      const feeds = { src: long(src), tgt: long(tgt) };
      const a = await runOrt(ours, feeds);
      const b = await runOrt(pytorch, feeds);
      expect(a.length).toBe(2);
      for (const [i, t] of a.entries()) expectClose(t, b[i]!);
      expectClose(a[0]!, reference(model, [feeds.src, feeds.tgt])[0]!);
    }
  });
});
