/**
 * Issue 13, ported program 1: a char-level GRU language model (fixture: tools/fixtures/port_char_gru.py).
 *
 * The PyTorch script, ported line by line: a Module subclass whose members register themselves,
 * windows of a short text in a TensorDataset, a DataLoader (PyTorch's shuffling order replayed
 * through a sampler), 20 Adam steps on CrossEntropyLoss, then under `torch.noGrad` greedy decoding (argmax)
 * and temperature sampling with the hidden state carried one character at a time (PyTorch's
 * samples replayed through a generator).
 *
 * Tolerance: each loss within 1e-5 relative of PyTorch's (the bar; float32 summation order
 * differs, ~1e-7 measured), trained weights at TOL.f32Deep, sampling probabilities at TOL.f32Deep.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { expectClose, loadFixture, TOL } from '../helpers/fixtures.js';
import { CharGRU } from './models.js';
import { ReplayGenerator, ReplaySampler } from './replay.js';

const { nn } = torch;
const { DataLoader, TensorDataset } = torch.utils.data;

interface Cases {
  text: string;
  chars: string[];
  seq: number;
  stride: number;
  batch: number;
  keys: string[];
  order: number[];
  losses: number[];
  greedy: number[];
  sampled: number[];
  greedy_text: string;
  sampled_text: string;
}
const fx = loadFixture<Cases>('port_char_gru');
const { text: TEXT, seq: SEQ, stride: STRIDE, batch: BATCH } = fx.cases;
const STEPS = 20;
const GEN = 16;


/** `logits[0, -1].argmax()`: the most likely next character (a 0-d int64 tensor). */
function lastArgmax(logits: Tensor): Tensor {
  const next = logits.index(0, -1).argmax();
  expect(next.item()).toBe(logits.index(0, -1).max(0).indices.item()); // max(dim)'s indices agree
  return next;
}

describe('port 1: char-level GRU language model', () => {
  // chars = sorted(set(TEXT)); stoi = {c: i for i, c in enumerate(chars)}
  const chars = [...new Set(TEXT)].sort();
  const stoi = new Map(chars.map((c, i) => [c, i]));
  const ids = torch.tensor([...TEXT].map((c) => stoi.get(c)!), { dtype: 'int64' });
  const starts: number[] = [];
  for (let s = 0; s < TEXT.length - SEQ - 1; s += STRIDE) starts.push(s);
  const x = torch.stack(starts.map((s) => ids.index(`${s}:${s + SEQ}`)));
  const y = torch.stack(starts.map((s) => ids.index(`${s + 1}:${s + SEQ + 1}`)));
  const model = new CharGRU(chars.length);
  model.loadStateDict(Object.fromEntries(fx.cases.keys.map((k) => [k, fx.get(`init/${k}`)])));

  it('the vocabulary, the windows and the registered parameters are those of the PyTorch script', () => {
    expect(chars).toEqual(fx.cases.chars);
    expect(x.shape).toEqual([13, SEQ]); // 13 windows: 5 epochs of 4 batches (4, 4, 4, 1) are the 20 steps
    expect(fx.cases.order.length).toBe(5 * 13);
    expect(Object.keys(model.stateDict())).toEqual(fx.cases.keys);
  });

  it('20 training steps with a DataLoader give PyTorch losses (within 1e-5 relative) and weights', () => {
    const ds = new TensorDataset(x, y);
    const loader = new DataLoader(ds, { batchSize: BATCH, sampler: new ReplaySampler(fx.cases.order, ds.length) });
    const opt = new torch.optim.Adam(model.parameters(), { lr: 0.02 });
    const lossFn = new nn.CrossEntropyLoss();
    const losses: number[] = [];
    while (losses.length < STEPS) {
      for (const [xb, yb] of loader) {
        const [logits] = model.forward(xb!);
        const loss = lossFn.forward(logits.reshape(-1, chars.length), yb!.reshape(-1));
        opt.zeroGrad();
        loss.backward();
        opt.step();
        losses.push(loss.item());
        if (losses.length === STEPS) break;
      }
    }
    for (const [i, l] of losses.entries()) {
      expect(Math.abs(l - fx.cases.losses[i]!) / fx.cases.losses[i]!, `loss ${i}: ${l} vs ${fx.cases.losses[i]}`).toBeLessThan(1e-5);
    }
    const sd = model.stateDict();
    for (const k of fx.cases.keys) expectClose(sd[k], fx.get(`trained/${k}`), TOL.f32Deep, k);
  });

  it('greedy decoding (argmax) with the hidden state carried step by step writes PyTorch text', () => {
    model.eval();
    const greedy = torch.noGrad(() => {
      const prompt = torch.tensor([[...'the '].map((c) => stoi.get(c)!)], { dtype: 'int64' });
      let [logits, h] = model.forward(prompt);
      const out: number[] = [];
      let nxt = lastArgmax(logits);
      for (let i = 0; i < GEN; i++) {
        out.push(nxt.item());
        [logits, h] = model.forward(nxt.view(1, 1), h);
        nxt = lastArgmax(logits);
      }
      return out;
    });
    expect(greedy).toEqual(fx.cases.greedy);
    expect(greedy.map((i) => chars[i]).join('')).toBe(fx.cases.greedy_text);
  });

  it("seeded sampling (multinomial, PyTorch's draws replayed) sees PyTorch's probabilities at every step", () => {
    model.eval();
    const probs = fx.get('probs');
    const generator = new ReplayGenerator();
    fx.cases.sampled.forEach((k, i) => {
      generator.pick(probs.index(i).contiguousData(), k);
    });
    const sampled = torch.noGrad(() => {
      const prompt = torch.tensor([[...'the '].map((c) => stoi.get(c)!)], { dtype: 'int64' });
      let [logits, h] = model.forward(prompt);
      const out: number[] = [];
      for (let i = 0; i < GEN; i++) {
        const p = torch.softmax(logits.index(0, -1).div(0.8), -1);
        expectClose(p, probs.index(i), TOL.f32Deep, `probabilities at step ${i}`);
        const nxt = torch.multinomial(p, 1, { generator });
        out.push(nxt.item());
        [logits, h] = model.forward(nxt.view(1, 1), h);
      }
      return out;
    });
    expect(sampled).toEqual(fx.cases.sampled);
    expect(sampled.map((i) => chars[i]).join('')).toBe(fx.cases.sampled_text);
  });
});
