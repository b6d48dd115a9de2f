/**
 * Train the forecaster on a table, validate on the last part by time, and compare with the
 * seasonal-naive baseline. Browser-safe and asynchronous: it yields to the event loop every few
 * tens of milliseconds, so a Ctrl-C handler (or a page's Stop button) can ask it to stop after the
 * current batch. The CLI adds files, the progress bar and the plots around it.
 *
 * PyTorch equivalent of one epoch:
 *   for xb, yb in batches(shuffled training windows):
 *       opt.zero_grad(); loss = F.mse_loss(model(xb), yb); loss.backward()
 *       nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
 *   lr follows a cosine from lr to lr/10 over the epochs (CosineAnnealingLR(T_max=epochs, eta_min=lr/10))
 */

import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import { mseLoss } from '../nn/functional/loss.js';
import type { StateDict } from '../nn/module.js';
import { clipGradNorm_ } from '../nn/utils/clip-grad.js';
import { tensor, rand } from '../ops/creation.js';
import { Adam } from '../optim/adam.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { manualSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { DataSection, ForecasterConfig, ModelSection, TrainingSection } from './config.js';
import { CONFIG_FORMAT, CONFIG_VERSION } from './config.js';
import type { Table } from './csv.js';
import { CsvError } from './csv.js';
import { columnStats, firstTarget, Forecaster, normalise, seasonLag, windows } from './model.js';

export interface TrainSettings {
  readonly target: string;
  /** Feature columns; default: every numeric column (the target included). */
  readonly columns?: readonly string[];
  readonly window: number;
  /** Steps read as one RNN step (see DataSection.fold); default: the season when it divides the window, else 1. */
  readonly fold?: number;
  readonly horizon: number;
  /** Seasonal period in steps (0: none; then the baseline is the last value). */
  readonly season: number;
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly valFraction: number;
  readonly model: Omit<ModelSection, 'inputSize'>;
  /** Name of the data for the record (a file name). */
  readonly dataName: string;
}

export interface EpochInfo {
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly valMae: number;
  readonly baselineMae: number;
}

export interface BatchInfo {
  readonly epoch: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
  /** Training windows processed per second in this epoch so far. */
  readonly samplesPerSecond: number;
}

/** What the trainer hands out to be saved: the config, the weights, the optimiser state. */
export interface Snapshot {
  readonly config: ForecasterConfig;
  readonly weights: StateDict;
  readonly optimizer: OptimizerStateDict;
}

export interface TrainHooks {
  onBatch?(info: BatchInfo): void;
  /** Called after every epoch (and once more if stopped mid-epoch) with a snapshot to save. */
  onCheckpoint?(snapshot: Snapshot, info: EpochInfo | null): void | Promise<void>;
  /** Polled after every batch; true stops training after that batch. */
  shouldStop?(): boolean;
}

export interface ValidationSeries {
  /** Row index of each validation target. */
  readonly rows: readonly number[];
  readonly actual: readonly number[];
  readonly forecast: readonly number[];
  readonly baseline: readonly number[];
}

export interface TrainResult {
  readonly config: ForecasterConfig;
  readonly model: Forecaster;
  /** True when `shouldStop` ended training early. */
  readonly stopped: boolean;
  readonly validation: ValidationSeries;
}

