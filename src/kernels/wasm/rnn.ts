/**
 * The fused recurrent kernel on WebAssembly SIMD: implements `RnnKernel` (src/kernels/rnn.ts)
 * for float32. PyTorch twin: the CPU `_VF.lstm` / `_VF.gru` / `_VF.rnn_tanh` / `_VF.rnn_relu`
 * layer loops (aten/src/ATen/native/RNN.cpp), one direction of one layer at a time.
 *
 * Forward, per direction: pack W_ih, W_hh (and W_hr) once; one big GEMM for the input
 * projection of many steps (all of them when training; chunks of about 512 rows in inference);
 * then per step one GEMM on W_hh
 * accumulating into that step's gate rows, and one fused pass (bias already folded in, gate
 * nonlinearities, state update). With needsGrad the gate activations and the states backward
 * needs are kept in a block pinned in wasm memory (Arena.pin) that backward reads in place and
 * then releases (so does the garbage collector, for a backward that never runs); past the pin
 * budget they are copied out into a Float32Array owned by the closure instead.
 *
 * Backward (BPTT), per step in reverse order: fused gate derivatives, then one GEMM giving
 * dL/dh_{t-1}; the gate gradients of all steps are kept, and after the loop dx, dW_ih, dW_hh
 * (and dW_hr) are each one large GEMM, the biases one column sum.
 *
 * Where the time loop runs: for LSTM without projection and GRU (the cells that matter for
 * speed) in WebAssembly (assembly/layer.ts, runLayerForward / runLayerBackward), which lets
 * threads share it (setNumThreads: one direction per thread for a bidirectional layer
 * (forwardMany); otherwise the batch rows split across threads, each running the whole
 * recurrence of its rows, forward and backward); for the Elman RNN and the projected LSTM, here in
 * TypeScript, one wasm call per GEMM and per fused cell step (a few calls per step, ~50 ns each).
 *
 * Long inference runs in time segments (src/kernels/segments.ts: past 32 MB of input plus
 * output, segments of 8 MB), so the wasm memory it needs does not grow with the sequence length.
 *
 * State rows: the per-step GEMM reads rows [0, bs) of a (B, Hout) state buffer and the cell
 * updates them in place. Rows that have finished (forward) or not yet started (reverse) are
 * simply not touched, so the buffer ends as hN exactly as the contract asks (the wasm loop,
 * with two h buffers, takes hN from each row's last output row instead).
 */
import {
  type FloatArray,
  type LayerDims,
  layerDims,
  type RnnForwardArgs,
  type RnnForwardManyResult,
  type RnnForwardResult,
  type RnnGradsIn,
  type RnnGradsOut,
  type RnnKernel,
  type RnnLayerSpec,
  type RnnWeights,
} from '../rnn.js';
import { areDeterministicAlgorithmsEnabled } from '../determinism.js';
import { forwardManySegmented, forwardSegmented, wantsSegments } from '../segments.js';
import { type WasmKernels, wasmKernels } from './loader.js';
import { JobKind, runOnThreads, type ThreadPool, threadPool, threadTuning } from './threads.js';

/** Inference input projections are done this many rows (at least one step) at a time. */
const CHUNK_ROWS = 512;

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
  const b = keepPool.splice(i, 1)[0]!;
  return b.length === n ? b : b.subarray(0, n);
}

/** Return a saved-state block to the pool once nothing reads it any more. */
function releaseKeep(b: Float32Array): void {
  const whole = b.length === b.buffer.byteLength / 4 ? b : new Float32Array(b.buffer);
  const held = keepPool.reduce((s, x) => s + x.byteLength, 0);
  if (keepPool.length >= KEEP_POOL_MAX || held + whole.byteLength > KEEP_POOL_BYTES) return;
  keepPool.push(whole);
}

/**
 * Where a forward's saved state lives until its backward: pinned in the kernels' memory
 * (`pinned`, a byte offset: no copies) or, past the arena's pin budget, copied out (`keep`).
 */
interface Saved {
  pinned: number | null;
  keep: Float32Array | null;
}

/** Pinned blocks whose backward closure was collected without running are released here. */
const unpinForgotten =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ arena: WasmKernels['arena']; p: number }>(({ arena, p }) => arena.unpin(p))
    : null;

/**
 * Saved blocks for the given sizes, right after `arena.reset()`: pinned while the budget
 * allows, then ordinary scratch (copied out after the forward).
 */
function placeSaved(w: WasmKernels, sizes: number[]): { at: number; pinned: boolean }[] {
  let canPin = true;
  return sizes.map((n) => {
    const p = canPin ? w.arena.pin(n) : null;
    if (p !== null) return { at: p, pinned: true };
    canPin = false;
    return { at: w.arena.alloc(n), pinned: false };
  });
}

/** Run a forward whose saved blocks are placed; if it throws, release the pinned ones (no backward will). */
function unpinOnFailure<R>(w: WasmKernels, slots: { at: number; pinned: boolean }[], run: () => R): R {
  try {
    return run();
  } catch (e) {
    for (const s of slots) if (s.pinned) w.arena.unpin(s.at);
    throw e;
  }
}

