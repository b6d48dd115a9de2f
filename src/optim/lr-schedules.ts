/**
 * More epoch-driven learning-rate schedules. PyTorch: `torch.optim.lr_scheduler.MultiStepLR`,
 * `ExponentialLR`, `LambdaLR`, `MultiplicativeLR`, `LinearLR`, `ConstantLR`, `PolynomialLR`,
 * `CosineAnnealingWarmRestarts`, `SequentialLR`, `ChainedScheduler` (1.13).
 *
 * Each follows PyTorch's chainable (recursive) `get_lr` in Python's order of evaluation, so the
 * sequence of rates is PyTorch's float for float (up to V8's `Math.cos`/`Math.pow`, which can
 * differ from glibc's by an ulp); `step(epoch)` uses PyTorch's closed forms where it has them.
 *
 *   const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 *   const decay = new ExponentialLR(opt, { gamma: 0.9 });
 *   const sched = new SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 */

import { ArgumentTypeError, IndexError, typeName, ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import type { SchedulerStateDict } from './lr-scheduler.js';
import { LRScheduler } from './lr-scheduler.js';
import type { BaseHyper, Optimizer } from './optimizer.js';
import { pyNum } from './optimizer.js';

type AnyOptimizer = Optimizer<BaseHyper>;

/** Python's `bisect_right`: how many of the sorted `xs` are ≤ x. */
function bisectRight(xs: readonly number[], x: number): number {
  let n = 0;
  while (n < xs.length && xs[n] <= x) n++;
  return n;
}

function checkFactor(v: number, what: string): void {
  if (v > 1.0 || v < 0) throw new ValueError(`${what} multiplicative factor expected to be between 0 and 1.`);
}

/** PyTorch: `MultiStepLR(optimizer, milestones, gamma=0.1, last_epoch=-1)`. */
export interface MultiStepLROptions {
  /** Epoch indices at which the rate is multiplied by gamma (repeats multiply again). */
  milestones: readonly number[];
  gamma?: number;
  lastEpoch?: number;
}
/** @internal The run-time check of `MultiStepLROptions` (src/options.ts). */
export const MULTI_STEP_LR_OPTIONS = defineOptions<MultiStepLROptions>('optim.lr_scheduler.MultiStepLR', {
  milestones: opt.required(opt.arrayOf(opt.int)),
  gamma: opt.number,
  lastEpoch: opt.int,
});

/**
 * Multiply every group's rate by `gamma` at each milestone epoch. PyTorch:
 * `torch.optim.lr_scheduler.MultiStepLR`. milestones [30, 80], lr 0.05: 0.05 until epoch 29,
 * 0.005 until 79, then 0.0005.
 */
export class MultiStepLR extends LRScheduler {
  /** Milestone → how many times it was listed (PyTorch's Counter). */
  milestones: Map<number, number>;
  gamma: number;
  constructor(optimizer: AnyOptimizer, options: MultiStepLROptions) {
    options = MULTI_STEP_LR_OPTIONS.parse(options);
    super(optimizer, options.lastEpoch ?? -1);
    this.milestones = new Map();
    for (const m of options.milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }
  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    const k = this.milestones.get(this.lastEpoch);
    if (k === undefined) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma ** k);
  }
  protected override closedFormLr(): number[] {
    const sorted = [...this.milestones].flatMap(([m, c]) => Array<number>(c).fill(m)).sort((a, b) => a - b);
    return this.baseLrs.map((base) => base * this.gamma ** bisectRight(sorted, this.lastEpoch));
  }
  protected hyper(): Record<string, number> {
    return { gamma: this.gamma };
  }
  protected setHyper(_key: string, value: number): void {
    this.gamma = value;
  }
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), milestones: [...this.milestones].flatMap(([m, c]) => Array<number>(c).fill(m)) };
  }
  override loadStateDict(state: SchedulerStateDict): void {
    super.loadStateDict(state);
    if (Array.isArray(state.milestones)) {
      this.milestones = new Map();
      for (const m of state.milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    }
  }
}

/** PyTorch: `ExponentialLR(optimizer, gamma, last_epoch=-1)`. */
export interface ExponentialLROptions {
  gamma: number;
  lastEpoch?: number;
}
/** @internal The run-time check of `ExponentialLROptions` (src/options.ts). */
export const EXPONENTIAL_LR_OPTIONS = defineOptions<ExponentialLROptions>('optim.lr_scheduler.ExponentialLR', {
  gamma: opt.required(opt.number),
  lastEpoch: opt.int,
});

