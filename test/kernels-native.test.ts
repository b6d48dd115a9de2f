/**
 * The native kernels (native/*.c, a Node-API addon) on every instruction set this CPU has
 * (AVX-512, AVX2 + FMA, portable), forced in turn: the committed binary built from the current
 * sources, GEMM against the reference, the activation sweep over the whole float range, threads
 * (results independent of the thread count, a process that used them exits by itself), errors
 * coming back as exceptions, and the silent fallback to WebAssembly where the addon cannot load.
 * Every recurrent case and fixture runs on each instruction set through test/helpers/kernels.ts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TorchletError } from '../src/errors.js';
import { sourceHash as builtHash } from '../src/kernels/native/binary.generated.js';
import { kernelInfo, nativeGemm, nativeKernels, nativeRnnKernel, nativeUnary } from '../src/kernels/native/index.js';
import { gemm as refGemm } from '../src/kernels/ref/matmul.js';
import type { RnnForwardArgs, RnnGradsOut, RnnLayerSpec } from '../src/kernels/rnn.js';
import { gateCount } from '../src/kernels/rnn.js';
import { setKernelPreference } from '../src/kernels/wasm/loader.js';
import { wasmRnnKernel } from '../src/kernels/wasm/rnn.js';
import { currentThreadPool, setNumThreads, threadTuning } from '../src/kernels/wasm/threads.js';
import { nativeSourceHash } from '../tools/build-native.js';
import { nativeIsasHere } from './helpers/kernels.js';
import { firstMismatch } from './kernels-wasm-cases.js';

const isas = nativeIsasHere();
const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

afterEach(() => setKernelPreference('auto'));

describe('the native binary', () => {
  it('loads here (linux-x64) with every instruction set this CPU has', () => {
    if (!onLinuxX64) return;
    expect(isas).toContain('portable');
    expect(kernelInfo().tier).toBe('native');
  });

  it('was built from the current native/ sources (the hash compiled into it, and the generated module)', () => {
    // If this fails: npm run build:native, and commit the .node file and binary.generated.ts.
    expect(builtHash).toBe(nativeSourceHash());
    if (onLinuxX64) expect(nativeKernels()!.info().sourceHash).toBe(builtHash);
  });
});

const rand = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + seed));

for (const isa of isas) {
  describe(`native ${isa}`, () => {
    const use = () => setKernelPreference(`native-${isa}`);

    it('is the tier in use, forced through the kernel preference', () => {
      use();
      const info = kernelInfo();
      expect(info).toMatchObject({ tier: 'native', isa, preference: `native-${isa}` });
      expect(info.reason).toContain(isa);
    });

    it('GEMM agrees with the reference: transposes, batch with a shared B, accumulate, offsets', () => {
      use();
      for (const [m, n, k] of [[32, 96, 40], [7, 13, 33], [70, 9, 400], [1, 24, 200], [3, 10, 2], [9, 70, 600], [33, 1, 17]] as const) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const a = rand(2 * m * k + 3, 1);
            const b = rand(k * n + 5, 2);
            const c0 = rand(2 * m * n + 7, 3);
            const args = { m, n, k, a, b, transA, transB, accumulate: true, batch: 2, strideB: 0, offsetA: 3, offsetB: 5, offsetC: 7 };
            const cf = c0.slice();
            nativeGemm({ ...args, c: cf });
            const cr = Float64Array.from(c0);
            refGemm({ ...args, a: Float64Array.from(a), b: Float64Array.from(b), c: cr });
            expect(firstMismatch(`[${m},${k}]x[${k},${n}] ${transA} ${transB}`, cf, cr)).toBeNull();
            expect(cf.subarray(0, 7)).toEqual(c0.subarray(0, 7)); // nothing before offsetC touched
          }
        }
      }
    });

    // Every 65,537th bit pattern (both signs, denormals, NaNs, infinities) plus the special values.
    const bits = new Uint32Array(65536 + 8);
    for (let i = 0; i < 65536; i++) bits[i] = (i * 65537 + 12345) >>> 0;
    const x = new Float32Array(bits.buffer);
    x.set([0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 3.4e38, -3.4e38, 1e-40], 65536);
    for (const op of ['sigmoid', 'tanh'] as const) {
      it(`${op} is within 1e-6 of the float64 value everywhere, saturates exactly, propagates NaN`, () => {
        use();
        const out = new Float32Array(x.length);
        nativeUnary(op, x, out);
        const limit = op === 'sigmoid' ? 100 : 20;
        const low = op === 'sigmoid' ? 0 : -1;
        for (let i = 0; i < x.length; i++) {
          const v = x[i]!;
          const ref = op === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : Math.tanh(v);
          if (Number.isNaN(v)) expect(out[i]).toBeNaN();
          else if (Math.abs(out[i]! - ref) > 1e-6) expect({ x: v, got: out[i], ref }).toBeNull();
          if (v >= limit) expect(out[i]).toBe(1);
          if (v <= -limit) expect(out[i]).toBe(low);
        }
      });
    }

    it('measures its multiply-add ceiling (the bench divides GEMM rates by it)', () => {
      use();
      const k = nativeKernels()!;
      expect(k.info().width).toBe(isa === 'avx512' ? 16 : isa === 'avx2' ? 8 : 4);
      expect(Number.isFinite(k.fmaPeak(1000))).toBe(true);
      expect(k.fmaPeak(1000)).not.toBe(k.fmaPeak(1));
    });
  });
}

/** A layer big enough for the addon to split its rows and products across 2 threads. */
function bigLayer(mode: RnnLayerSpec['mode'], reverse: boolean): RnnForwardArgs<Float32Array> {
  const H = 64;
  const I = 32;
  const proj = mode === 'LSTM' && reverse ? 24 : 0;
  const P = proj || H;
  const G = gateCount(mode);
  const batchSizes = Int32Array.from({ length: 20 }, (_, t) => Math.max(9, 16 - (t >> 1)));
  const total = batchSizes.reduce((a, b) => a + b, 0);
  return {
    spec: { mode, inputSize: I, hiddenSize: H, projSize: proj, batchSizes, reverse },
    weights: { wIh: rand(G * H * I, 1), wHh: rand(G * H * P, 2).map((v) => v * 0.2), bIh: rand(G * H, 3), bHh: rand(G * H, 4), wHr: proj ? rand(P * H, 5) : null },
    x: rand(total * I, 6),
    h0: rand(16 * P, 7),
    c0: mode === 'LSTM' ? rand(16 * H, 8) : null,
    needsGrad: true,
  };
}

