/**
 * Base class of every layer. PyTorch: `torch.nn.Module`.
 *
 * Assigning a Module or a Parameter to a property registers it under the property's name, in
 * assignment order, as PyTorch's `__setattr__` does (class fields too):
 *
 * ```ts
 * class Net extends nn.Module {
 *   lstm = new nn.LSTM(3, 5);       // registered as 'lstm'
 *   head = new nn.Linear(5, 1);     // registered as 'head'
 *   forward(x: Tensor) { return this.head.forward(this.lstm.forward(x)[0]); }
 * }
 * ```
 *
 * Reassigning a registered name replaces it in place (order kept), assigning `null` clears it
 * (the name stays, as PyTorch's `None`), `delete` removes it. Parameters in plain arrays are not
 * registered (use `ModuleList` / `ParameterList`). `registerModule` / `registerParameter` /
 * `registerBuffer` register under an explicit name (a PyTorch key that is not a JS-style name,
 * such as `running_mean`); an object registered that way is not registered a second time when it
 * is also assigned to a property (`this.runningMean = this.registerBuffer('running_mean', t)`).
 *
 * How: the constructor returns a Proxy of the module with `defineProperty` and `deleteProperty`
 * traps (assignment and class fields both end in [[DefineOwnProperty]]); reads are not trapped.
 * `instanceof`, methods, getters/setters and `#private` fields of subclasses work as usual (a
 * subclass's fields live on the Proxy, which is what every method receives as `this`).
 *
 * Forward hooks (`registerForwardHook`, `registerForwardPreHook`, and the global
 * `registerModuleForwardHook` / `registerModuleForwardPreHook`) run whenever a module's `forward`
 * is called, from user code or from a parent, as PyTorch's `__call__` runs them: each class's
 * `forward` is wrapped once, on its prototype, the first time the class is constructed. With no
 * hook registered anywhere the wrapper only tests one counter.
 */

import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentTypeError, RuntimeError, TorchletError, ValueError } from '../errors.js';
import type { Device, DType, DTypeLike, FloatDType, ToOptions } from '../tensor/dtype.js';
import { isFloat, parseDevice, parseToArgs } from '../tensor/dtype.js';
import { shapeEq } from '../tensor/shape.js';
import { defineOptions, opt } from '../options.js';
import { Tensor } from '../tensor/tensor.js';
import { Parameter } from './parameter.js';
import { inspectCustom } from '../tensor/inspect.js';
import { moduleTypeName } from './type-name.js';

/** Parameters and buffers by dotted name. PyTorch: the `OrderedDict` that `module.state_dict()` returns. */
export type StateDict = Record<string, Tensor>;

/** The options of `Module.loadStateDict`. PyTorch: the `strict=` keyword argument of `load_state_dict`. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly. Default true. */
  strict?: boolean;
}
/** @internal Run-time check of `LoadStateDictOptions` (src/options.ts). */
export const LOAD_STATE_DICT_OPTIONS = defineOptions<LoadStateDictOptions>('Module.loadStateDict', { strict: opt.bool });

/** The options of `Module.zeroGrad`. PyTorch: the `set_to_none=` keyword argument of `zero_grad`. */
export interface ZeroGradOptions {
  /** Set each gradient to null instead of filling it with zeros. Default true (PyTorch 2's default). */
  setToNone?: boolean;
}
/** @internal Run-time check of `ZeroGradOptions` (src/options.ts). */
export const ZERO_GRAD_OPTIONS = defineOptions<ZeroGradOptions>('Module.zeroGrad', { setToNone: opt.bool });

/** What `loadStateDict` reports. PyTorch: the `_IncompatibleKeys(missing_keys, unexpected_keys)` of `load_state_dict`. */
export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * A forward hook: called after `forward` with the module, its positional arguments and its output.
 * Returning something other than `undefined` replaces the output. PyTorch: the `hook(module, args,
 * output)` of `register_forward_hook`.
 */
export type ForwardHook<M extends Module = Module> = (module: M, args: unknown[], output: unknown) => unknown;

