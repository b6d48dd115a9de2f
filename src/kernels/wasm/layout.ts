/**
 * Where the wasm recurrent kernel puts things: the sizes it branches on, the layout of the
 * state a forward saves for its backward, and the job blocks it writes for assembly/layer.ts
 * (whose fields come from assembly/abi.ts through abi.generated.ts, so no slot is spelled here).
 */
import { type FloatArray, type LayerDims, layerDims, type RnnLayerSpec, type RnnMode, type RnnWeights } from '../rnn.js';
import { CellMode } from './abi.generated.js';
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

/** bIh + bHh folded into one row (GRU: the n block of bHh stays apart, inside r * (...)). */
export function foldedBias(d: Dims, w: RnnWeights): Float32Array {
  const bias = new Float32Array(d.GH);
  const nEnd = d.gru ? 2 * d.H : d.GH;
  for (let j = 0; j < d.GH; j++) bias[j] = (w.bIh ? w.bIh[j] : 0) + (w.bHh && j < nEnd ? w.bHh[j] : 0);
  return bias;
}

/** A new array of the caller's type (always Float32Array here: the kernel admits no other). */
export function maker<A extends FloatArray>(like: A): (src: Float32Array) => A {
  const Ctor = like.constructor as new (src: Float32Array) => A;
  return (src) => new Ctor(src);
}

/**
 * Write a job block of the given layout (an abi.generated.ts word map) at `at`: the given
 * fields, every other word zero (0 = absent pointer, false flag).
 */
export function writeJob<F extends string>(w: WasmKernels, at: number, layout: Readonly<Record<F, number>>, words: number, fields: Partial<Record<F, number>>): void {
  const i32 = new Int32Array(w.arena.memory.buffer, at, words);
  i32.fill(0);
  for (const [name, value] of Object.entries(fields) as [F, number][]) i32[layout[name]] = value;
}

/** Write a step list (batch sizes, then row offsets) and return its two addresses. */
export function writeSteps(w: WasmKernels, bs: Int32Array, offs: Int32Array): { batchSizes: number; offs: number } {
  const at = w.arena.alloc(2 * bs.length);
  const i32 = new Int32Array(w.arena.memory.buffer);
  i32.set(bs, at >> 2);
  i32.set(offs, (at >> 2) + bs.length);
  return { batchSizes: at, offs: at + bs.length * 4 };
}
