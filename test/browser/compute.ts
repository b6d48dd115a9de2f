/**
 * The computation the browser test runs twice: in Chromium (bundled by test/browser/entry.ts)
 * and in Node (test/browser.test.ts). Same seed and same inputs on both sides, so the numbers
 * must agree within float32 round-off. Returns plain arrays, so the result crosses from the
 * page to the test as JSON.
 */
import type * as Torch from '../../src/index.js';

type TorchModule = typeof Torch;
type TensorT = Torch.Tensor;

/** A tensor as JSON: shape and values in row-major order. */
export interface Plain {
  shape: number[];
  data: number[];
}

/** Named results of one run, for instance `lstm/output` or `gru/grad/weight_hh_l0`. */
export type Results = Record<string, Plain>;

function plain(t: TensorT): Plain {
  return { shape: [...t.shape], data: Array.from(t.contiguousData()) };
}

/** Deterministic values `cos(i * step)` in the given shape (no RNG involved). */
function det(torch: TorchModule, shape: number[], step: number, requiresGrad = false): TensorT {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.cos(i * step);
  return torch.tensor(v, { shape, requiresGrad });
}

function grads(out: Results, prefix: string, module: Torch.nn.Module, x: TensorT): void {
  for (const [name, p] of module.namedParameters()) {
    if (!p.grad) throw new Error(`${prefix}: parameter ${name} got no gradient`);
    out[`${prefix}/grad/${name}`] = plain(p.grad);
  }
  if (!x.grad) throw new Error(`${prefix}: input got no gradient`);
  out[`${prefix}/grad/input`] = plain(x.grad);
}

/**
 * The seed's layer, `LSTM(60, 20, batchFirst, bidirectional)`, and a 2-layer GRU: weights from
 * `manualSeed(0)`, forward on `cos(i * 0.7)` input (batch 3, 7 steps), then backward of a
 * weighted sum of output and final states. Returns outputs, final states and every gradient.
 */
export function seedLayers(torch: TorchModule): Results {
  const out: Results = {};
  torch.manualSeed(0);
  const lstm = new torch.nn.LSTM(60, 20, { batchFirst: true, bidirectional: true });
  const gru = new torch.nn.GRU(60, 20, { batchFirst: true, numLayers: 2 });

  const x1 = det(torch, [3, 7, 60], 0.7, true);
  const [o1, [h1, c1]] = lstm.forward(x1);
  const loss1 = o1
    .mul(det(torch, o1.shape.slice(), 0.3))
    .sum()
    .add(h1.mul(det(torch, h1.shape.slice(), 1.1)).sum())
    .add(c1.mul(det(torch, c1.shape.slice(), 0.9)).sum());
  loss1.backward();
  out['lstm/output'] = plain(o1);
  out['lstm/hN'] = plain(h1);
  out['lstm/cN'] = plain(c1);
  out['lstm/loss'] = plain(loss1);
  grads(out, 'lstm', lstm, x1);

  const x2 = det(torch, [3, 7, 60], 0.7, true);
  const [o2, h2] = gru.forward(x2);
  const loss2 = o2
    .mul(det(torch, o2.shape.slice(), 0.3))
    .sum()
    .add(h2.mul(det(torch, h2.shape.slice(), 1.1)).sum());
  loss2.backward();
  out['gru/output'] = plain(o2);
  out['gru/hN'] = plain(h2);
  out['gru/loss'] = plain(loss2);
  grads(out, 'gru', gru, x2);
  return out;
}

/**
 * What the threads split: an LSTM forward under noGrad (its batch rows split across threads);
 * and a bidirectional GRU with a training step (one direction per thread: forward, backward,
 * weight gradients). Used to compare one thread with two.
 */
export function threadedLstm(torch: TorchModule): Results {
  torch.manualSeed(1);
  const lstm = new torch.nn.LSTM(16, 32, { batchFirst: true });
  const [o, [h, c]] = torch.noGrad(() => lstm.forward(det(torch, [8, 9, 16], 0.7)));
  const out: Results = { 'threads/output': plain(o), 'threads/hN': plain(h), 'threads/cN': plain(c) };
  const bi = new torch.nn.GRU(16, 32, { bidirectional: true });
  const x = det(torch, [9, 4, 16], 0.4, true);
  const [ob, hb] = bi.forward(x);
  ob.mul(det(torch, ob.shape.slice(), 0.3)).sum().add(hb.sum()).backward();
  out['threads/bi/output'] = plain(ob);
  grads(out, 'threads/bi', bi, x);
  return out;
}
