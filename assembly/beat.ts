// Heartbeats for the thread pool (src/kernels/wasm/threads.ts): each thread counts up its own
// word of the pool's control block from inside the kernels' loops (each time step, each block
// of a product), so a caller waiting on a long job can tell a working thread from a dead one.
// A plain store: one writer per word; readers use atomic loads, and an aligned i32 never tears.

let beatAt: usize = 0;

/** Where this instance's heartbeat word is (0: none). */
export function setBeat(at: usize): void {
  beatAt = at;
}

/** Count one heartbeat. */
// @ts-ignore: decorator
@inline export function beat(): void {
  if (beatAt != 0) store<i32>(beatAt, load<i32>(beatAt) + 1);
}
