/**
 * Where a batcher's batches run: worker threads (node:worker_threads) each holding its own copy
 * of the model, or, with `workers: 0`, the calling thread. A worker is referenced (keeps the
 * process alive) only while it has a batch, so a forgotten batcher never holds a script open.
 * A worker that fails to start fails the pool (every waiting and later call rejects with its
 * error); one that dies during a batch fails that batch and is replaced.
 */

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as torch from '../index.js';
import type { ModelRecipe, RawResult, RawSequence, ServedModel } from './model.js';
import { recipeOf, runBatchResults } from './model.js';

/** A batch sent to a worker: the sequences' rows back to back (one buffer, transferred). */
export interface ToWorker {
  readonly id: number;
  readonly lengths: readonly number[];
  /** Per sequence: answer as JSON bytes. */
  readonly json: readonly boolean[];
  /** Per sequence: the results to keep, or null for all. */
  readonly only: readonly (readonly string[] | null)[];
  readonly data: Float32Array;
}

/** What a worker starts with: the model, and the kernel preference of the thread that made the pool. */
export interface WorkerData {
  readonly recipe: ModelRecipe;
  readonly kernels: torch.KernelPreference;
}

interface FromWorker {
  readonly ready?: boolean;
  readonly id?: number;
  readonly results?: RawResult[];
  readonly error?: { readonly name: string; readonly message: string };
}

/** Runs batches; `free` slots may take one batch each. */
export interface Runner {
  /** Batches that can start now. */
  free(): number;
  /** Run one batch on a free slot. */
  run(seqs: readonly RawSequence[]): Promise<RawResult[]>;
  /** Set by the batcher: called when a slot frees (or a worker becomes ready). */
  onFree: () => void;
  /** The error that stopped the pool for good (a worker could not start), else null. */
  failed(): Error | null;
  /** Resolves when every worker has loaded the model; rejects with the error of one that could not. */
  ready(): Promise<void>;
  /** Stop every worker (after the running batches). */
  close(): Promise<void>;
}

/** Default worker count: one per core, at most 4 (each worker runs its kernels on one thread). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Batches on the calling thread, one at a time, each in its own macrotask (`workers: 0`). */
export class InlineRunner implements Runner {
  onFree: () => void = () => {};
  private busy = false;
  constructor(private readonly served: ServedModel) {}
  free(): number {
    return this.busy ? 0 : 1;
  }
  failed(): Error | null {
    return null;
  }
  async ready(): Promise<void> {}
  run(seqs: readonly RawSequence[]): Promise<RawResult[]> {
    this.busy = true;
    return new Promise<RawResult[]>((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(runBatchResults(this.served, seqs));
        } catch (e) {
          reject(e);
        } finally {
          this.busy = false;
          queueMicrotask(() => this.onFree());
        }
      });
    });
  }
  async close(): Promise<void> {}
}

/**
 * A worker running ./worker.js beside this file. From the sources (tests, tsx) that is the .ts file,
 * imported from a small eval'd script after registering tsx's loader in the worker (a dev-only
 * path: Node.js 20 does not carry the parent's loader hooks into a worker's entry).
 */