function runBig(args: RnnForwardArgs<Float32Array>): { y: Float32Array; hN: Float32Array; cN: Float32Array | null; g: RnnGradsOut<Float32Array> } {
  const r = nativeRnnKernel.forward(args);
  const total = args.x.length / args.spec.inputSize;
  const P = args.spec.projSize || args.spec.hiddenSize;
  const g = r.backward!({ dy: rand(total * P, 9), dhN: rand(r.hN.length, 10), dcN: r.cN ? rand(r.cN.length, 11) : null });
  return { y: r.y, hN: r.hN, cN: r.cN, g };
}

describe('native threads (setNumThreads)', () => {
  afterEach(async () => {
    await setNumThreads(1);
  });

  it('2 threads give bit for bit the results of 1 (rows and products split; every mode, reverse, projection, packed)', async () => {
    setKernelPreference('native');
    const layers = (['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'] as const).flatMap((mode) => [false, true].map((reverse) => ({ name: `${mode}${reverse ? ' reverse' : ''}`, args: bigLayer(mode, reverse) })));
    await setNumThreads(1);
    const ones = layers.map((l) => runBig(l.args));
    await setNumThreads(2);
    layers.forEach((l, i) => {
      const before = nativeKernels()!.info().poolJobs;
      const two = runBig(l.args);
      expect(nativeKernels()!.info().poolJobs, `${l.name}: the call was split across the pool`).toBeGreaterThan(before);
      expect(two, l.name).toEqual(ones[i]);
    });
  });

  it('both directions side by side (forwardMany, one per thread) give bit for bit forward of each in turn on 1 thread: every mode, projection, packed, joined output', async () => {
    setKernelPreference('native');
    const modes = ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'] as const;
    const pairs = modes.map((mode) => [bigLayer(mode, false), { ...bigLayer(mode, true), x: bigLayer(mode, false).x }]);
    const total = (a: RnnForwardArgs<Float32Array>): number => a.x.length / a.spec.inputSize;
    const P = (a: RnnForwardArgs<Float32Array>): number => a.spec.projSize || a.spec.hiddenSize;
    const grads = (a: RnnForwardArgs<Float32Array>, r: { hN: Float32Array; cN: Float32Array | null }, seed: number) => ({
      dy: rand(total(a) * P(a), seed),
      dhN: rand(r.hN.length, seed + 1),
      dcN: r.cN ? rand(r.cN.length, seed + 2) : null,
    });
    await setNumThreads(1);
    const inTurn = pairs.map((list) =>
      list.map((a, i) => {
        const r = nativeRnnKernel.forward(a);
        return { y: r.y, hN: r.hN, cN: r.cN, g: r.backward!(grads(a, r, 20 + 3 * i)) };
      }),
    );
    for (const threads of [1, 2]) {
      await setNumThreads(threads);
      pairs.forEach((list, m) => {
        const before = nativeKernels()!.info().poolJobs;
        const r = nativeRnnKernel.forwardMany(list, true);
        const g = r.backward!(list.map((a, i) => grads(a, r.results[i], 20 + 3 * i)));
        const jobs = nativeKernels()!.info().poolJobs - before;
        // Side by side: one pool job for the forward, one for the backward (in turn, each direction would split into several).
        expect(jobs, `${modes[m]}: pool jobs`).toBe(threads === 2 ? 2 : 0);
        const width = P(list[0]) + P(list[1]);
        list.forEach((a, i) => {
          const col = i === 0 ? 0 : P(list[0]);
          const y = Float32Array.from({ length: total(a) * P(a) }, (_, k) => r.joined![Math.floor(k / P(a)) * width + col + (k % P(a))]);
          expect({ y, hN: r.results[i].hN, cN: r.results[i].cN, g: g[i] }, `${modes[m]} direction ${i}, ${threads} thread(s)`).toEqual(inTurn[m][i]);
        });
      });
    }
  });

  it('a process that used the pool exits by itself, exit code 0', () => {
    if (!onLinuxX64) return;
    const script = `import * as torch from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))};
await torch.setNumThreads(2);
const lstm = new torch.nn.LSTM(32, 64);
const [y] = lstm.forward(torch.randn(20, 16, 32));
y.sum().backward();
console.log(JSON.stringify({ tier: torch.kernelInfo().tier, threads: torch.getNumThreads() }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ tier: 'native', threads: 2 });
  });
});

describe('no unbounded wait in the native pool', () => {
  it('a worker stalled past threadTuning.deadAfterMs: the call throws a RuntimeError, the tier falls back to WebAssembly, the process carries on and exits (a shorter stall is waited out)', () => {
    if (!onLinuxX64) return;
    const src = (f: string): string => JSON.stringify(fileURLToPath(new URL(`../src/${f}`, import.meta.url)));
    const script = `import * as torch from ${src('index.ts')};
import { nativeKernels } from ${src('kernels/native/loader.ts')};
import { threadTuning } from ${src('kernels/wasm/threads.ts')};
await torch.setNumThreads(2);
torch.manualSeed(1);
const m = new torch.nn.LSTM(32, 64);
const x = torch.randn(40, 16, 32);
const run = () => torch.noGrad(() => m.forward(x)[0].toFloat32Array());
const good = run();
const k = nativeKernels();
const jobs = k.info().poolJobs;
k.testStall(50);
const waited = run();
const out = { split: k.info().poolJobs > jobs, waitedSame: waited.every((v, i) => v === good[i]) };
threadTuning.deadAfterMs = 300;
k.testStall(4000);
try { run(); out.threw = null; } catch (e) { out.threw = e.name + ': ' + e.message; }
out.poolStopped = k.info().poolStopped;
out.tier = torch.kernelInfo().tier;
out.reason = torch.kernelInfo().reason;
const after = run();
out.afterClose = after.every((v, i) => Math.abs(v - good[i]) < 1e-5);
console.log(JSON.stringify(out));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r).toMatchObject({ split: true, waitedSame: true, poolStopped: true, tier: 'wasm', afterClose: true });
    // Thrown while the worker still sleeps (a caller waiting without limit would have returned results instead).
    expect(r.threw).toMatch(/^RuntimeError: torchlet native: a worker thread of the native pool made no progress for 300 ms/);
    expect(r.reason).toMatch(/thread pool was given up/);
  });
});