/**
 * A forward pre-hook: called before `forward` with the module and its positional arguments.
 * Returning an array replaces the arguments; returning another non-`undefined` value replaces
 * them with that single argument (PyTorch wraps a non-tuple result in a 1-tuple). PyTorch: the
 * `hook(module, args)` of `register_forward_pre_hook`.
 */
export type ForwardPreHook<M extends Module = Module> = (module: M, args: unknown[]) => unknown;

/** Hooks registered on no module in particular, and how many hooks exist in all (0: forward runs bare). */
const globalForwardHooks = new Map<number, ForwardHook>();
const globalForwardPreHooks = new Map<number, ForwardPreHook>();
let liveHooks = 0;
let nextHookId = 0;

/**
 * The handle a `register*Hook` call returns; `remove()` unregisters the hook (a second call does
 * nothing). PyTorch: `torch.utils.hooks.RemovableHandle`.
 */
export class RemovableHandle {
  /** PyTorch: `handle.id`, unique among the hooks of this process. */
  readonly id: number;
  private hooks: Map<number, unknown> | null;

  constructor(hooks: Map<number, unknown>, hook: unknown) {
    this.id = nextHookId++;
    this.hooks = hooks;
    hooks.set(this.id, hook);
    liveHooks++;
  }

  /** PyTorch: `handle.remove()`. */
  remove(): void {
    if (this.hooks?.delete(this.id)) liveHooks--;
    this.hooks = null;
  }
}

function checkHook(hook: unknown, where: string): void {
  if (typeof hook !== 'function') {
    throw new ArgumentTypeError(`${where}(): argument 'hook' must be a function, not ${typeName(hook)}`);
  }
}

/**
 * Register a forward hook for every module. PyTorch:
 * `torch.nn.modules.module.register_module_forward_hook(hook)`. Global hooks run before each
 * module's own hooks.
 */
export function registerModuleForwardHook(hook: ForwardHook): RemovableHandle {
  checkHook(hook, 'registerModuleForwardHook');
  return new RemovableHandle(globalForwardHooks, hook);
}

/**
 * Register a forward pre-hook for every module. PyTorch:
 * `torch.nn.modules.module.register_module_forward_pre_hook(hook)`. Global pre-hooks run before
 * each module's own pre-hooks.
 */
