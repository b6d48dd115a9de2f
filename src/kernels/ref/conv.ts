/**
 * Reference 1-D convolution kernels: im2col + GEMM forward, GEMM + col2im backward (as
 * PyTorch's CPU "slow_conv" path). Flat arrays only; the GEMM is passed in so the backend's fast
 * one does the arithmetic.
 *
 * Legend (N batch, Cin/Cout channels, G groups, Cg = Cin/G, Og = Cout/G, K kernel taps,
 * L input length, Lout output length):
 *   inp is (N, Cin, L), weight is (Cout, Cg, K), bias is (Cout), out is (N, Cout, Lout)
 *   cols (scratch) is (Cg*K, Lout): cols[(c*K + k), t] = inp[n, g*Cg + c, t*stride - padLeft + k*dilation]
 *   (or its transpose colsT (Lout, Cg*K)), so every GEMM reads both operands along contiguous rows
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

/**
 * What `patches` does: im2col into cols (Cg*K, Lout) or colsT (Lout, Cg*K) (row t holds the
 * receptive field of output t), or col2im: inp += the adjoint of im2col applied to colsT.
 */
const Patch = { cols: 0, colsT: 1, addBack: 2 } as const;
type PatchMode = (typeof Patch)[keyof typeof Patch];

/**
 * The im2col patches of sample n, group g, between the input `inp` (N, Cin, L) and the patch
 * matrix `cols`: gathered into cols or colsT, or scattered back (addBack). Each GEMM below picks
 * the layout that makes both of its operands' inner loops contiguous.
 */
function patches(s: Conv1dShape, inp: FloatStorage, n: number, g: number, cols: FloatStorage, mode: PatchMode): void {
  const cg = s.cin / s.groups;
  const ck = cg * s.k;
  for (let c = 0; c < cg; c++) {
    const row = (n * s.cin + g * cg + c) * s.l;
    for (let k = 0; k < s.k; k++) {
      const r = c * s.k + k;
      const shift = k * s.dilation - s.padLeft;
      for (let t = 0; t < s.lout; t++) {
        const p = source(t * s.stride + shift, s.l, s.paddingMode);
        if (mode === Patch.addBack) {
          if (p >= 0) inp[row + p] += cols[t * ck + r];
        } else cols[mode === Patch.colsT ? t * ck + r : r * s.lout + t] = p < 0 ? 0 : inp[row + p];
      }
    }
  }
}

function scratch(like: FloatStorage, len: number): FloatStorage {
  return like instanceof Float64Array ? new Float64Array(len) : new Float32Array(len);
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
  const ck = cg * s.k;
  const colsT = scratch(inp, s.lout * ck);
  for (let n = 0; n < s.n; n++) {
    for (let o = 0; o < s.cout; o++) out.fill(bias === null ? 0 : bias[o], (n * s.cout + o) * s.lout, (n * s.cout + o + 1) * s.lout);
    for (let g = 0; g < s.groups; g++) {
      patches(s, inp, n, g, colsT, Patch.colsT);
      // out[n, g*Og:(g+1)*Og] (Og, Lout) += W_g (Og, Cg*K) · colsTᵀ (Cg*K, Lout)
      gemm({
        m: og, n: s.lout, k: ck,
        a: weight, offsetA: g * og * ck,
        b: colsT, transB: true,
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
  const ck = cg * s.k;
  const { dinp, dweight, dbias } = grads;
  if (dbias !== null) {
    for (let n = 0; n < s.n; n++) {
      for (let o = 0; o < s.cout; o++) {
        let acc = 0;
        const base = (n * s.cout + o) * s.lout;
        for (let t = 0; t < s.lout; t++) acc += dout[base + t];
        dbias[o] += acc;
      }
    }
  }
  const cols = dweight === null ? null : scratch(inp, ck * s.lout);
  // For dinp: Wᵀ per group (Cg*K, Og) and doutᵀ per sample and group (Lout, Og).
  let wT: FloatStorage | null = null;
  let doutT: FloatStorage | null = null;
  let dcolsT: FloatStorage | null = null;
  if (dinp !== null) {
    wT = scratch(inp, s.cout * ck);
    for (let g = 0; g < s.groups; g++) {
      for (let o = 0; o < og; o++) {
        for (let r = 0; r < ck; r++) wT[g * og * ck + r * og + o] = weight[(g * og + o) * ck + r];
      }
    }
    doutT = scratch(inp, s.lout * og);
    dcolsT = scratch(inp, s.lout * ck);
  }
  for (let n = 0; n < s.n; n++) {
    for (let g = 0; g < s.groups; g++) {
      const offOut = (n * s.cout + g * og) * s.lout;
      if (dweight !== null && cols !== null) {
        patches(s, inp, n, g, cols, Patch.cols);
        // dW_g (Og, Cg*K) += dout_ng (Og, Lout) · colsᵀ (Lout, Cg*K)
        gemm({
          m: og, n: ck, k: s.lout,
          a: dout, offsetA: offOut,
          b: cols, transB: true,
          c: dweight, offsetC: g * og * ck,
          accumulate: true,
        });
      }
      if (dinp !== null && wT !== null && doutT !== null && dcolsT !== null) {
        for (let o = 0; o < og; o++) {
          for (let t = 0; t < s.lout; t++) doutT[t * og + o] = dout[offOut + o * s.lout + t];
        }
        // dcolsT (Lout, Cg*K) = doutᵀ (Lout, Og) · W_g (Og, Cg*K), W_g given as Wᵀ (Cg*K, Og)
        gemm({
          m: s.lout, n: ck, k: og,
          a: doutT,
          b: wT, offsetB: g * og * ck, transB: true,
          c: dcolsT,
        });
        patches(s, dinp, n, g, dcolsT, Patch.addBack);
      }
    }
  }
}
