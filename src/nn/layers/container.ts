/** Containers. PyTorch: `torch.nn.Sequential`, `torch.nn.ModuleList`. */

import { IndexError, TorchletError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** A module that maps one tensor to one tensor: what a Sequential can chain. No PyTorch twin (Python is untyped). */
export type TensorModule = Module & { forward(input: Tensor): Tensor };

function checkIndex(idx: number, len: number): number {
  if (!Number.isInteger(idx) || idx < -len || idx >= len) throw new IndexError(`index ${idx} is out of range`);
  return idx < 0 ? idx + len : idx;
}

/**
 * Runs its children in order, each on the previous one's output. PyTorch: `torch.nn.Sequential`.
 * Children are named '0', '1', ... (or by the keys of an object), so stateDict keys are
 * `0.weight`, `1.bias`, ... as PyTorch's. Each child maps one tensor to one tensor; a recurrent
 * layer returns `[output, h]`, so wrap it in a small Module that returns `output` (as the
 * seed's `SingleRNN` does) to chain it here.
 *
 * @example
 * const net = new nn.Sequential(new nn.Linear(3, 8), new nn.ReLU(), new nn.Linear(8, 1));
 * net.forward(torch.randn(4, 3)).shape; // [4, 1]
 */
export class Sequential extends Module {
  constructor(...modules: TensorModule[] | [Record<string, TensorModule>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first !== undefined && !(first instanceof Module)) {
      for (const [name, m] of Object.entries(first)) this.registerModule(name, m);
    } else {
      for (const [i, m] of (modules as TensorModule[]).entries()) this.registerModule(String(i), m);
    }
  }

  private list(): TensorModule[] {
    return [...this._modules.values()].filter((m): m is TensorModule => m !== null);
  }

  /** Number of children. PyTorch: `len(seq)`. */
  get length(): number {
    return this._modules.size;
  }

  /** The child at position `idx` (negative counts from the end). PyTorch: `seq[idx]`. */
  get(idx: number): TensorModule {
    const list = this.list();
    return list[checkIndex(idx, list.length)]!;
  }

  /** Add a child at the end, named by its position. PyTorch: `append(module)`. */
  append(module: TensorModule): this {
    this.registerModule(String(this._modules.size), module);
    return this;
  }

  [Symbol.iterator](): IterableIterator<TensorModule> {
    return this.list()[Symbol.iterator]();
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this.list()) x = m.forward(x);
    return x;
  }
}

/**
 * Holds child modules in a list so their parameters are registered. PyTorch: `torch.nn.ModuleList`.
 * Children are named '0', '1', ...; it has no forward of its own (call the children).
 */
export class ModuleList<M extends Module = Module> extends Module {
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  private list(): M[] {
    return [...this._modules.values()].filter((m): m is M => m !== null);
  }

  /** PyTorch: `len(list)`. */
  get length(): number {
    return this._modules.size;
  }

  /** PyTorch: `list[idx]` (negative counts from the end). */
  get(idx: number): M {
    const list = this.list();
    return list[checkIndex(idx, list.length)]!;
  }

  /** PyTorch: `append(module)`. */
  append(module: M): this {
    this.registerModule(String(this._modules.size), module);
    return this;
  }

  /** PyTorch: `extend(modules)`. */
  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** PyTorch: `insert(index, module)`: later children shift up one name. */
  insert(index: number, module: M): void {
    const list = this.list();
    const at = Math.max(0, Math.min(index < 0 ? index + list.length : index, list.length));
    list.splice(at, 0, module);
    this._modules.clear();
    for (const [i, m] of list.entries()) this.registerModule(String(i), m);
  }

  [Symbol.iterator](): IterableIterator<M> {
    return this.list()[Symbol.iterator]();
  }

  /** PyTorch's ModuleList has no forward; calling it raises NotImplementedError there too. */
  forward(): never {
    throw new TorchletError('Module [ModuleList] is missing the required "forward" function', 'NotImplementedError');
  }
}
