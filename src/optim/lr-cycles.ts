/**
 * Cyclical learning-rate (and momentum) schedules, stepped once per batch. PyTorch:
 * `torch.optim.lr_scheduler.OneCycleLR`, `CyclicLR` (1.13).
 *
 * Both also drive the momentum when `cycleMomentum` is on (the default): SGD's `momentum`, or
 * the first of Adam's `betas`, in the opposite direction to the rate. They write PyTorch's extra
 * keys into each param group (`maxLr`, `minLr`, `maxMomentum`, `baseMomentum`; `max_lr`, ... in the
 * optimiser's state dict).
 */

import { defineOptions, opt } from '../options.js';
import { ValueError } from '../errors.js';
import { LRScheduler } from './lr-scheduler.js';
import type { BaseHyper, Optimizer, ParamGroup } from './optimizer.js';
import { pyNum } from './optimizer.js';

type AnyOptimizer = Optimizer<BaseHyper>;
/** A param group with the keys these schedulers add (PyTorch writes them into the group dict). */
type Group = ParamGroup<BaseHyper> & Record<string, unknown>;

function groupsOf(optimizer: AnyOptimizer): Group[] {
  return optimizer.paramGroups as Group[];
}

/** One value per group: an array must have one per group. PyTorch: `_format_param`. */
function perGroup(name: string, optimizer: AnyOptimizer, v: number | readonly number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(v)) {
    if (v.length !== n) throw new ValueError(`expected ${n} values for ${name}, got ${v.length}`);
    return [...v];
  }
  return Array.from({ length: n }, () => v as number);
}

function hasMomentum(optimizer: AnyOptimizer): boolean {
  return 'momentum' in optimizer.defaults;
}
function hasBetas(optimizer: AnyOptimizer): boolean {
  return 'betas' in optimizer.defaults;
}

