/**
 * Differential cases shared by test/kernels-differential.test.ts, test/kernels-wasm.test.ts and
 * the relaxed-SIMD child process (test/kernels-wasm-relaxed.child.ts): a kernel (float32; the
 * WebAssembly one by default) against the reference kernel (run in float64), outputs and every
 * gradient.
 */
import { refRnnKernel } from '../src/kernels/ref/rnn.js';
import type { RnnGradsOut, RnnKernel, RnnLayerSpec, RnnMode, RnnWeights } from '../src/kernels/rnn.js';
import { gateCount, stepOffsets } from '../src/kernels/rnn.js';
import { wasmRnnKernel } from '../src/kernels/wasm/index.js';

/**
 * The float32 tolerance: |fast - ref| <= F32_RTOL * (|ref| + scale), scale = the largest |ref|
 * of the array (so entries that cancel to near zero are judged at the array's magnitude).
 */
export const F32_RTOL = 1e-5;

export interface Case {
  mode: RnnMode;
  reverse: boolean;
  packed: boolean;
  bias: boolean;
  projSize: number;
  hidden: number;
  /** Input size (default 5). */
  input?: number;
  /** Put NaN and +-Inf into x. */
  nonFinite?: boolean;
  /** Leave dy / dhN / dcN out (null = zeros). */
  nullGrads?: boolean;
  /** Batch 12 instead of 4 (enough rows to split across threads). */
  wide?: boolean;
}

export function caseName(c: Case): string {
  return `${c.mode} H=${c.hidden}${c.projSize ? ` proj=${c.projSize}` : ''}${c.reverse ? ' reverse' : ''}${c.packed ? ' packed' : ''}${c.bias ? '' : ' no-bias'}${c.nonFinite ? ' NaN/Inf' : ''}${c.nullGrads ? ' null-grads' : ''}${c.wide ? ' B=12' : ''}`;
}

/** Every mode x direction x packing x bias, plus projection, odd sizes, NaN/Inf, null grads. */
export function allCases(): Case[] {
  const out: Case[] = [];
  for (const mode of ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'] as RnnMode[]) {
    for (const reverse of [false, true]) {
      for (const packed of [false, true]) {
        for (const bias of [true, false]) {
          out.push({ mode, reverse, packed, bias, projSize: 0, hidden: 6 });
          if (mode === 'LSTM') out.push({ mode, reverse, packed, bias, projSize: 3, hidden: 6 });
        }
      }
      out.push({ mode, reverse, packed: true, bias: true, projSize: 0, hidden: 20, nullGrads: true });
      out.push({ mode, reverse, packed: true, bias: true, projSize: 0, hidden: 9, nonFinite: true });
    }
  }
  return out;
}

/** Deterministic values (cos of a ramp), in float32. */
function det(n: number, seed: number, scale = 0.5): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7 + seed) * scale);
}

export interface Mismatch {
  what: string;
  index: number;
  fast: number;
  ref: number;
}

/** First element of `fast` outside the tolerance of `ref` (NaN must match NaN, Inf exactly). */
export function firstMismatch(what: string, fast: ArrayLike<number> | null, ref: ArrayLike<number> | null): Mismatch | null {
  if (fast === null || ref === null) {
    return fast === ref ? null : { what: `${what} (null vs non-null)`, index: -1, fast: Number.NaN, ref: Number.NaN };
  }
  if (fast.length !== ref.length) return { what: `${what} (length ${fast.length} vs ${ref.length})`, index: -1, fast: 0, ref: 0 };
  let scale = 0;
  for (let i = 0; i < ref.length; i++) if (Number.isFinite(ref[i]!)) scale = Math.max(scale, Math.abs(ref[i]!));
  for (let i = 0; i < ref.length; i++) {
    const a = fast[i]!;
    const b = ref[i]!;
    const ok = Number.isNaN(b) ? Number.isNaN(a) : !Number.isFinite(b) ? a === b : Math.abs(a - b) <= F32_RTOL * (Math.abs(b) + scale);
    if (!ok) return { what, index: i, fast: a, ref: b };
  }
  return null;
}

