/**
 * The wasm recurrent kernel's backward (BPTT): per direction, one LayerJob per part of the batch
 * rows runs the time loop in reverse (assembly/layer.ts runLayerBackward: dy added, fused gate
 * derivatives, one GEMM for dL/dh_{t-1}), keeping every step's gate gradients; then one GradJob
 * gives dx, dW_ih, dW_hh and the biases as large products split by output columns across the
 * threads (runWeightGrads), and the projection's dW_hr is one more product here.
 */
import type { FloatArray, RnnGradsIn, RnnGradsOut, RnnLayerSpec, RnnWeights } from '../rnn.js';
import { GradJob, GradJobWords, JobKind, LayerJob, LayerJobWords } from './abi.generated.js';
import { copyOut, type Dims, newJob, placeRows, rowsOut, type SavedLayout, writeSteps } from './layout.js';
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
  /** The forward's input: its gradients are new arrays of its type. */
  like: A;
  /** The forward answered batch-first: dy comes (B, T, ·) and dx goes back so (src/kernels/rnn.ts). */
  bf: boolean;
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
  if (grads.dy) placeRows(w, grads.dy as Float32Array, dir.bf, p.dy, Hout, d);
  const f = arena.f32();
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
  const s0 = p.saved;
  const jobs: number[] = [];
  for (const q of batchParts(spec, d, parts)) {
    const job = newJob(w, LayerJobWords);
    writeSteps(w, job, q.bs, q.offs);
    const j = w.arena.i32();
    const o = job >> 2;
    j[o + LayerJob.mode] = d.mode;
    j[o + LayerJob.reverse] = spec.reverse ? 1 : 0;
    j[o + LayerJob.T] = q.T;
    j[o + LayerJob.H] = H;
    j[o + LayerJob.I] = I;
    j[o + LayerJob.P] = Hout;
    j[o + LayerJob.gates] = s0 + lay.gates * 4;
    if (d.lstm) j[o + LayerJob.cPrev] = s0 + lay.cPrev * 4;
    if (d.lstm) j[o + LayerJob.cNew] = s0 + lay.cNew * 4;
    if (d.gru) j[o + LayerJob.hg] = s0 + lay.hg * 4;
    j[o + LayerJob.hPrev] = s0 + lay.hPrev * 4;
    j[o + LayerJob.dy] = p.dy;
    j[o + LayerJob.dh] = p.dh + q.r0 * Hout * 4;
    if (d.lstm) j[o + LayerJob.dc] = p.dc + q.r0 * H * 4;
    j[o + LayerJob.dgX] = p.dgX;
    j[o + LayerJob.dgH] = p.dgH;
    j[o + LayerJob.wHhT] = p.wHhT;
    j[o + LayerJob.wHrT] = p.wHrT;
    j[o + LayerJob.dhProj] = p.dhProj;
    if (d.proj) j[o + LayerJob.dhU] = p.dhU + q.r0 * H * 4;
    jobs.push(job);
  }
  return jobs;
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
    job: newJob(w, GradJobWords),
    dx: needsDx ? arena.alloc(total * I) : 0,
    dWIh: arena.alloc(GH * I),
    dWHh: arena.alloc(GH * Hout),
    dBIh: weights.bIh ? arena.alloc(GH) : 0,
    dBHh: weights.bHh ? arena.alloc(GH) : 0,
    dWHr: d.proj ? arena.alloc(Hout * H) : 0,
  };
  const opIh = needsDx ? arena.alloc(k.packedSize(I, GH)) : 0;
  const opX = arena.alloc(k.packedSize(I, total));
  const opH = arena.alloc(k.packedSize(Hout, total));
  arena.f32().set(weights.wIh, wIh >> 2);
  const j = arena.i32();
  const at = o.job >> 2;
  j[at + GradJob.nt] = nt;
  j[at + GradJob.total] = total;
  j[at + GradJob.I] = I;
  j[at + GradJob.Hout] = Hout;
  j[at + GradJob.GH] = GH;
  j[at + GradJob.x] = p.saved + lay.x * 4;
  j[at + GradJob.hPrev] = p.saved + lay.hPrev * 4;
  j[at + GradJob.dgX] = p.dgX;
  j[at + GradJob.dgH] = p.dgH;
  j[at + GradJob.wIh] = wIh;
  j[at + GradJob.opIh] = opIh;
  j[at + GradJob.opX] = opX;
  j[at + GradJob.opH] = opH;
  j[at + GradJob.dx] = o.dx;
  j[at + GradJob.dWIh] = o.dWIh;
  j[at + GradJob.dWHh] = o.dWHh;
  j[at + GradJob.dBIh] = o.dBIh;
  j[at + GradJob.dBHh] = o.dBHh;
  return o;
}

/** After the GradJob ran: the projection's dW_hr (dhProjᵀ · hUnproj), then every gradient copied out. */
function collect<A extends FloatArray>(w: WasmKernels, p: Placed, o: GradsAt, like: A): RnnGradsOut<A> {
  const { d, lay, bf } = p.dir;
  const { H, I, Hout, GH, B, total } = d;
  const { k, arena } = w;
  if (d.proj) {
    const op = arena.alloc(k.packedSize(H, total));
    k.packW(p.saved + lay.hUnproj * 4, 1, H, H, total, op);
    k.gemm(Hout, H, total, p.dhProj, Hout, op, o.dWHr, H, GEMM_A_TRANSPOSED);
  }
  const f = arena.f32();
  return {
    dx: o.dx ? rowsOut(like, w, o.dx, I, I, d, bf) : null,
    dh0: copyOut(like, f, p.dh, B * Hout),
    dc0: p.dc ? copyOut(like, f, p.dc, B * H) : null,
    dWIh: copyOut(like, f, o.dWIh, GH * I),
    dWHh: copyOut(like, f, o.dWHh, GH * Hout),
    dBIh: o.dBIh ? copyOut(like, f, o.dBIh, GH) : null,
    dBHh: o.dBHh ? copyOut(like, f, o.dBHh, GH) : null,
    dWHr: o.dWHr ? copyOut(like, f, o.dWHr, Hout * H) : null,
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
  return placed.map((p, i) => collect(w, p, grads[i], dirs[i].like));
}
