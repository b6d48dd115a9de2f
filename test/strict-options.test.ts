/**
 * Strict options (issue 12): every exported constructor and function that takes an options object
 * refuses an unknown key (naming the nearest valid one), a value of the wrong type, and null, with
 * an OptionError (a TypeError and a TorchletError), before it changes anything.
 *
 * The exports are walked (functions, classes, and the own methods and statics of every exported
 * class), and one whose parameter list names `options`/`opts`/`init` or has a `= {}` default must
 * have a row in CALLS, or be listed in ANY_KEY with the reason (a dict that takes any key, as in
 * PyTorch). Takers whose options come through rest arguments (`zeros(...args)`, `to(...args)`)
 * cannot be found from their source, so REST_TAKERS lists them and they must have rows too.
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { uniform } from '../src/ops/creation.js';
import { declaredOptions } from '../src/options.js';

const { nn, optim } = torch;
const F = nn.functional;
const x = () => torch.randn(2, 3);
const idx = () => torch.tensor([[0, 1, 0]], { dtype: 'int64' });
const param = () => new nn.Parameter(torch.randn(2));
const sgd = () => new optim.SGD([param()], { lr: 0.1 });
const leaf = () => torch.randn(2, { requiresGrad: true });
const sched = optim.lrScheduler;
const data = torch.utils.data;
const init = nn.init;

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
  uniform: (o) => uniform([2], 0, 1, o), // internal (nn.init's helper), not torch.*
  randperm: (o) => torch.randperm(3, o),
  nonzero: (o) => torch.nonzero(torch.ones(2), o),
  indexPut_: (o) => torch.indexPut_(torch.zeros(2), [0], 1, o),
  sort: (o) => torch.sort(x(), o),
  argsort: (o) => torch.argsort(x(), o),
  topk: (o) => torch.topk(x(), 1, o),
  var: (o) => torch.var(x(), 1, o),
  std: (o) => torch.std(x(), 1, o),
  round: (o) => torch.round(x(), o),
  isclose: (o) => torch.isclose(x(), x(), o),
  allclose: (o) => torch.allclose(x(), x(), o),
  addcmul: (o) => torch.addcmul(x(), x(), x(), o),
  addcdiv: (o) => torch.addcdiv(x(), x(), x(), o),
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
  'Tensor.prototype.div_': (o) => x().div_(2, o),
  div: (o) => torch.div(x(), 2, o),
  softmax: (o) => torch.softmax(x(), 1, o),
  logSoftmax: (o) => torch.logSoftmax(x(), 1, o),
  'Tensor.prototype.softmax': (o) => x().softmax(1, o),
  'Tensor.prototype.logSoftmax': (o) => x().logSoftmax(1, o),
  'nn.functional.softmax': (o) => F.softmax(x(), 1, o),
  'nn.functional.logSoftmax': (o) => F.logSoftmax(x(), 1, o),
  'Tensor.prototype.div': (o) => x().div(2, o),
  'Tensor.prototype.uniform_': (o) => x().uniform_(0, 1, o),
  'Tensor.prototype.normal_': (o) => x().normal_(0, 1, o),
  'Tensor.prototype.add_': (o) => x().add_(1, o),
  'Tensor.prototype.sub_': (o) => x().sub_(1, o),
  'Tensor.prototype.baddbmm': (o) => torch.zeros(1, 2, 2).baddbmm(torch.zeros(1, 2, 2), torch.zeros(1, 2, 2), o),
  'Tensor.prototype.bernoulli': (o) => torch.rand(2).bernoulli(undefined, o),
  'Tensor.prototype.multinomial': (o) => torch.ones(2).multinomial(1, false, o),
  'Tensor.prototype.sort': (o) => x().sort(o),
  sum: (o) => torch.sum(x(), 1, false, o),
  mean: (o) => torch.mean(x(), 1, false, o),
  nansum: (o) => torch.nansum(x(), 1, false, o),
  nanmean: (o) => torch.nanmean(x(), 1, false, o),
  prod: (o) => torch.prod(x(), 1, false, o),
  cumsum: (o) => torch.cumsum(x(), 1, o),
  cumprod: (o) => torch.cumprod(x(), 1, o),
  scatter: (o) => torch.scatter(x(), 0, idx(), 1, o),
  scatterReduce: (o) => torch.scatterReduce(x(), 0, idx(), x(), 'sum', o),
  'Tensor.prototype.sum': (o) => x().sum(1, false, o),
  'Tensor.prototype.mean': (o) => x().mean(1, false, o),
  'Tensor.prototype.nansum': (o) => x().nansum(1, false, o),
  'Tensor.prototype.nanmean': (o) => x().nanmean(1, false, o),
  'Tensor.prototype.prod': (o) => x().prod(1, false, o),
  'Tensor.prototype.cumsum': (o) => x().cumsum(1, o),
  'Tensor.prototype.cumprod': (o) => x().cumprod(1, o),
  'Tensor.prototype.scatter': (o) => x().scatter(0, idx(), 1, o),
  'Tensor.prototype.scatter_': (o) => x().scatter_(0, idx(), 1, o),
  'Tensor.prototype.scatterReduce': (o) => x().scatterReduce(0, idx(), x(), 'sum', o),
  'Tensor.prototype.scatterReduce_': (o) => x().scatterReduce_(0, idx(), x(), 'sum', o),
  'Tensor.prototype.argsort': (o) => x().argsort(o),
  'Tensor.prototype.round': (o) => x().round(o),
  'Tensor.prototype.addcmul': (o) => x().addcmul(x(), x(), o),
  'Tensor.prototype.addcdiv': (o) => x().addcdiv(x(), x(), o),
  'Tensor.prototype.isclose': (o) => x().isclose(x(), o),
  'Tensor.prototype.allclose': (o) => x().allclose(x(), o),
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
  'nn.Module.prototype.loadStateDict': (o) => new nn.Linear(1, 1).loadStateDict({}, o),
  'nn.Module.prototype.zeroGrad': (o) => new nn.Linear(1, 1).zeroGrad(o),
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
  arange: (o) => torch.arange(3, o),
  'Tensor.prototype.add': (o) => x().add(1, o),
  'Tensor.prototype.sub': (o) => x().sub(1, o),
  'Tensor.prototype.indexPut_': (o) => torch.zeros(2).indexPut_([0], 1, o),
  'Tensor.prototype.to': (o) => x().to(o),
  'optim.Optimizer.prototype.zeroGrad': (o) => sgd().zeroGrad(o),
  'Tensor.prototype.backward': (o) => leaf().mul(2).sum().backward(null, o),
  'nn.Module.prototype.to': (o) => new nn.Linear(3, 2).to(o),
  'autograd.backward': (o) => torch.autograd.backward(leaf().mul(2).sum(), null, o),
  'autograd.grad': (o) => {
    const a = leaf();
    return torch.autograd.grad(a.mul(2).sum(), [a], o);
  },
  useDeterministicAlgorithms: (o) => torch.useDeterministicAlgorithms(false, o),
  explain: (o) => torch.explain(new nn.Linear(3, 2), [2, 3], o),
  // Not found by the walk (an input, not an options parameter): explain's { shape, lengths } form.
  'explain input': (o) => torch.explain(new nn.LSTM(3, 4), o),
  'nn.BCELoss': (o) => new nn.BCELoss(o),
  'nn.HuberLoss': (o) => new nn.HuberLoss(o),
  'nn.SmoothL1Loss': (o) => new nn.SmoothL1Loss(o),
  'nn.KLDivLoss': (o) => new nn.KLDivLoss(o),
  'nn.CosineEmbeddingLoss': (o) => new nn.CosineEmbeddingLoss(o),
  'nn.functional.binaryCrossEntropy': (o) => F.binaryCrossEntropy(torch.rand(2, 3), torch.rand(2, 3), o),
  'nn.functional.huberLoss': (o) => F.huberLoss(x(), x(), o),
  'nn.functional.smoothL1Loss': (o) => F.smoothL1Loss(x(), x(), o),
  'nn.functional.klDiv': (o) => F.klDiv(x(), x(), o),
  'nn.functional.cosineEmbeddingLoss': (o) => F.cosineEmbeddingLoss(x(), x(), torch.tensor([1, -1]), o),
  'nn.init.uniform_': (o) => init.uniform_(torch.zeros(2, 2), 0, 1, o),
  'nn.init.normal_': (o) => init.normal_(torch.zeros(2, 2), 0, 1, o),
  'nn.init.truncNormal_': (o) => init.truncNormal_(torch.zeros(2, 2), 0, 1, -2, 2, o),
  'nn.init.xavierUniform_': (o) => init.xavierUniform_(torch.zeros(2, 2), 1, o),
  'nn.init.xavierNormal_': (o) => init.xavierNormal_(torch.zeros(2, 2), 1, o),
  'nn.init.kaimingUniform_': (o) => init.kaimingUniform_(torch.zeros(2, 2), o),
  'nn.init.kaimingNormal_': (o) => init.kaimingNormal_(torch.zeros(2, 2), o),
  'nn.init.orthogonal_': (o) => init.orthogonal_(torch.zeros(2, 2), 1, o),
  'optim.lrScheduler.MultiStepLR': (o) => new sched.MultiStepLR(sgd(), o),
  'optim.lrScheduler.ExponentialLR': (o) => new sched.ExponentialLR(sgd(), o),
  'optim.lrScheduler.LambdaLR': (o) => new sched.LambdaLR(sgd(), o),
  'optim.lrScheduler.MultiplicativeLR': (o) => new sched.MultiplicativeLR(sgd(), o),
  'optim.lrScheduler.LinearLR': (o) => new sched.LinearLR(sgd(), o),
  'optim.lrScheduler.ConstantLR': (o) => new sched.ConstantLR(sgd(), o),
  'optim.lrScheduler.PolynomialLR': (o) => new sched.PolynomialLR(sgd(), o),
  'optim.lrScheduler.CosineAnnealingWarmRestarts': (o) => new sched.CosineAnnealingWarmRestarts(sgd(), o),
  'optim.lrScheduler.SequentialLR': (o) => new sched.SequentialLR(sgd(), o),
  'optim.lrScheduler.OneCycleLR': (o) => new sched.OneCycleLR(sgd(), o),
  'optim.lrScheduler.CyclicLR': (o) => new sched.CyclicLR(sgd(), o),
  'utils.data.DataLoader': (o) => new data.DataLoader([1, 2, 3], o),
  'utils.data.IterableDataset': (o) => new data.IterableDataset(() => [1], o),
  'utils.data.RandomSampler': (o) => new data.RandomSampler([1, 2, 3], o),
  'utils.data.SubsetRandomSampler': (o) => new data.SubsetRandomSampler([0, 1], o),
  'utils.data.WeightedRandomSampler': (o) => new data.WeightedRandomSampler([1, 2], 1, o),
  'utils.data.randomSplit': (o) => data.randomSplit([1, 2, 3], [1, 2], o),
};

/** Takers whose options arrive in rest arguments: invisible to the source walk, so listed here. */
const REST_TAKERS = ['zeros', 'ones', 'rand', 'randn', 'arange', 'Tensor.prototype.to', 'Tensor.prototype.backward', 'nn.Module.prototype.to'];