export function registerModuleForwardPreHook(hook: ForwardPreHook): RemovableHandle {
  checkHook(hook, 'registerModuleForwardPreHook');
  return new RemovableHandle(globalForwardPreHooks, hook);
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
/** Marks a wrapper made by `wrapForward`, holding the function it wraps. */
const WRAPPED: unique symbol = Symbol('torchlet.forward');
type Wrapped = AnyFunction & { [WRAPPED]?: AnyFunction };

/** PyTorch's `_call_impl`: global then own pre-hooks, forward, global then own forward hooks. */
function callWithHooks(mod: Module, impl: AnyFunction, argsIn: unknown[]): unknown {
  const own = mod as unknown as { _forwardHooks: Map<number, ForwardHook>; _forwardPreHooks: Map<number, ForwardPreHook> };
  let args = argsIn;
  if (globalForwardPreHooks.size > 0 || own._forwardPreHooks.size > 0) {
    for (const hook of [...globalForwardPreHooks.values(), ...own._forwardPreHooks.values()]) {
      const r = hook(mod, args);
      if (r !== undefined) args = Array.isArray(r) ? r : [r];
    }
  }
  let out = impl.apply(mod, args);
  if (globalForwardHooks.size > 0 || own._forwardHooks.size > 0) {
    for (const hook of [...globalForwardHooks.values(), ...own._forwardHooks.values()]) {
      const r = hook(mod, args, out);
      if (r !== undefined) out = r;
    }
  }
  return out;
}

/**
 * `impl` wrapped so that hooks run around it. The hooks run only when the wrapper is the
 * instance's own `forward` (`this.forward === wrapper`): a subclass's `super.forward(x)` reaches
 * its parent's wrapper and runs bare, as PyTorch runs hooks in `__call__`, not in `forward`.
 * `bound` (for a forward stored on the instance, e.g. an arrow-function field) is the module when
 * `this` is not one.
 */
function wrapForward(impl: AnyFunction, bound?: Module): Wrapped {
  const wrapper: Wrapped = function forward(this: unknown, ...args: unknown[]): unknown {
    if (liveHooks === 0) return impl.apply(this, args);
    const self = bound ?? this;
    if (!(self instanceof Module) || self.forward !== (wrapper as unknown)) return impl.apply(this, args);
    return callWithHooks(self, impl, args);
  };
  wrapper[WRAPPED] = impl;
  Object.defineProperty(wrapper, 'length', { value: impl.length });
  return wrapper;
}

/** Prototypes whose `forward` (if any) is already wrapped. */
const hookedPrototypes = new WeakSet<object>();

/** Wrap the own `forward` of `proto` and of each prototype above it, up to Module.prototype, once each. */
function hookPrototypeChain(proto: object | null): void {
  for (let p = proto; p !== null && p !== Module.prototype && !hookedPrototypes.has(p); p = Object.getPrototypeOf(p)) {
    hookedPrototypes.add(p);
    const d = Object.getOwnPropertyDescriptor(p, 'forward');
    if (d !== undefined && typeof d.value === 'function' && (d.value as Wrapped)[WRAPPED] === undefined) {
      Object.defineProperty(p, 'forward', { ...d, value: wrapForward(d.value as AnyFunction) });
    }
  }
}

/** A value's type for messages: a Tensor's PyTorch type name (`torch.FloatTensor`), else the JS type or class. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Tensor) {
    const names: Record<string, string> = { float32: 'torch.FloatTensor', float64: 'torch.DoubleTensor', int32: 'torch.IntTensor', int64: 'torch.LongTensor', bool: 'torch.BoolTensor' };
    return names[value.dtype] ?? `torch.Tensor(${value.dtype})`;
  }
  if (Array.isArray(value)) return 'Array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'Object';
  return typeof value;
}

/** A module's Proxy, by the object it wraps. */
const receivers = new WeakMap<object, Module>();

/** The Proxy traps: PyTorch's `__setattr__` and `__delattr__`; reads go straight to the target. */
const registrationTraps: ProxyHandler<Module> = {
  defineProperty(target, key, desc) {
    if (typeof key === 'string' && 'value' in desc) {
      const value = setAttr(target, key, desc.value);
      if (value !== desc.value) desc = { ...desc, value };
    }
    return Reflect.defineProperty(target, key, desc);
  },
  deleteProperty(target, key) {
    if (typeof key === 'string') delAttr(target, key);
    return Reflect.deleteProperty(target, key);
  },
};

/**
 * Give `t` (a parameter or buffer) the values of `t.to(dtype)` in place, keeping the object, and
 * convert its gradient. PyTorch: `t.data = t.data.to(dtype)` in `Module._apply`.
 */
function convertInPlace(t: Tensor, dtype: FloatDType): void {
  if (t.dtype === dtype) return;
  const c = noGrad(() => t.detach().to(dtype).contiguous());
  const fields: Pick<Tensor, 'storage' | 'shape' | 'strides' | 'offset' | 'dtype'> = {
    storage: c.storage,
    shape: c.shape,
    strides: c.strides,
    offset: c.offset,
    dtype: c.dtype as DType,
  };
  Object.assign(t, fields);
  const g = t.grad;
  if (g !== null && g.dtype !== dtype) t.grad = noGrad(() => g.detach().to(dtype));
}

/** A module's registries, for the functions below that work on the Proxy's target. */
interface Registries {
  _parameters: Map<string, Parameter | null>;
  _buffers: Map<string, Tensor | null>;
  _nonPersistent: Set<string>;
  _modules: Map<string, Module | null>;
  _explicitNames: Set<string>;
}

/** True when `value` is registered in `mod` under a name given to `register*` (not by assignment). */
function registeredExplicitly(mod: Registries, value: unknown): boolean {
  for (const map of [mod._parameters, mod._modules, mod._buffers] as Map<string, unknown>[]) {
    for (const [name, v] of map) if (v === value && mod._explicitNames.has(name)) return true;
  }
  return false;
}

/**
 * `mod.name = value` for a Parameter or a Module (`own`: its registry): replaces a registered name in
 * place (order kept); a new name is registered after leaving the registries in `others`, unless the
 * value is already registered under an explicit name.
 */
function registerAssigned<V>(mod: Registries, own: Map<string, V | null>, others: readonly { delete(name: string): boolean }[], name: string, value: V): void {
  if (own.has(name)) own.set(name, value);
  else if (!registeredExplicitly(mod, value)) {
    for (const registry of others) registry.delete(name);
    own.set(name, value);
  }
}

function assignError(value: unknown, what: string, name: string, expected: string): TorchletError {
  const hint =
    value === undefined
      ? `. A class field declared again without a value in a subclass assigns undefined; write \`declare ${name}: ...\` instead, or assign null to clear it.`
      : '';
  return new ArgumentTypeError(`cannot assign '${typeName(value)}' as ${what} '${name}' (${expected} expected)${hint}`);
}

/**
 * PyTorch's `Module.__setattr__` for `mod.name = value`: registers a Parameter or a Module,
 * replaces or clears (null) a registered name, refuses a value of the wrong kind for a registered
 * name (TypeError, PyTorch's text). Returns the value to store in the property (a `forward`
 * function comes back wrapped for hooks).
 */
function setAttr(target: Module, name: string, value: unknown): unknown {
  const mod = target as unknown as Registries;
  if (name === 'forward' && typeof value === 'function' && (value as Wrapped)[WRAPPED] === undefined) {
    return wrapForward(value as AnyFunction, receivers.get(target) ?? target);
  }
  if (value instanceof Parameter) {
    registerAssigned(mod, mod._parameters, [mod._buffers, mod._nonPersistent, mod._modules], name, value);
  } else if (mod._parameters.has(name)) {
    if (value !== null) throw assignError(value, 'parameter', name, 'torch.nn.Parameter or None');
    mod._parameters.set(name, null);
  } else if (value instanceof Module) {
    registerAssigned(mod, mod._modules, [mod._buffers, mod._nonPersistent], name, value);
  } else if (mod._modules.has(name)) {
    if (value !== null) throw assignError(value, 'child module', name, 'torch.nn.Module or None');
    mod._modules.set(name, null);
  } else if (mod._buffers.has(name)) {
    if (value !== null && !(value instanceof Tensor)) throw assignError(value, 'buffer', name, 'torch.Tensor or None');
    mod._buffers.set(name, value as Tensor | null);
  }
  return value;
}

/** PyTorch's `Module.__delattr__`: `delete mod.name` unregisters the name. */
function delAttr(target: Module, name: string): void {
  const mod = target as unknown as Registries;
  mod._parameters.delete(name);
  mod._buffers.delete(name);
  mod._nonPersistent.delete(name);
  mod._modules.delete(name);
  mod._explicitNames.delete(name);
}

/**
 * PyTorch's checks in `register_parameter` / `register_buffer` / `add_module` (TypeError,
 * KeyError): a string name, no '.', not empty, not an attribute of another kind (a property
 * holding `undefined`, as a declared class field does before the constructor assigns it, counts
 * as free).
 */
function checkName(mod: Module, kind: 'parameter' | 'buffer' | 'module', name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new ArgumentTypeError(`${kind} name should be a string. Got ${typeName(name)}`);
  }
  const r = mod as unknown as Registries;
  const own = kind === 'parameter' ? r._parameters : kind === 'buffer' ? r._buffers : r._modules;
  const taken = !own.has(name) && ((name in mod && (mod as unknown as Record<string, unknown>)[name] !== undefined) || r._parameters.has(name) || r._buffers.has(name) || r._modules.has(name));
  if (kind === 'module' && taken) throw new TorchletError(`attribute '${name}' already exists`, 'KeyError');
  if (name.includes('.')) throw new TorchletError(`${kind} name can't contain "."${kind === 'module' ? `, got: ${name}` : ''}`, 'KeyError');
  if (name === '') throw new TorchletError(`${kind} name can't be empty string ""`, 'KeyError');
  if (taken) throw new TorchletError(`attribute '${name}' already exists`, 'KeyError');
}

