/**
 * The reference recurrent kernel's loops (`refRnnKernel`, ./rnn.ts, is the `RnnKernel` made of
 * them; src/kernels/rnn.ts has the contract).
 * It is the oracle the fast kernels are tested against, so it is written for the reader first.
 * PyTorch twin: the CPU layer loops of aten/src/ATen/native/RNN.cpp (`FullLayer`,
 * `PackedLayer`, `ReversedPackedLayer`) for one direction of one layer.
 *
 * Shapes (G gates, H = hiddenSize, Hout = projSize || H, B = batchSizes[0], total rows):
 *   x (total, I), y (total, Hout), states h (B, Hout), c (B, H); gate rows as PyTorch packs them.
 *
 * Forward: the input projection `gx = x·W_ihᵀ + b_ih` for every step first (one GEMM, as
 * PyTorch's CPU path), then the time loop, written once: per step `gh = h·W_hhᵀ + b_hh` on
 * the active rows, then the cell's pointwise step (one function per cell type), then the LSTM
 * projection if any. Only rows [0, batchSizes[t]) take part in step t, so padding costs nothing:
 * the batch shrinks going forward and grows going in reverse, and rows that are not active
 * keep their state, which is how every sequence's final state lands in hN (see the contract).
 *
 * Backward (BPTT) walks the same steps in the opposite order with the per-cell backward step
 * beside each forward step; the weight gradients of W_ih, W_hh and the biases are one GEMM or
 * column sum each after the loop, over the gate gradients of every step.
 */

import type {
  FloatArray,
  RnnForwardArgs,
  RnnForwardResult,
  RnnGradsIn,
  RnnGradsOut,
  RnnLayerSpec,
  RnnMode,
  RnnWeights,
} from '../rnn.js';
import { layerDims } from '../rnn.js';

/** A zeroed array of the same type as `like`. */
function alloc<A extends FloatArray>(like: A, n: number): A {
  return (like instanceof Float32Array ? new Float32Array(n) : new Float64Array(n)) as A;
}

// ---- the three matrix products the layer needs ---------------------------------------------
// Plain loops in the order that reads memory row by row; sums are accumulated in float64 and
// rounded once, so the oracle is at least as precise as PyTorch's float32 path.

/** out[r, j] = bias[j] + Σ_k a[r, k]·w[j, k]: a (rows, K), w (N, K), out (rows, N). A linear layer, `a·wᵀ + b`. */
function linearRows(out: FloatArray, a: FloatArray, rows: number, K: number, w: FloatArray, N: number, bias: FloatArray | null): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < N; j++) {
      let acc = bias ? bias[j] : 0;
      for (let k = 0; k < K; k++) acc += a[r * K + k] * w[j * K + k];
      out[r * N + j] = acc;
    }
  }
}

/** out[r, :] = Σ_k a[r, k]·w[k, :]: a (rows, K), w (K, N), out (rows, N). The input gradient of a linear layer, `g·w`. */
function matmulRows(out: FloatArray, a: FloatArray, rows: number, K: number, w: FloatArray, N: number): void {
  const acc = new Float64Array(N);
  for (let r = 0; r < rows; r++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const v = a[r * K + k];
      for (let j = 0; j < N; j++) acc[j] += v * w[k * N + j];
    }
    out.set(acc, r * N);
  }
}

/** dW[i, :] += Σ_r g[r, i]·x[r, :]: g (rows, M), x (rows, N), dW (M, N). The weight gradient of a linear layer, `gᵀ·x`. */
function addOuterRows(dW: FloatArray, g: FloatArray, rows: number, M: number, x: FloatArray, N: number): void {
  const acc = Float64Array.from(dW.subarray(0, M * N));
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < M; i++) {
      const v = g[r * M + i];
      for (let j = 0; j < N; j++) acc[i * N + j] += v * x[r * N + j];
    }
  }
  dW.set(acc);
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Sum the rows of a (rows, cols) block into out (cols), accumulating. */
function addColumnSums(out: FloatArray, a: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j] += a[r * cols + j];
}