/** Tie pinned blocks to a backward closure: released if it is collected without running. */
function watch(w: WasmKernels, fn: object, saved: Saved[]): void {
  for (const s of saved) if (s.pinned !== null) unpinForgotten?.register(fn, { arena: w.arena, p: s.pinned }, fn);
}

/** The contract's layer sizes plus what this kernel branches on. */
interface Dims extends LayerDims {
  gru: boolean;
  proj: boolean;
  relu: boolean;
  /** The time loop is a wasm job (assembly/layer.ts): LSTM without projection, GRU. */
  job: boolean;
}

function dims(spec: RnnLayerSpec): Dims {
  return {
    ...layerDims(spec),
    gru: spec.mode === 'GRU',
    proj: spec.mode === 'LSTM' && spec.projSize > 0,
    relu: spec.mode === 'RNN_RELU',
    job: spec.mode === 'GRU' || (spec.mode === 'LSTM' && spec.projSize === 0),
  };
}

/** Steps in processing order. */
function order(T: number, reverse: boolean): number[] {
  const o = Array.from({ length: T }, (_, i) => i);
  return reverse ? o.reverse() : o;
}

/**
 * Where forward keeps what backward needs, as float offsets relative to the start of the saved
 * block (which is always the first allocation in the arena, so it lands at the same address in
 * forward and backward). Absent entries are -1.
 */
interface SavedLayout {
  size: number;
  x: number; // (total, I)
  gates: number; // (total, GH): activations
  hPrev: number; // (total, Hout): h_{t-1} rows each step read
  cPrev: number; // (total, H) LSTM
  cNew: number; // (total, H) LSTM
  hg: number; // (total, 3H) GRU: W_hh h_{t-1}, n block W_hn h + b_hn
  hUnproj: number; // (total, H) LSTM with projection: o * tanh(c) before W_hr
}

function savedLayout(d: Dims): SavedLayout {
  let size = 0;
  const take = (n: number, on = true): number => {
    if (!on) return -1;
    const p = size;
    size += Math.ceil(n / 16) * 16;
    return p;
  };
  const x = take(d.total * d.I);
  const gates = take(d.total * d.GH);
  const hPrev = take(d.total * d.Hout);
  const cPrev = take(d.total * d.H, d.lstm);
  const cNew = take(d.total * d.H, d.lstm);
  const hg = take(d.total * d.GH, d.gru);
  const hUnproj = take(d.total * d.H, d.proj);
  return { size, x, gates, hPrev, cPrev, cNew, hg, hUnproj };
}

/** bIh + bHh folded into one row (GRU: the n block of bHh stays apart, inside r * (...)). */
function foldedBias(d: Dims, w: RnnWeights): Float32Array {
  const bias = new Float32Array(d.GH);
  const nEnd = d.gru ? 2 * d.H : d.GH;
  for (let j = 0; j < d.GH; j++) bias[j] = (w.bIh ? w.bIh[j]! : 0) + (w.bHh && j < nEnd ? w.bHh[j]! : 0);
  return bias;
}

/** A new array of the caller's type (always Float32Array here: supports() admits no other). */
function maker<A extends FloatArray>(like: A): (src: Float32Array) => A {
  const Ctor = like.constructor as new (src: Float32Array) => A;
  return (src) => new Ctor(src);
}

/** Word indices of the job block read by assembly/layer.ts (keep in sync with its J_* constants). */
const J = {
  gru: 1,
  reverse: 2,
  T: 3,
  H: 4,
  I: 5,
  batchSizes: 6,
  offs: 7,
  x: 8,
  wIh: 9,
  wHh: 10,
  bias: 11,
  bHn: 12,
  hA: 13,
  hB: 14,
  c: 15,
  y: 16,
  gates: 17,
  chunk: 18,
  save: 19,
  hPrev: 20,
  cPrev: 21,
  cNew: 22,
  hg: 23,
  ldy: 24,
} as const;
const JOB_WORDS = 32;

/**
 * Batch rows [r0, r1) of part p of `parts` (multiples of 4 where possible, so the GEMM
 * micro-kernel sees whole 4-row tiles).
 */
function partRows(B: number, parts: number, p: number): [number, number] {
  const at = (q: number): number => (q >= parts ? B : Math.min(B, Math.round((q * B) / parts / 4) * 4));
  return [at(p), at(p + 1)];
}

/**
 * One part's steps: batch sizes and row offsets of rows [r0, r1) of every step (steps where
 * the part has no row left are dropped: batch sizes do not grow, so they are the last ones).
 */
function partSteps(spec: RnnLayerSpec, offs: Int32Array, r0: number, r1: number): { T: number; bs: Int32Array; offs: Int32Array } {
  const T = spec.batchSizes.length;
  const bs = new Int32Array(T);
  const po = new Int32Array(T);
  let n = 0;
  for (let t = 0; t < T; t++) {
    const b = Math.min(spec.batchSizes[t]!, r1) - r0;
    if (b <= 0) break;
    bs[t] = b;
    po[t] = offs[t]! + r0;
    n++;
  }
  return { T: n, bs: bs.subarray(0, n), offs: po.subarray(0, n) };
}

