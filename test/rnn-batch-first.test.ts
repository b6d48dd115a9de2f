/**
 * Batch-first input straight to the recurrent kernel (src/kernels/rnn.ts, "Batch-first"): a
 * kernel that takes it (`takesBatchFirst`) run batch-first against the reference run
 * time-major, every unpacked case, joined and not; the layers with batchFirst against the same
 * weights fed the transposed input time-major, bit for bit, and against the reference backend,
 * on every tier, 1 and 2 threads, and through a kernel that takes time-major rows only (the op
 * layer transposes for it); and the WebAssembly kernel given the rows batch-first, also through
 * the native kernel's hand-over.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { type Backend, backend, nativeBackend, refBackend, setBackend, wasmBackend } from '../src/kernels/backend.js';
import { refRnnKernel } from '../src/kernels/ref/rnn.js';
import { forwardInTurn, type RnnForwardArgs, type RnnKernel } from '../src/kernels/rnn.js';
import { wasmRnnKernel } from '../src/kernels/wasm/rnn.js';
import { setKernelPreference } from '../src/kernels/wasm/loader.js';
import { setNumThreads } from '../src/kernels/wasm/threads.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { kernelTiers } from './helpers/kernels.js';
import { allCases, build, caseName, type Case, firstMismatch, GRAD_KEYS, type Mismatch } from './kernels-wasm-cases.js';

const { nn } = torch;

afterEach(() => {
  setKernelPreference('auto');
  setBackend(nativeBackend);
});
afterAll(async () => {
  await setNumThreads(1);
});

/** Columns [col, col + w) of rows `ld` wide. */
function columns(a: Float32Array, ld: number, col: number, w: number): Float32Array {
  const rows = a.length / ld;
  const out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) out.set(a.subarray(r * ld + col, r * ld + col + w), r * w);
  return out;
}

/** Rows of `src` seen as (n0, n1, width) copied as (n1, n0, width): time-major to batch-first and back. */
function swapBatchTime(src: Float32Array, n0: number, n1: number, width: number): Float32Array {
  const dst = new Float32Array(src.length);
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) dst.set(src.subarray((i * n1 + j) * width, (i * n1 + j + 1) * width), (j * n0 + i) * width);
  return dst;
}

/** Both directions of an unpacked case through `kernel.forwardMany` batch-first, against the reference run time-major. */
function runBatchFirstPair(c: Case, join: boolean, kernel: RnnKernel): Mismatch[] {
  const dirs = [build(c, false, 0), build(c, true, 2.5)];
  const { batchSizes, inputSize: I } = dirs[0].spec;
  const [T, B] = [batchSizes.length, batchSizes[0]];
  const Hout = c.projSize || c.hidden;
  const xBf = swapBatchTime(dirs[0].x, T, B, I);
  const out: Mismatch[] = [];
  const check = (what: string, a: ArrayLike<number> | null, b: ArrayLike<number> | null): void => {
    const m = firstMismatch(what, a, b);
    if (m) out.push(m);
  };
  const list = dirs.map((b): RnnForwardArgs<Float32Array> => ({ spec: b.spec, weights: b.w32, x: xBf, h0: b.h0, c0: b.c0, needsGrad: true, batchFirst: true }));
  if (!kernel.takesBatchFirst?.(list)) return [{ what: 'takesBatchFirst said no', index: -1, fast: 0, ref: 0 }];
  const fast = kernel.forwardMany(list, join);
  const timeMajor = (a: Float32Array | null, w: number): Float32Array | null => (a ? swapBatchTime(a, B, T, w) : a);
  const refs = dirs.map((b) => refRnnKernel.forward({ spec: b.spec, weights: b.w32, x: b.x, h0: b.h0, c0: b.c0, needsGrad: true }));
  const joined = timeMajor(fast.joined as Float32Array | null, 2 * Hout);
  dirs.forEach((_, i) => {
    check(`y[dir ${i}]${joined ? ' (joined)' : ''}`, joined ? columns(joined, 2 * Hout, i * Hout, Hout) : timeMajor(fast.results[i].y as Float32Array, Hout), refs[i].y);
    check(`hN[dir ${i}]`, fast.results[i].hN, refs[i].hN);
  });
  const gf = fast.backward!(dirs.map((b) => ({ dy: b.dy && swapBatchTime(b.dy, T, B, Hout), dhN: b.dhN, dcN: b.dcN })));
  dirs.forEach((b, i) => {
    const gr = refs[i].backward!({ dy: b.dy, dhN: b.dhN, dcN: b.dcN });
    for (const key of GRAD_KEYS) check(`${key}[dir ${i}]`, key === 'dx' ? timeMajor(gf[i].dx as Float32Array, I) : gf[i][key], gr[key]);
  });
  return out;
}

