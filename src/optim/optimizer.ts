/**
 * Base class of the optimisers. PyTorch: `torch.optim.Optimizer`.
 *
 * An optimiser holds parameter groups (each a list of tensors plus its own hyper-parameters, so
 * `paramGroups[0].lr = 0.01` changes the learning rate as in PyTorch) and a per-parameter state
 * (`exp_avg`, `momentum_buffer`, ...). Options are camelCase (`weightDecay`); the state dict uses
 * PyTorch's spelling (`weight_decay`, `exp_avg_sq`) because it is data.
 */

import { defineOptions, opt } from '../options.js';
import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { ArgumentTypeError, DTypeError, RuntimeError, TorchletError, typeName, ValueError } from '../errors.js';
import { isFloat, tensorTypeName } from '../tensor/dtype.js';
import { shapeEq } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { inspectCustom } from '../tensor/inspect.js';

/** One value of an optimiser's per-parameter state: a tensor, a step count, or PyTorch's None. */
export type OptimStateValue = Tensor | number | null;

/** Per-parameter state, keyed with PyTorch's names (`step`, `exp_avg`, `momentum_buffer`, ...). */
export type ParamState = Record<string, OptimStateValue>;

/** A hyper-parameter value as it appears in a param group. PyTorch: a value of `optimizer.param_groups[i]`. */
export type HyperValue = number | boolean | null | string | readonly number[];

/** Hyper-parameters every optimiser has. PyTorch: the `defaults` of `torch.optim.Optimizer`. */
export interface BaseHyper {
  lr: number;
}

/**
 * A parameter group: its tensors and its hyper-parameters. PyTorch: an entry of
 * `optimizer.param_groups`. `initialLr` is set by learning-rate schedulers (`initial_lr`).
 */
export type ParamGroup<H extends BaseHyper> = H & { params: Tensor[]; initialLr?: number };

/** What the constructor accepts for one group: tensors plus any hyper-parameters to override. PyTorch: a dict in `torch.optim.Optimizer(params=[{...}])`. */
export type ParamGroupInput<H extends BaseHyper> = Partial<H> & { params: Iterable<Tensor> | Tensor };

/** The `params` argument: tensors (one group) or PyTorch-style groups `[{ params, lr }, ...]`. */
export type ParamsInput<H extends BaseHyper> = Iterable<Tensor> | Iterable<ParamGroupInput<H>>;

/**
 * The optimiser's state as plain data, in PyTorch's structure:
 * `{ state: { 0: { step, exp_avg, ... } }, param_groups: [{ lr, betas, ..., params: [0, 1] }] }`.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: Array<{ params: number[]; [key: string]: HyperValue }>;
}

/** camelCase option name to PyTorch's snake_case key: `weightDecay` → `weight_decay`. */
export function toSnake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** PyTorch's snake_case key to the camelCase option name: `initial_lr` → `initialLr`. */
export function toCamel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A number as Python prints it in PyTorch's messages: integers as given, other values in
 * Python's repr (`0.1`, `1e-08`, `inf`).
 */
export function pyNum(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v)) return String(v);
  const [mantissa, e] = v.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}


/** Options of `Optimizer.zeroGrad`. PyTorch: the `set_to_none` argument of `zero_grad`. */
export interface OptimizerZeroGradOptions {
  /** Drop the gradients (true, the default) or fill them with zeros in place (false). */
  setToNone?: boolean;
}
/** @internal The run-time check of `OptimizerZeroGradOptions` (src/options.ts). */
export const OPTIMIZER_ZERO_GRAD_OPTIONS = defineOptions<OptimizerZeroGradOptions>('optim.Optimizer.zeroGrad', { setToNone: opt.bool });

/**
 * Base class of the optimisers. PyTorch: `torch.optim.Optimizer`. Subclasses supply the
 * hyper-parameter checks and the per-group update; this class holds the groups and the state,
 * and implements `zeroGrad`, `step`, `stateDict`, `loadStateDict` and `addParamGroup`.
 */
