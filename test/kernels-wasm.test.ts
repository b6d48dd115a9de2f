/**
 * The WebAssembly SIMD kernels against the reference: fused recurrent forward/backward (every
 * mode, projection, reverse, packed, bias, needsGrad, NaN/Inf), GEMM, the activation sweep over
 * the whole float range, the relaxed-SIMD build (in a child process where Node needs a flag),
 * the committed binary being up to date, and the forced reference path.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gemm as refGemm } from '../src/kernels/ref/matmul.js';
import { sourceHash as builtHash } from '../src/kernels/wasm/binary.generated.js';
import {
  activeKernels,
  flavourSupported,
  setKernelPreference,
  sigmoidF32,
  tanhF32,
  wasmGemm,
  wasmRnnKernel,
  wasmUnary,
} from '../src/kernels/wasm/index.js';
import * as wasmKernelsModule from '../src/kernels/wasm/loader.js';
import { unary as refUnary } from '../src/kernels/ref/elementwise.js';
import { refRnnKernel } from '../src/kernels/ref/rnn.js';
import { JobKind, runOnThreads, setNumThreads, threadPool, threadTuning } from '../src/kernels/wasm/threads.js';
import { abiModule, sourceHash } from '../tools/build-wasm.js';
import { allCases, type Case, caseName, firstMismatch, runCase, runPairCase } from './kernels-wasm-cases.js';

afterEach(() => setKernelPreference('auto'));

/** With the pool up, a case (one direction, and both side by side) threaded even though tiny agrees with the reference. */
function expectThreadedCaseAgrees(c: Case): void {
  const saved = threadTuning.minMacs;
  threadTuning.minMacs = 0;
  try {
    expect(runCase(c)).toEqual([]);
    expect(runPairCase(c)).toEqual([]);
  } finally {
    threadTuning.minMacs = saved;
  }
}

describe('wasm RnnKernel vs reference kernel', () => {
  it('runs on WebAssembly SIMD here', () => {
    expect(flavourSupported('simd')).toBe(true);
    expect(activeKernels()).not.toBe('ref');
  });

  // (every case on SIMD128: test/kernels-differential.test.ts)

  it('the relaxed-SIMD build agrees too', () => {
    if (flavourSupported('relaxed')) {
      setKernelPreference('relaxed');
      const bad = allCases().flatMap((c) => runCase(c).map((m) => ({ case: caseName(c), ...m })));
      expect(bad).toEqual([]);
      return;
    }
    // Node 20 gates relaxed SIMD behind a V8 flag: run the same cases in a child that has it.
    const child = fileURLToPath(new URL('./kernels-wasm-relaxed.child.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', child], { encoding: 'utf8' });
    const res = JSON.parse(out.trim().split('\n').pop()!) as { flavour: string; bad: unknown[] };
    expect(res.flavour).toBe('relaxed');
    expect(res.bad).toEqual([]);
  });

  it('supports float32 only', () => {
    expect(wasmRnnKernel.supports(new Float32Array(1))).toBe(true);
    expect(wasmRnnKernel.supports(new Float64Array(1))).toBe(false);
  });
});

describe('threads (setNumThreads)', () => {
  it('2 threads give the reference results (LSTM, GRU; reverse, packed; needsGrad): batch rows split, forward and backward', async () => {
    setKernelPreference('simd');
    const n = await setNumThreads(2);
    expect(n).toBe(2);
    const saved = threadTuning.minMacs;
    threadTuning.minMacs = 0; // thread even these tiny layers
    try {
      for (const mode of ['LSTM', 'GRU'] as const) {
        for (const reverse of [false, true]) {
          for (const packed of [false, true]) {
            // batch 12: rows [0, 8) and [8, 12), the second part dropping out of the packed
            // steps early; input 40: the weight-gradient products are split across threads too
            const c = { mode, reverse, packed, bias: true, projSize: 0, hidden: 16, input: 40, wide: true };
            const before = threadPool()!.started;
            expect({ case: caseName(c), bad: runCase(c) }).toEqual({ case: caseName(c), bad: [] });
            expect(threadPool()!.started - before, 'jobs run on the worker pool').toBeGreaterThan(0);
          }
        }
      }
    } finally {
      threadTuning.minMacs = saved;
      await setNumThreads(1);
    }
  });
});