/** Base class of every layer. PyTorch: `torch.nn.Module`. */
export abstract class Module {
  /**
   * The class's PyTorch name, which minifiers cannot mangle (they rename classes): every library
   * Module class sets its own; `moduleTypeName(m)` falls back to `constructor.name` for users' classes.
   * No PyTorch twin (PyTorch: `type(m).__name__`).
   */
  static readonly typeName: string = 'Module';

  /** PyTorch: `module.training`. */
  training = true;
  protected readonly _parameters = new Map<string, Parameter | null>();
  protected readonly _buffers = new Map<string, Tensor | null>();
  protected readonly _nonPersistent = new Set<string>();
  protected readonly _modules = new Map<string, Module | null>();
  /** Names given to `register*` (an object registered so is not registered again by assignment). */
  protected readonly _explicitNames = new Set<string>();
  /** PyTorch: `_forward_hooks`, by handle id. */
  protected readonly _forwardHooks = new Map<number, ForwardHook>();
  /** PyTorch: `_forward_pre_hooks`, by handle id. */
  protected readonly _forwardPreHooks = new Map<number, ForwardPreHook>();

  constructor() {
    hookPrototypeChain(new.target.prototype);
    const proxy = new Proxy(this, registrationTraps);
    receivers.set(this, proxy);
    // biome-ignore lint/correctness/noConstructorReturn: the Proxy is what registers assignments (PyTorch's __setattr__).
    return proxy;
  }

