/**
 * The classic wrong inputs (issue 12), table-driven: every public layer, loss and optimiser (found
 * from the exports, so a new one must get a row) is fed null, a number, an array, a string, a wrong
 * dtype and a snake_case option name. Each gives a typed error with a readable message, and
 * nothing changes (parameters, gradients).
 */

import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { thrown } from './helpers/errors.js';
import type { Tensor } from '../src/index.js';

const { nn, optim } = torch;
type AnyModule = InstanceType<typeof nn.Module> & { forward: (...a: unknown[]) => unknown };

const ints = () => torch.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int64' });

/**
 * name -> [build with options, a good input list, optionally the inputs with a wrong dtype]; the
 * first input is the one fed wrong values. Without the third entry the wrong dtype is the first
 * input as int64 (or float when it is int64).
 */
const LAYERS: Record<string, [(o?: object) => AnyModule, () => unknown[], (() => unknown[])?]> = {
  Linear: [(o) => new nn.Linear(3, 2, o) as never, () => [torch.randn(2, 3)]],
  Embedding: [(o) => new nn.Embedding(5, 2, o) as never, () => [torch.tensor([1, 2], { dtype: 'int64' })]],
  Conv1d: [(o) => new nn.Conv1d(2, 2, 1, o) as never, () => [torch.randn(1, 2, 4)]],
  LayerNorm: [(o) => new nn.LayerNorm(3, o) as never, () => [torch.randn(2, 3)]],
  GroupNorm: [(o) => new nn.GroupNorm(1, 2, o) as never, () => [torch.randn(2, 2, 3)]],
  BatchNorm1d: [(o) => new nn.BatchNorm1d(3, o) as never, () => [torch.randn(2, 3)]],
  RNN: [(o) => new nn.RNN(3, 4, o) as never, () => [torch.randn(5, 2, 3)]],
  LSTM: [(o) => new nn.LSTM(3, 4, o) as never, () => [torch.randn(5, 2, 3)]],
  GRU: [(o) => new nn.GRU(3, 4, o) as never, () => [torch.randn(5, 2, 3)]],
  RNNCell: [(o) => new nn.RNNCell(3, 4, o) as never, () => [torch.randn(2, 3)]],
  LSTMCell: [(o) => new nn.LSTMCell(3, 4, o) as never, () => [torch.randn(2, 3)]],
  GRUCell: [(o) => new nn.GRUCell(3, 4, o) as never, () => [torch.randn(2, 3)]],
  // Regression losses: PyTorch promotes an int64 input with a float target, so both are int64 here.
  MSELoss: [(o) => new nn.MSELoss(o) as never, () => [torch.randn(2, 3), torch.randn(2, 3)], () => [ints(), ints()]],
  L1Loss: [(o) => new nn.L1Loss(o) as never, () => [torch.randn(2, 3), torch.randn(2, 3)], () => [ints(), ints()]],
  HuberLoss: [(o) => new nn.HuberLoss(o) as never, () => [torch.randn(2, 3), torch.randn(2, 3)], () => [ints(), ints()]],
  SmoothL1Loss: [(o) => new nn.SmoothL1Loss(o) as never, () => [torch.randn(2, 3), torch.randn(2, 3)], () => [ints(), ints()]],
  KLDivLoss: [(o) => new nn.KLDivLoss(o) as never, () => [torch.randn(2, 3), torch.rand(2, 3)]],
  BCELoss: [(o) => new nn.BCELoss(o) as never, () => [torch.rand(2, 3), torch.rand(2, 3)], () => [ints(), ints()]],
  CosineEmbeddingLoss: [(o) => new nn.CosineEmbeddingLoss(o) as never, () => [torch.randn(2, 3), torch.randn(2, 3), torch.tensor([1, -1])]],
  NLLLoss: [(o) => new nn.NLLLoss(o) as never, () => [torch.randn(2, 3), torch.tensor([0, 1], { dtype: 'int64' })]],
  CrossEntropyLoss: [(o) => new nn.CrossEntropyLoss(o) as never, () => [torch.randn(2, 3), torch.tensor([0, 1], { dtype: 'int64' })]],
  BCEWithLogitsLoss: [(o) => new nn.BCEWithLogitsLoss(o) as never, () => [torch.randn(2, 3), torch.rand(2, 3)]],
  ReLU: [() => new nn.ReLU() as never, () => [torch.randn(2, 3)]],
  Tanh: [() => new nn.Tanh() as never, () => [torch.randn(2, 3)]],
  Sigmoid: [() => new nn.Sigmoid() as never, () => [torch.randn(2, 3)]],
  Dropout: [() => new nn.Dropout(0.5) as never, () => [torch.randn(2, 3)]],
  ELU: [() => new nn.ELU() as never, () => [torch.randn(2, 3)]],
  GELU: [() => new nn.GELU() as never, () => [torch.randn(2, 3)]],
  LeakyReLU: [() => new nn.LeakyReLU() as never, () => [torch.randn(2, 3)]],
  Softmax: [() => new nn.Softmax(1) as never, () => [torch.randn(2, 3)]],
  LogSoftmax: [() => new nn.LogSoftmax(1) as never, () => [torch.randn(2, 3)]],
  Flatten: [() => new nn.Flatten() as never, () => [torch.randn(2, 3, 2)]],
  Unflatten: [() => new nn.Unflatten(1, [3, 1]) as never, () => [torch.randn(2, 3)]],
};

