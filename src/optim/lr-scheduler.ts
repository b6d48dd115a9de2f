/**
 * Learning-rate schedulers. PyTorch: `torch.optim.lr_scheduler`.
 *
 * Call `scheduler.step()` once per epoch after `optimizer.step()`; the scheduler writes the new
 * rate into every param group's `lr`. The rates follow PyTorch 1.13's formulas exactly,
 * including its recursive (chainable) forms, so the sequence of `getLastLr()` values is the same
 * float for float.
 *
 *   const sched = new torch.optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 });
 *   for (let epoch = 0; epoch < 100; epoch++) { train(); sched.step(); }
 */

import { checkNumber } from '../tensor/args.js';
import { ArgumentTypeError, typeName, ValueError } from '../errors.js';
import { defineOptions, opt } from '../options.js';
import { Tensor } from '../tensor/tensor.js';
import type { BaseHyper, ParamGroup } from './optimizer.js';
import { keyError, Optimizer } from './optimizer.js';

type AnyOptimizer = Optimizer<BaseHyper>;

function checkOptimizer(optimizer: unknown): asserts optimizer is AnyOptimizer {
  if (!(optimizer instanceof Optimizer)) {
    const name = optimizer === null ? 'NoneType' : typeof optimizer === 'object' ? optimizer.constructor.name : typeof optimizer;
    throw new ArgumentTypeError(`${name} is not an Optimizer`);
  }
}

/** A scheduler's state as plain data with PyTorch's keys (`last_epoch`, `base_lrs`, `_step_count`, ...). */
export type SchedulerStateDict = Record<string, number | string | boolean | number[]>;

/**
 * Base of the epoch-driven schedulers. PyTorch: `torch.optim.lr_scheduler._LRScheduler`.
 * Subclasses set their fields, then call `initialStep()` at the end of their constructor (PyTorch
 * sets them before calling the base constructor, which TypeScript's field order does not allow).
 */