  /** Each subclass declares its own forward signature. PyTorch: `forward`. */
  abstract forward(...args: never[]): unknown;

  /**
   * Register a hook run after every `forward` of this module: `hook(module, args, output)`; a
   * return value other than `undefined` replaces the output. PyTorch: `register_forward_hook(hook)`.
   */
  registerForwardHook(hook: ForwardHook<this>): RemovableHandle {
    checkHook(hook, 'registerForwardHook');
    return new RemovableHandle(this._forwardHooks, hook);
  }

  /**
   * Register a hook run before every `forward` of this module: `hook(module, args)`; a returned
   * array replaces the arguments. PyTorch: `register_forward_pre_hook(hook)`.
   */
  registerForwardPreHook(hook: ForwardPreHook<this>): RemovableHandle {
    checkHook(hook, 'registerForwardPreHook');
    return new RemovableHandle(this._forwardPreHooks, hook);
  }

  /**
   * PyTorch: `register_parameter(name, param)`. Returns the parameter for assignment to a field.
   * Needed only for a name that differs from the property (assignment registers by itself).
   */
  registerParameter<P extends Parameter | null>(name: string, param: P): P {
    checkName(this, 'parameter', name);
    if (param !== null && !(param instanceof Parameter)) {
      throw new ArgumentTypeError(
        `cannot assign '${typeName(param)}' object to parameter '${name}' (torch.nn.Parameter or None required). Wrap a tensor as new nn.Parameter(tensor).`);
    }
    this._parameters.set(name, param);
    this._explicitNames.add(name);
    return param;
  }

