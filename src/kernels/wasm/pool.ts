/**
 * The thread pool's workers (./threads.ts decides when a pool is wanted and keeps it): their
 * start (Node: synchronously; browsers: in the background), the job handshake and its bounded
 * waits. Browser bundles load this module when threads start (./pool-code.browser.ts, through
 * package.json `browser`), since pages that are not cross-origin isolated never run it.
 *
 * Handshake: the caller writes the job, publishes it with atomic stores and an atomic increment
 * of SEQ (release) and notifies; a worker loads SEQ atomically (acquire), runs its part and counts
 * itself out in DONE (release), which the caller loads atomically (acquire). Workers beat (a word
 * each, also from inside the kernels' loops: assembly/beat.ts); a caller whose workers neither
 * finish nor beat for `threadTuning.deadAfterMs` throws and the pool is rebuilt at the next call.
 * Every wait is bounded.
 */
import type { KernelFlavour, WasmKernels } from './loader.js';
import type { threadTuning } from './thread-settings.js';

/**
 * What the pool's code takes from the library, passed in by ./threads.ts, so that a browser
 * bundle's chunk of this module imports nothing (no chunk of shared code beside it).
 */
export interface PoolEnv {
  readonly tuning: typeof threadTuning;
  /** torchlet's RuntimeError with this message. */
  error(message: string): Error;
}

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

interface NodeWorker extends WorkerLike {
  on(ev: 'error' | 'exit', fn: (m: unknown) => void): void;
  postMessage(m: unknown): void;
  unref(): void;
}
interface NodeWorkerModule {
  Worker: new (src: string, opts: { eval: boolean }) => NodeWorker;
}

const now = (): number => performance.now();

/** Stop a pool's workers (it is broken from then on). */
export function stop(p: ThreadPool): void {
  p.ready = false;
  p.broken = true;
  const ctrl = new Int32Array(p.w.arena.memory.buffer, p.ctrl, CTRL_WORDS);
  Atomics.store(ctrl, QUIT, 1);
  Atomics.add(ctrl, SEQ, 1);
  Atomics.notify(ctrl, SEQ);
  for (const w of p.workers) w.terminate();
}

/** A pool of n threads on these kernels (its control words at byte `ctrl`), not started. */
export function newPool(w: WasmKernels, flavour: KernelFlavour, n: number, ctrl: number): ThreadPool {
  new Int32Array(w.arena.memory.buffer, ctrl, CTRL_WORDS).fill(0);
  return { n, w, flavour, ctrl, workers: [], ready: false, broken: false, started: 0 };
}

/** Node: spawn the workers, unref'd at once (no message listener), and wait (bounded) for READY. */
export function startNode(wt: unknown, p: ThreadPool, env: PoolEnv): ThreadPool | null {
  const { w, n } = p;
  try {
    for (let tid = 1; tid < n; tid++) {
      const worker = new (wt as NodeWorkerModule).Worker(WORKER_SOURCE, { eval: true });
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
  const deadline = now() + env.tuning.startTimeoutMs;
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
 * Browsers: spawn Web Workers on the pool's shared module and resolve, once each has said it is
 * ready within startTimeoutMs, to whether the pool is up (else it is stopped).
 */
export async function startBrowser(p: ThreadPool, env: PoolEnv): Promise<boolean> {
  const w = p.w;
  const n = p.n;
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const ok = await new Promise<boolean>((resolve) => {
    let count = 0;
    setTimeout(resolve, env.tuning.startTimeoutMs, false);
    try {
      for (let tid = 1; tid < n; tid++) {
        const worker = new Worker(url);
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
  });
  URL.revokeObjectURL(url);
  if (ok && !p.broken) p.ready = true;
  else stop(p);
  return p.ready;
}

interface NodeProcess {
  versions?: { node?: string };
}
const proc = (): NodeProcess | undefined => (globalThis as { process?: NodeProcess }).process;

/** Node's main thread (and any worker) may block in Atomics.wait; a browser's main thread may not. */
const canWait = typeof proc()?.versions?.node === 'string';

/** The pool is dead: stop it (threads.ts replaces a broken pool at the next call) and say so. */
function died(p: ThreadPool, why: string, env: PoolEnv): never {
  stop(p);
  throw env.error(`a worker thread of the kernel pool ${why}; the pool restarts at the next call (TORCHLET_NUM_THREADS=1: no threads)`);
}

/**
 * Run job block `job` of the given kind on all threads, the caller as thread 0 (`run`), and
 * return once every worker has finished its part and left the job (each counts itself out in
 * the DONE word): the caller reads the results and reuses the memory at once. Throws a
 * RuntimeError when a worker failed (a trap) or died (no progress for threadTuning.deadAfterMs).
 */
export function runOnThreads(p: ThreadPool, job: number, kind: number, run: () => void, env: PoolEnv): void {
  const ctrl = new Int32Array(p.w.arena.memory.buffer, p.ctrl, CTRL_WORDS);
  if (p.broken) died(p, 'stopped before the call', env);
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
  if (Atomics.load(ctrl, DONE) !== expected) waitForWorkers(p, ctrl, expected, env);
  const failed = Atomics.exchange(ctrl, FAILED, 0);
  if (own !== null) throw own;
  if (failed > 0) {
    throw env.error(`${failed} of ${p.n - 1} worker thread(s) failed on their part of a kernel job (a WebAssembly trap)`);
  }
}

/** Progress of the workers: jobs finished plus every heartbeat (any change means someone is alive and working). */
function progress(ctrl: Int32Array, n: number): number {
  let s = Atomics.load(ctrl, DONE);
  for (let t = 1; t < n; t++) s = (s + Atomics.load(ctrl, BEAT + t)) | 0;
  return s;
}

/** Spin, then (Node) sleep on DONE in 2 ms waits; dead when nothing moved for deadAfterMs. */
function waitForWorkers(p: ThreadPool, ctrl: Int32Array, expected: number, env: PoolEnv): void {
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
    } else if (t - since > env.tuning.deadAfterMs) {
      died(p, `stopped during a job (no progress for ${env.tuning.deadAfterMs} ms): results not valid`, env);
    }
    if (canWait && t - t0 > 1) Atomics.wait(ctrl, DONE, done, 2);
  }
}
