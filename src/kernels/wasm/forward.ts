/**
 * The wasm recurrent kernel's forward: place one direction's arrays in the arena, write one
 * LayerJob per part of its batch rows (assembly/layer.ts runLayerForward runs the whole time
 * loop: input projection in chunks, per step one GEMM on W_hh and the fused cell), run them, and
 * copy the outputs out. With needsGrad the saved state goes to a block placed first (saved.ts).
 */
import type { FloatArray, RnnForwardArgs, RnnForwardManyResult, RnnForwardResult, RnnGradsIn } from '../rnn.js';
import { JobKind, LayerJob, LayerJobWords } from './abi.generated.js';
import { backwardMany } from './backward.js';
import { copyOut, type Dims, dims, newJob, type PlacedWeights, placeRows, placeWeights, rowsOut, type SavedLayout, savedLayout, writeSteps } from './layout.js';
import type { WasmKernels } from './loader.js';
import { batchParts, type Part, runJobs, threadsFor } from './partition.js';
import { backwardOnce, keepSaved, placeSaved, type Saved, type Slot, unpinOnFailure } from './saved.js';
import type { ThreadPool } from './threads.js';

/** Inference input projections are done this many rows (at least one step) at a time. */
const CHUNK_ROWS = 512;

/** Where a placed direction's outputs are (byte offsets), for `finishForward` once its jobs ran. */
interface PlacedForward {
  /** One LayerJob per part of the batch rows. */
  jobs: number[];
  y: number;
  ldy: number;
  /** y is this direction's own block (not columns of a shared output). */
  own: boolean;
  c: number;
  /** Room for hN, gathered from y's rows. */
  hN: number;
  /** Where its x is, time-major. */
  x: number;
}

/** What a direction's forward gives back. */
interface Finished<A extends FloatArray> {
  y: A | null;
  hN: A;
  cN: A | null;
  saved: Saved | null;
}

/** A direction's buffers in the arena (byte offsets; 0 = absent), as its jobs point at them. */
interface ForwardBuffers {
  x: number;
  weights: PlacedWeights;
  hA: number;
  hB: number;
  c: number;
  y: number;
  ldy: number;
  chunk: number;
  /** The saved block (training) and its layout, or 0 and null. */
  s0: number;
  lay: SavedLayout | null;
  /** Inference scratch per batch row: W_hh h (GRU), o * tanh(c) (projection). */
  hg: number;
  hu: number;
}

/** Write the LayerJob of one part of the batch rows (its own gate rows when not training). */
function forwardJob(w: WasmKernels, args: RnnForwardArgs, d: Dims, q: Part, b: ForwardBuffers): number {
  const { H, I, Hout, GH } = d;
  const { s0, lay } = b;
  const gates = lay ? s0 + lay.gates * 4 : w.arena.alloc(Math.min(b.chunk, d.total) * GH);
  const job = newJob(w, LayerJobWords);
  writeSteps(w, job, q.bs, q.offs);
  const j = w.arena.i32();
  const o = job >> 2;
  j[o + LayerJob.mode] = d.mode;
  j[o + LayerJob.reverse] = args.spec.reverse ? 1 : 0;
  j[o + LayerJob.T] = q.T;
  j[o + LayerJob.H] = H;
  j[o + LayerJob.I] = I;
  j[o + LayerJob.P] = Hout;
  j[o + LayerJob.x] = b.x;
  j[o + LayerJob.wIh] = b.weights.wIh;
  j[o + LayerJob.wHh] = b.weights.wHh;
  j[o + LayerJob.wHr] = b.weights.wHr;
  j[o + LayerJob.bias] = b.weights.bias;
  j[o + LayerJob.bHn] = b.weights.bHn;
  // this part's rows of the state buffers
  j[o + LayerJob.hA] = b.hA + q.r0 * Hout * 4;
  j[o + LayerJob.hB] = b.hB + q.r0 * Hout * 4;
  if (d.lstm) j[o + LayerJob.c] = b.c + q.r0 * H * 4;
  j[o + LayerJob.y] = b.y;
  j[o + LayerJob.ldy] = b.ldy;
  j[o + LayerJob.gates] = gates;
  j[o + LayerJob.chunk] = b.chunk;
  if (lay) {
    j[o + LayerJob.save] = 1;
    j[o + LayerJob.hPrev] = s0 + lay.hPrev * 4;
    if (d.lstm) j[o + LayerJob.cPrev] = s0 + lay.cPrev * 4;
    if (d.lstm) j[o + LayerJob.cNew] = s0 + lay.cNew * 4;
  }
  if (d.gru) j[o + LayerJob.hg] = lay ? s0 + lay.hg * 4 : b.hg + q.r0 * GH * 4;
  if (d.proj) j[o + LayerJob.hUnproj] = lay ? s0 + lay.hUnproj * 4 : b.hu + q.r0 * H * 4;
  return job;
}

