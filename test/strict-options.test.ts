/**
 * Strict options (issue 12): every exported constructor and function that takes an options object
 * refuses an unknown key (naming the nearest valid one), a value of the wrong type, and null, with
 * an OptionError (a TypeError and a TorchletError), before it changes anything.
 *
 * The exports are walked, and an export whose parameter list names `options`/`opts` must have a
 * row in CALLS (or be listed in NOT_YET with the reason), so a new one cannot be missed.
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { declaredOptions } from '../src/options.js';

const { nn, optim } = torch;
const F = nn.functional;
const x = () => torch.randn(2, 3);
const param = () => new nn.Parameter(torch.randn(2));

/** How to call each options taker with `o` as its options. */
const CALLS: Record<string, (o: never) => unknown> = {
  add: (o) => torch.add(x(), 1, o),
  sub: (o) => torch.sub(x(), 1, o),
  tensor: (o) => torch.tensor([1, 2], o),
  full: (o) => torch.full([2], 1, o),
  zeros: (o) => torch.zeros(2, o),
  ones: (o) => torch.ones(2, o),
  rand: (o) => torch.rand(2, o),
  randn: (o) => torch.randn(2, o),
  uniform: (o) => torch.uniform([2], 0, 1, o),
  randperm: (o) => torch.randperm(3, o),
  nonzero: (o) => torch.nonzero(torch.ones(2), o),
  indexPut_: (o) => torch.indexPut_(torch.zeros(2), [0], 1, o),
  zerosLike: (o) => torch.zerosLike(x(), o),
  onesLike: (o) => torch.onesLike(x(), o),
  fullLike: (o) => torch.fullLike(x(), 2, o),
  randLike: (o) => torch.randLike(x(), o),
  randnLike: (o) => torch.randnLike(x(), o),
  emptyLike: (o) => torch.emptyLike(x(), o),
  eye: (o) => torch.eye(2, null, o),
  linspace: (o) => torch.linspace(0, 1, 3, o),
  logspace: (o) => torch.logspace(0, 1, 3, undefined, o),
  randint: (o) => torch.randint(3, [2], o),
  randintLike: (o) => torch.randintLike(x(), 0, 3, o),
  multinomial: (o) => torch.multinomial(torch.ones(2), 1, false, o),
  bernoulli: (o) => torch.bernoulli(torch.rand(2), undefined, o),
  normal: (o) => torch.normal(0, 1, [2], o),
  baddbmm: (o) => torch.baddbmm(torch.zeros(1, 2, 2), torch.zeros(1, 2, 2), torch.zeros(1, 2, 2), o),
  'Tensor.div_': (o) => x().div_(2, o),
  'Tensor.uniform_': (o) => x().uniform_(0, 1, o),
  'Tensor.normal_': (o) => x().normal_(0, 1, o),
  'autograd.gradcheck': (o) => torch.autograd.gradcheck((a) => a.mul(2), [torch.randn(2, { dtype: 'float64', requiresGrad: true })], o),
  'io.load': (o) => torch.io.load(new Uint8Array(0), o),
  'io.loadSafetensors': (o) => torch.io.loadSafetensors(new Uint8Array(0), o),
  'io.saveSafetensors': (o) => torch.io.saveSafetensors({ a: x() }, undefined, o),
  'onnx.export': (o) => torch.onnx.export(new nn.Linear(3, 2), x(), o),
  'onnx.exportModel': (o) => torch.onnx.exportModel(new nn.Linear(3, 2), x(), o),
  'nn.RNN': (o) => new nn.RNN(3, 4, o),
  'nn.LSTM': (o) => new nn.LSTM(3, 4, o),
  'nn.GRU': (o) => new nn.GRU(3, 4, o),
  'nn.RNNCell': (o) => new nn.RNNCell(3, 4, o),
  'nn.LSTMCell': (o) => new nn.LSTMCell(3, 4, o),
  'nn.GRUCell': (o) => new nn.GRUCell(3, 4, o),
  'nn.Linear': (o) => new nn.Linear(3, 4, o),
  'nn.Embedding': (o) => new nn.Embedding(5, 2, o),
  'nn.Embedding.fromPretrained': (o) => nn.Embedding.fromPretrained(x(), o),
  'nn.Conv1d': (o) => new nn.Conv1d(2, 2, 1, o),
  'nn.LayerNorm': (o) => new nn.LayerNorm(3, o),
  'nn.GroupNorm': (o) => new nn.GroupNorm(1, 2, o),
  'nn.BatchNorm1d': (o) => new nn.BatchNorm1d(3, o),
  'nn.MSELoss': (o) => new nn.MSELoss(o),
  'nn.L1Loss': (o) => new nn.L1Loss(o),
  'nn.NLLLoss': (o) => new nn.NLLLoss(o),
  'nn.CrossEntropyLoss': (o) => new nn.CrossEntropyLoss(o),
  'nn.BCEWithLogitsLoss': (o) => new nn.BCEWithLogitsLoss(o),
  'nn.Module.loadStateDict': (o) => new nn.Linear(1, 1).loadStateDict({}, o),
  'nn.Module.zeroGrad': (o) => new nn.Linear(1, 1).zeroGrad(o),
  'nn.functional.mseLoss': (o) => F.mseLoss(x(), x(), o),
  'nn.functional.l1Loss': (o) => F.l1Loss(x(), x(), o),
  'nn.functional.nllLoss': (o) => F.nllLoss(x(), torch.tensor([0, 1], { dtype: 'int64' }), o),
  'nn.functional.crossEntropy': (o) => F.crossEntropy(x(), torch.tensor([0, 1], { dtype: 'int64' }), o),
  'nn.functional.binaryCrossEntropyWithLogits': (o) => F.binaryCrossEntropyWithLogits(x(), x(), o),
  'nn.functional.batchNorm': (o) => F.batchNorm(x(), null, null, o),
  'nn.functional.conv1d': (o) => F.conv1d(torch.randn(1, 2, 4), torch.randn(2, 2, 1), null, o),
  'nn.utils.clipGradNorm_': (o) => nn.utils.clipGradNorm_([param()], 1, o),
  'nn.utils.rnn.packPaddedSequence': (o) => nn.utils.rnn.packPaddedSequence(torch.randn(2, 1, 3), [2], o),
  'nn.utils.rnn.padPackedSequence': (o) => nn.utils.rnn.padPackedSequence(nn.utils.rnn.packSequence([x()]), o),
  'nn.utils.rnn.padSequence': (o) => nn.utils.rnn.padSequence([x()], o),
  'nn.utils.rnn.packSequence': (o) => nn.utils.rnn.packSequence([x()], o),
  'nn.utils.rnn.unpadSequence': (o) => nn.utils.rnn.unpadSequence(torch.randn(2, 1, 3), [2], o),
  'optim.SGD': (o) => new optim.SGD([param()], o),
  'optim.Adam': (o) => new optim.Adam([param()], o),
  'optim.AdamW': (o) => new optim.AdamW([param()], o),
  'optim.RMSprop': (o) => new optim.RMSprop([param()], o),
  'optim.lrScheduler.StepLR': (o) => new optim.lrScheduler.StepLR(new optim.SGD([param()], { lr: 0.1 }), o),
  'optim.lrScheduler.CosineAnnealingLR': (o) => new optim.lrScheduler.CosineAnnealingLR(new optim.SGD([param()], { lr: 0.1 }), o),
  'optim.lrScheduler.ReduceLROnPlateau': (o) => new optim.lrScheduler.ReduceLROnPlateau(new optim.SGD([param()], { lr: 0.1 }), o),
};

