/**
 * The thread pool's settings, shared by ./threads.ts (when a pool is wanted) and ./pool.ts (the
 * workers). No PyTorch twin.
 *
 * `minMacs`: the work (multiply-adds) a layer needs to be threaded (tests lower it); `deadAfterMs`:
 * no progress this long and the workers are taken for dead; `startTimeoutMs`: start-up limit.
 */
export const threadTuning = { minMacs: 1 << 22, deadAfterMs: 5000, startTimeoutMs: 20000 };

/** Threads the kernels have scratch for (MAX_THREADS in assembly/gemm.ts: one packed-A block each). */
export const MAX_THREADS = 4;