/** The non-empty parts of the batch rows for `parts` threads, with their steps (see partSteps). */
function batchParts(spec: RnnLayerSpec, d: Dims, parts: number): { r0: number; T: number; bs: Int32Array; offs: Int32Array }[] {
  return Array.from({ length: parts }, (_, p) => partRows(d.B, parts, p))
    .map(([r0, r1]) => ({ r0, ...partSteps(spec, d.offs, r0, r1) }))
    .filter((q) => q.T > 0);
}


/**
 * The pool, if this layer can split its batch rows across it: a gated cell without projection
 * (its loop is a wasm job), at least 4 batch rows per thread, enough work per step to pay for
 * the threads, and not in deterministic mode (a row's sums would depend on the split).
 */
function threadsFor(spec: RnnLayerSpec): ThreadPool | null {
  const p = threadPool();
  const d = dims(spec);
  if (!p || !d.job || areDeterministicAlgorithmsEnabled()) return null;
  if (d.B < 4 * p.n || d.total * d.GH * (d.I + d.H) < threadTuning.minMacs) return null;
  return p;
}

/** A direction placed in the arena: run it (its job, or the TypeScript step loop), then finish. */
interface PlacedForward<A extends FloatArray> {
  /** Job blocks for runLayerForward, one per part of the batch; empty when the step loop runs in TypeScript (runSteps). */
  jobs: number[];
  runSteps(): void;
  /** Copy the outputs (and what backward needs) out of the arena. */
  finish(): { y: A | null; hN: A; cN: A | null; saved: Saved | null };
}

/**
 * Place one direction's arrays in the arena (after its saved block, allocated by the caller at
 * `saved` when training) and, for the gated cells without projection, write its job blocks: one
 * per part of the batch rows (`parts` threads). Nothing runs yet.
 */