/**
 * Options takers that landed this session from other work and still check their options with
 * their own code (or not at all): to be moved onto src/options.ts. Listed so the walk below fails
 * for any NEW taker that is in neither list.
 */
const NOT_YET = new Set([
  'autograd.backward',
  'explain',
  'autograd.grad',
  'useDeterministicAlgorithms',
  'nn.BCELoss',
  'nn.CosineEmbeddingLoss',
  'nn.HuberLoss',
  'nn.KLDivLoss',
  'nn.SmoothL1Loss',
  'nn.functional.binaryCrossEntropy',
  'nn.functional.cosineEmbeddingLoss',
  'nn.functional.huberLoss',
  'nn.functional.klDiv',
  'nn.functional.smoothL1Loss',
  'nn.init.kaimingNormal_',
  'nn.init.kaimingUniform_',
  'nn.init.normal_',
  'nn.init.orthogonal_',
  'nn.init.truncNormal_',
  'nn.init.uniform_',
  'nn.init.xavierNormal_',
  'nn.init.xavierUniform_',
  'optim.lrScheduler.ConstantLR',
  'optim.lrScheduler.CosineAnnealingWarmRestarts',
  'optim.lrScheduler.CyclicLR',
  'optim.lrScheduler.ExponentialLR',
  'optim.lrScheduler.LambdaLR',
  'optim.lrScheduler.LinearLR',
  'optim.lrScheduler.MultiStepLR',
  'optim.lrScheduler.MultiplicativeLR',
  'optim.lrScheduler.OneCycleLR',
  'optim.lrScheduler.PolynomialLR',
  'optim.lrScheduler.SequentialLR',
  'utils.data.DataLoader',
  'utils.data.IterableDataset',
  'utils.data.RandomSampler',
  'utils.data.SubsetRandomSampler',
  'utils.data.WeightedRandomSampler',
  'utils.data.randomSplit',
]);

/** Every exported function or class whose parameter list names options (`options`, `opts`, `init`). */
function optionTakers(): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (ns: object, path: string): void => {
    for (const [k, v] of Object.entries(ns)) {
      const p = path ? `${path}.${k}` : k;
      if (typeof v === 'function') {
        if (seen.has(v)) continue;
        seen.add(v);
        const src = Function.prototype.toString.call(v);
        const params = src.match(/constructor\s*\(([^)]*)\)/)?.[1] ?? src.match(/^[^(]*\(([^)]*)\)/)?.[1] ?? '';
        if (/\b(options|opts|init)\b/.test(params)) out.push(p);
      } else if (v !== null && typeof v === 'object' && Object.prototype.toString.call(v) === '[object Module]') {
        walk(v, p);
      }
    }
  };
  walk(torch, '');
  return out;
}

