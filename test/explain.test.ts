/**
 * torch.explain against the shapes PyTorch gives (test/fixtures/explain_shapes.json, made by
 * tools/fixtures/explain.py with PyTorch 1.13: output/h_n/c_n shapes, named_parameters, and for
 * container modules every submodule call's shapes from forward hooks); that explain leaves the
 * module and the random generator as they were; the warnings; the cost formulas on one case.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SingleRNN } from '../examples/single-rnn.js';
import * as torch from '../src/index.js';
import type { ExplainNode, ExplainReport } from '../src/explain/index.js';
import { buildLayer, parseLayer } from '../src/explain/index.js';

const { nn } = torch;
const FIXTURE = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'explain_shapes.json'), 'utf8')) as {
  torch_version: string;
  cases: Array<{
    ctor?: string;
    module?: string;
    input: number[];
    lengths?: number[];
    output?: number[];
    h_n?: number[];
    c_n?: number[];
    params: [string, number[]][];
    calls?: { path: string; type: string; in: number[][]; out: number[][] }[];
  }>;
};

const sizes = (n: ExplainNode, side: 'inputs' | 'outputs', name: string) => n[side].find((t) => t.name === name)?.dims.map((d) => d.size);

/** The seed's point 3 in torchlet: Conv1d (N, C, L) → transpose → batch-first LSTM → Linear on the last step. */
class ConvRNN extends nn.Module {
  conv = this.registerModule('conv', new nn.Conv1d(60, 32, 3, { padding: 1 }));
  rnn = this.registerModule('rnn', new nn.LSTM(32, 16, { batchFirst: true }));
  head = this.registerModule('head', new nn.Linear(16, 1));
  forward(x: torch.Tensor): torch.Tensor {
    const y = this.conv.forward(x);
    const [out] = this.rnn.forward(y.transpose(1, 2));
    return this.head.forward(out.narrow(1, -1, 1).squeeze(1));
  }
}

