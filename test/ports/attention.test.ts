/**
 * Issue 13, ported program 3: an encoder-decoder with dot-product attention (fixture:
 * tools/fixtures/port_attention.py).
 *
 * The PyTorch script, ported line by line: a GRU encoder over padded source tokens, a GRU decoder
 * started from the encoder's hN (teacher forcing), scores by `torch.einsum('bqd,bkd->bqk')`, the
 * padding hidden with a bool mask (`src.eq(PAD).unsqueeze(1)`) through `maskedFill(mask, -Infinity)`,
 * softmax, the context by `torch.bmm`, a Linear over the concatenation; CrossEntropyLoss with
 * `ignoreIndex: PAD`; 6 Adam steps on one batch.
 *
 * Tolerance: each loss within 1e-5 relative of PyTorch's (the bar); attention weights,
 * logits and first-step gradients at TOL.f32, trained weights at TOL.f32Deep.
 */
import { describe, expect, it } from 'vitest';
import * as torch from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { expectClose, loadFixture, TOL } from '../helpers/fixtures.js';
import { SEQ2SEQ, Seq2Seq } from './models.js';

const { nn } = torch;

interface Cases {
  keys: string[];
  src: number[][];
  tgt_in: number[][];
  tgt_out: number[][];
  losses: number[];
}
const fx = loadFixture<Cases>('port_attention');
const { PAD, VT } = SEQ2SEQ;
const STEPS = 6;

/** PyTorch's state-dict names (src_embed.weight) for the camelCase members (srcEmbed.weight). */
const pyName = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('port 3: encoder-decoder with dot-product attention', () => {
  const long = (v: number[][]): Tensor => torch.tensor(v, { dtype: 'int64' });
  const [src, tgtIn, tgtOut] = [long(fx.cases.src), long(fx.cases.tgt_in), long(fx.cases.tgt_out)];

  function fresh(): Seq2Seq {
    const model = new Seq2Seq();
    const names = Object.keys(model.stateDict());
    expect(names.map(pyName)).toEqual(fx.cases.keys);
    model.loadStateDict(Object.fromEntries(names.map((k) => [k, fx.get(`init/${pyName(k)}`)])));
    return model;
  }

  it('the first forward and backward give PyTorch attention weights (zero on padding), logits and gradients', () => {
    const model = fresh();
    const [logits, attn] = model.forward(src, tgtIn);
    expectClose(attn, fx.get('attn0'), TOL.f32, 'attention');
    // Masked source positions get exactly zero weight: row 1 has 3 real tokens, row 2 four.
    expect(attn.index(1, ':', '3:').abs().sum().item()).toBe(0);
    expect(attn.index(2, ':', 4).abs().sum().item()).toBe(0);
    expectClose(logits, fx.get('logits0'), TOL.f32, 'logits');
    const loss = new nn.CrossEntropyLoss({ ignoreIndex: PAD }).forward(logits.reshape(-1, VT), tgtOut.reshape(-1));
    loss.backward();
    const params = [...model.namedParameters()];
    expect(params.length).toBe(fx.cases.keys.length);
    for (const [k, p] of params) expectClose(p.grad, fx.get(`grad0/${pyName(k)}`), TOL.f32, `grad ${k}`);
  });

  it('6 Adam steps give PyTorch losses (within 1e-5 relative) and weights', () => {
    const model = fresh();
    const opt = new torch.optim.Adam(model.parameters(), { lr: 0.02 });
    const lossFn = new nn.CrossEntropyLoss({ ignoreIndex: PAD });
    const losses: number[] = [];
    for (let step = 0; step < STEPS; step++) {
      const [logits] = model.forward(src, tgtIn);
      const loss = lossFn.forward(logits.reshape(-1, VT), tgtOut.reshape(-1));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    for (const [i, l] of losses.entries()) {
      expect(Math.abs(l - fx.cases.losses[i]!) / fx.cases.losses[i]!, `loss ${i}: ${l} vs ${fx.cases.losses[i]}`).toBeLessThan(1e-5);
    }
    const sd = model.stateDict();
    for (const k of Object.keys(sd)) expectClose(sd[k], fx.get(`trained/${pyName(k)}`), TOL.f32Deep, k);
  });
});