describe('memory a training loop frees (glibc malloc kept for reuse, bench/rss.ts)', () => {
  /** In a child: 48 MB of ArrayBuffers made, dropped and collected; MB of RSS it grew by, and kept afterwards. */
  function retained(env: Record<string, string>): { grew: number; kept: number } {
    const src = (f: string): string => JSON.stringify(fileURLToPath(new URL(`../src/${f}`, import.meta.url)));
    const script = `import { nativeKernels } from ${src('kernels/native/loader.ts')};
import { setKernelPreference } from ${src('kernels/wasm/loader.ts')};
setKernelPreference('native');
if (!nativeKernels()) throw new Error('native kernels did not load');
const MB = 1 << 20, mem = () => process.memoryUsage();
const r0 = mem().rss;
let arrays = Array.from({ length: 24 }, () => new Float32Array(MB / 2).fill(1));
const r1 = mem().rss, ab1 = mem().arrayBuffers;
arrays = null;
// Wait (bounded) until V8 has freed the buffers' memory, then look at what the process kept.
for (let i = 0; i < 500 && mem().arrayBuffers > ab1 - 40 * MB; i++) { globalThis.gc(); await new Promise((ok) => setTimeout(ok, 10)); }
if (mem().arrayBuffers > ab1 - 40 * MB) throw new Error('the buffers were not collected');
console.log(JSON.stringify({ grew: (r1 - r0) / MB, kept: (mem().rss - r0) / MB }));`;
    // Without the user's own malloc settings (which the addon leaves alone).
    const childEnv: Record<string, string | undefined> = { ...process.env, GLIBC_TUNABLES: undefined, MALLOC_TRIM_THRESHOLD_: undefined, MALLOC_MMAP_THRESHOLD_: undefined, ...env };
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: childEnv });
    return JSON.parse(out.trim().split('\n').pop()!);
  }

  it('loading the addon lets glibc keep freed memory for the next steps (TORCHLET_MALLOC_TUNING=0: handed back at once, as glibc does by default)', () => {
    if (!onLinuxX64) return;
    const tuned = retained({});
    const plain = retained({ TORCHLET_MALLOC_TUNING: '0' });
    expect(tuned.grew).toBeGreaterThan(40);
    expect(plain.grew).toBeGreaterThan(40);
    expect(tuned.kept, 'kept for reuse').toBeGreaterThan(0.75 * tuned.grew);
    expect(plain.kept, 'handed back').toBeLessThan(0.25 * plain.grew);
  });
});