/**
 * What a non-object in the options place means for takers where a string is not wrong there:
 * `to('x')` reads 'x' as a device (PyTorch's RuntimeError for an unknown device). Those get `true`.
 */
const STRING_IS_AN_ARGUMENT = new Set(['Tensor.prototype.to', 'nn.Module.prototype.to']);

/**
 * Parameters found by the walk that are not options: dicts that take any key, as their PyTorch
 * twins do, and internal arguments.
 */
const ANY_KEY: Record<string, string> = {
  'nn.ModuleDict': 'PyTorch ModuleDict(modules): any key names a module',
  'nn.ParameterDict': 'PyTorch ParameterDict(parameters): any key names a parameter',
  'onnx.OnnxGraph.prototype.node': "an ONNX node's attributes: any attribute name of the operator",
  SizeError: "an error's record of what was asked for, not options",
  renderExplain: "a Style implementation (colour functions; the CLI's carries more), not options: checked by type only",
};

/** The parameter list of a function or class, from its source. */
function paramsOf(f: unknown): string {
  const src = Function.prototype.toString.call(f);
  return src.match(/constructor\s*\(([^)]*)\)/)?.[1] ?? src.match(/^[^(]*\(([^)]*)\)/)?.[1] ?? '';
}
const TAKES_OPTIONS = /\b(options|opts|init)\b|=\s*\{\s*\}/;