/** PyTorch: `OneCycleLR(optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3, anneal_strategy='cos', cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25., final_div_factor=1e4, three_phase=False, last_epoch=-1)`. */
export interface OneCycleLROptions {
  /** The peak rate, one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number | null;
  epochs?: number | null;
  stepsPerEpoch?: number | null;
  /** The share of the cycle spent raising the rate. */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | readonly number[];
  maxMomentum?: number | readonly number[];
  /** initial rate = maxLr / divFactor. */
  divFactor?: number;
  /** minimum rate = initial rate / finalDivFactor. */
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
}
/** @internal The run-time check of `OneCycleLROptions` (src/options.ts); values get PyTorch's ValueErrors below. */
export const ONE_CYCLE_LR_OPTIONS = defineOptions<OneCycleLROptions>('optim.lr_scheduler.OneCycleLR', {
  maxLr: opt.required(opt.or(opt.number, opt.arrayOf(opt.number))),
  totalSteps: opt.nullable(opt.number),
  epochs: opt.nullable(opt.number),
  stepsPerEpoch: opt.nullable(opt.number),
  pctStart: opt.number,
  annealStrategy: opt.named("'cos' | 'linear'", (v) => typeof v === 'string'),
  cycleMomentum: opt.bool,
  baseMomentum: opt.or(opt.number, opt.arrayOf(opt.number)),
  maxMomentum: opt.or(opt.number, opt.arrayOf(opt.number)),
  divFactor: opt.number,
  finalDivFactor: opt.number,
  threePhase: opt.bool,
  lastEpoch: opt.int,
});

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * The 1cycle policy: the rate rises from maxLr/divFactor to maxLr over `pctStart` of the steps,
 * then anneals to far below the start (and the momentum does the reverse). PyTorch:
 * `torch.optim.lr_scheduler.OneCycleLR`. Call `step()` after every batch; stepping past
 * `totalSteps` is PyTorch's ValueError.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  private readonly useBeta1: boolean;
  private readonly phases: Phase[];

  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    options = ONE_CYCLE_LR_OPTIONS.parse(options);
    const { totalSteps, epochs, stepsPerEpoch } = options;
    let total: number;
    if (totalSteps == null && epochs == null && stepsPerEpoch == null) {
      throw new ValueError('You must define either total_steps OR (epochs AND steps_per_epoch)');
    } else if (totalSteps != null) {
      if (!(Number.isInteger(totalSteps) && totalSteps > 0)) {
        throw new ValueError(`Expected positive integer total_steps, but got ${pyNum(totalSteps)}`);
      }
      total = totalSteps;
    } else {
      if (!(Number.isInteger(epochs) && epochs! > 0)) throw new ValueError(`Expected positive integer epochs, but got ${epochs}`);
      if (!(Number.isInteger(stepsPerEpoch) && stepsPerEpoch! > 0)) {
        throw new ValueError(`Expected positive integer steps_per_epoch, but got ${stepsPerEpoch}`);
      }
      total = epochs! * stepsPerEpoch!;
    }
    const pctStart = options.pctStart ?? 0.3;
    if (!(pctStart >= 0 && pctStart <= 1)) {
      throw new ValueError(`Expected float between 0 and 1 pct_start, but got ${pyNum(pctStart)}`);
    }
    const anneal = options.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') {
      throw new ValueError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${String(anneal)}`);
    }
    const lastEpoch = options.lastEpoch ?? -1;
    const maxLrs = perGroup('max_lr', optimizer, options.maxLr);
    const cycleMomentum = options.cycleMomentum ?? true;
    let maxMomentums: number[] = [];
    let baseMomentums: number[] = [];
    if (cycleMomentum) {
      if (!hasMomentum(optimizer) && !hasBetas(optimizer)) {
        throw new ValueError('optimizer must support momentum with `cycle_momentum` option enabled');
      }
      maxMomentums = perGroup('max_momentum', optimizer, options.maxMomentum ?? 0.95);
      baseMomentums = perGroup('base_momentum', optimizer, options.baseMomentum ?? 0.85);
    }
    // Everything is checked; now write the groups, as PyTorch does before its base constructor.
    const divFactor = options.divFactor ?? 25;
    const finalDivFactor = options.finalDivFactor ?? 1e4;
    const useBeta1 = hasBetas(optimizer);
    if (lastEpoch === -1) {
      groupsOf(optimizer).forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
      if (cycleMomentum) {
        groupsOf(optimizer).forEach((g, i) => {
          setMomentum(g, useBeta1, maxMomentums[i]);
          g.maxMomentum = maxMomentums[i];
          g.baseMomentum = baseMomentums[i];
        });
      }
    }
    super(optimizer, lastEpoch);
    this.totalSteps = total;
    this.annealStrategy = anneal;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    const ph = (endStep: number, startLr: string, endLr: string, startMomentum: string, endMomentum: string): Phase => ({
      endStep,
      startLr,
      endLr,
      startMomentum,
      endMomentum,
    });
    this.phases = options.threePhase
      ? [
          ph(pctStart * total - 1, 'initialLr', 'maxLr', 'maxMomentum', 'baseMomentum'),
          ph(2 * pctStart * total - 2, 'maxLr', 'initialLr', 'baseMomentum', 'maxMomentum'),
          ph(total - 1, 'initialLr', 'minLr', 'maxMomentum', 'maxMomentum'),
        ]
      : [
          ph(pctStart * total - 1, 'initialLr', 'maxLr', 'maxMomentum', 'baseMomentum'),
          ph(total - 1, 'maxLr', 'minLr', 'baseMomentum', 'maxMomentum'),
        ];
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected computeLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ValueError(`Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`);
    }
    return groupsOf(this.optimizer).map((g) => {
      let startStep = 0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const p = this.phases[i];
        if (stepNum <= p.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - startStep) / (p.endStep - startStep);
          lr = this.anneal(g[p.startLr] as number, g[p.endLr] as number, pct);
          if (this.cycleMomentum) momentum = this.anneal(g[p.startMomentum] as number, g[p.endMomentum] as number, pct);
          break;
        }
        startStep = p.endStep;
      }
      if (this.cycleMomentum) setMomentum(g, this.useBeta1, momentum);
      return lr;
    });
  }

  override step(epoch?: number): void {
    const lastEpoch = this.lastEpoch;
    const stepCount = this.stepCount;
    try {
      super.step(epoch);
    } catch (e) {
      // A refused step changes nothing.
      this.lastEpoch = lastEpoch;
      this.stepCount = stepCount;
      throw e;
    }
  }

  protected hyper(): Record<string, number> {
    return { total_steps: this.totalSteps };
  }
  protected setHyper(): void {}
}

function setMomentum(g: Group, useBeta1: boolean, m: number): void {
  if (useBeta1) {
    const betas = g.betas as readonly number[];
    g.betas = [m, ...betas.slice(1)];
  } else {
    g.momentum = m;
  }
}

/** PyTorch: `CyclicLR(optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode='triangular', gamma=1.0, scale_fn=None, scale_mode='cycle', cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1)`. */
export interface CyclicLROptions {
  baseLr: number | readonly number[];
  maxLr: number | readonly number[];
  stepSizeUp?: number;
  /** Default: stepSizeUp. */
  stepSizeDown?: number | null;
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  gamma?: number;
  /** A custom amplitude scale (replaces `mode`), of the cycle number or of the iteration (`scaleMode`). */
  scaleFn?: ((x: number) => number) | null;
  scaleMode?: 'cycle' | 'iterations';
  cycleMomentum?: boolean;
  baseMomentum?: number | readonly number[];
  maxMomentum?: number | readonly number[];
  lastEpoch?: number;
}
/** @internal The run-time check of `CyclicLROptions` (src/options.ts); values get PyTorch's ValueErrors below. */
export const CYCLIC_LR_OPTIONS = defineOptions<CyclicLROptions>('optim.lr_scheduler.CyclicLR', {
  baseLr: opt.required(opt.or(opt.number, opt.arrayOf(opt.number))),
  maxLr: opt.required(opt.or(opt.number, opt.arrayOf(opt.number))),
  stepSizeUp: opt.number,
  stepSizeDown: opt.nullable(opt.number),
  mode: opt.named("'triangular' | 'triangular2' | 'exp_range'", (v) => typeof v === 'string'),
  gamma: opt.number,
  scaleFn: opt.nullable(opt.func),
  scaleMode: opt.named("'cycle' | 'iterations'", (v) => typeof v === 'string'),
  cycleMomentum: opt.bool,
  baseMomentum: opt.or(opt.number, opt.arrayOf(opt.number)),
  maxMomentum: opt.or(opt.number, opt.arrayOf(opt.number)),
  lastEpoch: opt.int,
});

/**
 * The rate cycles between `baseLr` and `maxLr` (a triangle, halved each cycle with
 * 'triangular2', or shrinking by gamma^iteration with 'exp_range'). PyTorch:
 * `torch.optim.lr_scheduler.CyclicLR`. Call `step()` after every batch.
 */
export class CyclicLR extends LRScheduler {
  readonly maxLrs: number[];
  readonly totalSize: number;
  readonly stepRatio: number;
  readonly mode: string;
  readonly gamma: number;
  readonly scaleMode: 'cycle' | 'iterations';
  readonly cycleMomentum: boolean;
  readonly baseMomentums: number[] = [];
  readonly maxMomentums: number[] = [];
  private readonly scaleFn: (x: number) => number;

  constructor(optimizer: AnyOptimizer, options: CyclicLROptions) {
    options = CYCLIC_LR_OPTIONS.parse(options);
    const lastEpoch = options.lastEpoch ?? -1;
    const baseLrs = perGroup('base_lr', optimizer, options.baseLr);
    const maxLrs = perGroup('max_lr', optimizer, options.maxLr);
    const up = options.stepSizeUp ?? 2000;
    const down = options.stepSizeDown ?? up;
    const mode = options.mode ?? 'triangular';
    const custom = options.scaleFn ?? null;
    if (!['triangular', 'triangular2', 'exp_range'].includes(mode) && custom === null) {
      throw new ValueError('mode is invalid and scale_fn is None');
    }
    const cycleMomentum = options.cycleMomentum ?? true;
    if (cycleMomentum && !hasMomentum(optimizer)) {
      throw new ValueError('optimizer must support momentum with `cycle_momentum` option enabled');
    }
    const baseMomentums = cycleMomentum ? perGroup('base_momentum', optimizer, options.baseMomentum ?? 0.8) : [];
    const maxMomentums = cycleMomentum ? perGroup('max_momentum', optimizer, options.maxMomentum ?? 0.9) : [];
    if (lastEpoch === -1) {
      groupsOf(optimizer).forEach((g, i) => {
        g.lr = baseLrs[i];
      });
      if (cycleMomentum) {
        groupsOf(optimizer).forEach((g, i) => {
          g.momentum = baseMomentums[i];
        });
      }
    }
    super(optimizer, lastEpoch);
    this.maxLrs = maxLrs;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = options.gamma ?? 1;
    if (custom !== null) {
      this.scaleFn = custom;
      this.scaleMode = options.scaleMode ?? 'cycle';
    } else if (mode === 'triangular') {
      this.scaleFn = () => 1;
      this.scaleMode = 'cycle';
    } else if (mode === 'triangular2') {
      this.scaleFn = (x) => 1 / 2 ** (x - 1);
      this.scaleMode = 'cycle';
    } else {
      this.scaleFn = (x) => this.gamma ** x;
      this.scaleMode = 'iterations';
    }
    this.cycleMomentum = cycleMomentum;
    if (cycleMomentum) {
      this.baseMomentums = groupsOf(optimizer).map((g) => g.momentum as number);
      this.maxMomentums = maxMomentums;
    }
    // PyTorch parity: the base rates are the given baseLr, not the groups' initial_lr.
    this.baseLrs = baseLrs;
    this.initialStep();
  }

  protected computeLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const arg = this.scaleMode === 'cycle' ? cycle : this.lastEpoch;
    const lrs = this.baseLrs.map((base, i) => base + (this.maxLrs[i] - base) * scaleFactor * this.scaleFn(arg));
    if (this.cycleMomentum) {
      const groups = groupsOf(this.optimizer);
      this.baseMomentums.forEach((bm, i) => {
        const mm = this.maxMomentums[i];
        groups[i].momentum = mm - (mm - bm) * scaleFactor * this.scaleFn(arg);
      });
    }
    return lrs;
  }

  protected hyper(): Record<string, number> {
    return { total_size: this.totalSize, step_ratio: this.stepRatio, gamma: this.gamma };
  }
  protected setHyper(): void {}
}
