/**
 * The feed-forward layers against PyTorch (fixtures from tools/fixtures/layers.py): with the
 * same state loaded on both sides, forward outputs, every gradient (input and parameters) and
 * BatchNorm's running buffers match within float32 round-off. Then init statistics, seeding,
 * reprs, state-dict keys and PyTorch's errors.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Module } from '../src/nn/module.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

const { nn } = torch;

interface LayerCase {
  name: string;
  layer: string;
  args: (number | string | number[])[];
  options: Record<string, unknown>;
  mode: 'train' | 'eval';
  steps: number;
  params: string[];
  buffers: string[];
}

type Layer = Module & { forward(x: Tensor): Tensor };

/** Build torchlet's twin of a fixture case from its name, args and options. */
function build(c: LayerCase): Layer {
  const a = c.args;
  const o = c.options;
  const num = (i: number): number => a[i] as number;
  switch (c.layer) {
    case 'Linear':
      return new nn.Linear(num(0), num(1), o);
    case 'Embedding':
      return new nn.Embedding(num(0), num(1), o);
    case 'Conv1d':
      return new nn.Conv1d(num(0), num(1), num(2), o);
    case 'LayerNorm':
      return new nn.LayerNorm(a[0] as number | number[], o);
    case 'GroupNorm':
      return new nn.GroupNorm(num(0), num(1), o);
    case 'BatchNorm1d':
      return new nn.BatchNorm1d(num(0), o);
    case 'Tanh':
      return new nn.Tanh();
    case 'ReLU':
      return new nn.ReLU();
    case 'Sigmoid':
      return new nn.Sigmoid();
    case 'GELU':
      return new nn.GELU((a[0] as 'none' | 'tanh' | undefined) ?? 'none');
    case 'LeakyReLU':
      return a.length > 0 ? new nn.LeakyReLU(num(0)) : new nn.LeakyReLU();
    case 'ELU':
      return a.length > 0 ? new nn.ELU(num(0)) : new nn.ELU();
    case 'Softmax':
      return new nn.Softmax(num(0));
    case 'LogSoftmax':
      return new nn.LogSoftmax(num(0));
    case 'Identity':
      return new nn.Identity();
    case 'Dropout':
      return new nn.Dropout(num(0));
    case 'Sequential':
      return new nn.Sequential(new nn.Linear(3, 5), new nn.Tanh(), new nn.Linear(5, 2));
    case 'SequentialConvNorm':
      return new nn.Sequential(
        new nn.Conv1d(2, 4, 3, { padding: 1 }),
        new nn.GroupNorm(2, 4),
        new nn.ReLU(),
        new nn.Conv1d(4, 2, 1),
      );
    default:
      throw new Error(`unknown layer ${c.layer}`);
  }
}

const fx = loadFixture<LayerCase[]>('layers');

describe('layers match PyTorch (forward, every gradient, running buffers)', () => {
  for (const c of fx.cases) {
    it(`${c.name}: ${c.layer}(${JSON.stringify(c.args).slice(1, -1)}) ${JSON.stringify(c.options)} ${c.mode}`, () => {
      const m = build(c);
      const state = Object.fromEntries(
        Object.entries(fx.tensors)
          .filter(([k]) => k.startsWith(`${c.name}.state.`))
          .map(([k, v]) => [k.slice(`${c.name}.state.`.length), v]),
      );
      expect(Object.keys(m.stateDict()).sort()).toEqual(Object.keys(state).sort());
      m.loadStateDict(state);
      if (c.mode === 'eval') m.eval();
      const inputs = Array.from({ length: c.steps }, (_, k) => {
        const x = fx.get(`${c.name}.input${k === 0 ? '' : k}`).clone();
        if (x.dtype !== 'int32') x.requiresGrad_(true);
        return x;
      });
      const outs = inputs.map((x) => m.forward(x));
      const out = outs[outs.length - 1]!;
      expectClose(out, fx.get(`${c.name}.out`), TOL.f32, `${c.name} out`);
      const up = fx.get(`${c.name}.up`);
      outs.map((o) => o.mul(up).sum()).reduce((s, l) => s.add(l)).backward();
      inputs.forEach((x, k) => {
        if (x.dtype === 'int32') return;
        expectClose(x.grad, fx.get(`${c.name}.grad.input${k === 0 ? '' : k}`), TOL.f32, `${c.name} grad input${k}`);
      });
      const params = Object.fromEntries(m.namedParameters());
      expect(Object.keys(params).filter((k) => params[k]!.grad !== null).sort()).toEqual([...c.params].sort());
      for (const p of c.params) expectClose(params[p]!.grad, fx.get(`${c.name}.grad.${p}`), TOL.f32, `${c.name} grad ${p}`);
      const buffers = Object.fromEntries(m.namedBuffers());
      expect(Object.keys(buffers).sort()).toEqual([...c.buffers].sort());
      for (const b of c.buffers) expectClose(buffers[b]!, fx.get(`${c.name}.after.${b}`), TOL.f32, `${c.name} ${b}`);
    });
  }
});
