/**
 * Threads for the recurrent kernel: workers (Node's worker_threads, or Web Workers) running the
 * same WebAssembly module on one shared memory. PyTorch twin: `torch.set_num_threads` /
 * `torch.get_num_threads`. On by default where shared memory works (cores up to 4; browsers only
 * when cross-origin isolated); `setNumThreads(1)` or `TORCHLET_NUM_THREADS=1` turns them off. The
 * pool starts at the first op that uses it (Node: synchronously; browsers: in the background) and
 * never keeps a process alive. A bidirectional layer runs its directions side by side; a
 * one-direction layer splits its batch rows (partition.ts).
 *
 * Handshake: the caller writes the job, publishes it with atomic stores and an atomic increment
 * of SEQ (release) and notifies; a worker loads SEQ atomically (acquire), runs its part and counts
 * itself out in DONE (release), which the caller loads atomically (acquire). Workers beat (a word
 * each, also from inside the kernels' loops: assembly/beat.ts); a caller whose workers neither
 * finish nor beat for `threadTuning.deadAfterMs` throws and the pool is rebuilt at the next call.
 * Every wait is bounded.
 */
import { ArgumentTypeError, RuntimeError, TorchletError } from '../../errors.js';
import { controlBlock, type KernelFlavour, sharedKernels, sharedKernelsReady, type WasmKernels, wasmKernels, wasmReady } from './loader.js';

/** Control words (Int32 indices at the pool's control block, 64 bytes past the module's own memory). */
const SEQ = 0;
const JOB = 1;
const QUIT = 2;
const KIND = 3;
const DONE = 4;
const FAILED = 5;
const READY = 6;
/** Heartbeat word of thread tid: BEAT + tid (assembly/gemm.ts writes it from inside the kernels). */
const BEAT = 8;
const CTRL_WORDS = 16;

/** Worker body (a string: no file of its own), minified: count READY; per job: beat, run, FAILED on a trap, DONE. */
const WORKER_SOURCE = `const W=typeof self>"u"?process.getBuiltinModule("node:worker_threads"):null,A=Atomics,go=m=>{const k=new WebAssembly.Instance(m.module,{env:{memory:m.memory,abort(){}}}).exports;k.setThreadId(m.tid);const c=new Int32Array(m.memory.buffer,m.ctrl,${CTRL_WORDS});A.add(c,${READY},1);A.notify(c,${READY});W||self.postMessage("ready");for(let s=m.seq;;){A.wait(c,${SEQ},s);const q=A.load(c,${SEQ});if(q===s)continue;s=q;if(A.load(c,${QUIT})===1)break;A.add(c,${BEAT}+m.tid,1);try{k.runJob(A.load(c,${KIND}),A.load(c,${JOB}),m.tid)}catch{A.add(c,${FAILED},1)}A.add(c,${DONE},1);A.notify(c,${DONE})}};W?W.parentPort.once("message",go):self.onmessage=e=>go(e.data);`;

interface WorkerLike {
  terminate(): unknown;
}

export interface ThreadPool {
  readonly n: number;
  readonly w: WasmKernels;
  readonly flavour: KernelFlavour;
  /** Byte offset of the control words (SEQ, JOB, QUIT, KIND, DONE, FAILED, READY, heartbeats). */
  readonly ctrl: number;
  /** Jobs started on the workers (each worker counts its finished jobs in the DONE word). */
  started: number;
  workers: WorkerLike[];
  ready: boolean;
  /** A worker exited or failed to start: the pool is replaced at the next call. */
  broken: boolean;
}

/**
 * `minMacs`: the work (multiply-adds) a layer needs to be threaded (tests lower it); `deadAfterMs`:
 * no progress this long and the workers are taken for dead; `startTimeoutMs`: start-up limit.
 */
export const threadTuning = { minMacs: 1 << 22, deadAfterMs: 5000, startTimeoutMs: 20000 };

/** Threads the kernels have scratch for (MAX_THREADS in assembly/gemm.ts: one packed-A block each). */
export const MAX_THREADS = 4;

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
}
interface NodeWorker extends WorkerLike {
  on(ev: 'error' | 'exit', fn: (m: unknown) => void): void;
  postMessage(m: unknown): void;
  unref(): void;
}
interface NodeWorkerModule {
  Worker: new (src: string, opts: { eval: boolean }) => NodeWorker;
}