/** Multiply every group's rate by `gamma` every epoch. PyTorch: `torch.optim.lr_scheduler.ExponentialLR`. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: AnyOptimizer, options: ExponentialLROptions) {
    options = EXPONENTIAL_LR_OPTIONS.parse(options);
    super(optimizer, options.lastEpoch ?? -1);
    this.gamma = options.gamma;
    this.initialStep();
  }
  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
  protected hyper(): Record<string, number> {
    return { gamma: this.gamma };
  }
  protected setHyper(_key: string, value: number): void {
    this.gamma = value;
  }
}

/** A function of the epoch index giving a factor, or one per param group. PyTorch: the `lr_lambda` argument of `torch.optim.lr_scheduler.LambdaLR`. */
export type LrLambda = ((epoch: number) => number) | readonly ((epoch: number) => number)[];

function lambdasFor(optimizer: AnyOptimizer, lrLambda: LrLambda): ((epoch: number) => number)[] {
  const n = optimizer.paramGroups.length;
  if (typeof lrLambda === 'function') return Array.from({ length: n }, () => lrLambda);
  if (!Array.isArray(lrLambda)) {
    throw new ArgumentTypeError(`lrLambda must be a function of the epoch or an array of them, got ${typeof lrLambda}`);
  }
  if (lrLambda.length !== n) throw new ValueError(`Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
  return [...lrLambda];
}

/** PyTorch: `LambdaLR(optimizer, lr_lambda, last_epoch=-1)`. */
export interface LambdaLROptions {
  lrLambda: LrLambda;
  lastEpoch?: number;
}
/** @internal The run-time check of `LambdaLROptions` (src/options.ts). */
export const LAMBDA_LR_OPTIONS = defineOptions<LambdaLROptions>('optim.lr_scheduler.LambdaLR', {
  lrLambda: opt.required(opt.or(opt.func, opt.arrayOf(opt.func))),
  lastEpoch: opt.int,
});

/**
 * Each group's rate is its initial rate times `lrLambda(epoch)`. PyTorch:
 * `torch.optim.lr_scheduler.LambdaLR`. A linear warm-up over 10 epochs:
 * `new LambdaLR(opt, { lrLambda: (e) => Math.min(1, (e + 1) / 10) })`.
 * PyTorch parity: the state dict holds no lambdas (PyTorch saves only callable objects' fields).
 */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];
  constructor(optimizer: AnyOptimizer, options: LambdaLROptions) {
    options = LAMBDA_LR_OPTIONS.parse(options);
    super(optimizer, options.lastEpoch ?? -1);
    this.lrLambdas = lambdasFor(optimizer, options.lrLambda);
    this.initialStep();
  }
  protected computeLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i](this.lastEpoch));
  }
  protected hyper(): Record<string, number> {
    return {};
  }
  protected setHyper(): void {}
}

/** PyTorch: `MultiplicativeLR(optimizer, lr_lambda, last_epoch=-1)`. */
export type MultiplicativeLROptions = LambdaLROptions;
/** @internal The run-time check of `MultiplicativeLROptions` (src/options.ts). */
export const MULTIPLICATIVE_LR_OPTIONS = defineOptions<MultiplicativeLROptions>('optim.lr_scheduler.MultiplicativeLR', LAMBDA_LR_OPTIONS.rules);

/**
 * Multiply each group's rate by `lrLambda(epoch)` every epoch after the first. PyTorch:
 * `torch.optim.lr_scheduler.MultiplicativeLR`.
 */
export class MultiplicativeLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];
  constructor(optimizer: AnyOptimizer, options: MultiplicativeLROptions) {
    options = MULTIPLICATIVE_LR_OPTIONS.parse(options);
    super(optimizer, options.lastEpoch ?? -1);
    this.lrLambdas = lambdasFor(optimizer, options.lrLambda);
    this.initialStep();
  }
  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch > 0) return groups.map((g, i) => g.lr * this.lrLambdas[i](this.lastEpoch));
    return groups.map((g) => g.lr);
  }
  protected hyper(): Record<string, number> {
    return {};
  }
  protected setHyper(): void {}
}

/** PyTorch: `LinearLR(optimizer, start_factor=1/3, end_factor=1.0, total_iters=5, last_epoch=-1)`. */
export interface LinearLROptions {
  startFactor?: number;
  endFactor?: number;
  totalIters?: number;
  lastEpoch?: number;
}
/** @internal The run-time check of `LinearLROptions` (src/options.ts). */
export const LINEAR_LR_OPTIONS = defineOptions<LinearLROptions>('optim.lr_scheduler.LinearLR', {
  startFactor: opt.number,
  endFactor: opt.number,
  totalIters: opt.int,
  lastEpoch: opt.int,
});

/**
 * The rate's factor goes linearly from `startFactor` to `endFactor` over `totalIters` epochs (a
 * warm-up with the defaults). PyTorch: `torch.optim.lr_scheduler.LinearLR`. lr 0.05,
 * startFactor 0.5, totalIters 4: 0.025, 0.03125, 0.0375, 0.04375, then 0.05.
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: AnyOptimizer, options: LinearLROptions = {}) {
    options = LINEAR_LR_OPTIONS.parse(options);
    const startFactor = options.startFactor ?? 1 / 3;
    const endFactor = options.endFactor ?? 1;
    checkFactor(startFactor, 'Starting');
    checkFactor(endFactor, 'Ending');
    super(optimizer, options.lastEpoch ?? -1);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }
  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    if (t === 0) return groups.map((g) => g.lr * s);
    if (t > n) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1 + (e - s) / (n * s + (t - 1) * (e - s))));
  }
  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    return this.baseLrs.map((base) => base * (s + ((e - s) * Math.min(n, t)) / n));
  }
  protected hyper(): Record<string, number> {
    return { start_factor: this.startFactor, end_factor: this.endFactor, total_iters: this.totalIters };
  }
  protected setHyper(key: string, value: number): void {
    if (key === 'start_factor') this.startFactor = value;
    else if (key === 'end_factor') this.endFactor = value;
    else this.totalIters = value;
  }
}

/** PyTorch: `ConstantLR(optimizer, factor=1/3, total_iters=5, last_epoch=-1)`. */
export interface ConstantLROptions {
  factor?: number;
  totalIters?: number;
  lastEpoch?: number;
}
/** @internal The run-time check of `ConstantLROptions` (src/options.ts). */
export const CONSTANT_LR_OPTIONS = defineOptions<ConstantLROptions>('optim.lr_scheduler.ConstantLR', {
  factor: opt.number,
  totalIters: opt.int,
  lastEpoch: opt.int,
});

/**
 * The rate times `factor` for the first `totalIters` epochs, then the rate itself. PyTorch:
 * `torch.optim.lr_scheduler.ConstantLR`.
 */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;
  constructor(optimizer: AnyOptimizer, options: ConstantLROptions = {}) {
    options = CONSTANT_LR_OPTIONS.parse(options);
    const factor = options.factor ?? 1 / 3;
    if (factor > 1.0 || factor < 0) throw new ValueError('Constant multiplicative factor expected to be between 0 and 1.');
    super(optimizer, options.lastEpoch ?? -1);
    this.factor = factor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }
  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * (1.0 / this.factor));
  }
  protected override closedFormLr(): number[] {
    const reached = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((base) => base * (this.factor + reached * (1 - this.factor)));
  }
  protected hyper(): Record<string, number> {
    return { factor: this.factor, total_iters: this.totalIters };
  }
  protected setHyper(key: string, value: number): void {
    if (key === 'factor') this.factor = value;
    else this.totalIters = value;
  }
}

/** PyTorch: `PolynomialLR(optimizer, total_iters=5, power=1.0, last_epoch=-1)`. */
export interface PolynomialLROptions {
  totalIters?: number;
  power?: number;
  lastEpoch?: number;
}
/** @internal The run-time check of `PolynomialLROptions` (src/options.ts). */
export const POLYNOMIAL_LR_OPTIONS = defineOptions<PolynomialLROptions>('optim.lr_scheduler.PolynomialLR', {
  totalIters: opt.int,
  power: opt.number,
  lastEpoch: opt.int,
});

/**
 * Decay each rate to 0 over `totalIters` epochs as (1 − t/totalIters)^power. PyTorch:
 * `torch.optim.lr_scheduler.PolynomialLR`.
 */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;
  constructor(optimizer: AnyOptimizer, options: PolynomialLROptions = {}) {
    options = POLYNOMIAL_LR_OPTIONS.parse(options);
    super(optimizer, options.lastEpoch ?? -1);
    this.totalIters = options.totalIters ?? 5;
    this.power = options.power ?? 1;
    this.initialStep();
  }
  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    const { totalIters: n, lastEpoch: t } = this;
    if (t === 0 || t > n) return groups.map((g) => g.lr);
    const decay = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** this.power;
    return groups.map((g) => g.lr * decay);
  }
  protected override closedFormLr(): number[] {
    const { totalIters: n, lastEpoch: t } = this;
    return this.baseLrs.map((base) => base * (1.0 - Math.min(n, t) / n) ** this.power);
  }
  protected hyper(): Record<string, number> {
    return { total_iters: this.totalIters, power: this.power };
  }
  protected setHyper(key: string, value: number): void {
    if (key === 'total_iters') this.totalIters = value;
    else this.power = value;
  }
}

/** PyTorch: `CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0, last_epoch=-1)`. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs until the first restart. */
  T0: number;
  /** Each period is this many times the one before (an integer ≥ 1). */
  TMult?: number;
  etaMin?: number;
  lastEpoch?: number;
}
/** @internal The run-time check of `CosineAnnealingWarmRestartsOptions` (src/options.ts). */
export const COSINE_ANNEALING_WARM_RESTARTS_OPTIONS = defineOptions<CosineAnnealingWarmRestartsOptions>('optim.lr_scheduler.CosineAnnealingWarmRestarts', {
  // T0 and TMult: numbers here; PyTorch's ValueError names a non-integer.
  T0: opt.required(opt.number),
  TMult: opt.number,
  etaMin: opt.number,
  lastEpoch: opt.int,
});

/**
 * Cosine annealing from each initial rate down to `etaMin` that restarts every period (SGDR).
 * PyTorch: `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`. `step()` advances one epoch;
 * `step(epoch)` takes a fractional epoch (call it per batch with `epoch + i / iters`).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  T0: number;
  /** The current period. PyTorch: `T_i`. */
  Ti: number;
  TMult: number;
  etaMin: number;
  /** Epochs since the last restart. PyTorch: `T_cur`. */
  TCur: number;
  constructor(optimizer: AnyOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    options = COSINE_ANNEALING_WARM_RESTARTS_OPTIONS.parse(options);
    const { T0 } = options;
    const TMult = options.TMult ?? 1;
    if (!(Number.isInteger(T0) && T0 > 0)) throw new ValueError(`Expected positive integer T_0, but got ${T0}`);
    if (!(Number.isInteger(TMult) && TMult >= 1)) throw new ValueError(`Expected integer T_mult >= 1, but got ${TMult}`);
    const lastEpoch = options.lastEpoch ?? -1;
    super(optimizer, lastEpoch);
    this.T0 = T0;
    this.Ti = T0;
    this.TMult = TMult;
    this.etaMin = options.etaMin ?? 0;
    this.TCur = lastEpoch;
    this.initialStep();
  }
  protected computeLr(): number[] {
    return this.baseLrs.map(
      (base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.TCur) / this.Ti))) / 2,
    );
  }
  override step(epoch?: number): void {
    let e = epoch;
    if (e === undefined && this.lastEpoch < 0) e = 0;
    if (e === undefined) {
      e = this.lastEpoch + 1;
      this.TCur += 1;
      if (this.TCur >= this.Ti) {
        this.TCur -= this.Ti;
        this.Ti *= this.TMult;
      }
    } else {
      if (e < 0) throw new ValueError(`Expected non-negative epoch, but got ${pyNum(e)}`);
      if (e >= this.T0) {
        if (this.TMult === 1) {
          this.TCur = e % this.T0;
        } else {
          const n = Math.trunc(Math.log((e / this.T0) * (this.TMult - 1) + 1) / Math.log(this.TMult));
          this.TCur = e - (this.T0 * (this.TMult ** n - 1)) / (this.TMult - 1);
          this.Ti = this.T0 * this.TMult ** n;
        }
      } else {
        this.Ti = this.T0;
        this.TCur = e;
      }
    }
    this.lastEpoch = Math.floor(e);
    // PyTorch parity: this override does not count steps (its state dict keeps _step_count 0).
    const values = this.computeLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
  protected hyper(): Record<string, number> {
    return { T_0: this.T0, T_i: this.Ti, T_mult: this.TMult, eta_min: this.etaMin, T_cur: this.TCur };
  }
  protected setHyper(key: string, value: number): void {
    if (key === 'T_0') this.T0 = value;
    else if (key === 'T_i') this.Ti = value;
    else if (key === 'T_mult') this.TMult = value;
    else if (key === 'eta_min') this.etaMin = value;
    else this.TCur = value;
  }
}

/** A scheduler SequentialLR and ChainedScheduler can drive. PyTorch: `torch.optim.lr_scheduler.LRScheduler`. */
export type ChainableScheduler = LRScheduler;

/** PyTorch: `SequentialLR(optimizer, schedulers, milestones, last_epoch=-1)`. */
export interface SequentialLROptions {
  schedulers: readonly ChainableScheduler[];
  /** The epochs at which the next scheduler takes over: one fewer than schedulers. */
  milestones: readonly number[];
  lastEpoch?: number;
}
/** @internal The run-time check of `SequentialLROptions` (src/options.ts). */
export const SEQUENTIAL_LR_OPTIONS = defineOptions<SequentialLROptions>('optim.lr_scheduler.SequentialLR', {
  schedulers: opt.required(opt.arrayOf(opt.named('LRScheduler', (v) => v instanceof LRScheduler))),
  milestones: opt.required(opt.arrayOf(opt.int)),
  lastEpoch: opt.int,
});

/**
 * Schedulers one after another: `schedulers[i]` runs from `milestones[i-1]` on, restarted at its
 * own epoch 0. PyTorch: `torch.optim.lr_scheduler.SequentialLR`. A 5-epoch warm-up then decay:
 *
 *   new SequentialLR(opt, { schedulers: [new LinearLR(opt, { totalIters: 5 }), new ExponentialLR(opt, { gamma: 0.9 })], milestones: [5] })
 */
export class SequentialLR {
  readonly optimizer: AnyOptimizer;
  readonly schedulers: readonly ChainableScheduler[];
  readonly milestones: readonly number[];
  lastEpoch: number;
  private lastLr: number[];
  constructor(optimizer: AnyOptimizer, options: SequentialLROptions) {
    options = SEQUENTIAL_LR_OPTIONS.parse(options);
    const { schedulers, milestones } = options;
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new ValueError(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new ValueError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    }
    this.optimizer = optimizer;
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = (options.lastEpoch ?? -1) + 1;
    // Undo the initial steps the schedulers made when built, then start the first one again.
    for (const g of optimizer.paramGroups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }
  /** PyTorch: `step()`. */
  step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }
  /** PyTorch: `get_last_lr()`. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }
  /** PyTorch: `state_dict()`, with each scheduler's state under `_schedulers`. */
  stateDict(): { last_epoch: number; _milestones: number[]; _last_lr: number[]; _schedulers: SchedulerStateDict[] } {
    return {
      last_epoch: this.lastEpoch,
      _milestones: [...this.milestones],
      _last_lr: [...this.lastLr],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }
  /** PyTorch: `load_state_dict(state_dict)`. */
  loadStateDict(state: { last_epoch?: number; _last_lr?: number[]; _schedulers?: SchedulerStateDict[] }): void {
    if (typeof state.last_epoch === 'number') this.lastEpoch = state.last_epoch;
    if (Array.isArray(state._last_lr)) this.lastLr = [...state._last_lr];
    state._schedulers?.forEach((s, i) => {
      this.schedulers[i]?.loadStateDict(s);
    });
  }
}

/**
 * Several schedulers stepped together, each applying its change to the rate in turn. PyTorch:
 * `torch.optim.lr_scheduler.ChainedScheduler(schedulers)`.
 */
export class ChainedScheduler {
  readonly optimizer: AnyOptimizer;
  readonly schedulers: readonly ChainableScheduler[];
  private lastLr: number[];
  constructor(schedulers: readonly ChainableScheduler[]) {
    if (!Array.isArray(schedulers) || schedulers.some((s) => !(s instanceof LRScheduler))) {
      throw new ArgumentTypeError(
        `ChainedScheduler(): argument 'schedulers' (position 1) must be an array of schedulers, not ${typeName(Array.isArray(schedulers) ? schedulers.find((s) => !(s instanceof LRScheduler)) : schedulers)}`,
      );
    }
    if (schedulers.length === 0) throw new IndexError('ChainedScheduler expects a non-empty array of schedulers');
    for (let i = 1; i < schedulers.length; i++) {
      if (schedulers[i].optimizer !== schedulers[0].optimizer) {
        throw new ValueError(
          `ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and ${i} to be different`,
        );
      }
    }
    this.schedulers = [...schedulers];
    this.optimizer = schedulers[0].optimizer;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
  /** PyTorch: `step()`: steps every scheduler in order. */
  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
  /** PyTorch: `get_last_lr()`. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }
  /** PyTorch: `state_dict()`. */
  stateDict(): { _last_lr: number[]; _schedulers: SchedulerStateDict[] } {
    return { _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }
  /** PyTorch: `load_state_dict(state_dict)`. */
  loadStateDict(state: { _last_lr?: number[]; _schedulers?: SchedulerStateDict[] }): void {
    if (Array.isArray(state._last_lr)) this.lastLr = [...state._last_lr];
    state._schedulers?.forEach((s, i) => {
      this.schedulers[i]?.loadStateDict(s);
    });
  }
}