/**
 * Layers for which an int64 input is not wrong in PyTorch 1.13 either (measured): relu, tanh and
 * sigmoid take it, flatten/unflatten only reshape, cosine_embedding_loss computes in float.
 */
const DTYPE_OK = new Set(['ReLU', 'Tanh', 'Sigmoid', 'Flatten', 'Unflatten', 'CosineEmbeddingLoss']);

/**
 * Modules that are not layers fed a tensor: bases, containers (their children check), and
 * Identity, which returns whatever it is given, as PyTorch's does (`nn.Identity()(5)` is 5).
 */
const NOT_FED = new Set(['RNNBase', 'RNNCellBase', 'Sequential', 'ModuleList', 'ModuleDict', 'ParameterList', 'ParameterDict', 'Identity']);

/** Options objects with a snake_case key, where the layer takes options. */
const SNAKE: Record<string, [object, string]> = {
  Linear: [{ in_features: 3 }, "nn.Linear: unexpected option 'in_features'"],
  Embedding: [{ padding_idx: 0 }, "nn.Embedding: unexpected option 'padding_idx'; did you mean 'paddingIdx'?"],
  Conv1d: [{ padding_mode: 'zeros' }, "nn.Conv1d: unexpected option 'padding_mode'; did you mean 'paddingMode'?"],
  LayerNorm: [{ elementwise_affine: false }, "nn.LayerNorm: unexpected option 'elementwise_affine'; did you mean 'elementwiseAffine'?"],
  GroupNorm: [{ num_groups: 1 }, "nn.GroupNorm: unexpected option 'num_groups'"],
  BatchNorm1d: [{ track_running_stats: false }, "nn.BatchNorm1d: unexpected option 'track_running_stats'; did you mean 'trackRunningStats'?"],
  RNN: [{ batch_first: true }, "nn.RNN: unexpected option 'batch_first'; did you mean 'batchFirst'?"],
  LSTM: [{ num_layers: 2 }, "nn.LSTM: unexpected option 'num_layers'; did you mean 'numLayers'?"],
  GRU: [{ batch_first: true }, "nn.GRU: unexpected option 'batch_first'; did you mean 'batchFirst'?"],
  RNNCell: [{ non_linearity: 'relu' }, "nn.RNNCell: unexpected option 'non_linearity'; did you mean 'nonlinearity'?"],
  LSTMCell: [{ Bias: false }, "nn.LSTMCell: unexpected option 'Bias'; did you mean 'bias'?"],
  GRUCell: [{ d_type: 'float64' }, "nn.GRUCell: unexpected option 'd_type'; did you mean 'dtype'?"],
  MSELoss: [{ size_average: true }, "nn.MSELoss: unexpected option 'size_average'"],
  L1Loss: [{ Reduction: 'sum' }, "nn.L1Loss: unexpected option 'Reduction'; did you mean 'reduction'?"],
  NLLLoss: [{ ignore_index: 1 }, "nn.NLLLoss: unexpected option 'ignore_index'; did you mean 'ignoreIndex'?"],
  CrossEntropyLoss: [{ label_smoothing: 0.1 }, "nn.CrossEntropyLoss: unexpected option 'label_smoothing'; did you mean 'labelSmoothing'?"],
  BCEWithLogitsLoss: [{ pos_weight: null }, "nn.BCEWithLogitsLoss: unexpected option 'pos_weight'; did you mean 'posWeight'?"],
  HuberLoss: [{ Delta: 2 }, "nn.HuberLoss: unexpected option 'Delta'; did you mean 'delta'?"],
  SmoothL1Loss: [{ beta_: 2 }, "nn.SmoothL1Loss: unexpected option 'beta_'; did you mean 'beta'?"],
  KLDivLoss: [{ log_target: true }, "nn.KLDivLoss: unexpected option 'log_target'; did you mean 'logTarget'?"],
  BCELoss: [{ size_average: true }, "nn.BCELoss: unexpected option 'size_average'"],
  CosineEmbeddingLoss: [{ Margin: 0.5 }, "nn.CosineEmbeddingLoss: unexpected option 'Margin'; did you mean 'margin'?"],
};