// ---- per-cell pointwise steps --------------------------------------------------------------
//
// Every step works on the `bs` active rows. Inputs: gx (bs, G*H) = x·W_ihᵀ + b_ih of this step,
// gh (bs, G*H) = h·W_hhᵀ + b_hh, hPrev (bs, H) (GRU only, Hout = H there), cPrev (bs, H) (LSTM).
// Outputs: hRaw (bs, H) the new hidden state before any projection; the LSTM's new cell state
// is written over cPrev's rows in `c`. What backward needs goes into `act` (bs, G*H) (gate
// activations) and `aux` (bs, H) (LSTM: the new cell state; GRU: W_hn·h + b_hn).
//
// The backward steps take dhRaw (bs, H) and, for the LSTM, dc (bs, H) (overwritten with the
// gradient of the previous cell state), and write dgx (bs, G*H) (gradient of the input-side
// pre-activations), dgh (bs, G*H) (hidden side; equal to dgx except for the GRU's n gate) and,
// for the GRU, dhDirect (bs, H), the part of dL/dh_{t-1} that does not go through W_hh.

interface StepBuffers {
  bs: number;
  H: number;
  gx: FloatArray;
  gxOff: number;
  gh: FloatArray;
  hPrev: FloatArray;
  c: FloatArray | null;
  hRaw: FloatArray;
  act: FloatArray;
  actOff: number;
  aux: FloatArray;
  auxOff: number;
}

interface BackBuffers {
  bs: number;
  H: number;
  dhRaw: FloatArray;
  dc: FloatArray | null;
  /** The cell state before this step (LSTM), rows at auxOff like aux. */
  cPrev: FloatArray;
  hPrev: FloatArray;
  hPrevOff: number;
  act: FloatArray;
  actOff: number;
  aux: FloatArray;
  auxOff: number;
  dgx: FloatArray;
  dgxOff: number;
  dgh: FloatArray;
  dhDirect: FloatArray;
}

/** h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). act holds h'. */
function rnnStep(s: StepBuffers, relu: boolean): void {
  const n = s.bs * s.H;
  for (let e = 0; e < n; e++) {
    const a = s.gx[s.gxOff + e] + s.gh[e];
    const h = relu ? Math.max(a, 0) : Math.tanh(a);
    s.hRaw[e] = h;
    s.act[s.actOff + e] = h;
  }
}

function rnnStepBackward(s: BackBuffers, relu: boolean): void {
  const n = s.bs * s.H;
  for (let e = 0; e < n; e++) {
    const h = s.act[s.actOff + e];
    const da = relu ? (h > 0 ? s.dhRaw[e] : 0) : s.dhRaw[e] * (1 - h * h);
    s.dgx[s.dgxOff + e] = da;
    s.dgh[e] = da;
  }
}

/**
 * LSTM, gates i, f, g, o: i, f, o = σ(·), g = tanh(·), c' = f⊙c + i⊙g, h' = o⊙tanh(c').
 * act holds i, f, g, o; aux holds c'.
 */
function lstmStep(s: StepBuffers): void {
  const { H } = s;
  const c = s.c!;
  for (let b = 0; b < s.bs; b++) {
    const gRow = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const x = s.gxOff + gRow + j;
      const hh = gRow + j;
      const i = sigmoid(s.gx[x] + s.gh[hh]);
      const f = sigmoid(s.gx[x + H] + s.gh[hh + H]);
      const g = Math.tanh(s.gx[x + 2 * H] + s.gh[hh + 2 * H]);
      const o = sigmoid(s.gx[x + 3 * H] + s.gh[hh + 3 * H]);
      const cNew = f * c[b * H + j] + i * g;
      c[b * H + j] = cNew;
      s.hRaw[b * H + j] = o * Math.tanh(cNew);
      const a = s.actOff + gRow + j;
      s.act[a] = i;
      s.act[a + H] = f;
      s.act[a + 2 * H] = g;
      s.act[a + 3 * H] = o;
      s.aux[s.auxOff + b * H + j] = cNew;
    }
  }
}

