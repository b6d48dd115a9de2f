/**
 * Where the wasm recurrent kernel puts things: the sizes it branches on, the layout of the
 * state a forward saves for its backward, and the job blocks it writes for assembly/layer.ts
 * (whose fields come from assembly/abi.ts through abi.generated.ts, so no slot is spelled here).
 * Nothing here allocates a JavaScript object per call beyond the results: jobs are written
 * word by word into the arena (each call's garbage is charged to every later call's GC).
 */
import { type FloatArray, type LayerDims, layerDims, type RnnForwardArgs, type RnnLayerSpec, type RnnMode, type RnnWeights } from '../rnn.js';
import { CellMode, LayerJob } from './abi.generated.js';
import type { WasmKernels } from './loader.js';

/** The contract's layer sizes plus what this kernel branches on. */
export interface Dims extends LayerDims {
  gru: boolean;
  proj: boolean;
  /** assembly/abi.ts's CellMode of the layer. */
  mode: number;
}

const modes: Record<RnnMode, number> = { RNN_TANH: CellMode.rnnTanh, RNN_RELU: CellMode.rnnRelu, LSTM: CellMode.lstm, GRU: CellMode.gru };

export function dims(spec: RnnLayerSpec): Dims {
  return { ...layerDims(spec), gru: spec.mode === 'GRU', proj: spec.mode === 'LSTM' && spec.projSize > 0, mode: modes[spec.mode] };
}

/**
 * Where forward keeps what backward needs, as float offsets relative to the start of the saved
 * block. Absent entries are -1.
 */
export interface SavedLayout {
  size: number;
  x: number; // (total, I)
  gates: number; // (total, GH): activations
  hPrev: number; // (total, Hout): h_{t-1} rows each step read
  cPrev: number; // (total, H) LSTM
  cNew: number; // (total, H) LSTM
  hg: number; // (total, 3H) GRU: W_hh h_{t-1}, n block W_hn h + b_hn
  hUnproj: number; // (total, H) LSTM with projection: o * tanh(c) before W_hr
}

export function savedLayout(d: Dims): SavedLayout {
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

/**
 * bIh + bHh folded into one row of GH floats written at byte offset `at` (GRU: the n block of
 * bHh stays apart, inside r * (...)). Straight into the arena: no array per call.
 */
export function writeFoldedBias(f: Float32Array, at: number, d: Dims, w: RnnWeights): void {
  const o = at >> 2;
  const nEnd = d.gru ? 2 * d.H : d.GH;
  const { bIh, bHh } = w;
  for (let j = 0; j < d.GH; j++) f[o + j] = (bIh ? bIh[j] : 0) + (bHh && j < nEnd ? bHh[j] : 0);
}

/**
 * n floats at byte offset `at` of the arena, copied into a new array of `like`'s type (always
 * Float32Array here: the kernel admits no other).
 */
export function copyOut<A extends FloatArray>(like: A, f: Float32Array, at: number, n: number): A {
  return new (like.constructor as new (src: Float32Array) => A)(f.subarray(at >> 2, (at >> 2) + n));
}

/**
 * A job block of `words` words (an abi.generated.ts layout's size) in the arena, every word zero
 * (0 = absent pointer, false flag); returns its byte offset. The caller writes its fields as
 * `w.arena.i32()[(job >> 2) + LayerJob.T] = T` after its last alloc (no object per job).
 */
export function newJob(w: WasmKernels, words: number): number {
  const at = w.arena.alloc(words);
  w.arena.i32().fill(0, at >> 2, (at >> 2) + words);
  return at;
}

/** Write a part's step list (batch sizes, then row offsets) and point LayerJob `job` at it. */
export function writeSteps(w: WasmKernels, job: number, bs: Int32Array, offs: Int32Array): void {
  const at = w.arena.alloc(2 * bs.length);
  const i32 = w.arena.i32();
  i32.set(bs, at >> 2);
  i32.set(offs, (at >> 2) + bs.length);
  i32[(job >> 2) + LayerJob.batchSizes] = at;
  i32[(job >> 2) + LayerJob.offs] = at + bs.length * 4;
}

/**
 * Reorder the `width`-float rows of a full sequence within the arena view `f` between time-major
 * (row t*B + b) and batch-first (row b*T + t): from `src` (rows `ld` apart) into dense rows at
 * `dst`, to batch-first when `toBf`, else from batch-first. One `copyWithin` per row (no array
 * per row, and faster than an element loop).
 */
function swapRows(f: Float32Array, src: number, ld: number, dst: number, width: number, d: Dims, toBf: boolean): void {
  const { B, T } = d;
  for (let r = 0; r < d.total; r++) {
    const t = Math.floor(r / B);
    const bt = (r - t * B) * T + t;
    const from = src + (toBf ? r : bt) * ld;
    f.copyWithin(dst + (toBf ? bt : r) * width, from, from + width);
  }
}

/**
 * Place the rows of `src` (`width` wide; batch-first when `bf`) as the dense time-major rows at
 * byte `at` of the arena (reordered from a staging copy when batch-first).
 */
export function placeRows(w: WasmKernels, src: Float32Array, bf: boolean, at: number, width: number, d: Dims): void {
  const n = d.total * width;
  const tmp = bf ? w.arena.alloc(n) : at;
  const f = w.arena.f32();
  f.set(src.subarray(0, n), tmp >> 2);
  if (bf) swapRows(f, tmp >> 2, width, at >> 2, width, d, false);
}

/**
 * `width` floats of every row out of the arena (time-major, rows `ld` apart from byte `at`) into
 * a new array of `like`'s type, batch-first when `bf` (reordered in the arena first).
 */
export function rowsOut<A extends FloatArray>(like: A, w: WasmKernels, at: number, ld: number, width: number, d: Dims, bf: boolean): A {
  const tmp = bf ? w.arena.alloc(d.total * width) : at;
  const f = w.arena.f32();
  if (bf) swapRows(f, at >> 2, ld, tmp >> 2, width, d, true);
  return copyOut(like, f, tmp, d.total * width);
}

/** The packed weights and biases of a direction in the arena (byte offsets; 0 = absent). */
export interface PlacedWeights {
  wIh: number;
  wHh: number;
  wHr: number;
  bias: number;
  bHn: number;
}

export function placeWeights(w: WasmKernels, args: RnnForwardArgs, d: Dims): PlacedWeights {
  const { k, arena } = w;
  const { H, I, Hout, GH } = d;
  const wIh = arena.alloc(k.packedSize(GH, I));
  const wHh = arena.alloc(k.packedSize(GH, Hout));
  const wHr = d.proj ? arena.alloc(k.packedSize(Hout, H)) : 0;
  const raw = arena.alloc(Math.max(GH * I, GH * Hout, Hout * H));
  const bias = arena.alloc(GH);
  const bHn = arena.alloc(H);
  const f = arena.f32();
  f.set(args.weights.wIh, raw >> 2);
  k.packW(raw, I, 1, GH, I, wIh);
  f.set(args.weights.wHh, raw >> 2);
  k.packW(raw, Hout, 1, GH, Hout, wHh);
  if (d.proj) {
    f.set(args.weights.wHr!, raw >> 2);
    k.packW(raw, H, 1, Hout, H, wHr);
  }
  writeFoldedBias(f, bias, d, args.weights);
  f.fill(0, bHn >> 2, (bHn >> 2) + H);
  if (d.gru && args.weights.bHh) f.set(args.weights.bHh.subarray(2 * H, 3 * H), bHn >> 2);
  return { wIh, wHh, wHr, bias, bHn };
}