function placeForward<A extends FloatArray>(
  w: WasmKernels,
  args: RnnForwardArgs<A>,
  d: Dims,
  lay: SavedLayout | null,
  saved: number,
  pinned: boolean,
  parts: number,
  yOut: { at: number; ld: number } | null = null,
): PlacedForward<A> {
  const { spec, weights, x, h0, c0 } = args;
  const make = maker(x);
  const { H, I, Hout, GH, B, total, offs } = d;
  const { k, arena } = w;
  const at = (off: number): number => saved + off * 4;

  // x lives in the saved block when training (dW_ih needs it), in scratch otherwise.
  const xP = lay ? at(lay.x) : arena.alloc(total * I);
  const wIhP = arena.alloc(k.packedSize(GH, I));
  const wHhP = arena.alloc(k.packedSize(GH, Hout));
  const wHrP = d.proj ? arena.alloc(k.packedSize(Hout, H)) : -1;
  const raw = arena.alloc(Math.max(GH * I, GH * Hout, Hout * H));
  const bias = arena.alloc(GH);
  const bHn = arena.alloc(H);
  const hS = arena.alloc(B * Hout);
  const cS = d.lstm ? arena.alloc(B * H) : -1;
  // y: its own (total, Hout) block, or this direction's columns of a shared output (job loops only).
  const yP = yOut ? yOut.at : arena.alloc(total * Hout);
  const ldy = yOut ? yOut.ld : Hout;
  const chunkRows = lay ? total : Math.max(CHUNK_ROWS, B);
  // The gated cells without projection run their time loop in wasm, one job per part.
  const useJob = d.job;
  const nParts = useJob ? parts : 1;
  const gatesBuf = lay ? at(lay.gates) : arena.alloc(Math.min(chunkRows, total) * GH);
  const moreGates = !lay && useJob ? Array.from({ length: nParts - 1 }, () => arena.alloc(Math.min(chunkRows, total) * GH)) : [];
  const hgScratch = d.gru && !lay ? arena.alloc(B * GH) : -1;
  const huScratch = d.proj && !lay ? arena.alloc(B * H) : -1;
  const hB = useJob ? arena.alloc(B * Hout) : -1;
  const partList = useJob ? batchParts(spec, d, nParts) : [];
  const jobs = partList.map(() => arena.alloc(JOB_WORDS));
  const ints = partList.map((q) => arena.alloc(2 * q.T));

  const f = arena.f32();
  f.set(x, xP >> 2);
  f.set(weights.wIh, raw >> 2);
  k.packW(raw, I, 1, GH, I, wIhP);
  f.set(weights.wHh, raw >> 2);
  k.packW(raw, Hout, 1, GH, Hout, wHhP);
  if (d.proj) {
    f.set(weights.wHr!, raw >> 2);
    k.packW(raw, H, 1, Hout, H, wHrP);
  }
  f.set(foldedBias(d, weights), bias >> 2);
  f.fill(0, bHn >> 2, (bHn >> 2) + H);
  if (d.gru && weights.bHh) f.set(weights.bHh.subarray(2 * H, 3 * H), bHn >> 2);
  f.set(h0.subarray(0, B * Hout), hS >> 2);
  if (d.lstm) f.set(c0!.subarray(0, B * H), cS >> 2);

  if (useJob) {
    f.set(h0.subarray(0, B * Hout), hB >> 2);
    const i32 = new Int32Array(f.buffer);
    partList.forEach((q, p) => {
      const job = jobs[p]!;
      i32.set(q.bs, ints[p]! >> 2);
      i32.set(q.offs, (ints[p]! >> 2) + q.T);
      const words: Record<keyof typeof J, number> = {
        gru: d.gru ? 1 : 0,
        reverse: spec.reverse ? 1 : 0,
        T: q.T,
        H,
        I,
        batchSizes: ints[p]!,
        offs: ints[p]! + q.T * 4,
        x: xP,
        wIh: wIhP,
        wHh: wHhP,
        bias,
        bHn,
        // this part's rows of the state buffers
        hA: hS + q.r0 * Hout * 4,
        hB: hB + q.r0 * Hout * 4,
        c: d.lstm ? cS + q.r0 * H * 4 : 0,
        y: yP,
        gates: lay ? gatesBuf : p === 0 ? gatesBuf : moreGates[p - 1]!,
        chunk: chunkRows,
        save: lay ? 1 : 0,
        hPrev: lay ? at(lay.hPrev) : 0,
        cPrev: lay && d.lstm ? at(lay.cPrev) : 0,
        cNew: lay && d.lstm ? at(lay.cNew) : 0,
        hg: d.gru ? (lay ? at(lay.hg) : hgScratch + q.r0 * GH * 4) : 0,
        ldy,
      };
      writeJob(w, job, Object.entries(words).map(([name, value]) => [J[name as keyof typeof J], value]));
    });
  }

  const runSteps = (): void => {
    const f = arena.f32();
    const copy = (dst: number, src: number, n: number): void => {
      f.copyWithin(dst >> 2, src >> 2, (src >> 2) + n);
    };
    // Input projection of rows [r0, r1) into the gate buffer starting at row `base`.
    let chunkLo = 0;
    let chunkHi = 0;
    const project = (r0: number, r1: number): void => {
      const g = gatesBuf + (lay ? r0 * GH * 4 : 0);
      k.fillRows(g, r1 - r0, GH, bias);
      k.gemm(r1 - r0, GH, I, xP + r0 * I * 4, I, wIhP, g, GH, 1);
      chunkLo = r0;
      chunkHi = r1;
    };
    if (lay) project(0, total);
    const steps = order(d.T, spec.reverse);
    for (let si = 0; si < steps.length; si++) {
      const t = steps[si]!;
      const bs = spec.batchSizes[t]!;
      const r0 = offs[t]!;
      if (!lay && (r0 < chunkLo || r0 >= chunkHi)) {
        // Next chunk: consecutive steps in processing order, a contiguous row range.
        let lo = r0;
        let hi = r0 + bs;
        for (let sj = si + 1; sj < steps.length; sj++) {
          const u = steps[sj]!;
          const n = spec.batchSizes[u]!;
          if (hi - lo + n > chunkRows) break;
          if (spec.reverse) lo = offs[u]!;
          else hi = offs[u]! + n;
        }
        project(lo, hi);
      }
      const g = gatesBuf + (r0 - (lay ? 0 : chunkLo)) * GH * 4;
      if (lay) {
        copy(at(lay.hPrev) + r0 * Hout * 4, hS, bs * Hout);
        if (d.lstm) copy(at(lay.cPrev) + r0 * H * 4, cS, bs * H);
      }
      if (d.lstm) {
        k.gemm(bs, GH, Hout, hS, Hout, wHhP, g, GH, 1);
        // (without projection the LSTM runs as a job: this is the projected one)
        const hu = lay ? at(lay.hUnproj) + r0 * H * 4 : huScratch;
        k.lstmStep(bs, H, H, g, cS, hu, H);
        k.gemm(bs, Hout, H, hu, H, wHrP, hS, Hout, 0);
        if (lay) copy(at(lay.cNew) + r0 * H * 4, cS, bs * H);
      } else {
        k.gemm(bs, GH, Hout, hS, Hout, wHhP, g, GH, 1);
        k.rnnStep(bs * H, g, d.relu ? 1 : 0);
        copy(hS, g, bs * H);
      }
      copy(yP + r0 * Hout * 4, hS, bs * Hout);
    }
  };

  const finish = (): { y: A | null; hN: A; cN: A | null; saved: Saved | null } => {
    const f = arena.f32();
    if (useJob) {
      // hN: each row's h after its own last step (forward: its last step; reverse: step 0).
      const hN = new Float32Array(B * Hout);
      let t = 0;
      for (let b = B - 1; b >= 0; b--) {
        if (!spec.reverse) while (t + 1 < d.T && spec.batchSizes[t + 1]! > b) t++;
        const row = (yP >> 2) + (offs[t]! + b) * ldy;
        hN.set(f.subarray(row, row + Hout), b * Hout);
      }
      f.set(hN, hS >> 2);
    }
    let kept: Saved | null = null;
    if (lay && pinned) kept = { pinned: saved, keep: null };
    else if (lay) {
      const keep = takeKeep(lay.size);
      keep.set(f.subarray(saved >> 2, (saved >> 2) + lay.size));
      kept = { pinned: null, keep };
    }
    return {
      y: yOut ? null : make(f.subarray(yP >> 2, (yP >> 2) + total * Hout)),
      hN: make(f.subarray(hS >> 2, (hS >> 2) + B * Hout)),
      cN: d.lstm ? make(f.subarray(cS >> 2, (cS >> 2) + B * H)) : null,
      saved: kept,
    };
  };
  return { jobs, runSteps, finish };
}