/** The data layout for a table and settings, with the statistics of the training rows. */
export function prepare(table: Table, s: Pick<TrainSettings, 'target' | 'columns' | 'window' | 'horizon' | 'season' | 'valFraction'> & { fold?: number }): { data: DataSection; train: number[]; val: number[] } {
  if (!table.columns.includes(s.target)) {
    throw new CsvError(`the data has no column "${s.target}" (numeric columns: ${table.columns.map((c) => `"${c}"`).join(', ') || 'none'}${table.dateColumn ? `; "${table.dateColumn}" holds dates` : ''})`);
  }
  const columns = s.columns ?? table.columns;
  for (const c of columns) if (!table.columns.includes(c)) throw new CsvError(`the data has no numeric column "${c}"`);
  if (!columns.includes(s.target)) throw new ValueError(`the target column "${s.target}" must be one of the feature columns`);
  const partial = { window: s.window, horizon: s.horizon, season: s.season };
  const first = firstTarget(partial);
  const count = table.rows - first;
  if (count < 2) {
    throw new ValueError(
      `the window is longer than the data: ${table.rows} rows leave ${Math.max(0, count)} forecast targets for window ${s.window}, horizon ${s.horizon}${s.season ? `, season ${s.season}` : ''} (use a shorter --window or more rows)`,
    );
  }
  if (!(s.valFraction > 0 && s.valFraction < 1)) throw new ValueError(`--val must be between 0 and 1, got ${s.valFraction}`);
  const nVal = Math.max(1, Math.round(count * s.valFraction));
  if (count - nVal < 1) throw new ValueError(`too few rows: ${count} targets leave none for training after holding out ${nVal} for validation`);
  const targets = Array.from({ length: count }, (_, i) => first + i);
  const train = targets.slice(0, count - nVal);
  const val = targets.slice(count - nVal);
  const data: DataSection = {
    columns: [...columns],
    target: s.target,
    dateColumn: table.dateColumn,
    window: s.window,
    fold: s.fold ?? (s.season > 1 && s.window % s.season === 0 ? s.season : 1),
    horizon: s.horizon,
    season: s.season,
    residual: s.season > 0,
    normalization: columnStats(table, columns, val[0]),
  };
  return { data, train, val };
}

/** The seasonal-naive forecast of each target row: the value one season earlier (the last value without a season). */
export function baselineRows(table: Table, data: DataSection, rows: readonly number[]): number[] {
  const t = table.values[table.columns.indexOf(data.target)];
  const lag = seasonLag(data) || data.horizon;
  return rows.map((r) => t[r - lag]);
}

function cosineLr(lr: number, epoch: number, epochs: number): number {
  const min = lr / 10;
  return min + ((lr - min) * (1 + Math.cos((Math.PI * epoch) / Math.max(1, epochs)))) / 2;
}

const yieldNow = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Train (or, with `resume`, continue training) a forecaster. Deterministic for a seed.
 * Throws CsvError/ValueError for data that cannot be used, before anything is trained.
 */
