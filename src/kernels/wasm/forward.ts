/**
 * The wasm recurrent kernel's forward: place one direction's arrays in the arena, write one
 * LayerJob per part of its batch rows (assembly/layer.ts runLayerForward runs the whole time
 * loop: input projection in chunks, per step one GEMM on W_hh and the fused cell), run them, and
 * copy the outputs out. With needsGrad the saved state goes to a block placed first (saved.ts).
 */
import type { FloatArray, RnnForwardArgs, RnnForwardManyResult, RnnForwardResult, RnnGradsIn } from '../rnn.js';
import { JobKind, LayerJob, LayerJobWords } from './abi.generated.js';
import { type BackwardDir, backwardMany } from './backward.js';
import { type Dims, dims, foldedBias, maker, type SavedLayout, savedLayout, writeJob, writeSteps } from './layout.js';
import type { WasmKernels } from './loader.js';
import { batchParts, runJobs, threadsFor } from './partition.js';
import { backwardOnce, keepSaved, placeSaved, type Saved, type Slot, unpinOnFailure } from './saved.js';
import type { ThreadPool } from './threads.js';

/** Inference input projections are done this many rows (at least one step) at a time. */
const CHUNK_ROWS = 512;

/** The packed weights and biases of a direction in the arena (byte offsets; 0 = absent). */
function placeWeights(w: WasmKernels, args: RnnForwardArgs, d: Dims): Partial<Record<keyof typeof LayerJob, number>> {
  const { k, arena } = w;
  const { H, I, Hout, GH } = d;
  const wIh = arena.alloc(k.packedSize(GH, I));
  const wHh = arena.alloc(k.packedSize(GH, Hout));
  const wHr = d.proj ? arena.alloc(k.packedSize(Hout, H)) : 0;
  const raw = arena.alloc(Math.max(GH * I, GH * Hout, Hout * H));
  const bias = arena.alloc(GH);
  const bHn = arena.alloc(H);
  const f = arena.f32();
  const pack = (src: FloatArray, n: number, kk: number, dst: number): void => {
    f.set(src, raw >> 2);
    k.packW(raw, kk, 1, n, kk, dst);
  };
  pack(args.weights.wIh, GH, I, wIh);
  pack(args.weights.wHh, GH, Hout, wHh);
  if (d.proj) pack(args.weights.wHr!, Hout, H, wHr);
  f.set(foldedBias(d, args.weights), bias >> 2);
  f.fill(0, bHn >> 2, (bHn >> 2) + H);
  if (d.gru && args.weights.bHh) f.set(args.weights.bHh.subarray(2 * H, 3 * H), bHn >> 2);
  return { wIh, wHh, wHr, bias, bHn };
}

interface PlacedForward<A extends FloatArray> {
  /** One LayerJob per part of the batch rows. */
  jobs: number[];
  /** After the jobs ran: the outputs copied out, and the saved state kept. */
  finish(): { y: A | null; hN: A; cN: A | null; saved: Saved | null };
}

/**
 * Place one direction (after its saved block at `slot` when training) and write its jobs, one
 * per part of the batch rows (`parts` threads). y is its own block, or its columns of a shared
 * output (`yOut`). Nothing runs yet.
 */
function placeForward<A extends FloatArray>(
  w: WasmKernels,
  args: RnnForwardArgs<A>,
  d: Dims,
  saving: { lay: SavedLayout; slot: Slot } | null,
  parts: number,
  yOut: { at: number; ld: number } | null = null,
): PlacedForward<A> {
  const { H, I, Hout, GH, B, total } = d;
  const { arena } = w;
  const lay = saving?.lay;
  const at = (off: number): number => (saving ? saving.slot.at + off * 4 : 0);
  // x lives in the saved block when training (dW_ih needs it), in scratch otherwise.
  const x = lay ? at(lay.x) : arena.alloc(total * I);
  const weights = placeWeights(w, args, d);
  const hA = arena.alloc(B * Hout);
  const hB = arena.alloc(B * Hout);
  const c = d.lstm ? arena.alloc(B * H) : 0;
  const y = yOut ? yOut.at : arena.alloc(total * Hout);
  const chunk = lay ? total : Math.max(CHUNK_ROWS, B);
  const partList = batchParts(args.spec, d, parts);
  // Inference: a chunk of gate rows per part, and per-row scratch for W_hh h (GRU) and o * tanh(c) (projection).
  const gates = lay ? partList.map(() => at(lay.gates)) : partList.map(() => arena.alloc(Math.min(chunk, total) * GH));
  const hg = d.gru && !lay ? arena.alloc(B * GH) : 0;
  const hu = d.proj && !lay ? arena.alloc(B * H) : 0;
  const steps = partList.map((q) => writeSteps(w, q.bs, q.offs));
  const jobs = partList.map(() => arena.alloc(LayerJobWords));
  const f = arena.f32();
  f.set(args.x, x >> 2);
  f.set(args.h0.subarray(0, B * Hout), hA >> 2);
  f.set(args.h0.subarray(0, B * Hout), hB >> 2);
  if (d.lstm) f.set(args.c0!.subarray(0, B * H), c >> 2);
  partList.forEach((q, p) => {
    writeJob(w, jobs[p], LayerJob, LayerJobWords, {
      ...weights,
      ...steps[p],
      mode: d.mode,
      reverse: args.spec.reverse ? 1 : 0,
      T: q.T,
      H,
      I,
      P: Hout,
      x,
      // this part's rows of the state buffers
      hA: hA + q.r0 * Hout * 4,
      hB: hB + q.r0 * Hout * 4,
      c: d.lstm ? c + q.r0 * H * 4 : 0,
      y,
      ldy: yOut ? yOut.ld : Hout,
      gates: gates[p],
      chunk,
      save: lay ? 1 : 0,
      hPrev: lay ? at(lay.hPrev) : 0,
      cPrev: lay && d.lstm ? at(lay.cPrev) : 0,
      cNew: lay && d.lstm ? at(lay.cNew) : 0,
      hg: d.gru ? (lay ? at(lay.hg) : hg + q.r0 * GH * 4) : 0,
      hUnproj: d.proj ? (lay ? at(lay.hUnproj) : hu + q.r0 * H * 4) : 0,
    });
  });
  const finish = () => finishForward(w, args, d, { y, ldy: yOut ? yOut.ld : Hout, own: !yOut, c }, saving);
  return { jobs, finish };
}