export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  /** Hyper-parameters used where a group gives none. PyTorch: `optimizer.defaults`. */
  readonly defaults: Readonly<H>;
  /** PyTorch: `optimizer.param_groups`. Edit `lr` here (schedulers do). */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created lazily on the first step that sees a gradient. PyTorch: `optimizer.state`. */
  readonly state = new Map<Tensor, ParamState>();

  /**
   * @param params tensors, or groups `[{ params, lr, ... }]`
   * @param defaults the resolved default hyper-parameters; `lr` may be NaN for "required" (SGD)
   */
  protected constructor(params: ParamsInput<H>, defaults: H) {
    if (params instanceof Tensor) {
      throw new ArgumentTypeError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${tensorTypeName(params.dtype)}. Pass model.parameters() or [tensor].`,
      );
    }
    if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
      throw new ArgumentTypeError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${typeName(params)}. Pass model.parameters().`,
      );
    }
    this.defaults = Object.freeze({ ...defaults });
    const items: Array<Tensor | ParamGroupInput<H>> = [...params];
    if (items.length === 0) {
      throw new ValueError(
        'optimizer got an empty parameter list. Did the model register its parameters (registerParameter / registerModule)?',
      );
    }
    const groups: ParamGroupInput<H>[] =
      items[0] instanceof Tensor
        ? [Object.assign({} as Partial<H>, { params: items as Tensor[] })]
        : (items as ParamGroupInput<H>[]);
    // Build every group before keeping any, so a bad group leaves the optimiser unmade rather than half made.
    const built: ParamGroup<H>[] = [];
    for (const g of groups) built.push(this.buildGroup(g, built));
    this.paramGroups.push(...built);
  }

  /** Check the hyper-parameters of a group (after defaults are filled in); throw PyTorch's ValueError. */
  protected abstract validate(h: H): void;

  /** PyTorch: `add_param_group(param_group)`. */
  addParamGroup(group: ParamGroupInput<H>): void {
    this.paramGroups.push(this.buildGroup(group, this.paramGroups));
  }

  private buildGroup(group: ParamGroupInput<H>, existing: readonly ParamGroup<H>[]): ParamGroup<H> {
    if (group === null || typeof group !== 'object' || !('params' in group)) {
      throw new ArgumentTypeError('param group must be a dict');
    }
    const raw = group.params;
    if (raw instanceof Set) {
      throw new ArgumentTypeError(
        'optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.');
    }
    const params: Tensor[] = raw instanceof Tensor ? [raw] : [...raw];
    for (const p of params) {
      if (!(p instanceof Tensor)) {
        throw new ArgumentTypeError(`optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      }
      if (!p.isLeaf) throw new ValueError("can't optimize a non-leaf Tensor");
      if (!isFloat(p.dtype)) {
        throw new DTypeError(`optimizer can only optimize floating point Tensors, but one of the params is torch.${p.dtype}`);
      }
    }
    const h = { ...this.defaults } as H;
    for (const [k, v] of Object.entries(group)) {
      if (k !== 'params' && v !== undefined) (h as Record<string, unknown>)[k] = v;
    }
    if (Number.isNaN(h.lr)) {
      throw new ValueError("parameter group didn't specify a value of required optimization parameter lr");
    }
    this.validate(h);
    const seen = new Set<Tensor>();
    for (const g of existing) for (const p of g.params) seen.add(p);
    if (params.some((p) => seen.has(p))) {
      throw new ValueError('some parameters appear in more than one parameter group');
    }
    return Object.assign(h, { params }) as ParamGroup<H>;
  }

  /**
   * PyTorch: `zero_grad(set_to_none)`, as `zeroGrad(false)` or `zeroGrad({ setToNone: false })`
   * (the options form `Module.zeroGrad` takes). Default `true` drops the gradients (the default
   * from PyTorch 2.0 on; 1.13 defaulted to filling them with zeros in place, which `false` does
   * here: the same tensors stay, and the next backward adds into them).
   */
  zeroGrad(options: boolean | OptimizerZeroGradOptions = {}): void {
    const setToNone = typeof options === 'boolean' ? options : (OPTIMIZER_ZERO_GRAD_OPTIONS.parse(options).setToNone ?? true);
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else p.grad.copy_(new Float64Array(p.grad.numel()));
      }
    }
  }

  /**
   * One update of every parameter that has a gradient (parameters whose `grad` is null are
   * skipped, as in PyTorch). `closure` re-evaluates the model and returns the loss.
   * PyTorch: `optimizer.step(closure=None)`.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    if (closure !== undefined && closure !== null && typeof closure !== 'function') {
      throw new ArgumentTypeError(`step(): argument 'closure' must be a function returning the loss, not ${typeName(closure)}`);
    }
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) this.updateGroup(group);
    });
    return loss;
  }

  /** Update the parameters of one group in place. */
  protected abstract updateGroup(group: ParamGroup<H>): void;

  /** The state of `p`, created empty on first use. */
  protected stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (s === undefined) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /**
   * PyTorch: `state_dict()`. Parameters are numbered across groups in order; hyper-parameters
   * use PyTorch's keys. PyTorch parity: tensors are copies (PyTorch hands out the live state
   * tensors, which later steps would overwrite in a saved snapshot).
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const packed: { params: number[]; [key: string]: HyperValue } = { params: [] };
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params' || v === undefined) continue;
        packed[toSnake(k)] = Array.isArray(v) ? [...(v as number[])] : (v as HyperValue);
      }
      packed.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p)!;
      });
      return packed;
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? v.detach().clone() : v;
      state[i] = copy;
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * PyTorch: `load_state_dict(state_dict)`. Restores hyper-parameters and state (copied; tensors
   * cast to the parameter's dtype except `step`). Everything is checked before anything changes.
   * Keys this optimiser does not know (PyTorch's `foreach`, `capturable`, ...) are ignored.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    if (stateDict === null || typeof stateDict !== 'object' || !Array.isArray(stateDict.param_groups) || typeof stateDict.state !== 'object') {
      throw new ArgumentTypeError(
        `loadStateDict(): expected an optimizer state dict { state, param_groups } (from optimizer.stateDict()), not ${typeName(stateDict)}`,
      );
    }
    const saved = stateDict.param_groups;
    if (this.paramGroups.length !== saved.length) {
      throw new ValueError('loaded state dict has a different number of parameter groups');
    }
    if (this.paramGroups.some((g, i) => g.params.length !== saved[i].params.length)) {
      throw new ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
    }
    const idMap = new Map<number, Tensor>();
    saved.forEach((g, gi) => {
      g.params.forEach((id, pi) => {
        idMap.set(id, this.paramGroups[gi].params[pi]);
      });
    });
    const newState = new Map<Tensor, ParamState>();
    for (const [key, s] of Object.entries(stateDict.state)) {
      const p = idMap.get(Number(key));
      if (p === undefined) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) {
        if (v instanceof Tensor) {
          // PyTorch parity: PyTorch does not check these shapes and fails later inside step().
          if (k !== 'step' && !shapeEq(v.shape, p.shape)) {
            throw new RuntimeError(
              `loaded optimizer state "${k}" of parameter ${key} has shape [${v.shape.join(', ')}], but the parameter has shape [${p.shape.join(', ')}]`,
            );
          }
          copy[k] = k === 'step' ? v.detach().clone() : v.detach().to(p.dtype).clone();
        } else {
          copy[k] = v;
        }
      }
      newState.set(p, copy);
    }
    const newHypers = saved.map((g, gi) => {
      const h: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        const name = toCamel(k);
        if (name in this.defaults || name === 'initialLr') h[name] = Array.isArray(v) ? [...v] : v;
      }
      const merged = { ...this.paramGroups[gi], ...h } as ParamGroup<H>;
      this.validate(merged);
      return h;
    });
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
    newHypers.forEach((h, gi) => {
      Object.assign(this.paramGroups[gi], h);
    });
  }

  /** PyTorch's repr: `SGD (\nParameter Group 0\n    dampening: 0\n ...)`. */
  toString(): string {
    let out = `${this.constructor.name} (`;
    this.paramGroups.forEach((g, i) => {
      out += `\nParameter Group ${i}\n`;
      const entries = Object.entries(g)
        .filter(([k]) => k !== 'params')
        .map(([k, v]) => [toSnake(k), v] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [snake, v] of entries) out += `    ${snake}: ${fmtHyper(v)}\n`;
    });
    return `${out})`;
  }
  /** `console.log` / `util.inspect` in Node print the same PyTorch text as `toString()`. */
  [inspectCustom](): string {
    return this.toString();
  }
}

function fmtHyper(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `(${v.map((x) => fmtHyper(x)).join(', ')})`;
  return String(v);
}

/** A `KeyError` as PyTorch raises it (missing dictionary key). */
export function keyError(message: string): TorchletError {
  return new TorchletError(message, 'KeyError');
}

/** A float32-or-float64 rounding function: PyTorch computes float32 updates in float32. */
export function rounder(t: Tensor): (x: number) => number {
  return t.dtype === 'float32' ? Math.fround : (x: number) => x;
}

/**
 * Run `fn` on a live flat view of `p`'s values and write back if `p` is not contiguous.
 * Optimisers update parameters in place, as PyTorch's `param.add_(...)` does.
 */
export function updateInPlace(p: Tensor, fn: (values: Float32Array | Float64Array) => void): void {
  if (!isFloat(p.dtype)) throw new DTypeError('optimizer can only optimize floating point Tensors');
  const n = p.numel();
  if (p.isContiguous()) {
    p._bumpVersion();
    fn(p.storage.subarray(p.offset, p.offset + n) as Float32Array | Float64Array);
    return;
  }
  const copy = p.contiguousData().slice() as Float32Array | Float64Array;
  fn(copy);
  p.copy_(copy);
}

/** A gradient's values as a flat array in row-major order, of the parameter's dtype. */
export function gradValues(p: Tensor): Float32Array | Float64Array {
  const g = p.grad!;
  if (!shapeEq(g.shape, p.shape)) {
    throw new RuntimeError(
      `the gradient of a parameter has shape [${g.shape.join(', ')}] but the parameter has shape [${p.shape.join(', ')}]`,
    );
  }
  const data = (g.dtype === p.dtype ? g : g.to(p.dtype)).contiguousData();
  return data as Float32Array | Float64Array;
}

/** A fresh zero state tensor shaped like `p`. PyTorch: `torch.zeros_like(p)`. */
export function zerosState(p: Tensor): Tensor {
  return Tensor.empty(p.shape, p.dtype);
}

/** The flat values of a state tensor (contiguous, created by the optimiser or loaded as a copy). */
export function stateValues(t: OptimStateValue | undefined, name: string): Float32Array | Float64Array {
  if (!(t instanceof Tensor)) throw new RuntimeError(`optimizer state "${name}" is missing or not a tensor`);
  return t.storage.subarray(t.offset, t.offset + t.numel()) as Float32Array | Float64Array;
}
