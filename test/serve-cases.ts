/**
 * Batched == alone for torchlet/serve, shared by test/serve.test.ts and its relaxed-SIMD child
 * (test/serve-relaxed.child.ts; Node 20 needs a V8 flag for relaxed SIMD): each model kind, eight
 * sequences of different lengths predicted concurrently through ONE batch, each result compared
 * bitwise (every float32, NaN and -0 included) with what the model's forward gives for the
 * sequence alone, on whichever kernels are chosen when it runs.
 */

import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { Forecaster } from '../src/forecast/model.js';
import type { Prediction } from '../src/serve/index.js';
import { createBatcher } from '../src/serve/index.js';

const { nn } = torch;
/** Long enough that a batch only leaves when full or flushed. */
export const NEVER = 600_000;
/** Lengths that put each sequence's rows both in the GEMM's 4-row groups and among its leftover rows. */
export const LENGTHS = [5, 17, 1, 30, 9, 30, 2, 12];

export function seqs(F: number, lengths = LENGTHS): Tensor[] {
  torch.manualSeed(11);
  return lengths.map((L) => torch.randn(L, F));
}

/** A prediction's tensors, flat: output, hN (, cN), or the forecaster's output. */
export function flat(p: Prediction | unknown): Tensor[] {
  if (p instanceof torch.Tensor) return [p];
  return (p as unknown[]).flatMap((x) => flat(x));
}

/** What the model gives for one sequence alone: forward on (L, Hin) unbatched (a forecaster: batch of one). */
export function alone(model: torch.nn.Module, x: Tensor): Tensor[] {
  return torch.noGrad(() => {
    if (model instanceof Forecaster) return [model.forward(x.unsqueeze(0)).reshape([-1])];
    return flat((model as torch.nn.RNNBase).forward(x));
  });
}

export const MODELS: [string, () => torch.nn.Module, number][] = [
  ['LSTM 2 layers bidirectional', () => new nn.LSTM(6, 7, { numLayers: 2, bidirectional: true }), 6],
  ['LSTM with projections', () => new nn.LSTM(6, 8, { projSize: 3 }), 6],
  ['GRU', () => new nn.GRU(5, 9, { numLayers: 2 }), 5],
  ['RNN relu bidirectional', () => new nn.RNN(4, 6, { nonlinearity: 'relu', bidirectional: true }), 4],
  ['forecaster (train)', () => new Forecaster({ type: 'GRU', inputSize: 3, hiddenSize: 8, numLayers: 1, dropout: 0, bidirectional: true }), 3],
  // Widths past one 8-column GEMM panel and K past one panel row group: the kernels' full and tail paths.
  ['LSTM 2 layers, 40 wide', () => new nn.LSTM(20, 40, { numLayers: 2 }), 20],
];

/** Predict every sequence concurrently through one batch (maxBatch = the count); returns the results and batch sizes. */
export async function batched(model: torch.nn.Module, xs: Tensor[], workers: number): Promise<{ results: Prediction[]; sizes: number[] }> {
  const sizes: number[] = [];
  const b = createBatcher(model, { workers, maxBatch: xs.length, maxWaitMs: NEVER, onBatch: (n) => sizes.push(n) });
  try {
    return { results: await Promise.all(xs.map((x) => b.predict(x))), sizes };
  } finally {
    await b.close();
  }
}

/** Bitwise: the same float32 bits (so NaN == NaN, -0 != 0). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Every model kind batched (one batch of LENGTHS, on `workers` threads, 0 = this one) against each
 * sequence alone (on this thread), on the kernels chosen now. Returns what differs: [] when every
 * result is bitwise the same, else one line per tensor that is not (and its largest difference).
 */
export async function batchedVsAlone(workers: number, models = MODELS): Promise<string[]> {
  const bad: string[] = [];
  for (const [name, make, F] of models) {
    torch.manualSeed(3);
    const model = make();
    model.eval();
    const xs = seqs(F);
    const { results, sizes } = await batched(model, xs, workers);
    if (sizes.length !== 1 || sizes[0] !== xs.length) bad.push(`${name}: batches ${JSON.stringify(sizes)}, expected one of ${xs.length}`);
    for (const [i, x] of xs.entries()) {
      const want = alone(model, x);
      const got = flat(results[i]);
      for (const [k, t] of want.entries()) {
        const g = got[k];
        if (g === undefined || String(g.shape) !== String(t.shape)) {
          bad.push(`${name} sequence ${i} tensor ${k}: shape ${g?.shape} instead of ${t.shape}`);
          continue;
        }
        const a = g.toFloat32Array();
        const b = t.toFloat32Array();
        if (sameBits(a, b)) continue;
        let worst = 0;
        for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
        bad.push(`${name} sequence ${i} (length ${x.shape[0]}) tensor ${k}: not bitwise, max difference ${worst.toExponential(2)}`);
      }
    }
  }
  return bad;
}