function lstmStepBackward(s: BackBuffers): void {
  const { H } = s;
  const dc = s.dc!;
  for (let b = 0; b < s.bs; b++) {
    const gRow = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const a = s.actOff + gRow + j;
      const i = s.act[a];
      const f = s.act[a + H];
      const g = s.act[a + 2 * H];
      const o = s.act[a + 3 * H];
      const tc = Math.tanh(s.aux[s.auxOff + b * H + j]);
      const dh = s.dhRaw[b * H + j];
      // dL/dc' from the output h' = o⊙tanh(c') plus what flows back from step t+1.
      const dcTot = dc[b * H + j] + dh * o * (1 - tc * tc);
      // Gradients of the pre-activations of i, f, g, o (the same on the input and hidden sides).
      const di = dcTot * g * i * (1 - i);
      const df = dcTot * s.cPrev[s.auxOff + b * H + j] * f * (1 - f);
      const dg = dcTot * i * (1 - g * g);
      const dO = dh * tc * o * (1 - o);
      const x = s.dgxOff + gRow + j;
      const hh = gRow + j;
      s.dgx[x] = s.dgh[hh] = di;
      s.dgx[x + H] = s.dgh[hh + H] = df;
      s.dgx[x + 2 * H] = s.dgh[hh + 2 * H] = dg;
      s.dgx[x + 3 * H] = s.dgh[hh + 3 * H] = dO;
      dc[b * H + j] = dcTot * f;
    }
  }
}

/**
 * GRU, gates r, z, n: r, z = σ(·), n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)),
 * h' = (1 − z)⊙n + z⊙h, computed as PyTorch does: (h − n)⊙z + n. act holds r, z, n; aux holds
 * W_hn h + b_hn.
 */
function gruStep(s: StepBuffers): void {
  const { H } = s;
  for (let b = 0; b < s.bs; b++) {
    const gRow = b * 3 * H;
    for (let j = 0; j < H; j++) {
      const x = s.gxOff + gRow + j;
      const hh = gRow + j;
      const r = sigmoid(s.gx[x] + s.gh[hh]);
      const z = sigmoid(s.gx[x + H] + s.gh[hh + H]);
      const hn = s.gh[hh + 2 * H];
      const n = Math.tanh(s.gx[x + 2 * H] + r * hn);
      const h = s.hPrev[b * H + j];
      s.hRaw[b * H + j] = (h - n) * z + n;
      const a = s.actOff + gRow + j;
      s.act[a] = r;
      s.act[a + H] = z;
      s.act[a + 2 * H] = n;
      s.aux[s.auxOff + b * H + j] = hn;
    }
  }
}

function gruStepBackward(s: BackBuffers): void {
  const { H } = s;
  for (let b = 0; b < s.bs; b++) {
    const gRow = b * 3 * H;
    for (let j = 0; j < H; j++) {
      const a = s.actOff + gRow + j;
      const r = s.act[a];
      const z = s.act[a + H];
      const n = s.act[a + 2 * H];
      const hn = s.aux[s.auxOff + b * H + j];
      const h = s.hPrev[s.hPrevOff + b * H + j];
      const dh = s.dhRaw[b * H + j];
      const dn = dh * (1 - z) * (1 - n * n);
      const dz = dh * (h - n) * z * (1 - z);
      const dr = dn * hn * r * (1 - r);
      const x = s.dgxOff + gRow + j;
      const hh = gRow + j;
      s.dgx[x] = dr;
      s.dgx[x + H] = dz;
      s.dgx[x + 2 * H] = dn;
      s.dgh[hh] = dr;
      s.dgh[hh + H] = dz;
      s.dgh[hh + 2 * H] = dn * r;
      s.dhDirect[b * H + j] = dh * z;
    }
  }
}

