/**
 * Autograd's rules against PyTorch 1.13's numbers (test/fixtures/autograd.safetensors, made by
 * tools/fixtures/autograd.py): retained graphs backpropagated twice (gradients accumulate),
 * torch.autograd.grad with gradOutputs, hooks that scale gradients, retainGrad on
 * intermediates; through ordinary ops and through 2-layer bidirectional RNN/LSTM/GRU layers over
 * a packed unsorted batch, on the reference kernel and on the WebAssembly kernel (whose saved
 * state must survive a retained backward).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { backend, type Backend, refBackend, setBackend } from '../src/kernels/backend.js';
import { type KernelPreference, setKernelPreference, wasmReady } from '../src/kernels/wasm/index.js';
import { kernelTiers } from './helpers/kernels.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

const { nn } = torch;

interface RnnCase {
  kind: 'RNN' | 'LSTM' | 'GRU';
  name: string;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
}

const fx = loadFixture<{ rnn: RnnCase[] }>('autograd');
const leaf = (t: Tensor): Tensor => t.clone().requiresGrad_();

describe('autograd vs PyTorch: ordinary ops', () => {
  const X = fx.get('ops/x');
  const W = fx.get('ops/w');
  const graph = (): { x: Tensor; w: Tensor; h: Tensor } => {
    const x = leaf(X);
    const w = leaf(W);
    return { x, w, h: x.matmul(w).tanh() };
  };

  it('the same loss twice with retainGraph accumulates', () => {
    const { x, w, h } = graph();
    const loss = h.mul(h).sum().add(h.sigmoid().sum());
    loss.backward({ retainGraph: true });
    loss.backward();
    expectClose(x.grad, fx.get('ops/retain_same/x'), TOL.f32, 'x');
    expectClose(w.grad, fx.get('ops/retain_same/w'), TOL.f32, 'w');
  });

  it('two losses through one graph', () => {
    const { x, w, h } = graph();
    h.mul(h).sum().backward({ retainGraph: true });
    h.exp().mul(fx.get('ops/c')).sum().backward();
    expectClose(x.grad, fx.get('ops/retain_two/x'), TOL.f32, 'x');
    expectClose(w.grad, fx.get('ops/retain_two/w'), TOL.f32, 'w');
  });

  it('autograd.grad with gradOutputs (one output, then two), .grad untouched', () => {
    const x = leaf(X);
    const w = leaf(W);
    const out = x.matmul(w);
    const [gx, gw] = torch.autograd.grad(out, [x, w], { gradOutputs: fx.get('ops/go'), retainGraph: true });
    expectClose(gx, fx.get('ops/grad_one/x'), TOL.f32, 'x');
    expectClose(gw, fx.get('ops/grad_one/w'), TOL.f32, 'w');
    const [g2] = torch.autograd.grad([out, out.tanh()], [x], { gradOutputs: [fx.get('ops/go'), fx.get('ops/c')] });
    expectClose(g2, fx.get('ops/grad_two/x'), TOL.f32, 'x (two outputs)');
    expect([x.grad, w.grad]).toEqual([null, null]);
  });

  it('hooks scale an intermediate (x3) and a leaf (x0.5) gradient', () => {
    const { x, w, h } = graph();
    h.registerHook((g) => g.mul(3));
    x.registerHook((g) => g.mul(0.5));
    h.mul(h).sum().backward();
    expectClose(x.grad, fx.get('ops/hooks/x'), TOL.f32, 'x');
    expectClose(w.grad, fx.get('ops/hooks/w'), TOL.f32, 'w');
  });

  it('retainGrad on intermediates, in registration order with hooks', () => {
    const x = leaf(X);
    const w = leaf(W);
    const m = x.matmul(w);
    m.retainGrad();
    m.registerHook((g) => g.mul(2));
    const a = m.tanh();
    a.registerHook((g) => g.mul(10));
    a.retainGrad();
    a.mul(a).sum().backward();
    expectClose(m.grad, fx.get('ops/retain_grad/m'), TOL.f32, 'm');
    expectClose(a.grad, fx.get('ops/retain_grad/a'), TOL.f32, 'a');
    expectClose(x.grad, fx.get('ops/retain_grad/x'), TOL.f32, 'x');
    expectClose(w.grad, fx.get('ops/retain_grad/w'), TOL.f32, 'w');
  });
});

const useWasm = await wasmReady();
/** [name, backend, preference]: the reference, then every fast tier of test/helpers/kernels.ts (the recurrent kernel swapped in). */
const backends: [string, Backend, KernelPreference][] = [['ref', refBackend, 'auto']];
if (useWasm) for (const t of kernelTiers()) backends.push([t.name, { ...refBackend, name: t.name, rnn: t.rnn }, t.preference]);
const initial = backend();
afterAll(() => {
  setBackend(initial);
  setKernelPreference('auto');
});