describe('explain: recurrent layers and cells against PyTorch 1.13 shapes', () => {
  const layers = FIXTURE.cases.filter((c) => c.ctor !== undefined);
  it('has the cases', () => {
    expect(layers.length).toBe(13);
  });
  it.each(layers.map((c) => [c.ctor!, c]))('%s', (_, c) => {
    const m = buildLayer(parseLayer(c.ctor!));
    const input = c.lengths ? { shape: c.input, lengths: c.lengths, batchFirst: c.input[0] === c.lengths.length && /batch_first=True/.test(c.ctor!), enforceSorted: false } : c.input;
    const r = torch.explain(m, input);
    expect(r.error).toBeUndefined();
    const root = r.nodes[0]!;
    if (c.output) expect(sizes(root, 'outputs', 'output')).toEqual(c.output);
    const isCell = /Cell/.test(c.ctor!);
    expect(sizes(root, 'outputs', isCell ? "h'" : 'hN')).toEqual(c.h_n);
    if (c.c_n) expect(sizes(root, 'outputs', isCell ? "c'" : 'cN')).toEqual(c.c_n);
    expect(root.params.map((p) => [p.name, p.dims.map((d) => d.size)])).toEqual(c.params);
    // The per-direction rows add up to the layer's parameters, and every direction's h rows are named.
    const dirs = r.nodes.filter((n) => n.kind === 'direction');
    expect(dirs.flatMap((d) => d.params.map((p) => p.name))).toEqual(isCell ? [] : c.params.map(([n]) => n));
    expect(r.totals.params).toBe(c.params.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0));
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('explain: container and user modules (traced) against PyTorch forward hooks', () => {
  const build: Record<string, () => torch.nn.Module> = {
    "SingleRNN('LSTM', 60, 20, bidirectional=True)": () => new SingleRNN('LSTM', 60, 20, 0, true),
    "SingleRNN('GRU', 64, 32, dropout=0.2)": () => new SingleRNN('GRU', 64, 32, 0.2),
    'ConvRNN()': () => new ConvRNN(),
  };
  const mods = FIXTURE.cases.filter((c) => c.module !== undefined);
  it.each(mods.map((c) => [c.module!, c]))('%s', (name, c) => {
    const m = build[name] ? build[name]() : buildLayer(parseLayer(name));
    const r = torch.explain(m, c.input);
    expect(r.error).toBeUndefined();
    for (const call of c.calls!) {
      const node = r.nodes.find((n) => n.kind === 'module' && n.path === call.path)!;
      expect(node, call.path).toBeDefined();
      expect(node.type).toBe(call.type);
      expect(node.inputs.slice(0, call.in.length).map((t) => t.dims.map((d) => d.size)), `${call.path} in`).toEqual(call.in);
      expect(node.outputs.map((t) => t.dims.map((d) => d.size)), `${call.path} out`).toEqual(call.out);
    }
    // Calls are listed as they start: the root first, then its children in call order.
    expect(r.nodes.filter((n) => n.kind === 'module').map((n) => n.path)).toEqual(['', ...c.calls!.filter((x) => x.path !== '').map((x) => x.path)]);
    expect(r.totals.params).toBe(c.params.reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0));
  });
});

describe('explain changes nothing', () => {
  it('leaves parameters, grads, training mode, buffers and the random generator as they were', () => {
    torch.manualSeed(11);
    const m = new nn.Sequential(new nn.Linear(6, 8), new nn.Dropout(0.5), new nn.BatchNorm1d(8), new nn.Linear(8, 2));
    const rnn = new nn.LSTM(4, 6, { numLayers: 2, dropout: 0.5 });
    const params = [...m.parameters(), ...rnn.parameters()];
    params[0]!.grad = torch.ones(...params[0]!.shape);
    (m.get(1) as torch.nn.Module).training = false; // a mixed state must survive too
    const before = params.map((p) => Array.from(p.toFloat32Array()));
    const grads = params.map((p) => p.grad);
    const buffers = m.buffers().map((b) => Array.from(b.toFloat32Array()));
    const modes = [...m.modules(), ...rnn.modules()].map((x) => x.training);

    torch.manualSeed(5);
    const r1 = torch.explain(m, [16, 6]);
    const r2 = torch.explain(rnn, [7, 3, 4]);
    class User extends nn.Module {
      rnn = this.registerModule('rnn', rnn);
      forward(x: torch.Tensor): torch.Tensor {
        return this.rnn.forward(x)[0];
      }
    }
    const r3 = torch.explain(new User(), [7, 3, 4]);
    const after = torch.rand(8).toFloat32Array();
    torch.manualSeed(5);
    expect(Array.from(after)).toEqual(Array.from(torch.rand(8).toFloat32Array()));

    expect(r1.error ?? r2.error ?? r3.error).toBeUndefined();
    expect(params.map((p) => Array.from(p.toFloat32Array()))).toEqual(before);
    expect(params.map((p) => p.grad)).toEqual(grads);
    expect(m.buffers().map((b) => Array.from(b.toFloat32Array()))).toEqual(buffers);
    expect([...m.modules(), ...rnn.modules()].map((x) => x.training)).toEqual(modes);
    for (const x of [...m.modules(), ...rnn.modules()]) expect(Object.hasOwn(x, 'forward')).toBe(false);
  });

  it('leaves the module as it was when the forward throws', () => {
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.Linear(5, 1));
    const r = torch.explain(m, [2, 3]);
    expect(r.error).toMatch(/5|4/);
    for (const x of m.modules()) expect(Object.hasOwn(x, 'forward')).toBe(false);
    expect(m.training).toBe(true);
  });
});

describe('explain: the notes on a deeper layer\'s input', () => {
  const note = (m: torch.nn.Module, input: number[]) => {
    const layer1 = torch.explain(m, input).nodes.find((c) => c.type === 'layer 1 forward')!;
    return layer1.inputs.find((i) => i.name === 'x')!.note;
  };
  it('say "both directions joined" only when there are two', () => {
    expect(note(new nn.LSTM(10, 20, { numLayers: 2 }), [5, 3, 10])).toBe("layer 0's output");
    expect(note(new nn.GRU(10, 20, { numLayers: 2, bidirectional: true }), [5, 3, 10])).toBe("layer 0's output, both directions joined");
  });
});

describe('explain: the classic slips, each with its fix', () => {
  const codes = (r: ExplainReport) => r.warnings.map((w) => w.code).sort();
  it('batchFirst does not change hN; dropout with one layer does nothing; bidirectional last step', () => {
    const r = torch.explain(buildLayer(parseLayer('nn.LSTM(60, 20, batch_first=True, dropout=0.2, bidirectional=True)')), [32, 100, 60]);
    expect(codes(r)).toEqual(['batch-first-states', 'bidirectional-last-step', 'dropout-single-layer']);
    expect(r.warnings.every((w) => w.fix.length > 10)).toBe(true);
    expect(codes(torch.explain(new nn.GRU(60, 20, { numLayers: 2, dropout: 0.2 }), [100, 32, 60]))).toEqual([]);
  });
  it('sequence length taken for features: an error and the transpose that fixes it', () => {
    const r = torch.explain(new nn.GRU(60, 20, { batchFirst: true }), [32, 60, 100]);
    expect(r.error).toMatch(/input.size\(-1\) must be equal to input_size. Expected 60, got 100/);
    const w = r.warnings.find((x) => x.code === 'transposed-input')!;
    expect(w.fix).toContain('x.transpose(1, 2)');
    expect(r.nodes[0]!.failed).toBe(true);
  });
  it('a Conv1d feeding an RNN directly', () => {
    class Bad extends nn.Module {
      conv = this.registerModule('conv', new nn.Conv1d(60, 32, 3));
      rnn = this.registerModule('rnn', new nn.GRU(32, 16, { batchFirst: true }));
      forward(x: torch.Tensor): unknown {
        return this.rnn.forward(this.conv.forward(x));
      }
    }
    const r = torch.explain(new Bad(), [8, 60, 50]);
    expect(codes(r)).toContain('conv-before-rnn');
    expect(r.warnings.find((w) => w.code === 'conv-before-rnn')!.fix).toContain('transpose(1, 2)');
    expect(r.error).toMatch(/Expected 32, got 48/);
    expect(codes(torch.explain(new ConvRNN(), [8, 60, 50]))).not.toContain('conv-before-rnn');
  });
  it('packed sequences: unsorted lengths need enforceSorted: false; hN is each sequence\'s own last step', () => {
    const lstm = new nn.LSTM(10, 20);
    const bad = torch.explain(lstm, { shape: [7, 3, 10], lengths: [5, 7, 3] });
    expect(bad.error).toMatch(/must be sorted in decreasing order/);
    expect(codes(bad)).toEqual(['packed-enforce-sorted', 'packed-final-states']);
    const ok = torch.explain(lstm, { shape: [7, 3, 10], lengths: [5, 7, 3], enforceSorted: false });
    expect(ok.error).toBeUndefined();
    expect(codes(ok)).toEqual(['packed-final-states']);
    const packed = torch.nn.utils.rnn.packPaddedSequence(torch.zeros(7, 3, 10), [5, 7, 3], { enforceSorted: false });
    const viaPacked = torch.explain(lstm, packed);
    expect(viaPacked.nodes[0]!.inputs[0]!.dims.map((d) => d.size)).toEqual([15, 10]);
    expect(viaPacked.nodes[0]!.inputs[0]!.note).toContain('lengths [5,7,3]');
  });
});

describe('explain: costs', () => {
  it('FLOPs and memory of one LSTM layer by the documented formula', () => {
    // LSTM(4, 3), input (L=5, N=2, 4): per row 2*(4*3*4 + 4*3*3) multiply-adds + 17*3 element-wise.
    const r = torch.explain(new nn.LSTM(4, 3), [5, 2, 4]);
    const rows = 10;
    expect(r.totals.flops.inference).toBe(rows * (2 * (48 + 36) + 17 * 3));
    expect(r.totals.flops.trainingStep).toBe(3 * r.totals.flops.inference);
    // with grad: the input, then gates (4H) + h + c per row, then output + final states
    expect(r.totals.activationBytes.grad).toBe(4 * (rows * 4 + rows * (12 + 3 + 3) + rows * 3 + 1 * 2 * 6));
    expect(r.totals.activationBytes.noGrad).toBe(4 * (rows * (4 + 3) + 2 * 6));
  });
  it('renders as text with symbols and numbers', () => {
    const text = torch.renderExplain(torch.explain(buildLayer(parseLayer('nn.LSTM(60, 20, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)')), [32, 100, 60]));
    expect(text).toContain('output (N=32, L=100, D*Hout=40)');
    expect(text).toContain('hN     (D*num_layers=4, N=32, Hout=20)');
    expect(text).toContain('weight_ih_l1_reverse (4*Hcell=80, D*Hout=40)');
    expect(text).toContain('23,040 parameters');
    expect(text).not.toContain('\u001b[');
  });
});

describe('the fixture', () => {
  it('was made by PyTorch 1.13', () => {
    expect(FIXTURE.torch_version).toMatch(/^1\.13/);
  });
});