/**
 * Every exported function or class, and every own method and static of an exported class, whose
 * parameter list names options (`options`, `opts`, `init`) or has an object default (`= {}`).
 */
function optionTakers(): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (f: unknown, p: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    if (TAKES_OPTIONS.test(paramsOf(f))) out.push(p);
  };
  const walk = (ns: object, path: string): void => {
    for (const [k, v] of Object.entries(ns)) {
      const p = path ? `${path}.${k}` : k;
      if (typeof v === 'function') {
        if (seen.has(v)) continue;
        visit(v, p);
        for (const [obj, prefix] of [[v.prototype, `${p}.prototype`], [v, p]] as const) {
          if (!obj) continue;
          for (const name of Object.getOwnPropertyNames(obj)) {
            const d = Object.getOwnPropertyDescriptor(obj, name);
            if (name !== 'constructor' && typeof d?.value === 'function') visit(d.value, `${prefix}.${name}`);
          }
        }
      } else if (v !== null && typeof v === 'object' && Object.prototype.toString.call(v) === '[object Module]') {
        walk(v, p);
      }
    }
  };
  walk({ Tensor: torch.Tensor }, '');
  walk(torch, '');
  return out;
}

describe('strict options', () => {
  it('every exported options taker is checked (found by walking the exports)', () => {
    const takers = optionTakers();
    expect(takers.length).toBeGreaterThan(100);
    const missing = [...takers, ...REST_TAKERS].filter((p) => !(p in CALLS) && !(p in ANY_KEY));
    expect(missing, 'exports taking options with no row in CALLS').toEqual([]);
    expect(Object.keys(ANY_KEY).filter((p) => !takers.includes(p)), 'stale ANY_KEY rows').toEqual([]);
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
      expect(() => call((STRING_IS_AN_ARGUMENT.has(name) ? true : 'x') as never)).toThrow(TypeError);
    });
  }

  it('every declared schema is exercised by a row above', () => {
    // Schemas only extended or shared under the takers' own names in messages.
    const bases = new Set(['nn.RNNBase', 'nn.init', 'nn.init.kaiming']);
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

  it("renderExplain's style is an implementation (extra members allowed), checked by type", () => {
    const report = torch.explain(new nn.Linear(3, 2), [2, 3]);
    expect(torch.explainer.renderExplain(report, { bold: (t: string) => `*${t}*`, enabled: false } as never)).toContain('*explain*');
    expect(() => torch.explainer.renderExplain(report, 'x' as never)).toThrow(torch.ArgumentTypeError);
    expect(() => torch.explainer.renderExplain(report, { dim: 5 } as never)).toThrow(
      'renderExplain(): style.dim must be a function (string => string), not number',
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
