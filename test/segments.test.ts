/**
 * Long inference in time segments (src/kernels/segments.ts): cut at every step or every few,
 * every kernel case still matches the reference (one direction, both directions side by side on
 * threads, joined or not), the cut changes nothing beyond round-off, and the wasm memory an inference needs stops
 * growing with the sequence length.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { refRnnKernel } from '../src/kernels/ref/rnn.js';
import type { RnnForwardArgs, RnnLayerSpec, RnnMode } from '../src/kernels/rnn.js';
import { gateCount, stepOffsets } from '../src/kernels/rnn.js';
import { forwardSegmented, segmentBounds, segmentTuning } from '../src/kernels/segments.js';
import { setKernelPreference, wasmRnnKernel } from '../src/kernels/wasm/index.js';
import { wasmKernels } from '../src/kernels/wasm/loader.js';
import { setNumThreads } from '../src/kernels/wasm/threads.js';
import { allCases, caseName, runCase, runPairCase } from './kernels-wasm-cases.js';

const defaults = { ...segmentTuning };
afterEach(async () => {
  Object.assign(segmentTuning, defaults);
  setKernelPreference('auto');
  await setNumThreads(1);
});

/** Cut every inference: segments of at most `rows` rows (1: one step each). */
function cutAt(rows: number): void {
  segmentTuning.residentBytes = 0;
  segmentTuning.segmentBytes = rows; // below a row's bytes: the floor of one step per segment
}

describe('segmentBounds', () => {
  it('cuts a packed sequence into runs of at most maxRows rows, at least one step each', () => {
    const bs = Int32Array.from([4, 4, 3, 3, 2, 1, 1]);
    expect(segmentBounds(bs, 8)).toEqual([0, 2, 5, 7]);
    expect(segmentBounds(bs, 1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(segmentBounds(bs, 100)).toEqual([0, 7]);
    expect(segmentBounds(Int32Array.from([5]), 2)).toEqual([0, 1]);
  });
});

describe('every kernel case, inference cut into segments, against the reference', () => {
  for (const c of allCases()) {
    it(caseName(c), () => {
      setKernelPreference('simd');
      cutAt(1);
      expect(runCase(c)).toEqual([]);
      segmentTuning.segmentBytes = 9 * 4 * ((c.input ?? 5) + (c.projSize || c.hidden)); // about two steps
      expect(runCase(c)).toEqual([]);
    });
  }

  it('both directions side by side on 2 threads, joined and not, cut at every step', async () => {
    await setNumThreads(2);
    cutAt(1);
    for (const c of allCases().filter((x) => !x.nonFinite)) {
      for (const join of [false, true]) expect([caseName(c), join, runPairCase({ ...c, wide: true }, join)]).toEqual([caseName(c), join, []]);
    }
  });
});

/** A random layer's arguments (packed lengths, LSTM or GRU) of T steps. */
function layer(mode: RnnMode, T: number, reverse: boolean, seed: number): RnnForwardArgs<Float32Array> {
  let s = seed;
  const rnd = (): number => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
  const [I, H, B] = [7, 12, 6];
  const G = gateCount(mode);
  const batchSizes = Int32Array.from({ length: T }, (_, t) => (t < T / 3 ? B : t < (2 * T) / 3 ? 4 : 1));
  const total = stepOffsets(batchSizes)[T]!;
  const arr = (n: number): Float32Array => Float32Array.from({ length: n }, rnd);
  const spec: RnnLayerSpec = { mode, inputSize: I, hiddenSize: H, projSize: 0, batchSizes, reverse };
  return {
    spec,
    weights: { wIh: arr(G * H * I), wHh: arr(G * H * H), bIh: arr(G * H), bHh: arr(G * H), wHr: null },
    x: arr(total * I),
    h0: arr(B * H),
    c0: mode === 'LSTM' ? arr(B * H) : null,
    needsGrad: false,
  };
}

/** Largest |a - b| over the largest |b|. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

describe('the cut changes nothing beyond float32 round-off (the reference: no bit)', () => {
  for (const mode of ['LSTM', 'GRU'] as RnnMode[]) {
    for (const reverse of [false, true]) {
      it(`${mode}${reverse ? ' reverse' : ''}, 60 packed steps: wasm and reference kernels, whole vs in segments`, () => {
        const args = layer(mode, 60, reverse, 7);
        const whole = wasmRnnKernel.forward(args);
        cutAt(50 * 4 * (7 + 12)); // about 50 rows: segments of 8 steps at first, 50 steps at the end
        const cut = wasmRnnKernel.forward(args);
        // Same steps in the same order; only the input projection's GEMM is cut elsewhere, and
        // rows in a GEMM's last partial 4-row tile sum their products in another order.
        expect(relDiff(cut.y, whole.y)).toBeLessThan(1e-6);
        expect(relDiff(cut.hN, whole.hN)).toBeLessThan(1e-6);
        if (mode === 'LSTM') expect(relDiff(cut.cN!, whole.cN!)).toBeLessThan(1e-6);
        expect(cut.backward).toBeNull();
        const ref = refRnnKernel.forward(args);
        const refCut = forwardSegmented(args, (a) => refRnnKernel.forward(a));
        expect(Array.from(refCut.y)).toEqual(Array.from(ref.y));
        expect(Array.from(refCut.hN)).toEqual(Array.from(ref.hN));
        // The caller's h0 and c0 are left as they were.
        expect(Array.from(args.h0)).toEqual(Array.from(layer(mode, 60, reverse, 7).h0));
      });
    }
  }

  it('training is never cut: needsGrad runs whole and keeps its backward', () => {
    cutAt(1);
    const r = wasmRnnKernel.forward({ ...layer('GRU', 20, false, 3), needsGrad: true });
    expect(r.backward).not.toBeNull();
  });
});

describe('wasm memory of a long inference', () => {
  it('does not grow with the sequence length once cut (and grows with it when not)', () => {
    setKernelPreference('simd');
    const arena = wasmKernels()!.arena;
    const peak = (T: number): number => {
      arena.resetPeak();
      wasmRnnKernel.forward(layer('LSTM', T, false, 11));
      return arena.peakBytes();
    };
    segmentTuning.residentBytes = 64 << 10;
    segmentTuning.segmentBytes = 16 << 10;
    const short = peak(600);
    // The same few segment-sized blocks whatever the length (a segment's step count, and so its
    // batch-size table, varies by a few hundred bytes with where the cuts fall).
    for (const T of [6000, 30000]) expect(Math.abs(peak(T) - short)).toBeLessThan(1024);
    // 6000 steps of x and y are 6000 * 11/3 rows * 19 floats, about 1.6 MB: far above what the cut run needed.
    expect(short).toBeLessThan(200 << 10);
    segmentTuning.residentBytes = Number.POSITIVE_INFINITY;
    expect(peak(6000)).toBeGreaterThan(peak(600) + (1 << 20));
  });

  it('through nn under noGrad: a bidirectional 2-layer GRU gives the same outputs cut and whole', () => {
    const m = new torch.nn.GRU(5, 8, 2, { bidirectional: true });
    const x = torch.randn(300, 3, 5);
    const whole = torch.noGrad(() => m.forward(x));
    cutAt(64 * 4 * 21);
    const cut = torch.noGrad(() => m.forward(x));
    expect(relDiff(cut[0].toFloat32Array(), whole[0].toFloat32Array())).toBeLessThan(1e-6);
    expect(relDiff(cut[1].toFloat32Array(), whole[1].toFloat32Array())).toBeLessThan(1e-6);
  });
});
