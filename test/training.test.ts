/**
 * Training goldens against PyTorch 1.13 (fixture: tools/fixtures/training.py).
 *
 * 1. The kind of model the seed's reader builds: x (N, L, F) → swap time and feature axes →
 *    Conv1d encoder (N, C, L) → GroupNorm over the encoder's channels → ReLU → swap back →
 *    bidirectional batch-first LSTM → Linear head; MSE loss; 10 steps of Adam with
 *    clipGradNorm_(0.1). Weights are PyTorch's (loadStateDict), the data fixed.
 * 2. A 2-layer LSTM alone, 10 steps of SGD with momentum 0.9.
 *
 * Tolerance, and why: torchlet's forward and backward sum float32 products in a different order
 * from PyTorch's (MKL/oneDNN GEMMs, its conv and GroupNorm kernels), so each gradient differs from
 * PyTorch's by float32 round-off (~1e-7 relative). The optimisers themselves are bit-exact
 * (test/optim.test.ts), but every step feeds the slightly different weights into the next
 * forward pass, and Adam divides by √v, so a relative error in a gradient becomes the same relative
 * error in the step; clipping rescales every gradient by the (slightly different) total norm.
 * Over ten steps this accumulates to ~1e-7 absolute in the weights and ~1e-7 relative in the
 * losses (measured). Losses and clip norms are checked at rtol 2e-6 and weights at TOL.f32
 * (rtol 1e-5, atol 1e-6): ~10x above what is observed, and far below what any real difference
 * (a wrong formula, a missed clip, a skipped bias, a transposed gate) produces, which changes the
 * first loss or the step-1 weights by 1e-3 or more.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectClose, loadFixture, TOL } from './helpers/fixtures.js';
import { defaultTier, kernelTiers, useTier } from './helpers/kernels.js';

const { nn } = torch;

interface Cases {
  enc: { N: number; L: number; F: number; C: number; H: number; G: number; lr: number; maxNorm: number; steps: number; keys: string[] };
  lstm: { inputSize: number; hiddenSize: number; numLayers: number; lr: number; momentum: number; steps: number; keys: string[] };
}

const fx = loadFixture<Cases>('training');
const LOSS_TOL = { rtol: 2e-6, atol: 0 };

function stateFrom(prefix: string, keys: readonly string[]): Record<string, Tensor> {
  return Object.fromEntries(keys.map((k) => [k, fx.get(`${prefix}/${k}`)]));
}

/** The first output of a recurrent layer as a plain tensor (the goldens feed padded input). */
function outputOf(result: [Tensor | torch.nn.utils.PackedSequence, unknown]): Tensor {
  const out = result[0];
  if (!(out instanceof torch.Tensor)) throw new Error('expected a Tensor output for Tensor input');
  return out;
}

/** Golden 1's model, built from torchlet layers exactly as the PyTorch script builds it. */
class Encoder extends nn.Module {
  readonly conv: torch.nn.Conv1d;
  readonly norm: torch.nn.GroupNorm;
  readonly lstm: torch.nn.LSTM;
  readonly head: torch.nn.Linear;
  constructor(features: number, channels: number, hidden: number, groups: number) {
    super();
    this.conv = this.registerModule('conv', new nn.Conv1d(features, channels, 3, { padding: 1 }));
    this.norm = this.registerModule('norm', new nn.GroupNorm(groups, channels));
    this.lstm = this.registerModule('lstm', new nn.LSTM(channels, hidden, { batchFirst: true, bidirectional: true }));
    this.head = this.registerModule('head', new nn.Linear(2 * hidden, 1));
  }
  /** x (N, L, F) → (N, L, 1). */
  forward(x: Tensor): Tensor {
    const h = this.norm.forward(this.conv.forward(x.transpose(1, 2))).relu();
    return this.head.forward(outputOf(this.lstm.forward(h.transpose(1, 2))));
  }
}

function train(
  prefix: string,
  model: torch.nn.Module,
  forward: (x: Tensor) => Tensor,
  opt: torch.optim.Optimizer,
  steps: number,
  maxNorm: number | null,
): { losses: number[]; norms: number[] } {
  const x = fx.get(`${prefix}/x`);
  const y = fx.get(`${prefix}/y`);
  const mse = new nn.MSELoss();
  const losses: number[] = [];
  const norms: number[] = [];
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = mse.forward(forward(x), y);
    loss.backward();
    if (maxNorm !== null) norms.push(nn.utils.clipGradNorm_(model.parameters(), maxNorm).item());
    opt.step();
    losses.push(loss.item());
    if (step === 0) {
      for (const [k, v] of Object.entries(model.stateDict())) {
        expectClose(v, fx.get(`${prefix}/step1/${k}`), TOL.f32, `${prefix} after step 1: ${k}`);
      }
    }
  }
  return { losses, norms };
}