  /** PyTorch: `register_buffer(name, tensor, persistent=True)`. */
  registerBuffer<T extends Tensor | null>(name: string, tensor: T, persistent = true): T {
    checkName(this, 'buffer', name);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw new ArgumentTypeError(`cannot assign '${typeName(tensor)}' object to buffer '${name}' (torch Tensor or None required)`);
    }
    this._buffers.set(name, tensor);
    if (persistent) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    this._explicitNames.add(name);
    return tensor;
  }

  /** Replace a registered buffer's tensor (buffers like BatchNorm's running stats are updated this way). */
  protected setBuffer(name: string, tensor: Tensor): void {
    if (!this._buffers.has(name)) throw new RuntimeError(`attribute '${name}' is not a buffer`);
    this._buffers.set(name, tensor);
  }

  /**
   * PyTorch: `register_module(name, module)` / `add_module`. Needed only for a name that differs
   * from the property (assignment registers by itself).
   */
  registerModule<M extends Module | null>(name: string, module: M): M {
    if (module !== null && !(module instanceof Module)) {
      throw new ArgumentTypeError(`${typeName(module)} is not a Module subclass`);
    }
    checkName(this, 'module', name);
    this._modules.set(name, module);
    this._explicitNames.add(name);
    return module;
  }

  /** PyTorch: `named_parameters(prefix='', recurse=True)`: each parameter once, in registration order. */
  *namedParameters(prefix = '', recurse = true): IterableIterator<[string, Parameter]> {
    const seen = new Set<Parameter>();
    for (const [modPrefix, mod] of recurse ? this.namedModules(prefix) : [[prefix, this] as [string, Module]]) {
      for (const [name, p] of mod._parameters) {
        if (p === null || seen.has(p)) continue;
        seen.add(p);
        yield [modPrefix ? `${modPrefix}.${name}` : name, p];
      }
    }
  }

  /**
   * The parameter at a dotted path, e.g. `lstm.getParameter('weight_ih_l0')` or
   * `model.getParameter('rnn.bias_hh_l0_reverse')`. PyTorch: `get_parameter(target)` (where
   * Python code usually writes `lstm.weight_ih_l0`). PyTorch raises AttributeError; torchlet a
   * RuntimeError with the same text.
   */
  getParameter(target: string): Parameter {
    const parts = target.split('.');
    const name = parts.pop()!;
    let mod: Module = this;
    for (const part of parts) {
      const child = mod._modules.get(part);
      if (!child) throw new RuntimeError(`${moduleTypeName(mod)} has no attribute \`${part}\``);
      mod = child;
    }
    const p = mod._parameters.get(name);
    if (!p) {
      const what = mod._buffers.has(name) || mod._modules.has(name) ? `\`${name}\` is not an nn.Parameter` : `${moduleTypeName(mod)} has no attribute \`${name}\``;
      throw new RuntimeError(what);
    }
    return p;
  }

  /** PyTorch: `parameters(recurse=True)`. */
  parameters(recurse = true): Parameter[] {
    return [...this.namedParameters('', recurse)].map(([, p]) => p);
  }

  /** PyTorch: `named_buffers()`. */
  *namedBuffers(prefix = ''): IterableIterator<[string, Tensor]> {
    for (const [modPrefix, mod] of this.namedModules(prefix)) {
      for (const [name, b] of mod._buffers) {
        if (b !== null) yield [modPrefix ? `${modPrefix}.${name}` : name, b];
      }
    }
  }

  /** PyTorch: `buffers()`. */
  buffers(): Tensor[] {
    return [...this.namedBuffers()].map(([, b]) => b);
  }

  /** PyTorch: `named_children()`. */
  *namedChildren(): IterableIterator<[string, Module]> {
    for (const [name, m] of this._modules) if (m !== null) yield [name, m];
  }

  /** PyTorch: `children()`. */
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /** PyTorch: `named_modules()`: this module first, then descendants depth-first, each once. */
  *namedModules(prefix = '', seen = new Set<Module>()): IterableIterator<[string, Module]> {
    if (seen.has(this)) return;
    seen.add(this);
    yield [prefix, this];
    for (const [name, m] of this.namedChildren()) {
      yield* m.namedModules(prefix ? `${prefix}.${name}` : name, seen);
    }
  }

  /** PyTorch: `modules()`. */
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  /**
   * PyTorch: `state_dict()`: parameters and persistent buffers by dotted name, in PyTorch's order
   * (each module's own parameters, then its buffers, then its children). The tensors share
   * storage with the module, detached from the graph.
   */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = {};
    const visit = (mod: Module, pre: string): void => {
      for (const [name, p] of mod._parameters) if (p !== null) out[pre + name] = p.detach();
      for (const [name, b] of mod._buffers) {
        if (b !== null && !mod._nonPersistent.has(name)) out[pre + name] = b.detach();
      }
      for (const [name, m] of mod._modules) if (m !== null) visit(m, `${pre}${name}.`);
    };
    visit(this, prefix);
    return out;
  }

  /**
   * PyTorch: `load_state_dict(state_dict, strict=True)`. Copies values into the existing
   * parameters and buffers. Every key and shape is checked before anything is copied, so a
   * failed load changes nothing. Error text as PyTorch's.
   */
  loadStateDict(stateDict: StateDict, options: LoadStateDictOptions = {}): LoadResult {
    if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict) || stateDict instanceof Tensor) {
      throw new ArgumentTypeError(`Expected state_dict to be dict-like, got ${typeName(stateDict)}.`);
    }
    options = LOAD_STATE_DICT_OPTIONS.parse(options, 'Module.loadStateDict');
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(stateDict, k));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !Object.hasOwn(own, k));
    const errors: string[] = [];
    // PyTorch's order: missing keys, unexpected keys, then size mismatches (those even when not strict).
    if (strict) {
      if (missingKeys.length > 0) {
        errors.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}. `);
      }
      if (unexpectedKeys.length > 0) {
        errors.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}. `);
      }
    }
    for (const [key, target] of Object.entries(own)) {
      const src = stateDict[key];
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) {
        throw new ArgumentTypeError(
          `While copying the parameter named "${key}", expected torch.Tensor or Tensor-like object from checkpoint but received ${typeName(src)}`,
        );
      }
      if (!shapeEq(src.shape, target.shape)) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape torch.Size([${src.shape.join(', ')}]) from checkpoint, the shape in current model is torch.Size([${target.shape.join(', ')}]).`,
        );
      }
    }
    if (errors.length > 0) {
      throw new RuntimeError(`Error(s) in loading state_dict for ${moduleTypeName(this)}:\n\t${errors.join('\n\t')}`);
    }
    for (const [key, target] of Object.entries(own)) {
      const src = stateDict[key];
      // PyTorch copies under no_grad (parameters are leaves that require grad).
      if (src !== undefined) noGrad(() => target.copy_(src.dtype === target.dtype ? src : src.to(target.dtype)));
    }
    return { missingKeys, unexpectedKeys };
  }

  /** PyTorch: `train(mode=True)`, recursively. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ValueError('training mode is expected to be boolean');
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** PyTorch: `eval()`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * PyTorch: `zero_grad(set_to_none=True)` (PyTorch 2's default; 1.13's was false). With
   * `setToNone: false` each existing gradient is detached and filled with zeros in place (the
   * same tensor objects stay).
   */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = ZERO_GRAD_OPTIONS.parse(options, 'Module.zeroGrad').setToNone ?? true;
    for (const p of this.parameters()) {
      if (p.grad === null) continue;
      if (setToNone) {
        p.grad = null;
      } else {
        if (p.grad.gradFn !== null) p.grad = p.grad.detach();
        else p.grad.requiresGrad = false;
        const g = p.grad;
        noGrad(() => g.copy_(g.zerosLike()));
      }
    }
  }

  /**
   * Set `requiresGrad` on every parameter (to freeze or unfreeze a model). PyTorch:
   * `requires_grad_(requires_grad=True)`.
   */
  requiresGrad_(requiresGrad = true): this {
    if (typeof requiresGrad !== 'boolean') {
      throw new ArgumentTypeError(`requires_grad_(): argument 'requires_grad' (position 1) must be bool, not ${typeName(requiresGrad)}`);
    }
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /**
   * Convert the floating-point parameters and buffers (and gradients) to `dtype`, in place: the
   * same Parameter objects hold the converted values, so an optimizer made before keeps working
   * (PyTorch's `param.data = ...`). Integer buffers (BatchNorm's `num_batches_tracked`) are left
   * as they are. `'cpu'` is accepted and does nothing; `'cuda'`, `'mps'`, ... are refused
   * (torchlet runs on the CPU and WebAssembly). PyTorch: `Module.to(device=None, dtype=None)`,
   * `to(dtype)`, `to(tensor)`; here also `to({ dtype, device })`.
   */
  to(dtype: DTypeLike): this;
  to(device: Device | string, dtype?: DTypeLike): this;
  to(other: Tensor): this;
  to(options: ToOptions): this;
  to(...args: unknown[]): this {
    const { dtype } = parseToArgs('Module.to', args);
    if (dtype === undefined) return this;
    if (!isFloat(dtype)) {
      throw new ArgumentTypeError(`nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.${dtype}`);
    }
    for (const m of this.modules()) {
      for (const p of m._parameters.values()) if (p !== null) convertInPlace(p, dtype);
      for (const b of m._buffers.values()) if (b !== null && isFloat(b.dtype)) convertInPlace(b, dtype);
    }
    return this;
  }

  /** Floating-point parameters and buffers as float32, in place. PyTorch: `Module.float()`. */
  float(): this {
    return this.to('float32');
  }

  /** Floating-point parameters and buffers as float64, in place. PyTorch: `Module.double()`. */
  double(): this {
    return this.to('float64');
  }

  /** This module (it is already on the CPU). PyTorch: `Module.cpu()`. */
  cpu(): this {
    return this;
  }

  /** Refused: torchlet runs on the CPU and WebAssembly. PyTorch: `Module.cuda()`. */
  cuda(): never {
    parseDevice('cuda', 'Module.cuda');
    throw new RuntimeError('unreachable');
  }

  /**
   * The submodule at a dotted path (`''` is this module). PyTorch: `get_submodule(target)`.
   * PyTorch raises AttributeError; torchlet a RuntimeError with the same text.
   */
  getSubmodule(target: string): Module {
    if (typeof target !== 'string') {
      throw new ArgumentTypeError(`getSubmodule(): argument 'target' must be str, not ${typeName(target)}`);
    }
    if (target === '') return this;
    let mod: Module = this;
    for (const item of target.split('.')) {
      const child = mod._modules.get(item);
      if (child instanceof Module) {
        mod = child;
        continue;
      }
      const exists = mod._modules.has(item) || mod._parameters.has(item) || mod._buffers.has(item) || item in mod;
      if (!exists) throw new RuntimeError(`${moduleTypeName(mod)} has no attribute \`${item}\``);
      const value = (mod as unknown as Record<string, unknown>)[item];
      if (!(value instanceof Module)) throw new RuntimeError(`\`${item}\` is not an nn.Module`);
      mod = value;
    }
    return mod;
  }

  /** PyTorch: `apply(fn)`: fn on every submodule (children first) then on this module. */
  apply(fn: (m: Module) => void): this {
    if (typeof fn !== 'function') throw new ArgumentTypeError(`apply(): argument 'fn' (position 1) must be a function, not ${typeName(fn)}`);
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /** The text inside the parentheses of `toString()`. PyTorch: `extra_repr()`. */
  extraRepr(): string {
    return '';
  }

  /** PyTorch's module repr (`__repr__`), children indented as `(name): Child(...)`. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines: string[] = [];
    for (const [name, m] of this._modules) {
      const text = m === null ? 'None' : m.toString();
      childLines.push(`(${name}): ${text.split('\n').join('\n  ')}`);
    }
    const name = moduleTypeName(this);
    const lines = [...extraLines, ...childLines];
    if (lines.length === 0) return `${name}()`;
    if (extraLines.length === 1 && childLines.length === 0) return `${name}(${extraLines[0]})`;
    return `${name}(\n  ${lines.join('\n  ')}\n)`;
  }

  /** `console.log` / `util.inspect` in Node print the same PyTorch text as `toString()`. */
  [inspectCustom](): string {
    return this.toString();
  }
}

