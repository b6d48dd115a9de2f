/**
 * Record every module call of one forward: which module, in which order and nesting, with which
 * arguments and output. Used by `torch.explain` for Sequential, ModuleList, the other layers and
 * user Modules. The run happens on zeros, with autograd off and every module in eval mode (so
 * dropout draws no random numbers and BatchNorm updates no running statistics); each module's
 * training flag is put back afterwards, whatever happens.
 */

import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';

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
 * started (a pre-order of the call tree) and the error, if the run threw.
 *
 * The calls are seen by wrapping each submodule's `forward` for the duration of the run (an own
 * property shadowing the class's method, deleted afterwards), so nothing of the module's is
 * changed once this returns.
 */
export function traceCalls(root: Module, body: () => unknown): { calls: Call[]; error: unknown } {
  const calls: Call[] = [];
  const stack: Call[] = [];
  const modules = [...root.namedModules()];
  const training = modules.map(([, m]) => m.training);
  const patched: Module[] = [];
  let error: unknown;
  try {
    for (const [path, m] of modules) {
      if (Object.hasOwn(m, 'forward')) continue; // a forward set on the instance: leave it alone
      const original = (m as unknown as { forward: (...a: unknown[]) => unknown }).forward;
      Object.defineProperty(m, 'forward', {
        configurable: true,
        writable: true,
        enumerable: false,
        value: (...args: unknown[]) => {
          const call: Call = { module: m, path, depth: stack.length, args, output: undefined, done: false };
          calls.push(call);
          stack.push(call);
          try {
            call.output = original.apply(m, args);
            call.done = true;
            return call.output;
          } finally {
            stack.pop();
          }
        },
      });
      patched.push(m);
    }
    for (const [, m] of modules) m.training = false;
    noGrad(body);
  } catch (e) {
    error = e;
  } finally {
    for (const m of patched) delete (m as unknown as { forward?: unknown }).forward;
    modules.forEach(([, m], i) => {
      m.training = training[i]!;
    });
  }
  return { calls, error };
}