describe('the WebAssembly workers while native runs', () => {
  it('setNumThreads(2) does not start them; the first WebAssembly op that needs them does', async () => {
    await setNumThreads(1);
    setKernelPreference('native');
    try {
      expect(await setNumThreads(2)).toBe(2);
      expect(currentThreadPool(), 'no WebAssembly workers after setNumThreads').toBeNull();
      const big = bigLayer('LSTM', false);
      nativeRnnKernel.forward(big);
      expect(currentThreadPool(), 'none after a native op').toBeNull();
      setKernelPreference('simd');
      threadTuning.minMacs = 0;
      wasmRnnKernel.forward(big);
      expect(currentThreadPool()?.started, 'a WebAssembly op started them and used them').toBeGreaterThan(0);
    } finally {
      threadTuning.minMacs = 1 << 22;
      await setNumThreads(1);
    }
  });
});

describe('the addon in odd places', () => {
  it('loaded twice in one process, and in a worker thread that ends first: no abort, exit code 0', () => {
    if (!onLinuxX64) return;
    const file = JSON.stringify(fileURLToPath(new URL('../src/kernels/native/torchlet.linux-x64.node', import.meta.url)));
    const use = `m.exports.setThreads(2); const x = new Float32Array(96 * 96).fill(1); const c = new Float32Array(96 * 96); m.exports.gemm(96, 96, 96, x, 96, 1, x, 96, 1, c, 96, 0);`;
    const script = `const m = { exports: {} }; process.dlopen(m, ${file}); process.dlopen({ exports: {} }, ${file});
const { Worker } = await import('node:worker_threads');
await new Promise((ok, fail) => { const w = new Worker(${JSON.stringify(`const m = { exports: {} }; process.dlopen(m, ${file}); ${use}`)}, { eval: true }); w.on('exit', ok); w.on('error', fail); });
${use} console.log(c[0]);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe('96');
  });
});

describe('native errors come back as exceptions', () => {
  it('wrong arrays or sizes throw a TorchletError, and the process carries on', () => {
    setKernelPreference('native');
    const k = nativeKernels();
    if (!k) return;
    const f = new Float32Array(4);
    const cases: [string, () => void][] = [
      ['too short', () => k.gemm(4, 4, 4, f, 4, 1, f, 4, 1, f, 4, 0)],
      ['not a Float32Array', () => k.gemm(1, 1, 1, new Float64Array(1) as unknown as Float32Array, 1, 1, f, 1, 1, f, 1, 0)],
      ['missing arguments', () => (k.gemm as unknown as () => void)()],
      ['increasing batch sizes', () => k.forward(Int32Array.of(0, 0, 1, 1, 1, 1), Int32Array.of(1, 2), f, f, f, null, f, null, f, null, f, null, null, null, null, null, null)],
    ];
    for (const [what, run] of cases) {
      expect(run, what).toThrow();
      let caught: unknown = null;
      try {
        run();
      } catch (e) {
        caught = e;
      }
      expect(caught instanceof Error, what).toBe(true);
    }
    // Through the kernel wrappers: one of torchlet's error classes.
    const spec: RnnLayerSpec = { mode: 'RNN_TANH', inputSize: 2, hiddenSize: 2, projSize: 0, batchSizes: Int32Array.of(1), reverse: false };
    const bad = { spec, weights: { wIh: f.subarray(0, 1), wHh: f, bIh: null, bHh: null, wHr: null }, x: f, h0: f, c0: null, needsGrad: false };
    expect(() => nativeRnnKernel.forward(bad)).toThrow(TorchletError);
    expect(nativeKernels()!.info().isa).toBeTruthy(); // still alive
  });
});

describe('fallback to WebAssembly, silently', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.resetModules();
  });

  async function fresh(): Promise<typeof import('../src/index.js')> {
    vi.resetModules();
    return import('../src/index.js');
  }

  it('on another platform', async () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    Object.defineProperty(process, 'platform', { value: 'darwin', configurable: true });
    try {
      const torch = await fresh();
      const info = torch.kernelInfo();
      expect(info.tier).toBe('wasm');
      expect(info.reason).toContain('no prebuilt native binary for darwin');
      const [y] = new torch.nn.GRU(3, 4).forward(torch.ones(2, 1, 3));
      expect(y.shape).toEqual([2, 1, 4]);
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
  });

  it('when the binary fails to load (an older glibc) or is missing', async () => {
    if (!onLinuxX64) return;
    vi.spyOn(process, 'dlopen').mockImplementation(() => {
      throw new Error("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found");
    });
    let torch = await fresh();
    expect(torch.kernelInfo()).toMatchObject({ tier: 'wasm', isa: null });
    expect(torch.kernelInfo().reason).toContain('GLIBC_2.34');
    expect(torch.tensor([[1, 2]]).matmul(torch.tensor([[3], [4]])).item()).toBe(11);
    vi.restoreAllMocks();
    const nodeFs = process.getBuiltinModule('node:fs') as typeof fs;
    vi.spyOn(nodeFs, 'existsSync').mockReturnValue(false);
    torch = await fresh();
    expect(torch.kernelInfo().reason).toContain('not found');
    expect(torch.kernelInfo().tier).toBe('wasm');
  });

  it('in browser bundles (package.json `browser` maps the tier to browser.ts): the WebAssembly entries, no loader', async () => {
    const stub = await import('../src/kernels/native/browser.js');
    const wasm = await import('../src/kernels/wasm/index.js');
    expect(stub.nativeRnnKernel).toBe(wasm.wasmRnnKernel);
    expect(stub.nativeGemm).toBe(wasm.wasmGemm);
    expect(stub.nativeKernels()).toBeNull();
    expect(stub.kernelInfo()).toMatchObject({ isa: null, reason: expect.stringContaining('not Node.js') });
    expect(stub.kernelInfo().tier).not.toBe('native');
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { browser: Record<string, string> };
    expect(pkg.browser['./src/kernels/native/index.js']).toBe('./src/kernels/native/browser.ts');
    expect(pkg.browser['./dist/kernels/native/index.js']).toBe('./dist/kernels/native/browser.js');
  });

  it("setKernelPreference('simd') and 'ref' turn the native tier off", () => {
    setKernelPreference('simd');
    expect(kernelInfo()).toMatchObject({ tier: 'wasm', wasm: 'simd', isa: null });
    expect(nativeRnnKernel.supports(new Float32Array(1))).toBe(false);
    setKernelPreference('ref');
    expect(kernelInfo().tier).toBe('ref');
  });
});

/**
 * Batch invariance (what `torchlet serve` promises: a request batched with others gives the bits of
 * running it alone): a GEMM row's result must not depend on where it falls in M (a full MR-row
 * tile, the 4- and 2-row bottom tiles, an odd last row, another row block or thread), and a
 * recurrent layer's sequence must give the same output rows and final state alone or packed
 * with sequences of other lengths.
 */
describe('native batch invariance', () => {
  afterEach(async () => {
    await setNumThreads(1);
  });

  const bits = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

  for (const isa of isas) {
    it(`${isa}: every row of a GEMM equals the row computed alone, for M = 1..19 and 131, A by rows or transposed, with and without accumulate`, () => {
      setKernelPreference(`native-${isa}`);
      const k = nativeKernels()!;
      const [K, N, Mmax] = [300, 70, 131];
      const b = rand(K * N, 1);
      const a = rand(Mmax * K, 2);
      const c0 = rand(Mmax * N, 3);
      for (const acc of [0, 1]) {
        const alone = Array.from({ length: Mmax }, (_, r) => {
          const c = c0.slice(r * N, (r + 1) * N);
          k.gemm(1, N, K, a.subarray(r * K), K, 1, b, N, 1, c, N, acc);
          return bits(c);
        });
        for (const m of [...Array.from({ length: 19 }, (_, i) => i + 1), Mmax]) {
          const rows = c0.slice(0, m * N);
          k.gemm(m, N, K, a, K, 1, b, N, 1, rows, N, acc);
          // The same rows stored transposed (A's element (r, kk) at at[kk * m + r]): the column-reading tiles.
          const at = new Float32Array(K * m);
          for (let r = 0; r < m; r++) for (let kk = 0; kk < K; kk++) at[kk * m + r] = a[r * K + kk]!;
          const cols = c0.slice(0, m * N);
          k.gemm(m, N, K, at, 1, m, b, N, 1, cols, N, acc);
          for (let r = 0; r < m; r++) {
            expect(bits(rows.subarray(r * N, (r + 1) * N)), `M=${m} row ${r} accumulate=${acc}`).toBe(alone[r]);
            expect(bits(cols.subarray(r * N, (r + 1) * N)), `M=${m} row ${r} transposed accumulate=${acc}`).toBe(alone[r]);
          }
        }
      }
    });
  }

  /** Sequences of lengths `lens` (non-increasing), packed; each one's rows and states. */
  function packed(mode: RnnLayerSpec['mode'], proj: number, reverse: boolean, lens: number[]) {
    const [H, I] = [64, 32];
    const P = proj || H;
    const G = gateCount(mode);
    const spec = (batchSizes: Int32Array): RnnLayerSpec => ({ mode, inputSize: I, hiddenSize: H, projSize: proj, batchSizes, reverse });
    const weights = { wIh: rand(G * H * I, 11), wHh: rand(G * H * P, 12).map((v) => v * 0.2), bIh: rand(G * H, 13), bHh: rand(G * H, 14), wHr: proj ? rand(P * H, 15) : null };
    const seqs = lens.map((len, s) => ({ x: rand(len * I, 20 + s), h0: rand(P, 40 + s), c0: mode === 'LSTM' ? rand(H, 60 + s) : null }));
    const T = lens[0]!;
    const batchSizes = Int32Array.from({ length: T }, (_, t) => lens.filter((l) => l > t).length);
    const rowOf: number[][] = [];
    const x: number[] = [];
    let row = 0;
    for (let t = 0; t < T; t++)
      for (let s = 0; s < batchSizes[t]!; s++) {
        (rowOf[s] ??= []).push(row++);
        x.push(...seqs[s]!.x.subarray(t * I, (t + 1) * I));
      }
    const all: RnnForwardArgs<Float32Array> = {
      spec: spec(batchSizes),
      weights,
      x: Float32Array.from(x),
      h0: Float32Array.from(seqs.flatMap((q) => [...q.h0])),
      c0: mode === 'LSTM' ? Float32Array.from(seqs.flatMap((q) => [...q.c0!])) : null,
      needsGrad: false,
    };
    const alone = seqs.map((q, s): RnnForwardArgs<Float32Array> => ({ spec: spec(new Int32Array(lens[s]!).fill(1)), weights, x: q.x, h0: q.h0, c0: q.c0, needsGrad: false }));
    return { all, alone, rowOf, P };
  }

  it('the recurrent layer: each sequence alone gives bit for bit its output rows and h_n / c_n packed among 11 of other lengths (every mode, projection, reverse, every ISA, 1 and 2 threads)', async () => {
    const lens = [40, 37, 37, 31, 28, 25, 19, 16, 13, 7, 1];
    const cases = [
      ['LSTM', 0],
      ['LSTM', 24],
      ['GRU', 0],
      ['RNN_TANH', 0],
      ['RNN_RELU', 0],
    ] as const;
    for (const threads of [1, 2]) {
      await setNumThreads(threads);
      for (const isa of isas) {
        setKernelPreference(`native-${isa}`);
        for (const [mode, proj] of cases)
          for (const reverse of [false, true]) {
            const name = `${isa} ${mode}${proj ? ' proj' : ''}${reverse ? ' reverse' : ''} ${threads}T`;
            const { all, alone, rowOf, P } = packed(mode, proj, reverse, lens);
            const jobs = nativeKernels()!.info().poolJobs;
            const r = nativeRnnKernel.forward(all);
            if (threads === 2) expect(nativeKernels()!.info().poolJobs, `${name}: split across the pool`).toBeGreaterThan(jobs);
            const H = all.spec.hiddenSize;
            alone.forEach((args, s) => {
              const one = nativeRnnKernel.forward(args);
              const y = Float32Array.from(rowOf[s]!.flatMap((row) => [...r.y.subarray(row * P, (row + 1) * P)]));
              expect(bits(y), `${name}: output of sequence ${s}`).toBe(bits(one.y));
              expect(bits(r.hN.subarray(s * P, (s + 1) * P)), `${name}: h_n of sequence ${s}`).toBe(bits(one.hN));
              if (one.cN) expect(bits(r.cN!.subarray(s * H, (s + 1) * H)), `${name}: c_n of sequence ${s}`).toBe(bits(one.cN));
            });
          }
      }
    }
  });
});
