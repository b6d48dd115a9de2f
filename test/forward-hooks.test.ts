/**
 * Forward hooks fire as PyTorch's `__call__` runs them, although torchlet calls `forward`
 * directly: from user code, from a parent (Sequential, a user module calling
 * `this.lstm.forward(x)`), global hooks first. The order of calls is checked against PyTorch 1.13
 * (tools/fixtures/modules.py).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { nn } from '../src/index.js';
import { TorchletError } from '../src/index.js';
import type { RemovableHandle } from '../src/nn/module.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectError } from './helpers/errors.js';
import { loadFixture } from './helpers/fixtures.js';


const fx = loadFixture<{ hooks: { name: string; calls: string[] }[] }>('modules');

/** The `Net` of tools/fixtures/modules.py. */
class Net extends nn.Module {
  lstm = new nn.LSTM(3, 5);
  scale = new nn.Parameter(torch.ones(1));
  head = new nn.Linear(5, 2);
  blocks = new nn.ModuleList<nn.Module>([new nn.Linear(2, 2), new nn.ReLU()]);
  gains = new nn.ParameterList([new nn.Parameter(torch.ones(2))]);
  forward(x: Tensor): Tensor {
    const [out] = this.lstm.forward(x);
    let h = this.head.forward(out).mul(this.scale);
    for (const b of this.blocks) h = (b as nn.Linear).forward(h);
    return h.mul(this.gains.get(0));
  }
}

let handles: RemovableHandle[] = [];
afterEach(() => {
  for (const h of handles) h.remove();
  handles = [];
});

/** Global pre/post hooks logging `>path` / `<path` (the path from `namedModules()`). */
function trace(root: torch.nn.Module): string[] {
  const names = new Map([...root.namedModules()].map(([n, m]) => [m, n]));
  const log: string[] = [];
  handles.push(nn.registerModuleForwardPreHook((m) => void log.push(`>${names.get(m) ?? '?'}`)));
  handles.push(nn.registerModuleForwardHook((m) => void log.push(`<${names.get(m) ?? '?'}`)));
  return log;
}

