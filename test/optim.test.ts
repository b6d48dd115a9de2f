/**
 * Optimisers against PyTorch 1.13 (fixture: tools/fixtures/optim.py): every option, five steps,
 * parameters and every state tensor compared after every step. The gradients are the ones
 * PyTorch used (stored), and parameter 2 has no gradient on odd steps, so skipping is covered.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Optimizer, OptimizerStateDict } from '../src/optim/index.js';
import type { BaseHyper } from '../src/optim/optimizer.js';
import { expectClose, loadFixture } from './helpers/fixtures.js';

interface OptimCase {
  name: string;
  optim: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop';
  options: Record<string, number | boolean | number[]>;
  groups: Array<{ params: number[]; options?: Record<string, number> }> | null;
  steps: number;
  nParams: number;
  stateKeys: Record<string, string[]>;
  stepValues: Record<string, number | null>;
  momentumNone: Record<string, boolean>;
  paramGroups: Array<Record<string, unknown>>;
}

const fx = loadFixture<{ optimizers: OptimCase[] }>('optim');

/**
 * The update rules replay PyTorch's float32 kernels operation by operation (one rounding per
 * `mul_`/`add_`/`addcmul_`/`addcdiv_`, fused multiply-adds where PyTorch's AVX2 build fuses), so
 * with PyTorch's own gradients the results are bit-identical; any difference is a bug.
 */
const EXACT = { rtol: 0, atol: 0 };

type AnyOptimizer = Optimizer<BaseHyper>;

function make(kind: OptimCase['optim'], params: torch.Tensor[] | Array<{ params: torch.Tensor[] }>, options: object): AnyOptimizer {
  switch (kind) {
    case 'SGD':
      return new torch.optim.SGD(params, options);
    case 'Adam':
      return new torch.optim.Adam(params, options);
    case 'AdamW':
      return new torch.optim.AdamW(params, options);
    case 'RMSprop':
      return new torch.optim.RMSprop(params, options);
  }
}

function build(c: OptimCase): { params: torch.Tensor[]; opt: AnyOptimizer } {
  const params = Array.from({ length: c.nParams }, (_, i) => new torch.nn.Parameter(fx.get(`${c.name}/init/param${i}`).clone()));
  const input = c.groups
    ? c.groups.map((g) => ({ params: g.params.map((i) => params[i]!), ...(g.options ?? {}) }))
    : params;
  return { params, opt: make(c.optim, input, c.options) };
}

describe('optimisers match PyTorch step by step', () => {
  for (const c of fx.cases.optimizers) {
    it(`${c.name}: ${c.optim}(${JSON.stringify(c.options)})`, () => {
      const { params, opt } = build(c);
      for (let step = 0; step < c.steps; step++) {
        params.forEach((p, i) => {
          const g = fx.tensors[`${c.name}/step${step}/grad${i}`];
          p.grad = g === undefined ? null : g.clone();
        });
        opt.step();
        params.forEach((p, i) => {
          expectClose(p, fx.get(`${c.name}/step${step}/param${i}`), EXACT, `${c.name} step ${step} param ${i}`);
          const prefix = `${c.name}/step${step}/state${i}/`;
          const state = opt.state.get(p);
          for (const key of Object.keys(fx.tensors).filter((k) => k.startsWith(prefix))) {
            const name = key.slice(prefix.length);
            const value = state?.[name];
            expect(value, `${key} present`).toBeInstanceOf(torch.Tensor);
            expectClose(value as torch.Tensor, fx.get(key), EXACT, key);
          }
        });
      }
      const sd = opt.stateDict();
      for (const [i, keys] of Object.entries(c.stateKeys)) {
        expect(Object.keys(sd.state[Number(i)]!).sort(), `state ${i} keys`).toEqual(keys);
        const step = sd.state[Number(i)]!.step;
        if (c.stepValues[i] !== null) {
          expect(step instanceof torch.Tensor ? step.item() : step, `state ${i} step`).toBe(c.stepValues[i]);
        }
        if (c.momentumNone[i]) expect(sd.state[Number(i)]!.momentum_buffer).toBeNull();
      }
      // Every hyper-parameter torchlet has is in PyTorch's group with the same key and value.
      sd.param_groups.forEach((g, gi) => {
        const py = c.paramGroups[gi]!;
        for (const [k, v] of Object.entries(g)) expect(py[k], `group ${gi} ${k}`).toEqual(v);
      });
    });
  }
});

