// The recurrent layers' time loop in WebAssembly, for every cell (tanh/relu RNN, LSTM with and
// without projection, GRU), forward and backward, one job per thread. Threads share a layer by
// batch rows, not by hidden units: the sequences of a batch are independent, so thread i runs
// the whole recurrence of its own rows (its own batch sizes, row offsets and state buffers,
// written by src/kernels/wasm/) and needs no barrier at all; two directions of a
// bidirectional layer run side by side the same way. Job layouts: assembly/abi.ts.
import { CellMode, EachList, GradJob, JobKind, LayerJob } from './abi';
import { gemm, gemmPanels, packWPanels } from './gemm';
import { gruStep, gruStepBack, lstmStep, lstmStepBack, rnnStep, rnnStepBack } from './cells';
import { beat } from './beat';
import { addTo, fillRows } from './util';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Gates per cell: rows of W_ih and W_hh are G*H. */
// @ts-ignore: decorator
@inline function gates(mode: i32): i32 {
  return mode == CellMode.lstm ? 4 : mode == CellMode.gru ? 3 : 1;
}

/** Step `si` of `T` in processing order: forward first to last, reverse last to first. */
// @ts-ignore: decorator
@inline function stepAt(si: i32, T: i32, reverse: bool): i32 {
  return reverse ? T - 1 - si : si;
}

/**
 * The next run of steps in processing order from step si whose rows follow one another: all
 * steps at once for a whole batch when saving; at most `chunk` rows in inference, so memory
 * does not grow with the length; one step at a time for a thread's share of the rows, which the
 * other threads' rows interleave. Returns its rows [lo, hi) as lo | hi << 32.
 */
function nextRun(j: LayerJob, si: i32): i64 {
  const reverse = j.reverse != 0;
  const t0 = stepAt(si, j.T, reverse);
  let lo = at(j.offs, t0);
  let hi = lo + at(j.batchSizes, t0);
  for (let sj = si + 1; sj < j.T; sj++) {
    const u = stepAt(sj, j.T, reverse);
    const n = at(j.batchSizes, u);
    const o = at(j.offs, u);
    if (j.save == 0 && hi - lo + n > j.chunk) break;
    if (reverse) {
      if (o + n != lo) break;
      lo = o;
    } else {
      if (o != hi) break;
      hi = o + n;
    }
  }
  return <i64>lo | (<i64>hi << 32);
}

/** The input projection of rows [lo, hi): gates = bias + x W_ihᵀ (saved rows in place, else the chunk). */
function project(j: LayerJob, lo: i32, hi: i32, GH: i32): void {
  const g0 = j.save != 0 ? j.gates + (<usize>lo * GH << 2) : j.gates;
  fillRows(g0, hi - lo, GH, j.bias);
  gemm(hi - lo, GH, j.I, j.x + <usize>lo * j.I * 4, j.I, j.wIh, g0, GH, 1);
}

/**
 * One forward step of the cell on bs rows: gate pre-activations g (x part and bias in; the
 * hidden product is added here) and state cur in, activations in g and state nxt out.
 */
// @ts-ignore: decorator
@inline function cellForward(j: LayerJob, bs: i32, r0: i32, g: usize, cur: usize, nxt: usize): void {
  const H = j.H;
  const P = j.P;
  const GH = gates(j.mode) * H;
  const save = j.save != 0;
  if (j.mode == CellMode.gru) {
    const hgt = save ? j.hg + (<usize>r0 * GH << 2) : j.hg;
    gemm(bs, GH, H, cur, H, j.wHh, hgt, GH, 0);
    gruStep(bs, H, g, hgt, j.bHn, cur, nxt);
  } else if (j.mode == CellMode.lstm) {
    gemm(bs, GH, P, cur, P, j.wHh, g, GH, 1);
    if (j.wHr != 0) {
      // Projected: h = (o * tanh c) W_hrᵀ.
      const hu = save ? j.hUnproj + (<usize>r0 * H << 2) : j.hUnproj;
      lstmStep(bs, H, g, j.c, hu, H);
      gemm(bs, P, H, hu, H, j.wHr, nxt, P, 0);
    } else lstmStep(bs, H, g, j.c, nxt, H);
    if (save) memory.copy(j.cNew + (<usize>r0 * H << 2), j.c, <usize>bs * H << 2);
  } else {
    gemm(bs, H, H, cur, H, j.wHh, g, GH, 1);
    rnnStep(bs * H, g, j.mode == CellMode.rnnRelu ? 1 : 0);
    memory.copy(nxt, g, <usize>bs * H << 2);
  }
}