describe('forward hooks', () => {
  it("global hooks run on every module's forward, called by user code or by a parent, in PyTorch's order", () => {
    const expected = Object.fromEntries(fx.cases.hooks.map((h) => [h.name, h.calls]));
    const net = new Net();
    const log = trace(net);
    net.forward(torch.zeros(1, 1, 3));
    expect(log).toEqual(expected.Net);

    for (const h of handles) h.remove();
    const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.Sequential(new nn.ReLU(), new nn.Linear(4, 2)), new nn.Tanh());
    const log2 = trace(seq);
    seq.forward(torch.zeros(1, 3));
    expect(log2).toEqual(expected.Sequential);
  });

  it('a module hook gets (module, args, output); a pre-hook gets (module, args); both fire when a parent calls', () => {
    const net = new Net();
    const seen: unknown[] = [];
    const x = torch.zeros(1, 1, 3);
    handles.push(net.lstm.registerForwardPreHook((m, args) => void seen.push(['pre', m, args])));
    handles.push(net.lstm.registerForwardHook((m, args, out) => void seen.push(['post', m, args, out])));
    net.forward(x);
    expect(seen.length).toBe(2);
    const [pre, post] = seen as [unknown[], unknown[]];
    expect(pre[0]).toBe('pre');
    expect(pre[1]).toBe(net.lstm);
    expect(pre[2]).toEqual([x]);
    expect(post[1]).toBe(net.lstm);
    const out = post[3] as [Tensor, [Tensor, Tensor]];
    expect(out[0].shape).toEqual([1, 1, 5]);
    expect(out[1][0].shape).toEqual([1, 1, 5]);
    // Called directly too.
    net.lstm.forward(x);
    expect(seen.length).toBe(4);
  });

  it('a pre-hook returning an array replaces the arguments, a single value becomes the only argument; a forward hook replaces the output', () => {
    const lin = new nn.Linear(2, 2, { bias: false });
    torch.noGrad(() => lin.weight.copy_([1, 0, 0, 1]));
    const x = torch.tensor([[1, 2]]);
    const h1 = lin.registerForwardPreHook((_m, args) => [(args[0] as Tensor).mul(10)]);
    expect(lin.forward(x).tolist()).toEqual([[10, 20]]);
    h1.remove();
    const h2 = lin.registerForwardPreHook(() => torch.tensor([[3, 4]]));
    expect(lin.forward(x).tolist()).toEqual([[3, 4]]);
    h2.remove();
    const seenArgs: unknown[][] = [];
    handles.push(lin.registerForwardPreHook(() => undefined));
    handles.push(lin.registerForwardHook((_m, args, out) => {
      seenArgs.push(args);
      return (out as Tensor).add(1);
    }));
    handles.push(lin.registerForwardHook((_m, _a, out) => (out as Tensor).mul(2)));
    expect(lin.forward(x).tolist()).toEqual([[4, 6]]); // (x + 1) * 2: hooks in registration order
    expect(seenArgs).toEqual([[x]]);
  });

  it('global hooks run before module hooks; remove() stops a hook, twice is harmless, and handles have distinct ids', () => {
    const relu = new nn.ReLU();
    const log: string[] = [];
    const own = relu.registerForwardHook(() => void log.push('own'));
    const glob = nn.registerModuleForwardHook(() => void log.push('global'));
    const ownPre = relu.registerForwardPreHook(() => void log.push('ownPre'));
    const globPre = nn.registerModuleForwardPreHook(() => void log.push('globalPre'));
    handles.push(own, glob, ownPre, globPre);
    relu.forward(torch.ones(1));
    expect(log).toEqual(['globalPre', 'ownPre', 'global', 'own']);
    expect(new Set(handles.map((h) => h.id)).size).toBe(4);
    own.remove();
    own.remove();
    globPre.remove();
    log.length = 0;
    relu.forward(torch.ones(1));
    expect(log).toEqual(['ownPre', 'global']);
  });

  it('a hook that removes itself runs once; a hook added during a call first runs on the next call', () => {
    const tanh = new nn.Tanh();
    let calls = 0;
    let late = 0;
    const h: RemovableHandle = tanh.registerForwardHook(() => {
      calls++;
      h.remove();
      handles.push(tanh.registerForwardHook(() => void late++));
    });
    tanh.forward(torch.ones(1));
    tanh.forward(torch.ones(1));
    expect(calls).toBe(1);
    expect(late).toBe(1);
  });

  it("super.forward in a subclass does not run the module's hooks twice", () => {
    class Scaled extends nn.Linear {
      override forward(x: Tensor): Tensor {
        return super.forward(x).mul(2);
      }
    }
    class Twice extends Scaled {
      override forward(x: Tensor): Tensor {
        return super.forward(x).add(1);
      }
    }
    const m = new Twice(2, 2);
    const plain = new nn.Linear(2, 2);
    let n = 0;
    handles.push(m.registerForwardHook(() => void n++));
    handles.push(plain.registerForwardHook(() => void n++));
    m.forward(torch.ones(1, 2));
    expect(n).toBe(1);
    plain.forward(torch.ones(1, 2)); // Linear's own forward, wrapped once, still hooks plain Linears
    expect(n).toBe(2);
  });

  it('a forward assigned to the instance or written as an arrow-function field is hooked too', () => {
    class Arrow extends nn.Module {
      fc = new nn.Linear(2, 1);
      forward = (x: Tensor): Tensor => this.fc.forward(x);
    }
    const a = new Arrow();
    const log = trace(a);
    const f = a.forward;
    f(torch.ones(1, 2)); // detached call: the module is still known
    expect(log).toEqual(['>', '>fc', '<fc', '<']);
    const r = new nn.ReLU();
    (r as { forward: (x: Tensor) => Tensor }).forward = (x: Tensor) => x.neg();
    let seen = 0;
    handles.push(r.registerForwardHook(() => void seen++));
    expect(r.forward(torch.ones(1)).tolist()).toEqual([-1]);
    expect(seen).toBe(1);
  });

  it('a forward that throws skips the forward hooks (as PyTorch) and leaves nothing behind', () => {
    const lstm = new nn.LSTM(3, 4);
    let post = 0;
    handles.push(lstm.registerForwardHook(() => void post++));
    expect(() => lstm.forward(torch.zeros(2, 1, 5))).toThrow(/input.size\(-1\) must be equal to input_size. Expected 3, got 5/);
    expect(post).toBe(0);
    lstm.forward(torch.zeros(2, 1, 3));
    expect(post).toBe(1);
  });

  it('a hook that is not a function is a TypeError, and nothing is registered', () => {
    const relu = new nn.ReLU();
    let fired = 0;
    handles.push(nn.registerModuleForwardHook(() => void fired++));
    for (const [f, name] of [
      [() => relu.registerForwardHook(5 as never), 'registerForwardHook'],
      [() => relu.registerForwardPreHook(null as never), 'registerForwardPreHook'],
      [() => nn.registerModuleForwardHook('x' as never), 'registerModuleForwardHook'],
      [() => nn.registerModuleForwardPreHook({} as never), 'registerModuleForwardPreHook'],
    ] as const) {
      expectError(f, TorchletError, `${name}(): argument 'hook' must be a function, not `, 'TypeError');
    }
    expect(relu.forward(torch.ones(1)).tolist()).toEqual([1]);
    expect(fired).toBe(1);
  });

  it('hooked and unhooked forwards give the same values and gradients', () => {
    torch.manualSeed(1);
    const net = new Net();
    const x = torch.randn(4, 2, 3);
    const run = (): number[] => {
      net.zeroGrad();
      const y = net.forward(x);
      y.sum().backward();
      return [...y.toFloat32Array(), ...net.head.weight.grad!.toFloat32Array()];
    };
    const bare = run();
    trace(net);
    handles.push(net.head.registerForwardHook(() => undefined));
    expect(run()).toEqual(bare);
  });
});