/** Inputs of one direction of a case (float32, and float64 copies for the reference). */
export interface Built {
  spec: RnnLayerSpec;
  w32: RnnWeights<Float32Array>;
  w64: RnnWeights<Float64Array>;
  x: Float32Array;
  h0: Float32Array;
  c0: Float32Array | null;
  dy: Float32Array | null;
  dhN: Float32Array | null;
  dcN: Float32Array | null;
}

const f64 = (a: Float32Array | null): Float64Array | null => (a ? Float64Array.from(a) : null);

/** The arrays of a case; `shift` moves every deterministic pattern (another direction's weights). */
export function build(c: Case, reverse = c.reverse, shift = 0): Built {
  const I = c.input ?? 5;
  const H = c.hidden;
  const G = gateCount(c.mode);
  const Hout = c.projSize || H;
  const batchSizes = Int32Array.from(c.wide ? (c.packed ? [12, 12, 9, 5, 2] : [12, 12, 12, 12, 12]) : c.packed ? [4, 4, 3, 1, 1] : [4, 4, 4, 4, 4]);
  const total = stepOffsets(batchSizes)[batchSizes.length]!;
  const B = batchSizes[0]!;
  const lstm = c.mode === 'LSTM';
  const spec: RnnLayerSpec = { mode: c.mode, inputSize: I, hiddenSize: H, projSize: c.projSize, batchSizes, reverse };
  const w32: RnnWeights<Float32Array> = {
    wIh: det(G * H * I, 0.1 + shift, 0.6),
    wHh: det(G * H * Hout, 0.2 + shift, 0.4),
    bIh: c.bias ? det(G * H, 0.3 + shift, 0.3) : null,
    bHh: c.bias ? det(G * H, 0.4 + shift, 0.3) : null,
    wHr: c.projSize ? det(Hout * H, 0.5 + shift, 0.5) : null,
  };
  const x = det(total * I, 0.6, 1.5); // the directions of a layer read the same input
  if (c.nonFinite) {
    x[3] = Number.NaN;
    x[I * 5 + 1] = Number.POSITIVE_INFINITY;
    x[I * 9 + 2] = Number.NEGATIVE_INFINITY;
  }
  const w64: RnnWeights<Float64Array> = {
    wIh: f64(w32.wIh)!,
    wHh: f64(w32.wHh)!,
    bIh: f64(w32.bIh),
    bHh: f64(w32.bHh),
    wHr: f64(w32.wHr),
  };
  return {
    spec,
    w32,
    w64,
    x,
    h0: det(B * Hout, 0.7 + shift),
    c0: lstm ? det(B * H, 0.8 + shift) : null,
    dy: c.nullGrads ? null : det(total * Hout, 0.9 + shift),
    dhN: c.nullGrads ? null : det(B * Hout, 1.0 + shift),
    dcN: c.nullGrads || !lstm ? null : det(B * H, 1.1 + shift),
  };
}

/** A function run once, its result given to every later call (a kernel's backward may run only once). */
function once<T, R>(fn: (a: T) => R): (a: T) => R {
  let r: { v: R } | null = null;
  return (a) => (r ??= { v: fn(a) }).v;
}

export const GRAD_KEYS = ['dx', 'dh0', 'dc0', 'dWIh', 'dWHh', 'dBIh', 'dBHh', 'dWHr'] as (keyof RnnGradsOut)[];