describe('saved state pinned in the kernels\' memory', () => {
  const spec = (reverse: boolean) => ({ mode: 'GRU' as const, inputSize: 8, hiddenSize: 16, projSize: 0, batchSizes: Int32Array.from([4, 4, 3]), reverse });
  const det = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.3 + s) * 0.5);
  const args = (s: number, sz = 16) => ({
    spec: { ...spec(s > 1), hiddenSize: sz },
    weights: { wIh: det(3 * sz * 8, s), wHh: det(3 * sz * sz, s + 1), bIh: det(3 * sz, s + 2), bHh: det(3 * sz, s + 3), wHr: null },
    x: det(11 * 8, s + 4),
    h0: det(4 * sz, s + 5),
    c0: null,
    needsGrad: true,
  });
  const grads = (sz = 16) => ({ dy: det(11 * sz, 7), dhN: det(4 * sz, 8), dcN: null });
  const f64 = (a: Float32Array | null) => (a ? Float64Array.from(a) : null);
  const refGrads = (a: ReturnType<typeof args>, g: ReturnType<typeof grads>) => {
    const w = a.weights;
    const r = refRnnKernel.forward({ ...a, weights: { wIh: f64(w.wIh)!, wHh: f64(w.wHh)!, bIh: f64(w.bIh), bHh: f64(w.bHh), wHr: null }, x: f64(a.x)!, h0: f64(a.h0)!, c0: null });
    return r.backward!({ dy: f64(g.dy), dhN: f64(g.dhN), dcN: null });
  };
  const arena = () => wasmKernelsModule.wasmKernels()!.arena;

  it('backwards in any order (holes reused by later forwards) give the reference gradients and release everything', () => {
    setKernelPreference('simd');
    // (earlier tests may hold blocks for forwards whose backward never ran, until a GC)
    const before = arena().pinnedBytes();
    const [a, b, c] = [args(0), args(2), args(4, 8)];
    const fa = wasmRnnKernel.forward(a);
    const fb = wasmRnnKernel.forward(b);
    expect(arena().pinnedBytes()).toBeGreaterThan(before);
    const ga = fa.backward!(grads()); // the first block: leaves a hole
    const fc = wasmRnnKernel.forward(c); // smaller: fits the hole
    const gb = fb.backward!(grads());
    const gc = fc.backward!(grads(8));
    expect(arena().pinnedBytes()).toBe(before);
    for (const [got, a0, g0] of [[ga, a, grads()], [gb, b, grads()], [gc, c, grads(8)]] as const) {
      const want = refGrads(a0, g0);
      for (const key of ['dx', 'dh0', 'dWIh', 'dWHh', 'dBIh', 'dBHh'] as const) expect(firstMismatch(key, got[key], want[key])).toBeNull();
    }
  });

  it('a forward that fails after pinning its saved block releases it', () => {
    setKernelPreference('simd');
    const before = arena().pinnedBytes();
    // An LSTM without its c0 fails while its arrays are placed, after the saved block was pinned.
    const bad = { ...args(1), spec: { ...spec(false), mode: 'LSTM' as const }, weights: { ...args(1).weights, wIh: det(4 * 16 * 8, 1), wHh: det(4 * 16 * 16, 2), bIh: null, bHh: null } };
    expect(() => wasmRnnKernel.forward(bad)).toThrow(TypeError);
    expect(arena().pinnedBytes()).toBe(before);
  });

  it('past the pin budget the state is copied out instead, with the same gradients', () => {
    setKernelPreference('simd');
    const saved = wasmKernelsModule.Arena.pinBudget;
    wasmKernelsModule.Arena.pinBudget = 0;
    try {
      const a = args(0);
      const before = arena().pinnedBytes();
      const f = wasmRnnKernel.forward(a);
      expect(arena().pinnedBytes()).toBe(before);
      const g = f.backward!(grads());
      const want = refGrads(a, grads());
      for (const key of ['dx', 'dh0', 'dWIh', 'dWHh'] as const) expect(firstMismatch(key, g[key], want[key])).toBeNull();
    } finally {
      wasmKernelsModule.Arena.pinBudget = saved;
    }
  });

  it('a backward that never runs releases its block once garbage collected (child process, --expose-gc)', () => {
    const child = fileURLToPath(new URL('./pin-gc.child.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', child], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { made: number; pinnedBefore: number; pinnedAfter: number };
    expect(r.made).toBe(5);
    expect(r.pinnedBefore).toBeGreaterThan(0);
    expect(r.pinnedAfter).toBe(0);
  });
});

