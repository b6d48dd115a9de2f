/**
 * The reference recurrent kernel on its own (no Tensor): gradients against central finite
 * differences in float64, for every mode, both directions, a shrinking packed batch, with and
 * without biases and projection; and the final-state rule of the contract.
 */
import { describe, expect, it } from 'vitest';
import { refRnnKernel } from '../src/kernels/ref/rnn.js';
import type { RnnLayerSpec, RnnMode, RnnWeights } from '../src/kernels/rnn.js';
import { gateCount } from '../src/kernels/rnn.js';

/** Deterministic values (cos of a ramp), like tools/fixtures/common.py's det(). */
function det(n: number, seed: number, scale = 0.5): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.7 + seed) * scale);
}

interface Problem {
  spec: RnnLayerSpec;
  weights: RnnWeights<Float64Array>;
  x: Float64Array;
  h0: Float64Array;
  c0: Float64Array | null;
  /** Fixed weights of the loss sum(wy⊙y) + sum(wh⊙hN) + sum(wc⊙cN). */
  wy: Float64Array;
  wh: Float64Array;
  wc: Float64Array | null;
}

function problem(mode: RnnMode, opts: { reverse: boolean; bias: boolean; projSize: number }): Problem {
  const I = 3;
  const H = 4;
  const G = gateCount(mode);
  const Hout = opts.projSize || H;
  const batchSizes = Int32Array.from([3, 3, 2, 1]);
  const total = 9;
  const B = 3;
  const lstm = mode === 'LSTM';
  return {
    spec: { mode, inputSize: I, hiddenSize: H, projSize: opts.projSize, batchSizes, reverse: opts.reverse },
    weights: {
      wIh: det(G * H * I, 0.1),
      wHh: det(G * H * Hout, 0.2),
      bIh: opts.bias ? det(G * H, 0.3) : null,
      bHh: opts.bias ? det(G * H, 0.4) : null,
      wHr: opts.projSize ? det(Hout * H, 0.5) : null,
    },
    x: det(total * I, 0.6, 1),
    h0: det(B * Hout, 0.7),
    c0: lstm ? det(B * H, 0.8) : null,
    wy: det(total * Hout, 0.9, 1),
    wh: det(B * Hout, 1.0, 1),
    wc: lstm ? det(B * H, 1.1, 1) : null,
  };
}

function loss(p: Problem): number {
  const r = refRnnKernel.forward({ spec: p.spec, weights: p.weights, x: p.x, h0: p.h0, c0: p.c0, needsGrad: false });
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((acc, v, i) => acc + v * b[i]!, 0);
  return dot(r.y, p.wy) + dot(r.hN, p.wh) + (r.cN && p.wc ? dot(r.cN, p.wc) : 0);
}

function numericGrad(p: Problem, arr: Float64Array): Float64Array {
  const g = new Float64Array(arr.length);
  const eps = 1e-6;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i]!;
    arr[i] = v + eps;
    const up = loss(p);
    arr[i] = v - eps;
    const down = loss(p);
    arr[i] = v;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

function expectNear(actual: Float64Array | null, expected: Float64Array, label: string): void {
  expect(actual, label).not.toBeNull();
  expect(actual!.length, label).toBe(expected.length);
  expected.forEach((e, i) => {
    expect(Math.abs(actual![i]! - e), `${label}[${i}]: ${actual![i]} vs ${e}`).toBeLessThan(1e-6 + 1e-6 * Math.abs(e));
  });
}

const MODES: { mode: RnnMode; projSize: number }[] = [
  { mode: 'RNN_TANH', projSize: 0 },
  { mode: 'RNN_RELU', projSize: 0 },
  { mode: 'LSTM', projSize: 0 },
  { mode: 'LSTM', projSize: 2 },
  { mode: 'GRU', projSize: 0 },
];

