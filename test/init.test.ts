/**
 * nn.init against PyTorch 1.13 (fixture: tools/fixtures/init.py). Deterministic initialisers
 * exactly (gains, fans, eye_, dirac_, constant_); random ones by their statistics over 98,304
 * values against PyTorch's formulas, within 5 standard errors (PyTorch's own sample is checked
 * against the same bar, so the bar is one PyTorch meets); orthogonal_ by Q^T Q = gain² I to
 * float32 round-off no worse than PyTorch's.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { expectPyTorchError } from './helpers/errors.js';
import { loadFixture } from './helpers/fixtures.js';

const init = torch.nn.init;
interface Stat {
  name: string;
  shape: number[];
  mean: number;
  std: number;
  bound: number | null;
  kurtosis: number;
  low: number | null;
  high: number | null;
  torchMean: number;
  torchStd: number;
  torchMin: number;
  torchMax: number;
}
interface Cases {
  gains: { nonlinearity: torch.nn.init.Nonlinearity; param: number | null; gain: number }[];
  fans: { shape: number[]; fanIn: number; fanOut: number }[];
  eye: string[];
  dirac: string[];
  stats: Stat[];
  orth: { shape: number[]; gain: number; torchResidual: number }[];
  errors: { name: string; type: string; message: string }[];
}
const fx = loadFixture<Cases>('init');

function shapeOf(key: string): number[] {
  return key.split('/')[1]!.split('x').map(Number);
}

function sampleStats(t: torch.Tensor): { mean: number; std: number; min: number; max: number } {
  const v = t.contiguousData();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    s += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (v.length - 1)), min, max };
}

/** |sample - expected| within 5 standard errors, for the mean and for the standard deviation. */
function expectWithinSampling(c: Stat, got: { mean: number; std: number }, who: string): void {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const seMean = c.std / Math.sqrt(n);
  const seStd = (c.std * Math.sqrt(c.kurtosis - 1)) / (2 * Math.sqrt(n));
  expect(Math.abs(got.mean - c.mean), `${who} mean ${got.mean} vs ${c.mean}`).toBeLessThan(5 * seMean);
  expect(Math.abs(got.std - c.std), `${who} std ${got.std} vs ${c.std}`).toBeLessThan(5 * seStd);
}

const RANDOM: Record<string, (t: torch.Tensor) => torch.Tensor> = {
  uniform: (t) => init.uniform_(t, -0.5, 1.5),
  normal: (t) => init.normal_(t, 0.3, 2.0),
  xavier_uniform: (t) => init.xavierUniform_(t),
  xavier_uniform_gain: (t) => init.xavierUniform_(t, init.calculateGain('tanh')),
  xavier_normal: (t) => init.xavierNormal_(t, 0.5),
  kaiming_uniform_a5: (t) => init.kaimingUniform_(t, { a: Math.sqrt(5) }),
  kaiming_uniform_relu_out: (t) => init.kaimingUniform_(t, { mode: 'fan_out', nonlinearity: 'relu' }),
  kaiming_normal: (t) => init.kaimingNormal_(t),
  kaiming_normal_tanh_out: (t) => init.kaimingNormal_(t, { mode: 'fan_out', nonlinearity: 'tanh' }),
  trunc_normal: (t) => init.truncNormal_(t),
  trunc_normal_skew: (t) => init.truncNormal_(t, 1.0, 0.5, 0.0, 1.2),
};

describe('deterministic initialisers equal PyTorch', () => {
  it('calculateGain', () => {
    for (const g of fx.cases.gains) expect(init.calculateGain(g.nonlinearity, g.param), g.nonlinearity).toBe(g.gain);
  });
  it('fan in and fan out', () => {
    for (const f of fx.cases.fans) expect(init.calculateFanInAndFanOut(torch.zeros(f.shape))).toEqual([f.fanIn, f.fanOut]);
  });
  it('eye_', () => {
    for (const key of fx.cases.eye) expect(init.eye_(torch.randn(shapeOf(key))).tolist(), key).toEqual(fx.get(key).tolist());
  });
  it('dirac_', () => {
    for (const key of fx.cases.dirac) {
      const groups = Number(key.split('/g')[1]);
      expect(init.dirac_(torch.randn(shapeOf(key)), groups).tolist(), key).toEqual(fx.get(key).tolist());
    }
  });
  it('constant_, ones_, zeros_ on a strided view write through to the base', () => {
    const base = torch.zeros(3, 4);
    const view = base.t();
    init.constant_(view, 0.5);
    expect(base.tolist()).toEqual(Array.from({ length: 3 }, () => [0.5, 0.5, 0.5, 0.5]));
    init.ones_(base.narrow(1, 1, 2));
    expect((base.tolist() as number[][])[0]).toEqual([0.5, 1, 1, 0.5]);
    init.zeros_(base);
    expect(base.sum().item()).toBe(0);
  });
});

