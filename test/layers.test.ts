/**
 * The feed-forward layers against PyTorch (fixtures from tools/fixtures/layers.py): with the
 * same state loaded on both sides, forward outputs, every gradient (input and parameters) and
 * BatchNorm's running buffers match within float32 round-off. Then init statistics, seeding,
 * reprs, state-dict keys and PyTorch's errors.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Module } from '../src/nn/module.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';
import { expectError } from './helpers/errors.js';

const { nn } = torch;

interface LayerCase {
  name: string;
  layer: string;
  args: (number | string | number[])[];
  options: Record<string, unknown>;
  mode: 'train' | 'eval';
  steps: number;
  params: string[];
  buffers: string[];
}

type Layer = Module & { forward(x: Tensor): Tensor };

/** Build torchlet's twin of a fixture case from its name, args and options. */
function build(c: LayerCase): Layer {
  const a = c.args;
  const o = c.options;
  const num = (i: number): number => a[i] as number;
  switch (c.layer) {
    case 'Linear':
      return new nn.Linear(num(0), num(1), o);
    case 'Embedding':
      return new nn.Embedding(num(0), num(1), o);
    case 'Conv1d':
      return new nn.Conv1d(num(0), num(1), num(2), o);
    case 'LayerNorm':
      return new nn.LayerNorm(a[0] as number | number[], o);
    case 'GroupNorm':
      return new nn.GroupNorm(num(0), num(1), o);
    case 'BatchNorm1d':
      return new nn.BatchNorm1d(num(0), o);
    case 'Tanh':
      return new nn.Tanh();
    case 'ReLU':
      return new nn.ReLU();
    case 'Sigmoid':
      return new nn.Sigmoid();
    case 'GELU':
      return new nn.GELU((a[0] as 'none' | 'tanh' | undefined) ?? 'none');
    case 'LeakyReLU':
      return a.length > 0 ? new nn.LeakyReLU(num(0)) : new nn.LeakyReLU();
    case 'ELU':
      return a.length > 0 ? new nn.ELU(num(0)) : new nn.ELU();
    case 'Softmax':
      return new nn.Softmax(num(0));
    case 'LogSoftmax':
      return new nn.LogSoftmax(num(0));
    case 'Identity':
      return new nn.Identity();
    case 'Dropout':
      return new nn.Dropout(num(0));
    case 'Sequential':
      return new nn.Sequential(new nn.Linear(3, 5), new nn.Tanh(), new nn.Linear(5, 2));
    case 'SequentialConvNorm':
      return new nn.Sequential(
        new nn.Conv1d(2, 4, 3, { padding: 1 }),
        new nn.GroupNorm(2, 4),
        new nn.ReLU(),
        new nn.Conv1d(4, 2, 1),
      );
    default:
      throw new Error(`unknown layer ${c.layer}`);
  }
}

const fx = loadFixture<LayerCase[]>('layers');

describe('layers match PyTorch (forward, every gradient, running buffers)', () => {
  for (const c of fx.cases) {
    it(`${c.name}: ${c.layer}(${JSON.stringify(c.args).slice(1, -1)}) ${JSON.stringify(c.options)} ${c.mode}`, () => {
      const m = build(c);
      const state = Object.fromEntries(
        Object.entries(fx.tensors)
          .filter(([k]) => k.startsWith(`${c.name}.state.`))
          .map(([k, v]) => [k.slice(`${c.name}.state.`.length), v]),
      );
      expect(Object.keys(m.stateDict()).sort()).toEqual(Object.keys(state).sort());
      m.loadStateDict(state);
      if (c.mode === 'eval') m.eval();
      const inputs = Array.from({ length: c.steps }, (_, k) => {
        const x = fx.get(`${c.name}.input${k === 0 ? '' : k}`).clone();
        if (x.isFloatingPoint()) x.requiresGrad_(true);
        return x;
      });
      const outs = inputs.map((x) => m.forward(x));
      const out = outs[outs.length - 1]!;
      expectClose(out, fx.get(`${c.name}.out`), TOL.f32, `${c.name} out`);
      const up = fx.get(`${c.name}.up`);
      outs.map((o) => o.mul(up).sum()).reduce((s, l) => s.add(l)).backward();
      inputs.forEach((x, k) => {
        if (!x.isFloatingPoint()) return;
        expectClose(x.grad, fx.get(`${c.name}.grad.input${k === 0 ? '' : k}`), TOL.f32, `${c.name} grad input${k}`);
      });
      const params = Object.fromEntries(m.namedParameters());
      expect(Object.keys(params).filter((k) => params[k]!.grad !== null).sort()).toEqual([...c.params].sort());
      for (const p of c.params) expectClose(params[p]!.grad, fx.get(`${c.name}.grad.${p}`), TOL.f32, `${c.name} grad ${p}`);
      const buffers = Object.fromEntries(m.namedBuffers());
      expect(Object.keys(buffers).sort()).toEqual([...c.buffers].sort());
      for (const b of c.buffers) expectClose(buffers[b]!, fx.get(`${c.name}.after.${b}`), TOL.f32, `${c.name} ${b}`);
    });
  }
});