describe('reference RNN kernel', () => {
  for (const { mode, projSize } of MODES) {
    for (const reverse of [false, true]) {
      for (const bias of [true, false]) {
        it(`${mode}${projSize ? ' proj' : ''} ${reverse ? 'reverse' : 'forward'} bias=${bias}: gradients match finite differences`, () => {
          const p = problem(mode, { reverse, bias, projSize });
          const r = refRnnKernel.forward({ spec: p.spec, weights: p.weights, x: p.x, h0: p.h0, c0: p.c0, needsGrad: true });
          const g = r.backward!({ dy: p.wy, dhN: p.wh, dcN: p.wc });
          expectNear(g.dx, numericGrad(p, p.x), 'dx');
          expectNear(g.dh0, numericGrad(p, p.h0), 'dh0');
          if (p.c0) expectNear(g.dc0, numericGrad(p, p.c0), 'dc0');
          else expect(g.dc0).toBeNull();
          expectNear(g.dWIh, numericGrad(p, p.weights.wIh), 'dWIh');
          expectNear(g.dWHh, numericGrad(p, p.weights.wHh), 'dWHh');
          if (bias) {
            expectNear(g.dBIh, numericGrad(p, p.weights.bIh!), 'dBIh');
            expectNear(g.dBHh, numericGrad(p, p.weights.bHh!), 'dBHh');
          } else {
            expect(g.dBIh).toBeNull();
            expect(g.dBHh).toBeNull();
          }
          if (projSize) expectNear(g.dWHr, numericGrad(p, p.weights.wHr!), 'dWHr');
          else expect(g.dWHr).toBeNull();
        });
      }
    }
  }

  it('takes each sequence final state at its own last step (forward) and at t = 0 (reverse)', () => {
    // batchSizes [2, 1]: sequence 0 has 2 steps, sequence 1 has 1. Run each alone and compare.
    for (const reverse of [false, true]) {
      const p = problem('GRU', { reverse, bias: true, projSize: 0 });
      const spec = { ...p.spec, batchSizes: Int32Array.from([2, 1]) };
      const I = 3;
      const H = 4;
      const x = p.x.slice(0, 3 * I);
      const h0 = p.h0.slice(0, 2 * H);
      const both = refRnnKernel.forward({ spec, weights: p.weights, x, h0, c0: null, needsGrad: false });
      // Sequence 0 alone: rows 0 and 2 of x; sequence 1 alone: row 1.
      const seq0 = Float64Array.from([...x.subarray(0, I), ...x.subarray(2 * I, 3 * I)]);
      const alone0 = refRnnKernel.forward({
        spec: { ...spec, batchSizes: Int32Array.from([1, 1]) },
        weights: p.weights,
        x: seq0,
        h0: h0.slice(0, H),
        c0: null,
        needsGrad: false,
      });
      const alone1 = refRnnKernel.forward({
        spec: { ...spec, batchSizes: Int32Array.from([1]) },
        weights: p.weights,
        x: x.slice(I, 2 * I),
        h0: h0.slice(H, 2 * H),
        c0: null,
        needsGrad: false,
      });
      expect(Array.from(both.hN)).toEqual([...alone0.hN, ...alone1.hN]);
      expect(Array.from(both.y)).toEqual([...alone0.y.subarray(0, H), ...alone1.y, ...alone0.y.subarray(H)]);
    }
  });

  it('keeps float32 arrays float32', () => {
    const p = problem('LSTM', { reverse: false, bias: true, projSize: 0 });
    const f = (a: Float64Array) => Float32Array.from(a);
    const r = refRnnKernel.forward({
      spec: p.spec,
      weights: { wIh: f(p.weights.wIh), wHh: f(p.weights.wHh), bIh: f(p.weights.bIh!), bHh: f(p.weights.bHh!), wHr: null },
      x: f(p.x),
      h0: f(p.h0),
      c0: f(p.c0!),
      needsGrad: true,
    });
    expect(r.y).toBeInstanceOf(Float32Array);
    expect(r.cN).toBeInstanceOf(Float32Array);
    const g = r.backward!({ dy: null, dhN: f(p.wh), dcN: null });
    expect(g.dx).toBeInstanceOf(Float32Array);
    expect(g.dWHh).toBeInstanceOf(Float32Array);
  });
});