/** Run a placed direction: its TypeScript loop, its one job, or its parts side by side on `threads`. */
function runPlaced<A extends FloatArray>(w: WasmKernels, p: PlacedForward<A>, threads: ThreadPool | null): void {
  if (p.jobs.length === 0) p.runSteps();
  else if (threads && p.jobs.length > 1) runEach(w, threads, JobKind.forward, p.jobs);
  else for (const job of p.jobs) w.k.runLayerForward(job);
}

/**
 * Run single-threaded jobs of one kind side by side, job i on thread i (the caller is thread 0);
 * the caller gets them all done. Needs jobs.length <= threads.n.
 */
function runEach(w: WasmKernels, threads: ThreadPool, kind: number, jobs: number[]): void {
  const list = w.arena.alloc(threads.n + 1);
  const i32 = new Int32Array(w.arena.memory.buffer, list, threads.n + 1);
  i32.fill(0);
  i32[0] = kind;
  jobs.forEach((j, i) => {
    i32[1 + i] = j;
  });
  runOnThreads(threads, list, JobKind.each, () => w.k.runEach(list, 0));
}

function forward<A extends FloatArray>(w: WasmKernels, args: RnnForwardArgs<A>, threads: ThreadPool | null): RnnForwardResult<A> {
  w.arena.reset();
  const d = dims(args.spec);
  const lay = args.needsGrad ? savedLayout(d) : null;
  const [slot] = lay ? placeSaved(w, [lay.size]) : [];
  const { y, hN, cN, saved } = unpinOnFailure(w, slot ? [slot] : [], () => {
    const placed = placeForward(w, args, d, lay, slot?.at ?? -1, slot?.pinned ?? false, threads ? threads.n : 1);
    runPlaced(w, placed, threads);
    return placed.finish();
  });
  if (!y) throw new Error('unreachable: a lone direction has its own output');
  let backward: RnnForwardResult<A>['backward'] = null;
  if (lay && saved) {
    let used = false;
    backward = (grads, retain = false) => {
      if (used) throw new Error('RnnKernel backward called after its saved buffers were released (only calls with retain keep them)');
      if (!retain) {
        used = true;
        unpinForgotten?.unregister(backward!);
      }
      // Threads again only if the pool that ran the forward (same memory) is still up.
      const p = threads && threadPool() === threads ? threads : null;
      return backwardMany(w, p, [{ spec: args.spec, weights: args.weights, d, lay, saved, grads, make: maker(args.x) }], retain)[0]!;
    };
    watch(w, backward, [saved]);
  }
  return { y, hN, cN, backward };
}

/**
 * Several directions at once: with a thread pool and only gated cells without projection (the
 * cells whose loop runs as a wasm job), direction i runs whole on thread i, forward and backward
 * (the halves of a bidirectional layer share nothing but their input). Otherwise one after the
 * other, each as `forward` would run it.
 */
function forwardMany<A extends FloatArray>(argsList: RnnForwardArgs<A>[], join = false): RnnForwardManyResult<A> {
  const inference = !argsList.every((a) => a.needsGrad);
  if (inference && argsList.some((a) => wantsSegments({ ...a, needsGrad: false }))) {
    return forwardManySegmented(argsList, join, (list) => forwardManyWhole(list, false));
  }
  return forwardManyWhole(argsList, join);
}