describe('setNumThreads arguments', () => {
  it('n < 1 is refused with PyTorch\'s message, a non-integer with a TypeError; more than 4 gives 4', async () => {
    await expect(setNumThreads(0)).rejects.toMatchObject({ message: 'Expected positive number of threads', pytorchType: 'RuntimeError' });
    await expect(setNumThreads(1.5)).rejects.toMatchObject({ pytorchType: 'TypeError' });
    setKernelPreference('simd');
    try {
      expect(await setNumThreads(8)).toBe(4);
      expect(threadPool()!.n).toBe(4);
      expectThreadedCaseAgrees({ mode: 'GRU', reverse: false, packed: true, bias: true, projSize: 0, hidden: 16, input: 40, wide: true });
    } finally {
      await setNumThreads(1);
    }
  });
});

describe('a worker that fails', () => {
  it('a trap on a worker is reported as a RuntimeError instead of hanging the caller, and the pool keeps working', async () => {
    setKernelPreference('simd');
    expect(await setNumThreads(2)).toBe(2);
    try {
      const p = threadPool()!;
      p.w.arena.reset();
      // Job list [kind, entry for thread 0, entry for thread 1]: nothing for the caller, and for
      // the worker a forward job block far outside the memory (its first read traps).
      const list = p.w.arena.alloc(3);
      new Int32Array(p.w.arena.memory.buffer, list, 3).set([JobKind.forward, 0, 0x7ffffff0]);
      expect(() => runOnThreads(p, list, JobKind.each, () => p.w.k.runEach(list, 0))).toThrow(
        expect.objectContaining({ pytorchType: 'RuntimeError', message: expect.stringMatching(/^1 of 1 worker thread\(s\) failed on their part of a kernel job/) }),
      );
      expectThreadedCaseAgrees({ mode: 'LSTM', reverse: true, packed: true, bias: true, projSize: 0, hidden: 16, input: 40, wide: true });
    } finally {
      await setNumThreads(1);
    }
  });
});

describe('threads in fresh processes under --liftoff-only', () => {
  // Baseline-compiled code lets the threads drift apart; an earlier design (hidden units split
  // across threads, a barrier per step) gave wrong backward gradients in most of these processes.
  it('4 processes: forward, backward and both directions side by side give the reference results', async () => {
    const child = fileURLToPath(new URL('./threads-stress.child.ts', import.meta.url));
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Promise<string>((resolve, reject) =>
          execFile(process.execPath, ['--liftoff-only', '--import', 'tsx', child], { encoding: 'utf8' }, (err, out) => (err ? reject(err) : resolve(out))),
        ),
      ),
    );
    for (const out of runs) expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ threads: 2, bad: [] });
  }, 60_000);
});

describe('both directions in one call (forwardMany)', () => {
  // Every mode (the Elman RNN and the projected LSTM run one direction after the other; the
  // gated cells side by side when threads are up), packed and not, bias and not, null grads.
  const pairCases = allCases().filter((c) => !c.reverse && !c.nonFinite);
  it('one thread: each direction as forward() alone gives it', () => {
    setKernelPreference('simd');
    const bad = pairCases.flatMap((c) => runPairCase(c).map((m) => ({ case: caseName(c), ...m })));
    expect(bad).toEqual([]);
  });

  it('2 threads: one direction per thread, forward and backward; outputs written joined when asked', async () => {
    setKernelPreference('simd');
    expect(await setNumThreads(2)).toBe(2);
    try {
      const cases = [...pairCases, { mode: 'GRU', reverse: false, packed: true, bias: true, projSize: 0, hidden: 40, input: 33 } as const];
      const bad = cases.flatMap((c) => [false, true].flatMap((join) => runPairCase(c, join).map((m) => ({ case: caseName(c), join, ...m }))));
      expect(bad).toEqual([]);
      // The joined path really ran (LSTM H=6 over 13 packed rows: a (13, 12) output, no per-direction y).
      const x = Float32Array.from({ length: 13 * 5 }, (_, i) => Math.cos(i));
      const spec = (reverse: boolean) => ({ mode: 'LSTM' as const, inputSize: 5, hiddenSize: 6, projSize: 0, batchSizes: Int32Array.from([4, 4, 3, 1, 1]), reverse });
      const weights = { wIh: x.subarray(0, 24 * 5), wHh: Float32Array.from({ length: 24 * 6 }, (_, i) => Math.sin(i) * 0.3), bIh: null, bHh: null, wHr: null };
      const r = wasmRnnKernel.forwardMany!(
        [false, true].map((rev) => ({ spec: spec(rev), weights, x, h0: new Float32Array(24), c0: new Float32Array(24), needsGrad: false })),
        true,
      );
      expect(r.joined?.length, 'side by side, the outputs come joined').toBe(13 * 12);
      expect(r.results.every((d) => d.y === null)).toBe(true);
    } finally {
      await setNumThreads(1);
    }
  });
});

