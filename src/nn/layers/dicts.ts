/** Named containers. PyTorch: `torch.nn.ModuleDict`, `torch.nn.ParameterDict`. */

import { ArgumentTypeError, TorchletError } from '../../errors.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

function keyError(key: string): TorchletError {
  return new TorchletError(`'${key}'`, 'KeyError');
}

/**
 * What ModuleDict and ParameterDict share: a dict view of one of the module's registries (children
 * or parameters), in insertion order. Iterating gives the names, as iterating a Python dict does.
 */
abstract class RegistryDict<V> extends Module {
  /** The registry this dict shows (`_modules` or `_parameters`). */
  protected abstract registry(): Map<string, V | null>;
  /** PyTorch: `d[key] = value`. */
  abstract set(key: string, value: V): this;
  /** PyTorch: `d[key]`. KeyError when absent. */
  get(key: string): V {
    const v = this.registry().get(key);
    if (v === undefined || v === null) throw keyError(key);
    return v;
  }
  /** PyTorch: `key in d`. */
  has(key: string): boolean {
    return this.registry().has(key);
  }
  /** PyTorch: `del d[key]` / `pop(key)`: removes and returns the entry. */
  pop(key: string): V {
    const v = this.get(key);
    this.registry().delete(key);
    return v;
  }
  /** PyTorch: `clear()`. */
  clear(): void {
    this.registry().clear();
  }
  /** PyTorch: `update(entries)`: add or replace, in the given order. */
  update(entries: Record<string, V> | Iterable<[string, V]>): void {
    const list = Symbol.iterator in Object(entries) ? [...(entries as Iterable<[string, V]>)] : Object.entries(entries);
    for (const [k, v] of list) this.set(k, v);
  }
  /** PyTorch: `len(d)`. */
  get length(): number {
    return this.registry().size;
  }
  keys(): string[] {
    return [...this.registry().keys()];
  }
  values(): V[] {
    return [...this.registry().values()] as V[];
  }
  items(): [string, V][] {
    return [...this.registry().entries()] as [string, V][];
  }
  [Symbol.iterator](): IterableIterator<string> {
    return this.keys()[Symbol.iterator]();
  }
}

/**
 * Child modules by name, registered in insertion order (so `stateDict` keys are
 * `<name>.weight`, ...). PyTorch: `torch.nn.ModuleDict(modules=None)`. Iterating gives the names,
 * as iterating a Python dict does. It has no forward of its own.
 *
 *   const heads = new nn.ModuleDict({ cls: new nn.Linear(8, 3), reg: new nn.Linear(8, 1) });
 *   heads.get('cls').forward(h);
 */
export class ModuleDict<M extends Module = Module> extends RegistryDict<M> {
  /** `ModuleDict`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'ModuleDict';
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    this.update(modules);
  }
  protected registry(): Map<string, M | null> {
    return this._modules as Map<string, M | null>;
  }
  /** PyTorch: `md[key] = module`. */
  set(key: string, module: M): this {
    if (!(module instanceof Module)) {
      throw new ArgumentTypeError(`${typeof module} is not a Module subclass`);
    }
    this.registerModule(key, module);
    return this;
  }
  /** PyTorch parity: calling a ModuleDict is PyTorch's NotImplementedError; call its children. */
  forward(): never {
    throw new TorchletError(
      `Module [ModuleDict] is missing the required "forward" function. Call a child: dict.get('name').forward(x)`,
      'NotImplementedError',
    );
  }
}

/**
 * Parameters by name, registered in insertion order. PyTorch: `torch.nn.ParameterDict(parameters=None)`.
 * A tensor that is not a Parameter is wrapped in one (as PyTorch 1.13 does).
 */
export class ParameterDict extends RegistryDict<Parameter> {
  /** `ParameterDict`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'ParameterDict';
  constructor(parameters: Record<string, Parameter> | Iterable<[string, Parameter]> = {}) {
    super();
    this.update(parameters);
  }
  protected registry(): Map<string, Parameter | null> {
    return this._parameters;
  }
  /** PyTorch: `pd[key] = param`. */
  set(key: string, param: Parameter): this {
    const p = param instanceof Parameter ? param : (() => {
      const t = param as unknown;
      if (t === null || typeof t !== 'object' || !('storage' in (t as object))) {
        throw new ArgumentTypeError(`cannot assign '${typeof t}' object to parameter '${key}' (torch.nn.Parameter or None required)`);
      }
      return new Parameter(t as Parameter);
    })();
    this.registerParameter(key, p);
    return this;
  }
  forward(): never {
    throw new TorchletError('Module [ParameterDict] is missing the required "forward" function', 'NotImplementedError');
  }
}
