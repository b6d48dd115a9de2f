/**
 * Threads for the recurrent kernel: workers (Node's worker_threads, or Web Workers) running the
 * same WebAssembly module on one shared memory. PyTorch twin: `torch.set_num_threads` /
 * `torch.get_num_threads`. On by default where shared memory works (cores up to 4; browsers only
 * when cross-origin isolated); `setNumThreads(1)` or `TORCHLET_NUM_THREADS=1` turns them off. The
 * pool starts at the first op that uses it (Node: synchronously; browsers: in the background) and
 * never keeps a process alive. A bidirectional layer runs its directions side by side; a
 * one-direction layer splits its batch rows (partition.ts).
 *
 * This module decides when a pool is wanted and keeps it; the workers' code (start, job
 * handshake, bounded waits) is ./pool.ts, which browser bundles load when threads start.
 */
import { ArgumentTypeError, RuntimeError, TorchletError } from '../../errors.js';
import { controlBlock, type KernelFlavour, sharedKernels, sharedKernelsReady, type WasmKernels, wasmKernels, wasmReady } from './loader.js';
import type { PoolEnv, ThreadPool } from './pool.js';
import { loadPoolCode, type PoolCode, poolCode } from './pool-code.js';
import { MAX_THREADS, threadTuning } from './thread-settings.js';

export type { ThreadPool } from './pool.js';
export { MAX_THREADS, threadTuning } from './thread-settings.js';

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
}

const proc = (): NodeProcess | undefined => (globalThis as { process?: NodeProcess }).process;
const nodeWorkers = (): unknown => proc()?.getBuiltinModule?.('node:worker_threads');

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

/** Stop a pool's workers (a pool exists only once its code is loaded). */
const stop = (p: ThreadPool): void => poolCode()?.stop(p);

const env: PoolEnv = { tuning: threadTuning, error: (message) => new RuntimeError(message) };

/** A pool of n threads on w, not started. */
const newPool = (code: PoolCode, w: WasmKernels, flavour: KernelFlavour, n: number): ThreadPool => code.newPool(w, flavour, n, controlBlock(w));

/**
 * Browsers: spawn Web Workers on the shared module (compiled in the background) and make them the
 * pool once each has said it is ready, within startTimeoutMs; resolves to whether it is up.
 */
async function startBrowser(code: PoolCode, flavour: KernelFlavour, n: number): Promise<boolean> {
  const w = await sharedKernelsReady(flavour);
  const p = w && newPool(code, w, flavour, n);
  const ok = !!p && (await code.startBrowser(p, env));
  starting = null;
  if (ok && want() === n) pool = p;
  else {
    if (p) stop(p);
    startFailed = true;
  }
  return ok;
}

/** A start under way (browsers: the pool's code loading, then its workers starting). */
let starting: Promise<unknown> | null = null;

/** Make sure a pool of `want()` threads is up (Node) or starting (browsers: `starting`). */
function ensurePool(): void {
  const n = want();
  const flavour = wasmKernels()?.flavour;
  if (pool && (pool.broken || pool.n !== n || pool.flavour !== flavour)) {
    stop(pool);
    pool = null;
    starting = null;
  }
  if (pool || n <= 1 || !flavour || startFailed || !threadsPossible() || starting) return;
  const code = poolCode();
  if (!code) {
    // A browser bundle: the pool's code is a chunk of its own, loaded now.
    const fail = (): void => {
      starting = null;
      startFailed = true;
    };
    starting = loadPoolCode().then(() => {
      starting = null;
      ensurePool();
    }, fail);
    return;
  }
  const wt = nodeWorkers();
  if (wt) {
    const w = sharedKernels(flavour);
    pool = w ? code.startNode(wt, newPool(code, w, flavour, n), env) : null;
    if (!pool) startFailed = true;
    return;
  }
  if (typeof Worker === 'function') starting = startBrowser(code, flavour, n);
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

/**
 * Run job block `job` of the given kind on all threads of `p`, the caller as thread 0 (`run`);
 * returns once every worker has left the job (./pool.ts). Throws a RuntimeError when a worker
 * failed (a trap) or died (no progress for threadTuning.deadAfterMs).
 */
export function runOnThreads(p: ThreadPool, job: number, kind: number, run: () => void): void {
  poolCode()!.runOnThreads(p, job, kind, run, env);
}
