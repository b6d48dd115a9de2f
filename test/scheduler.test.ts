/**
 * Learning-rate schedulers against PyTorch 1.13 (fixture: tools/fixtures/optim.py): the rate of
 * every group after every epoch. The formulas are replayed in float64 in Python's order of
 * evaluation; the only difference left is V8's Math.cos, which is off from glibc's cos by one ulp
 * for some arguments (cos(1.2π): …475 vs …476), so rates are compared to 1e-12 relative.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { loadFixture } from './helpers/fixtures.js';

interface SchedCase {
  name: string;
  cls: 'StepLR' | 'CosineAnnealingLR' | 'ReduceLROnPlateau';
  options: { stepSize?: number; gamma?: number; TMax?: number; etaMin?: number; lastEpoch?: number } & ReduceLROnPlateauOptions;
  /** The rates right after the constructor (its initial step). */
  initialLrs: number[];
  groupLrs: number[];
  metrics: number[] | null;
  lrs: number[][];
}

const fx = loadFixture<{ schedulers: SchedCase[] }>('optim');
const { lrScheduler } = torch.optim;
type ReduceLROnPlateauOptions = torch.optim.lrScheduler.ReduceLROnPlateauOptions;

function expectRates(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, e) => {
    expect(row.length).toBe(expected[e]!.length);
    row.forEach((v, g) => {
      const want = expected[e]![g]!;
      expect(Math.abs(v - want) <= 1e-12 * Math.abs(want), `epoch ${e} group ${g}: ${v} vs ${want}`).toBe(true);
    });
  });
}

function optimizerFor(groupLrs: number[]): torch.optim.SGD {
  return new torch.optim.SGD(
    groupLrs.map((lr) => ({ params: [new torch.nn.Parameter(torch.zeros(1))], lr })),
    { lr: groupLrs[0]! },
  );
}

describe('schedulers match PyTorch epoch by epoch', () => {
  for (const c of fx.cases.schedulers) {
    it(`${c.name}: ${c.cls}(${JSON.stringify(c.options)})`, () => {
      const opt = optimizerFor(c.groupLrs);
      if (c.options.lastEpoch !== undefined) {
        for (const g of opt.paramGroups) g.initialLr = g.lr;
      }
      const lrs: number[][] = [];
      if (c.cls === 'ReduceLROnPlateau') {
        const s = new lrScheduler.ReduceLROnPlateau(opt, c.options);
        for (const m of c.metrics!) {
          opt.step();
          s.step(m);
          lrs.push(s.getLastLr());
        }
      } else {
        const s =
          c.cls === 'StepLR'
            ? new lrScheduler.StepLR(opt, { stepSize: c.options.stepSize!, gamma: c.options.gamma, lastEpoch: c.options.lastEpoch })
            : new lrScheduler.CosineAnnealingLR(opt, {
                TMax: c.options.TMax!,
                etaMin: c.options.etaMin,
                lastEpoch: c.options.lastEpoch,
              });
        expectRates([s.getLastLr()], [c.initialLrs]);
        for (let e = 0; e < c.lrs.length; e++) {
          opt.step();
          s.step();
          lrs.push(s.getLastLr());
        }
      }
      expectRates(lrs, c.lrs);
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(lrs[lrs.length - 1]);
    });
  }
});

describe('scheduler state and errors', () => {
  it('StepLR resumes from its state dict', () => {
    const opt = optimizerFor([0.1]);
    const a = new lrScheduler.StepLR(opt, { stepSize: 2, gamma: 0.5 });
    for (let i = 0; i < 3; i++) a.step();
    const saved = a.stateDict();
    expect(saved).toMatchObject({ step_size: 2, gamma: 0.5, base_lrs: [0.1], last_epoch: 3, _step_count: 4 });
    const opt2 = optimizerFor([0.1]);
    opt2.paramGroups[0]!.lr = opt.paramGroups[0]!.lr;
    const b = new lrScheduler.StepLR(opt2, { stepSize: 99 });
    b.loadStateDict(saved);
    a.step();
    b.step();
    expect(b.getLastLr()).toEqual(a.getLastLr());
    expect(opt.paramGroups[0]!.initialLr).toBe(0.1);
  });

  it('resuming without initial_lr is PyTorch\'s KeyError', () => {
    const opt = optimizerFor([0.1]);
    let err: unknown;
    try {
      new lrScheduler.StepLR(opt, { stepSize: 2, lastEpoch: 5 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(torch.TorchletError);
    expect((err as torch.TorchletError).pytorchType).toBe('KeyError');
    expect((err as Error).message).toBe("param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer");
  });

  it('ReduceLROnPlateau option errors', () => {
    const opt = optimizerFor([0.1, 0.2]);
    expect(() => new lrScheduler.ReduceLROnPlateau(opt, { factor: 1 })).toThrow(new torch.ValueError('Factor should be < 1.0.'));
    expect(() => new lrScheduler.ReduceLROnPlateau(opt, { minLr: [0.1] })).toThrow(new torch.ValueError('expected 2 min_lrs, got 1'));
    // @ts-expect-error: the runtime check for JavaScript callers is what is tested
    expect(() => new lrScheduler.ReduceLROnPlateau(opt, { mode: 'lowest' })).toThrow(new torch.ValueError('mode lowest is unknown!'));
    // @ts-expect-error: as above
    expect(() => new lrScheduler.ReduceLROnPlateau(opt, { thresholdMode: 'pct' })).toThrow(
      new torch.ValueError('threshold mode pct is unknown!'),
    );
  });

  it('ReduceLROnPlateau accepts a one-element tensor metric', () => {
    const opt = optimizerFor([0.1]);
    const s = new lrScheduler.ReduceLROnPlateau(opt, { patience: 0 });
    s.step(torch.tensor(1));
    s.step(torch.tensor([2]));
    expect(s.getLastLr()[0]).toBeCloseTo(0.01, 12);
    expect(s.stateDict()).toMatchObject({ best: 1, num_bad_epochs: 0, last_epoch: 2 });
  });

  it('a non-optimiser is a TypeError', () => {
    // @ts-expect-error: the runtime check for JavaScript callers is what is tested
    expect(() => new lrScheduler.StepLR({}, { stepSize: 1 })).toThrow('Object is not an Optimizer');
  });
});