/**
 * Place one direction (after its saved block at `slot` when training) and write its jobs, one
 * per part of the batch rows (`parts` threads). y is its own block, or its columns of a shared
 * output (`yOut`). Nothing runs yet.
 */
function placeForward(
  w: WasmKernels,
  args: RnnForwardArgs,
  d: Dims,
  saving: { lay: SavedLayout; slot: Slot } | null,
  parts: number,
  bf: boolean,
  yOut: { at: number; ld: number } | null = null,
  xAt = 0,
): PlacedForward {
  const { H, I, Hout, GH, B, total } = d;
  const { arena } = w;
  const lay = saving ? saving.lay : null;
  const s0 = saving ? saving.slot.at : 0;
  const b: ForwardBuffers = {
    // x lives in the saved block when training (dW_ih needs it), in scratch otherwise (or shared: xAt).
    x: lay ? s0 + lay.x * 4 : xAt || arena.alloc(total * I),
    weights: placeWeights(w, args, d),
    hA: arena.alloc(B * Hout),
    hB: arena.alloc(B * Hout),
    c: d.lstm ? arena.alloc(B * H) : 0,
    y: yOut ? yOut.at : arena.alloc(total * Hout),
    ldy: yOut ? yOut.ld : Hout,
    chunk: lay ? total : Math.max(CHUNK_ROWS, B),
    s0,
    lay,
    hg: d.gru && !lay ? arena.alloc(B * GH) : 0,
    hu: d.proj && !lay ? arena.alloc(B * H) : 0,
  };
  const hN = arena.alloc(B * Hout);
  const jobs = batchParts(args.spec, d, parts).map((q) => forwardJob(w, args, d, q, b));
  const f = arena.f32();
  // x already placed (time-major) by another direction: shared, or copied into this saved block.
  if (!xAt) placeRows(w, args.x as Float32Array, bf, b.x, I, d);
  else if (b.x !== xAt) f.copyWithin(b.x >> 2, xAt >> 2, (xAt >> 2) + total * I);
  f.set(args.h0.subarray(0, B * Hout), b.hA >> 2);
  f.set(args.h0.subarray(0, B * Hout), b.hB >> 2);
  if (d.lstm) f.set(args.c0!.subarray(0, B * H), b.c >> 2);
  return { jobs, y: b.y, ldy: b.ldy, own: !yOut, c: b.c, hN, x: b.x };
}

/** After the jobs ran: y (unless shared), hN from each row's last output row, cN, and the saved state kept. */
function finishForward<A extends FloatArray>(
  w: WasmKernels,
  args: RnnForwardArgs<A>,
  d: Dims,
  out: PlacedForward,
  saving: { lay: SavedLayout; slot: Slot } | null,
  bf: boolean,
): Finished<A> {
  const { B, Hout, H } = d;
  const f = w.arena.f32();
  // hN: each row's h after its own last step (forward: its last step; reverse: step 0), gathered in the arena.
  let t = 0;
  for (let b = B - 1; b >= 0; b--) {
    if (!args.spec.reverse) while (t + 1 < d.T && args.spec.batchSizes[t + 1] > b) t++;
    const row = (out.y >> 2) + (d.offs[t] + b) * out.ldy;
    f.copyWithin((out.hN >> 2) + b * Hout, row, row + Hout);
  }
  const like = args.x;
  return {
    y: out.own ? rowsOut(like, w, out.y, Hout, d, bf) : null,
    hN: copyOut(like, f, out.hN, B * Hout),
    cN: d.lstm ? copyOut(like, f, out.c, B * H) : null,
    saved: saving ? keepSaved(w, saving.slot, saving.lay.size) : null,
  };
}

