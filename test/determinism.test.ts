/**
 * torch.useDeterministicAlgorithms(true): the same seed gives the same bits run after run and
 * whatever the thread count; and the kernel tiers (reference, SIMD128, relaxed SIMD) agree
 * within the rounding README "Determinism" states.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { threadTuning } from '../src/kernels/wasm/threads.js';

const { nn } = torch;

/** Output and every gradient of a training step (packed, odd batch sizes: the split is uneven). */
function step(make: () => torch.nn.RNNBase, dropout = false): Float32Array[] {
  torch.manualSeed(11);
  const m = make();
  if (!dropout) m.eval();
  const x = torch.randn(9, 11, 7, { requiresGrad: true });
  const packed = nn.utils.rnn.packPaddedSequence(x, [9, 9, 8, 7, 7, 5, 5, 3, 2, 2, 1]);
  const [out] = m.forward(packed) as unknown as [{ data: torch.Tensor }];
  out.data.mul(out.data).sum().backward();
  const bits = (t: torch.Tensor): Float32Array => t.toFloat32Array();
  return [bits(out.data), bits(x.grad!), ...m.parameters().map((p) => bits(p.grad!))];
}

const models: [string, () => torch.nn.RNNBase][] = [
  ['LSTM, 2 layers, dropout between', () => new nn.LSTM(7, 12, { numLayers: 2, dropout: 0.3 })],
  ['GRU', () => new nn.GRU(7, 12)],
  ['bidirectional GRU', () => new nn.GRU(7, 12, { bidirectional: true })],
  ['RNN relu', () => new nn.RNN(7, 12, { nonlinearity: 'relu' })],
];

afterEach(async () => {
  torch.useDeterministicAlgorithms(false);
  torch.setKernelPreference('auto');
  await torch.setNumThreads(1);
});

describe('torch.useDeterministicAlgorithms', () => {
  it('is off by default, switches, and checks its argument as PyTorch does', () => {
    expect(torch.areDeterministicAlgorithmsEnabled()).toBe(false);
    torch.useDeterministicAlgorithms(true, { warnOnly: true });
    expect(torch.areDeterministicAlgorithmsEnabled()).toBe(true);
    expect(torch.isDeterministicAlgorithmsWarnOnlyEnabled()).toBe(true);
    torch.useDeterministicAlgorithms(false);
    expect(torch.areDeterministicAlgorithmsEnabled()).toBe(false);
    expect(torch.isDeterministicAlgorithmsWarnOnlyEnabled()).toBe(false);
    expect(() => torch.useDeterministicAlgorithms(1 as unknown as boolean)).toThrow(
      expect.objectContaining({ pytorchType: 'TypeError', message: expect.stringContaining("argument 'mode' (position 1) must be bool") }),
    );
  });

  for (const [name, make] of models) {
    it(`${name}: identical bits on 1 and 2 threads and on a repeated run`, async () => {
      torch.useDeterministicAlgorithms(true);
      const saved = threadTuning.minMacs;
      threadTuning.minMacs = 0; // split even this small layer, were splitting allowed
      try {
        const dropout = name.includes('dropout');
        const one = step(make, dropout);
        expect(step(make, dropout)).toEqual(one);
        if ((await torch.setNumThreads(2)) !== 2) return; // no workers here: nothing to compare
        const two = step(make, dropout);
        two.forEach((t, i) => {
          expect(Buffer.from(t.buffer).equals(Buffer.from(one[i]!.buffer)), `tensor ${i}`).toBe(true);
        });
      } finally {
        threadTuning.minMacs = saved;
      }
    });
  }
});

describe('kernel tiers agree within rounding (README "Determinism")', () => {
  // Measured (npm run bench -- --tiers): at most 5.2e-7 of each tensor's largest magnitude between
  // any two tiers; the bound leaves room for other shapes and seeds.
  const BOUND = 4e-6;
  for (const [name, make] of models) {
    it(`${name}: SIMD128 (and relaxed SIMD where available) against the reference`, () => {
      torch.setKernelPreference('ref');
      const ref = step(make);
      for (const tier of ['simd', 'relaxed'] as const) {
        torch.setKernelPreference(tier);
        if (torch.activeKernels() !== tier) continue; // relaxed SIMD needs a flag on Node 20
        const got = step(make);
        got.forEach((t, i) => {
          const r = ref[i]!;
          const scale = r.reduce((a, v) => Math.max(a, Math.abs(v)), 0) || 1;
          let d = 0;
          for (let j = 0; j < t.length; j++) d = Math.max(d, Math.abs(t[j]! - r[j]!));
          expect(d / scale, `${tier}, tensor ${i}`).toBeLessThan(BOUND);
        });
      }
    });
  }
});
