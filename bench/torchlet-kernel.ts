/**
 * torchlet at the kernel level: a stack of RnnKernel calls over flat arrays, per layer and
 * direction, the way the nn layers drive the kernel (inputs batch-first are transposed to
 * time-major first, bidirectional outputs interleaved per row, training = forward with
 * needsGrad + backward of out.sum()).
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

  const run = (needsGrad: boolean) => {
    let x = timeMajor();
    const backs: (((g: { dy: Float32Array }) => Float32Array) | null)[][] = [];
    for (const dirs of layers) {
      const ys = dirs.map(({ spec, weights }) => kernel.forward({ spec, weights, x, h0, c0, needsGrad }));
      backs.push(ys.map((r) => (r.backward ? (g) => r.backward!({ dy: g.dy, dhN: null, dcN: null }).dx! : null)));
      if (D === 1) x = ys[0]!.y;
      else {
        const out = new Float32Array(total * 2 * H);
        for (let r = 0; r < total; r++) {
          out.set(ys[0]!.y.subarray(r * H, (r + 1) * H), r * 2 * H);
          out.set(ys[1]!.y.subarray(r * H, (r + 1) * H), r * 2 * H + H);
        }
        x = out;
      }
    }
    return backs;
  };

  return {
    infer: () => void run(false),
    train: () => {
      const backs = run(true);
      // d(out.sum())/d out = ones
      let dy = new Float32Array(total * D * H).fill(1);
      for (let l = backs.length - 1; l >= 0; l--) {
        const I = layers[l]![0]!.spec.inputSize;
        const dx = new Float32Array(total * I);
        for (let d = 0; d < D; d++) {
          let dyd = dy;
          if (D === 2) {
            dyd = new Float32Array(total * H);
            for (let r = 0; r < total; r++) dyd.set(dy.subarray(r * 2 * H + d * H, r * 2 * H + d * H + H), r * H);
          }
          const g = backs[l]![d]!({ dy: dyd });
          for (let i = 0; i < g.length; i++) dx[i]! += g[i]!;
        }
        dy = dx;
      }
    },
  };
}
