/**
 * Issue 18, threads: on by default, never keeping a process alive, setNumThreads serialised,
 * a killed worker making the call throw (and the pool rebuilt), heartbeats from inside the
 * kernels, and a stress run with wasm compiling on another thread. Every test forces the wasm
 * tier ('simd'), so it keeps testing it whatever becomes the default.
 *
 * The stress test runs 150 calls per model here; TORCHLET_STRESS_FULL=1 runs the 2,000.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as torch from '../src/index.js';
import { setKernelPreference } from '../src/kernels/wasm/loader.js';
import { currentThreadPool, threadTuning } from '../src/kernels/wasm/threads.js';
import { concat } from './helpers/arrays.js';

const { nn } = torch;
const STRESS = process.env.TORCHLET_STRESS_FULL === '1' ? 2000 : 150;
const saved = { ...threadTuning };

beforeEach(() => setKernelPreference('simd'));
afterEach(async () => {
  Object.assign(threadTuning, saved);
  setKernelPreference('auto');
  await torch.setNumThreads(1);
});

/** Output and every gradient of one forward+backward, as one array. */
function step(m: torch.nn.RNNBase, x: torch.Tensor): Float32Array {
  for (const p of m.parameters()) p.grad = null;
  const out = m.forward(x) as unknown as [torch.Tensor];
  out[0].mul(out[0]).sum().backward();
  return concat(Float32Array, [out[0].toFloat32Array(), ...m.parameters().map((p) => p.grad!.toFloat32Array())]);
}

const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Largest difference relative to the largest magnitude. */
function worst(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
  }
  return d / scale;
}