describe("the bench's multiply-add ceiling kernel (maddPeak)", () => {
  it('does the 10 chains x n rounds it claims (SIMD128: separate mul and add, bit for bit)', () => {
    setKernelPreference('simd');
    const f = Math.fround;
    const run = (n: number): number => {
      const a = Array.from({ length: 10 }, (_, i) => f(1 + i / 10));
      const [m, c] = [f(0.999999), f(1e-7)];
      for (let r = 0; r < n; r++) for (let i = 0; i < 10; i++) a[i] = f(f(a[i]! * m) + c);
      const add = (x: number, y: number): number => f(x + y);
      const lane = add(add(add(a[0]!, a[1]!), add(a[2]!, a[3]!)), add(add(add(a[4]!, a[5]!), add(a[6]!, a[7]!)), add(a[8]!, a[9]!)));
      return add(add(add(lane, lane), lane), lane);
    };
    const k = wasmKernelsModule.wasmKernels()!.k;
    for (const n of [1, 7, 5000]) expect(k.maddPeak(n)).toBe(run(n));
    expect(run(5000)).not.toBe(run(1));
  });
});

describe('wasm GEMM vs reference GEMM', () => {
  const rand = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + seed));
  for (const [m, n, k] of [
    [32, 96, 40],
    [7, 13, 33],
    [70, 9, 400],
    [1, 24, 200],
    [3, 10, 2],
    [1, 16, 1],
    [2, 8, 7],
  ] as const) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`[${m},${k}]x[${k},${n}] transA=${transA} transB=${transB}, batch 2, accumulate`, () => {
          const a = rand(2 * m * k, 1);
          const b = rand(k * n, 2);
          const c0 = rand(2 * m * n, 3);
          const args = { m, n, k, a, b, transA, transB, accumulate: true, batch: 2, strideB: 0 };
          const cf = c0.slice();
          wasmGemm({ ...args, c: cf });
          const cr = Float64Array.from(c0);
          refGemm({ ...args, a: Float64Array.from(a), b: Float64Array.from(b), c: cr });
          expect(firstMismatch('c', cf, cr)).toBeNull();
        });
      }
    }
  }
});

describe('the backend\'s unary kernel (wasm sigmoid/tanh)', () => {
  afterEach(() => vi.restoreAllMocks());
  const x = Float32Array.from({ length: 1000 }, (_, i) => (i - 500) * 0.37);
  x.set([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e-30], 0);
  for (const op of ['sigmoid', 'tanh'] as const) {
    it(`${op}: float32 through the SIMD kernel, within 1e-6 of the reference loop, NaN and limits kept`, () => {
      const spy = vi.spyOn(wasmKernelsModule, 'wasmKernels');
      const got = new Float32Array(x.length);
      wasmUnary(op, x, got);
      expect(spy).toHaveBeenCalled();
      const want = new Float32Array(x.length);
      refUnary(op, x, want);
      expect(firstMismatchAbs(got, want, 1e-6)).toBeNull();
    });
  }
  it('falls back to the reference loop for other ops, float64 and short arrays', () => {
    const spy = vi.spyOn(wasmKernelsModule, 'wasmKernels');
    const out = new Float32Array(x.length);
    wasmUnary('exp', x, out);
    wasmUnary('sigmoid', x.subarray(0, 10), out.subarray(0, 10));
    const x64 = Float64Array.from(x);
    const o64 = new Float64Array(x.length);
    wasmUnary('tanh', x64, o64);
    expect(spy).not.toHaveBeenCalled();
    const want = new Float64Array(x.length);
    refUnary('tanh', x64, want);
    expect(Array.from(o64)).toEqual(Array.from(want));
  });
});

