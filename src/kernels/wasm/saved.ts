/**
 * The lifetime of what a forward saves for its backward (the wasm recurrent kernel): pinned in
 * the kernels' memory while the arena's pin budget allows (backward reads it in place), else
 * copied out into a pooled Float32Array and back in. A backward releases it, unless asked to
 * retain it (PyTorch's `retain_graph=True`) for another call; a backward closure the garbage
 * collector takes without running releases it too (FinalizationRegistry).
 */
import type { WasmKernels } from './loader.js';
import { RuntimeError } from '../../errors.js';

/**
 * Blocks that held a finished backward's saved state, reused by later forwards: a fresh
 * Float32Array of tens of MB costs about three times its copy (the zeroed pages fault in one by
 * one). At most KEEP_POOL_MAX blocks and KEEP_POOL_BYTES bytes stay held between calls.
 */
const keepPool: Float32Array[] = [];
const KEEP_POOL_MAX = 8;
const KEEP_POOL_BYTES = 256 * 1024 * 1024;

/** A block of exactly n floats for saved state (a view of a pooled block when one fits). */
function takeKeep(n: number): Float32Array {
  const i = keepPool.findIndex((b) => b.length >= n && b.length <= 2 * n);
  if (i < 0) return new Float32Array(n);
  const b = keepPool.splice(i, 1)[0];
  return b.length === n ? b : b.subarray(0, n);
}

/** Return a saved-state block to the pool once nothing reads it any more. */
function releaseKeep(b: Float32Array): void {
  const whole = b.length === b.buffer.byteLength / 4 ? b : new Float32Array(b.buffer);
  const held = keepPool.reduce((s, x) => s + x.byteLength, 0);
  if (keepPool.length >= KEEP_POOL_MAX || held + whole.byteLength > KEEP_POOL_BYTES) return;
  keepPool.push(whole);
}

/** Where a block of saved state was placed for the forward: at `at`, pinned or in scratch. */
export interface Slot {
  at: number;
  pinned: boolean;
}

/**
 * Where a forward's saved state lives until its backward: pinned in the kernels' memory
 * (`pinned`, a byte offset: no copies) or, past the arena's pin budget, copied out (`keep`).
 */
export interface Saved {
  pinned: number | null;
  keep: Float32Array | null;
}

/**
 * Saved blocks for the given sizes, right after `arena.reset()`: pinned while the budget
 * allows, then ordinary scratch (copied out after the forward by `keepSaved`).
 */
export function placeSaved(w: WasmKernels, sizes: number[]): Slot[] {
  let canPin = true;
  return sizes.map((n) => {
    const p = canPin ? w.arena.pin(n) : null;
    if (p !== null) return { at: p, pinned: true };
    canPin = false;
    return { at: w.arena.alloc(n), pinned: false };
  });
}

/** After the forward: a pinned slot stays where it is; one in scratch is copied out. */
export function keepSaved(w: WasmKernels, slot: Slot, size: number): Saved {
  if (slot.pinned) return { pinned: slot.at, keep: null };
  const keep = takeKeep(size);
  keep.set(w.arena.f32().subarray(slot.at >> 2, (slot.at >> 2) + size));
  return { pinned: null, keep };
}

/** Before a backward: the saved state's address (copied back into scratch if it was copied out). */
export function restoreSaved(w: WasmKernels, saved: Saved, size: number, retain: boolean): number {
  if (saved.pinned !== null) return saved.pinned;
  const at = w.arena.alloc(size);
  w.arena.f32().set(saved.keep!, at >> 2);
  if (!retain) releaseKeep(saved.keep!);
  return at;
}

/** Run a forward whose saved blocks are placed; if it throws, release the pinned ones (no backward will). */
export function unpinOnFailure<R>(w: WasmKernels, slots: Slot[], run: () => R): R {
  try {
    return run();
  } catch (e) {
    for (const s of slots) if (s.pinned) w.arena.unpin(s.at);
    throw e;
  }
}

/** Pinned blocks whose backward closure was collected without running are released here. */
const unpinForgotten =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ arena: WasmKernels['arena']; p: number }>(({ arena, p }) => arena.unpin(p))
    : null;

/**
 * The backward closure of a forward that saved `saved`: runs `run` on the gradients, then
 * releases the saved state, so a second call throws; with `retain` it keeps the state for
 * another call. Collected without a releasing call, it releases the pinned blocks itself.
 */
export function backwardOnce<G, R>(w: WasmKernels, saved: Saved[], run: (grads: G, retain: boolean) => R): (grads: G, retain?: boolean) => R {
  let released = false;
  const backward = (grads: G, retain = false): R => {
    if (released) throw new RuntimeError('RnnKernel backward called after its saved buffers were released (only calls with retain keep them)');
    if (!retain) {
      released = true;
      unpinForgotten?.unregister(backward);
    }
    try {
      return run(grads, retain);
    } finally {
      if (!retain) for (const s of saved) if (s.pinned !== null) w.arena.unpin(s.pinned);
    }
  };
  for (const s of saved) if (s.pinned !== null) unpinForgotten?.register(backward, { arena: w.arena, p: s.pinned }, backward);
  return backward;
}