function forwardManyWhole<A extends FloatArray>(argsList: RnnForwardArgs<A>[], join: boolean): RnnForwardManyResult<A> {
  const w0 = wasmKernels();
  if (!w0) throw new TypeError('wasm RnnKernel: WebAssembly SIMD is not available (check supports() first)');
  const pool = threadPool();
  const side = pool !== null && argsList.length <= pool.n && argsList.every((a) => dims(a.spec).job);
  const all = argsList.every((a) => a.needsGrad);
  if (!side) {
    const res = argsList.map((a) => wasmRnnKernel.forward({ ...a, needsGrad: all }));
    const backs = res.map((r) => r.backward);
    return {
      results: res.map(({ y, hN, cN }) => ({ y, hN, cN })),
      joined: null,
      backward: all ? (grads, retain) => backs.map((b, i) => b!(grads[i]!, retain)) : null,
    };
  }
  const threads = pool!;
  const w = threads.w;
  w.arena.reset();
  const ds = argsList.map((a) => dims(a.spec));
  const lays = ds.map((d) => (all ? savedLayout(d) : null));
  // Saved blocks first (pinned where the budget allows).
  const slots = all ? placeSaved(w, lays.map((l) => l!.size)) : [];
  // With `join`, every direction writes its columns of one (total, sum Hout) output.
  const width = ds.reduce((a, d) => a + d.Hout, 0);
  const total = ds[0]!.total;
  const joinedP = join && ds.every((d) => d.total === total) ? w.arena.alloc(total * width) : -1;
  let col = 0;
  const outs = unpinOnFailure(w, slots, () => {
    const placed = argsList.map((a, i) => {
      const yOut = joinedP >= 0 ? { at: joinedP + col * 4, ld: width } : null;
      col += ds[i]!.Hout;
      return placeForward(w, a, ds[i]!, lays[i]!, slots[i]?.at ?? -1, slots[i]?.pinned ?? false, 1, yOut);
    });
    runEach(w, threads, JobKind.forward, placed.map((p) => p.jobs[0]!));
    return placed.map((p) => p.finish());
  });
  let backward: RnnForwardManyResult<A>['backward'] = null;
  if (all) {
    let used = false;
    backward = (grads, retain = false) => {
      if (used) throw new Error('RnnKernel backward called after its saved buffers were released (only calls with retain keep them)');
      if (!retain) {
        used = true;
        unpinForgotten?.unregister(backward!);
      }
      const p = threadPool() === threads ? threads : null;
      const dirs = argsList.map((a, i) => ({ spec: a.spec, weights: a.weights, d: ds[i]!, lay: lays[i]!, saved: outs[i]!.saved!, grads: grads[i]!, make: maker(a.x) }));
      return backwardMany(w, p, dirs, retain);
    };
    watch(w, backward, outs.map((o) => o.saved!));
  }
  const f = w.arena.f32();
  const joined = joinedP >= 0 ? maker(argsList[0]!.x)(f.subarray(joinedP >> 2, (joinedP >> 2) + total * width)) : null;
  return { results: outs.map(({ y, hN, cN }) => ({ y, hN, cN })), joined, backward };
}

/** Write a job block: the given words, the rest zeroed. */
function writeJob(w: WasmKernels, job: number, words: [number, number][]): void {
  const i32 = new Int32Array(w.arena.memory.buffer);
  i32.fill(0, job >> 2, (job >> 2) + JOB_WORDS);
  for (const [i, v] of words) i32[(job >> 2) + i] = v;
}

/** gemm flag (assembly/gemm.ts): A is given as its transpose, a (K, M) matrix with row stride lda. */
const GEMM_A_TRANSPOSED = 2;

/** One direction's backward: what its forward kept and the gradients flowing in. */
interface BackwardDir<A extends FloatArray> {
  spec: RnnLayerSpec;
  weights: RnnWeights<A>;
  d: Dims;
  lay: SavedLayout;
  saved: Saved;
  grads: RnnGradsIn<A>;
  make: (src: Float32Array) => A;
}

/** A direction's backward placed in the arena: its time loop, then its weight gradients. */
interface PlacedBackward<A extends FloatArray> {
  /** Job blocks for runLayerBackward, one per part of the batch; empty when the loop runs in TypeScript (runSteps). */
  jobs: number[];
  runSteps(): void;
  /** Write the weight-gradient job (assembly/layer.ts runWeightGrads) for nt threads; returns it. */
  placeWeightGrads(nt: number): number;
  /** After that job ran: the projection's gradient, then every gradient copied out. */
  collect(): RnnGradsOut<A>;
}

