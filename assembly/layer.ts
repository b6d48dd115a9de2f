// The gated layers' time loop (LSTM without projection, GRU) in WebAssembly, one job per
// thread. Threads share a layer by batch rows, not by hidden units: the sequences of a batch
// are independent, so thread i runs the whole recurrence of its own rows (its own batch sizes,
// row offsets and state buffers, written by src/kernels/wasm/rnn.ts) and needs no barrier at
// all; two directions of a bidirectional layer run side by side the same way.
//
// Job block (i32 words at `job`); pointers are byte offsets. Shapes: x (total, I),
// y (total, H), gates (rows, G*H), hA/hB (B, H), c (B, H), where the rows of step t are
// [offs[t], offs[t] + batchSizes[t]) and B = batchSizes[0].
import { gemm, gemmPanels, packWPanels } from './gemm';
import { gruStep, gruStepBack, lstmStep, lstmStepBack } from './cells';
import { addTo } from './util';

const J_GRU = 1; // 1 = GRU, 0 = LSTM (word 0 unused)
const J_REVERSE = 2;
const J_T = 3; // steps, all with batch size > 0
const J_H = 4;
const J_I = 5;
const J_BATCH_SIZES = 6; // i32 (T), non-increasing
const J_OFFS = 7; // i32 (T): first row of each step (the rows of other threads may lie between)
const J_X = 8;
const J_WIH = 9; // packed W_ih (G*H, I)
const J_WHH = 10; // packed W_hh (G*H, H)
const J_BIAS = 11; // (G*H) folded bias
const J_BHN = 12; // (H) GRU b_hn (zeros without bias)
const J_HA = 13; // (B, H) h buffers, both start as h0
const J_HB = 14;
const J_C = 15; // (B, H) LSTM cell state, in place
const J_Y = 16;
const J_GATES = 17; // all rows when saving, else a chunk of J_CHUNK rows
const J_CHUNK = 18;
const J_SAVE = 19; // keep what backward needs
const J_HPREV = 20; // (total, H) saved h_{t-1}
const J_CPREV = 21; // (total, H) saved c_{t-1}
const J_CNEW = 22; // (total, H) saved c_t
const J_HG = 23; // GRU (total or B, G*H): W_hh h (+ b_hn in the n block)
const J_LDY = 24; // row stride of y in floats (H, or more when directions share one output)