describe('random initialisers have PyTorch’s distributions', () => {
  for (const c of fx.cases.stats) {
    it(c.name, () => {
      torch.manualSeed(1234);
      const t = RANDOM[c.name]!(torch.zeros(c.shape));
      const got = sampleStats(t);
      expectWithinSampling(c, { mean: c.torchMean, std: c.torchStd }, 'PyTorch');
      expectWithinSampling(c, got, 'torchlet');
      if (c.low !== null) expect(got.min).toBeGreaterThanOrEqual(Math.fround(c.low));
      if (c.high !== null) expect(got.max).toBeLessThanOrEqual(Math.fround(c.high));
      // Bounded draws come near their bounds, as PyTorch's do.
      if (c.bound !== null) expect(got.max).toBeGreaterThan(0.99 * c.bound);
    });
  }
  it('a generator makes an initialiser reproducible without touching the global stream', () => {
    const a = init.kaimingUniform_(torch.zeros(4, 5), { generator: new torch.Generator().manualSeed(3) }).tolist();
    const b = init.kaimingUniform_(torch.zeros(4, 5), { generator: new torch.Generator().manualSeed(3) }).tolist();
    expect(a).toEqual(b);
  });
});

describe('orthogonal_', () => {
  for (const c of fx.cases.orth) {
    it(`(${c.shape.join(', ')}) gain ${c.gain}: Q^T Q = gain² I`, () => {
      const t = init.orthogonal_(torch.zeros(c.shape), c.gain).double().reshape(c.shape[0]!, -1);
      const gram = t.shape[0]! >= t.shape[1]! ? t.t().matmul(t) : t.matmul(t.t());
      const k = gram.shape[0]!;
      const g = gram.tolist() as number[][];
      let resid = 0;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) resid = Math.max(resid, Math.abs(g[i]![j]! - (i === j ? c.gain ** 2 : 0)));
      expect(resid).toBeLessThanOrEqual(Math.max(4 * c.torchResidual, 1e-6));
    });
  }
  it('the recurrent recipes: orthogonal weight_hh, forget-gate bias 1, on a layer that then trains', () => {
    torch.manualSeed(0);
    const lstm = new torch.nn.LSTM(3, 4);
    init.orthogonal_(lstm.weight_hh_l0);
    torch.noGrad(() => {
      init.zeros_(lstm.bias_ih_l0);
      init.constant_(lstm.bias_ih_l0.narrow(0, 4, 4), 1);
    });
    expect(lstm.bias_ih_l0.tolist()).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(lstm.stateDict().bias_ih_l0!.tolist()).toEqual(lstm.bias_ih_l0.tolist());
    expect(lstm.weight_hh_l0.requiresGrad).toBe(true);
    const [out] = lstm.forward(torch.randn(5, 2, 3));
    out.sum().backward();
    expect(lstm.weight_hh_l0.grad).not.toBeNull();
  });
});

describe('recurrent layers expose parameters under PyTorch’s names', () => {
  it('weight_ih_l0 … bias_hh_l1_reverse, weight_hr_l0; assignment re-registers', () => {
    const lstm = new torch.nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2 });
    const names = [...lstm.namedParameters()].map(([n]) => n);
    for (const n of names) expect(lstm[n as 'weight_ih_l0'], n).toBe(lstm.getParameter(n));
    expect(lstm.weight_hr_l1_reverse.shape).toEqual([2, 4]);
    const p = new torch.nn.Parameter(torch.zeros(16, 2));
    lstm.weight_hh_l0 = p;
    expect(lstm.getParameter('weight_hh_l0')).toBe(p);
    expect(() => {
      (lstm as unknown as Record<string, unknown>).weight_hh_l0 = torch.zeros(16, 2);
    }).toThrow(/torch.nn.Parameter or None expected/);
    const gru = new torch.nn.GRU(2, 3, { bias: false });
    expect((gru as unknown as Record<string, unknown>).bias_ih_l0).toBeUndefined();
  });
});

describe("bad arguments get PyTorch's errors and change nothing", () => {
  const calls: Record<string, () => unknown> = {
    fan_1d: () => init.xavierUniform_(torch.zeros(5)),
    gain_unknown: () => init.calculateGain('softplus' as 'relu'),
    gain_slope: () => init.calculateGain('leaky_relu', 'x' as unknown as number),
    kaiming_mode: () => init.kaimingUniform_(torch.zeros(3, 4), { mode: 'fan_avg' as 'fan_in' }),
    eye_3d: () => init.eye_(torch.zeros(2, 2, 2)),
    dirac_2d: () => init.dirac_(torch.zeros(2, 2)),
    dirac_groups: () => init.dirac_(torch.zeros(5, 2, 3), 2),
    orth_1d: () => init.orthogonal_(torch.zeros(4)),
  };
  for (const c of fx.cases.errors) {
    it(`${c.name}: ${c.message}`, () => {
      const t = torch.full([2], 7);
      expectPyTorchError(calls[c.name], c);
      expect(t.tolist()).toEqual([7, 7]);
    });
  }
  it('a refused kaiming call leaves the tensor as it was', () => {
    const t = torch.full([3, 4], 2);
    expect(() => init.kaimingNormal_(t, { mode: 'fan_avg' as 'fan_in' })).toThrow();
    expect(t.sum().item()).toBe(24);
  });
});