function placeBackward<A extends FloatArray>(w: WasmKernels, dir: BackwardDir<A>, saved: number, parts: number, retain: boolean): PlacedBackward<A> {
  const { spec, weights, d, lay, grads, make } = dir;
  const keep = dir.saved.keep;
  const { H, I, Hout, GH, B, total, offs } = d;
  const { k, arena } = w;
  const at = (off: number): number => saved + off * 4;
  const dyP = grads.dy ? arena.alloc(total * Hout) : -1;
  const dhS = arena.alloc(B * Hout);
  const dcS = d.lstm ? arena.alloc(B * H) : -1;
  const dgX = arena.alloc(total * GH);
  const dgH = d.gru ? arena.alloc(total * GH) : dgX;
  const dhProj = d.proj ? arena.alloc(total * Hout) : -1;
  const dhU = d.proj ? arena.alloc(B * H) : -1;
  const raw = arena.alloc(Math.max(GH * I, GH * Hout, Hout * H));
  const wHhT = arena.alloc(k.packedSize(Hout, GH));
  const wHrT = d.proj ? arena.alloc(k.packedSize(H, Hout)) : -1;
  const useJob = d.job;
  const partList = useJob ? batchParts(spec, d, parts) : [];
  const jobs = partList.map(() => arena.alloc(JOB_WORDS));
  const ints = partList.map((q) => arena.alloc(2 * q.T));
  const job = arena.alloc(JOB_WORDS); // the weight-gradient job

  const f = arena.f32();
  if (keep) {
    f.set(keep, saved >> 2);
    if (!retain) releaseKeep(keep);
  }
  if (grads.dy) f.set(grads.dy, dyP >> 2);
  if (grads.dhN) f.set(grads.dhN.subarray(0, B * Hout), dhS >> 2);
  else f.fill(0, dhS >> 2, (dhS >> 2) + B * Hout);
  if (d.lstm) {
    if (grads.dcN) f.set(grads.dcN.subarray(0, B * H), dcS >> 2);
    else f.fill(0, dcS >> 2, (dcS >> 2) + B * H);
  }
  // dL/dh_{t-1} = dgates · W_hh: pack W_hh (GH, Hout) as the (Hout, GH) operand.
  f.set(weights.wHh, raw >> 2);
  k.packW(raw, 1, Hout, Hout, GH, wHhT);
  if (d.proj) {
    // dL/d(o*tanh c) = dL/dh · W_hr: W_hr is (Hout, H).
    f.set(weights.wHr!, raw >> 2);
    k.packW(raw, 1, H, H, Hout, wHrT);
  }

  if (useJob) {
    const i32 = new Int32Array(f.buffer);
    // Each part of the batch rows runs its own loop (its rows of dh and dc); the threads share
    // nothing while they run, so no barrier is needed.
    partList.forEach((q, p) => {
      i32.set(q.bs, ints[p]! >> 2);
      i32.set(q.offs, (ints[p]! >> 2) + q.T);
      writeJob(w, jobs[p]!, [
        [1, d.gru ? 1 : 0],
        [2, spec.reverse ? 1 : 0],
        [3, q.T],
        [4, H],
        [5, ints[p]!],
        [6, ints[p]! + q.T * 4],
        [7, at(lay.gates)],
        [8, d.lstm ? at(lay.cPrev) : 0],
        [9, d.lstm ? at(lay.cNew) : 0],
        [10, d.gru ? at(lay.hg) : 0],
        [11, at(lay.hPrev)],
        [12, Math.max(dyP, 0)], // 0 = no dy
        [13, dhS + q.r0 * Hout * 4],
        [14, d.lstm ? dcS + q.r0 * H * 4 : 0],
        [15, dgX],
        [16, dgH],
        [17, wHhT],
      ]);
    });
  }

  const runSteps = (): void => {
    const f = arena.f32();
    for (const t of order(d.T, !spec.reverse)) {
      const bs = spec.batchSizes[t]!;
      const r0 = offs[t]!;
      // dL/dh_t = (from step t+1, already in dhS) + dy_t (+ dhN, the initial dhS rows)
      if (dyP >= 0) k.addTo(dhS, dyP + r0 * Hout * 4, bs * Hout);
      const g = at(lay.gates) + r0 * GH * 4;
      const dgx = dgX + r0 * GH * 4;
      if (d.lstm) {
        // (without projection the LSTM runs as a job: this is the projected one)
        f.copyWithin((dhProj >> 2) + r0 * Hout, dhS >> 2, (dhS >> 2) + bs * Hout);
        k.gemm(bs, H, Hout, dhS, Hout, wHrT, dhU, H, 0);
        k.lstmStepBack(bs, H, H, g, at(lay.cPrev) + r0 * H * 4, at(lay.cNew) + r0 * H * 4, dhU, dcS, dgx);
        k.gemm(bs, Hout, GH, dgx, GH, wHhT, dhS, Hout, 0);
      } else {
        k.rnnStepBack(bs * H, g, dhS, dgx, d.relu ? 1 : 0);
        k.gemm(bs, Hout, GH, dgx, GH, wHhT, dhS, Hout, 0);
      }
    }
  };

  // Weight gradients: one large product each over all rows of all steps (runWeightGrads).
  const needsDx = grads.needsDx !== false;
  let wg: { op: number; dxP: number; dWIhP: number; dWHhP: number; dBIhP: number; dBHhP: number; dWHrP: number } | null = null;
  const placeWeightGrads = (nt: number): number => {
    const wIhRaw = arena.alloc(GH * I);
    const opIh = needsDx ? arena.alloc(k.packedSize(I, GH)) : 0;
    const opX = arena.alloc(k.packedSize(I, total));
    const opH = arena.alloc(k.packedSize(Hout, total));
    const p = {
      op: d.proj ? arena.alloc(k.packedSize(H, total)) : -1,
      dxP: needsDx ? arena.alloc(total * I) : 0,
      dWIhP: arena.alloc(GH * I),
      dWHhP: arena.alloc(GH * Hout),
      dBIhP: weights.bIh ? arena.alloc(GH) : 0,
      dBHhP: weights.bHh ? arena.alloc(GH) : 0,
      dWHrP: d.proj ? arena.alloc(Hout * H) : -1,
    };
    arena.f32().set(weights.wIh, wIhRaw >> 2);
    writeJob(w, job, [
      [0, nt],
      [1, total],
      [2, I],
      [3, Hout],
      [4, GH],
      [5, at(lay.x)],
      [6, at(lay.hPrev)],
      [7, dgX],
      [8, dgH],
      [9, wIhRaw],
      [10, opIh],
      [11, opX],
      [12, opH],
      [13, p.dxP],
      [14, p.dWIhP],
      [15, p.dWHhP],
      [16, p.dBIhP],
      [17, p.dBHhP],
    ]);
    wg = p;
    return job;
  };

  const collect = (): RnnGradsOut<A> => {
    const p = wg!;
    if (d.proj) {
      // dW_hr (Hout, H) = dhProjᵀ · hUnproj
      k.packW(at(lay.hUnproj), 1, H, H, total, p.op);
      k.gemm(Hout, H, total, dhProj, Hout, p.op, p.dWHrP, H, GEMM_A_TRANSPOSED);
    }
    const f = arena.f32();
    const out = (q: number, n: number): A => make(f.subarray(q >> 2, (q >> 2) + n));
    return {
      dx: needsDx ? out(p.dxP, total * I) : null,
      dh0: out(dhS, B * Hout),
      dc0: d.lstm ? out(dcS, B * H) : null,
      dWIh: out(p.dWIhP, GH * I),
      dWHh: out(p.dWHhP, GH * Hout),
      dBIh: weights.bIh ? out(p.dBIhP, GH) : null,
      dBHh: weights.bHh ? out(p.dBHhP, GH) : null,
      dWHr: d.proj ? out(p.dWHrP, Hout * H) : null,
    };
  };
  return { jobs, runSteps, placeWeightGrads, collect };
}

