/**
 * Modules register themselves: assigning a Module or a Parameter to a property of a Module
 * (class fields included) registers it as PyTorch's `__setattr__` does. Expected keys, module
 * paths, reprs and error texts come from PyTorch 1.13 (tools/fixtures/modules.py builds the same
 * models in Python).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { nn } from '../src/index.js';
import { TorchletError } from '../src/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectError } from './helpers/errors.js';
import { loadFixture } from './helpers/fixtures.js';



interface Described {
  name: string;
  keys: string[];
  params: string[];
  modules: string[];
  repr: string;
}
interface Cases {
  layers: { name: string; keys: string[]; repr: string }[];
  models: Described[];
  errors: Record<string, { type: string; message: string }>;
}
const fx = loadFixture<Cases>('modules');
const model = (name: string): Described => fx.cases.models.find((m) => m.name === name)!;
/** PyTorch's message with Python's type names as JavaScript's. */
const pyText = (name: string): string => fx.cases.errors[name]!.message.replace("'int'", "'number'").replace("'str'", "'string'").replace(/^int /, 'number ');

/** PyTorch's `Net` of tools/fixtures/modules.py, with class fields (define semantics). */
class Net extends nn.Module {
  lstm: nn.Module | null = new nn.LSTM(3, 5);
  scale: nn.Parameter | null = new nn.Parameter(torch.ones(1));
  head: nn.Linear | null = new nn.Linear(5, 2);
  plain = [new nn.Parameter(torch.ones(2))];
  blocks = new nn.ModuleList<nn.Module>([new nn.Linear(2, 2), new nn.ReLU()]);
  gains = new nn.ParameterList([new nn.Parameter(torch.ones(2))]);
  runningMean = this.registerBuffer('running_mean', torch.zeros(2));

  forward(x: Tensor): Tensor {
    const [out] = (this.lstm as nn.LSTM).forward(x);
    let h = this.head!.forward(out).mul(this.scale!);
    for (const b of this.blocks) h = (b as nn.Linear).forward(h);
    return h.mul(this.gains.get(0));
  }
}

