/**
 * The page script of the browser test: bundled by esbuild (platform 'browser') from the public
 * entry point, it exposes `globalThis.torchletPage` for test/browser.test.ts to call through
 * Playwright. Nothing runs on load except publishing that object.
 */
import * as torch from '../../src/index.js';
import { currentThreadPool, threadPool, threadTuning } from '../../src/kernels/wasm/threads.js';
import { type Results, seedLayers, threadedLstm } from './compute.js';

/** What the page offers the test (all results are JSON). */
export interface TorchletPage {
  /** Awaits the background WebAssembly compile; reports the environment. */
  ready(): Promise<{ wasm: boolean; kernels: string; isolated: boolean; sharedArrayBuffer: boolean }>;
  /** seedLayers under the given kernel preference ('auto' or 'ref'); reports the kernels used. */
  run(preference: 'auto' | 'ref'): { kernels: string; results: Results };
  /**
   * threadedLstm on one thread, then with setNumThreads(2) (threads forced even for this size);
   * `jobs` counts the jobs the pool ran for the second (0 would mean the workers were bypassed).
   */
  threads(): Promise<{ threads: number; kernels: string; jobs: number; one: Results; two: Results }>;
  /**
   * With 2 threads, a Web Worker of the pool terminated just before a call: the message the call
   * threw (the spinning main thread must notice), then after the pool rebuilt itself the jobs
   * it ran and the results, with the results from before the kill.
   */
  killedWorker(): Promise<{ threads: number; error: string; jobs: number; before: Results; after: Results }>;
}

const page: TorchletPage = {
  async ready() {
    const wasm = await torch.wasmReady();
    return {
      wasm,
      kernels: torch.activeKernels(),
      isolated: globalThis.crossOriginIsolated === true,
      sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
    };
  },
  run(preference) {
    torch.setKernelPreference(preference);
    try {
      return { kernels: torch.activeKernels(), results: seedLayers(torch) };
    } finally {
      torch.setKernelPreference('auto');
    }
  },
  async threads() {
    const one = threadedLstm(torch);
    const saved = threadTuning.minMacs;
    threadTuning.minMacs = 0;
    try {
      const threads = await torch.setNumThreads(2);
      const before = threadPool()?.started ?? 0;
      const two = threadedLstm(torch);
      const jobs = (threadPool()?.started ?? 0) - before;
      return { threads, kernels: torch.activeKernels(), jobs, one, two };
    } finally {
      threadTuning.minMacs = saved;
      await torch.setNumThreads(1);
    }
  },
  async killedWorker() {
    const saved = { ...threadTuning };
    threadTuning.minMacs = 0;
    threadTuning.deadAfterMs = 1000;
    try {
      const threads = await torch.setNumThreads(2);
      const before = threadedLstm(torch);
      const p = currentThreadPool();
      if (!p) return { threads, error: 'no pool', jobs: 0, before, after: before };
      (p.workers[0] as Worker).terminate();
      // Chromium forces the termination of a worker that runs script (ours loops in Atomics.wait)
      // only after a grace period of 2 s: wait that out. The page gets no event for a terminated
      // worker, so the call must notice by itself (the worker's heartbeats stop).
      await new Promise((r) => setTimeout(r, 2500));
      let error = '';
      try {
        threadedLstm(torch);
      } catch (e) {
        error = (e as Error).message;
      }
      threadedLstm(torch); // starts the new pool (in the background in browsers)
      await torch.setNumThreads(2); // waits for it
      const jobs0 = currentThreadPool()?.started ?? 0;
      const after = threadedLstm(torch);
      return { threads, error, jobs: (currentThreadPool()?.started ?? 0) - jobs0, before, after };
    } finally {
      Object.assign(threadTuning, saved);
      await torch.setNumThreads(1);
    }
  },
};

(globalThis as { torchletPage?: TorchletPage }).torchletPage = page;
