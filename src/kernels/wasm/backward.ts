/**
 * The wasm recurrent kernel's backward (BPTT): per direction, one LayerJob per part of the batch
 * rows runs the time loop in reverse (assembly/layer.ts runLayerBackward: dy added, fused gate
 * derivatives, one GEMM for dL/dh_{t-1}), keeping every step's gate gradients; then one GradJob
 * gives dx, dW_ih, dW_hh and the biases as large products split by output columns across the
 * threads (runWeightGrads), and the projection's dW_hr is one more product here.
 */
import type { FloatArray, RnnGradsIn, RnnGradsOut, RnnLayerSpec, RnnWeights } from '../rnn.js';
import { GradJob, GradJobWords, JobKind, LayerJob, LayerJobWords } from './abi.generated.js';
import { type Dims, type SavedLayout, writeJob, writeSteps } from './layout.js';
import type { WasmKernels } from './loader.js';
import { batchParts, runJobs, runSplit } from './partition.js';
import { restoreSaved, type Saved } from './saved.js';
import { type ThreadPool, threadPool } from './threads.js';

/** gemm flag (assembly/gemm.ts): A is given as its transpose, a (K, M) matrix with row stride lda. */
const GEMM_A_TRANSPOSED = 2;

/** One direction's backward: what its forward kept and the gradients flowing in. */
export interface BackwardDir<A extends FloatArray> {
  spec: RnnLayerSpec;
  weights: RnnWeights<A>;
  d: Dims;
  lay: SavedLayout;
  saved: Saved;
  grads: RnnGradsIn<A>;
  make: (src: Float32Array) => A;
}

/** A direction's backward placed in the arena: its time-loop jobs, then its weight gradients. */
interface PlacedBackward<A extends FloatArray> {
  /** One LayerJob per part of the batch rows. */
  jobs: number[];
  /** Write the GradJob for nt threads; returns it. */
  placeWeightGrads(nt: number): number;
  /** After that job ran: the projection's gradient, then every gradient copied out. */
  collect(): RnnGradsOut<A>;
}

