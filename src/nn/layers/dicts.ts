/** Named containers. PyTorch: `torch.nn.ModuleDict`, `torch.nn.ParameterDict`. */

import { ArgumentTypeError, TorchletError } from '../../errors.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

function keyError(key: string): TorchletError {
  return new TorchletError(`'${key}'`, 'KeyError');
}

/**
 * Child modules by name, registered in insertion order (so `stateDict` keys are
 * `<name>.weight`, ...). PyTorch: `torch.nn.ModuleDict(modules=None)`. Iterating gives the names,
 * as iterating a Python dict does. It has no forward of its own.
 *
 *   const heads = new nn.ModuleDict({ cls: new nn.Linear(8, 3), reg: new nn.Linear(8, 1) });
 *   heads.get('cls').forward(h);
 */
export class ModuleDict<M extends Module = Module> extends Module {
  /** `ModuleDict`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'ModuleDict';
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    this.update(modules);
  }
  /** PyTorch: `md[key]`. KeyError when absent. */
  get(key: string): M {
    const m = this._modules.get(key);
    if (m === undefined || m === null) throw keyError(key);
    return m as M;
  }
  /** PyTorch: `md[key] = module`. */
  set(key: string, module: M): this {
    if (!(module instanceof Module)) {
      throw new ArgumentTypeError(`${typeof module} is not a Module subclass`);
    }
    this.registerModule(key, module);
    return this;
  }
  /** PyTorch: `key in md`. */
  has(key: string): boolean {
    return this._modules.has(key);
  }
  /** PyTorch: `del md[key]` / `pop(key)`: removes and returns the module. */
  pop(key: string): M {
    const m = this.get(key);
    this._modules.delete(key);
    return m;
  }
  /** PyTorch: `clear()`. */
  clear(): void {
    this._modules.clear();
  }
  /** PyTorch: `update(modules)`: add or replace, in the given order. */
  update(modules: Record<string, M> | Iterable<[string, M]>): void {
    const entries = Symbol.iterator in Object(modules) ? [...(modules as Iterable<[string, M]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }
  /** PyTorch: `len(md)`. */
  get length(): number {
    return this._modules.size;
  }
  keys(): string[] {
    return [...this._modules.keys()];
  }
  values(): M[] {
    return [...this._modules.values()] as M[];
  }
  items(): [string, M][] {
    return [...this._modules.entries()] as [string, M][];
  }
  [Symbol.iterator](): IterableIterator<string> {
    return this.keys()[Symbol.iterator]();
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
export class ParameterDict extends Module {
  /** `ParameterDict`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'ParameterDict';
  constructor(parameters: Record<string, Parameter> | Iterable<[string, Parameter]> = {}) {
    super();
    this.update(parameters);
  }
  /** PyTorch: `pd[key]`. KeyError when absent. */
  get(key: string): Parameter {
    const p = this._parameters.get(key);
    if (p === undefined || p === null) throw keyError(key);
    return p;
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
  has(key: string): boolean {
    return this._parameters.has(key);
  }
  /** PyTorch: `pop(key)`. */
  pop(key: string): Parameter {
    const p = this.get(key);
    this._parameters.delete(key);
    return p;
  }
  clear(): void {
    this._parameters.clear();
  }
  /** PyTorch: `update(parameters)`. */
  update(parameters: Record<string, Parameter> | Iterable<[string, Parameter]>): void {
    const entries = Symbol.iterator in Object(parameters)
      ? [...(parameters as Iterable<[string, Parameter]>)]
      : Object.entries(parameters);
    for (const [k, p] of entries) this.set(k, p);
  }
  get length(): number {
    return this._parameters.size;
  }
  keys(): string[] {
    return [...this._parameters.keys()];
  }
  values(): Parameter[] {
    return [...this._parameters.values()] as Parameter[];
  }
  items(): [string, Parameter][] {
    return [...this._parameters.entries()] as [string, Parameter][];
  }
  [Symbol.iterator](): IterableIterator<string> {
    return this.keys()[Symbol.iterator]();
  }
  forward(): never {
    throw new TorchletError('Module [ParameterDict] is missing the required "forward" function', 'NotImplementedError');
  }
}