describe('optimiser state dicts', () => {
  const c = fx.cases.optimizers.find((x) => x.name === 'adam_amsgrad')!;

  it('resumes exactly: 2 steps, save, load into a fresh optimiser, 3 more steps', () => {
    const { params, opt } = build(c);
    const feed = (step: number): void => {
      params.forEach((p, i) => {
        const g = fx.tensors[`${c.name}/step${step}/grad${i}`];
        p.grad = g === undefined ? null : g.clone();
      });
    };
    for (let s = 0; s < 2; s++) {
      feed(s);
      opt.step();
    }
    const saved: OptimizerStateDict = opt.stateDict();
    const fresh = new torch.optim.Adam(params, { lr: 123 });
    fresh.loadStateDict(saved);
    expect(fresh.paramGroups[0]!.lr).toBe(0.02);
    expect(fresh.paramGroups[0]!.amsgrad).toBe(true);
    for (let s = 2; s < c.steps; s++) {
      feed(s);
      fresh.step();
    }
    params.forEach((p, i) => {
      expectClose(p, fx.get(`${c.name}/step4/param${i}`), EXACT, `param ${i}`);
    });
  });

  it('stateDict is a snapshot: later steps do not change it', () => {
    const { params, opt } = build(c);
    params.forEach((p) => {
      p.grad = torch.onesLike(p);
    });
    opt.step();
    const sd = opt.stateDict();
    const before = (sd.state[0]!.exp_avg as torch.Tensor).toFloat32Array();
    opt.step();
    expect((sd.state[0]!.exp_avg as torch.Tensor).toFloat32Array()).toEqual(before);
  });

  it('rejects a state dict of another shape, changing nothing', () => {
    const { params, opt } = build(c);
    const other = new torch.optim.Adam([params[0]!]);
    expect(() => opt.loadStateDict(other.stateDict())).toThrow(
      new torch.ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group"),
    );
    const twoGroups = new torch.optim.Adam([{ params: [params[0]!] }, { params: [params[1]!, params[2]!] }]);
    expect(() => opt.loadStateDict(twoGroups.stateDict())).toThrow('loaded state dict has a different number of parameter groups');
    expect(opt.paramGroups[0]!.lr).toBe(0.02);
    expect(opt.state.size).toBe(0);
  });
});