/** Run one direction of one layer forward over the job's rows (see LayerJob). */
export function runLayerForward(job: usize): void {
  const j = changetype<LayerJob>(job);
  const GH = gates(j.mode) * j.H;
  const P4 = <usize>j.P << 2;
  const ldy4 = <usize>j.ldy << 2;
  const save = j.save != 0;
  const reverse = j.reverse != 0;
  let lo = 0;
  let hi = 0;
  let cur = j.hA;
  let nxt = j.hB;
  for (let si = 0; si < j.T; si++) {
    beat();
    const t = stepAt(si, j.T, reverse);
    const bs = at(j.batchSizes, t);
    const r0 = at(j.offs, t);
    if (r0 < lo || r0 >= hi) {
      const run = nextRun(j, si);
      lo = <i32>run;
      hi = <i32>(run >>> 32);
      project(j, lo, hi, GH);
    }
    const g = j.gates + (<usize>(save ? r0 : r0 - lo) * GH << 2);
    if (save) {
      memory.copy(j.hPrev + <usize>r0 * P4, cur, <usize>bs * P4);
      if (j.mode == CellMode.lstm) memory.copy(j.cPrev + (<usize>r0 * j.H << 2), j.c, <usize>bs * j.H << 2);
    }
    cellForward(j, bs, r0, g, cur, nxt);
    if (ldy4 == P4) memory.copy(j.y + <usize>r0 * P4, nxt, <usize>bs * P4);
    else for (let r = 0; r < bs; r++) memory.copy(j.y + <usize>(r0 + r) * ldy4, nxt + <usize>r * P4, P4);
    const tmp = cur;
    cur = nxt;
    nxt = tmp;
  }
}

/**
 * One backward step of the cell on bs rows: dh (dL/dh_t, dy already added) in, the gate
 * gradients of the step and dL/dh_{t-1} (in dh) out; dc carried in place (LSTM).
 */
// @ts-ignore: decorator
@inline function cellBackward(j: LayerJob, bs: i32, r0: i32): void {
  const H = j.H;
  const P = j.P;
  const GH = gates(j.mode) * H;
  const g = j.gates + (<usize>r0 * GH << 2);
  const dgx = j.dgX + (<usize>r0 * GH << 2);
  const dgh = j.dgH + (<usize>r0 * GH << 2);
  const h4 = <usize>r0 * H << 2;
  if (j.mode == CellMode.gru) {
    gruStepBack(bs, H, g, j.hg + (<usize>r0 * GH << 2), j.hPrev + h4, j.dh, dgx, dgh);
    // dh holds the direct part dh * z: the product adds to it.
    gemm(bs, H, GH, dgh, GH, j.wHhT, j.dh, H, 1);
    return;
  }
  if (j.mode == CellMode.lstm) {
    let dhu = j.dh;
    if (j.wHrT != 0) {
      // dL/d(o * tanh c) = dL/dh · W_hr; dL/dh of every row is kept for dW_hr.
      memory.copy(j.dhProj + (<usize>r0 * P << 2), j.dh, <usize>bs * P << 2);
      gemm(bs, H, P, j.dh, P, j.wHrT, j.dhU, H, 0);
      dhu = j.dhU;
    }
    lstmStepBack(bs, H, g, j.cPrev + h4, j.cNew + h4, dhu, j.dc, dgx);
  } else rnnStepBack(bs * H, g, j.dh, dgx, j.mode == CellMode.rnnRelu ? 1 : 0);
  gemm(bs, P, GH, dgx, GH, j.wHhT, j.dh, P, 0);
}

