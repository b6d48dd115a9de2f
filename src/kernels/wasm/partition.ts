/**
 * How the wasm recurrent kernel shares work among threads (src/kernels/wasm/threads.ts's pool):
 * a layer's batch rows are cut into parts, one per thread, each running the whole recurrence of
 * its rows (sequences are independent: no barrier); several directions run side by side, one
 * per thread. Deterministic mode (src/kernels/determinism.ts) never cuts batch rows.
 */
import { areDeterministicAlgorithmsEnabled } from '../determinism.js';
import type { RnnLayerSpec } from '../rnn.js';
import { EachList, EachListWords, JobKind } from './abi.generated.js';
import type { Dims } from './layout.js';
import type { WasmKernels } from './loader.js';
import { getNumThreads, runOnThreads, type ThreadPool, threadPool, threadTuning } from './threads.js';

/** One part of a layer's batch rows: rows from r0, with its own steps (see partSteps). */
export interface Part {
  r0: number;
  T: number;
  bs: Int32Array;
  offs: Int32Array;
}

/**
 * Batch rows [r0, r1) of part p of `parts` (multiples of 4 where possible, so the GEMM
 * micro-kernel sees whole 4-row tiles).
 */
function partRows(B: number, parts: number, p: number): [number, number] {
  const at = (q: number): number => (q >= parts ? B : Math.min(B, Math.round((q * B) / parts / 4) * 4));
  return [at(p), at(p + 1)];
}

/**
 * Rows [r0, r1)'s steps: the batch sizes and row offsets of its rows in every step (steps where
 * the part has no row left are dropped: batch sizes do not grow, so they are the last ones).
 */
function partSteps(spec: RnnLayerSpec, offs: Int32Array, r0: number, r1: number): Part {
  const T = spec.batchSizes.length;
  const bs = new Int32Array(T);
  const po = new Int32Array(T);
  let n = 0;
  for (let t = 0; t < T; t++) {
    const b = Math.min(spec.batchSizes[t], r1) - r0;
    if (b <= 0) break;
    bs[t] = b;
    po[t] = offs[t] + r0;
    n++;
  }
  return { r0, T: n, bs: bs.subarray(0, n), offs: po.subarray(0, n) };
}

/** The non-empty parts of the batch rows for `parts` threads (one part: every row). */
export function batchParts(spec: RnnLayerSpec, d: Dims, parts: number): Part[] {
  return Array.from({ length: parts }, (_, p) => partRows(d.B, parts, p))
    .map(([r0, r1]) => partSteps(spec, d.offs, r0, r1))
    .filter((q) => q.T > 0);
}

/**
 * The pool, if this layer can split its batch rows across it: at least 4 batch rows per thread,
 * enough work per step to pay for the threads, and not in deterministic mode (a row's sums
 * would depend on the split).
 */
export function threadsFor(d: Dims): ThreadPool | null {
  if (areDeterministicAlgorithmsEnabled()) return null;
  // Sizes first: threadPool() starts the workers the first time it is asked.
  const n = getNumThreads();
  if (n < 2 || d.B < 4 * n || d.total * d.GH * (d.I + d.H) < threadTuning.minMacs) return null;
  const p = threadPool();
  return p && d.B >= 4 * p.n ? p : null;
}

/**
 * Run single-threaded jobs of one kind: job i on thread i (the caller is thread 0) when there
 * are threads, else one after the other here. Needs jobs.length <= threads.n.
 */
export function runJobs(w: WasmKernels, threads: ThreadPool | null, kind: number, jobs: number[]): void {
  if (!threads || jobs.length < 2) {
    for (const job of jobs) w.k.runJob(kind, job, 0);
    return;
  }
  const list = w.arena.alloc(EachListWords - 1 + threads.n);
  const i32 = w.arena.i32();
  i32.fill(0, list >> 2, (list >> 2) + EachListWords - 1 + threads.n);
  i32[(list >> 2) + EachList.kind] = kind;
  i32.set(jobs, (list >> 2) + EachList.first);
  runOnThreads(threads, list, JobKind.each, () => w.k.runEach(list, 0));
}

/** Run one job of the given kind split across all threads (each takes its share by its id). */
export function runSplit(w: WasmKernels, threads: ThreadPool | null, kind: number, job: number): void {
  if (threads) runOnThreads(threads, job, kind, () => w.k.runJob(kind, job, 0));
  else w.k.runJob(kind, job, 0);
}
