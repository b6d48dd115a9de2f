/**
 * The fused recurrent kernel on the native tier: implements `RnnKernel` (src/kernels/rnn.ts) for
 * float32 and hands anything else (float64, native not loaded or not chosen) to the WebAssembly
 * kernel, which falls back to the reference by itself. PyTorch twin: the CPU `_VF.lstm` /
 * `_VF.gru` / `_VF.rnn_tanh` / `_VF.rnn_relu` layer loops (aten/src/ATen/native/RNN.cpp), one
 * direction of one layer at a time.
 *
 * One addon call runs a direction's whole forward (native/kernels.c: the input projection of all
 * steps as one GEMM, then per step one GEMM on W_hh and the fused cell) on the caller's arrays;
 * what backward needs is kept in ordinary Float32Arrays owned by the backward closure (the garbage
 * collector frees them if it never runs; a backward hands them back for reuse), and one call runs
 * the whole BPTT plus the weight gradients. Threads
 * (setNumThreads) split the batch rows and the big products inside the addon; results do not
 * depend on the thread count, so deterministic mode needs nothing more.
 */
import { RuntimeError } from '../../errors.js';
import {
  type FloatArray,
  forwardInTurn,
  layerDims,
  type RnnForwardArgs,
  type RnnForwardManyResult,
  type RnnForwardResult,
  type RnnGradsIn,
  type RnnGradsOut,
  type RnnKernel,
} from '../rnn.js';
import { wasmRnnKernel } from '../wasm/rnn.js';
import { call, type LayerCallArgs, type NativeAddon, nativeKernels } from './loader.js';

const MODES = { RNN_TANH: 0, RNN_RELU: 1, LSTM: 2, GRU: 3 } as const;

const f32 = (n: number): Float32Array => new Float32Array(n);

/**
 * Saved-state arrays of finished backwards, by length, for the next forwards: a training loop asks
 * for the same sizes every step, and a fresh array of tens of MB costs its zeroing, its page faults
 * and garbage-collector pressure. The kernel writes every element it later reads, so a reused
 * array needs no clearing. At most SPARE_BYTES are held.
 */
const spare = new Map<number, Float32Array[]>();
const SPARE_BYTES = 256 << 20;
let spareBytes = 0;

function take(n: number): Float32Array {
  const a = spare.get(n)?.pop();
  if (!a) return f32(n);
  spareBytes -= a.byteLength;
  return a;
}

function give(a: Float32Array | null): void {
  if (!a || spareBytes + a.byteLength > SPARE_BYTES) return;
  spare.set(a.length, [...(spare.get(a.length) ?? []), a]);
  spareBytes += a.byteLength;
}
/** A gradient in float32 (the ops pass the forward's dtype; anything else is converted). */
const asF32 = (a: FloatArray | null | undefined): Float32Array | null => (a == null ? null : a instanceof Float32Array ? a : Float32Array.from(a));

function allF32(args: RnnForwardArgs): boolean {
  const { x, h0, c0, weights: w } = args;
  return [x, h0, c0, w.wIh, w.wHh, w.bIh, w.bHh, w.wHr].every((a) => a === null || a instanceof Float32Array);
}

function supports(x: FloatArray): boolean {
  return x instanceof Float32Array && nativeKernels() !== null;
}

/** One direction ready for the addon: its forward arguments, outputs, and how to run its backward. */
interface Direction<A extends FloatArray> {
  /** The addon forward's arguments. */
  argv: LayerCallArgs;
  result: { y: A; hN: A; cN: A | null };
  /** The addon backward's arguments for these gradients, and how to finish (outputs; saved state handed back unless retained). */
  backward: ((grads: RnnGradsIn<A>) => { argv: LayerCallArgs; finish: (retain: boolean) => RnnGradsOut<A> }) | null;
}

/**
 * A direction's arrays: folded bias, state copies, saved-state arrays (reused), and its output y,
 * or (joined) a view of column `col` of a (total, ldy) output shared with other directions.
 */