/** A kernel that knows nothing of batch-first input: the reference, reached only through `x`. */
const timeMajorOnly: RnnKernel = { name: 'time-major only', supports: () => true, forward: refRnnKernel.forward, forwardMany: (list) => forwardInTurn(refRnnKernel, list) };

const unpacked = allCases().filter((c) => !c.packed && !c.nonFinite);
const wide = unpacked.filter((c) => c.bias).map((c) => ({ ...c, wide: true }));

describe('a kernel given batch-first input', () => {
  for (const threads of [1, 2]) {
    it(`wasm SIMD128, ${threads} thread(s): takes two directions batch-first; every unpacked case, joined and not, matches the reference`, async () => {
      await setNumThreads(threads);
      setKernelPreference('simd');
      for (const c of [...unpacked, ...wide]) {
        for (const join of [false, true]) expect(runBatchFirstPair(c, join, wasmRnnKernel), `${caseName(c)}${join ? ' joined' : ''}`).toEqual([]);
      }
    });
  }

  it('takes only what it runs batch-first itself: two float32 directions, not cut in time; the reference and native (when on) never', () => {
    setKernelPreference('simd');
    const b = build(unpacked[0]);
    const a: RnnForwardArgs = { spec: b.spec, weights: b.w32, x: b.x, h0: b.h0, c0: b.c0, needsGrad: true, batchFirst: true };
    expect(wasmRnnKernel.takesBatchFirst!([a, a])).toBe(true);
    expect(wasmRnnKernel.takesBatchFirst!([a])).toBe(false);
    expect(wasmRnnKernel.takesBatchFirst!([a, { ...a, x: Float64Array.from(b.x) }])).toBe(false);
    expect(refRnnKernel.takesBatchFirst).toBeUndefined();
    expect(nativeBackend.rnn.takesBatchFirst!([a, a])).toBe(true);
    for (const t of kernelTiers().filter((t) => t.preference !== 'simd')) {
      setKernelPreference(t.preference);
      expect(nativeBackend.rnn.takesBatchFirst!([a, a]), t.name).toBe(false);
    }
  });
});

interface LayerCase {
  type: 'RNN' | 'LSTM' | 'GRU';
  opts: Record<string, unknown>;
  /** (N, L, I), or (L, I) unbatched. */
  shape: number[];
  hx?: boolean;
  train?: boolean;
}

const layerCases: LayerCase[] = [
  { type: 'LSTM', opts: { bidirectional: true }, shape: [5, 7, 6] },
  { type: 'GRU', opts: { bidirectional: true, numLayers: 2 }, shape: [9, 4, 6], hx: true },
  { type: 'RNN', opts: { nonlinearity: 'relu' }, shape: [12, 3, 6], hx: true },
  { type: 'LSTM', opts: { bidirectional: true, numLayers: 2, projSize: 3 }, shape: [4, 6, 6], hx: true },
  { type: 'LSTM', opts: { bidirectional: true, numLayers: 2, dropout: 0.5 }, shape: [4, 6, 6], train: true },
  { type: 'GRU', opts: { bidirectional: true }, shape: [7, 6] },
  { type: 'LSTM', opts: { bidirectional: true, dtype: 'float64' }, shape: [3, 5, 6] },
];