/** First index where |a - b| > tol (NaN must meet NaN), or null. */
function firstMismatchAbs(a: Float32Array, b: Float32Array, tol: number): { i: number; a: number; b: number } | null {
  for (let i = 0; i < a.length; i++) {
    const ok = Number.isNaN(b[i]!) ? Number.isNaN(a[i]!) : Math.abs(a[i]! - b[i]!) <= tol;
    if (!ok) return { i, a: a[i]!, b: b[i]! };
  }
  return null;
}

describe('SIMD sigmoid/tanh', () => {
  // Every 65,537th bit pattern (about 65,500 floats spread over the whole range, both signs,
  // denormals, NaNs, infinities) plus the special values.
  const bits = new Uint32Array(65536 + 8);
  for (let i = 0; i < 65536; i++) bits[i] = (i * 65537 + 12345) >>> 0;
  const x = new Float32Array(bits.buffer);
  x.set([0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 3.4e38, -3.4e38, 1e-40], 65536);

  it('sigmoid is within 1e-6 of 1/(1+exp(-x)) everywhere, saturates exactly, propagates NaN', () => {
    const s = sigmoidF32(x)!;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const ref = 1 / (1 + Math.exp(-v));
      if (Number.isNaN(v)) expect(s[i]).toBeNaN();
      else if (Math.abs(s[i]! - ref) > 1e-6) expect({ x: v, got: s[i], ref }).toBeNull();
      if (v >= 100) expect(s[i]).toBe(1);
      if (v <= -100) expect(s[i]).toBe(0);
    }
  });

  it('tanh is within 1e-6 of Math.tanh everywhere, saturates exactly, propagates NaN', () => {
    const t = tanhF32(x)!;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const ref = Math.tanh(v);
      if (Number.isNaN(v)) expect(t[i]).toBeNaN();
      else if (Math.abs(t[i]! - ref) > 1e-6) expect({ x: v, got: t[i], ref }).toBeNull();
      if (v >= 20) expect(t[i]).toBe(1);
      if (v <= -20) expect(t[i]).toBe(-1);
    }
  });
});

describe('the build', () => {
  it('the committed binary.generated.ts was built from the current assembly/ sources', () => {
    // If this fails: npm run build:wasm, and commit src/kernels/wasm/binary.generated.ts.
    expect(builtHash).toBe(sourceHash());
  });

  it('the committed abi.generated.ts holds assembly/abi.ts\'s job layouts', () => {
    // If this fails: npm run build:wasm, and commit src/kernels/wasm/abi.generated.ts.
    expect(readFileSync(new URL('../src/kernels/wasm/abi.generated.ts', import.meta.url), 'utf8')).toBe(abiModule());
  });
});

describe('without WebAssembly SIMD', () => {
  it("setKernelPreference('ref') forces the reference kernels everywhere", () => {
    setKernelPreference('ref');
    expect(activeKernels()).toBe('ref');
    expect(wasmRnnKernel.supports(new Float32Array(1))).toBe(false);
    expect(sigmoidF32(new Float32Array(1))).toBeNull();
    const c = new Float32Array(32 * 32);
    wasmGemm({ m: 32, n: 32, k: 32, a: new Float32Array(1024).fill(1), b: new Float32Array(1024).fill(2), c });
    expect(c[0]).toBe(64);
  });

  it('an engine that rejects SIMD modules falls back to the reference path', async () => {
    vi.resetModules();
    const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    try {
      const fresh = await import('../src/kernels/wasm/index.js');
      expect(fresh.activeKernels()).toBe('ref');
      expect(fresh.wasmRnnKernel.supports(new Float32Array(1))).toBe(false);
    } finally {
      validate.mockRestore();
      vi.resetModules();
    }
  });
});