// Both goldens on every fast kernel tier (test/helpers/kernels.ts: WebAssembly, native on each
// instruction set this CPU has), the whole backend switched.
afterAll(() => useTier(defaultTier));
for (const tier of kernelTiers()) {
  describe(`training golden 1: Conv1d → GroupNorm → BiLSTM → Linear, Adam + clipGradNorm_ (${tier.name})`, () => {
    const c = fx.cases.enc;
    it(`matches PyTorch's ${c.steps} losses, clip norms and final weights`, () => {
      useTier(tier);
      const model = new Encoder(c.F, c.C, c.H, c.G);
      expect(Object.keys(model.stateDict())).toEqual(c.keys);
      model.loadStateDict(stateFrom('enc/init', c.keys));
      const opt = new torch.optim.Adam(model.parameters(), { lr: c.lr });
      const { losses, norms } = train('enc', model, (x) => model.forward(x), opt, c.steps, c.maxNorm);
      expectClose(torch.tensor(losses), fx.get('enc/losses'), LOSS_TOL, 'losses');
      expectClose(torch.tensor(norms), fx.get('enc/norms'), LOSS_TOL, 'clip norms');
      // the golden exercises clipping: the first gradient norm is above maxNorm
      expect(norms[0]!).toBeGreaterThan(c.maxNorm);
      expect(losses[c.steps - 1]!).toBeLessThan(losses[0]!);
      for (const [k, v] of Object.entries(model.stateDict())) {
        expectClose(v, fx.get(`enc/final/${k}`), TOL.f32, `final ${k}`);
      }
    });
  });

  describe(`training golden 2: LSTM alone, SGD with momentum (${tier.name})`, () => {
    const c = fx.cases.lstm;
    it(`matches PyTorch's ${c.steps} losses and final weights`, () => {
      useTier(tier);
      const lstm = new nn.LSTM(c.inputSize, c.hiddenSize, { numLayers: c.numLayers });
      expect(Object.keys(lstm.stateDict())).toEqual(c.keys);
      lstm.loadStateDict(stateFrom('lstm/init', c.keys));
      const opt = new torch.optim.SGD(lstm.parameters(), { lr: c.lr, momentum: c.momentum });
      const { losses } = train('lstm', lstm, (x) => outputOf(lstm.forward(x)), opt, c.steps, null);
      expectClose(torch.tensor(losses), fx.get('lstm/losses'), LOSS_TOL, 'losses');
      for (const [k, v] of Object.entries(lstm.stateDict())) {
        expectClose(v, fx.get(`lstm/final/${k}`), TOL.f32, `final ${k}`);
      }
    });
  });
}

describe('torch.manualSeed makes a whole training run reproducible', () => {
  /** Initial weights, dropout masks (nn.Dropout and the LSTM's inter-layer dropout), losses. */
  function run(seed: number): { losses: number[]; weights: Float32Array[] } {
    torch.manualSeed(seed);
    const lstm = new nn.LSTM(3, 8, { numLayers: 2, dropout: 0.3, batchFirst: true });
    const drop = new nn.Dropout(0.2);
    const head = new nn.Linear(8, 1);
    const params = [...lstm.parameters(), ...head.parameters()];
    const opt = new torch.optim.Adam(params, { lr: 0.01 });
    const x = torch.randn(4, 6, 3);
    const y = torch.randn(4, 6, 1);
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      opt.zeroGrad();
      const out = head.forward(drop.forward(outputOf(lstm.forward(x))));
      const loss = nn.functional.mseLoss(out, y);
      loss.backward();
      nn.utils.clipGradNorm_(params, 1);
      opt.step();
      losses.push(loss.item());
    }
    return { losses, weights: params.map((p) => p.toFloat32Array()) };
  }

  it('same seed, same weights, masks and losses; another seed differs', () => {
    const a = run(1234);
    const b = run(1234);
    expect(b.losses).toEqual(a.losses);
    expect(b.weights).toEqual(a.weights);
    const c = run(1235);
    expect(c.losses).not.toEqual(a.losses);
  });
});