/**
 * Layers that take positional arguments, not options: a PyTorch keyword written as an options
 * object (`new nn.LeakyReLU({ negative_slope: 0.2 })`) is a TypeError naming the argument.
 */
const POSITIONAL: Record<string, [() => unknown, string]> = {
  ELU: [() => new nn.ELU({ alpha: 0.5 } as never), "ELU(): argument 'alpha' (position 1) must be Number, not object"],
  GELU: [() => new nn.GELU({ approximate: 'tanh' } as never), "GELU(): argument 'approximate' (position 1) must be str, not object"],
  LeakyReLU: [() => new nn.LeakyReLU({ negative_slope: 0.2 } as never), "LeakyReLU(): argument 'negative_slope' (position 1) must be Number, not object"],
  Softmax: [() => new nn.Softmax({ dim: 1 } as never), "Softmax(): argument 'dim' (position 1) must be int, not object"],
  LogSoftmax: [() => new nn.LogSoftmax({ dim: 1 } as never), "LogSoftmax(): argument 'dim' (position 1) must be int, not object"],
  Flatten: [() => new nn.Flatten({ start_dim: 0 } as never), "Flatten(): argument 'start_dim' (position 1) must be int, not object"],
  Unflatten: [() => new nn.Unflatten({ dim: 1 } as never, [3, 1]), "Unflatten(): argument 'dim' (position 1) must be int, not object"],
  Dropout: [() => new nn.Dropout({ p: 0.2 } as never), "dropout(): argument 'p' must be float, not object"],
};

const WRONG: [string, unknown][] = [
  ['null', null],
  ['a number', 5],
  ['an array', [1, 2, 3]],
  ['a string', 'x'],
];

function snapshot(m: AnyModule): [number[][], (number[] | null)[]] {
  const ps = m.parameters() as Tensor[];
  return [ps.map((p) => [...p.toFloat32Array()]), ps.map((p) => (p.grad ? [...p.grad.toFloat32Array()] : null))];
}