/**
 * Backward of one or more directions: every time loop first (side by side on the threads when
 * there are as many threads as directions and all loops are wasm jobs), then each direction's
 * weight gradients, their large products split across the threads.
 */
function backwardMany<A extends FloatArray>(w: WasmKernels, threads: ThreadPool | null, dirs: BackwardDir<A>[], retain: boolean): RnnGradsOut<A>[] {
  try {
    return backwardRun(w, threads, dirs, retain);
  } finally {
    // With retain the saved state stays (pinned, or the copied-out block) for another backward;
    // the FinalizationRegistry still releases it if that never comes.
    if (!retain) for (const dir of dirs) if (dir.saved.pinned !== null) w.arena.unpin(dir.saved.pinned);
  }
}

function backwardRun<A extends FloatArray>(w: WasmKernels, threads: ThreadPool | null, dirs: BackwardDir<A>[], retain: boolean): RnnGradsOut<A>[] {
  w.arena.reset();
  // Pinned state is read in place; copied-out state comes back into scratch.
  const saveds = dirs.map((dir) => dir.saved.pinned ?? w.arena.alloc(dir.lay.size));
  const side = threads !== null && dirs.length > 1 && dirs.length <= threads.n && dirs.every((dir) => dir.d.job);
  // Side by side: one direction per thread, whole. Otherwise a direction's batch rows are split
  // into one part per thread (the forward used the same pool, so its rows qualify).
  const placed = dirs.map((dir, i) => placeBackward(w, dir, saveds[i]!, side || !threads ? 1 : threads.n, retain));
  if (side) {
    runEach(w, threads, JobKind.backward, placed.map((p) => p.jobs[0]!));
    runEach(w, threads, JobKind.weightGrads, placed.map((p) => p.placeWeightGrads(1)));
  } else {
    for (const p of placed) {
      if (p.jobs.length === 0) p.runSteps();
      else if (threads && p.jobs.length > 1) runEach(w, threads, JobKind.backward, p.jobs);
      else for (const job of p.jobs) w.k.runLayerBackward(job);
      const job = p.placeWeightGrads(threads ? threads.n : 1);
      if (threads) runOnThreads(threads, job, JobKind.weightGrads, () => w.k.runWeightGrads(job, 0));
      else w.k.runWeightGrads(job, 0);
    }
  }
  return placed.map((p) => p.collect());
}

/**
 * The WebAssembly SIMD recurrent kernel (float32 only). `supports()` is false for float64 and
 * wherever WebAssembly SIMD is missing or the reference path is forced, so callers fall back
 * to the reference kernel.
 */
export const wasmRnnKernel: RnnKernel = {
  name: 'wasm',
  supports(x: FloatArray): boolean {
    return x instanceof Float32Array && wasmKernels() !== null;
  },
  forward<A extends FloatArray>(args: RnnForwardArgs<A>): RnnForwardResult<A> {
    const w = wasmKernels();
    if (!w || !(args.x instanceof Float32Array)) {
      throw new TypeError(`wasm RnnKernel: expected Float32Array input with WebAssembly SIMD available (check supports() first), got ${args.x.constructor.name}`);
    }
    const run = (a: RnnForwardArgs<A>): RnnForwardResult<A> => {
      const threads = threadsFor(a.spec);
      return forward(threads ? threads.w : w, a, threads);
    };
    return wantsSegments(args) ? forwardSegmented(args, run) : run(args);
  },
  forwardMany,
};