/** The same model assigned in the constructor. */
class NetCtor extends nn.Module {
  lstm: nn.LSTM;
  scale: nn.Parameter;
  head: nn.Linear;
  plain: nn.Parameter[];
  blocks: nn.ModuleList;
  gains: nn.ParameterList;
  constructor() {
    super();
    this.lstm = new nn.LSTM(3, 5);
    this.scale = new nn.Parameter(torch.ones(1));
    this.head = new nn.Linear(5, 2);
    this.plain = [new nn.Parameter(torch.ones(2))];
    this.blocks = new nn.ModuleList([new nn.Linear(2, 2), new nn.ReLU()]);
    this.gains = new nn.ParameterList([new nn.Parameter(torch.ones(2))]);
    this.registerBuffer('running_mean', torch.zeros(2));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

function describeModel(m: torch.nn.Module): Omit<Described, 'name'> {
  return {
    keys: Object.keys(m.stateDict()),
    params: [...m.namedParameters()].map(([n]) => n),
    modules: [...m.namedModules()].map(([n]) => n),
    repr: m.toString(),
  };
}

/** Everything registration can change, to check that a refused assignment changed nothing. */
function snapshot(m: torch.nn.Module): unknown {
  return { ...describeModel(m), values: Object.entries(m.stateDict()).map(([k, t]) => [k, t.storage]), props: Object.entries(m) };
}

describe('assignment registers Modules and Parameters (PyTorch __setattr__)', () => {
  it('class fields and constructor assignments register in assignment order, as PyTorch', () => {
    const { name: _, ...expected } = model('Net');
    expect(describeModel(new Net())).toEqual(expected);
    expect(describeModel(new NetCtor())).toEqual({ ...expected, repr: expected.repr.replace(/^Net/, 'NetCtor') });
    const net = new Net();
    expect(net.parameters().length).toBe(10);
    expect(net.parameters()).not.toContain(net.plain[0]); // a plain array is not registered
    expect(net.children()).toEqual([net.lstm, net.head, net.blocks, net.gains]);
  });

  it('reassigning replaces in place (order kept); null clears but keeps the name; delete removes', () => {
    const net = new Net();
    const gru = new nn.GRU(3, 5);
    net.lstm = gru;
    net.head = null;
    net.scale = null;
    const { name: _, ...reassigned } = model('NetReassigned');
    expect(describeModel(net)).toEqual(reassigned);
    expect(net.getSubmodule('lstm')).toBe(gru);

    const net3 = new Net();
    delete (net3 as { lstm?: unknown }).lstm;
    net3.lstm = new nn.LSTM(3, 5);
    const { name: __, ...readded } = model('NetDeletedReadded');
    expect(describeModel(net3)).toEqual(readded);
  });

  it('tied weights: one Parameter under two names is one parameter and two state-dict keys, as PyTorch', () => {
    class Tied extends nn.Module {
      enc = new nn.Embedding(6, 4);
      dec = new nn.Linear(4, 6, { bias: false });
      w = new nn.Parameter(torch.ones(2));
      w2 = this.w;
      constructor() {
        super();
        (this.dec as { weight: nn.Parameter }).weight = this.enc.weight;
      }
      forward(x: Tensor): Tensor {
        return this.dec.forward(this.enc.forward(x));
      }
    }
    const { name: _, ...expected } = model('Tied');
    const t = new Tied();
    expect(describeModel(t)).toEqual(expected);
    expect(t.dec.weight).toBe(t.enc.weight);
    expect(t.dec.getParameter('weight')).toBe(t.enc.weight);
  });

  it("every built-in layer's state-dict keys are PyTorch's (explicitly registered objects are not registered twice)", () => {
    const build: Record<string, () => torch.nn.Module> = {
      Linear: () => new nn.Linear(3, 2),
      LinearNoBias: () => new nn.Linear(3, 2, { bias: false }),
      Embedding: () => new nn.Embedding(10, 3),
      Conv1d: () => new nn.Conv1d(2, 4, 3),
      LayerNorm: () => new nn.LayerNorm(4),
      GroupNorm: () => new nn.GroupNorm(2, 4),
      BatchNorm1d: () => new nn.BatchNorm1d(3),
      BatchNorm1dNoStats: () => new nn.BatchNorm1d(3, { trackRunningStats: false }),
      RNN: () => new nn.RNN(3, 4, { numLayers: 2, bidirectional: true }),
      LSTM: () => new nn.LSTM(3, 4, { projSize: 2 }),
      GRU: () => new nn.GRU(3, 4, { bias: false }),
      RNNCell: () => new nn.RNNCell(3, 4),
      LSTMCell: () => new nn.LSTMCell(3, 4),
      GRUCell: () => new nn.GRUCell(3, 4),
      // A Parameter given as a loss weight stays a buffer, as PyTorch's register_buffer makes it.
      CrossEntropyLoss: () => new nn.CrossEntropyLoss({ weight: new nn.Parameter(torch.ones(3)) }),
      BCEWithLogitsLoss: () => new nn.BCEWithLogitsLoss({ weight: torch.ones(3), posWeight: new nn.Parameter(torch.ones(3)) }),
      ParameterList: () => new nn.ParameterList([new nn.Parameter(torch.ones(3, 4)), new nn.Parameter(torch.zeros(2))]),
      ModuleList: () => new nn.ModuleList([new nn.Linear(2, 2), new nn.Tanh(), new nn.Linear(2, 1)]),
    };
    expect(Object.keys(build).sort()).toEqual(fx.cases.layers.map((c) => c.name).sort());
    for (const c of fx.cases.layers) {
      const m = build[c.name]!();
      expect(Object.keys(m.stateDict()), c.name).toEqual(c.keys);
      expect(m.parameters().length, c.name).toBe(new Set(m.parameters()).size);
    }
    expect(new nn.CrossEntropyLoss({ weight: new nn.Parameter(torch.ones(3)) }).parameters()).toEqual([]);
    const pl = fx.cases.layers.find((c) => c.name === 'ParameterList')!;
    expect(build.ParameterList!().toString()).toBe(pl.repr);
  });

  it('a subclass of a built-in layer registers what it assigns, after the layer\'s own parameters', () => {
    class Tagged extends nn.LSTM {
      tag = new nn.Linear(4, 2);
      constructor() {
        super(3, 4);
      }
    }
    const t = new Tagged();
    expect(Object.keys(t.stateDict())).toEqual([
      'weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'tag.weight', 'tag.bias',
    ]);
    expect(t).toBeInstanceOf(nn.LSTM);
    expect(t.forward(torch.zeros(2, 1, 3))[0].shape).toEqual([2, 1, 4]);
  });

  it('instanceof, this in methods, #private fields, getters/setters, static members and arrow fields keep working', () => {
    class Odd extends nn.Module {
      static made = 0;
      #secret = 3;
      #inner = new nn.Linear(2, 2); // private: not a property, so not registered (PyTorch has no such field)
      visible = new nn.Linear(2, 1);
      #gain = 1;
      twice = (x: Tensor): Tensor => x.mul(2 * this.#gain);
      constructor() {
        super();
        Odd.made++;
      }
      get secret(): number {
        return this.#secret;
      }
      set secret(v: number) {
        this.#secret = v;
      }
      get layer(): nn.Linear {
        return this.#inner;
      }
      static isOdd(x: unknown): boolean {
        return #secret in (x as object);
      }
      forward(x: Tensor): Tensor {
        return this.visible.forward(this.twice(this.#inner.forward(x)));
      }
    }
    const o = new Odd();
    expect(o).toBeInstanceOf(Odd);
    expect(o).toBeInstanceOf(nn.Module);
    expect(o.constructor).toBe(Odd);
    expect(Odd.made).toBe(1);
    expect(Odd.isOdd(o)).toBe(true);
    expect(o.secret).toBe(3);
    o.secret = 7;
    expect(o.secret).toBe(7);
    expect(o.layer).toBeInstanceOf(nn.Linear);
    expect(o.forward(torch.ones(1, 2)).shape).toEqual([1, 1]);
    expect(Object.keys(o.stateDict())).toEqual(['visible.weight', 'visible.bias']);
    expect(o.toString()).toBe('Odd(\n  (visible): Linear(in_features=2, out_features=1, bias=True)\n)');
  });

  it("util.inspect / console.log of a user module prints PyTorch's text, also when extraRepr reads a #private field", () => {
    class Scaled extends nn.Module {
      #scale = 2;
      fc = new nn.Linear(2, 1);
      override extraRepr(): string {
        return `scale=${this.#scale}`;
      }
      forward(x: Tensor): Tensor {
        return this.fc.forward(x).mul(this.#scale);
      }
    }
    const text = 'Scaled(\n  scale=2\n  (fc): Linear(in_features=2, out_features=1, bias=True)\n)';
    expect(String(new Scaled())).toBe(text);
    expect(inspect(new Scaled())).toBe(text);
  });

  it('PyTorch\'s TypeError for a value of the wrong kind under a registered name, and nothing changes', () => {
    const cases: [string, (n: Net) => void][] = [
      ['assign_number_to_module', (n) => Object.assign(n, { lstm: 5 })],
      ['assign_tensor_to_parameter', (n) => Object.assign(n, { scale: torch.zeros(1) })],
    ];
    for (const [name, f] of cases) {
      const n = new Net();
      const before = snapshot(n);
      expectError(() => f(n), TorchletError, pyText(name), fx.cases.errors[name]!.type);
      expect(snapshot(n), name).toEqual(before);
    }
    // A buffer registered under the property's own name: only a Tensor or null may replace it.
    class WithBuffer extends nn.Module {
      running_mean = this.registerBuffer('running_mean', torch.zeros(2));
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const b = new WithBuffer();
    const before = snapshot(b);
    expectError(() => Object.assign(b, { running_mean: 'x' }), TorchletError, pyText('assign_string_to_buffer'), 'TypeError');
    expect(snapshot(b)).toEqual(before);
    const fresh = torch.ones(2);
    b.running_mean = fresh;
    expect(b.stateDict().running_mean!.storage).toBe(fresh.storage);
  });

  it("a Parameter or a Module assigned to a buffer's name takes the name over (PyTorch's remove_from)", () => {
    class Holder extends nn.Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const m = new Holder() as Holder & Record<string, unknown>;
    m.registerBuffer('b', torch.zeros(1), false);
    m.registerBuffer('c', torch.zeros(1));
    m.b = new nn.Parameter(torch.ones(2));
    m.c = new nn.Linear(1, 1);
    expect([...m.namedBuffers()].map(([k]) => k)).toEqual([]);
    expect([...m.namedParameters()].map(([k]) => k)).toEqual(['b', 'c.weight', 'c.bias']);
    expect(Object.keys(m.stateDict())).toEqual(['b', 'c.weight', 'c.bias']);
  });

  it('a class field declared again as undefined in a subclass is refused with a hint, not silently cleared', () => {
    class Base extends nn.Module {
      fc = new nn.Linear(2, 2);
      forward(x: Tensor): Tensor {
        return this.fc.forward(x);
      }
    }
    class Redeclared extends Base {
      // What `fc!: nn.Linear` compiles to under define semantics (without `declare`).
      override fc = undefined as unknown as nn.Linear;
    }
    expectError(() => new Redeclared(), TorchletError, "cannot assign 'undefined' as child module 'fc' (torch.nn.Module or None expected). A class field declared again", 'TypeError');
  });

  it("register* keep PyTorch's name and type checks (KeyError, TypeError), and change nothing when they refuse", () => {
    const checks: [string, (n: Net) => unknown, string][] = [
      ['register_parameter_tensor', (n) => n.registerParameter('w', torch.zeros(1) as nn.Parameter), 'TypeError'],
      ['register_parameter_dot', (n) => n.registerParameter('a.b', null), 'KeyError'],
      ['register_parameter_empty', (n) => n.registerParameter('', null), 'KeyError'],
      ['register_buffer_dot', (n) => n.registerBuffer('a.b', null), 'KeyError'],
      ['add_module_dot', (n) => n.registerModule('a.b', null), 'KeyError'],
      ['add_module_not_module', (n) => n.registerModule('x', 5 as unknown as nn.Module), 'TypeError'],
      ['add_module_exists', (n) => n.registerModule('scale', null), 'KeyError'],
      ['register_parameter_exists', (n) => n.registerParameter('lstm', null), 'KeyError'],
    ];
    for (const [name, f, type] of checks) {
      const n = new Net();
      const before = snapshot(n);
      expectError(() => f(n), TorchletError, pyText(name), type);
      expect(snapshot(n), name).toEqual(before);
    }
    const n = new Net();
    expect(n.registerParameter('extra', new nn.Parameter(torch.ones(1)))).toBeInstanceOf(nn.Parameter);
    expect(Object.keys(n.stateDict())).toContain('extra');
  });

  it('an optimizer sees the parameters of a model written without registerModule', () => {
    const net = new Net();
    const opt = new torch.optim.SGD(net.parameters(), { lr: 0.1 });
    net.forward(torch.ones(2, 1, 3)).sum().backward();
    expect(net.parameters().map((p) => p.grad !== null)).toEqual(Array(10).fill(true));
    for (const p of net.parameters()) p.grad = torch.onesLike(p);
    const before = net.parameters().map((p) => [...p.contiguousData()]);
    opt.step();
    const after = net.parameters().map((p) => [...p.contiguousData()]);
    // Every registered parameter took the step (float32 rounding aside).
    const worst = after.map((a, i) => Math.max(...a.map((v, j) => Math.abs(v - (before[i]![j]! - 0.1)))));
    expect(worst.every((w) => w < 1e-6), String(worst)).toBe(true);
  });
});