// @ts-ignore: decorator
@inline function word(job: usize, i: i32): i32 {
  return load<i32>(job + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Run one direction of one LSTM/GRU layer over the job's rows (see the job block above). */
export function runLayerForward(job: usize): void {
  const gru = word(job, J_GRU) != 0;
  const G = gru ? 3 : 4;
  const T = word(job, J_T);
  const H = word(job, J_H);
  const I = word(job, J_I);
  const GH = G * H;
  const bsP = <usize>word(job, J_BATCH_SIZES);
  const offP = <usize>word(job, J_OFFS);
  const x = <usize>word(job, J_X);
  const wIh = <usize>word(job, J_WIH);
  const wHh = <usize>word(job, J_WHH);
  const bias = <usize>word(job, J_BIAS);
  const bHn = <usize>word(job, J_BHN);
  const c = <usize>word(job, J_C);
  const y = <usize>word(job, J_Y);
  const gates = <usize>word(job, J_GATES);
  const chunk = word(job, J_CHUNK);
  const save = word(job, J_SAVE) != 0;
  const hPrev = <usize>word(job, J_HPREV);
  const cPrev = <usize>word(job, J_CPREV);
  const cNew = <usize>word(job, J_CNEW);
  const hg = <usize>word(job, J_HG);
  const reverse = word(job, J_REVERSE) != 0;
  const GH4 = <usize>GH << 2;
  const H4 = <usize>H << 2;
  const rowB = <usize>GH << 2;
  const ldy4 = <usize>word(job, J_LDY) << 2;

  let lo = 0;
  let hi = 0;
  let cur = <usize>word(job, J_HA);
  let nxt = <usize>word(job, J_HB);
  for (let si = 0; si < T; si++) {
    const t = reverse ? T - 1 - si : si;
    const bs = at(bsP, t);
    const r0 = at(offP, t);
    if (r0 < lo || r0 >= hi) {
      // Input projection of the next run of steps in processing order whose rows follow one
      // another (all steps at once for a whole batch when saving; at most `chunk` rows in
      // inference, so memory does not grow with the length; one step at a time for a thread's
      // share of the rows, which the other threads' rows interleave).
      lo = r0;
      hi = r0 + bs;
      for (let sj = si + 1; sj < T; sj++) {
        const u = reverse ? T - 1 - sj : sj;
        const n = at(bsP, u);
        const o = at(offP, u);
        if (!save && hi - lo + n > chunk) break;
        if (reverse) {
          if (o + n != lo) break;
          lo = o;
        } else {
          if (o != hi) break;
          hi = o + n;
        }
      }
      const g0 = save ? gates + <usize>lo * GH4 : gates;
      for (let r = 0; r < hi - lo; r++) memory.copy(g0 + <usize>r * rowB, bias, rowB);
      gemm(hi - lo, GH, I, x + <usize>lo * I * 4, I, wIh, g0, GH, 1);
    }
    const g = gates + <usize>(save ? r0 : r0 - lo) * GH4;
    if (save) {
      memory.copy(hPrev + <usize>r0 * H4, cur, <usize>bs * H4);
      if (!gru) memory.copy(cPrev + <usize>r0 * H4, c, <usize>bs * H4);
    }
    const hgt = save ? hg + <usize>r0 * GH4 : hg;
    if (gru) {
      gemm(bs, GH, H, cur, H, wHh, hgt, GH, 0);
      gruStep(bs, H, H, g, hgt, bHn, cur, nxt);
    } else {
      gemm(bs, GH, H, cur, H, wHh, g, GH, 1);
      lstmStep(bs, H, H, g, c, nxt, H);
      if (save) memory.copy(cNew + <usize>r0 * H4, c, <usize>bs * H4);
    }
    if (ldy4 == H4) memory.copy(y + <usize>r0 * H4, nxt, <usize>bs * H4);
    else for (let r = 0; r < bs; r++) memory.copy(y + <usize>(r0 + r) * ldy4, nxt + <usize>r * H4, H4);
    const tmp = cur;
    cur = nxt;
    nxt = tmp;
  }
}

// ------------------------------------------------------------------ backward (BPTT)
// Job block for runLayerBackward (i32 words; pointers are byte offsets), the same rows as its
// forward: per step, dy is added to dh, the fused gate derivatives give the step's gate
// gradients, and one product gives dL/dh_{t-1} = dgates · W_hh.
const B_GRU = 1; // (word 0 unused)
const B_REVERSE = 2;
const B_T = 3;
const B_H = 4;
const B_BATCH_SIZES = 5;
const B_OFFS = 6;
const B_GATES = 7; // (total, G*H) saved activations
const B_CPREV = 8; // (total, H) LSTM
const B_CNEW = 9; // (total, H) LSTM
const B_HG = 10; // (total, G*H) GRU
const B_HPREV = 11; // (total, H) GRU
const B_DY = 12; // (total, H) or 0
const B_DH = 13; // (B, H): dhN in, dh0 out
const B_DC = 14; // (B, H): dcN in, dc0 out (LSTM)
const B_DGX = 15; // (total, G*H) out
const B_DGH = 16; // (total, G*H) out (GRU; = DGX for LSTM)
const B_WHHT = 17; // W_hh packed as the (H, G*H) operand

export function runLayerBackward(job: usize): void {
  const gru = word(job, B_GRU) != 0;
  const G = gru ? 3 : 4;
  const T = word(job, B_T);
  const H = word(job, B_H);
  const GH = G * H;
  const bsP = <usize>word(job, B_BATCH_SIZES);
  const offP = <usize>word(job, B_OFFS);
  const gates = <usize>word(job, B_GATES);
  const cPrev = <usize>word(job, B_CPREV);
  const cNew = <usize>word(job, B_CNEW);
  const hg = <usize>word(job, B_HG);
  const hPrev = <usize>word(job, B_HPREV);
  const dy = <usize>word(job, B_DY);
  const dh = <usize>word(job, B_DH);
  const dc = <usize>word(job, B_DC);
  const dgX = <usize>word(job, B_DGX);
  const dgH = <usize>word(job, B_DGH);
  const wT = <usize>word(job, B_WHHT);
  const reverse = word(job, B_REVERSE) != 0;
  const GH4 = <usize>GH << 2;
  const H4 = <usize>H << 2;
  for (let si = 0; si < T; si++) {
    // The reverse of the forward's processing order.
    const t = reverse ? si : T - 1 - si;
    const bs = at(bsP, t);
    const r0 = at(offP, t);
    if (dy) addTo(dh, dy + <usize>r0 * H4, bs * H);
    const g = gates + <usize>r0 * GH4;
    const dgx = dgX + <usize>r0 * GH4;
    const dgh = dgH + <usize>r0 * GH4;
    if (gru) gruStepBack(bs, H, H, g, hg + <usize>r0 * GH4, hPrev + <usize>r0 * H4, dh, dgx, dgh);
    else lstmStepBack(bs, H, H, g, cPrev + <usize>r0 * H4, cNew + <usize>r0 * H4, dh, dc, dgx);
    // GRU: dh holds the direct part dh * z, the product adds to it; LSTM: overwritten.
    gemm(bs, H, GH, dgh, GH, wT, dh, H, gru ? 1 : 0);
  }
}

// ------------------------------------------------------------------ weight gradients
// After the time loop of backward, the products over all rows of all steps (i32 words at
// `job`; pointers are byte offsets, 0 = skip):
//   dx (total, I) = dgX · W_ih           dW_ih (GH, I) = dgXᵀ · x
//   dW_hh (GH, Hout) = dgHᵀ · hPrev       db_ih = column sums of dgX, db_hh of dgH
// Thread tid of nt packs and computes its own 8-column panels of each product (so no thread
// reads what another packs: no barrier), and its share of the bias columns.
const W_NT = 0;
const W_TOTAL = 1;
const W_I = 2;
const W_HOUT = 3;
const W_GH = 4;
const W_X = 5; // (total, I)
const W_HPREV = 6; // (total, Hout)
const W_DGX = 7; // (total, GH)
const W_DGH = 8; // (total, GH); the same pointer as W_DGX for the LSTM and Elman RNN
const W_WIH = 9; // (GH, I) row-major, unpacked
const W_OP_IH = 10; // packing space for each product's right operand, one each
const W_OP_X = 11;
const W_OP_H = 12;
const W_DX = 13;
const W_DWIH = 14;
const W_DWHH = 15;
const W_DBIH = 16;
const W_DBHH = 17;

/** Add rows [0, rows) of columns [c0, c1) of src (rows, ld) into dst (ld), which is first zeroed there. */
function colSumCols(src: usize, rows: i32, ld: i32, c0: i32, c1: i32, dst: usize): void {
  if (c1 <= c0) return;
  const o = <usize>c0 << 2;
  memory.fill(dst + o, 0, <usize>(c1 - c0) << 2);
  const ldB = <usize>ld << 2;
  for (let r = 0; r < rows; r++) addTo(dst + o, src + <usize>r * ldB + o, c1 - c0);
}

export function runWeightGrads(job: usize, tid: i32): void {
  const nt = word(job, W_NT);
  const total = word(job, W_TOTAL);
  const I = word(job, W_I);
  const Hout = word(job, W_HOUT);
  const GH = word(job, W_GH);
  const dgX = <usize>word(job, W_DGX);
  const dgH = <usize>word(job, W_DGH);
  const dx = <usize>word(job, W_DX);
  const npI = (I + 7) >> 3;
  const pI0 = (tid * npI) / nt;
  const pI1 = ((tid + 1) * npI) / nt;
  if (dx != 0) {
    const op = <usize>word(job, W_OP_IH);
    packWPanels(<usize>word(job, W_WIH), 1, I, I, GH, op, pI0, pI1);
    gemmPanels(total, I, GH, dgX, GH, op, dx, I, 0, pI0, pI1);
  }
  const opX = <usize>word(job, W_OP_X);
  packWPanels(<usize>word(job, W_X), 1, I, I, total, opX, pI0, pI1);
  gemmPanels(GH, I, total, dgX, GH, opX, <usize>word(job, W_DWIH), I, 2, pI0, pI1);
  const npH = (Hout + 7) >> 3;
  const pH0 = (tid * npH) / nt;
  const pH1 = ((tid + 1) * npH) / nt;
  const opH = <usize>word(job, W_OP_H);
  packWPanels(<usize>word(job, W_HPREV), 1, Hout, Hout, total, opH, pH0, pH1);
  gemmPanels(GH, Hout, total, dgH, GH, opH, <usize>word(job, W_DWHH), Hout, 2, pH0, pH1);
  // Bias columns in blocks of 4.
  const nq = (GH + 3) >> 2;
  const c0 = min(GH, ((tid * nq) / nt) << 2);
  const c1 = min(GH, (((tid + 1) * nq) / nt) << 2);
  const dbIh = <usize>word(job, W_DBIH);
  const dbHh = <usize>word(job, W_DBHH);
  if (dbIh != 0) colSumCols(dgX, total, GH, c0, c1, dbIh);
  if (dbHh != 0) {
    if (dbIh != 0 && dgH == dgX) memory.copy(dbHh + (<usize>c0 << 2), dbIh + (<usize>c0 << 2), <usize>(c1 - c0) << 2);
    else colSumCols(dgH, total, GH, c0, c1, dbHh);
  }
}

// ------------------------------------------------------------------ one job per thread
// List (i32 words): [kind, job for thread 0, job for thread 1, ...]; 0 = nothing for that
// thread. Each listed job is a whole single-threaded job (its nt word is 1): the two directions
// of a bidirectional layer run side by side this way, sharing nothing but the memory.

/** Run this thread's entry of the list (kind 4 of runJob). */
export function runEach(list: usize, tid: i32): void {
  const job = <usize>at(list, 1 + tid);
  if (job != 0) runJob(at(list, 0), job, 0);
}

/** Entry point for worker threads: kind 1 forward, 3 backward (single-threaded jobs), 4 one job each, 5 weight gradients. */
export function runJob(kind: i32, job: usize, tid: i32): void {
  if (kind == 1) runLayerForward(job);
  else if (kind == 5) runWeightGrads(job, tid);
  else if (kind == 3) runLayerBackward(job);
  else if (kind == 4) runEach(job, tid);
}