function cellStep(mode: RnnMode, s: StepBuffers): void {
  if (mode === 'LSTM') lstmStep(s);
  else if (mode === 'GRU') gruStep(s);
  else rnnStep(s, mode === 'RNN_RELU');
}

function cellStepBackward(mode: RnnMode, s: BackBuffers): void {
  if (mode === 'LSTM') lstmStepBackward(s);
  else if (mode === 'GRU') gruStepBackward(s);
  else rnnStepBackward(s, mode === 'RNN_RELU');
}

// ---- the layer: one time loop for every cell type ------------------------------------------

/** What the forward keeps for backward, each indexed by packed row like x and y. */
interface Saved<A extends FloatArray> {
  /** The hidden state each row read, (total, Hout). */
  hPrev: A;
  /** The cell state each row read, (total, H) (LSTM; empty otherwise). */
  cPrev: A;
  /** Gate activations, (total, G*H). */
  act: A;
  /** LSTM: the new cell state; GRU: W_hn·h + b_hn, (total, H). */
  aux: A;
}

export function refRnnForward<A extends FloatArray>(args: RnnForwardArgs<A>): RnnForwardResult<A> {
  const { spec, weights: w, x, h0, c0, needsGrad } = args;
  const { mode, batchSizes, reverse } = spec;
  const { I, H, GH, Hout, T, B, offs, total, lstm } = layerDims(spec);

  // Input projection of every step at once: gx = x·W_ihᵀ + b_ih, (total, G*H).
  const gx = alloc(x, total * GH);
  linearRows(gx, x, total, I, w.wIh, GH, w.bIh);

  const y = alloc(x, total * Hout);
  const h = alloc(x, B * Hout);
  h.set(h0.subarray(0, B * Hout));
  const c = lstm ? alloc(x, B * H) : null;
  if (c && c0) c.set(c0.subarray(0, B * H));

  const keep = needsGrad ? 1 : 0;
  const saved: Saved<A> = {
    hPrev: alloc(x, keep * total * Hout),
    cPrev: alloc(x, keep * (lstm ? total * H : 0)),
    act: alloc(x, keep * total * GH),
    aux: alloc(x, keep * total * H),
  };
  // Without backward, the per-step activations go to scratch reused every step.
  const actScratch = needsGrad ? saved.act : alloc(x, B * GH);
  const auxScratch = needsGrad ? saved.aux : alloc(x, B * H);
  const gh = alloc(x, B * GH);
  const hRaw = alloc(x, B * H);

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const bs = batchSizes[t];
    const r0 = offs[t];
    if (needsGrad) {
      saved.hPrev.set(h.subarray(0, bs * Hout), r0 * Hout);
      if (c) saved.cPrev.set(c.subarray(0, bs * H), r0 * H);
    }
    // gh = h·W_hhᵀ + b_hh on the active rows.
    linearRows(gh, h, bs, Hout, w.wHh, GH, w.bHh);
    cellStep(mode, {
      bs,
      H,
      gx,
      gxOff: r0 * GH,
      gh,
      hPrev: h,
      c,
      hRaw,
      act: actScratch,
      actOff: needsGrad ? r0 * GH : 0,
      aux: auxScratch,
      auxOff: needsGrad ? r0 * H : 0,
    });
    // LSTM projection h = hRaw·W_hrᵀ; otherwise h = hRaw.
    if (w.wHr) linearRows(h, hRaw, bs, H, w.wHr, Hout, null);
    else h.set(hRaw.subarray(0, bs * H));
    y.set(h.subarray(0, bs * Hout), r0 * Hout);
  }

  const backward = needsGrad
    ? (grads: RnnGradsIn<A>): RnnGradsOut<A> => backwardLayer(spec, w, x, h0, saved, grads)
    : null;
  return { y, hN: h, cN: c, backward };
}

