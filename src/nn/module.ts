/** The options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly. Default true. */
  strict?: boolean;
}
/** Run-time check of `LoadStateDictOptions` (src/options.ts). */
export const LOAD_STATE_DICT_OPTIONS = defineOptions<LoadStateDictOptions>('Module.loadStateDict', { strict: opt.bool });

/**
 * Base class of every layer. PyTorch: `torch.nn.Module`.
 *
 * Parameters, buffers and child modules are registered explicitly (TypeScript has no
 * `__setattr__`): `this.weight = this.registerParameter('weight', ...)`. Registration order is
 * the order of `namedParameters()` and `stateDict()` keys, as in PyTorch.
 */

import { noGrad } from '../autograd/grad-mode.js';
import { RuntimeError } from '../errors.js';
import { fmtTuple, shapeEq } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Parameter } from './parameter.js';
import { defineOptions, opt } from '../options.js';

export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** PyTorch: `module.training`. */
  training = true;
  protected readonly _parameters = new Map<string, Parameter | null>();
  protected readonly _buffers = new Map<string, Tensor | null>();
  protected readonly _nonPersistent = new Set<string>();
  protected readonly _modules = new Map<string, Module | null>();

  /** Each subclass declares its own forward signature. PyTorch: `forward`. */
  abstract forward(...args: never[]): unknown;

  /** PyTorch: `register_parameter(name, param)`. Returns the parameter for assignment to a field. */
  registerParameter<P extends Parameter | null>(name: string, param: P): P {
    this._parameters.set(name, param);
    return param;
  }

  /** PyTorch: `register_buffer(name, tensor, persistent=True)`. */
  registerBuffer<T extends Tensor | null>(name: string, tensor: T, persistent = true): T {
    this._buffers.set(name, tensor);
    if (!persistent) this._nonPersistent.add(name);
    return tensor;
  }

  /** Replace a registered buffer's tensor (buffers like BatchNorm's running stats are updated this way). */
  protected setBuffer(name: string, tensor: Tensor): void {
    if (!this._buffers.has(name)) throw new RuntimeError(`attribute '${name}' is not a buffer`);
    this._buffers.set(name, tensor);
  }

  /** PyTorch: `register_module(name, module)` / `add_module`. */
  registerModule<M extends Module | null>(name: string, module: M): M {
    this._modules.set(name, module);
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
      if (!child) throw new RuntimeError(`${mod.constructor.name} has no attribute \`${part}\``);
      mod = child;
    }
    const p = mod._parameters.get(name);
    if (!p) {
      const what = mod._buffers.has(name) || mod._modules.has(name) ? `\`${name}\` is not an nn.Parameter` : `${mod.constructor.name} has no attribute \`${name}\``;
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
      if (!shapeEq(src.shape, target.shape)) {
        errors.push(
          `size mismatch for ${key}: copying a param with shape torch.Size([${src.shape.join(', ')}]) from checkpoint, the shape in current model is torch.Size([${target.shape.join(', ')}]).`,
        );
      }
    }
    if (errors.length > 0) {
      throw new RuntimeError(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
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
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** PyTorch: `eval()`. */
  eval(): this {
    return this.train(false);
  }

  /** PyTorch: `zero_grad(set_to_none=True)`. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** PyTorch: `apply(fn)`: fn on every submodule (children first) then on this module. */
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /** The text inside the parentheses of `toString()`. PyTorch: `extra_repr()`. */
  extraRepr(): string {
    return '';
  }

  /** PyTorch's module repr, children indented as `(name): Child(...)`. */
  toString(): string {
    const lines: string[] = [];
    const extra = this.extraRepr();
    if (extra) lines.push(...extra.split('\n'));
    for (const [name, m] of this._modules) {
      const text = m === null ? 'None' : m.toString();
      lines.push(`(${name}): ${text.split('\n').join('\n  ')}`);
    }
    const name = this.constructor.name;
    if (this._modules.size === 0) return `${name}(${lines.join('\n')})`;
    return `${name}(\n  ${lines.join('\n  ')}\n)`;
  }
}

/** Format a shape as PyTorch's `torch.Size([..])` tuple text, for messages. */
export function sizeText(shape: readonly number[]): string {
  return fmtTuple(shape);
}
