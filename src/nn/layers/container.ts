/** Containers. PyTorch: `torch.nn.Sequential`, `torch.nn.ModuleList`, `torch.nn.ParameterList`. */

import { ArgumentTypeError, IndexError, TorchletError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { RNNBase } from '../rnn/base.js';
import { moduleTypeName } from '../type-name.js';

/** A module that maps one tensor to one tensor: what a Sequential can chain. No PyTorch twin (Python is untyped). */
export type TensorModule = Module & { forward(input: Tensor): Tensor };

function checkIndex(idx: number, len: number): number {
  if (!Number.isInteger(idx) || idx < -len || idx >= len) throw new IndexError(`index ${idx} is out of range`);
  return idx < 0 ? idx + len : idx;
}

function describeValue(x: unknown): string {
  if (Array.isArray(x)) return `a tuple (an array of ${x.length})`;
  if (x === null) return 'null';
  if (typeof x === 'object') {
    const cls = (x as object).constructor?.name;
    return cls === undefined || cls === 'Object' ? 'a plain object' : `a ${cls}`;
  }
  return `${typeof x === 'undefined' ? '' : 'a '}${typeof x}`;
}

/**
 * The error for child `i` returning `x`, which is not a Tensor, that child `next` could not take
 * (`cause`: the TypeError `next` threw on it).
 */
function notATensorError(i: string, child: Module, x: unknown, nextName: string, next: Module, cause: Error): ArgumentTypeError {
  const cls = moduleTypeName(child);
  const what = Array.isArray(x) && child instanceof RNNBase ? 'a tuple [output, h] (as every RNN/LSTM/GRU does)' : describeValue(x);
  const unpack = x instanceof Object && 'batchSizes' in x
    ? '  class Unpack extends nn.Module {\n    forward(packed) { return nn.utils.rnn.padPackedSequence(packed)[0]; }\n  }\n'
    : '  class TakeOutput extends nn.Module {\n    forward([output, h]) { return output; }   // keep the output, drop the state\n  }\n';
  const fix = unpack.includes('Unpack') ? 'Unpack' : 'TakeOutput';
  const err = new ArgumentTypeError(
    `Sequential: child (${i}) ${cls} returned ${what}, not a Tensor, so it cannot be the input of child ` +
      `(${nextName}) ${moduleTypeName(next)} (PyTorch fails here too: "argument 'input' must be Tensor, not tuple"; ` +
      `${moduleTypeName(next)} said: ${cause.message.split('\n')[0]}). ` +
      `Put a Module whose forward unpacks it between them, e.g.\n${unpack}` +
      `and build new nn.Sequential(..., new nn.${cls}(...), new ${fix}(), new nn.${moduleTypeName(next)}(...)).`,
  );
  (err as { cause?: unknown }).cause = cause;
  return err;
}

/**
 * What the list containers share: the entries of one of the module's registries (children or
 * parameters) by position, in registration order.
 */
abstract class RegistryList<V> extends Module {
  /** The registry this list shows (`_modules` or `_parameters`). */
  protected abstract registry(): Map<string, V | null>;

  protected list(): V[] {
    return [...this.registry().values()].filter((v): v is V => v !== null);
  }

  /** Number of entries. PyTorch: `len(list)`. */
  get length(): number {
    return this.registry().size;
  }

  /** The entry at position `idx` (negative counts from the end). PyTorch: `list[idx]`. */
  get(idx: number): V {
    const list = this.list();
    return list[checkIndex(idx, list.length)];
  }

  [Symbol.iterator](): IterableIterator<V> {
    return this.list()[Symbol.iterator]();
  }
}

/**
 * Runs its children in order, each on the previous one's output. PyTorch: `torch.nn.Sequential`.
 * Children are named '0', '1', ... (or by the keys of an object), so stateDict keys are
 * `0.weight`, `1.bias`, ... as PyTorch's. A recurrent layer returns `[output, h]`: follow it
 * with a small Module that returns `output` (its forward takes the pair), or wrap it in a Module
 * (as the seed's `SingleRNN` does); passing the pair to a layer that takes a Tensor is a
 * TypeError naming the child and this fix.
 *
 * @example
 * const net = new nn.Sequential(new nn.Linear(3, 8), new nn.ReLU(), new nn.Linear(8, 1));
 * net.forward(torch.randn(4, 3)).shape; // [4, 1]
 */
export class Sequential extends RegistryList<TensorModule> {
  /** `Sequential`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'Sequential';
  constructor(...modules: TensorModule[] | [Record<string, TensorModule>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first !== null && typeof first === 'object' && !(first instanceof Module)) {
      for (const [name, m] of Object.entries(first)) this.registerModule(name, m);
    } else {
      for (const [i, m] of (modules as TensorModule[]).entries()) this.registerModule(String(i), m);
    }
  }

  protected registry(): Map<string, TensorModule | null> {
    return this._modules as Map<string, TensorModule | null>;
  }

  /** Add a child at the end, named by its position. PyTorch: `append(module)`. */
  append(module: TensorModule): this {
    this.registerModule(String(this._modules.size), module);
    return this;
  }

  forward(input: Tensor): Tensor {
    let x: unknown = input;
    let prev: [string, Module] | null = null;
    for (const [name, m] of this._modules) {
      if (m === null) continue;
      const given = x;
      if (prev === null || x instanceof Tensor) {
        x = (m as TensorModule).forward(x as Tensor);
      } else {
        // A child got something that is not a Tensor (a tuple, a PackedSequence): a module that
        // takes it (one that unpacks a tuple, a recurrent layer taking a PackedSequence) runs as in
        // PyTorch; one that cannot take it fails with a TypeError as the first thing it does with
        // it (every torchlet layer checks its input first), and that failure is reported as the
        // previous child's output not fitting, with the fix.
        try {
          x = (m as TensorModule).forward(x as Tensor);
        } catch (e) {
          if (e instanceof TypeError) throw notATensorError(prev[0], prev[1], x, name, m, e);
          throw e;
        }
      }
      // A child that passes its input through (Identity) leaves the one that made it named.
      if (prev === null || x !== given) prev = [name, m];
    }
    return x as Tensor;
  }
}

/**
 * Holds child modules in a list so their parameters are registered. PyTorch: `torch.nn.ModuleList`.
 * Children are named '0', '1', ...; it has no forward of its own (call the children).
 */
export class ModuleList<M extends Module = Module> extends RegistryList<M> {
  /** `ModuleList`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'ModuleList';
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  protected registry(): Map<string, M | null> {
    return this._modules as Map<string, M | null>;
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

  /** PyTorch's ModuleList has no forward; calling it raises NotImplementedError there too. */
  forward(): never {
    throw new TorchletError('Module [ModuleList] is missing the required "forward" function', 'NotImplementedError');
  }
}

/**
 * Holds parameters in a list so they are registered (a plain array of Parameters is not).
 * PyTorch: `torch.nn.ParameterList`. Entries are named '0', '1', ...; a plain Tensor given to
 * it is wrapped as a Parameter, as PyTorch 2 does. It has no forward.
 *
 * @example
 * const scales = new nn.ParameterList([new nn.Parameter(torch.ones(3)), torch.zeros(3)]);
 * scales.length; // 2
 */
export class ParameterList extends RegistryList<Parameter> {
  /** `ParameterList`, kept through minification (src/nn/type-name.ts). */
  static override readonly typeName: string = 'ParameterList';
  constructor(values: Iterable<Tensor> = []) {
    super();
    for (const p of values) this.append(p);
  }

  protected registry(): Map<string, Parameter | null> {
    return this._parameters;
  }

  /** PyTorch: `list[idx] = param` (a Tensor is wrapped as a Parameter). */
  set(idx: number, param: Tensor): void {
    const i = checkIndex(idx, this.length);
    this.registerParameter(String(i), asParameter(param, i));
  }

  /** PyTorch: `append(value)` (a Tensor is wrapped as a Parameter). */
  append(param: Tensor): this {
    const i = this._parameters.size;
    this.registerParameter(String(i), asParameter(param, i));
    return this;
  }

  /** PyTorch: `extend(values)`. */
  extend(params: Iterable<Tensor>): this {
    for (const p of params) this.append(p);
    return this;
  }

  /** PyTorch's `extra_repr`: one line per entry, `(0): Parameter containing: [torch.float32 of size 3x4]`. */
  override extraRepr(): string {
    return this.list()
      .map((p, i) => `  (${i}): Parameter containing: [torch.${p.dtype} of size ${p.shape.join('x')}]`)
      .join('\n');
  }

  /** PyTorch's ParameterList has no forward; calling it raises NotImplementedError there too. */
  forward(): never {
    throw new TorchletError('Module [ParameterList] is missing the required "forward" function', 'NotImplementedError');
  }
}

function asParameter(value: unknown, i: number): Parameter {
  if (value instanceof Parameter) return value;
  if (value instanceof Tensor) return new Parameter(value);
  const got = value === null ? 'null' : Array.isArray(value) ? 'Array' : typeof value === 'object' ? (value as object).constructor?.name : typeof value;
  throw new ArgumentTypeError(`ParameterList: entry ${i} must be a Parameter or a Tensor, not ${got}`);
}
