/**
 * Opt-in threads for the recurrent kernel: worker threads (Node's worker_threads, or Web Workers
 * in browsers) running the same WebAssembly module on one shared memory. PyTorch twin:
 * `torch.set_num_threads` / `torch.get_num_threads`.
 *
 * The two directions of a bidirectional layer run side by side, one per thread (forward, the
 * backward time loop and the weight gradients). A one-direction layer has its batch rows split
 * across the threads (the main thread is thread 0): the sequences of a batch are independent,
 * so each thread runs the whole recurrence of its rows, forward and backward, without meeting
 * the others until the end (see assembly/layer.ts); its weight-gradient products are split by
 * output columns. Needs
 * SharedArrayBuffer (in browsers: a cross-origin isolated page); elsewhere, and for layers too
 * small to pay for a thread, everything runs on the calling thread.
 *
 *   await setNumThreads(2); // resolves once the workers are up
 */
import { ArgumentTypeError, TorchletError } from '../../errors.js';
import { controlBlock, type KernelFlavour, sharedKernels, type WasmKernels, wasmKernels } from './loader.js';

/** Worker body, as source so it needs no file of its own (Node: eval'd CommonJS; browsers: a Blob). */
const WORKER_SOURCE = `
const wt = typeof self === 'undefined' ? (typeof require === 'function' ? require('node:worker_threads') : process.getBuiltinModule('node:worker_threads')) : null;
const post = (m) => (wt ? wt.parentPort.postMessage(m) : self.postMessage(m));
const start = (m) => {
  const k = new WebAssembly.Instance(m.module, { env: { memory: m.memory, abort() {} } }).exports;
  k.setThreadId(m.tid);
  const ctrl = new Int32Array(m.memory.buffer, m.ctrl, 8);
  post('ready');
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, 0, seen);
    const seq = Atomics.load(ctrl, 0);
    if (seq === seen) continue;
    seen = seq;
    if (Atomics.load(ctrl, 2) === 1) break;
    try {
      k.runJob(Atomics.load(ctrl, 3), Atomics.load(ctrl, 1), m.tid);
    } catch (e) {
      // A trap (or any error) must not kill the worker silently: the caller spins until every
      // worker counts itself out, so count out anyway and report the failure in ctrl[5].
      Atomics.add(ctrl, 5, 1);
      post({ failed: String(e && e.message ? e.message : e) });
    }
    Atomics.add(ctrl, 4, 1);
  }
};
if (wt) wt.parentPort.once('message', start);
else self.onmessage = (e) => start(e.data);
`;

interface WorkerLike {
  terminate(): unknown;
}

export interface ThreadPool {
  readonly n: number;
  readonly w: WasmKernels;
  readonly flavour: KernelFlavour;
  /** Byte offset of the control words: [job sequence, job pointer, quit, kind, jobs done, jobs failed]. */
  readonly ctrl: number;
  /** Jobs started on the workers (each worker counts its finished jobs in ctrl[4]). */
  started: number;
  workers: WorkerLike[];
  ready: boolean;
}

/**
 * Threads pay only when a layer's work (multiply-adds of its products, rows x G*H x (I + H))
 * hides waking the workers (tens of µs per call); tests lower this to thread tiny layers.
 */
export const threadTuning = { minMacs: 1 << 22 };

let requested = 1;
let pool: ThreadPool | null = null;

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}
interface NodeWorkerModule {
  Worker: new (
    src: string,
    opts: { eval: boolean },
  ) => WorkerLike & { on(ev: 'message' | 'error', fn: (m: unknown) => void): void; postMessage(m: unknown): void; unref(): void };
}

function spawn(onReady: () => void, onError: (e: unknown) => void): (WorkerLike & { postMessage(m: unknown): void }) | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as NodeWorkerModule | undefined;
  if (wt) {
    const worker = new wt.Worker(WORKER_SOURCE, { eval: true });
    worker.unref(); // an idle pool must not keep Node alive
    worker.on('message', (m) => m === 'ready' && onReady());
    worker.on('error', onError);
    return worker;
  }
  if (typeof Worker === 'function' && typeof Blob === 'function') {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    const worker = new Worker(url);
    worker.onmessage = (e) => e.data === 'ready' && onReady();
    worker.onerror = onError;
    return worker;
  }
  return null;
}