/** Runs one case through `kernel` and the reference; returns the mismatches (empty when they agree). */
export function runCase(c: Case, kernel: RnnKernel = wasmRnnKernel): Mismatch[] {
  const { spec, w32, w64, x, h0, c0, dy, dhN, dcN } = build(c);
  const out: Mismatch[] = [];
  const check = (what: string, a: ArrayLike<number> | null, b: ArrayLike<number> | null): void => {
    const m = firstMismatch(what, a, b);
    if (m) out.push(m);
  };
  const ref = refRnnKernel.forward({ spec, weights: w64, x: f64(x)!, h0: f64(h0)!, c0: f64(c0), needsGrad: true });
  const refBackward = once(ref.backward!);
  // Without grad; with grad; with grad but no dL/dx wanted (dx must come back null).
  for (const [needsGrad, needsDx] of [[false, true], [true, true], [true, false]] as const) {
    const fast = kernel.forward({ spec, weights: w32, x, h0, c0, needsGrad });
    const tag = needsGrad ? (needsDx ? ' (needsGrad)' : ' (needsGrad, no dx)') : '';
    check(`y${tag}`, fast.y, ref.y);
    check(`hN${tag}`, fast.hN, ref.hN);
    check(`cN${tag}`, fast.cN, ref.cN);
    if (!needsGrad) {
      if (fast.backward !== null) out.push({ what: 'backward kept without needsGrad', index: -1, fast: 0, ref: 0 });
      continue;
    }
    if (c.nonFinite) continue; // gradients through NaN are NaN everywhere on both sides
    const gf = fast.backward!({ dy, dhN, dcN, needsDx });
    const gr = refBackward({ dy: f64(dy), dhN: f64(dhN), dcN: f64(dcN) });
    for (const key of GRAD_KEYS) check(`${key}${tag}`, gf[key], key === 'dx' && !needsDx ? null : gr[key]);
  }
  return out;
}

/**
 * A bidirectional layer's two directions (own weights and states, one input) through the wasm
 * kernel's forwardMany (side by side on threads when a pool is up), against the reference
 * kernel run on each direction alone: outputs and every gradient, with and without needsGrad.
 */
export function runPairCase(c: Case, join = false, kernel: RnnKernel = wasmRnnKernel): Mismatch[] {
  const dirs = [build(c, false, 0), build(c, true, 2.5)];
  const out: Mismatch[] = [];
  const check = (what: string, a: ArrayLike<number> | null, b: ArrayLike<number> | null): void => {
    const m = firstMismatch(what, a, b);
    if (m) out.push(m);
  };
  const refs = dirs.map((b) => refRnnKernel.forward({ spec: b.spec, weights: b.w64, x: f64(b.x)!, h0: f64(b.h0)!, c0: f64(b.c0), needsGrad: true }));
  const refBackwards = refs.map((r) => once(r.backward!));
  for (const [needsGrad, needsDx] of [[false, true], [true, true], [true, false]] as const) {
    const fast = kernel.forwardMany(
      dirs.map((b) => ({ spec: b.spec, weights: b.w32, x: b.x, h0: b.h0, c0: b.c0, needsGrad })),
      join,
    );
    // With join (and threads up), the outputs come as one (total, 2 Hout) array: split it back.
    const Hout = c.projSize || c.hidden;
    const joined = fast.joined;
    const column = (i: number): Float32Array | null => {
      if (!joined) return null;
      const rows = joined.length / (2 * Hout);
      const out = new Float32Array(rows * Hout);
      for (let r = 0; r < rows; r++) out.set(joined.subarray(r * 2 * Hout + i * Hout, r * 2 * Hout + (i + 1) * Hout), r * Hout);
      return out;
    };
    dirs.forEach((_, i) => {
      const tag = `[dir ${i}]${needsGrad ? (needsDx ? ' (needsGrad)' : ' (needsGrad, no dx)') : ''}`;
      check(`y${tag}${joined ? ' (joined)' : ''}`, joined ? column(i) : fast.results[i]!.y, refs[i]!.y);
      check(`hN${tag}`, fast.results[i]!.hN, refs[i]!.hN);
      check(`cN${tag}`, fast.results[i]!.cN, refs[i]!.cN);
    });
    if (!needsGrad) {
      if (fast.backward !== null) out.push({ what: 'backward kept without needsGrad', index: -1, fast: 0, ref: 0 });
      continue;
    }
    if (c.nonFinite) continue;
    const gf = fast.backward!(dirs.map((b) => ({ dy: b.dy, dhN: b.dhN, dcN: b.dcN, needsDx })));
    dirs.forEach((b, i) => {
      const gr = refBackwards[i]!({ dy: f64(b.dy), dhN: f64(b.dhN), dcN: f64(b.dcN) });
      for (const key of GRAD_KEYS) check(`${key}[dir ${i}]${needsDx ? '' : ' (no dx)'}`, gf[i]![key], key === 'dx' && !needsDx ? null : gr[key]);
    });
  }
  return out;
}
