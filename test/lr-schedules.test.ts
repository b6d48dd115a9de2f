/**
 * The schedulers added in issue 13 against PyTorch 1.13 (fixture: tools/fixtures/schedulers.py):
 * every group's rate (and momentum / Adam's beta1 for the cyclic ones) after the constructor and
 * after each of 120 steps, the state-dict scalars at the end, and PyTorch's error for each bad
 * argument. Rates are compared to 1e-12 relative: the formulas are evaluated in Python's order;
 * V8's Math.cos / Math.pow may differ from glibc's by an ulp.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { expectPyTorchError } from './helpers/errors.js';
import { loadFixture } from './helpers/fixtures.js';

const S = torch.optim.lrScheduler;
type Opts = Record<string, unknown>;
interface Case {
  name: string;
  cls: string;
  options: Opts | null;
  groupLrs: number[];
  optim: 'sgd' | 'adam';
  sub: [string, Opts][] | null;
  milestones: number[] | null;
  epochs: number[] | null;
  initialLrs: number[];
  initialMomenta: number[];
  lrs: number[][];
  momenta: number[][];
  state: Record<string, number>;
}
const fx = loadFixture<{ schedulers: Case[]; errors: { name: string; type: string; message: string }[] }>('schedulers');

const LAMBDAS: Record<string, (e: number) => number> = {
  warmup10: (e) => Math.min(1.0, (e + 1) / 10),
  decay95: (e) => 0.95 ** e,
  every3: (e) => (e % 3 === 0 ? 0.9 : 1.0),
  inv_sqrt: (e) => 1.0 / Math.sqrt(e + 1),
};

function makeOpt(kind: 'sgd' | 'adam', groupLrs: readonly number[]): torch.optim.Optimizer {
  const groups = groupLrs.map((lr) => ({ params: [new torch.nn.Parameter(torch.zeros(1))], lr }));
  return kind === 'adam'
    ? new torch.optim.Adam(groups, { lr: groupLrs[0]! })
    : new torch.optim.SGD(groups, { lr: groupLrs[0]!, momentum: 0.9 });
}

type Sched = { step(epoch?: number): void; getLastLr(): number[]; stateDict(): Record<string, unknown> };

function build(opt: torch.optim.Optimizer, cls: string, options: Opts): Sched {
  const o = { ...options };
  if (o.lrLambda !== undefined) {
    o.lrLambda = Array.isArray(o.lrLambda) ? o.lrLambda.map((n: string) => LAMBDAS[n]) : LAMBDAS[o.lrLambda as string];
  }
  const Ctor = (S as unknown as Record<string, new (opt: torch.optim.Optimizer, o: Opts) => Sched>)[cls];
  expect(Ctor, cls).toBeDefined();
  return new Ctor!(opt, o);
}

function near(actual: number[], expected: number[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  actual.forEach((v, i) => {
    const want = expected[i]!;
    expect(Math.abs(v - want) <= 1e-12 * Math.abs(want) + 1e-300, `${label} group ${i}: ${v} vs ${want}`).toBe(true);
  });
}

function momentaOf(opt: torch.optim.Optimizer, kind: 'sgd' | 'adam'): number[] {
  return opt.paramGroups.map((g) => {
    const r = g as unknown as { betas: number[]; momentum: number };
    return kind === 'adam' ? r.betas[0]! : r.momentum;
  });
}

describe('schedulers match PyTorch over 120 steps', () => {
  for (const c of fx.cases.schedulers) {
    it(`${c.name}: ${c.cls}`, () => {
      const opt = makeOpt(c.optim, c.groupLrs);
      let sched: Sched;
      if (c.sub) {
        const subs = c.sub.map(([cls, o]) => build(opt, cls, o)) as unknown as torch.optim.lrScheduler.LRScheduler[];
        sched =
          c.cls === 'SequentialLR'
            ? new S.SequentialLR(opt, { schedulers: subs, milestones: c.milestones! })
            : new S.ChainedScheduler(subs);
      } else {
        sched = build(opt, c.cls, c.options!);
      }
      near(
        opt.paramGroups.map((g) => g.lr),
        c.initialLrs,
        'after the constructor',
      );
      near(momentaOf(opt, c.optim), c.initialMomenta, 'momentum after the constructor');
      c.lrs.forEach((want, e) => {
        opt.step();
        if (c.epochs) sched.step(c.epochs[e]);
        else sched.step();
        near(
          opt.paramGroups.map((g) => g.lr),
          want,
          `step ${e}`,
        );
        near(sched.getLastLr(), want, `getLastLr at step ${e}`);
        near(momentaOf(opt, c.optim), c.momenta[e]!, `momentum at step ${e}`);
      });
      const sd = sched.stateDict();
      for (const [k, v] of Object.entries(c.state)) {
        if (k === 'step_ratio' || k === 'total_size' || k === 'gamma' || k === 'eta_min' || k === 'T_0' || k === 'T_mult') continue;
        expect(sd[k], `state_dict ${k}`).toBe(v);
      }
    });
  }
});

describe("bad arguments get PyTorch's errors and change nothing", () => {
  const o = () => makeOpt('sgd', [0.1]);
  const calls: Record<string, () => unknown> = {
    resume_multistep: () => new S.MultiStepLR(o(), { milestones: [3], lastEpoch: 4 }),
    resume_exponential: () => new S.ExponentialLR(o(), { gamma: 0.9, lastEpoch: 2 }),
    resume_linear: () => new S.LinearLR(o(), { lastEpoch: 0 }),
    resume_onecycle: () => new S.OneCycleLR(o(), { maxLr: 0.1, totalSteps: 10, lastEpoch: 3 }),
    linear_start: () => new S.LinearLR(o(), { startFactor: 1.5 }),
    linear_end: () => new S.LinearLR(o(), { endFactor: -0.1 }),
    constant_factor: () => new S.ConstantLR(o(), { factor: 2 }),
    lambda_count: () => new S.LambdaLR(makeOpt('sgd', [0.1, 0.2]), { lrLambda: [LAMBDAS.warmup10!, LAMBDAS.warmup10!, LAMBDAS.warmup10!] }),
    cawr_t0: () => new S.CosineAnnealingWarmRestarts(o(), { T0: 0 }),
    cawr_tmult: () => new S.CosineAnnealingWarmRestarts(o(), { T0: 5, TMult: 0 }),
    onecycle_none: () => new S.OneCycleLR(o(), { maxLr: 0.1 }),
    onecycle_total: () => new S.OneCycleLR(o(), { maxLr: 0.1, totalSteps: 0 }),
    onecycle_pct: () => new S.OneCycleLR(o(), { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 }),
    onecycle_anneal: () => new S.OneCycleLR(o(), { maxLr: 0.1, totalSteps: 10, annealStrategy: 'exp' as 'cos' }),
    onecycle_maxlr: () => new S.OneCycleLR(o(), { maxLr: [0.1, 0.2], totalSteps: 10 }),
    onecycle_overstep: () => {
      const s = new S.OneCycleLR(o(), { maxLr: 0.1, totalSteps: 3 });
      for (let i = 0; i < 4; i++) s.step();
    },
    cyclic_mode: () => new S.CyclicLR(o(), { baseLr: 0.01, maxLr: 0.1, mode: 'sine' as 'triangular' }),
    cyclic_no_momentum: () => new S.CyclicLR(makeOpt('adam', [0.1]), { baseLr: 0.01, maxLr: 0.1 }),
    sequential_milestones: () => {
      const op = o();
      return new S.SequentialLR(op, { schedulers: [new S.ExponentialLR(op, { gamma: 0.9 })], milestones: [3] });
    },
    sequential_optimizer: () => new S.SequentialLR(o(), { schedulers: [new S.ExponentialLR(o(), { gamma: 0.9 })], milestones: [] }),
    chained_optimizer: () => new S.ChainedScheduler([new S.ExponentialLR(o(), { gamma: 0.9 }), new S.ExponentialLR(o(), { gamma: 0.9 })]),
  };
  for (const c of fx.cases.errors) {
    it(`${c.name}: ${c.message}`, () => {
      expectPyTorchError(calls[c.name], c, 'prefix');
    });
  }
  it('a refused constructor leaves the param groups as they were', () => {
    const op = o();
    const before = JSON.stringify(op.paramGroups.map(({ params: _, ...h }) => h));
    expect(() => new S.OneCycleLR(op, { maxLr: 0.1, totalSteps: 10, pctStart: 1.5 })).toThrow();
    expect(() => new S.CyclicLR(op, { baseLr: [0.1, 0.2], maxLr: 0.1 })).toThrow();
    expect(JSON.stringify(op.paramGroups.map(({ params: _, ...h }) => h))).toBe(before);
    const s = new S.OneCycleLR(op, { maxLr: 0.1, totalSteps: 2 });
    s.step();
    s.step();
    const lr = op.paramGroups[0]!.lr;
    expect(() => s.step()).toThrow(/Tried to step 4 times/);
    expect(s.lastEpoch).toBe(2);
    expect(op.paramGroups[0]!.lr).toBe(lr);
  });
  it('OneCycleLR writes max_lr, min_lr, base/max momentum into the optimiser state dict', () => {
    const op = o();
    new S.OneCycleLR(op, { maxLr: 0.2, totalSteps: 10 });
    const g = op.stateDict().param_groups[0]!;
    expect(g.max_lr).toBe(0.2);
    expect(g.initial_lr).toBe(0.2 / 25);
    expect(g.min_lr).toBe(0.2 / 25 / 1e4);
    expect(g.max_momentum).toBe(0.95);
    expect(g.base_momentum).toBe(0.85);
  });
});