/** One direction, its batch rows split across `threads` when given. */
export function forwardOne<A extends FloatArray>(w: WasmKernels, args: RnnForwardArgs<A>): RnnForwardResult<A> {
  const d = dims(args.spec);
  const threads = threadsFor(d);
  if (threads) w = threads.w;
  w.arena.reset();
  const lay = args.needsGrad ? savedLayout(d) : null;
  const slots = lay ? placeSaved(w, [lay.size]) : [];
  const { y, hN, cN, saved } = unpinOnFailure(w, slots, () => {
    const saving = lay ? { lay, slot: slots[0] } : null;
    const placed = placeForward(w, args, d, saving, threads ? threads.n : 1, false);
    runJobs(w, threads, JobKind.forward, placed.jobs);
    return finishForward(w, args, d, placed, saving, false);
  });
  let backward: RnnForwardResult<A>['backward'] = null;
  if (lay && saved) {
    const { spec, weights, x } = args;
    // Threads again only if the pool that ran the forward (same memory) is still up.
    backward = backwardOnce(w, [saved], (grads, retain) => backwardMany(w, threads, [{ spec, weights, d, lay, saved, grads, like: x, bf: false }], retain)[0]);
  }
  return { y: y!, hN, cN, backward };
}

/**
 * Several directions side by side, direction i whole on thread i, forward and backward (the
 * halves of a bidirectional layer share nothing but their input), or one after the other on
 * this thread without `threads`; with `join` each writes its columns of one (total, sum Hout)
 * output. Batch-first input and outputs with `bf`.
 */
export function forwardSide<A extends FloatArray>(w: WasmKernels, threads: ThreadPool | null, argsList: RnnForwardArgs<A>[], join: boolean, bf: boolean): RnnForwardManyResult<A> {
  w.arena.reset();
  const all = argsList.every((a) => a.needsGrad);
  const ds = argsList.map((a) => dims(a.spec));
  const lays = ds.map((d) => (all ? savedLayout(d) : null));
  // Saved blocks first (pinned where the budget allows).
  const slots = all ? placeSaved(w, lays.map((l) => l!.size)) : [];
  const width = ds.reduce((a, d) => a + d.Hout, 0);
  const total = ds[0].total;
  const joinedP = join && ds.every((d) => d.total === total) ? w.arena.alloc(total * width) : -1;
  let col = 0;
  // x placed (reordered to time-major when batch-first) once, by the first direction that reads it.
  let xAt = 0;
  const outs = unpinOnFailure(w, slots, () => {
    const placed = argsList.map((a, i) => {
      const yOut = joinedP >= 0 ? { at: joinedP + col * 4, ld: width } : null;
      col += ds[i].Hout;
      const p = placeForward(w, a, ds[i], all ? { lay: lays[i]!, slot: slots[i] } : null, 1, bf, yOut, i && a.x === argsList[0].x ? xAt : 0);
      if (i === 0) xAt = p.x;
      return p;
    });
    runJobs(w, threads, JobKind.forward, placed.map((p) => p.jobs[0]));
    return placed.map((p, i) => finishForward(w, argsList[i], ds[i], p, all ? { lay: lays[i]!, slot: slots[i] } : null, bf));
  });
  let backward: RnnForwardManyResult<A>['backward'] = null;
  if (all) {
    const saved = outs.map((o) => o.saved!);
    backward = backwardOnce(w, saved, (grads: RnnGradsIn<A>[], retain) => {
      const dirs = argsList.map((a, i) => ({ spec: a.spec, weights: a.weights, d: ds[i], lay: lays[i]!, saved: saved[i], grads: grads[i], like: a.x, bf }));
      return backwardMany(w, threads, dirs, retain, true);
    });
  }
  const joined = joinedP >= 0 ? rowsOut(argsList[0].x, w, joinedP, width, ds[0], bf) : null;
  return { results: outs.map(({ y, hN, cN }) => ({ y, hN, cN })), joined, backward };
}
