/**
 * PyTorch checkpoints and torchlet's parameter layout: a state_dict saved by PyTorch (seeded
 * random weights) loads with `loadStateDict` and reproduces PyTorch's outputs; `stateDict()`
 * has PyTorch's keys, order and shapes; `toString()` prints PyTorch's repr.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

const { nn } = torch;

interface PyArgs {
  input_size: number;
  hidden_size: number;
  num_layers?: number;
  bias?: boolean;
  batch_first?: boolean;
  bidirectional?: boolean;
  proj_size?: number;
  nonlinearity?: 'tanh' | 'relu';
}

interface Cases {
  state_dicts: { name: string; args: PyArgs; keys: string[] }[];
  keys: { ctor: 'RNN' | 'LSTM' | 'GRU' | 'RNNCell' | 'LSTMCell' | 'GRUCell'; args: PyArgs; repr: string; keys: [string, number[]][] }[];
}

const fx = loadFixture<Cases>('rnn');

/** PyTorch keyword arguments → torchlet options. */
function options(a: PyArgs) {
  return {
    ...(a.num_layers !== undefined && { numLayers: a.num_layers }),
    ...(a.bias !== undefined && { bias: a.bias }),
    ...(a.batch_first !== undefined && { batchFirst: a.batch_first }),
    ...(a.bidirectional !== undefined && { bidirectional: a.bidirectional }),
    ...(a.nonlinearity !== undefined && { nonlinearity: a.nonlinearity }),
  };
}

function build(ctor: Cases['keys'][number]['ctor'], a: PyArgs): torch.nn.Module {
  const o = options(a);
  switch (ctor) {
    case 'RNN':
      return new nn.RNN(a.input_size, a.hidden_size, o);
    case 'LSTM':
      return new nn.LSTM(a.input_size, a.hidden_size, { ...o, ...(a.proj_size !== undefined && { projSize: a.proj_size }) });
    case 'GRU':
      return new nn.GRU(a.input_size, a.hidden_size, o);
    case 'RNNCell':
      return new nn.RNNCell(a.input_size, a.hidden_size, o);
    case 'LSTMCell':
      return new nn.LSTMCell(a.input_size, a.hidden_size, o);
    case 'GRUCell':
      return new nn.GRUCell(a.input_size, a.hidden_size, o);
  }
}

describe('state_dict keys, shapes and repr match PyTorch', () => {
  for (const c of fx.cases.keys) {
    it(`${c.repr}`, () => {
      const m = build(c.ctor, c.args);
      const sd = m.stateDict();
      expect(Object.entries(sd).map(([k, v]) => [k, [...v.shape]])).toEqual(c.keys);
      expect(m.toString()).toBe(c.repr);
    });
  }
});

describe('a PyTorch state_dict loads and reproduces PyTorch', () => {
  for (const c of fx.cases.state_dicts) {
    it(`${c.name}: ${JSON.stringify(c.args)}`, () => {
      const ctor = c.name === 'lstm' ? 'LSTM' : c.name === 'gru' ? 'GRU' : 'RNN';
      const m = build(ctor, c.args) as torch.nn.RNNBase;
      const sd: Record<string, Tensor> = {};
      for (const k of c.keys) sd[k] = fx.get(`sd/${c.name}/${k}`);
      const res = m.loadStateDict(sd);
      expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
      m.eval();
      const [out, state] = torch.noGrad(() => m.forward(fx.get(`sd/${c.name}/x`)));
      expectClose(out, fx.get(`sd/${c.name}/out`), TOL.f32Deep, 'output');
      const [hN, cN] = Array.isArray(state) ? state : [state, null];
      expectClose(hN, fx.get(`sd/${c.name}/hN`), TOL.f32Deep, 'hN');
      if (cN) expectClose(cN, fx.get(`sd/${c.name}/cN`), TOL.f32Deep, 'cN');
      // The loaded values are the parameters' values, in PyTorch's order.
      expect(Object.keys(m.stateDict())).toEqual(c.keys);
    });
  }

  it('refuses a state_dict from another configuration and changes nothing', () => {
    const m = new nn.LSTM(5, 6, { numLayers: 2, batchFirst: true, bidirectional: true });
    const before = m.stateDict();
    const snapshot = Object.fromEntries(Object.entries(before).map(([k, v]) => [k, v.toFloat32Array()]));
    const sd: Record<string, Tensor> = {};
    for (const k of fx.cases.state_dicts[0]!.keys) sd[k] = fx.get(`sd/lstm/${k}`);
    expect(() => m.loadStateDict(sd)).toThrow(/Unexpected key\(s\) in state_dict: "weight_hr_l0"/);
    expect(() => m.loadStateDict(sd)).toThrow(/size mismatch for weight_hh_l0: copying a param with shape torch.Size\(\[24, 3\]\) from checkpoint, the shape in current model is torch.Size\(\[24, 6\]\)/);
    for (const [k, v] of Object.entries(m.stateDict())) expect(v.toFloat32Array()).toEqual(snapshot[k]);
  });
});