/** Backward (BPTT) over the same rows as the forward, steps in the opposite order. */
export function runLayerBackward(job: usize): void {
  const j = changetype<LayerJob>(job);
  const P = j.P;
  for (let si = 0; si < j.T; si++) {
    beat();
    const t = stepAt(si, j.T, j.reverse == 0);
    const bs = at(j.batchSizes, t);
    const r0 = at(j.offs, t);
    if (j.dy != 0) addTo(j.dh, j.dy + (<usize>r0 * P << 2), bs * P);
    cellBackward(j, bs, r0);
  }
}

// ------------------------------------------------------------------ weight gradients

/** Add rows [0, rows) of columns [c0, c1) of src (rows, ld) into dst (ld), which is first zeroed there. */
function colSumCols(src: usize, rows: i32, ld: i32, c0: i32, c1: i32, dst: usize): void {
  if (c1 <= c0) return;
  const o = <usize>c0 << 2;
  memory.fill(dst + o, 0, <usize>(c1 - c0) << 2);
  const ldB = <usize>ld << 2;
  for (let r = 0; r < rows; r++) addTo(dst + o, src + <usize>r * ldB + o, c1 - c0);
}

/** Thread tid's part of a GradJob (see assembly/abi.ts). */
export function runWeightGrads(job: usize, tid: i32): void {
  const j = changetype<GradJob>(job);
  const nt = j.nt;
  const total = j.total;
  const I = j.I;
  const GH = j.GH;
  const npI = (I + 7) >> 3;
  const pI0 = (tid * npI) / nt;
  const pI1 = ((tid + 1) * npI) / nt;
  if (j.dx != 0) {
    packWPanels(j.wIh, 1, I, I, GH, j.opIh, pI0, pI1);
    gemmPanels(total, I, GH, j.dgX, GH, j.opIh, j.dx, I, 0, pI0, pI1);
  }
  packWPanels(j.x, 1, I, I, total, j.opX, pI0, pI1);
  gemmPanels(GH, I, total, j.dgX, GH, j.opX, j.dWIh, I, 2, pI0, pI1);
  const P = j.Hout;
  const npH = (P + 7) >> 3;
  const pH0 = (tid * npH) / nt;
  const pH1 = ((tid + 1) * npH) / nt;
  packWPanels(j.hPrev, 1, P, P, total, j.opH, pH0, pH1);
  gemmPanels(GH, P, total, j.dgH, GH, j.opH, j.dWHh, P, 2, pH0, pH1);
  // Bias columns in blocks of 4.
  const nq = (GH + 3) >> 2;
  const c0 = min(GH, ((tid * nq) / nt) << 2);
  const c1 = min(GH, (((tid + 1) * nq) / nt) << 2);
  if (j.dBIh != 0) colSumCols(j.dgX, total, GH, c0, c1, j.dBIh);
  if (j.dBHh != 0) {
    if (j.dBIh != 0 && j.dgH == j.dgX) memory.copy(j.dBHh + (<usize>c0 << 2), j.dBIh + (<usize>c0 << 2), <usize>(c1 - c0) << 2);
    else colSumCols(j.dgH, total, GH, c0, c1, j.dBHh);
  }
}

// ------------------------------------------------------------------ one job per thread

/** Run this thread's entry of an EachList (each entry a whole single-threaded job). */
export function runEach(list: usize, tid: i32): void {
  const job = <usize>at(list + offsetof<EachList>('first'), tid);
  if (job != 0) runJob(changetype<EachList>(list).kind, job, 0);
}

/** Entry point for worker threads: a job of the given JobKind. */
export function runJob(kind: i32, job: usize, tid: i32): void {
  if (kind == JobKind.forward) runLayerForward(job);
  else if (kind == JobKind.backward) runLayerBackward(job);
  else if (kind == JobKind.each) runEach(job, tid);
  else if (kind == JobKind.weightGrads) runWeightGrads(job, tid);
}