describe('strict options', () => {
  it('every exported options taker is checked (found by walking the exports)', () => {
    const takers = optionTakers();
    expect(takers.length).toBeGreaterThan(40);
    const missing = takers.filter((p) => !(p in CALLS) && !NOT_YET.has(p));
    expect(missing, 'exports taking options with no row in CALLS').toEqual([]);
  });

  const owners = new Set<string>();
  for (const [name, call] of Object.entries(CALLS)) {
    it(`${name}: an unknown key, a snake_case key, null and a non-object are TypeErrors`, () => {
      let e: unknown;
      try {
        call({ zz_not_an_option: 1 } as never);
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(torch.OptionError);
      expect(e).toBeInstanceOf(TypeError);
      expect(e).toBeInstanceOf(torch.TorchletError);
      const msg = (e as Error).message;
      expect(msg).toMatch(/^[\w.]+: unexpected option 'zz_not_an_option'; (did you mean '\w+'\?|valid options are .+)$/);
      owners.add(msg.slice(0, msg.indexOf(':')));
      expect(() => call(null as never)).toThrow(TypeError);
      expect(() => call('x' as never)).toThrow(TypeError);
    });
  }

  it('every declared schema is exercised by a row above', () => {
    const bases = new Set(['nn.RNNBase']);
    const unexercised = [...declaredOptions.keys()].filter((o) => !owners.has(o) && !bases.has(o));
    expect(unexercised).toEqual([]);
  });

  it('names the nearest key: snake_case, case slips and typos', () => {
    expect(() => new nn.LSTM(3, 4, { batch_first: true } as never)).toThrow("nn.LSTM: unexpected option 'batch_first'; did you mean 'batchFirst'?");
    expect(() => new nn.LSTM(3, 4, { num_layers: 2 } as never)).toThrow("nn.LSTM: unexpected option 'num_layers'; did you mean 'numLayers'?");
    expect(() => new optim.Adam([param()], { weight_decay: 0.1 } as never)).toThrow("optim.Adam: unexpected option 'weight_decay'; did you mean 'weightDecay'?");
    expect(() => new nn.Linear(3, 4, { bais: false } as never)).toThrow("nn.Linear: unexpected option 'bais'; did you mean 'bias'?");
    expect(() => new nn.MSELoss({ foo: 1 } as never)).toThrow("nn.MSELoss: unexpected option 'foo'; valid options are 'reduction'");
  });

  it('wrong types name the expected type; booleans take true/false and 0/1 only', () => {
    expect(() => new nn.LSTM(3, 4, { bidirectional: 'yes' } as never)).toThrow(
      "nn.LSTM: option 'bidirectional' must be boolean (true/false or 0/1), not string ('yes')",
    );
    expect(() => new nn.GRU(3, 4, { batchFirst: 2 } as never)).toThrow("nn.GRU: option 'batchFirst' must be boolean (true/false or 0/1), not number (2)");
    expect(() => new optim.SGD([param()], { lr: '0.1' } as never)).toThrow("optim.SGD: option 'lr' must be number, not string ('0.1')");
    const l = new nn.LSTM(3, 4, { bidirectional: 1, batchFirst: 1 as never });
    expect([l.bidirectional, l.batchFirst, String(l)]).toEqual([true, true, 'LSTM(3, 4, batch_first=True, bidirectional=1)']);
    expect(new nn.Linear(3, 4, { bias: 0 as never }).bias).toBeNull();
  });

  it('null or a non-object where options belong', () => {
    expect(() => new nn.LSTM(3, 4, null as never)).toThrow(
      "nn.LSTM(): argument 'num_layers' (position 3) must be int or an options object, not null",
    );
    expect(() => new nn.MSELoss(null as never)).toThrow("nn.MSELoss: options must be an object like { reduction: ... }, not null");
    expect(() => torch.zeros(2, x() as never)).toThrow(TypeError);
    expect(() => new optim.lrScheduler.StepLR(new optim.SGD([param()], { lr: 0.1 }), {} as never)).toThrow(
      "optim.lr_scheduler.StepLR: missing required option 'stepSize' (integer)",
    );
  });

  it('optimizer param groups may carry any key, as PyTorch dicts', () => {
    const opt = new optim.SGD([{ params: [param()], lr: 0.5, my_tag: 'encoder' } as never], { lr: 0.1 });
    expect((opt.paramGroups[0] as unknown as { my_tag: string }).my_tag).toBe('encoder');
  });

  it('nothing is built or changed by a refused call', () => {
    const p = param();
    const before = p.toFloat32Array();
    expect(() => new optim.SGD([p], { momentun: 0.9 } as never)).toThrow("optim.SGD: unexpected option 'momentun'; did you mean 'momentum'?");
    expect(p.toFloat32Array()).toEqual(before);
    expect(p.grad).toBeNull();
  });
});