function build(c: RnnCase): torch.nn.RNNBase {
  const opts = { numLayers: c.numLayers, bidirectional: c.bidirectional };
  const m = c.kind === 'RNN' ? new nn.RNN(c.inputSize, c.hiddenSize, opts) : c.kind === 'LSTM' ? new nn.LSTM(c.inputSize, c.hiddenSize, opts) : new nn.GRU(c.inputSize, c.hiddenSize, opts);
  const pre = `${c.name}/p/`;
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(fx.tensors)) if (k.startsWith(pre)) sd[k.slice(pre.length)] = v;
  m.loadStateDict(sd);
  return m;
}

function runCase(c: RnnCase): void {
  const pre = `${c.name}/`;
  const tol = TOL.f32Deep;
  const model = build(c);
  const params = [...model.namedParameters()];
  const forward = (): { x: Tensor; y: Tensor; hN: Tensor } => {
    const x = leaf(fx.get(`${pre}x`));
    const packed = new nn.utils.PackedSequence(x, fx.get(`${pre}batch_sizes`), fx.get(`${pre}sorted_indices`), fx.get(`${pre}unsorted_indices`));
    const [out, state] = model.forward(packed as unknown as Tensor);
    const y = (out as unknown as torch.nn.utils.PackedSequence).data;
    const hN = Array.isArray(state) ? state[0]! : (state as Tensor);
    return { x, y, hN };
  };
  const check = (name: string, x: Tensor): void => {
    expectClose(x.grad, fx.get(`${pre}${name}/x`), tol, `${name} x`);
    for (const [pn, p] of params) expectClose(p.grad, fx.get(`${pre}${name}/p/${pn}`), tol, `${name} ${pn}`);
    model.zeroGrad();
  };
  const wy1 = fx.get(`${pre}wy1`);
  const wh1 = fx.get(`${pre}wh1`);

  {
    const { x, y, hN } = forward();
    y.mul(wy1).sum().add(hN.mul(wh1).sum()).backward({ retainGraph: true });
    y.mul(fx.get(`${pre}wy2`)).sum().backward();
    check('retain_two', x);
  }
  {
    const { x, y } = forward();
    const loss = y.mul(wy1).sum();
    loss.backward({ retainGraph: true });
    loss.backward();
    check('retain_same', x);
  }
  {
    const { x, y } = forward();
    const named = new Map(params);
    const [gx, gwhh, gwih] = torch.autograd.grad(y, [x, named.get('weight_hh_l0')!, named.get('weight_ih_l1_reverse')!], { gradOutputs: wy1 });
    expectClose(gx, fx.get(`${pre}grad/x`), tol, 'grad x');
    expectClose(gwhh, fx.get(`${pre}grad/weight_hh_l0`), tol, 'grad weight_hh_l0');
    expectClose(gwih, fx.get(`${pre}grad/weight_ih_l1_reverse`), tol, 'grad weight_ih_l1_reverse');
    expect(x.grad).toBeNull();
    for (const [, p] of params) expect(p.grad).toBeNull();
  }
  {
    const { x, y, hN } = forward();
    y.registerHook((g) => g.mul(2));
    hN.retainGrad();
    x.registerHook((g) => g.mul(0.5));
    y.mul(wy1).sum().add(hN.mul(wh1).sum()).backward();
    expectClose(hN.grad, fx.get(`${pre}hooks/hN`), tol, 'hN.grad');
    check('hooks', x);
  }
}

for (const [bname, b, preference] of backends) {
  describe(`autograd vs PyTorch: recurrent layers (${bname} kernel)`, () => {
    for (const c of fx.cases.rnn) {
      it(`${c.kind}, 2 layers, bidirectional, packed unsorted: retained twice, autograd.grad, hooks, retainGrad`, () => {
        setBackend(b);
        setKernelPreference(preference);
        runCase(c);
      });
    }
  });
}
