/** The benchmark of record's workloads (issue 7), shared by bench/run.ts and its peers. */
export interface Workload {
  id: string;
  title: string;
  mode: 'LSTM' | 'GRU';
  input: number;
  hidden: number;
  layers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  batch: number;
  steps: number;
}

export const workloads: Workload[] = [
  { id: 'W1', title: 'seed LSTM 60→20 bi, batch-first', mode: 'LSTM', input: 60, hidden: 20, layers: 1, bidirectional: true, batchFirst: true, batch: 32, steps: 100 },
  { id: 'W2', title: 'LSTM 128→256 x2', mode: 'LSTM', input: 128, hidden: 256, layers: 2, bidirectional: false, batchFirst: false, batch: 32, steps: 100 },
  { id: 'W3', title: 'LSTM 32→128 streaming B=1', mode: 'LSTM', input: 32, hidden: 128, layers: 1, bidirectional: false, batchFirst: false, batch: 1, steps: 1000 },
  { id: 'W4', title: 'GRU 128→256', mode: 'GRU', input: 128, hidden: 256, layers: 1, bidirectional: false, batchFirst: false, batch: 64, steps: 50 },
  { id: 'W5', title: 'BiLSTM 64→128', mode: 'LSTM', input: 64, hidden: 128, layers: 1, bidirectional: true, batchFirst: false, batch: 100, steps: 100 },
];

/**
 * Multiply-adds x2 of one forward pass: per layer and direction, the input projection
 * 2·T·B·G·H·I_l plus the recurrent product 2·T·B·G·H·H (nonlinearities not counted).
 */
export function forwardFlops(w: Workload): number {
  const G = w.mode === 'LSTM' ? 4 : 3;
  const D = w.bidirectional ? 2 : 1;
  let f = 0;
  for (let l = 0; l < w.layers; l++) {
    const I = l === 0 ? w.input : D * w.hidden;
    f += D * 2 * w.steps * w.batch * G * w.hidden * (I + w.hidden);
  }
  return f;
}

/** A training step is counted as 3 forward passes (backward: dx/dh products + weight gradients). */
export function trainFlops(w: Workload): number {
  return 3 * forwardFlops(w);
}

export interface SampleOpts {
  warmup?: number;
  minRuns?: number;
  minMs?: number;
  maxRuns?: number;
}

/** Wall times in ms of fn after warm-up: at least minRuns runs and minMs of timing. */
export async function sampleMs(fn: () => void | Promise<void>, opts: SampleOpts = {}): Promise<number[]> {
  const { warmup = 2, minRuns = 5, minMs = 1000, maxRuns = 40 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || (performance.now() - start < minMs && times.length < maxRuns)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median wall time in ms of fn after warm-up (see sampleMs). */
export async function medianMs(fn: () => void | Promise<void>, opts: SampleOpts = {}): Promise<number> {
  return median(await sampleMs(fn, opts));
}