function placeBackward<A extends FloatArray>(w: WasmKernels, dir: BackwardDir<A>, saved: number, parts: number): PlacedBackward<A> {
  const { spec, weights, d, lay, grads, make } = dir;
  const { H, I, Hout, GH, B, total } = d;
  const { k, arena } = w;
  const at = (off: number): number => saved + off * 4;
  const dy = grads.dy ? arena.alloc(total * Hout) : 0;
  const dh = arena.alloc(B * Hout);
  const dc = d.lstm ? arena.alloc(B * H) : 0;
  const dgX = arena.alloc(total * GH);
  const dgH = d.gru ? arena.alloc(total * GH) : dgX;
  const dhProj = d.proj ? arena.alloc(total * Hout) : 0;
  const dhU = d.proj ? arena.alloc(B * H) : 0;
  const raw = arena.alloc(Math.max(GH * I, GH * Hout, Hout * H));
  const wHhT = arena.alloc(k.packedSize(Hout, GH));
  const wHrT = d.proj ? arena.alloc(k.packedSize(H, Hout)) : 0;
  const partList = batchParts(spec, d, parts);
  const steps = partList.map((q) => writeSteps(w, q.bs, q.offs));
  const jobs = partList.map(() => arena.alloc(LayerJobWords));
  const gradJob = arena.alloc(GradJobWords);

  const f = arena.f32();
  if (grads.dy) f.set(grads.dy, dy >> 2);
  f.fill(0, dh >> 2, (dh >> 2) + B * Hout);
  if (grads.dhN) f.set(grads.dhN.subarray(0, B * Hout), dh >> 2);
  if (d.lstm) {
    f.fill(0, dc >> 2, (dc >> 2) + B * H);
    if (grads.dcN) f.set(grads.dcN.subarray(0, B * H), dc >> 2);
  }
  // dL/dh_{t-1} = dgates · W_hh: W_hh (GH, Hout) packed as the (Hout, GH) operand; likewise
  // dL/d(o * tanh c) = dL/dh · W_hr with W_hr (Hout, H).
  f.set(weights.wHh, raw >> 2);
  k.packW(raw, 1, Hout, Hout, GH, wHhT);
  if (d.proj) {
    f.set(weights.wHr!, raw >> 2);
    k.packW(raw, 1, H, H, Hout, wHrT);
  }
  // Each part of the batch rows runs its own loop (its rows of dh, dc and dhU): no barrier.
  partList.forEach((q, p) => {
    writeJob(w, jobs[p]!, LayerJob, LayerJobWords, {
      ...steps[p]!,
      mode: d.mode,
      reverse: spec.reverse ? 1 : 0,
      T: q.T,
      H,
      I,
      P: Hout,
      gates: at(lay.gates),
      cPrev: d.lstm ? at(lay.cPrev) : 0,
      cNew: d.lstm ? at(lay.cNew) : 0,
      hg: d.gru ? at(lay.hg) : 0,
      hPrev: at(lay.hPrev),
      dy,
      dh: dh + q.r0 * Hout * 4,
      dc: d.lstm ? dc + q.r0 * H * 4 : 0,
      dgX,
      dgH,
      wHhT,
      wHrT,
      dhProj,
      dhU: d.proj ? dhU + q.r0 * H * 4 : 0,
    });
  });

  // Weight gradients: one large product each over all rows of all steps (runWeightGrads).
  const needsDx = grads.needsDx !== false;
  let out: { dx: number; dWIh: number; dWHh: number; dBIh: number; dBHh: number; dWHr: number; opHr: number } | null = null;
  const placeWeightGrads = (nt: number): number => {
    const wIh = arena.alloc(GH * I);
    const o = {
      dx: needsDx ? arena.alloc(total * I) : 0,
      dWIh: arena.alloc(GH * I),
      dWHh: arena.alloc(GH * Hout),
      dBIh: weights.bIh ? arena.alloc(GH) : 0,
      dBHh: weights.bHh ? arena.alloc(GH) : 0,
      dWHr: d.proj ? arena.alloc(Hout * H) : 0,
      opHr: d.proj ? arena.alloc(k.packedSize(H, total)) : 0,
    };
    const ops = { opIh: needsDx ? arena.alloc(k.packedSize(I, GH)) : 0, opX: arena.alloc(k.packedSize(I, total)), opH: arena.alloc(k.packedSize(Hout, total)) };
    arena.f32().set(weights.wIh, wIh >> 2);
    const { dx, dWIh, dWHh, dBIh, dBHh } = o;
    writeJob(w, gradJob, GradJob, GradJobWords, { nt, total, I, Hout, GH, x: at(lay.x), hPrev: at(lay.hPrev), dgX, dgH, wIh, ...ops, dx, dWIh, dWHh, dBIh, dBHh });
    out = o;
    return gradJob;
  };

  const collect = (): RnnGradsOut<A> => {
    const o = out!;
    if (d.proj) {
      // dW_hr (Hout, H) = dhProjᵀ · hUnproj
      k.packW(at(lay.hUnproj), 1, H, H, total, o.opHr);
      k.gemm(Hout, H, total, dhProj, Hout, o.opHr, o.dWHr, H, GEMM_A_TRANSPOSED);
    }
    const f = arena.f32();
    const copy = (q: number, n: number): A => make(f.subarray(q >> 2, (q >> 2) + n));
    return {
      dx: needsDx ? copy(o.dx, total * I) : null,
      dh0: copy(dh, B * Hout),
      dc0: d.lstm ? copy(dc, B * H) : null,
      dWIh: copy(o.dWIh, GH * I),
      dWHh: copy(o.dWHh, GH * Hout),
      dBIh: weights.bIh ? copy(o.dBIh, GH) : null,
      dBHh: weights.bHh ? copy(o.dBHh, GH) : null,
      dWHr: d.proj ? copy(o.dWHr, Hout * H) : null,
    };
  };
  return { jobs, placeWeightGrads, collect };
}

/**
 * Backward of one or more directions whose forward ran on `forwardThreads` (null: one thread).
 * `side`: the directions ran side by side, one per thread, and so do their time loops and
 * weight gradients; otherwise each direction's batch rows are split as its forward's were, and
 * its weight-gradient products across all threads. Threads are used only if that pool (the
 * memory holding the saved state) is still the one up.
 */
export function backwardMany<A extends FloatArray>(
  w: WasmKernels,
  forwardThreads: ThreadPool | null,
  dirs: BackwardDir<A>[],
  retain: boolean,
  side = false,
): RnnGradsOut<A>[] {
  const threads = forwardThreads && threadPool() === forwardThreads ? forwardThreads : null;
  w.arena.reset();
  // Pinned state is read in place; copied-out state comes back into scratch.
  const saveds = dirs.map((dir) => restoreSaved(w, dir.saved, dir.lay.size, retain));
  const placed = dirs.map((dir, i) => placeBackward(w, dir, saveds[i]!, side || !threads ? 1 : threads.n));
  if (side) {
    runJobs(w, threads, JobKind.backward, placed.map((p) => p.jobs[0]!));
    runJobs(w, threads, JobKind.weightGrads, placed.map((p) => p.placeWeightGrads(1)));
  } else {
    for (const p of placed) {
      runJobs(w, threads, JobKind.backward, p.jobs);
      runSplit(w, threads, JobKind.weightGrads, p.placeWeightGrads(threads ? threads.n : 1));
    }
  }
  return placed.map((p) => p.collect());
}
