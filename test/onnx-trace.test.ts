/**
 * ONNX export by tracing (issue 20): user Modules without an onnxExport hook, exported by
 * recording their forward, run in onnxruntime-node at batch sizes and lengths other than the
 * traced ones and compared with torchlet's own forward.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { decodeModel } from '../src/onnx/proto.js';

const { nn } = torch;

/** Run `bytes` in ONNX Runtime; outputs in graph order as torchlet tensors. */
async function runOrt(bytes: Uint8Array, feeds: Record<string, torch.Tensor>): Promise<torch.Tensor[]> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'disabled' });
  const input: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) {
    input[k] =
      t.dtype === 'int64'
        ? new ort.Tensor('int64', BigInt64Array.from(t.contiguousData(), BigInt), [...t.shape])
        : new ort.Tensor('float32', t.toFloat32Array(), [...t.shape]);
  }
  const out = await session.run(input);
  return session.outputNames.map((k) => {
    const v = out[k]!;
    return torch.tensor(Float32Array.from(v.data as Float32Array, Number), { shape: v.dims.map(Number) });
  });
}

function expectClose(got: torch.Tensor, want: torch.Tensor, tol = 1e-5): void {
  expect(got.shape).toEqual(want.shape);
  const a = got.toFloat32Array();
  const b = want.toFloat32Array();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  expect(worst).toBeLessThan(tol);
}

/** torchlet's outputs of `model` on `inputs` (eval mode, no grad), flattened. */
function reference(model: torch.nn.Module, inputs: torch.Tensor[]): torch.Tensor[] {
  model.eval();
  const out = torch.noGrad(() => (model.forward as (...a: torch.Tensor[]) => unknown)(...inputs));
  model.train();
  const flat = (o: unknown): torch.Tensor[] => (o instanceof torch.Tensor ? [o] : (o as unknown[]).flatMap(flat));
  return flat(out);
}

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

  it('an op without a mapping stops the export, naming the op and the module path', () => {
    class Inner extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        return x.maskedFill(x.gt(0), 0);
      }
    }
    class Outer extends nn.Module {
      inner = this.registerModule('inner', new Inner());
      forward(x: torch.Tensor): torch.Tensor {
        return this.inner.forward(x.exp());
      }
    }
    expect(() => torch.onnx.export(new Outer(), torch.randn(2, 3))).toThrow(/cannot export the op MaskedFillBackward0 .*called in module "inner": .*no mapping/);
  });

  it('refuses a size read from a tensor that cannot follow the dynamic axes, and a value-dependent constant', () => {
    class Baked extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        return x.add(torch.zeros(x.shape[0]!, 1));
      }
    }
    expect(() => torch.onnx.export(new Baked(), torch.randn(2, 3), { dynamicAxes: { input_0: [0] } })).toThrow(/did not see being computed.*baked in as a constant/);
    class Product extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        // (N*L, 1) is fine (a Reshape to (-1, 1)); expanding to N + 1 columns follows no axis.
        return x.reshape(x.shape[0]! * x.shape[1]!, 1).expand(-1, x.shape[0]! + 1);
      }
    }
    expect(() => torch.onnx.export(new Product(), torch.randn(2, 3), { dynamicAxes: { input_0: [0, 1] } })).toThrow(/follow no dynamic axis/);
    class FromValues extends nn.Module {
      forward(x: torch.Tensor): torch.Tensor {
        return x.mul(x.gt(0).to('float32'));
      }
    }
    expect(() => torch.onnx.export(new FromValues(), torch.randn(2, 3))).toThrow(/did not see being computed/);
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
});
