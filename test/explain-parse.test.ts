/**
 * The constructor-string parser on every option of the recurrent layers and cells, in Python's
 * and torchlet's spellings, and on malformed strings (each error says where); and the
 * architecture inference of `torchlet inspect` on PyTorch-made checkpoints.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { buildLayer, inferArchitecture, parseLayer, SpecError, toPython, toTorchlet } from '../src/explain/index.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

describe('parseLayer: Python spelling', () => {
  it.each([
    ['nn.LSTM(60, 20, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)', 'LSTM(60, 20, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)'],
    ['torch.nn.GRU(8, 16, 2, False, True, 0.5, True)', 'GRU(8, 16, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)'],
    ['LSTM(10, 20, proj_size=5)', 'LSTM(10, 20, proj_size=5)'],
    ["nn.RNN(4, 5, 2, 'relu')", 'RNN(4, 5, num_layers=2)'],
    ["nn.RNN(input_size=4, hidden_size=5, nonlinearity=\"relu\", bias=False)", 'RNN(4, 5, bias=False)'],
    ['nn.LSTM(60, 20, 1, batch_first=True, dropout=0.2, bidirectional=1)', 'LSTM(60, 20, batch_first=True, dropout=0.2, bidirectional=1)'],
    ["nn.GRU(3, 4, dtype=torch.float64, device='cpu')", 'GRU(3, 4)'],
    ['nn.LSTMCell(10, 20, bias=False)', 'LSTMCell(10, 20, bias=False)'],
    ["nn.RNNCell(10, 20, True, 'relu')", 'RNNCell(10, 20, nonlinearity=relu)'],
    ['nn.GRUCell(10, 20)', 'GRUCell(10, 20)'],
    ['nn.Linear(3, 8, bias=False)', 'Linear(in_features=3, out_features=8, bias=False)'],
    ['nn.Conv1d(60, 32, kernel_size=3, padding=1)', 'Conv1d(60, 32, kernel_size=(3,), stride=(1,), padding=(1,))'],
    ['  nn.LSTM( 60 , 20 , )  ', 'LSTM(60, 20)'],
  ])('%s', (src, repr) => {
    expect(buildLayer(parseLayer(src)).toString()).toBe(repr);
  });

  it('keeps every option, named as torchlet names it', () => {
    expect(parseLayer('nn.LSTM(60, 20, 2, True, True, 0.2, True, 10)').args).toEqual({
      inputSize: 60, hiddenSize: 20, numLayers: 2, bias: true, batchFirst: true, dropout: 0.2, bidirectional: true, projSize: 10,
    });
    expect(parseLayer("nn.RNN(1, 2, 3, 'relu', False, True, 0.1, True)").args).toEqual({
      inputSize: 1, hiddenSize: 2, numLayers: 3, nonlinearity: 'relu', bias: false, batchFirst: true, dropout: 0.1, bidirectional: true,
    });
    expect(parseLayer('nn.GRU(1, 2, dtype=torch.double)').args).toEqual({ inputSize: 1, hiddenSize: 2, dtype: 'float64' });
    expect((buildLayer(parseLayer('nn.GRU(1, 2, dtype=torch.double)')).parameters()[0]!).dtype).toBe('float64');
  });

  it('builds a Sequential of layers', () => {
    const m = buildLayer(parseLayer('nn.Sequential(nn.Linear(3, 8), nn.ReLU(inplace=True), nn.Dropout(p=0.1), nn.Linear(8, 1))'));
    expect(torch.noGrad(() => (m as torch.nn.Sequential).forward(torch.zeros(2, 3))).shape).toEqual([2, 1]);
  });
});

describe('parseLayer: torchlet spelling', () => {
  it.each([
    ['new nn.LSTM(60, 20, { numLayers: 2, batchFirst: true, dropout: 0.2, bidirectional: true })', 'LSTM(60, 20, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True)'],
    ["new nn.RNN(4, 5, { nonlinearity: 'relu', bias: false })", 'RNN(4, 5, bias=False)'],
    ['new nn.LSTM(10, 20, { projSize: 5, })', 'LSTM(10, 20, proj_size=5)'],
    ['nn.GRU(8, 16, 2, { batchFirst: true })', 'GRU(8, 16, num_layers=2, batch_first=True)'],
  ])('%s', (src, repr) => {
    expect(buildLayer(parseLayer(src)).toString()).toBe(repr);
  });

  it('prints specs back as PyTorch and torchlet code that parse to the same spec', () => {
    const spec = parseLayer('nn.LSTM(60, 20, num_layers=2, batch_first=True, bidirectional=True, proj_size=5)');
    expect(toPython(spec)).toBe('nn.LSTM(60, 20, num_layers=2, batch_first=True, bidirectional=True, proj_size=5)');
    expect(toTorchlet(spec)).toBe('new nn.LSTM(60, 20, { numLayers: 2, batchFirst: true, bidirectional: true, projSize: 5 })');
    expect(parseLayer(toPython(spec))).toEqual(spec);
    expect(parseLayer(toTorchlet(spec))).toEqual(spec);
  });
});

describe('parseLayer: malformed strings say where', () => {
  it.each([
    ['nn.LSTM(60, 20,, 2)', /expected a value at column 16, found ','/],
    ['nn.LSTM(60, 20', /ends at column 15 before its closing '\)'/],
    ['nn.LSTM(60, 20) extra', /unexpected 'extra' at column 17/],
    ['nn.LSTM(60, 20, num_layer=2)', /unexpected keyword argument 'num_layer' at column 17; LSTM takes input_size, hidden_size, num_layers/],
    ['nn.Lstm(60, 20)', /unknown layer 'Lstm' at column 1; did you mean LSTM\?/],
    ['nn.LSTM(60, 20, batch_first=True, 2)', /positional argument follows keyword argument at column 35/],
    ['nn.LSTM(60, 20, hidden_size=3)', /multiple values for argument 'hidden_size'/],
    ['nn.GRU(1, 2, 3, True, True, 0.0, True, 5)', /takes at most 7 positional arguments but 8 were given/],
    ["nn.LSTM(60, 'abc", /unterminated string starting at column 13/],
    ['nn.LSTM(60; 20)', /unexpected character ';' at column 11/],
    ['', /empty constructor string/],
    ['60, 20', /expected a layer name/],
    ['nn.GRU(1, 2, dtype=torch.int32)', /not a parameter dtype/],
  ])('%s', (src, msg) => {
    expect(() => parseLayer(src)).toThrow(SpecError);
    expect(() => parseLayer(src)).toThrow(msg);
  });

  it("the layer's own checks still apply after parsing (PyTorch's messages)", () => {
    expect(() => buildLayer(parseLayer('nn.LSTM(10, 20, proj_size=20)'))).toThrow(/proj_size has to be smaller than hidden_size/);
    expect(() => buildLayer(parseLayer('nn.GRU(10, 20, proj_size=5)'))).toThrow(SpecError);
    expect(() => buildLayer(parseLayer("nn.RNN(10, 20, nonlinearity='sigmoid')"))).toThrow(/Unknown nonlinearity 'sigmoid'/);
    expect(() => buildLayer(parseLayer('nn.LSTM(10)'))).toThrow(/missing required argument: 'hidden_size'/);
  });
});

describe('inferArchitecture on PyTorch checkpoints', () => {
  const entries = (file: string, key?: string) => {
    const ck = torch.load(new Uint8Array(readFileSync(join(FIX, file))));
    const sd = torch.io.toStateDict(ck, key ?? []);
    return Object.entries(sd).map(([name, t]) => ({ name, shape: t.shape }));
  };
  it('a bidirectional 2-layer LSTM', () => {
    const a = inferArchitecture(entries('io_lstm.pt'));
    expect(a.layers.map((l) => toPython(l.spec))).toEqual(['nn.LSTM(4, 5, num_layers=2, bidirectional=True)']);
    expect(a.unrecognized).toEqual([]);
  });
  it('an LSTM with projections, a GRU, their shapes round-trip', () => {
    for (const f of ['io_lstm_proj.pt', 'io_gru.pt', 'io_lstm_legacy.pt']) {
      const e = entries(f);
      const a = inferArchitecture(e);
      expect(a.layers).toHaveLength(1);
      const m = buildLayer(a.layers[0]!.spec);
      expect(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape])).toEqual(e.map((x) => [x.name, x.shape]));
    }
  });
  it('layers under prefixes, cells, Linear and Conv1d', () => {
    const a = inferArchitecture([
      { name: 'conv.weight', shape: [32, 60, 3] },
      { name: 'conv.bias', shape: [32] },
      { name: 'enc.rnn.weight_ih_l0', shape: [48, 32] },
      { name: 'enc.rnn.weight_hh_l0', shape: [48, 16] },
      { name: 'cell.weight_ih', shape: [80, 10] },
      { name: 'cell.weight_hh', shape: [80, 20] },
      { name: 'head.weight', shape: [1, 16] },
      { name: 'head.bias', shape: [1] },
      { name: 'norm.running_mean', shape: [16] },
    ]);
    expect(a.layers.map((l) => [l.prefix, toPython(l.spec)])).toEqual([
      ['conv.', 'nn.Conv1d(60, 32, 3)'],
      ['enc.rnn.', 'nn.GRU(32, 16, bias=False)'],
      ['cell.', 'nn.LSTMCell(10, 20, bias=False)'],
      ['head.', 'nn.Linear(16, 1)'],
    ]);
    expect(a.unrecognized).toEqual(['norm.running_mean']);
  });
});