export async function trainForecaster(
  table: Table,
  settings: TrainSettings,
  hooks: TrainHooks = {},
  resume?: { config: ForecasterConfig; weights: StateDict; optimizer?: OptimizerStateDict },
): Promise<TrainResult> {
  const prep = prepare(table, resume ? { ...resume.config.data, valFraction: resume.config.training.valFraction } : settings);
  const data = resume ? resume.config.data : prep.data;
  if (data.window % data.fold !== 0) throw new ValueError(`the window (${data.window}) must be a multiple of fold (${data.fold})`);
  const modelSection: ModelSection = resume ? resume.config.model : { ...settings.model, inputSize: data.columns.length * data.fold };
  const epochs = resume ? Math.max(settings.epochs, resume.config.training.epochsDone) : settings.epochs;
  const seed = resume ? resume.config.training.seed : settings.seed;
  manualSeed(seed);
  const model = new Forecaster(modelSection);
  if (resume) model.loadStateDict(resume.weights);
  const params = model.parameters();
  const lr = resume ? resume.config.training.lr : settings.lr;
  const batchSize = resume ? resume.config.training.batchSize : settings.batchSize;
  const opt = new Adam(params, { lr });
  if (resume?.optimizer) opt.loadStateDict(resume.optimizer);

  const z = normalise(table, data);
  const { train, val } = prep;
  const { x: trainX, base: trainBase } = windows(z, train, data);
  const zt = z[data.columns.indexOf(data.target)];
  const trainY = tensor(Float32Array.from(train, (tau, n) => zt[tau] - trainBase[n]), { shape: [train.length, 1] });
  const { x: valX, base: valBase } = windows(z, val, data);
  const valY = tensor(Float32Array.from(val, (tau, n) => zt[tau] - valBase[n]), { shape: [val.length, 1] });
  const actual = val.map((r) => table.values[table.columns.indexOf(data.target)][r]);
  const baseline = baselineRows(table, data, val);
  const baselineMae = actual.reduce((a, v, i) => a + Math.abs(v - baseline[i]), 0) / actual.length;

  const record: { trainLoss: number[]; valLoss: number[]; valMae: number | null } = {
    trainLoss: [...(resume?.config.training.trainLoss ?? [])],
    valLoss: [...(resume?.config.training.valLoss ?? [])],
    valMae: resume?.config.training.valMae ?? null,
  };
  let epochsDone = resume?.config.training.epochsDone ?? 0;
  // Replay the shuffles of the epochs already done, so a resumed run sees the same orders.
  for (let e = 0; e < epochsDone; e++) rand(train.length);

  const configNow = (): ForecasterConfig => ({
    format: CONFIG_FORMAT,
    version: CONFIG_VERSION,
    model: modelSection,
    data,
    weights: 'model.safetensors',
    training: {
      epochs,
      epochsDone,
      lr,
      batchSize,
      seed,
      valFraction: resume?.config.training.valFraction ?? settings.valFraction,
      trainLoss: record.trainLoss,
      valLoss: record.valLoss,
      valMae: record.valMae,
      baselineMae,
      data: resume?.config.training.data ?? settings.dataName,
      rows: table.rows,
    } satisfies TrainingSection,
  });
  const snapshot = (): Snapshot => ({ config: configNow(), weights: model.stateDict(), optimizer: opt.stateDict() });

  const evaluate = (): { valLoss: number; valMae: number; forecast: number[] } => {
    model.eval();
    const pred = noGrad(() => model.forward(valX));
    const valLoss = noGrad(() => mseLoss(pred, valY)).item();
    model.train();
    const p = pred.toFloat32Array();
    const { mean, std } = data.normalization[data.target];
    const forecast = val.map((_, n) => (valBase[n] + p[n]) * std + mean);
    const valMae = forecast.reduce((a, f, i) => a + Math.abs(f - actual[i]), 0) / forecast.length;
    return { valLoss, valMae, forecast };
  };

  let stopped = false;
  let lastYield = performance.now();
  for (let epoch = epochsDone; epoch < epochs && !stopped; epoch++) {
    for (const g of opt.paramGroups) g.lr = cosineLr(lr, epoch, epochs);
    const keys = rand(train.length).toFloat32Array();
    const order = Array.from(keys.keys()).sort((a, b) => keys[a] - keys[b]);
    const batches = Math.ceil(order.length / batchSize);
    const started = performance.now();
    let total = 0;
    let seen = 0;
    for (let b = 0; b < batches; b++) {
      const idx = order.slice(b * batchSize, (b + 1) * batchSize);
      opt.zeroGrad();
      const loss = mseLoss(model.forward(trainX.indexSelect(0, idx)), trainY.indexSelect(0, idx));
      loss.backward();
      clipGradNorm_(params, 1.0);
      opt.step();
      const l = loss.item();
      total += l * idx.length;
      seen += idx.length;
      hooks.onBatch?.({ epoch, batch: b + 1, batches, loss: total / seen, samplesPerSecond: (seen * 1000) / Math.max(1, performance.now() - started) });
      if (performance.now() - lastYield > 40) {
        await yieldNow();
        lastYield = performance.now();
      }
      if (hooks.shouldStop?.()) {
        stopped = true;
        break;
      }
    }
    if (stopped) break;
    const ev = evaluate();
    record.trainLoss.push(total / seen);
    record.valLoss.push(ev.valLoss);
    record.valMae = ev.valMae;
    epochsDone = epoch + 1;
    await hooks.onCheckpoint?.(snapshot(), { epoch, epochs, trainLoss: total / seen, valLoss: ev.valLoss, valMae: ev.valMae, baselineMae });
  }
  // Stopped mid-epoch: the weights have moved since the last checkpoint; save them, marked as
  // epochsDone (the unfinished epoch is redone on --resume).
  if (stopped) await hooks.onCheckpoint?.(snapshot(), null);
  const final = evaluate();
  return { config: configNow(), model, stopped, validation: { rows: val, actual, forecast: final.forecast, baseline } };
}

export type { Tensor };