describe('default initialisation follows PyTorch', () => {
  /** Values within ±bound, spread over it like a uniform: mean ≈ 0, variance ≈ bound²/3. */
  function expectUniform(t: Tensor, bound: number): void {
    const v = Array.from(t.contiguousData());
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    expect(Math.abs(mean)).toBeLessThan(0.05 * bound);
    expect(variance / (bound * bound / 3)).toBeGreaterThan(0.9);
    expect(variance / (bound * bound / 3)).toBeLessThan(1.1);
    // and every fifth of the range is used
    for (let k = 0; k < 5; k++) {
      const lo = -bound + (2 * bound * k) / 5;
      expect(v.filter((x) => x >= lo && x < lo + (2 * bound) / 5).length).toBeGreaterThan(v.length / 10);
    }
  }
  it('Linear: weight and bias U(±1/√inFeatures)', () => {
    torch.manualSeed(1);
    const fc = new nn.Linear(64, 200);
    expectUniform(fc.weight, 1 / 8);
    expectUniform(fc.bias!, 1 / 8);
  });
  it('Conv1d: U(±1/√(inChannels/groups · kernelSize))', () => {
    torch.manualSeed(2);
    const conv = new nn.Conv1d(8, 400, 3, { groups: 2 });
    expect(conv.weight.shape).toEqual([400, 4, 3]);
    expectUniform(conv.weight, 1 / Math.sqrt(12));
    expectUniform(conv.bias!, 1 / Math.sqrt(12));
  });
  it('Embedding: N(0, 1) with the padding row zero', () => {
    torch.manualSeed(3);
    const e = new nn.Embedding(500, 40, { paddingIdx: 7 });
    const w = Array.from(e.weight.contiguousData());
    expect(w.slice(7 * 40, 8 * 40).every((x) => x === 0)).toBe(true);
    const rest = [...w.slice(0, 7 * 40), ...w.slice(8 * 40)];
    const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
    const variance = rest.reduce((a, b) => a + (b - mean) ** 2, 0) / rest.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
  it('norms: weight ones, bias zeros, running stats 0/1/0', () => {
    const bn = new nn.BatchNorm1d(3);
    const sd = bn.stateDict();
    expect(sd.weight!.tolist()).toEqual([1, 1, 1]);
    expect(sd.bias!.tolist()).toEqual([0, 0, 0]);
    expect(sd.running_mean!.tolist()).toEqual([0, 0, 0]);
    expect(sd.running_var!.tolist()).toEqual([1, 1, 1]);
    expect(sd.num_batches_tracked!.dtype).toBe('int64');
    expect(sd.num_batches_tracked!.item()).toBe(0);
    expect(new nn.LayerNorm([2, 3]).weight!.shape).toEqual([2, 3]);
    expect(new nn.LayerNorm(4, { bias: false }).bias).toBeNull();
    expect(new nn.GroupNorm(2, 4, { affine: false }).parameters()).toEqual([]);
  });
  it('torch.manualSeed(n) reproduces the same weights and dropout masks', () => {
    const draw = (seed: number) => {
      torch.manualSeed(seed);
      const net = new nn.Sequential(new nn.Linear(4, 6), new nn.Conv1d(2, 3, 2), new nn.Embedding(5, 2));
      const mask = nn.functional.dropout(torch.ones(50), 0.5);
      return [...Object.values(net.stateDict()).map((t) => Array.from(t.contiguousData())), Array.from(mask.contiguousData())];
    };
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
  });
});

describe('Dropout', () => {
  it('zeroes about p of the elements and scales the rest by 1/(1-p) in training only', () => {
    torch.manualSeed(5);
    const d = new nn.Dropout(0.25);
    const x = torch.ones(4000, { requiresGrad: true });
    const y = d.forward(x);
    const v = Array.from(y.contiguousData());
    const kept = v.filter((e) => e !== 0);
    expect(kept.every((e) => Math.abs(e - 1 / 0.75) < 1e-6)).toBe(true);
    expect(Math.abs(kept.length / v.length - 0.75)).toBeLessThan(0.03);
    y.sum().backward();
    // the gradient flows through the same mask
    expect(Array.from(x.grad!.contiguousData())).toEqual(v);
    d.eval();
    expect(d.forward(x)).toBe(x);
    expect(nn.functional.dropout(x, 1).sum().item()).toBe(0);
    expect(nn.functional.dropout(x, 0.5, false)).toBe(x);
  });
  it('rejects p outside [0, 1] with PyTorch\'s ValueError', () => {
    expectError(() => new nn.Dropout(1.5), torch.ValueError, 'dropout probability has to be between 0 and 1, but got 1.5');
    expectError(() => nn.functional.dropout(torch.zeros(2), -0.1), torch.ValueError, 'dropout probability has to be between 0 and 1, but got -0.1');
  });
});

describe('reprs and state-dict keys are PyTorch\'s', () => {
  it('prints like PyTorch', () => {
    const cases: [Module, string][] = [
      [new nn.Linear(3, 4), 'Linear(in_features=3, out_features=4, bias=True)'],
      [new nn.Linear(3, 4, { bias: false }), 'Linear(in_features=3, out_features=4, bias=False)'],
      [new nn.Conv1d(3, 4, 3), 'Conv1d(3, 4, kernel_size=(3,), stride=(1,))'],
      [new nn.Conv1d(3, 4, 3, { stride: 2, padding: 1, dilation: 2, bias: false }), 'Conv1d(3, 4, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), bias=False)'],
      [new nn.Conv1d(4, 4, 3, { padding: 'same', groups: 2 }), 'Conv1d(4, 4, kernel_size=(3,), stride=(1,), padding=same, groups=2)'],
      [new nn.Conv1d(4, 4, 3, { padding: 'valid' }), 'Conv1d(4, 4, kernel_size=(3,), stride=(1,), padding=valid)'],
      [new nn.Embedding(10, 3, { paddingIdx: 0 }), 'Embedding(10, 3, padding_idx=0)'],
      [new nn.Embedding(10, 3), 'Embedding(10, 3)'],
      [new nn.Dropout(0.2), 'Dropout(p=0.2, inplace=False)'],
      [new nn.LayerNorm(4), 'LayerNorm((4,), eps=1e-05, elementwise_affine=True)'],
      [new nn.LayerNorm([3, 4], { elementwiseAffine: false }), 'LayerNorm((3, 4), eps=1e-05, elementwise_affine=False)'],
      [new nn.GroupNorm(2, 4), 'GroupNorm(2, 4, eps=1e-05, affine=True)'],
      [new nn.BatchNorm1d(4, { momentum: null, affine: false, trackRunningStats: false }), 'BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, track_running_stats=False)'],
      [new nn.BatchNorm1d(4), 'BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)'],
      [new nn.GELU(), "GELU(approximate='none')"],
      [new nn.GELU('tanh'), "GELU(approximate='tanh')"],
      [new nn.LeakyReLU(), 'LeakyReLU(negative_slope=0.01)'],
      [new nn.ELU(), 'ELU(alpha=1.0)'],
      [new nn.Softmax(1), 'Softmax(dim=1)'],
      [new nn.LogSoftmax(-1), 'LogSoftmax(dim=-1)'],
      [new nn.Softmax(), 'Softmax(dim=None)'],
      [new nn.Identity(), 'Identity()'],
      [new nn.Tanh(), 'Tanh()'],
      [new nn.ReLU(), 'ReLU()'],
      [new nn.Sigmoid(), 'Sigmoid()'],
      [
        new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Sequential(new nn.Tanh())),
        'Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n  (2): Sequential(\n    (0): Tanh()\n  )\n)',
      ],
      [new nn.ModuleList([new nn.Linear(2, 3)]), 'ModuleList(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n)'],
    ];
    for (const [m, text] of cases) expect(m.toString()).toBe(text);
  });
  it('Sequential and ModuleList: names, indexing, stateDict keys', () => {
    const seq = new nn.Sequential(new nn.Linear(3, 5), new nn.Tanh(), new nn.Linear(5, 2));
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(seq.length).toBe(3);
    expect(seq.get(-1)).toBe(seq.get(2));
    expect(seq.get(1)).toBeInstanceOf(nn.Tanh);
    expectError(() => seq.get(3), torch.IndexError, 'index 3 is out of range');
    seq.append(new nn.Sigmoid());
    expect(seq.forward(torch.zeros(4, 3)).shape).toEqual([4, 2]);
    const named = new nn.Sequential({ conv: new nn.Conv1d(2, 3, 1), act: new nn.ReLU() });
    expect(Object.keys(named.stateDict())).toEqual(['conv.weight', 'conv.bias']);
    const list = new nn.ModuleList<Module>([new nn.Linear(2, 2), new nn.Linear(2, 3)]);
    list.insert(1, new nn.Identity());
    list.extend([new nn.Linear(3, 1)]);
    expect(list.length).toBe(4);
    expect(Object.keys(list.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '3.weight', '3.bias']);
    expect([...list].map((m) => m.constructor.name)).toEqual(['Linear', 'Identity', 'Linear', 'Linear']);
    expect(() => list.forward()).toThrow('missing the required "forward" function');
    // train/eval reach every child
    seq.eval();
    expect(seq.modules().every((m) => !m.training)).toBe(true);
  });
  it('BatchNorm without running stats has no buffers; with them they load from a PyTorch state dict', () => {
    expect(Object.keys(new nn.BatchNorm1d(3, { trackRunningStats: false }).stateDict())).toEqual(['weight', 'bias']);
    const bn = new nn.BatchNorm1d(2);
    bn.loadStateDict({ ...bn.stateDict(), running_mean: torch.tensor([1, 2]), num_batches_tracked: torch.tensor(5, { dtype: 'int32' }) });
    expect(bn.runningMean!.tolist()).toEqual([1, 2]);
    expect(bn.numBatchesTracked!.item()).toBe(5);
  });
});

describe('layer errors use PyTorch wording and typed errors', () => {
  it('Conv1d', () => {
    const c = new nn.Conv1d(3, 4, 3);
    expectError(() => c.forward(torch.zeros(2, 5, 10)), torch.ShapeError, 'Given groups=1, weight of size [4, 3, 3], expected input[2, 5, 10] to have 3 channels, but got 5 channels instead');
    expectError(() => c.forward(torch.zeros(5, 10)), torch.ShapeError, 'Given groups=1, weight of size [4, 3, 3], expected input[1, 5, 10] to have 3 channels, but got 5 channels instead');
    expectError(() => c.forward(torch.zeros(2, 2, 5, 10)), torch.ShapeError, 'Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [2, 2, 5, 10]');
    expectError(() => c.forward(torch.zeros(10)), torch.ShapeError, 'Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [10]');
    expectError(() => c.forward(torch.zeros(3, 2)), torch.ShapeError, "Calculated padded input size per channel: (2). Kernel size: (3). Kernel size can't be greater than actual input size");
    expectError(() => new nn.Conv1d(3, 4, 3, { stride: 2, padding: 'same' }), torch.ValueError, "padding='same' is not supported for strided convolutions");
    expectError(() => new nn.Conv1d(3, 4, 3, { groups: 2 }), torch.ValueError, 'in_channels must be divisible by groups');
    expectError(() => new nn.Conv1d(4, 3, 3, { groups: 2 }), torch.ValueError, 'out_channels must be divisible by groups');
    expectError(() => new nn.Conv1d(4, 4, 3, { padding: 'foo' as 'same' }), torch.ValueError, "Invalid padding string 'foo', should be one of {'valid', 'same'}");
    expectError(() => new nn.Conv1d(4, 4, 3, { paddingMode: 'foo' as 'zeros' }), torch.ValueError, "padding_mode must be one of {'reflect', 'replicate', 'zeros', 'circular'}, but got padding_mode='foo'");
    expectError(() => new nn.Conv1d(4, 4, 3, { padding: -1 }).forward(torch.zeros(1, 4, 5)), torch.RuntimeError, 'negative padding is not supported');
    expectError(() => new nn.Conv1d(4, 4, 3, { stride: 0 }).forward(torch.zeros(1, 4, 5)), torch.RuntimeError, 'non-positive stride is not supported');
    const reflect = new nn.Conv1d(2, 2, 3, { padding: 3, paddingMode: 'reflect' });
    expectError(() => reflect.forward(torch.zeros(1, 2, 3)), torch.ShapeError, 'Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (3, 3) at dimension 2 of input [1, 2, 3]');
    expectError(() => reflect.forward(torch.zeros(2, 3)), torch.ShapeError, 'Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (3, 3) at dimension 1 of input [2, 3]');
    expect(new nn.Conv1d(2, 2, 3, { padding: 3, paddingMode: 'circular' }).forward(torch.zeros(1, 2, 3)).shape).toEqual([1, 2, 7]);
    expectError(() => new nn.Conv1d(2, 2, 3, { padding: 4, paddingMode: 'circular' }).forward(torch.zeros(1, 2, 3)), torch.ShapeError, 'Padding value causes wrapping around more than once.');
    const F = nn.functional;
    expectError(() => F.conv1d(torch.zeros(1, 4, 5), torch.zeros(4, 4, 3), torch.zeros(3)), torch.ShapeError, 'Given weight of size [4, 4, 3], expected bias to be 1-dimensional with 4 elements, but got bias of size [3] instead');
    expectError(() => F.conv1d(torch.zeros(1, 4, 5), torch.zeros(4, 4)), torch.ShapeError, 'weight should have at least three dimensions');
    expectError(() => F.conv1d(torch.zeros(1, 4, 5), torch.zeros(3, 2, 3), null, { groups: 2 }), torch.ShapeError, 'Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [[3, 2, 3]] instead');
  });
  it('Linear and Embedding', () => {
    expectError(() => new nn.Linear(3, 4).forward(torch.zeros(2, 5)), torch.ShapeError, 'mat1 and mat2 shapes cannot be multiplied (2x5 and 3x4)');
    const e = new nn.Embedding(10, 3);
    expectError(() => e.forward(torch.tensor([10], { dtype: 'int32' })), torch.IndexError, 'index out of range in self');
    expectError(() => e.forward(torch.tensor([-1], { dtype: 'int32' })), torch.IndexError, 'index out of range in self');
    expectError(() => e.forward(torch.tensor([1])), torch.DTypeError, "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor instead (while checking arguments for embedding)");
    expectError(() => new nn.Embedding(10, 3, { paddingIdx: 10 }), torch.ValueError, 'Padding_idx must be within num_embeddings');
    expectError(() => new nn.Embedding(10, 3, { paddingIdx: -11 }), torch.ValueError, 'Padding_idx must be within num_embeddings');
    expect(new nn.Embedding(10, 3, { paddingIdx: -1 }).paddingIdx).toBe(9);
  });
  it('norms', () => {
    expectError(() => new nn.LayerNorm(4).forward(torch.zeros(2, 3)), torch.ShapeError, 'Given normalized_shape=[4], expected input with shape [*, 4], but got input of size[2, 3]');
    expectError(() => new nn.LayerNorm([3, 4]).forward(torch.zeros(2, 4, 3)), torch.ShapeError, 'Given normalized_shape=[3, 4], expected input with shape [*, 3, 4], but got input of size[2, 4, 3]');
    expectError(() => new nn.GroupNorm(3, 4), torch.ValueError, 'num_channels must be divisible by num_groups');
    expectError(() => new nn.GroupNorm(2, 4).forward(torch.zeros(2, 3, 5)), torch.ShapeError, 'Expected number of channels in input to be divisible by num_groups, but got input of shape [2, 3, 5] and num_groups=2');
    expectError(() => new nn.GroupNorm(2, 4).forward(torch.zeros(2, 6, 5)), torch.ShapeError, 'Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [4] and input of shape [2, 6, 5]');
    const bn = new nn.BatchNorm1d(4);
    expectError(() => bn.forward(torch.zeros(1, 4)), torch.ValueError, 'Expected more than 1 value per channel when training, got input size torch.Size([1, 4])');
    expectError(() => bn.forward(torch.zeros(1, 4, 1)), torch.ValueError, 'Expected more than 1 value per channel when training, got input size torch.Size([1, 4, 1])');
    expect(bn.numBatchesTracked!.item()).toBe(0);
    expectError(() => bn.forward(torch.zeros(4)), torch.ValueError, 'expected 2D or 3D input (got 1D input)');
    expectError(() => bn.forward(torch.zeros(1, 4, 2, 1)), torch.ValueError, 'expected 2D or 3D input (got 4D input)');
    expectError(() => bn.forward(torch.zeros(2, 3)), torch.ShapeError, 'running_mean should contain 3 elements not 4');
    // nothing changed by the rejected batches
    expect(bn.numBatchesTracked!.item()).toBe(0);
    expect(bn.runningMean!.tolist()).toEqual([0, 0, 0, 0]);
    bn.eval();
    expect(bn.forward(torch.zeros(1, 4)).shape).toEqual([1, 4]);
    expectError(() => nn.functional.batchNorm(torch.zeros(2, 4, 3), null, null), torch.RuntimeError, 'running_mean must be defined in evaluation mode');
  });
  it('activations', () => {
    expectError(() => nn.functional.gelu(torch.zeros(2), 'foo' as 'none'), torch.RuntimeError, 'approximate argument must be either none or tanh.');
  });
});

describe('construction options', () => {
  it('the doc examples run', () => {
    const fc = new nn.Linear(3, 4);
    expect(fc.forward(torch.randn(2, 3)).shape).toEqual([2, 4]);
    const net = new nn.Sequential(new nn.Linear(3, 8), new nn.ReLU(), new nn.Linear(8, 1));
    expect(net.forward(torch.randn(4, 3)).shape).toEqual([4, 1]);
  });
  it('dtype: float64 layers compute in float64', () => {
    const fc = new nn.Linear(3, 2, { dtype: 'float64' });
    const conv = new nn.Conv1d(2, 3, 2, { dtype: 'float64' });
    const norm = new nn.GroupNorm(1, 3, { dtype: 'float64' });
    expect(fc.weight.dtype).toBe('float64');
    const x = torch.randn(2, 2, 5, { dtype: 'float64' });
    const y = fc.forward(norm.forward(conv.forward(x)).transpose(1, 2));
    expect(y.dtype).toBe('float64');
    expect(y.shape).toEqual([2, 4, 2]);
    expect(() => fc.forward(torch.randn(2, 3))).toThrow('expected scalar type Float but found Double');
  });
  it('Embedding.fromPretrained copies the table and freezes it by default', () => {
    const table = torch.tensor([[1, 2], [3, 4], [5, 6]]);
    const e = nn.Embedding.fromPretrained(table, { paddingIdx: 1 });
    expect(e.weight.requiresGrad).toBe(false);
    expect(e.forward(torch.tensor([2, 1], { dtype: 'int32' })).tolist()).toEqual([[5, 6], [3, 4]]);
    table.storage[0] = 100;
    expect(e.weight.tolist()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(nn.Embedding.fromPretrained(table, { freeze: false }).weight.requiresGrad).toBe(true);
  });
});
