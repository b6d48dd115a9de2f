/**
 * torchlet at the kernel level: a stack of RnnKernel calls over flat arrays, per layer and
 * direction, the way the nn layers drive the kernel (inputs batch-first are transposed to
 * time-major first; a bidirectional layer's directions in one forwardMany call, output joined;
 * training = forward with needsGrad + backward of out.sum()).
 */
import type { RnnKernel, RnnLayerSpec, RnnWeights } from '../src/kernels/rnn.js';
import { gateCount } from '../src/kernels/rnn.js';
import type { Workload } from './workloads.js';

function rand(n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() * 2 - 1) * scale;
  return a;
}

export interface Runner {
  infer(): void;
  train(): void;
}

export function kernelRunner(kernel: RnnKernel, w: Workload): Runner {
  const G = gateCount(w.mode);
  const D = w.bidirectional ? 2 : 1;
  const { hidden: H, batch: B, steps: T } = w;
  const total = T * B;
  const batchSizes = new Int32Array(T).fill(B);
  const k = 1 / Math.sqrt(H);
  const layers: { spec: RnnLayerSpec; weights: RnnWeights<Float32Array> }[][] = [];
  for (let l = 0; l < w.layers; l++) {
    const I = l === 0 ? w.input : D * H;
    layers.push(
      Array.from({ length: D }, (_, d) => ({
        spec: { mode: w.mode, inputSize: I, hiddenSize: H, projSize: 0, batchSizes, reverse: d === 1 },
        weights: { wIh: rand(G * H * I, k), wHh: rand(G * H * H, k), bIh: rand(G * H, k), bHh: rand(G * H, k), wHr: null },
      })),
    );
  }
  const xIn = rand(total * w.input, 1);
  const h0 = new Float32Array(B * H);
  const c0 = w.mode === 'LSTM' ? new Float32Array(B * H) : null;

  const timeMajor = (): Float32Array => {
    if (!w.batchFirst) return xIn;
    // (B, T, I) -> (T, B, I)
    const I = w.input;
    const out = new Float32Array(total * I);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) out.set(xIn.subarray((b * T + t) * I, (b * T + t + 1) * I), (t * B + b) * I);
    return out;
  };

  /** Row r of each direction's output side by side: (total, D*H). */
  const interleave = (ys: Float32Array[]): Float32Array => {
    if (ys.length === 1) return ys[0]!;
    const out = new Float32Array(total * 2 * H);
    for (let r = 0; r < total; r++) for (let d = 0; d < 2; d++) out.set(ys[d]!.subarray(r * H, (r + 1) * H), r * 2 * H + d * H);
    return out;
  };
  /** Direction d's columns of a (total, D*H) gradient. */
  const column = (dy: Float32Array, d: number): Float32Array => {
    if (D === 1) return dy;
    const out = new Float32Array(total * H);
    for (let r = 0; r < total; r++) out.set(dy.subarray(r * 2 * H + d * H, r * 2 * H + d * H + H), r * H);
    return out;
  };

  /** Per layer: given dL/dy (total, D*H), the summed dL/dx of its directions. */
  type Back = (dy: Float32Array) => Float32Array;
  const run = (needsGrad: boolean): Back[] => {
    let x = timeMajor();
    const backs: Back[] = [];
    for (const dirs of layers) {
      const args = dirs.map(({ spec, weights }) => ({ spec, weights, x, h0, c0, needsGrad }));
      // Both directions in one call where the kernel can (side by side on threads, output
      // joined), as the nn layers call it.
      const many = D === 2 && kernel.forwardMany ? kernel.forwardMany(args, true) : null;
      const one = many ? null : args.map((a) => kernel.forward(a));
      x = many ? (many.joined ?? interleave(many.results.map((r) => r.y!))) : interleave(one!.map((r) => r.y));
      if (!needsGrad) continue;
      const I = dirs[0]!.spec.inputSize;
      backs.push((dy) => {
        const gs = many
          ? many.backward!(dirs.map((_, d) => ({ dy: column(dy, d), dhN: null, dcN: null })))
          : one!.map((r, d) => r.backward!({ dy: column(dy, d), dhN: null, dcN: null }));
        const dx = new Float32Array(total * I);
        for (const g of gs) for (let i = 0; i < dx.length; i++) dx[i]! += g.dx![i]!;
        return dx;
      });
    }
    return backs;
  };

  return {
    infer: () => void run(false),
    train: () => {
      const backs = run(true);
      // d(out.sum())/d out = ones
      let dy: Float32Array = new Float32Array(total * D * H).fill(1);
      for (let l = backs.length - 1; l >= 0; l--) dy = backs[l]!(dy);
    },
  };
}
