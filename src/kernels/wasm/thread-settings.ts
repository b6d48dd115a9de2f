/**
 * The thread pool's settings (./threads.ts is the pool). No PyTorch twin.
 *
 * `minMacs`: the work (multiply-adds) a layer needs to be threaded (tests lower it); `deadAfterMs`:
 * no progress this long and the workers are taken for dead; `startTimeoutMs`: start-up limit.
 */
export const threadTuning = { minMacs: 1 << 22, deadAfterMs: 5000, startTimeoutMs: 20000 };

/** Threads the kernels have scratch for (MAX_THREADS in assembly/gemm.ts: one packed-A block each). */
export const MAX_THREADS = 4;

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

/** Whether setNumThreads starts the workers at once (the policy set by `setPoolStartPolicy`). */
export function poolStartsAtSetNumThreads(): boolean {
  return startAtSetNumThreads();
}