/** Run the child script; it must exit by itself well within the limit. */
function runChild(mode: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const child = fileURLToPath(new URL('./reliability-threads.child.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, mode], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout!.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`the child (${mode}) did not exit within 60 s: the pool kept it alive`));
    }, 60_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('threads on by default, never keeping a process alive', () => {
  it('the default is the cores up to 4 (Node has shared memory)', () => {
    expect(torch.getNumThreads()).toBe(Math.min(4, availableParallelism()));
  });

  it('a script that awaits setNumThreads(2) at top level and uses the pool exits by itself, after the workers were up', async () => {
    const r = await runChild('await2');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.trim())).toMatchObject({ set: 2, threads: 2 });
    expect(JSON.parse(r.out.trim()).jobs).toBeGreaterThan(0);
  }, 90_000);

  it('a script that never calls setNumThreads uses threads (started by its first op) and exits by itself; TORCHLET_NUM_THREADS=1 opts out', async () => {
    const [on, off] = await Promise.all([runChild('default', { TORCHLET_NUM_THREADS: '2' }), runChild('default', { TORCHLET_NUM_THREADS: '1' })]);
    expect(on.code).toBe(0);
    expect(JSON.parse(on.out.trim())).toMatchObject({ set: null, threads: 2 });
    expect(JSON.parse(on.out.trim()).jobs).toBeGreaterThan(0);
    expect(off.code).toBe(0);
    expect(JSON.parse(off.out.trim())).toEqual({ set: null, threads: 1, jobs: 0 });
  }, 90_000);

  it('concurrent setNumThreads calls are serialised: every promise resolves, the last one wins', async () => {
    const results = await Promise.all([torch.setNumThreads(2), torch.setNumThreads(3), torch.setNumThreads(1), torch.setNumThreads(2)]);
    expect(results).toEqual([2, 3, 1, 2]);
    expect(torch.getNumThreads()).toBe(2);
    expect(currentThreadPool()?.n).toBe(2);
    // A rejected call (bad argument) does not stall the ones after it.
    const after = await Promise.allSettled([torch.setNumThreads(0), torch.setNumThreads(3)]);
    expect(after.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(torch.getNumThreads()).toBe(3);
  });
});

describe('a worker that dies', () => {
  it('killed with terminate() as a call starts: the call throws a RuntimeError promptly; the next call rebuilds the pool and gives the same bits', async () => {
    expect(await torch.setNumThreads(2)).toBe(2);
    threadTuning.minMacs = 0;
    threadTuning.deadAfterMs = 1000;
    torch.manualSeed(3);
    const m = new nn.LSTM(32, 64);
    const x = torch.randn(200, 16, 32);
    const before = step(m, x);
    const p = currentThreadPool()!;
    expect(p.started).toBeGreaterThan(0);
    void (p.workers[0] as Worker).terminate();
    expect(() => step(m, x)).toThrow(expect.objectContaining({ name: 'RuntimeError', message: expect.stringMatching(/^a worker thread of the kernel pool stopped/) }));
    const again = step(m, x);
    const q = currentThreadPool()!;
    expect(q).not.toBe(p);
    expect(q.started).toBeGreaterThan(0);
    expect(same(again, before)).toBe(true);
  });

  it('workers beat from inside the kernels: a 60-step layer moves a worker\'s heartbeat word by more than its job count', async () => {
    expect(await torch.setNumThreads(2)).toBe(2);
    threadTuning.minMacs = 0;
    const m = new nn.GRU(8, 16);
    const x = torch.randn(60, 8, 8);
    step(m, x);
    const p = currentThreadPool()!;
    const beats = (): number => new Int32Array(p.w.arena.memory.buffer, p.ctrl, 16)[9]!;
    const [b0, j0] = [beats(), p.started];
    step(m, x);
    // Per job the worker beats once when it picks it up, and once per time step / product block inside.
    expect(p.started - j0).toBeGreaterThan(0);
    expect(beats() - b0).toBeGreaterThanOrEqual(60 + (p.started - j0));
  });
});

describe(`stress: ${STRESS} threaded forward+backward calls per model while another thread compiles wasm modules`, () => {
  it('identical bits on every call, and the one-thread values within float32 rounding', async () => {
    const bytes = readFileSync(fileURLToPath(new URL('../src/kernels/wasm/kernels-simd.wasm', import.meta.url)));
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const compiler = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const flag = new Int32Array(workerData.stop);
       let n = 0;
       while (Atomics.load(flag, 0) === 0) { new WebAssembly.Module(workerData.bytes); n++; }
       parentPort.postMessage(n);`,
      { eval: true, workerData: { bytes, stop: stop.buffer } },
    );
    const compiled = new Promise<number>((resolve) => compiler.once('message', resolve));
    try {
      expect(await torch.setNumThreads(2)).toBe(2);
      threadTuning.minMacs = 0;
      torch.manualSeed(5);
      const cases: [string, torch.nn.RNNBase, torch.Tensor][] = [
        ['LSTM, batch rows split', new nn.LSTM(24, 48), torch.randn(20, 16, 24)],
        ['GRU 2 layers, batch rows split', new nn.GRU(24, 32, { numLayers: 2 }), torch.randn(15, 12, 24)],
        ['bidirectional LSTM, directions side by side', new nn.LSTM(24, 32, { bidirectional: true }), torch.randn(12, 6, 24)],
      ];
      const first = cases.map(([, m, x]) => step(m, x));
      const jobs0 = currentThreadPool()!.started;
      let pending: Promise<unknown>[] = [];
      for (let i = 0; i < STRESS; i++) {
        // Compiles on this thread's background compile tasks too, a few at a time.
        if (i % 10 === 0) pending.push(WebAssembly.compile(bytes));
        cases.forEach(([name, m, x], k) => {
          const got = step(m, x);
          if (!same(got, first[k]!)) expect.fail(`${name}: call ${i} differs from the first (worst ${worst(got, first[k]!)})`);
        });
        if (pending.length >= 4) {
          await Promise.all(pending);
          pending = [];
        }
      }
      await Promise.all(pending);
      expect(currentThreadPool()!.started - jobs0, 'jobs run on the pool').toBeGreaterThanOrEqual(STRESS * cases.length);
      await torch.setNumThreads(1);
      cases.forEach(([name, m, x], k) => {
        expect(worst(step(m, x), first[k]!), name).toBeLessThan(1e-5);
      });
    } finally {
      Atomics.store(stop, 0, 1);
      expect(await compiled).toBeGreaterThan(0);
      await compiler.terminate();
    }
  }, 300_000);
});