export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** The rates the schedule starts from (each group's `initial_lr`). PyTorch: `base_lrs`. */
  baseLrs: number[];
  /** The index of the last epoch stepped; -1 before the first. PyTorch: `last_epoch`. */
  lastEpoch: number;
  /** PyTorch: `_step_count`. */
  protected stepCount = 0;
  protected lastLr: number[] = [];

  /** @param lastEpoch -1 to start fresh; otherwise resume (every group must have `initialLr`). */
  protected constructor(optimizer: AnyOptimizer, lastEpoch = -1) {
    checkOptimizer(optimizer);
    this.optimizer = optimizer;
    const groups: ParamGroup<BaseHyper>[] = optimizer.paramGroups;
    if (lastEpoch === -1) {
      for (const g of groups) g.initialLr ??= g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw keyError(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /**
   * PyTorch: `_initial_step()`: the step made by the constructor (sets epoch 0's rates).
   * @internal Also called by SequentialLR on its first scheduler.
   */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The rates for `lastEpoch`, from the current ones (PyTorch's chainable `get_lr`). */
  protected abstract computeLr(): number[];

  /** The scheduler's own hyper-parameters with PyTorch's keys, for `stateDict`. */
  protected abstract hyper(): Record<string, number>;
  protected abstract setHyper(key: string, value: number): void;

  /**
   * PyTorch's `_get_closed_form_lr`: the rates at `lastEpoch` straight from the base rates, used by
   * `step(epoch)`; undefined where PyTorch has none (then the recursive form is used).
   */
  protected closedFormLr(): number[] | undefined {
    return undefined;
  }

  /**
   * Advance one epoch and write the new rates into the optimiser. PyTorch: `scheduler.step()`.
   * `step(epoch)` jumps to that epoch (PyTorch's deprecated form, which SequentialLR uses).
   */
  step(epoch?: number): void {
    if (epoch !== undefined) checkNumber(epoch, 'step', 'epoch', 1, true);
    this.stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.computeLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.computeLr();
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The rates set by the last `step()`, one per group. PyTorch: `get_last_lr()`. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** PyTorch: `state_dict()` (the scheduler's fields except the optimiser). */
  stateDict(): SchedulerStateDict {
    return {
      ...this.hyper(),
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      _step_count: this.stepCount,
      _last_lr: [...this.lastLr],
    };
  }

  /** PyTorch: `load_state_dict(state_dict)`. Unknown keys (PyTorch's `verbose`, ...) are ignored. */
  loadStateDict(state: SchedulerStateDict): void {
    const own = this.hyper();
    for (const [k, v] of Object.entries(state)) {
      if (k === 'base_lrs' && Array.isArray(v)) this.baseLrs = [...v];
      else if (k === 'last_epoch' && typeof v === 'number') this.lastEpoch = v;
      else if (k === '_step_count' && typeof v === 'number') this.stepCount = v;
      else if (k === '_last_lr' && Array.isArray(v)) this.lastLr = [...v];
      else if (k in own && typeof v === 'number') this.setHyper(k, v);
    }
  }
}

/** PyTorch: `StepLR(optimizer, step_size, gamma=0.1, last_epoch=-1)`. */
export interface StepLROptions {
  stepSize: number;
  gamma?: number;
  lastEpoch?: number;
}
/** @internal Run-time check of `StepLROptions` (src/options.ts). */
export const STEP_LR_OPTIONS = defineOptions<StepLROptions>('optim.lr_scheduler.StepLR', {
  stepSize: opt.required(opt.int),
  gamma: opt.number,
  lastEpoch: opt.int,
});

/**
 * Multiply every group's rate by `gamma` each `stepSize` epochs. PyTorch:
 * `torch.optim.lr_scheduler.StepLR`. With lr 0.05, stepSize 30, gamma 0.1: epochs 0–29 use
 * 0.05, 30–59 use 0.005, ...
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: AnyOptimizer, options: StepLROptions) {
    options = STEP_LR_OPTIONS.parse(options);
    super(optimizer, options.lastEpoch ?? -1);
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }
  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }
  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
  protected hyper(): Record<string, number> {
    return { step_size: this.stepSize, gamma: this.gamma };
  }
  protected setHyper(key: string, value: number): void {
    if (key === 'step_size') this.stepSize = value;
    else this.gamma = value;
  }
}

/** PyTorch: `CosineAnnealingLR(optimizer, T_max, eta_min=0, last_epoch=-1)`. */
export interface CosineAnnealingLROptions {
  TMax: number;
  etaMin?: number;
  lastEpoch?: number;
}
/** @internal Run-time check of `CosineAnnealingLROptions` (src/options.ts). */
export const COSINE_ANNEALING_LR_OPTIONS = defineOptions<CosineAnnealingLROptions>('optim.lr_scheduler.CosineAnnealingLR', {
  TMax: opt.required(opt.number),
  etaMin: opt.number,
  lastEpoch: opt.int,
});

/**
 * Cosine annealing from each group's initial rate down to `etaMin` over `TMax` epochs (and back
 * up over the next `TMax`, as PyTorch's schedule continues). PyTorch:
 * `torch.optim.lr_scheduler.CosineAnnealingLR`, with its recursive form:
 *   ηₜ = (1 + cos(π t/T)) / (1 + cos(π (t−1)/T)) · (ηₜ₋₁ − η_min) + η_min
 */
export class CosineAnnealingLR extends LRScheduler {
  TMax: number;
  etaMin: number;
  constructor(optimizer: AnyOptimizer, options: CosineAnnealingLROptions) {
    options = COSINE_ANNEALING_LR_OPTIONS.parse(options);
    super(optimizer, options.lastEpoch ?? -1);
    this.TMax = options.TMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }
  protected computeLr(): number[] {
    const groups = this.optimizer.paramGroups;
    const { lastEpoch: t, TMax: T, etaMin } = this;
    if (t === 0) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && t > 0) {
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    }
    if (pyMod(t - 1 - T, 2 * T) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return groups.map(
      (g) => ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (g.lr - etaMin) + etaMin,
    );
  }
  protected override closedFormLr(): number[] {
    const { lastEpoch: t, TMax: T, etaMin } = this;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }
  protected hyper(): Record<string, number> {
    return { T_max: this.TMax, eta_min: this.etaMin };
  }
  protected setHyper(key: string, value: number): void {
    if (key === 'T_max') this.TMax = value;
    else this.etaMin = value;
  }
}

/** Python's `%` (the result takes the divisor's sign). No PyTorch twin. */
export function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** PyTorch: `ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10, threshold=1e-4, threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8)`. */
export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  /** One floor for all groups, or one per group. */
  minLr?: number | readonly number[];
  eps?: number;
}
/** Run-time check of `ReduceLROnPlateauOptions` (src/options.ts); values are checked with PyTorch's ValueErrors. */
export const REDUCE_LR_ON_PLATEAU_OPTIONS = defineOptions<ReduceLROnPlateauOptions>('optim.lr_scheduler.ReduceLROnPlateau', {
  mode: opt.string,
  factor: opt.number,
  patience: opt.int,
  threshold: opt.number,
  thresholdMode: opt.string,
  cooldown: opt.int,
  minLr: opt.or(opt.number, opt.arrayOf(opt.number)),
  eps: opt.number,
});

/**
 * Cut the rate by `factor` when a metric stops improving for more than `patience` epochs.
 * PyTorch: `torch.optim.lr_scheduler.ReduceLROnPlateau`. Call `step(metric)` once per epoch with
 * the validation loss (mode 'min') or score (mode 'max').
 */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  factor: number;
  minLrs: number[];
  patience: number;
  cooldown: number;
  mode: 'min' | 'max';
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  eps: number;
  /** The best metric so far (±Infinity before the first). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: AnyOptimizer, options: ReduceLROnPlateauOptions = {}) {
    options = REDUCE_LR_ON_PLATEAU_OPTIONS.parse(options);
    const factor = options.factor ?? 0.1;
    if (factor >= 1) throw new ValueError('Factor should be < 1.0.');
    checkOptimizer(optimizer);
    const minLr = options.minLr ?? 0;
    if (typeof minLr !== 'number' && minLr.length !== optimizer.paramGroups.length) {
      throw new ValueError(`expected ${optimizer.paramGroups.length} min_lrs, got ${minLr.length}`);
    }
    const mode = options.mode ?? 'min';
    const thresholdMode = options.thresholdMode ?? 'rel';
    if (mode !== 'min' && mode !== 'max') throw new ValueError(`mode ${String(mode)} is unknown!`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new ValueError(`threshold mode ${String(thresholdMode)} is unknown!`);
    }
    this.optimizer = optimizer;
    this.factor = factor;
    this.minLrs = typeof minLr === 'number' ? optimizer.paramGroups.map(() => minLr) : [...minLr];
    this.patience = options.patience ?? 10;
    this.cooldown = options.cooldown ?? 0;
    this.mode = mode;
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = thresholdMode;
    this.eps = options.eps ?? 1e-8;
    this.best = this.modeWorse();
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private modeWorse(): number {
    return this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  /** Whether `a` improves on `best` by more than the threshold. PyTorch: `is_better`. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') {
      return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    }
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** PyTorch: `in_cooldown`. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Record one epoch's metric (a number or a one-element tensor). PyTorch: `step(metrics)`. */
  step(metric: number | Tensor): void {
    if (!(metric instanceof Tensor) && typeof metric !== 'number') {
      throw new ArgumentTypeError(
        `ReduceLROnPlateau.step(): argument 'metrics' (position 1) must be a number or a one-element Tensor (the validation loss), not ${typeName(metric)}`,
      );
    }
    const current = metric instanceof Tensor ? metric.item() : metric;
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  /**
   * The rates after the last `step(metric)` (the optimiser's rates before the first).
   * PyTorch parity: 1.13's ReduceLROnPlateau has `_last_lr` but no `get_last_lr()` (added in 2.2).
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** PyTorch: `state_dict()` with PyTorch's keys. */
  stateDict(): SchedulerStateDict {
    return {
      factor: this.factor,
      min_lrs: [...this.minLrs],
      patience: this.patience,
      cooldown: this.cooldown,
      cooldown_counter: this.cooldownCounter,
      mode: this.mode,
      threshold: this.threshold,
      threshold_mode: this.thresholdMode,
      best: this.best,
      num_bad_epochs: this.numBadEpochs,
      mode_worse: this.modeWorse(),
      eps: this.eps,
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
    };
  }

  /** PyTorch: `load_state_dict(state_dict)`. */
  loadStateDict(state: SchedulerStateDict): void {
    const num = (k: string, fallback: number): number => (typeof state[k] === 'number' ? (state[k] as number) : fallback);
    const mode = state.mode ?? this.mode;
    const thresholdMode = state.threshold_mode ?? this.thresholdMode;
    if (mode !== 'min' && mode !== 'max') throw new ValueError(`mode ${String(mode)} is unknown!`);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
      throw new ValueError(`threshold mode ${String(thresholdMode)} is unknown!`);
    }
    this.mode = mode;
    this.thresholdMode = thresholdMode;
    this.factor = num('factor', this.factor);
    if (Array.isArray(state.min_lrs)) this.minLrs = [...state.min_lrs];
    this.patience = num('patience', this.patience);
    this.cooldown = num('cooldown', this.cooldown);
    this.cooldownCounter = num('cooldown_counter', this.cooldownCounter);
    this.threshold = num('threshold', this.threshold);
    this.best = num('best', this.best);
    this.numBadEpochs = num('num_bad_epochs', this.numBadEpochs);
    this.eps = num('eps', this.eps);
    this.lastEpoch = num('last_epoch', this.lastEpoch);
    if (Array.isArray(state._last_lr)) this.lastLr = [...state._last_lr];
  }
}
