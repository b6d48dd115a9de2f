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

/** A direction's backward buffers in the arena (byte offsets; 0 = absent). */
interface Placed {
  dir: BackwardDir<FloatArray>;
  /** The saved state's address. */
  saved: number;
  dy: number;
  dh: number;
  dc: number;
  dgX: number;
  dgH: number;
  dhProj: number;
  dhU: number;
  /** W_hh packed as the (Hout, GH) operand of dL/dh_{t-1} = dgates · W_hh; W_hr as (H, Hout). */
  wHhT: number;
  wHrT: number;
}

/** The state gradients in (dhN, dcN: zeros when null), the gate gradient blocks, W_hh and W_hr packed. */
function placeBuffers(w: WasmKernels, dir: BackwardDir<FloatArray>, saved: number): Placed {
  const { d, grads, weights } = dir;
  const { H, I, Hout, GH, B, total } = d;
  const { k, arena } = w;
  const p: Placed = {
    dir,
    saved,
    dy: grads.dy ? arena.alloc(total * Hout) : 0,
    dh: arena.alloc(B * Hout),
    dc: d.lstm ? arena.alloc(B * H) : 0,
    dgX: arena.alloc(total * GH),
    dgH: 0,
    dhProj: d.proj ? arena.alloc(total * Hout) : 0,
    dhU: d.proj ? arena.alloc(B * H) : 0,
    wHhT: arena.alloc(k.packedSize(Hout, GH)),
    wHrT: d.proj ? arena.alloc(k.packedSize(H, Hout)) : 0,
  };
  p.dgH = d.gru ? arena.alloc(total * GH) : p.dgX;
  const raw = arena.alloc(Math.max(GH * I, GH * Hout, Hout * H));
  const f = arena.f32();
  if (grads.dy) f.set(grads.dy, p.dy >> 2);
  f.fill(0, p.dh >> 2, (p.dh >> 2) + B * Hout);
  if (grads.dhN) f.set(grads.dhN.subarray(0, B * Hout), p.dh >> 2);
  if (d.lstm) {
    f.fill(0, p.dc >> 2, (p.dc >> 2) + B * H);
    if (grads.dcN) f.set(grads.dcN.subarray(0, B * H), p.dc >> 2);
  }
  f.set(weights.wHh, raw >> 2);
  k.packW(raw, 1, Hout, Hout, GH, p.wHhT);
  if (d.proj) {
    f.set(weights.wHr!, raw >> 2);
    k.packW(raw, 1, H, H, Hout, p.wHrT);
  }
  return p;
}

/** One LayerJob per part of the batch rows (each with its rows of dh, dc and dhU: no barrier). */
function loopJobs(w: WasmKernels, p: Placed, parts: number): number[] {
  const { spec, d, lay } = p.dir;
  const { H, I, Hout } = d;
  const at = (off: number): number => p.saved + off * 4;
  return batchParts(spec, d, parts).map((q) => {
    const steps = writeSteps(w, q.bs, q.offs);
    const job = w.arena.alloc(LayerJobWords);
    writeJob(w, job, LayerJob, LayerJobWords, {
      ...steps,
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
      dy: p.dy,
      dh: p.dh + q.r0 * Hout * 4,
      dc: d.lstm ? p.dc + q.r0 * H * 4 : 0,
      dgX: p.dgX,
      dgH: p.dgH,
      wHhT: p.wHhT,
      wHrT: p.wHrT,
      dhProj: p.dhProj,
      dhU: d.proj ? p.dhU + q.r0 * H * 4 : 0,
    });
    return job;
  });
}

/** Where a direction's weight gradients land (byte offsets; 0 = not wanted or absent). */
interface GradsAt {
  job: number;
  dx: number;
  dWIh: number;
  dWHh: number;
  dBIh: number;
  dBHh: number;
  dWHr: number;
}

/** The GradJob for nt threads: one large product each over all rows of all steps (runWeightGrads). */
function gradJob(w: WasmKernels, p: Placed, nt: number): GradsAt {
  const { d, lay, weights, grads } = p.dir;
  const { I, Hout, GH, H, total } = d;
  const { k, arena } = w;
  const needsDx = grads.needsDx !== false;
  const wIh = arena.alloc(GH * I);
  const o: GradsAt = {
    job: arena.alloc(GradJobWords),
    dx: needsDx ? arena.alloc(total * I) : 0,
    dWIh: arena.alloc(GH * I),
    dWHh: arena.alloc(GH * Hout),
    dBIh: weights.bIh ? arena.alloc(GH) : 0,
    dBHh: weights.bHh ? arena.alloc(GH) : 0,
    dWHr: d.proj ? arena.alloc(Hout * H) : 0,
  };
  const ops = { opIh: needsDx ? arena.alloc(k.packedSize(I, GH)) : 0, opX: arena.alloc(k.packedSize(I, total)), opH: arena.alloc(k.packedSize(Hout, total)) };
  arena.f32().set(weights.wIh, wIh >> 2);
  const { dx, dWIh, dWHh, dBIh, dBHh } = o;
  const at = (off: number): number => p.saved + off * 4;
  writeJob(w, o.job, GradJob, GradJobWords, { nt, total, I, Hout, GH, x: at(lay.x), hPrev: at(lay.hPrev), dgX: p.dgX, dgH: p.dgH, wIh, ...ops, dx, dWIh, dWHh, dBIh, dBHh });
  return o;
}

/** After the GradJob ran: the projection's dW_hr (dhProjᵀ · hUnproj), then every gradient copied out. */
function collect<A extends FloatArray>(w: WasmKernels, p: Placed, o: GradsAt, make: (src: Float32Array) => A): RnnGradsOut<A> {
  const { d, lay } = p.dir;
  const { H, I, Hout, GH, B, total } = d;
  const { k, arena } = w;
  if (d.proj) {
    const op = arena.alloc(k.packedSize(H, total));
    k.packW(p.saved + lay.hUnproj * 4, 1, H, H, total, op);
    k.gemm(Hout, H, total, p.dhProj, Hout, op, o.dWHr, H, GEMM_A_TRANSPOSED);
  }
  const f = arena.f32();
  const copy = (q: number, n: number): A | null => (q ? make(f.subarray(q >> 2, (q >> 2) + n)) : null);
  return {
    dx: copy(o.dx, total * I),
    dh0: copy(p.dh, B * Hout)!,
    dc0: copy(p.dc, B * H),
    dWIh: copy(o.dWIh, GH * I)!,
    dWHh: copy(o.dWHh, GH * Hout)!,
    dBIh: copy(o.dBIh, GH),
    dBHh: copy(o.dBHh, GH),
    dWHr: copy(o.dWHr, Hout * H),
  };
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
  const placed = dirs.map((dir, i) => placeBuffers(w, dir as BackwardDir<FloatArray>, saveds[i]));
  const jobs = placed.map((p) => loopJobs(w, p, side || !threads ? 1 : threads.n));
  let grads: GradsAt[];
  if (side) {
    runJobs(w, threads, JobKind.backward, jobs.map((j) => j[0]));
    grads = placed.map((p) => gradJob(w, p, 1));
    runJobs(w, threads, JobKind.weightGrads, grads.map((g) => g.job));
  } else {
    grads = placed.map((p, i) => {
      runJobs(w, threads, JobKind.backward, jobs[i]);
      const g = gradJob(w, p, threads ? threads.n : 1);
      runSplit(w, threads, JobKind.weightGrads, g.job);
      return g;
    });
  }
  return placed.map((p, i) => collect(w, p, grads[i], dirs[i].make));
}