describe('the classic wrong inputs', () => {
  it('every exported layer and loss has a row', () => {
    const names = Object.entries(nn)
      .filter(([, v]) => typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof nn.Module)
      .map(([k]) => k);
    expect(names.filter((n) => !(n in LAYERS) && !NOT_FED.has(n))).toEqual([]);
  });

  for (const [name, [build, good, wrongDtype]] of Object.entries(LAYERS)) {
    describe(name, () => {
      for (const [what, bad] of WRONG) {
        it(`${what} as the input: a TypeError naming the argument, nothing changed`, () => {
          const m = build();
          const before = snapshot(m);
          const args = good();
          args[0] = bad;
          const e = thrown(() => m.forward(...args));
          expect(e).toBeInstanceOf(torch.ArgumentTypeError);
          expect(e).toBeInstanceOf(TypeError);
          expect(e.message).toMatch(/\(\): argument '\w+' \(position 1\) must be Tensor( or PackedSequence)?, not (null|number|array|string)/);
          expect(snapshot(m)).toEqual(before);
        });
      }
      it.skipIf(DTYPE_OK.has(name))('a wrong dtype: a typed error with a readable message, nothing changed', () => {
        const m = build();
        const before = snapshot(m);
        let args = good();
        if (wrongDtype) args = wrongDtype();
        else {
          const x = args[0] as Tensor;
          args[0] = x.dtype === 'int64' ? x.float() : x.to('int64');
        }
        const e = thrown(() => m.forward(...args));
        expect(e).toBeInstanceOf(torch.TorchletError);
        expect(e.message.length).toBeGreaterThan(20);
        expect(e.message).not.toMatch(/undefined|NaN|Cannot read/);
        expect(snapshot(m)).toEqual(before);
      });
      if (name in POSITIONAL) {
        it('an options object where PyTorch has a positional argument: a TypeError naming it', () => {
          const [make, msg] = POSITIONAL[name]!;
          const e = thrown(make);
          expect(e).toBeInstanceOf(torch.ArgumentTypeError);
          expect(e).toBeInstanceOf(TypeError);
          expect(e.message).toBe(msg);
        });
      }
      if (name in SNAKE) {
        it('a snake_case option: an OptionError naming it', () => {
          const [opts, msg] = SNAKE[name]!;
          const e = thrown(() => build(opts));
          expect(e).toBeInstanceOf(torch.OptionError);
          expect(e.message.startsWith(msg)).toBe(true);
        });
      }
    });
  }

  describe('optimisers', () => {
    const OPTIMIZERS: Record<string, (params: unknown, o?: object) => unknown> = {
      SGD: (p, o) => new optim.SGD(p as never, { lr: 0.1, ...o }),
      Adam: (p, o) => new optim.Adam(p as never, o),
      AdamW: (p, o) => new optim.AdamW(p as never, o),
      RMSprop: (p, o) => new optim.RMSprop(p as never, o),
    };
    it('every exported optimiser has a row', () => {
      const names = Object.entries(optim).filter(([k, v]) => typeof v === 'function' && k !== 'Optimizer' && (v as { prototype: unknown }).prototype instanceof optim.Optimizer).map(([k]) => k);
      expect(names.sort()).toEqual(Object.keys(OPTIMIZERS).sort());
    });
    for (const [name, make] of Object.entries(OPTIMIZERS)) {
      it(`${name}: null, a number, a string, an array of numbers, an int64 tensor, a snake_case option`, () => {
        const p = new nn.Parameter(torch.randn(3));
        const before = [...p.toFloat32Array()];
        for (const bad of [null, 5, 'x']) {
          const e = thrown(() => make(bad));
          expect(e).toBeInstanceOf(TypeError);
          expect(e).toBeInstanceOf(torch.TorchletError);
          expect(e.message).toMatch(/^params argument given to the optimizer should be an iterable of Tensors or dicts, but got/);
        }
        expect(thrown(() => make([1, 2]))).toBeInstanceOf(torch.ArgumentTypeError);
        const e = thrown(() => make([torch.tensor([1, 2], { dtype: 'int64' })]));
        expect(e).toBeInstanceOf(torch.TorchletError);
        expect(e.message).toBe('optimizer can only optimize floating point Tensors, but one of the params is torch.int64');
        const o = thrown(() => make([p], { weight_decay: 0.1 }));
        expect(o).toBeInstanceOf(torch.OptionError);
        expect(o.message).toBe(`optim.${name}: unexpected option 'weight_decay'; did you mean 'weightDecay'?`);
        expect([...p.toFloat32Array()]).toEqual(before);
        expect(p.grad).toBeNull();
      });
    }
  });
});