function prepare<A extends FloatArray>(args: RnnForwardArgs<A>, joined: { y: Float32Array; col: number; ldy: number } | null): Direction<A> {
  const { spec, weights: w, needsGrad } = args;
  const { H, I, GH, Hout, B, total, lstm } = layerDims(spec);
  const gru = spec.mode === 'GRU';
  const proj = lstm && spec.projSize > 0;
  // b_ih + b_hh folded into one row (the GRU's n block of b_hh stays apart: it sits inside r * (...)).
  const bias = f32(GH);
  for (let j = 0; j < GH; j++) bias[j] = (w.bIh ? w.bIh[j] : 0) + (w.bHh && !(gru && j >= 2 * H) ? w.bHh[j] : 0);
  const bHn = gru ? (w.bHh ? (w.bHh.slice(2 * H, 3 * H) as Float32Array) : f32(H)) : null;
  const h = args.h0.slice(0, B * Hout) as Float32Array;
  const c = lstm ? (args.c0 ? (args.c0.slice(0, B * H) as Float32Array) : f32(B * H)) : null;
  const y = joined ? joined.y : f32(total * Hout);
  const saved = needsGrad
    ? {
        gates: take(total * GH),
        hPrev: take(total * Hout),
        cPrev: lstm ? take(total * H) : null,
        cNew: lstm ? take(total * H) : null,
        hg: gru ? take(total * GH) : null,
        hUnproj: proj ? take(total * H) : null,
      }
    : null;
  const ints = (ldy: number): Int32Array => Int32Array.of(MODES[spec.mode], spec.reverse ? 1 : 0, H, I, Hout, ldy);
  const wHr = proj ? (w.wHr as Float32Array) : null;
  const x = args.x as Float32Array;
  const [wIh, wHh] = [w.wIh as Float32Array, w.wHh as Float32Array];
  const argv = [ints(joined?.ldy ?? Hout), spec.batchSizes, x, wIh, wHh, wHr, bias, bHn, h, c, joined ? y.subarray(joined.col) : y];
  argv.push(saved?.gates ?? null, saved?.hPrev ?? null, saved?.cPrev ?? null, saved?.cNew ?? null, saved?.hg ?? null, saved?.hUnproj ?? null);
  let s = saved;
  const backward = (grads: RnnGradsIn<A>): ReturnType<NonNullable<Direction<A>['backward']>> => {
    if (!s) throw new RuntimeError('RnnKernel backward called after its saved buffers were released (only calls with retain keep them)');
    const dh = f32(B * Hout);
    if (grads.dhN) dh.set(grads.dhN.subarray(0, B * Hout));
    const dc = lstm ? f32(B * H) : null;
    if (dc && grads.dcN) dc.set(grads.dcN.subarray(0, B * H));
    const out = {
      dx: grads.needsDx === false ? null : f32(total * I),
      dWIh: f32(GH * I),
      dWHh: f32(GH * Hout),
      dBIh: w.bIh ? f32(GH) : null,
      dBHh: w.bHh ? f32(GH) : null,
      dWHr: proj ? f32(Hout * H) : null,
    };
    const sv = s;
    const bargv = [ints(0), spec.batchSizes, x, wIh, wHh, wHr, sv.gates, sv.hPrev, sv.cPrev, sv.cNew, sv.hg, sv.hUnproj, asF32(grads.dy), dh, dc];
    bargv.push(out.dx, out.dWIh, out.dWHh, out.dBIh, out.dBHh, out.dWHr);
    const finish = (retain: boolean): RnnGradsOut<A> => {
      if (!retain) {
        for (const a of Object.values(sv)) give(a);
        s = null;
      }
      return { ...out, dh0: dh, dc0: dc } as RnnGradsOut<A>;
    };
    return { argv: bargv, finish };
  };
  return { argv, result: { y: y as A, hN: h as A, cN: c as A | null }, backward: needsGrad ? backward : null };
}

/** The addon now, or the one that ran the forward (native turned off since: finish on it, on one thread). */
const addonFor = (k: NativeAddon): NativeAddon => nativeKernels() ?? k;

function forward<A extends FloatArray>(args: RnnForwardArgs<A>): RnnForwardResult<A> {
  const k = nativeKernels();
  if (!k || !allF32(args)) return wasmRnnKernel.forward(args);
  const d = prepare(args, null);
  call(() => k.forward(...(d.argv as [Int32Array, Int32Array, ...Float32Array[]])));
  const back = d.backward;
  const backward = (grads: RnnGradsIn<A>, retain = false): RnnGradsOut<A> => {
    const b = back!(grads);
    call(() => addonFor(k).backward(...(b.argv as [Int32Array, Int32Array, ...Float32Array[]])));
    return b.finish(retain);
  };
  return { ...d.result, backward: back ? backward : null };
}

/**
 * Independent directions (a bidirectional layer's two) in one addon call: side by side, one per
 * thread, when the pool has a thread for each (else in turn inside the addon); the outputs joined
 * when asked and every direction has the same rows. Backward likewise. The same bits as `forward`
 * of each in turn: a direction's results do not depend on the threads it runs on.
 */
function forwardMany<A extends FloatArray>(argsList: RnnForwardArgs<A>[], join = false): RnnForwardManyResult<A> {
  const k = nativeKernels();
  if (!k || !argsList.every(allF32)) return wasmRnnKernel.forwardMany(argsList, join);
  if (argsList.length < 2 || argsList.length > 8) return forwardInTurn({ forward }, argsList);
  const all = argsList.every((a) => a.needsGrad);
  const dims = argsList.map((a) => layerDims(a.spec));
  const width = dims.reduce((n, d) => n + d.Hout, 0);
  const joinable = join && dims.every((d) => d.total === dims[0].total);
  const y = joinable ? f32(dims[0].total * width) : null;
  let col = 0;
  const dirs = argsList.map((a, i) => {
    const d = prepare({ ...a, needsGrad: all }, y ? { y, col, ldy: width } : null);
    col += dims[i].Hout;
    return d;
  });
  call(() => k.forwardMany(dirs.map((d) => d.argv)));
  const backward = (grads: RnnGradsIn<A>[], retain = false): RnnGradsOut<A>[] => {
    const bs = dirs.map((d, i) => d.backward!(grads[i]));
    call(() => addonFor(k).backwardMany(bs.map((b) => b.argv)));
    return bs.map((b) => b.finish(retain));
  };
  return {
    results: dirs.map(({ result: r }) => ({ y: y ? null : r.y, hN: r.hN, cN: r.cN })),
    joined: y as A | null,
    backward: all ? backward : null,
  };
}

/** The native recurrent kernel (float32; the WebAssembly kernel, then the reference, for anything else). */
export const nativeRnnKernel: RnnKernel = { name: 'native', supports, forward, forwardMany };