function backwardLayer<A extends FloatArray>(
  spec: RnnLayerSpec,
  w: RnnWeights<A>,
  x: A,
  like: A,
  saved: Saved<A>,
  grads: RnnGradsIn<A>,
): RnnGradsOut<A> {
  const { mode, batchSizes, reverse } = spec;
  const { I, H, GH, Hout, T, B, offs, total, lstm } = layerDims(spec);

  // Running gradients of the state, starting from dL/dhN, dL/dcN.
  const dh = alloc(like, B * Hout);
  if (grads.dhN) dh.set(grads.dhN.subarray(0, B * Hout));
  const dc = lstm ? alloc(like, B * H) : null;
  if (dc && grads.dcN) dc.set(grads.dcN.subarray(0, B * H));

  const dGx = alloc(like, total * GH);
  const dGh = alloc(like, total * GH);
  const dWHr = w.wHr ? alloc(like, Hout * H) : null;
  const dhRaw = alloc(like, B * H);
  const dhDirect = alloc(like, B * Hout);
  const hRaw = alloc(like, B * H);

  // Steps in the opposite order of the forward.
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const bs = batchSizes[t];
    const r0 = offs[t];
    if (grads.dy) for (let e = 0; e < bs * Hout; e++) dh[e] += grads.dy[r0 * Hout + e];
    if (w.wHr && dWHr) {
      // h = hRaw·W_hrᵀ: dW_hr += dhᵀ·hRaw, dhRaw = dh·W_hr, with hRaw = o⊙tanh(c') recomputed.
      for (let b = 0; b < bs; b++) {
        for (let j = 0; j < H; j++) {
          const o = saved.act[(r0 + b) * GH + 3 * H + j];
          hRaw[b * H + j] = o * Math.tanh(saved.aux[(r0 + b) * H + j]);
        }
      }
      addOuterRows(dWHr, dh, bs, Hout, hRaw, H);
      matmulRows(dhRaw, dh, bs, Hout, w.wHr, H);
    } else {
      dhRaw.set(dh.subarray(0, bs * H));
    }
    const dgh = dGh.subarray(r0 * GH, (r0 + bs) * GH);
    cellStepBackward(mode, {
      bs,
      H,
      dhRaw,
      dc,
      cPrev: saved.cPrev,
      hPrev: saved.hPrev,
      hPrevOff: r0 * Hout,
      act: saved.act,
      actOff: r0 * GH,
      aux: saved.aux,
      auxOff: r0 * H,
      dgx: dGx,
      dgxOff: r0 * GH,
      dgh,
      dhDirect,
    });
    // dL/dh_{t-1} = dgh·W_hh (+ the GRU's direct z⊙dh' path).
    matmulRows(dh, dgh, bs, GH, w.wHh, Hout);
    if (mode === 'GRU') for (let e = 0; e < bs * Hout; e++) dh[e] += dhDirect[e];
  }

  // Weight gradients over all steps at once.
  const dWIh = alloc(like, GH * I);
  addOuterRows(dWIh, dGx, total, GH, x, I);
  const dWHh = alloc(like, GH * Hout);
  addOuterRows(dWHh, dGh, total, GH, saved.hPrev, Hout);
  let dx: A | null = null;
  if (grads.needsDx !== false) {
    dx = alloc(like, total * I);
    matmulRows(dx, dGx, total, GH, w.wIh, I);
  }
  let dBIh: A | null = null;
  let dBHh: A | null = null;
  if (w.bIh) {
    dBIh = alloc(like, GH);
    addColumnSums(dBIh, dGx, total, GH);
  }
  if (w.bHh) {
    dBHh = alloc(like, GH);
    addColumnSums(dBHh, dGh, total, GH);
  }
  return { dx, dh0: dh, dc0: dc, dWIh, dWHh, dBIh, dBHh, dWHr };
}
