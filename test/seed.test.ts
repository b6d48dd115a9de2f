/**
 * The seed's container module `SingleRNN` (examples/single-rnn.ts) against PyTorch: the same
 * repr, state_dict keys and outputs from PyTorch's weights (test/fixtures/rnn.safetensors,
 * `single/*`); and the seed's note that a Conv1d's (N, C, L) output needs its time and feature
 * axes swapped before a batch-first RNN.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SingleRNN } from '../examples/single-rnn.js';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';

const { nn } = torch;

interface Cases {
  single: { rnnType: torch.nn.RnnType; repr: string; keys: string[] }[];
}

const fx = loadFixture<Cases>('rnn');

afterEach(() => vi.restoreAllMocks());

describe('SingleRNN (the seed\'s container module)', () => {
  for (const c of fx.cases.single) {
    it(`${c.rnnType}: PyTorch's repr, state_dict keys and outputs`, () => {
      const model = new SingleRNN(c.rnnType, 5, 6, 0, true);
      expect(model.toString()).toBe(c.repr);
      expect(Object.keys(model.stateDict())).toEqual(c.keys);
      const sd: Record<string, Tensor> = {};
      for (const k of c.keys) sd[k] = fx.get(`single/${c.rnnType}/${k}`);
      model.loadStateDict(sd);
      const y = torch.noGrad(() => model.forward(fx.get(`single/${c.rnnType}/x`)));
      expectClose(y, fx.get(`single/${c.rnnType}/out`), TOL.f32Deep, 'output');
    });
  }

  it('returns only the output sequence, (N, L, D*H), and trains end to end', () => {
    for (const rnnType of ['RNN', 'LSTM', 'GRU'] as const) {
      for (const bidirectional of [false, true]) {
        const model = new SingleRNN(rnnType, 8, 4, 0, bidirectional);
        expect(model.numDirection).toBe(bidirectional ? 2 : 1);
        const y = model.forward(torch.randn(3, 10, 8));
        expect(y.shape).toEqual([3, 10, (bidirectional ? 2 : 1) * 4]);
        y.pow(2).mean().backward();
        for (const [name, p] of model.namedParameters()) {
          expect(name.startsWith('rnn.')).toBe(true);
          expect(p.grad?.abs().sum().item(), name).toBeGreaterThan(0);
        }
      }
    }
  });

  it('warns, as PyTorch does, when given dropout with its single layer', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    new SingleRNN('LSTM', 8, 4);
    expect(warn).not.toHaveBeenCalled();
    new SingleRNN('LSTM', 8, 4, 0.2);
    expect(warn).toHaveBeenCalledOnce();
  });
});

describe('a Conv1d next to an RNN', () => {
  it('swaps the time and feature axes: (N, C, L) → transpose(1, 2) → (N, L, C) for a batch-first RNN', () => {
    const [N, C, L] = [2, 16, 30];
    const conv = new nn.Conv1d(1, C, 3, { padding: 1 });
    const rnn = new SingleRNN('GRU', C, 8, 0, true);
    const features = conv.forward(torch.randn(N, 1, L)); // (N, C, L): time is the last axis
    expect(features.shape).toEqual([N, C, L]);
    // Fed as is, the layer sees L features per step and says so, with the fix.
    expect(() => rnn.forward(features)).toThrow(/Expected 16, got 30\. .*move them last with x\.transpose\(1, 2\)/);
    const out = rnn.forward(features.transpose(1, 2));
    expect(out.shape).toEqual([N, L, 16]);
  });
});