/** After the jobs ran: y (unless shared), hN from each row's last output row, cN, and the saved state kept. */
function finishForward<A extends FloatArray>(
  w: WasmKernels,
  args: RnnForwardArgs<A>,
  d: Dims,
  out: { y: number; ldy: number; own: boolean; c: number },
  saving: { lay: SavedLayout; slot: Slot } | null,
): { y: A | null; hN: A; cN: A | null; saved: Saved | null } {
  const { B, Hout, H, total } = d;
  const make = maker(args.x);
  const f = w.arena.f32();
  // hN: each row's h after its own last step (forward: its last step; reverse: step 0).
  const hN = new Float32Array(B * Hout);
  let t = 0;
  for (let b = B - 1; b >= 0; b--) {
    if (!args.spec.reverse) while (t + 1 < d.T && args.spec.batchSizes[t + 1] > b) t++;
    const row = (out.y >> 2) + (d.offs[t] + b) * out.ldy;
    hN.set(f.subarray(row, row + Hout), b * Hout);
  }
  return {
    y: out.own ? make(f.subarray(out.y >> 2, (out.y >> 2) + total * Hout)) : null,
    hN: make(hN),
    cN: d.lstm ? make(f.subarray(out.c >> 2, (out.c >> 2) + B * H)) : null,
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
    const placed = placeForward(w, args, d, lay ? { lay, slot: slots[0] } : null, threads ? threads.n : 1);
    runJobs(w, threads, JobKind.forward, placed.jobs);
    return placed.finish();
  });
  let backward: RnnForwardResult<A>['backward'] = null;
  if (lay && saved) {
    const dir: Omit<BackwardDir<A>, 'grads'> = { spec: args.spec, weights: args.weights, d, lay, saved, make: maker(args.x) };
    // Threads again only if the pool that ran the forward (same memory) is still up.
    backward = backwardOnce(w, [saved], (grads, retain) => backwardMany(w, threads, [{ ...dir, grads }], retain)[0]);
  }
  return { y: y!, hN, cN, backward };
}

/**
 * Several directions side by side, direction i whole on thread i, forward and backward (the
 * halves of a bidirectional layer share nothing but their input); with `join` each writes its
 * columns of one (total, sum Hout) output.
 */
export function forwardSide<A extends FloatArray>(threads: ThreadPool, argsList: RnnForwardArgs<A>[], join: boolean): RnnForwardManyResult<A> {
  const w = threads.w;
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
  const outs = unpinOnFailure(w, slots, () => {
    const placed = argsList.map((a, i) => {
      const yOut = joinedP >= 0 ? { at: joinedP + col * 4, ld: width } : null;
      col += ds[i].Hout;
      return placeForward(w, a, ds[i], all ? { lay: lays[i]!, slot: slots[i] } : null, 1, yOut);
    });
    runJobs(w, threads, JobKind.forward, placed.map((p) => p.jobs[0]));
    return placed.map((p) => p.finish());
  });
  let backward: RnnForwardManyResult<A>['backward'] = null;
  if (all) {
    const saved = outs.map((o) => o.saved!);
    backward = backwardOnce(w, saved, (grads: RnnGradsIn<A>[], retain) => {
      const dirs = argsList.map((a, i) => ({ spec: a.spec, weights: a.weights, d: ds[i], lay: lays[i]!, saved: saved[i], grads: grads[i], make: maker(a.x) }));
      return backwardMany(w, threads, dirs, retain, true);
    });
  }
  const f = w.arena.f32();
  const joined = joinedP >= 0 ? maker(argsList[0].x)(f.subarray(joinedP >> 2, (joinedP >> 2) + total * width)) : null;
  return { results: outs.map(({ y, hN, cN }) => ({ y, hN, cN })), joined, backward };
}