function startWorker(recipe: ModelRecipe): Worker {
  // The worker runs on the kernels chosen here (setKernelPreference is per thread).
  const workerData: WorkerData = { recipe, kernels: torch.kernelInfo().preference };
  const js = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  const ts = new URL('./worker.ts', import.meta.url).href;
  const api = new URL('../../node_modules/tsx/dist/esm/api/index.mjs', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`, { eval: true, workerData });
}

/**
 * The workers' V8 heap: an old generation of at least 64 MB before the first full collection
 * (`--initial-old-space-size=64`, read when a worker's isolate is made, so set before the first
 * worker starts; the calling thread's heap is made already and is unchanged). Why: V8 counts the
 * bytes of every ArrayBuffer made since the last mark-compact against the old generation's limit, and a
 * worker makes its batch's tensors (inputs, gates, outputs) as ArrayBuffers, a few MB a batch, so
 * under load each worker ran a full mark-compact every 100-200 ms (`--trace-gc`) though its live heap
 * stayed near 11 MB. Measured at 64 connections (LSTM(32, 128, 2), final states): 40-50 mark-compacts a
 * worker in 5 s before, 3-7 after; server CPU a request 616 -> 444 us (medians of 3). Process-wide:
 * worker threads started later in this process get the same floor. Left as it is when the process
 * was started with its own `--initial-old-space-size`.
 */
let workerHeapSet = false;
function setWorkerHeap(): void {
  if (workerHeapSet) return;
  workerHeapSet = true;
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes('initial-old-space-size') || a.includes('initial_old_space_size'));
  if (!given) setFlagsFromString('--initial-old-space-size=64');
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: { id: number; resolve: (r: RawResult[]) => void; reject: (e: Error) => void } | null;
}

/** `n` worker threads, each with the model rebuilt from its recipe. */
export class WorkerPool implements Runner {
  onFree: () => void = () => {};
  private readonly slots: Slot[] = [];
  private readonly recipe: ModelRecipe;
  private nextId = 1;
  private error: Error | null = null;
  private closing = false;
  private readonly readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(served: ServedModel, n: number) {
    setWorkerHeap();
    this.recipe = recipeOf(served);
    for (let i = 0; i < n; i++) this.start();
  }

  private start(): void {
    const worker = startWorker(this.recipe);
    worker.unref();
    const slot: Slot = { worker, ready: false, job: null };
    this.slots.push(slot);
    worker.on('message', (m: FromWorker) => {
      if (m.ready) {
        slot.ready = true;
        this.settle();
        this.onFree();
        return;
      }
      const job = slot.job;
      if (job === null || m.id !== job.id) return;
      slot.job = null;
      worker.unref();
      if (m.error) job.reject(Object.assign(new torch.RuntimeError(`serve: the model failed on this batch: ${m.error.message}`), { cause: m.error }));
      else job.resolve(m.results ?? []);
      this.onFree();
    });
    const died = (why: Error): void => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      slot.job?.reject(new torch.RuntimeError(`serve: a worker thread stopped during a batch (${why.message}); the batch's requests failed, the worker is replaced`));
      if (!slot.ready && this.error === null) this.error = new torch.RuntimeError(`serve: a worker thread could not load the model: ${why.message}`);
      if (slot.ready && !this.closing) this.start();
      this.settle();
      this.onFree();
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`exit code ${code}`)));
  }

  /** Answer ready() waiters once every worker is up, or the pool failed. */
  private settle(): void {
    if (this.error === null && this.slots.some((s) => !s.ready)) return;
    for (const w of this.readyWaiters.splice(0)) if (this.error) w.reject(this.error);
    else w.resolve();
  }

  ready(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.readyWaiters.push({ resolve, reject });
      this.settle();
    });
  }

  free(): number {
    let n = 0;
    for (const s of this.slots) if (s.ready && s.job === null) n++;
    return n;
  }

  failed(): Error | null {
    return this.error;
  }

  run(seqs: readonly RawSequence[]): Promise<RawResult[]> {
    const slot = this.slots.find((s) => s.ready && s.job === null);
    if (slot === undefined) return Promise.reject(new torch.RuntimeError('serve: no free worker (a batcher bug)'));
    let total = 0;
    for (const s of seqs) total += s.data.length;
    const data = new Float32Array(total);
    let at = 0;
    for (const s of seqs) {
      data.set(s.data, at);
      at += s.data.length;
    }
    const id = this.nextId++;
    return new Promise<RawResult[]>((resolve, reject) => {
      slot.job = { id, resolve, reject };
      slot.worker.ref();
      const msg: ToWorker = { id, lengths: seqs.map((s) => s.length), json: seqs.map((s) => s.json === true), only: seqs.map((s) => s.only ?? null), data };
      slot.worker.postMessage(msg, [data.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const slots = [...this.slots];
    this.slots.length = 0;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