/** A layer with batchFirst and its twin (same weights) fed the transposed input: outputs, states and gradients. */
function layerBits(c: LayerCase): { a: number[][]; b: number[][] } {
  const Ctor = nn[c.type] as unknown as new (i: number, h: number, o: object) => torch.nn.RNNBase;
  torch.manualSeed(11);
  const a = new Ctor(6, 5, { ...c.opts, batchFirst: true });
  const b = new Ctor(6, 5, { ...c.opts, batchFirst: false });
  b.loadStateDict(a.stateDict());
  if (!c.train) {
    a.eval();
    b.eval();
  }
  const dtype = (c.opts.dtype as 'float64' | undefined) ?? 'float32';
  const batched = c.shape.length === 3;
  const xa = torch.randn(c.shape, { dtype }).requiresGrad_();
  const xb = (batched ? xa.detach().transpose(0, 1).contiguous() : xa.detach().clone()).requiresGrad_();
  const D = c.opts.bidirectional ? 2 : 1;
  const layers = (c.opts.numLayers as number | undefined) ?? 1;
  const Hout = (c.opts.projSize as number | undefined) || 5;
  const h0 = c.hx ? torch.randn([D * layers, c.shape[0], Hout], { dtype }).requiresGrad_() : null;
  const run = (m: torch.nn.RNNBase, x: Tensor): [Tensor, Tensor[]] => {
    torch.manualSeed(5); // the same dropout masks for both
    const [y, s] = h0 && c.type !== 'LSTM' ? m.forward(x, h0) : m.forward(x);
    return [y as Tensor, Array.isArray(s) ? s : [s as Tensor]];
  };
  const [ya, sa] = run(a, xa);
  const [yb, sb] = run(b, xb);
  const yaTm = batched ? ya.transpose(0, 1) : ya;
  const w = torch.randn(yb.shape, { dtype });
  const states = (s: Tensor[]): Tensor => s.map((t, i) => t.mul(i + 2).sum()).reduce((p, q) => p.add(q));
  yaTm.mul(w).sum().add(states(sa)).backward();
  const h0GradA = h0?.grad?.clone() ?? null;
  if (h0) h0.grad = null;
  yb.mul(w).sum().add(states(sb)).backward();
  const flat = (t: Tensor | null | undefined): number[] => (t ? [...t.contiguous().toTypedArray()] : []);
  const params = (m: torch.nn.RNNBase): number[][] => [...m.parameters()].map((p) => flat(p.grad));
  return {
    a: [flat(yaTm), ...sa.map(flat), flat(batched ? xa.grad!.transpose(0, 1) : xa.grad), flat(h0GradA), ...params(a)],
    b: [flat(yb), ...sb.map(flat), flat(xb.grad), flat(h0?.grad), ...params(b)],
  };
}

describe('nn.RNN / LSTM / GRU with batchFirst', () => {
  const tiers: [string, () => void][] = [
    ...kernelTiers().map((t): [string, () => void] => [t.name, () => setKernelPreference(t.preference)]),
    ['relaxed SIMD (if enabled)', () => setKernelPreference('relaxed')],
    ['the reference backend', () => setBackend(refBackend)],
    ['a kernel that reads only x (the op layer converts)', () => setBackend({ ...wasmBackend, rnn: timeMajorOnly })],
  ];
  // The reference backend's results: the twins could share a mistake, the reference does not.
  let oracle: number[][][] | null = null;
  const reference = (): number[][][] => {
    if (!oracle) {
      setBackend(refBackend);
      oracle = layerCases.map((c) => layerBits(c).b);
      setBackend(nativeBackend);
    }
    return oracle;
  };
  for (const threads of [1, 2]) {
    for (const [name, use] of tiers) {
      it(`${name}, ${threads} thread(s): bit for bit the results of the time-major layer fed the transposed input, and the reference's within rounding`, async () => {
        const want = reference();
        await setNumThreads(threads);
        use();
        layerCases.forEach((c, k) => {
          const { a, b } = layerBits(c);
          const what = `${c.type} ${JSON.stringify(c.opts)} ${c.shape}`;
          expect(a, what).toEqual(b);
          a.forEach((xs, j) => {
            const scale = Math.max(1, ...want[k]![j]!.map(Math.abs));
            expect(xs.every((x, i) => Math.abs(x - want[k]![j]![i]!) <= 1e-4 * scale), `${what}: output ${j} against the reference`).toBe(true);
          });
        });
      });
    }
  }

  it('the WebAssembly kernel is given the rows batch-first (no transposition), also through the native kernel\'s hand-over', async () => {
    for (const [threads, kernel] of [
      [1, wasmBackend.rnn],
      [2, wasmBackend.rnn],
      [1, nativeBackend.rnn],
      [2, nativeBackend.rnn],
    ] as const) {
      await setNumThreads(threads);
      setKernelPreference('simd');
      const given: boolean[] = [];
      const spy: RnnKernel = {
        ...kernel,
        forwardMany(list, join) {
          given.push(list.every((a) => a.batchFirst === true));
          return kernel.forwardMany(list, join);
        },
      };
      setBackend({ ...(backend() as Backend), rnn: spy });
      const m = new nn.LSTM(6, 5, { bidirectional: true, batchFirst: true, numLayers: 2 });
      m.forward(torch.randn(8, 7, 6))[0].sum().backward();
      torch.noGrad(() => m.forward(torch.randn(8, 7, 6)));
      expect(given, `${kernel.name} at ${threads} thread(s)`).toEqual([true, true, true, true]);
      setBackend(nativeBackend);
    }
  });
});