function stop(p: ThreadPool): void {
  const ctrl = new Int32Array(p.w.arena.memory.buffer, p.ctrl, 4);
  Atomics.store(ctrl, 2, 1);
  Atomics.add(ctrl, 0, 1);
  Atomics.notify(ctrl, 0);
  for (const w of p.workers) w.terminate();
}

/** Threads the kernels have scratch for (MAX_THREADS in assembly/gemm.ts: one packed-A block each). */
export const MAX_THREADS = 4;

/**
 * Use n threads (1 = none) for the recurrent kernel. Resolves to the number actually in use
 * once the workers are running: at most MAX_THREADS (4), and 1 where shared memory or workers
 * are unavailable. PyTorch: torch.set_num_threads (same error for n < 1).
 */
export async function setNumThreads(n: number): Promise<number> {
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new ArgumentTypeError(`setNumThreads(): expected an integer number of threads, got ${String(n)}`);
  }
  if (n <= 0) throw new TorchletError('Expected positive number of threads', 'RuntimeError');
  requested = Math.min(n, MAX_THREADS);
  if (pool) {
    stop(pool);
    pool = null;
  }
  if (requested === 1) return 1;
  const flavour = wasmKernels()?.flavour;
  const w = flavour ? sharedKernels(flavour) : null;
  if (!w || !flavour) return 1;
  const p: ThreadPool = { n: requested, w, flavour, ctrl: controlBlock(w), workers: [], ready: false, started: 0 };
  new Int32Array(w.arena.memory.buffer, p.ctrl, 16).fill(0);
  let up = 0;
  const ok = await new Promise<boolean>((resolve) => {
    for (let tid = 1; tid < requested; tid++) {
      const worker = spawn(
        () => ++up === requested - 1 && resolve(true),
        () => resolve(false),
      );
      if (!worker) return resolve(false);
      p.workers.push(worker);
      worker.postMessage({ module: w.module, memory: w.arena.memory, tid, ctrl: p.ctrl });
    }
  });
  if (!ok) {
    stop(p);
    return 1;
  }
  p.ready = true;
  pool = p;
  return requested;
}

/** Threads the recurrent kernel may use. PyTorch: torch.get_num_threads. */
export function getNumThreads(): number {
  return pool?.ready ? pool.n : 1;
}

/** The pool, if threads are on and match the kernels in use now. */
export function threadPool(): ThreadPool | null {
  if (!pool?.ready || wasmKernels()?.flavour !== pool.flavour) return null;
  return pool;
}

/** Job kinds of assembly/layer.ts's runJob (assembly/abi.ts). */
export { JobKind } from './abi.generated.js';

/**
 * Run job block `job` of the given kind on all threads, the caller as thread 0 (`run`), and
 * return once every worker has finished its part and left the job (each counts itself out in
 * ctrl[4]): the caller reads the results and reuses the memory at once. This handshake is the
 * only meeting point: the jobs themselves share no data while they run.
 */
export function runOnThreads(p: ThreadPool, job: number, kind: number, run: () => void): void {
  const ctrl = new Int32Array(p.w.arena.memory.buffer, p.ctrl, 8);
  Atomics.store(ctrl, 1, job);
  Atomics.store(ctrl, 3, kind);
  Atomics.add(ctrl, 0, 1);
  Atomics.notify(ctrl, 0);
  let own: unknown = null;
  try {
    run();
  } catch (e) {
    own = e; // still wait for the workers: they are writing into memory the caller will reuse
  }
  p.started++;
  const expected = p.started * (p.n - 1);
  while (Atomics.load(ctrl, 4) !== expected) {
    // spin: a worker is still on its part (the caller has nothing else to do meanwhile)
  }
  const failed = Atomics.exchange(ctrl, 5, 0);
  if (own !== null) throw own;
  if (failed > 0) {
    throw new TorchletError(
      `${failed} of ${p.n - 1} worker thread(s) failed on their part of a kernel job (a WebAssembly trap), so its results are not valid. The threads stay up for the next call; torch.setNumThreads(1) runs everything on the calling thread.`,
      'RuntimeError',
    );
  }
}
