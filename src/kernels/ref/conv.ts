/**
 * Reference 1-D convolution kernels: im2col + GEMM forward, GEMM + col2im backward (as
 * PyTorch's CPU "slow_conv" path). Flat arrays only; the GEMM is passed in so the backend's fast
 * one does the arithmetic.
 *
 * Legend (N batch, Cin/Cout channels, G groups, Cg = Cin/G, Og = Cout/G, K kernel taps,
 * L input length, Lout output length):
 *   inp is (N, Cin, L), weight is (Cout, Cg, K), bias is (Cout), out is (N, Cout, Lout)
 *   cols (scratch) is (Cg*K, Lout): cols[(c*K + k), t] = inp[n, g*Cg + c, t*stride - padLeft + k*dilation]
 */

import type { FloatStorage } from '../../tensor/dtype.js';
import type { GemmArgs } from './matmul.js';

/** How positions left of 0 or right of L-1 read the input. PyTorch: Conv1d's `padding_mode`. */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export interface Conv1dShape {
  n: number;
  cin: number;
  l: number;
  cout: number;
  k: number;
  lout: number;
  stride: number;
  /** Padding before position 0 (the padding after it only changes Lout). */
  padLeft: number;
  dilation: number;
  groups: number;
  paddingMode: PaddingMode;
}

export type Gemm = (p: GemmArgs) => void;

/** The input position a padded position p reads, or -1 for a zero. */
function source(p: number, l: number, mode: PaddingMode): number {
  if (p >= 0 && p < l) return p;
  switch (mode) {
    case 'zeros':
      return -1;
    case 'reflect':
      return p < 0 ? -p : 2 * (l - 1) - p;
    case 'replicate':
      return p < 0 ? 0 : l - 1;
    case 'circular':
      return ((p % l) + l) % l;
  }
}

/** True when cols would equal the input slice itself (1x1 kernel, stride 1, no padding). */
function identityCols(s: Conv1dShape): boolean {
  return s.k === 1 && s.stride === 1 && s.padLeft === 0 && s.lout === s.l;
}

/** cols (Cg*K, Lout) for sample n, group g. */
function im2col(s: Conv1dShape, inp: FloatStorage, n: number, g: number, cols: FloatStorage): void {
  const cg = s.cin / s.groups;
  for (let c = 0; c < cg; c++) {
    const row = (n * s.cin + g * cg + c) * s.l;
    for (let k = 0; k < s.k; k++) {
      const base = (c * s.k + k) * s.lout;
      const shift = k * s.dilation - s.padLeft;
      for (let t = 0; t < s.lout; t++) {
        const p = source(t * s.stride + shift, s.l, s.paddingMode);
        cols[base + t] = p < 0 ? 0 : inp[row + p]!;
      }
    }
  }
}

/** dinp[n, group g] += col2im(dcols): the adjoint of im2col. */
function col2im(s: Conv1dShape, dcols: FloatStorage, n: number, g: number, dinp: FloatStorage): void {
  const cg = s.cin / s.groups;
  for (let c = 0; c < cg; c++) {
    const row = (n * s.cin + g * cg + c) * s.l;
    for (let k = 0; k < s.k; k++) {
      const base = (c * s.k + k) * s.lout;
      const shift = k * s.dilation - s.padLeft;
      for (let t = 0; t < s.lout; t++) {
        const p = source(t * s.stride + shift, s.l, s.paddingMode);
        if (p >= 0) dinp[row + p]! += dcols[base + t]!;
      }
    }
  }
}

/** out = conv1d(inp, weight) + bias. `out` is fully overwritten. */
export function conv1dForward(
  gemm: Gemm,
  s: Conv1dShape,
  inp: FloatStorage,
  weight: FloatStorage,
  bias: FloatStorage | null,
  out: FloatStorage,
): void {
  const cg = s.cin / s.groups;
  const og = s.cout / s.groups;
  const direct = identityCols(s);
  const cols = direct ? inp : inp instanceof Float64Array ? new Float64Array(cg * s.k * s.lout) : new Float32Array(cg * s.k * s.lout);
  for (let n = 0; n < s.n; n++) {
    for (let o = 0; o < s.cout; o++) out.fill(bias === null ? 0 : bias[o]!, (n * s.cout + o) * s.lout, (n * s.cout + o + 1) * s.lout);
    for (let g = 0; g < s.groups; g++) {
      if (!direct) im2col(s, inp, n, g, cols);
      // out[n, g*Og:(g+1)*Og] (Og, Lout) += W_g (Og, Cg*K) · cols (Cg*K, Lout)
      gemm({
        m: og, n: s.lout, k: cg * s.k,
        a: weight, offsetA: g * og * cg * s.k,
        b: cols, offsetB: direct ? (n * s.cin + g * cg) * s.l : 0,
        c: out, offsetC: (n * s.cout + g * og) * s.lout,
        accumulate: true,
      });
    }
  }
}

/** Which gradients to compute (null: not needed); each is accumulated into (+=). */
export interface Conv1dGrads {
  dinp: FloatStorage | null;
  dweight: FloatStorage | null;
  dbias: FloatStorage | null;
}

/** Gradients of conv1dForward given dout (N, Cout, Lout). Accumulates into the given arrays. */
export function conv1dBackward(
  gemm: Gemm,
  s: Conv1dShape,
  inp: FloatStorage,
  weight: FloatStorage,
  dout: FloatStorage,
  grads: Conv1dGrads,
): void {
  const cg = s.cin / s.groups;
  const og = s.cout / s.groups;
  const { dinp, dweight, dbias } = grads;
  if (dbias !== null) {
    for (let n = 0; n < s.n; n++) {
      for (let o = 0; o < s.cout; o++) {
        let acc = 0;
        const base = (n * s.cout + o) * s.lout;
        for (let t = 0; t < s.lout; t++) acc += dout[base + t]!;
        dbias[o]! += acc;
      }
    }
  }
  if (dinp === null && dweight === null) return;
  const direct = identityCols(s);
  const make = (len: number): FloatStorage => (inp instanceof Float64Array ? new Float64Array(len) : new Float32Array(len));
  const cols = direct ? inp : make(cg * s.k * s.lout);
  const dcols = dinp === null ? null : direct ? dinp : make(cg * s.k * s.lout);
  for (let n = 0; n < s.n; n++) {
    for (let g = 0; g < s.groups; g++) {
      const offOut = (n * s.cout + g * og) * s.lout;
      const offCols = direct ? (n * s.cin + g * cg) * s.l : 0;
      if (dweight !== null) {
        if (!direct) im2col(s, inp, n, g, cols);
        // dW_g (Og, Cg*K) += dout_ng (Og, Lout) · colsᵀ (Lout, Cg*K)
        gemm({
          m: og, n: cg * s.k, k: s.lout,
          a: dout, offsetA: offOut,
          b: cols, offsetB: offCols, transB: true,
          c: dweight, offsetC: g * og * cg * s.k,
          accumulate: true,
        });
      }
      if (dcols !== null && dinp !== null) {
        // dcols (Cg*K, Lout) = W_gᵀ (Cg*K, Og) · dout_ng (Og, Lout); col2im adds it into dinp.
        gemm({
          m: cg * s.k, n: s.lout, k: og,
          a: weight, offsetA: g * og * cg * s.k, transA: true,
          b: dout, offsetB: offOut,
          c: dcols, offsetC: direct ? offCols : 0,
          accumulate: direct,
        });
        if (!direct) col2im(s, dcols, n, g, dinp);
      }
    }
  }
}