describe('optimiser behaviour', () => {
  it('zeroGrad drops gradients by default and zero-fills with setToNone=false', () => {
    const p = new torch.nn.Parameter(torch.ones(3));
    const opt = new torch.optim.SGD([p], { lr: 0.1 });
    const g = torch.ones(3);
    p.grad = g;
    opt.zeroGrad(false);
    expect(p.grad).toBe(g); // zeroed in place, as PyTorch's grad.zero_()
    expect(Array.from(g.toFloat32Array())).toEqual([0, 0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  it('trains a parameter through autograd (loss decreases, paramGroups lr is live)', () => {
    const w = new torch.nn.Parameter(torch.tensor([2, -3]));
    const opt = new torch.optim.SGD([w], { lr: 0.1, momentum: 0.5 });
    const loss = (): torch.Tensor => w.mul(w).sum();
    const first = loss().item();
    for (let i = 0; i < 20; i++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }
    expect(loss().item()).toBeLessThan(first * 1e-3);
    opt.paramGroups[0]!.lr = 0;
    const frozen = w.toFloat32Array();
    opt.zeroGrad();
    loss().backward();
    opt.step();
    expect(w.toFloat32Array()).toEqual(frozen);
  });

  it('step(closure) evaluates the closure with grad enabled and returns its loss', () => {
    const w = new torch.nn.Parameter(torch.tensor([1]));
    const opt = new torch.optim.Adam([w], { lr: 0.1 });
    const loss = torch.noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = w.mul(w).sum();
        l.backward();
        return l;
      }),
    );
    expect(loss!.item()).toBe(1);
    expect(w.item()).toBeCloseTo(0.9, 6);
    expect(w.gradFn).toBeNull();
  });

  it('updates float64 parameters in float64 (Adam, one step by the formula)', () => {
    const w = new torch.nn.Parameter(torch.tensor([0.1, -0.2], { dtype: 'float64' }));
    w.grad = torch.tensor([0.3, 0.7], { dtype: 'float64' });
    new torch.optim.Adam([w], { lr: 0.01 }).step();
    // step 1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g², so p ← p − lr·g/(|g| + eps)
    const expected = [0.1 - (0.01 * 0.03) / 0.1 / (Math.sqrt(0.001 * 0.09) / Math.sqrt(0.001) + 1e-8)];
    expect(w.dtype).toBe('float64');
    expect(w.toTypedArray()[0]).toBeCloseTo(expected[0]!, 15);
    expect(w.toTypedArray()[1]).toBeCloseTo(-0.2 - 0.01 / (1 + 1e-8 / 0.7), 15);
  });

  it('updates a non-contiguous leaf through its strides', () => {
    const base = torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const w = base.transpose(0, 1).requiresGrad_(); // (3, 2) view of base
    w.grad = torch.tensor([
      [1, 0],
      [0, 0],
      [0, 1],
    ]);
    new torch.optim.SGD([w], { lr: 1 }).step();
    expect(base.tolist()).toEqual([
      [0, 2, 3],
      [4, 5, 5],
    ]);
  });

  it('prints like PyTorch', () => {
    const opt = new torch.optim.SGD([new torch.nn.Parameter(torch.ones(1))], { lr: 0.1, momentum: 0.9 });
    expect(opt.toString()).toBe(
      'SGD (\nParameter Group 0\n    dampening: 0\n    lr: 0.1\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n)',
    );
  });

  it('addParamGroup adds a group with its own options', () => {
    const a = new torch.nn.Parameter(torch.ones(1));
    const b = new torch.nn.Parameter(torch.ones(1));
    const opt = new torch.optim.SGD([a], { lr: 0.1 });
    opt.addParamGroup({ params: [b], lr: 1 });
    a.grad = torch.ones(1);
    b.grad = torch.ones(1);
    opt.step();
    expect(a.item()).toBeCloseTo(0.9, 6);
    expect(b.item()).toBe(0);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow('some parameters appear in more than one parameter group');
  });
});

describe('optimiser errors (PyTorch wording, typed)', () => {
  const p = (): torch.nn.Parameter => new torch.nn.Parameter(torch.ones(2));
  const cases: Array<[string, () => unknown, string]> = [
    ['empty list', () => new torch.optim.Adam([]), 'optimizer got an empty parameter list'],
    ['negative lr (SGD)', () => new torch.optim.SGD([p()], { lr: -0.1 }), 'Invalid learning rate: -0.1'],
    ['negative lr (Adam)', () => new torch.optim.Adam([p()], { lr: -0.1 }), 'Invalid learning rate: -0.1'],
    ['negative lr (RMSprop)', () => new torch.optim.RMSprop([p()], { lr: -1 }), 'Invalid learning rate: -1'],
    ['negative lr in a group', () => new torch.optim.SGD([{ params: [p()], lr: -0.5 }], { lr: 0.1 }), 'Invalid learning rate: -0.5'],
    ['SGD without lr', () => new torch.optim.SGD([p()]), "parameter group didn't specify a value of required optimization parameter lr"],
    ['momentum', () => new torch.optim.SGD([p()], { lr: 0.1, momentum: -0.9 }), 'Invalid momentum value: -0.9'],
    ['weight decay', () => new torch.optim.SGD([p()], { lr: 0.1, weightDecay: -1e-4 }), 'Invalid weight_decay value: -0.0001'],
    ['nesterov without momentum', () => new torch.optim.SGD([p()], { lr: 0.1, nesterov: true }), 'Nesterov momentum requires a momentum and zero dampening'],
    [
      'nesterov with dampening',
      () => new torch.optim.SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
      'Nesterov momentum requires a momentum and zero dampening',
    ],
    ['beta 0', () => new torch.optim.Adam([p()], { betas: [1.0, 0.999] }), 'Invalid beta parameter at index 0: 1'],
    ['beta 1', () => new torch.optim.AdamW([p()], { betas: [0.9, -0.1] }), 'Invalid beta parameter at index 1: -0.1'],
    ['eps', () => new torch.optim.Adam([p()], { eps: -1e-8 }), 'Invalid epsilon value: -1e-08'],
    ['lr 1e-5', () => new torch.optim.Adam([p()], { lr: -1e-5 }), 'Invalid learning rate: -1e-05'],
    ['alpha', () => new torch.optim.RMSprop([p()], { alpha: -0.5 }), 'Invalid alpha value: -0.5'],
    ['RMSprop momentum', () => new torch.optim.RMSprop([p()], { momentum: -0.5 }), 'Invalid momentum value: -0.5'],
    ['non-leaf', () => new torch.optim.SGD([p().mul(2)], { lr: 0.1 }), "can't optimize a non-leaf Tensor"],
  ];
  for (const [label, fn, message] of cases) {
    it(label, () => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(torch.ValueError);
      expect((err as torch.ValueError).message.startsWith(message), (err as Error).message).toBe(true);
      expect((err as torch.ValueError).pytorchType).toBe('ValueError');
    });
  }

  it('a single tensor instead of a list is a TypeError', () => {
    // @ts-expect-error: a single tensor is not an iterable of tensors (the runtime check is tested)
    expect(() => new torch.optim.SGD(p(), { lr: 0.1 })).toThrow(
      /^params argument given to the optimizer should be an iterable of Tensors or dicts, but got torch\.FloatTensor/,
    );
  });

  it('duplicate parameters across groups', () => {
    const a = p();
    expect(() => new torch.optim.SGD([{ params: [a] }, { params: [a] }], { lr: 0.1 })).toThrow(
      new torch.ValueError('some parameters appear in more than one parameter group'),
    );
  });
});
