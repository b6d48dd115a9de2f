/**
 * Record every module call of one forward: which module, in which order and nesting, with which
 * arguments and output. Used by `torch.explain` for Sequential, ModuleList, the other layers and
 * user Modules. The calls are seen through global forward hooks (PyTorch's
 * `register_module_forward_pre_hook` / `register_module_forward_hook`), removed afterwards; the run
 * happens on zeros, with autograd off and every module in eval mode (so dropout draws no random
 * numbers and BatchNorm updates no running statistics); each module's training flag is put back
 * afterwards, whatever happens.
 */

import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import { registerModuleForwardHook, registerModuleForwardPreHook } from '../nn/module.js';

/** One call of a module's forward. `output` is undefined when the call threw. */
export interface Call {
  readonly module: Module;
  readonly path: string;
  readonly depth: number;
  readonly args: readonly unknown[];
  output: unknown;
  /** True once the call returned. */
  done: boolean;
}

/**
 * Run `body` with every submodule of `root` recorded, and return the calls in the order they
 * started (a pre-order of the call tree) and the error, if the run threw. Modules outside `root`
 * that run meanwhile are not recorded.
 */
export function traceCalls(root: Module, body: () => unknown): { calls: Call[]; error: unknown } {
  const calls: Call[] = [];
  const stack: Call[] = [];
  const modules = [...root.namedModules()];
  const pathOf = new Map<Module, string>(modules.map(([path, m]) => [m, path]));
  const training = modules.map(([, m]) => m.training);
  let error: unknown;
  const pre = registerModuleForwardPreHook((m, args) => {
    const path = pathOf.get(m);
    if (path === undefined) return undefined;
    const call: Call = { module: m, path, depth: stack.length, args: [...args], output: undefined, done: false };
    calls.push(call);
    stack.push(call);
    return undefined;
  });
  const post = registerModuleForwardHook((m, _args, output) => {
    if (!pathOf.has(m)) return undefined;
    const call = stack.pop();
    if (call !== undefined) {
      call.output = output;
      call.done = true;
    }
    return undefined;
  });
  try {
    for (const [, m] of modules) m.training = false;
    noGrad(body);
  } catch (e) {
    error = e;
  } finally {
    pre.remove();
    post.remove();
    modules.forEach(([, m], i) => {
      m.training = training[i];
    });
  }
  return { calls, error };
}