const proc = (): NodeProcess | undefined => (globalThis as { process?: NodeProcess }).process;
const nodeWorkers = (): NodeWorkerModule | undefined => proc()?.getBuiltinModule?.('node:worker_threads') as NodeWorkerModule | undefined;
const now = (): number => performance.now();

/** Whether this engine can run the pool at all: shared memory and workers (browsers: a cross-origin isolated page). */
function threadsPossible(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (nodeWorkers()) return true;
  return typeof Worker === 'function' && typeof Blob === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/** The default: TORCHLET_NUM_THREADS if set to a positive integer, else the machine's cores up to MAX_THREADS (1 without shared memory). */
function defaultThreads(): number {
  const env = proc()?.env?.TORCHLET_NUM_THREADS;
  const v = Number(env || 'x');
  if (Number.isInteger(v) && v >= 1) return Math.min(v, MAX_THREADS);
  if (!threadsPossible()) return 1;
  const os = proc()?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  const cores = os ? (os.availableParallelism?.() ?? os.cpus().length) : ((globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1);
  return Math.max(1, Math.min(cores, MAX_THREADS));
}

/** Threads asked for (null: not decided yet, the default applies). */
let requested: number | null = null;
let pool: ThreadPool | null = null;
/** Start-up failed (or timed out) for this request: stay on one thread until setNumThreads is called again. */
let startFailed = false;

const want = (): number => (requested ??= defaultThreads());

function stop(p: ThreadPool): void {
  p.ready = false;
  p.broken = true;
  const ctrl = new Int32Array(p.w.arena.memory.buffer, p.ctrl, CTRL_WORDS);
  Atomics.store(ctrl, QUIT, 1);
  Atomics.add(ctrl, SEQ, 1);
  Atomics.notify(ctrl, SEQ);
  for (const w of p.workers) w.terminate();
}

function newPool(w: WasmKernels, flavour: KernelFlavour, n: number): ThreadPool {
  const ctrl = controlBlock(w);
  new Int32Array(w.arena.memory.buffer, ctrl, CTRL_WORDS).fill(0);
  return { n, w, flavour, ctrl, workers: [], ready: false, broken: false, started: 0 };
}

/** Node: spawn the workers, unref'd at once (no message listener), and wait (bounded) for READY. */
function startNode(wt: NodeWorkerModule, w: WasmKernels, flavour: KernelFlavour, n: number): ThreadPool | null {
  const p = newPool(w, flavour, n);
  try {
    for (let tid = 1; tid < n; tid++) {
      const worker = new wt.Worker(WORKER_SOURCE, { eval: true });
      worker.unref(); // an idle pool must not keep Node alive
      const broken = (): void => {
        p.broken = true;
      };
      worker.on('error', broken);
      worker.on('exit', broken);
      p.workers.push(worker);
      worker.postMessage({ module: w.module, memory: w.arena.memory, tid, ctrl: p.ctrl, seq: 0 });
    }
  } catch {
    stop(p);
    return null;
  }
  const ctrl = new Int32Array(w.arena.memory.buffer, p.ctrl, CTRL_WORDS);
  const deadline = now() + threadTuning.startTimeoutMs;
  for (;;) {
    const up = Atomics.load(ctrl, READY);
    if (up === n - 1) break;
    const left = deadline - now();
    if (left <= 0 || p.broken) {
      stop(p);
      return null;
    }
    Atomics.wait(ctrl, READY, up, Math.min(left, 50));
  }
  p.ready = true;
  return p;
}

/**
 * Browsers: spawn Web Workers on the shared module (compiled in the background) and make them the
 * pool once each has said it is ready, within startTimeoutMs; resolves to whether it is up.
 */
async function startBrowser(flavour: KernelFlavour, n: number): Promise<boolean> {
  const w = await sharedKernelsReady(flavour);
  const p = w && newPool(w, flavour, n);
  const url = p && URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const ok =
    !!p &&
    (await new Promise<boolean>((resolve) => {
      let count = 0;
      setTimeout(resolve, threadTuning.startTimeoutMs, false);
      try {
        for (let tid = 1; tid < n; tid++) {
          const worker = new Worker(url!);
          worker.onmessage = (e) => e.data === 'ready' && ++count === n - 1 && resolve(true);
          worker.onerror = () => {
            p.broken = true;
            resolve(false);
          };
          p.workers.push(worker);
          worker.postMessage({ module: w.module, memory: w.arena.memory, tid, ctrl: p.ctrl, seq: 0 });
        }
      } catch {
        resolve(false);
      }
    }));
  if (url) URL.revokeObjectURL(url);
  starting = null;
  if (ok && !p.broken && want() === n) {
    p.ready = true;
    pool = p;
  } else {
    if (p) stop(p);
    startFailed = true;
  }
  return p?.ready ?? false;
}

/** A browser pool starting in the background, and what its start resolves to. */
let starting: Promise<boolean> | null = null;

/** Make sure a pool of `want()` threads is up (Node) or starting (browsers: `starting`). */
function ensurePool(): void {
  const n = want();
  const flavour = wasmKernels()?.flavour;
  if (pool && (pool.broken || pool.n !== n || pool.flavour !== flavour)) {
    stop(pool);
    pool = null;
    starting = null;
  }
  if (pool || n <= 1 || !flavour || startFailed || !threadsPossible()) return;
  const wt = nodeWorkers();
  if (wt) {
    const w = sharedKernels(flavour);
    pool = w ? startNode(wt, w, flavour, n) : null;
    if (!pool) startFailed = true;
    return;
  }
  if (!starting && typeof Worker === 'function') starting = startBrowser(flavour, n);
}

/**
 * Whether setNumThreads starts the workers at once (else the first WebAssembly op that needs them
 * does, Node: synchronously). The native tier (src/kernels/native/loader.ts) sets it: while its
 * own pool runs the kernels, these workers would only idle.
 */
let startAtSetNumThreads: () => boolean = () => true;

/** Who decides whether setNumThreads starts the workers at once (the native tier's loader). */
export function setPoolStartPolicy(startNow: () => boolean): void {
  startAtSetNumThreads = startNow;
}

/** Serialises setNumThreads calls: each runs after the previous one has finished. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Use n threads (1 = none) for the recurrent kernel. Resolves to the number actually in use
 * once the workers are running: at most MAX_THREADS (4), and 1 where shared memory or workers
 * are unavailable. While the native tier runs the kernels (it has its own pool) the
 * WebAssembly workers are not started here but by the first op that needs them. Calls are serialised: each resolves, and the last one called wins.
 * PyTorch: torch.set_num_threads (same error for n < 1).
 */
export function setNumThreads(n: number): Promise<number> {
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    return Promise.reject(new ArgumentTypeError(`setNumThreads(): expected an integer number of threads, got ${String(n)}`));
  }
  if (n <= 0) return Promise.reject(new TorchletError('Expected positive number of threads', 'RuntimeError'));
  const run = async (): Promise<number> => {
    requested = Math.min(n, MAX_THREADS);
    startFailed = false;
    if (requested === 1) {
      if (pool) stop(pool);
      pool = null;
      starting = null;
      return 1;
    }
    if (!startAtSetNumThreads()) {
      // Not needed now: a WebAssembly op starts the workers if one ever runs.
      if (pool && pool.n !== requested) stop(pool);
      if (pool?.broken) pool = null;
      return threadsPossible() ? requested : 1;
    }
    if (!wasmKernels()) await wasmReady(); // browsers: the kernels compile in the background
    ensurePool();
    while (starting) await starting;
    return pool?.ready && !pool.broken ? pool.n : 1;
  };
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}

/**
 * Threads the recurrent kernel uses: the setting (default: cores up to 4, or
 * TORCHLET_NUM_THREADS), or 1 where threads cannot run or failed to start. PyTorch:
 * torch.get_num_threads.
 */
export function getNumThreads(): number {
  if (pool?.ready && !pool.broken) return pool.n;
  return startFailed || !threadsPossible() ? 1 : want();
}

/**
 * The pool for an op that would use threads, started here the first time (Node: at once;
 * browsers: in the background, null until it is up), or null for one thread. Only call it for
 * work that pays for the threads: the first call starts the workers.
 */
export function threadPool(): ThreadPool | null {
  if (want() <= 1) return null;
  const flavour = wasmKernels()?.flavour;
  if (!flavour) return null;
  if (!pool || pool.broken || pool.flavour !== flavour || pool.n !== want()) ensurePool();
  return pool?.ready && !pool.broken && pool.flavour === flavour ? pool : null;
}

/** The pool if it is up now, never starting one (tests; backward passes checking the forward's pool). */
export function currentThreadPool(): ThreadPool | null {
  return pool?.ready && !pool.broken ? pool : null;
}

/** Job kinds of assembly/layer.ts's runJob (assembly/abi.ts). */
export { JobKind } from './abi.generated.js';

/** Node's main thread (and any worker) may block in Atomics.wait; a browser's main thread may not. */
const canWait = typeof proc()?.versions?.node === 'string';

/** The pool is dead: stop it, forget it (the next call builds a new one), and say so. */
function died(p: ThreadPool, why: string): never {
  stop(p);
  if (pool === p) {
    pool = null;
    starting = null;
  }
  throw new RuntimeError(`a worker thread of the kernel pool ${why}; the pool restarts at the next call (TORCHLET_NUM_THREADS=1: no threads)`);
}

/**
 * Run job block `job` of the given kind on all threads, the caller as thread 0 (`run`), and
 * return once every worker has finished its part and left the job (each counts itself out in
 * the DONE word): the caller reads the results and reuses the memory at once. Throws a
 * RuntimeError when a worker failed (a trap) or died (no progress for threadTuning.deadAfterMs).
 */
export function runOnThreads(p: ThreadPool, job: number, kind: number, run: () => void): void {
  const ctrl = new Int32Array(p.w.arena.memory.buffer, p.ctrl, CTRL_WORDS);
  if (p.broken) died(p, 'stopped before the call');
  Atomics.store(ctrl, JOB, job);
  Atomics.store(ctrl, KIND, kind);
  Atomics.add(ctrl, SEQ, 1);
  Atomics.notify(ctrl, SEQ);
  let own: unknown = null;
  try {
    run();
  } catch (e) {
    own = e; // still wait for the workers: they are writing into memory the caller will reuse
  }
  p.started++;
  const expected = p.started * (p.n - 1);
  if (Atomics.load(ctrl, DONE) !== expected) waitForWorkers(p, ctrl, expected);
  const failed = Atomics.exchange(ctrl, FAILED, 0);
  if (own !== null) throw own;
  if (failed > 0) {
    throw new RuntimeError(`${failed} of ${p.n - 1} worker thread(s) failed on their part of a kernel job (a WebAssembly trap)`);
  }
}

/** Progress of the workers: jobs finished plus every heartbeat (any change means someone is alive and working). */
function progress(ctrl: Int32Array, n: number): number {
  let s = Atomics.load(ctrl, DONE);
  for (let t = 1; t < n; t++) s = (s + Atomics.load(ctrl, BEAT + t)) | 0;
  return s;
}

/** Spin, then (Node) sleep on DONE in 2 ms waits; dead when nothing moved for deadAfterMs. */
function waitForWorkers(p: ThreadPool, ctrl: Int32Array, expected: number): void {
  const t0 = now();
  let seen = progress(ctrl, p.n);
  let since = t0;
  for (let spin = 1; ; spin++) {
    const done = Atomics.load(ctrl, DONE);
    if (done === expected) return;
    if ((spin & 1023) !== 0) continue;
    const t = now();
    const moved = progress(ctrl, p.n);
    if (moved !== seen) {
      seen = moved;
      since = t;
    } else if (t - since > threadTuning.deadAfterMs) {
      died(p, `stopped during a job (no progress for ${threadTuning.deadAfterMs} ms): results not valid`);
    }
    if (canWait && t - t0 > 1) Atomics.wait(ctrl, DONE, done, 2);
  }
}
